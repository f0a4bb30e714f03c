// IP scope classification (spec §5.1, stock InetAddress::ipScope) and the
// "may this address carry ZeroTier traffic" rule (spec §8.5). Used to pick
// the addresses a RENDEZVOUS names (§7.3) and to refuse unusable ones.
//
// Kept here, not in dataplane/wire, because only control decisions use it;
// it is a pure function of an InetAddress.
#pragma once

#include <cstdint>

#include "dataplane/wire/inet_address.hpp"

namespace flatnet::control {

enum class IpScope : uint8_t {
  kNone = 0,
  kMulticast = 1,
  kLoopback = 2,
  kPseudoPrivate = 3,
  kGlobal = 4,
  kLinkLocal = 5,
  kShared = 6,
  kPrivate = 7,
};

IpScope ip_scope(const wire::InetAddress& a);

// IPv4/IPv6 of scope private, pseudo-private, shared or global, and not in
// 2001:470::/32 (tunnel broker space stock refuses). The per-network and
// blacklist rules of §8.5 belong to the glue.
bool usable_for_paths(const wire::InetAddress& a);

}  // namespace flatnet::control
