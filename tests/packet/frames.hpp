// Frame builders for the packet fixtures: plain byte vectors built field by
// field with their own checksum code, independent of the DPDK helpers the
// data plane uses, so a fixture checks the data plane against RFC layouts.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace flatnet::test {

using Bytes = std::vector<uint8_t>;

struct MacA { uint8_t b[6]; };
struct Ip4 { uint8_t b[4]; };
struct Ip6 { uint8_t b[16]; };

inline void put16(Bytes& v, uint16_t x) { v.push_back(uint8_t(x >> 8)); v.push_back(uint8_t(x)); }
inline void put(Bytes& v, const uint8_t* p, size_t n) { v.insert(v.end(), p, p + n); }
inline uint16_t get16(const Bytes& v, size_t at) { return uint16_t(v[at] << 8 | v[at + 1]); }

// RFC 1071 sum over a byte span, not folded.
inline uint32_t sum16(const uint8_t* p, size_t n, uint32_t s = 0) {
  for (size_t i = 0; i + 1 < n; i += 2) s += uint32_t(p[i]) << 8 | p[i + 1];
  if (n & 1) s += uint32_t(p[n - 1]) << 8;
  return s;
}
inline uint16_t fold(uint32_t s) {
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return uint16_t(s);
}

inline Bytes eth(const MacA& dst, const MacA& src, uint16_t type) {
  Bytes v;
  put(v, dst.b, 6);
  put(v, src.b, 6);
  put16(v, type);
  return v;
}

// IPv4 header (20 bytes, checksum filled) for an L4 payload of l4len bytes.
inline Bytes ip4(const Ip4& src, const Ip4& dst, uint8_t proto, size_t l4len, uint16_t id = 0,
                 uint16_t frag = 0x4000, uint8_t ttl = 64) {
  Bytes v = {0x45, 0};
  put16(v, uint16_t(20 + l4len));
  put16(v, id);
  put16(v, frag);
  v.push_back(ttl);
  v.push_back(proto);
  put16(v, 0);
  put(v, src.b, 4);
  put(v, dst.b, 4);
  uint16_t ck = uint16_t(~fold(sum16(v.data(), 20)));
  v[10] = uint8_t(ck >> 8);
  v[11] = uint8_t(ck);
  return v;
}

inline Bytes ip6(const Ip6& src, const Ip6& dst, uint8_t next, size_t l4len, uint8_t hops = 64) {
  Bytes v = {0x60, 0, 0, 0};
  put16(v, uint16_t(l4len));
  v.push_back(next);
  v.push_back(hops);
  put(v, src.b, 16);
  put(v, dst.b, 16);
  return v;
}

// Checksum of an L4 segment over IPv6 (pseudo-header RFC 8200 8.1).
inline uint16_t l4_csum6(const Ip6& src, const Ip6& dst, uint8_t next, const Bytes& seg) {
  uint32_t s = sum16(src.b, 16);
  s = sum16(dst.b, 16, s);
  s += uint32_t(seg.size());
  s += next;
  s = sum16(seg.data(), seg.size(), s);
  return uint16_t(~fold(s));
}
inline uint16_t l4_csum4(const Ip4& src, const Ip4& dst, uint8_t proto, const Bytes& seg) {
  uint32_t s = sum16(src.b, 4);
  s = sum16(dst.b, 4, s);
  s += uint32_t(seg.size());
  s += proto;
  s = sum16(seg.data(), seg.size(), s);
  return uint16_t(~fold(s));
}

inline Bytes udp(uint16_t sport, uint16_t dport, const Bytes& payload) {
  Bytes v;
  put16(v, sport);
  put16(v, dport);
  put16(v, uint16_t(8 + payload.size()));
  put16(v, 0);
  v.insert(v.end(), payload.begin(), payload.end());
  return v;
}

inline Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes v;
  for (const auto& p : parts) v.insert(v.end(), p.begin(), p.end());
  return v;
}

// Whole frames.
inline Bytes udp4_frame(const MacA& dmac, const MacA& smac, const Ip4& s, const Ip4& d,
                        uint16_t sport, uint16_t dport, const Bytes& payload, bool csum = false) {
  Bytes u = udp(sport, dport, payload);
  if (csum) {
    uint16_t ck = l4_csum4(s, d, 17, u);
    if (ck == 0) ck = 0xffff;
    u[6] = uint8_t(ck >> 8);
    u[7] = uint8_t(ck);
  }
  return cat({eth(dmac, smac, 0x0800), ip4(s, d, 17, u.size()), u});
}

