// Which of a network config's addresses and routes go onto the tap, and what
// to change to get there -- pure functions, fed by the member (issue 10)
// with the config's assignedAddresses and routes and the network's
// allowManaged / allowGlobal / allowDefault settings; applied by sync.hpp.
//
// The rules are stock 1.14.1's (OneService checkIfManagedIsAllowed,
// syncManagedStuff, ManagedRoute):
//   - nothing unless allowManaged; with an allowManaged whitelist, only
//     targets inside one of its prefixes (and no wider than it);
//   - a default route (all-zero address, /0) only if allowDefault, and it
//     goes in as its two halves, 0.0.0.0/1 + 128.0.0.0/1 (::/1 + 8000::/1), so
//     it wins over the system's default route without replacing it;
//   - no-scope, multicast, loopback and link-local targets never; global
//     (public) ones only if allowGlobal; private and the rest always;
//   - a route whose gateway is one of our own IPs is skipped (the router
//     does not route through itself), as is one with no IP of its family on
//     the tap, and one the kernel already adds for an assigned address (same
//     prefix, containing it);
//   - routes through a gateway get metric 5000 so they never win over a
//     physical LAN route of the same prefix; a default route through a
//     gateway only while the node is online.
#pragma once

#include <cstdint>
#include <vector>

#include "control/port/route.hpp"
#include "dataplane/wire/inet_address.hpp"

namespace flatnet::control::port {

inline constexpr uint32_t kGatewayRouteMetric = 5000;

struct ManagedSettings {
  bool allow_managed = true;   // stock's defaults for a joined network
  bool allow_global = false;
  bool allow_default = false;
  // allowManaged given as a list of prefixes in <nwid>.local.conf.
  std::vector<wire::InetAddress> allow_managed_whitelist;
};

// As the network config lists a route: target prefix, gateway or null.
struct ConfigRoute {
  wire::InetAddress target;
  wire::InetAddress via;
};

struct DesiredState {
  std::vector<wire::InetAddress> addresses;  // sorted, unique
  std::vector<Route> routes;                 // sorted, unique
};

bool is_default_route(const wire::InetAddress& target);
// True when `ip` lies inside prefix `net` (same family; port = prefix bits).
bool prefix_contains(const wire::InetAddress& net, const wire::InetAddress& ip);
// The prefix with its host bits cleared (the kernel refuses routes without).
wire::InetAddress prefix_of(const wire::InetAddress& a);

bool managed_allowed(const ManagedSettings& s, const wire::InetAddress& target);

// `link_addresses`: what the tap has now (the dump), which with `assigned`
// decides whether a route has a source of its family.
DesiredState desired_state(const ManagedSettings& s, const std::vector<wire::InetAddress>& assigned,
                           const std::vector<ConfigRoute>& routes,
                           const std::vector<wire::InetAddress>& link_addresses, bool online);

struct SyncPlan {
  std::vector<wire::InetAddress> remove_addresses;
  std::vector<wire::InetAddress> add_addresses;
  std::vector<Route> remove_routes;
  std::vector<Route> add_routes;  // on-link routes first, then through gateways
};

// The difference between `desired` and the link's state. Only what flatnet
// put there itself (`applied`, the previous desired state) is ever removed:
// the kernel's own link-local address and routes, and what an administrator
// added, stay. An address present with another prefix length is replaced.
SyncPlan plan_sync(const DesiredState& desired, const DesiredState& applied,
                   const std::vector<wire::InetAddress>& link_addresses,
                   const std::vector<Route>& link_routes);

}  // namespace flatnet::control::port
