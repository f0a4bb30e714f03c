// Member MACs and ZeroTier-derived IPv6 addresses. See addressing.hpp; the
// byte layouts are spec §5.2 and §5.5.
#include "control/port/addressing.hpp"

#include <cstdio>

namespace flatnet::control::port {

uint8_t first_octet_for_network(uint64_t nwid) {
  const uint8_t f = uint8_t((nwid & 0xfe) | 0x02);
  return f == 0x52 ? 0x32 : f;
}

Mac member_mac(uint64_t address, uint64_t nwid) {
  Mac m = Mac(first_octet_for_network(nwid)) << 40;
  // Address byte i (most significant first) is XORed with network id byte
  // i + 1 counted from the least significant end.
  for (int i = 0; i < 5; ++i) {
    const uint8_t a = uint8_t(address >> (8 * (4 - i)));
    const uint8_t n = uint8_t(nwid >> (8 * (i + 1)));
    m |= Mac(uint8_t(a ^ n)) << (8 * (4 - i));
  }
  return m;
}

uint64_t mac_to_address(Mac mac, uint64_t nwid) {
  uint64_t a = 0;
  for (int i = 0; i < 5; ++i) {
    const uint8_t m = uint8_t(mac >> (8 * (4 - i)));
    const uint8_t n = uint8_t(nwid >> (8 * (i + 1)));
    a |= uint64_t(uint8_t(m ^ n)) << (8 * (4 - i));
  }
  return a;
}

bool is_member_mac(Mac mac, uint64_t nwid) {
  return uint8_t(mac >> 40) == first_octet_for_network(nwid);
}

std::array<uint8_t, 6> mac_bytes(Mac mac) {
  std::array<uint8_t, 6> b{};
  for (int i = 0; i < 6; ++i) b[i] = uint8_t(mac >> (8 * (5 - i)));
  return b;
}

Mac mac_from_bytes(const uint8_t b[6]) {
  Mac m = 0;
  for (int i = 0; i < 6; ++i) m = (m << 8) | b[i];
  return m;
}

std::string mac_string(Mac mac) {
  const auto b = mac_bytes(mac);
  char s[18];
  std::snprintf(s, sizeof s, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5]);
  return s;
}

std::optional<Mac> parse_mac(std::string_view s) {
  if (s.size() != 17) return std::nullopt;
  Mac m = 0;
  for (size_t i = 0; i < 17; ++i) {
    const char c = s[i];
    if (i % 3 == 2) {
      if (c != ':') return std::nullopt;
      continue;
    }
    int v;
    if (c >= '0' && c <= '9') v = c - '0';
    else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    else return std::nullopt;
    m = (m << 4) | Mac(v);
  }
  return m;
}

wire::InetAddress rfc4193_address(uint64_t nwid, uint64_t address) {
  uint8_t ip[16];
  ip[0] = 0xfd;
  for (int i = 0; i < 8; ++i) ip[1 + i] = uint8_t(nwid >> (8 * (7 - i)));
  ip[9] = 0x99;
  ip[10] = 0x93;
  for (int i = 0; i < 5; ++i) ip[11 + i] = uint8_t(address >> (8 * (4 - i)));
  return wire::InetAddress::v6(ip, 88);
}

wire::InetAddress sixplane_address(uint64_t nwid, uint64_t address) {
  const uint32_t folded = uint32_t(nwid ^ (nwid >> 32));
  uint8_t ip[16] = {};
  ip[0] = 0xfc;
  for (int i = 0; i < 4; ++i) ip[1 + i] = uint8_t(folded >> (8 * (3 - i)));
  for (int i = 0; i < 5; ++i) ip[5 + i] = uint8_t(address >> (8 * (4 - i)));
  ip[15] = 0x01;
  return wire::InetAddress::v6(ip, 40);
}

}  // namespace flatnet::control::port
