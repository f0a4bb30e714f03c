// Write-side GRO (control/port/gro): which TCP frames merge into one
// super-frame and which go as they are, checked by cutting every
// super-frame back with gso_split (the kernel's view of it) and comparing
// with the frames given, with an independent checksum verifier.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "control/port/gro.hpp"
#include "control/port/vnet_hdr.hpp"

namespace flatnet::control::port {
namespace {

using Frame = std::vector<uint8_t>;

uint16_t be16(const uint8_t* p) { return uint16_t((p[0] << 8) | p[1]); }
uint32_t be32(const uint8_t* p) { return (uint32_t(be16(p)) << 16) | be16(p + 2); }
void put16(uint8_t* p, uint16_t v) {
  p[0] = uint8_t(v >> 8);
  p[1] = uint8_t(v);
}
void put32(uint8_t* p, uint32_t v) {
  put16(p, uint16_t(v >> 16));
  put16(p + 2, uint16_t(v));
}

uint16_t ones_sum(const uint8_t* p, size_t n, uint32_t acc = 0) {
  for (size_t i = 0; i + 1 < n; i += 2) acc += be16(p + i);
  if (n & 1) acc += uint32_t(p[n - 1]) << 8;
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return uint16_t(acc);
}

struct Tcp {
  bool v6 = false;
  uint32_t seq = 1000;
  uint8_t flags = 0x10;
  uint16_t sport = 40000, dport = 5201;
  uint8_t src_last = 1;  // last byte of the source address
  size_t payload = 1400;
  uint16_t ip_id = 7;
  bool df = true;
  size_t options = 12;  // bytes of TCP options (NOPs + a timestamp-like word)
  uint32_t tsval = 55;
  uint16_t window = 500;
  uint8_t tos = 0;
};

void fix_checksums(Frame& f, bool v6) {
  const size_t l3 = 14, l4 = v6 ? 54 : 14 + size_t(f[14] & 0x0f) * 4;
  if (!v6) {
    put16(&f[l3 + 10], 0);
    put16(&f[l3 + 10], uint16_t(~ones_sum(&f[l3], l4 - l3)));
  }
  const size_t l4_len = f.size() - l4;
  put16(&f[l4 + 16], 0);
  uint32_t acc = v6 ? ones_sum(&f[l3 + 8], 32) : ones_sum(&f[l3 + 12], 8);
  acc += 6 + uint32_t(l4_len);
  put16(&f[l4 + 16], uint16_t(~ones_sum(&f[l4], l4_len, acc)));
}

Frame make(const Tcp& t) {
  Frame f(14 + 40 + 20 + t.options + t.payload, 0);
  f.resize(14);
  f[0] = 0x02;
  f[5] = 2;
  f[6] = 0x02;
  f[11] = 1;
  f[12] = t.v6 ? 0x86 : 0x08;
  f[13] = t.v6 ? 0xdd : 0x00;
  const size_t l3 = 14;
  const size_t thl = 20 + t.options;
  if (t.v6) {
    f.resize(l3 + 40, 0);
    f[l3] = 0x60;
    put16(&f[l3 + 4], uint16_t(thl + t.payload));
    f[l3 + 6] = 6;
    f[l3 + 7] = 64;
    f[l3 + 8] = 0xfd;
    f[l3 + 23] = t.src_last;
    f[l3 + 24] = 0xfd;
    f[l3 + 39] = 2;
  } else {
    f.resize(l3 + 20, 0);
    f[l3] = 0x45;
    f[l3 + 1] = t.tos;
    put16(&f[l3 + 2], uint16_t(20 + thl + t.payload));
    put16(&f[l3 + 4], t.ip_id);
    f[l3 + 6] = t.df ? 0x40 : 0;
    f[l3 + 8] = 64;
    f[l3 + 9] = 6;
    const uint8_t a[8] = {10, 99, 100, t.src_last, 10, 99, 100, 2};
    std::memcpy(&f[l3 + 12], a, 8);
  }
  const size_t l4 = f.size();
  f.resize(l4 + thl, 0);
  put16(&f[l4], t.sport);
  put16(&f[l4 + 2], t.dport);
  put32(&f[l4 + 4], t.seq);
  put32(&f[l4 + 8], 777);
  f[l4 + 12] = uint8_t((thl / 4) << 4);
  f[l4 + 13] = t.flags;
  put16(&f[l4 + 14], t.window);
  for (size_t i = 0; i < t.options; ++i) f[l4 + 20 + i] = 1;  // NOP
  if (t.options >= 8) put32(&f[l4 + 20 + t.options - 4], t.tsval);
  for (size_t i = 0; i < t.payload; ++i) f.push_back(uint8_t((t.seq + i) * 13));
  fix_checksums(f, t.v6);
  return f;
}

// A run of `n` MSS-sized segments of one flow, the last `last` bytes long.
std::vector<Frame> run(Tcp t, size_t n, size_t last = 0) {
  std::vector<Frame> out;
  for (size_t i = 0; i < n; ++i) {
    Tcp s = t;
    if (i + 1 == n && last) s.payload = last;
    out.push_back(make(s));
    t.seq += uint32_t(s.payload);
    ++t.ip_id;
  }
  return out;
}

struct Out {
  VnetHdr h;
  Frame frame;
};

std::vector<Out> coalesce(TapGro& g, const std::vector<Frame>& in) {
  std::vector<FrameView> views, out;
  for (const Frame& f : in) views.push_back({f.data(), uint32_t(f.size())});
  g.coalesce(views, &out);
  std::vector<Out> r;
  for (const FrameView& v : out) {
    Out o;
    EXPECT_TRUE(parse_vnet_hdr(v.data, v.len, &o.h));
    o.frame.assign(v.data + kVnetHdrLen, v.data + v.len);
    r.push_back(o);
  }
  return r;
}

// What the kernel makes of one write: gso_split's frames, each with its
// checksums finished; the frame itself when no GSO.
std::vector<Frame> resegment(const Out& o) {
  std::vector<uint8_t> mem(64 * 3000);
  std::vector<FrameSlot> slots(64);
  for (size_t i = 0; i < slots.size(); ++i) slots[i] = {mem.data() + i * 3000, 3000, 0};
  GsoError e;
  const size_t n = gso_split(o.h, o.frame.data(), o.frame.size(), slots, &e);
  EXPECT_GT(n, 0u) << to_string(e);
  std::vector<Frame> r;
  for (size_t i = 0; i < n; ++i) r.emplace_back(slots[i].data, slots[i].data + slots[i].len);
  return r;
}

// The super-frame's own checksum state: the TCP field holds the
// pseudo-header sum over the whole length (NEEDS_CSUM), so the full sum
// with the field counted as given is that sum plus the data.
void expect_super(const Out& o, bool v6, size_t segs, uint16_t gso_size) {
  EXPECT_EQ(o.h.flags, kVnetNeedsCsum);
  EXPECT_EQ(o.h.gso_type, v6 ? kGsoTcpV6 : kGsoTcpV4);
  EXPECT_EQ(o.h.gso_size, gso_size);
  const size_t l4 = v6 ? 54 : 34;
  EXPECT_EQ(o.h.csum_start, l4);
  EXPECT_EQ(o.h.csum_offset, 16);
  EXPECT_EQ(o.h.hdr_len, l4 + 32);
  const size_t l4_len = o.frame.size() - l4;
  if (v6) {
    EXPECT_EQ(be16(&o.frame[14 + 4]), l4_len);
  } else {
    EXPECT_EQ(be16(&o.frame[14 + 2]), o.frame.size() - 14);
    EXPECT_EQ(ones_sum(&o.frame[14], 20), 0xffff);  // IPv4 header checksum
  }
  uint32_t acc = v6 ? ones_sum(&o.frame[14 + 8], 32) : ones_sum(&o.frame[14 + 12], 8);
  acc += 6 + uint32_t(l4_len);
  EXPECT_EQ(be16(&o.frame[l4 + 16]), ones_sum(nullptr, 0, acc));
  EXPECT_EQ((o.frame.size() - o.h.hdr_len + gso_size - 1) / gso_size, segs);
}

bool plain(const Out& o) {
  return o.h.flags == 0 && o.h.gso_type == kGsoNone && o.h.gso_size == 0 && o.h.csum_start == 0;
}

// Payload bytes and sequence numbers of what the kernel sees, in order.
void expect_same_stream(const std::vector<Frame>& want, const std::vector<Frame>& got, bool v6) {
  ASSERT_EQ(want.size(), got.size());
  const size_t l4 = v6 ? 54 : 34;
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(be32(&want[i][l4 + 4]), be32(&got[i][l4 + 4])) << i;
    EXPECT_EQ(want[i][l4 + 13], got[i][l4 + 13]) << i;  // flags
    EXPECT_EQ(std::vector<uint8_t>(want[i].begin() + l4 + 32, want[i].end()),
              std::vector<uint8_t>(got[i].begin() + l4 + 32, got[i].end()))
        << i;
  }
}

TEST(PortGro, MergesARunOfOneFlowV4) {
  TapGro g;
  Tcp t;
  std::vector<Frame> in = run(t, 10, 600);
  in.back()[34 + 13] |= 0x08;  // PSH on the last
  fix_checksums(in.back(), false);
  auto out = coalesce(g, in);
  ASSERT_EQ(out.size(), 1u);
  expect_super(out[0], false, 10, 1400);
  EXPECT_EQ(out[0].frame[34 + 13], 0x18);  // the last one's PSH
  EXPECT_EQ(be32(&out[0].frame[34 + 4]), 1000u);
  expect_same_stream(in, resegment(out[0]), false);
  EXPECT_EQ(g.frames_of(0), 10u);
  EXPECT_EQ(g.counters().super_frames, 1u);
  EXPECT_EQ(g.counters().merged, 10u);
}

TEST(PortGro, MergesARunOfOneFlowV6) {
  TapGro g;
  Tcp t;
  t.v6 = true;
  t.payload = 2700;
  const std::vector<Frame> in = run(t, 5);
  auto out = coalesce(g, in);
  ASSERT_EQ(out.size(), 1u);
  expect_super(out[0], true, 5, 2700);
  expect_same_stream(in, resegment(out[0]), true);
}

TEST(PortGro, OneFrameGoesAsItIs) {
  TapGro g;
  const std::vector<Frame> in = {make(Tcp{})};
  auto out = coalesce(g, in);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(plain(out[0]));
  EXPECT_EQ(out[0].frame, in[0]);
}

TEST(PortGro, ASequenceGapStartsANewWrite) {
  TapGro g;
  std::vector<Frame> in = run(Tcp{}, 3);
  Tcp t;
  t.seq = 1000 + 4 * 1400;  // one segment missing
  for (const Frame& f : run(t, 2)) in.push_back(f);
  auto out = coalesce(g, in);
  ASSERT_EQ(out.size(), 2u);
  expect_super(out[0], false, 3, 1400);
  expect_super(out[1], false, 2, 1400);
}

TEST(PortGro, RefusesDifferentFlagsAckWindowOptions) {
  auto second = [](auto change) {
    TapGro g;
    Tcp t;
    std::vector<Frame> in = {make(t)};
    t.seq += 1400;
    change(t);
    in.push_back(make(t));
    return coalesce(g, in);
  };
  for (uint8_t flags : {0x11, 0x12, 0x14, 0x30, 0x50, 0x90, 0x00}) {  // FIN SYN RST URG ECE CWR none
    auto out = second([&](Tcp& t) { t.flags = flags; });
    ASSERT_EQ(out.size(), 2u) << int(flags);
    EXPECT_TRUE(plain(out[0]) && plain(out[1])) << int(flags);
  }
  EXPECT_EQ(second([](Tcp& t) { t.window = 501; }).size(), 2u);
  EXPECT_EQ(second([](Tcp& t) { t.tsval = 56; }).size(), 2u);
  EXPECT_EQ(second([](Tcp& t) { t.options = 8; }).size(), 2u);
  EXPECT_EQ(second([](Tcp& t) { t.tos = 2; }).size(), 2u);
  EXPECT_EQ(second([](Tcp& t) { t.payload = 1401; }).size(), 2u);  // larger than the first
  EXPECT_EQ(second([](Tcp& t) { t.payload = 0; }).size(), 2u);     // a bare ACK
  EXPECT_EQ(second([](Tcp& t) { t.dport = 5202; }).size(), 2u);
  EXPECT_EQ(second([](Tcp& t) { t.src_last = 3; }).size(), 2u);
  // Without DF the ids must count up; with DF they may be anything.
  EXPECT_EQ(second([](Tcp& t) { t.df = false; }).size(), 2u);
  EXPECT_EQ(second([](Tcp& t) { t.ip_id = 99; }).size(), 1u);
  // And the control: the same second frame unchanged merges.
  EXPECT_EQ(second([](Tcp&) {}).size(), 1u);
}

TEST(PortGro, PshOrAShortSegmentEndsTheSuperFrame) {
  TapGro g;
  Tcp t;
  std::vector<Frame> in = run(t, 2);
  in[1][34 + 13] = 0x18;
  fix_checksums(in[1], false);
  t.seq += 2800;
  for (const Frame& f : run(t, 2)) in.push_back(f);
  auto out = coalesce(g, in);
  ASSERT_EQ(out.size(), 2u);
  expect_super(out[0], false, 2, 1400);
  expect_super(out[1], false, 2, 1400);

  std::vector<Frame> in2 = run(Tcp{}, 3, 700);
  Tcp u;
  u.seq = 1000 + 2 * 1400 + 700;
  in2.push_back(make(u));
  auto out2 = coalesce(g, in2);
  ASSERT_EQ(out2.size(), 2u);
  expect_super(out2[0], false, 3, 1400);
  EXPECT_TRUE(plain(out2[1]));
}

TEST(PortGro, BadChecksumsAreLeftAlone) {
  TapGro g;
  std::vector<Frame> in = run(Tcp{}, 4);
  in[2].back() ^= 0x55;  // payload corrupted: TCP checksum wrong
  const Frame bad = in[2];
  auto out = coalesce(g, in);
  ASSERT_EQ(out.size(), 3u);
  expect_super(out[0], false, 2, 1400);
  EXPECT_TRUE(plain(out[1]));
  EXPECT_EQ(out[1].frame, bad);  // untouched: the kernel drops it
  EXPECT_TRUE(plain(out[2]));    // the next cannot join across the bad one
  EXPECT_EQ(g.counters().bad_checksum, 1u);

  std::vector<Frame> in2 = run(Tcp{}, 2);
  in2[1][14 + 8] = 63;  // TTL changed, IPv4 header checksum now wrong
  EXPECT_EQ(coalesce(g, in2).size(), 2u);
  EXPECT_EQ(g.counters().bad_checksum, 2u);
}

TEST(PortGro, IpOptionsFragmentsAndOthersGoAsTheyAre) {
  TapGro g;
  // IPv4 with options (ihl 6)
  Frame opt = make(Tcp{});
  opt.insert(opt.begin() + 34, {1, 1, 1, 0});  // 4 bytes of NOP options, then EOL
  opt[14] = 0x46;
  put16(&opt[16], uint16_t(be16(&opt[16]) + 4));
  fix_checksums(opt, false);
  // a fragment (MF)
  Frame frag = make(Tcp{});
  frag[14 + 6] |= 0x20;
  fix_checksums(frag, false);
  // IPv6 with a hop-by-hop header in front of TCP: not TCP to us
  Tcp v6;
  v6.v6 = true;
  Frame hbh = make(v6);
  hbh[14 + 6] = 0;
  // ARP and a VLAN-tagged frame
  Frame arp(42, 0);
  arp[12] = 0x08;
  arp[13] = 0x06;
  Frame vlan = make(Tcp{});
  vlan.insert(vlan.begin() + 12, {0x81, 0x00, 0x00, 0x05});
  // Ethernet padding after the IP packet
  Frame padded = make(Tcp{});
  padded.push_back(0);
  for (const Frame& f : {opt, frag, hbh, arp, vlan, padded}) {
    const std::vector<Frame> in = {f, f};
    auto out = coalesce(g, in);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_TRUE(plain(out[0]) && plain(out[1]));
    EXPECT_EQ(out[0].frame, f);
  }
  // Runts and empty frames pass too.
  const std::vector<Frame> tiny = {Frame{}, Frame(13, 0), Frame(40, 0)};
  auto out = coalesce(g, tiny);
  ASSERT_EQ(out.size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(out[i].frame, tiny[i]);
}

TEST(PortGro, MixedBurstKeepsEachFlowInOrder) {
  TapGro g;
  Tcp a, b;
  b.sport = 40001;
  Tcp c6;
  c6.v6 = true;
  std::vector<Frame> in;
  Frame arp(42, 0xff);
  arp[12] = 0x08;
  arp[13] = 0x06;
  // a1 b1 a2 ARP b2 a3 c1 a-FIN b3 a4(after FIN) c2
  auto next = [](Tcp& t) {
    Frame f = make(t);
    t.seq += uint32_t(t.payload);
    ++t.ip_id;
    return f;
  };
  in.push_back(next(a));
  in.push_back(next(b));
  in.push_back(next(a));
  in.push_back(arp);
  in.push_back(next(b));
  in.push_back(next(a));
  in.push_back(next(c6));
  Tcp fin = a;
  fin.flags = 0x11;
  fin.payload = 0;
  in.push_back(make(fin));
  in.push_back(next(b));
  in.push_back(next(a));
  in.push_back(next(c6));
  auto out = coalesce(g, in);
  // a(3) b(3) ARP c(2) FIN a4
  ASSERT_EQ(out.size(), 6u);
  expect_super(out[0], false, 3, 1400);
  expect_super(out[1], false, 3, 1400);
  EXPECT_EQ(be16(&out[1].frame[34]), 40001);
  EXPECT_EQ(out[2].frame, arp);
  expect_super(out[3], true, 2, 1400);
  EXPECT_EQ(out[4].frame[34 + 13], 0x11);
  EXPECT_TRUE(plain(out[5]));
  EXPECT_EQ(be32(&out[5].frame[34 + 4]), 1000u + 3 * 1400);
  // Per flow, the kernel sees exactly the frames given, in order.
  std::vector<Frame> want_a = {in[0], in[2], in[5]}, got_a = resegment(out[0]);
  expect_same_stream(want_a, got_a, false);
  std::vector<Frame> want_b = {in[1], in[4], in[8]};
  expect_same_stream(want_b, resegment(out[1]), false);
  std::vector<Frame> want_c = {in[6], in[10]};
  expect_same_stream(want_c, resegment(out[3]), true);
  EXPECT_EQ(g.frames_of(0), 3u);
  EXPECT_EQ(g.frames_of(2), 1u);
}

TEST(PortGro, BoundedAt64KiB) {
  TapGro g;
  Tcp t;
  t.payload = 2748;  // 2800-byte frames
  const std::vector<Frame> in = run(t, 60);
  auto out = coalesce(g, in);
  size_t frames = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    const size_t ip_len = out[i].frame.size() - 14;
    EXPECT_LE(ip_len, TapGro::kMaxIpLen);
    frames += g.frames_of(i);
  }
  EXPECT_EQ(frames, 60u);
  // 52 bytes of headers + 23 * 2748 = 63,256 <= 65,535 < 52 + 24 * 2748.
  ASSERT_EQ(out.size(), 3u);
  expect_super(out[0], false, 23, 2748);
  expect_super(out[1], false, 23, 2748);
  expect_super(out[2], false, 14, 2748);
  std::vector<Frame> all;
  for (const Out& o : out)
    for (const Frame& f : resegment(o)) all.push_back(f);
  expect_same_stream(in, all, false);
}

TEST(PortGro, ManyFlowsBeyondTheOpenLimitStillGoOutInOrder) {
  TapGro g;
  std::vector<Frame> in;
  const size_t flows = TapGro::kMaxOpen + 10;
  for (int round = 0; round < 2; ++round)
    for (size_t k = 0; k < flows; ++k) {
      Tcp t;
      t.sport = uint16_t(10000 + k);
      t.seq = 1000 + uint32_t(round) * 1400;
      t.ip_id = uint16_t(7 + round);
      in.push_back(make(t));
    }
  auto out = coalesce(g, in);
  size_t frames = 0, supers = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    frames += g.frames_of(i);
    supers += g.frames_of(i) > 1;
  }
  EXPECT_EQ(frames, in.size());
  EXPECT_EQ(supers, TapGro::kMaxOpen);
  // For every flow, its first segment comes out before its second.
  for (size_t k = 0; k < flows; ++k) {
    int first = -1, second = -1;
    for (size_t i = 0; i < out.size(); ++i) {
      if (be16(&out[i].frame[34]) != 10000 + k) continue;
      const uint32_t seq = be32(&out[i].frame[34 + 4]);
      if (seq == 1000) first = int(i);
      if (seq == 2400 || g.frames_of(i) == 2) second = int(i);
    }
    EXPECT_GE(first, 0);
    EXPECT_GE(second, first) << k;
  }
}

}  // namespace
}  // namespace flatnet::control::port
