// Real Ethernet frames for the VL2 tests: ARP, IPv4 TCP SYN, UDP, ICMP
// echo, IPv6 TCP and an 802.1Q-tagged IPv4 UDP frame.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "control/vl2/frame_view.hpp"

namespace flatnet::vl2::test {

inline constexpr Mac kMacA{0x32, 0x11, 0x22, 0x33, 0x44, 0x55};
inline constexpr Mac kMacB{0x32, 0x66, 0x77, 0x88, 0x99, 0xaa};
inline constexpr Mac kMacBroadcast{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
inline constexpr Mac kMacMulticast6{0x33, 0x33, 0xff, 0x00, 0x00, 0x02};

inline std::vector<uint8_t> eth(const Mac& dst, const Mac& src, uint16_t type,
                                const std::vector<uint8_t>& payload) {
  std::vector<uint8_t> f(dst.begin(), dst.end());
  f.insert(f.end(), src.begin(), src.end());
  f.push_back(uint8_t(type >> 8));
  f.push_back(uint8_t(type));
  f.insert(f.end(), payload.begin(), payload.end());
  return f;
}

// IPv4 header (no options) 10.1.2.3 -> 10.1.2.4 with `proto`, TOS 0x10.
inline std::vector<uint8_t> ipv4(uint8_t proto, const std::vector<uint8_t>& l4, uint8_t tos = 0x10) {
  const uint16_t len = uint16_t(20 + l4.size());
  std::vector<uint8_t> p{0x45, tos, uint8_t(len >> 8), uint8_t(len), 0x12, 0x34, 0x40, 0x00,
                         64, proto, 0, 0, 10, 1, 2, 3, 10, 1, 2, 4};
  // resize + copy rather than insert: GCC 12 warns falsely on the latter.
  p.resize(20 + l4.size());
  std::copy(l4.begin(), l4.end(), p.begin() + 20);
  return p;
}

inline std::vector<uint8_t> tcp(uint16_t sport, uint16_t dport, uint8_t flags) {
  return {uint8_t(sport >> 8), uint8_t(sport), uint8_t(dport >> 8), uint8_t(dport),
          0, 0, 0, 1, 0, 0, 0, 0, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0};
}
inline std::vector<uint8_t> udp(uint16_t sport, uint16_t dport) {
  return {uint8_t(sport >> 8), uint8_t(sport), uint8_t(dport >> 8), uint8_t(dport),
          0, 12, 0, 0, 'p', 'i', 'n', 'g'};
}

inline std::vector<uint8_t> arp_request() {
  std::vector<uint8_t> p{0, 1, 8, 0, 6, 4, 0, 1};
  p.insert(p.end(), kMacA.begin(), kMacA.end());
  p.insert(p.end(), {10, 1, 2, 3, 0, 0, 0, 0, 0, 0, 10, 1, 2, 4});
  return eth(kMacBroadcast, kMacA, kEthertypeArp, p);
}
inline std::vector<uint8_t> tcp_syn_22() {
  return eth(kMacB, kMacA, kEthertypeIpv4, ipv4(6, tcp(40000, 22, 0x02)));
}
inline std::vector<uint8_t> udp_dns() {
  return eth(kMacB, kMacA, kEthertypeIpv4, ipv4(17, udp(5353, 53)));
}
inline std::vector<uint8_t> icmp_echo() {
  return eth(kMacB, kMacA, kEthertypeIpv4,
             ipv4(1, {8, 0, 0, 0, 0, 1, 0, 1, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'}));
}
// fd00::1 -> fd00::2, traffic class 0xb8, TCP SYN|ACK 443 -> 50000.
inline std::vector<uint8_t> ipv6_tcp() {
  const auto l4 = tcp(443, 50000, 0x12);
  std::vector<uint8_t> p{0x6b, 0x80, 0, 0, 0, uint8_t(l4.size()), 6, 64};
  std::vector<uint8_t> a(16, 0), b(16, 0);
  a[0] = b[0] = 0xfd;
  a[15] = 1;
  b[15] = 2;
  p.insert(p.end(), a.begin(), a.end());
  p.insert(p.end(), b.begin(), b.end());
  p.insert(p.end(), l4.begin(), l4.end());
  return eth(kMacB, kMacA, kEthertypeIpv6, p);
}
// An IPv6 neighbor solicitation (ICMPv6 135) to a solicited-node group.
inline std::vector<uint8_t> ipv6_ns() {
  std::vector<uint8_t> p{0x60, 0, 0, 0, 0, 24, 0x3a, 255};
  std::vector<uint8_t> a(16, 0), b(16, 0);
  b[0] = 0xff;
  b[1] = 0x02;
  b[15] = 2;
  p.insert(p.end(), a.begin(), a.end());
  p.insert(p.end(), b.begin(), b.end());
  p.insert(p.end(), {0x87, 0, 0, 0, 0, 0, 0, 0, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2});
  return eth(kMacMulticast6, kMacA, kEthertypeIpv6, p);
}
// 802.1Q PCP 5, DEI 1, VLAN 100 around an IPv4 UDP datagram.
inline std::vector<uint8_t> vlan_udp() {
  auto inner = ipv4(17, udp(1000, 2000));
  std::vector<uint8_t> p{0xb0, 100, 0x08, 0x00};
  p.insert(p.end(), inner.begin(), inner.end());
  return eth(kMacB, kMacA, kEthertypeVlan, p);
}

}  // namespace flatnet::vl2::test
