// IP scope classification. See ip_scope.hpp; ranges from spec §5.1.
#include "control/core/ip_scope.hpp"

namespace flatnet::control {

namespace {

IpScope v4_scope(const uint8_t* ip) {
  const uint8_t a = ip[0], b = ip[1], c = ip[2];
  switch (a) {
    case 0: return IpScope::kNone;
    case 255: return IpScope::kNone;
    case 127: return IpScope::kLoopback;
    case 10: return IpScope::kPrivate;
    // Large /8s once allocated to organisations that do not route them on
    // the Internet; stock treats them as "pseudo-private".
    case 6: case 11: case 21: case 22: case 25: case 26: case 28: case 29: case 30: case 51:
    case 55: case 56:
      return IpScope::kPseudoPrivate;
    default: break;
  }
  if (a >= 224 && a <= 239) return IpScope::kMulticast;
  if (a >= 240) return IpScope::kPseudoPrivate;
  if (a == 169 && b == 254) return IpScope::kLinkLocal;
  if (a == 100 && (b & 0xc0) == 64) return IpScope::kPrivate;        // 100.64/10
  if (a == 172 && (b & 0xf0) == 16) return IpScope::kPrivate;        // 172.16/12
  if (a == 192 && b == 168) return IpScope::kPrivate;
  if (a == 192 && b == 0 && c == 2) return IpScope::kPrivate;        // TEST-NET-1
  if (a == 198 && (b & 0xfe) == 18) return IpScope::kPrivate;        // 198.18/15
  if (a == 198 && b == 51 && c == 100) return IpScope::kPrivate;     // TEST-NET-2
  if (a == 203 && b == 0 && c == 113) return IpScope::kPrivate;      // TEST-NET-3
  return IpScope::kGlobal;
}

IpScope v6_scope(const uint8_t* ip) {
  bool zero_to_14 = true;
  for (int i = 0; i < 15; ++i) zero_to_14 = zero_to_14 && ip[i] == 0;
  if (zero_to_14 && ip[15] == 0) return IpScope::kNone;
  if (zero_to_14 && ip[15] == 1) return IpScope::kLoopback;
  if (ip[0] == 0xff) return IpScope::kMulticast;
  if (ip[0] == 0xfe && (ip[1] & 0xc0) == 0x80) {
    // Stock counts fe80::1 as loopback (some systems put it on lo).
    bool rest_zero = true;
    for (int i = 2; i < 15; ++i) rest_zero = rest_zero && ip[i] == 0;
    return rest_zero && ip[15] == 1 ? IpScope::kLoopback : IpScope::kLinkLocal;
  }
  if ((ip[0] & 0xfe) == 0xfc) return IpScope::kPrivate;  // fc00::/7
  bool mapped = true;  // ::ffff:a.b.c.d
  for (int i = 0; i < 10; ++i) mapped = mapped && ip[i] == 0;
  if (mapped && ip[10] == 0xff && ip[11] == 0xff && ip[12] == 127) return IpScope::kLoopback;
  return IpScope::kGlobal;
}

}  // namespace

IpScope ip_scope(const wire::InetAddress& a) {
  switch (a.family) {
    case wire::InetAddress::Family::kV4: return v4_scope(a.ip.data());
    case wire::InetAddress::Family::kV6: return v6_scope(a.ip.data());
    default: return IpScope::kNone;
  }
}

bool usable_for_paths(const wire::InetAddress& a) {
  switch (ip_scope(a)) {
    case IpScope::kPrivate:
    case IpScope::kPseudoPrivate:
    case IpScope::kShared:
    case IpScope::kGlobal: break;
    default: return false;
  }
  if (a.family == wire::InetAddress::Family::kV6 && a.ip[0] == 0x20 && a.ip[1] == 0x01 &&
      a.ip[2] == 0x04 && a.ip[3] == 0x70)
    return false;  // 2001:470::/32
  return a.port != 0;
}

}  // namespace flatnet::control