inline Bytes udp6_frame(const MacA& dmac, const MacA& smac, const Ip6& s, const Ip6& d,
                        uint16_t sport, uint16_t dport, const Bytes& payload, bool csum = true) {
  Bytes u = udp(sport, dport, payload);
  if (csum) {
    uint16_t ck = l4_csum6(s, d, 17, u);
    if (ck == 0) ck = 0xffff;
    u[6] = uint8_t(ck >> 8);
    u[7] = uint8_t(ck);
  }
  return cat({eth(dmac, smac, 0x86dd), ip6(s, d, 17, u.size()), u});
}

// A VL1 packet head (28-byte header + body) with the given hop count.
inline Bytes vl1_packet(uint64_t dst, uint64_t src, unsigned hops, size_t body = 60,
                        uint8_t cipher = 1) {
  Bytes v(28 + body);
  for (int i = 0; i < 8; ++i) v[i] = uint8_t(0xa0 + i);  // packet id
  for (int i = 0; i < 5; ++i) v[8 + i] = uint8_t(dst >> (32 - 8 * i));
  for (int i = 0; i < 5; ++i) v[13 + i] = uint8_t(src >> (32 - 8 * i));
  v[18] = uint8_t((cipher == 1 ? 0x80 : 0) | (cipher << 3) | (hops & 7));
  for (int i = 19; i < 27; ++i) v[i] = 0x5a;  // MAC: a relay never checks it
  v[27] = 0x06;
  for (size_t i = 28; i < v.size(); ++i) v[i] = uint8_t(i * 7);
  return v;
}

inline Bytes vl1_fragment(uint64_t dst, unsigned total, unsigned no, unsigned hops,
                          size_t body = 40) {
  Bytes v(16 + body);
  for (int i = 0; i < 8; ++i) v[i] = uint8_t(0xb0 + i);
  for (int i = 0; i < 5; ++i) v[8 + i] = uint8_t(dst >> (32 - 8 * i));
  v[13] = 0xff;
  v[14] = uint8_t(total << 4 | no);
  v[15] = uint8_t(hops & 7);
  for (size_t i = 16; i < v.size(); ++i) v[i] = uint8_t(i * 3);
  return v;
}

inline Bytes arp_frame(const MacA& dmac, const MacA& smac, uint16_t op, const MacA& sha,
                       const Ip4& spa, const MacA& tha, const Ip4& tpa, size_t pad_to = 0) {
  Bytes v = eth(dmac, smac, 0x0806);
  put16(v, 1);
  put16(v, 0x0800);
  v.push_back(6);
  v.push_back(4);
  put16(v, op);
  put(v, sha.b, 6);
  put(v, spa.b, 4);
  put(v, tha.b, 6);
  put(v, tpa.b, 4);
  if (v.size() < pad_to) v.resize(pad_to, 0);
  return v;
}

inline Bytes icmp4_echo(uint8_t type, uint16_t id, uint16_t seq, size_t data = 16) {
  Bytes v = {type, 0, 0, 0};
  put16(v, id);
  put16(v, seq);
  for (size_t i = 0; i < data; ++i) v.push_back(uint8_t(i));
  uint16_t ck = uint16_t(~fold(sum16(v.data(), v.size())));
  v[2] = uint8_t(ck >> 8);
  v[3] = uint8_t(ck);
  return v;
}

// ICMPv6 message with its checksum filled in.
inline Bytes icmp6(const Ip6& s, const Ip6& d, Bytes msg) {
  msg[2] = msg[3] = 0;
  uint16_t ck = l4_csum6(s, d, 58, msg);
  msg[2] = uint8_t(ck >> 8);
  msg[3] = uint8_t(ck);
  return msg;
}

inline Bytes nd_msg(uint8_t type, uint8_t flags, const Ip6& target, uint8_t opt_type,
                    const MacA* ll) {
  Bytes v = {type, 0, 0, 0, flags, 0, 0, 0};
  put(v, target.b, 16);
  if (ll) {
    v.push_back(opt_type);
    v.push_back(1);
    put(v, ll->b, 6);
  }
  return v;
}

}  // namespace flatnet::test
