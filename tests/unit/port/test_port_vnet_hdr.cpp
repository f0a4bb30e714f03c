// virtio_net_hdr encoding, checksum completion and GSO segmentation, checked
// with an independent checksum verifier on synthetic TCP/UDP super-frames.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "control/port/vnet_hdr.hpp"

namespace flatnet::control::port {
namespace {

uint16_t be16(const uint8_t* p) { return uint16_t((p[0] << 8) | p[1]); }
uint32_t be32(const uint8_t* p) { return (uint32_t(be16(p)) << 16) | be16(p + 2); }

// Sum of 16-bit words, folded: a correct checksum makes the total 0xffff.
uint16_t ones_sum(const uint8_t* p, size_t n, uint32_t acc = 0) {
  for (size_t i = 0; i + 1 < n; i += 2) acc += be16(p + i);
  if (n & 1) acc += uint32_t(p[n - 1]) << 8;
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return uint16_t(acc);
}

bool l4_checksum_ok(const uint8_t* f, size_t len, bool v6, size_t l3, size_t l4, uint8_t proto) {
  uint32_t acc = 0;
  const size_t l4_len = len - l4;
  if (v6) acc = ones_sum(f + l3 + 8, 32);
  else acc = ones_sum(f + l3 + 12, 8);
  acc += proto + uint32_t(l4_len);
  return ones_sum(f + l4, l4_len, acc) == 0xffff;
}

// Ethernet + IPv4/IPv6 + TCP (20-byte header + 12 bytes of options) or UDP,
// `payload` bytes of a counting pattern.
std::vector<uint8_t> make_frame(bool v6, bool tcp, size_t payload, size_t* l4_out) {
  std::vector<uint8_t> f(14, 0);
  f[0] = 0x02;
  f[6] = 0x02;
  f[5] = 1;
  f[12] = v6 ? 0x86 : 0x08;
  f[13] = v6 ? 0xdd : 0x00;
  const size_t l3 = f.size();
  const size_t l4_hdr = tcp ? 32 : 8;
  if (v6) {
    f.resize(l3 + 40, 0);
    f[l3] = 0x60;
    f[l3 + 6] = tcp ? 6 : 17;
    f[l3 + 7] = 64;
    f[l3 + 8] = 0xfd;
    f[l3 + 23] = 1;
    f[l3 + 24] = 0xfd;
    f[l3 + 39] = 2;
  } else {
    f.resize(l3 + 20, 0);
    f[l3] = 0x45;
    f[l3 + 4] = 0x12;
    f[l3 + 5] = 0x34;
    f[l3 + 8] = 64;
    f[l3 + 9] = tcp ? 6 : 17;
    const uint8_t src[4] = {10, 77, 0, 1}, dst[4] = {10, 77, 0, 2};
    std::memcpy(&f[l3 + 12], src, 4);
    std::memcpy(&f[l3 + 16], dst, 4);
  }
  const size_t l4 = f.size();
  f.resize(l4 + l4_hdr, 0);
  f[l4] = 0x9c;
  f[l4 + 1] = 0x40;  // port 40000
  f[l4 + 3] = 80;
  if (tcp) {
    f[l4 + 4] = 0xff;  // seq 0xfffff000: wraps during the split
    f[l4 + 5] = 0xff;
    f[l4 + 6] = 0xf0;
    f[l4 + 12] = 8 << 4;        // data offset 32
    f[l4 + 13] = 0x80 | 0x18 | 0x01;  // CWR, PSH, ACK, FIN
    f[l4 + 20] = 1;             // NOP options
  }
  for (size_t i = 0; i < payload; ++i) f.push_back(uint8_t(i * 7 + 3));
  *l4_out = l4;
  return f;
}

TEST(PortVnetHdr, RoundTrip) {
  VnetHdr h;
  h.flags = kVnetNeedsCsum;
  h.gso_type = kGsoTcpV6;
  h.hdr_len = 0x1234;
  h.gso_size = 1440;
  h.csum_start = 54;
  h.csum_offset = 16;
  uint8_t b[kVnetHdrLen];
  build_vnet_hdr(h, b);
  EXPECT_EQ(b[2], 0x34);  // little-endian
  EXPECT_EQ(b[3], 0x12);
  VnetHdr back;
  ASSERT_TRUE(parse_vnet_hdr(b, sizeof b, &back));
  EXPECT_EQ(back.flags, h.flags);
  EXPECT_EQ(back.gso_type, h.gso_type);
  EXPECT_EQ(back.hdr_len, h.hdr_len);
  EXPECT_EQ(back.gso_size, h.gso_size);
  EXPECT_EQ(back.csum_start, h.csum_start);
  EXPECT_EQ(back.csum_offset, h.csum_offset);
  EXPECT_FALSE(parse_vnet_hdr(b, kVnetHdrLen - 1, &back));
}

TEST(PortVnetHdr, CompleteChecksum) {
  size_t l4;
  auto f = make_frame(false, false, 101, &l4);
  f[l4 + 5] = uint8_t(8 + 101);
  // The kernel leaves the pseudo-header sum in the field.
  const uint32_t pseudo = uint32_t(ones_sum(&f[14 + 12], 8)) + 17 + uint32_t(f.size() - l4);
  uint32_t p = pseudo;
  while (p >> 16) p = (p & 0xffff) + (p >> 16);
  f[l4 + 6] = uint8_t(p >> 8);
  f[l4 + 7] = uint8_t(p);
  VnetHdr h;
  h.flags = kVnetNeedsCsum;
  h.csum_start = uint16_t(l4);
  h.csum_offset = 6;
  ASSERT_TRUE(complete_checksum(h, f.data(), f.size()));
  EXPECT_TRUE(l4_checksum_ok(f.data(), f.size(), false, 14, l4, 17));
  h.csum_start = uint16_t(f.size());
  EXPECT_FALSE(complete_checksum(h, f.data(), f.size()));
}

struct SplitCase {
  bool v6;
  bool tcp;
  size_t payload;
  uint16_t mss;
};

class PortGso : public ::testing::TestWithParam<SplitCase> {};

TEST_P(PortGso, SplitsWithValidChecksums) {
  const SplitCase c = GetParam();
  size_t l4;
  const auto f = make_frame(c.v6, c.tcp, c.payload, &l4);
  VnetHdr h;
  h.flags = kVnetNeedsCsum;
  h.gso_type = c.tcp ? (c.v6 ? kGsoTcpV6 : kGsoTcpV4) : kGsoUdpL4;
  h.gso_size = c.mss;
  h.csum_start = uint16_t(l4);
  h.csum_offset = c.tcp ? 16 : 6;
  const size_t hdrs = l4 + (c.tcp ? 32 : 8);
  h.hdr_len = uint16_t(hdrs);
  std::vector<std::vector<uint8_t>> bufs(64, std::vector<uint8_t>(hdrs + c.mss));
  std::vector<FrameSlot> slots;
  for (auto& b : bufs) slots.push_back(FrameSlot{b.data(), uint32_t(b.size()), 0});
  GsoError err;
  const size_t n = gso_split(h, f.data(), f.size(), slots, &err);
  ASSERT_EQ(err, GsoError::kNone) << to_string(err);
  ASSERT_EQ(n, (c.payload + c.mss - 1) / c.mss);
  size_t seen = 0;
  for (size_t i = 0; i < n; ++i) {
    const uint8_t* s = slots[i].data;
    const size_t len = slots[i].len;
    const size_t seg = len - hdrs;
    EXPECT_EQ(seg, std::min<size_t>(c.mss, c.payload - seen));
    EXPECT_EQ(std::memcmp(s + hdrs, f.data() + hdrs + seen, seg), 0);
    if (c.v6) {
      EXPECT_EQ(be16(s + 14 + 4), len - 14 - 40);
    } else {
      EXPECT_EQ(be16(s + 14 + 2), len - 14);
      EXPECT_EQ(be16(s + 14 + 4), 0x1234 + i);
      EXPECT_EQ(ones_sum(s + 14, 20), 0xffff) << "IPv4 header checksum";
    }
    EXPECT_TRUE(l4_checksum_ok(s, len, c.v6, 14, l4, c.tcp ? 6 : 17)) << "segment " << i;
    if (c.tcp) {
      EXPECT_EQ(be32(s + l4 + 4), uint32_t(0xfffff000u + seen));
      const uint8_t fl = s[l4 + 13];
      EXPECT_EQ((fl & 0x80) != 0, i == 0) << "CWR on the first only";
      EXPECT_EQ((fl & 0x09) != 0, i + 1 == n) << "FIN/PSH on the last only";
      EXPECT_TRUE(fl & 0x10);
    } else {
      EXPECT_EQ(be16(s + l4 + 4), 8 + seg);
    }
    seen += seg;
  }
  EXPECT_EQ(seen, c.payload);
}

INSTANTIATE_TEST_SUITE_P(Cases, PortGso,
                         ::testing::Values(SplitCase{false, true, 4000, 1448},
                                           SplitCase{true, true, 65000, 1428},
                                           SplitCase{false, true, 1448, 1448},
                                           SplitCase{false, false, 3001, 1000},
                                           SplitCase{true, false, 999, 1000}));

TEST(PortGsoBad, RefusesMalformedAndShortOutput) {
  size_t l4;
  const auto f = make_frame(false, true, 3000, &l4);
  VnetHdr h;
  h.flags = kVnetNeedsCsum;
  h.gso_type = kGsoTcpV4;
  h.gso_size = 1000;
  h.csum_start = uint16_t(l4);
  h.csum_offset = 16;
  std::vector<uint8_t> big(2000);
  std::vector<FrameSlot> two(2, FrameSlot{big.data(), uint32_t(big.size()), 0});
  GsoError err;
  EXPECT_EQ(gso_split(h, f.data(), f.size(), two, &err), 0u);
  EXPECT_EQ(err, GsoError::kNoRoom);

  std::vector<std::vector<uint8_t>> bufs(4, std::vector<uint8_t>(2000));
  std::vector<FrameSlot> slots;
  for (auto& b : bufs) slots.push_back(FrameSlot{b.data(), uint32_t(b.size()), 0});
  VnetHdr bad = h;
  bad.csum_start = uint16_t(f.size() + 10);
  EXPECT_EQ(gso_split(bad, f.data(), f.size(), slots, &err), 0u);
  EXPECT_EQ(err, GsoError::kMalformed);
  bad = h;
  bad.gso_size = 0;
  EXPECT_EQ(gso_split(bad, f.data(), f.size(), slots, &err), 0u);
  EXPECT_EQ(err, GsoError::kMalformed);
  bad = h;
  bad.gso_type = kGsoTcpV6;  // an IPv4 frame
  EXPECT_EQ(gso_split(bad, f.data(), f.size(), slots, &err), 0u);
  EXPECT_EQ(err, GsoError::kMalformed);
  bad = h;
  bad.gso_type = kGsoUdp;  // UFO: not supported
  EXPECT_EQ(gso_split(bad, f.data(), f.size(), slots, &err), 0u);
  EXPECT_EQ(err, GsoError::kUnsupported);
  // Truncated frames of every length: refused or split, never out of bounds.
  for (size_t len = 0; len < l4 + 40; ++len) {
    (void)gso_split(h, f.data(), len, slots, &err);
  }
  // No GSO: copied with its checksum completed.
  bad = h;
  bad.gso_type = kGsoNone;
  bad.flags = 0;
  EXPECT_EQ(gso_split(bad, f.data(), 200, slots, &err), 1u);
  EXPECT_EQ(slots[0].len, 200u);
}

}  // namespace
}  // namespace flatnet::control::port
