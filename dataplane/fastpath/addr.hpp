// Underlay addresses as the fast path keeps them: an IP of either family in
// 16 bytes (IPv4 in the first 4) plus a prefix test. No DPDK types here, so
// the config parser and the tests can use it too.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>

namespace flatnet::fastpath {

enum class Family : uint8_t { kNone = 0, kV4 = 4, kV6 = 6 };

struct IpAddr {
  Family family = Family::kNone;
  uint8_t b[16] = {};

  static IpAddr v4(const uint8_t* p) {
    IpAddr a;
    a.family = Family::kV4;
    std::memcpy(a.b, p, 4);
    return a;
  }
  static IpAddr v6(const uint8_t* p) {
    IpAddr a;
    a.family = Family::kV6;
    std::memcpy(a.b, p, 16);
    return a;
  }
  size_t size() const { return family == Family::kV4 ? 4 : 16; }
  bool valid() const { return family != Family::kNone; }
  bool operator==(const IpAddr& o) const {
    return family == o.family && std::memcmp(b, o.b, 16) == 0;
  }
  bool equals(Family f, const uint8_t* p) const {
    return family == f && std::memcmp(b, p, f == Family::kV4 ? 4 : 16) == 0;
  }
};

// True if the first `bits` bits of a and b agree (same family assumed).
inline bool prefix_match(const IpAddr& a, const IpAddr& b, unsigned bits) {
  unsigned full = bits / 8, rest = bits % 8;
  if (std::memcmp(a.b, b.b, full) != 0) return false;
  if (rest == 0) return true;
  uint8_t mask = uint8_t(0xff << (8 - rest));
  return (a.b[full] & mask) == (b.b[full] & mask);
}

struct Mac {
  uint8_t b[6] = {};
  bool operator==(const Mac& o) const { return std::memcmp(b, o.b, 6) == 0; }
};

// Text forms: "10.0.0.1", "fd00::1", "02:00:00:00:00:01". nullopt on error.
std::optional<IpAddr> parse_ip(const std::string& s);
std::optional<Mac> parse_mac(const std::string& s);
std::string to_string(const IpAddr& a);
std::string to_string(const Mac& m);

}  // namespace flatnet::fastpath
