#include "tools/pktgen/frame.hpp"

#include <arpa/inet.h>

#include <cstdio>
#include <cstring>

#include "dataplane/wire/vl1.hpp"

namespace flatnet::pktgen {

namespace {

namespace w = flatnet::wire;

void put16(uint8_t* p, uint16_t v) { p[0] = uint8_t(v >> 8); p[1] = uint8_t(v); }
void put32(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v >> 24); p[1] = uint8_t(v >> 16); p[2] = uint8_t(v >> 8); p[3] = uint8_t(v);
}
uint16_t get16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
uint32_t get32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}

constexpr size_t kIp = kEthLen;
constexpr size_t kUdp = kEthLen + kIpv4Len;
constexpr size_t kZt = kOuterLen;
constexpr size_t kStamp = kZt + w::kIdxPayload;

}  // namespace

uint16_t ipv4_checksum(const uint8_t* hdr) {
  uint32_t sum = 0;
  for (size_t i = 0; i < kIpv4Len; i += 2) sum += get16(hdr + i);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return uint16_t(~sum);
}

uint32_t build_template(const FrameParams& p, uint8_t* f) {
  const size_t len = frame_len(p);
  // Filler: a byte pattern that is not all zeros, like ciphertext would be.
  for (size_t i = 0; i < len; ++i) f[i] = uint8_t(i * 131 + 7);
  std::memcpy(f, p.dst_mac.data(), 6);
  std::memcpy(f + 6, p.src_mac.data(), 6);
  put16(f + 12, 0x0800);

  uint8_t* ip = f + kIp;
  ip[0] = 0x45;
  ip[1] = 0;
  put16(ip + 2, uint16_t(kIpv4Len + kUdpLen + p.zt_len));
  put16(ip + 4, 0);
  put16(ip + 6, 0x4000);  // DF, as ZeroTier sets it on Linux
  ip[8] = 64;
  ip[9] = 17;
  put16(ip + 10, 0);
  put32(ip + 12, 0);
  put32(ip + 16, p.dst_ip);
  uint32_t ip_sum = 0;
  for (size_t i = 0; i < kIpv4Len; i += 2) ip_sum += get16(ip + i);

  uint8_t* udp = f + kUdp;
  put16(udp + 2, p.dst_port);
  put16(udp + 4, uint16_t(kUdpLen + p.zt_len));
  put16(udp + 6, 0);  // stock ZeroTier sends IPv4 UDP without a checksum

  uint8_t* zt = f + kZt;
  zt[w::kIdxFlags] = 0;
  w::packet_set_cipher(zt, w::Cipher::kSalsa2012Poly1305);
  zt[w::kIdxFlags] = uint8_t((zt[w::kIdxFlags] & ~w::kFlagsHopsMask) | (p.hops & w::kFlagsHopsMask));
  put32(f + kStamp, kStampMagic);
  return ip_sum;
}

// patch_frame() hard-codes these offsets for speed; keep them honest.
static_assert(w::kIdxPacketId == 0 && w::kIdxDest == 8 && w::kIdxSource == 13 &&
              w::kIdxMac == 19 && w::kIdxVerb == 27 && w::kIdxPayload == 28);

RxInfo parse_frame(const uint8_t* f, size_t len) {
  RxInfo r;
  if (len < kEthLen) return r;
  uint16_t type = get16(f + 12);
  if (type == 0x0806) {
    if (len >= kEthLen + 28 && get16(f + kEthLen + 6) == 1) r.kind = RxKind::kArpRequest;
    return r;
  }
  if (type != 0x0800 || len < kOuterLen) return r;
  const uint8_t* ip = f + kIp;
  if ((ip[0] >> 4) != 4 || ip[9] != 17) return r;
  size_t ihl = size_t(ip[0] & 0x0f) * 4;
  if (ihl < kIpv4Len || len < kEthLen + ihl + kUdpLen) return r;
  const uint8_t* udp = ip + ihl;
  const uint8_t* zt = udp + kUdpLen;
  size_t zt_avail = len - size_t(zt - f);
  if (zt_avail < w::kIdxPayload + kStampLen) return r;
  const uint8_t* st = zt + w::kIdxPayload;
  if (get32(st) != kStampMagic) return r;
  r.kind = RxKind::kOurs;
  r.hops = w::packet_hops(zt);
  r.dst_index = get32(st + 4);
  std::memcpy(&r.tsc, st + 8, 8);
  r.outer_dst_ip = get32(ip + 16);
  r.outer_dst_port = get16(udp + 2);
  return r;
}

bool arp_reply_in_place(uint8_t* f, size_t len, const Mac& mac) {
  if (len < kEthLen + 28 || get16(f + 12) != 0x0806) return false;
  uint8_t* a = f + kEthLen;
  if (get16(a) != 1 || get16(a + 2) != 0x0800 || a[4] != 6 || a[5] != 4 || get16(a + 6) != 1)
    return false;
  uint8_t sha[6], spa[4], tpa[4];
  std::memcpy(sha, a + 8, 6);
  std::memcpy(spa, a + 14, 4);
  std::memcpy(tpa, a + 24, 4);
  // We answer for every address: the generator stands in for all synthetic
  // peers and for whatever next hop the data plane resolves.
  put16(a + 6, 2);
  std::memcpy(a + 8, mac.data(), 6);
  std::memcpy(a + 14, tpa, 4);
  std::memcpy(a + 18, sha, 6);
  std::memcpy(a + 24, spa, 4);
  std::memcpy(f, sha, 6);
  std::memcpy(f + 6, mac.data(), 6);
  return true;
}

bool parse_mac(const char* s, Mac& out) {
  unsigned b[6];
  char tail;
  if (std::sscanf(s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &tail) != 6)
    return false;
  for (int i = 0; i < 6; ++i) {
    if (b[i] > 0xff) return false;
    out[size_t(i)] = uint8_t(b[i]);
  }
  return true;
}

bool parse_ipv4(const char* s, uint32_t& out) {
  in_addr a{};
  if (inet_pton(AF_INET, s, &a) != 1) return false;
  out = ntohl(a.s_addr);
  return true;
}

}  // namespace flatnet::pktgen
