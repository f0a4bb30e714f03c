// Underlay addresses as the fast path keeps them: an IP of either family in
// 16 bytes (IPv4 in the first 4) plus a prefix test. No DPDK types here, so
// the config parser and the tests can use it too.
//
// Why the fast path keeps its own compact form instead of wire::InetAddress,
// the IP:port type of everything else (docs/architecture.md, "Vocabulary"):
// IpAddr is an IP *without* a port -- the neighbour table's key, the
// gateway and own addresses, the prefix test, the policer's source key, the
// next-hop cache -- and is compared per packet with inline fixed-width loads
// (below). InetAddress always carries a port (or prefix bits), and its
// equality and text forms are out of line in the flatnet_wire library,
// which the fast path does not link (dataplane/wire/README.md). The one
// IP:port of the fast path, PathView (worker.hpp), never leaves the data
// plane: it is filled by the peer table's lookup and read by the relay and
// inject. The layouts cost the same (PathView 22 bytes, {InetAddress,
// tx_port} also 22; PktMeta stays 56 either way), so the choice is not
// about speed but about not giving IP-only keys a port and not mixing two
// Family enums in the relay's per-packet compares. The conversions between
// these forms and the ABI's flatnet_ipc_phys_addr exist once, in
// dataplane/runtime/control_bridge.hpp (to_phys, from_phys, same_path);
// InetAddress <-> ABI is dataplane/ipc/phys_addr.hpp.
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
    a.set_v4(p);
    return a;
  }
  // Written as two 8-byte stores so the 8-byte loads of operator== can be
  // forwarded from them (a 4-byte store then a wider load stalls).
  void set_v4(const uint8_t* p) {
    uint32_t x;
    std::memcpy(&x, p, 4);
    uint64_t lo = x, hi = 0;
    family = Family::kV4;
    std::memcpy(b, &lo, 8);
    std::memcpy(b + 8, &hi, 8);
  }
  static IpAddr v6(const uint8_t* p) {
    IpAddr a;
    a.family = Family::kV6;
    std::memcpy(a.b, p, 16);
    return a;
  }
  size_t size() const { return family == Family::kV4 ? 4 : 16; }
  bool valid() const { return family != Family::kNone; }
  // Fixed-size loads instead of memcmp calls: these run per packet.
  bool operator==(const IpAddr& o) const {
    uint64_t a0, a1, b0, b1;
    std::memcpy(&a0, b, 8);
    std::memcpy(&a1, b + 8, 8);
    std::memcpy(&b0, o.b, 8);
    std::memcpy(&b1, o.b + 8, 8);
    return family == o.family && ((a0 ^ b0) | (a1 ^ b1)) == 0;
  }
  bool equals(Family f, const uint8_t* p) const {
    if (family != f) return false;
    if (f == Family::kV4) {
      uint32_t x, y;
      std::memcpy(&x, b, 4);
      std::memcpy(&y, p, 4);
      return x == y;
    }
    uint64_t a0, a1, b0, b1;
    std::memcpy(&a0, b, 8);
    std::memcpy(&a1, b + 8, 8);
    std::memcpy(&b0, p, 8);
    std::memcpy(&b1, p + 8, 8);
    return ((a0 ^ b0) | (a1 ^ b1)) == 0;
  }
};

// True if the first `bits` bits of a and b agree (same family assumed).
inline bool prefix_match(const IpAddr& a, const IpAddr& b, unsigned bits) {
  if (a.family == Family::kV4 && bits <= 32) {  // the common case, without a memcmp call
    uint32_t x, y;
    std::memcpy(&x, a.b, 4);
    std::memcpy(&y, b.b, 4);
    uint32_t mask = bits == 0 ? 0 : ~uint32_t(0) << (32 - bits);
    return ((__builtin_bswap32(x) ^ __builtin_bswap32(y)) & mask) == 0;
  }
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
