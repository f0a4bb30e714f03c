// Brings the tap's addresses and routes to a desired state (managed.hpp)
// through netlink, changing only the difference. The caller keeps what was
// applied last time and passes it back in, so only flatnet's own addresses
// and routes are ever removed.
#pragma once

#include <string>
#include <vector>

#include "control/port/managed.hpp"
#include "control/port/netlink.hpp"

namespace flatnet::control::port {

struct SyncResult {
  unsigned added = 0;    // addresses + routes
  unsigned removed = 0;
  // One line per change the kernel refused ("add route 10.1.0.0/16 via
  // 10.99.0.1: Network is unreachable"); the rest is still applied.
  std::vector<std::string> errors;
};

// Dumps the link, plans (plan_sync) and applies: routes removed, addresses
// removed, addresses added, on-link routes added, gateway routes added.
// *applied becomes `desired` (what is now ours), whatever failed.
SyncResult sync_link(Netlink& nl, int ifindex, const DesiredState& desired, DesiredState* applied);

}  // namespace flatnet::control::port
