// Which addresses a member gets on its network, as stock 1.14.1's
// controller decides (EmbeddedNetworkController::_request; spec §10.10):
// rfc4193 and 6plane addresses derived from the network and member IDs
// (never pooled), then the member's stored ipAssignments that lie inside a
// managed route, then -- only if it has none of that family yet -- one new
// IPv6 and one new IPv4 address from the network's ipAssignmentPools.
//
// IPv4 candidates start at (member address mod range size) and walk up to
// 1,000 of them: never the pool's ipRangeEnd, never an address ending in
// .255, only inside a managed route of more than 0 bits, never one held by
// another member. A new address is appended to the member's ipAssignments
// so the caller persists it. Deviations from stock: docs/controller.md.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "control/controller/member.hpp"
#include "control/controller/network.hpp"
#include "dataplane/wire/network_config.hpp"

namespace flatnet::control::controller {

// The addresses held by the members of one network (stock's allocatedIps),
// kept in memory and updated as member records change.
class IpIndex {
 public:
  bool taken(const std::string& ip) const { return holder_.count(ip) != 0; }
  // Replaces what `address` holds.
  void set_member(uint64_t address, const std::vector<std::string>& ips);
  void remove_member(uint64_t address);
  std::size_t size() const { return holder_.size(); }

 private:
  std::unordered_map<std::string, uint64_t> holder_;         // ip -> member
  std::unordered_map<uint64_t, std::vector<std::string>> held_;  // member -> ips
};

struct Assignment {
  std::vector<wire::InetAddress> static_ips;  // port = prefix bits, stock's order
  bool ndp_emulation = false;                 // rfc4193 or 6plane given
  bool member_changed = false;                // ipAssignments grew; store the member
};

// `routes` are the config's managed routes (already compiled). The caller
// puts a changed member into the store and into `index`.
Assignment assign_ips(const Network& n, Member& m, std::span<const wire::ManagedRoute> routes,
                      const IpIndex& index);

// The stock text of an address without its port ("10.1.2.3", "fd00::1").
std::string ip_string(const wire::InetAddress& a);

}  // namespace flatnet::control::controller
