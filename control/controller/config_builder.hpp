// The network config one member gets (spec §10.3, §10.5), built from the
// network and member records as stock 1.14.1's controller builds it
// (EmbeddedNetworkController::_request after authorization): COM with the
// credential time window, capabilities and tags signed for the member, the
// compiled rule table, routes, DNS, MTU, multicast limit, broadcast and NDP
// flags, active bridges as specialists, static IPs with their certificate
// of ownership. I/O-free; the caller stores a changed member.
#pragma once

#include <cstdint>
#include <span>

#include "control/controller/ip_assign.hpp"
#include "control/controller/member.hpp"
#include "control/controller/network.hpp"
#include "crypto/identity.hpp"
#include "dataplane/wire/network_config.hpp"

namespace flatnet::control::controller {

// Stock's bounds on the COM time window (certificateTimeoutWindowSize).
inline constexpr int64_t kCredentialWindowDefaultMs = 30 * 60 * 1000;
inline constexpr int64_t kCredentialWindowMinMs = 5 * 60 * 1000;
inline constexpr int64_t kCredentialWindowMaxMs = 2 * 60 * 60 * 1000;

int64_t credential_window_ms(const Network& n);

struct BuildContext {
  const crypto::Identity& controller;  // with its private key
  const crypto::Identity& member;      // the requester's identity
  uint64_t now = 0;                    // ms since the epoch (stamps and the COM)
  bool rules_engine = true;            // metadata "revr" > 0; else accept-all
  bool new_member = false;             // default capabilities go to new members only
  std::span<const uint64_t> active_bridges;  // authorized active bridges of the network
  const IpIndex& ips;
};

// Fills `out`; `m` may gain default tags/capabilities and new addresses
// (*member_changed set). False only when signing fails (no private key).
bool build_config(const Network& n, Member& m, const BuildContext& ctx, wire::NetworkConfig& out,
                  bool* member_changed);

}  // namespace flatnet::control::controller
