// Applying a DesiredState to the link. See sync.hpp.
#include "control/port/sync.hpp"

#include <cstring>

namespace flatnet::control::port {

namespace {

std::string describe(const Route& r) {
  std::string s = r.target.to_string();
  if (!r.via.is_null()) {
    wire::InetAddress v = r.via;
    v.port = 0;
    s += " via " + v.to_string();
  }
  return s;
}

void note(SyncResult* res, int rc, const std::string& what, unsigned* counter) {
  if (rc == 0) ++*counter;
  else res->errors.push_back(what + ": " + std::strerror(-rc));
}

}  // namespace

SyncResult sync_link(Netlink& nl, int ifindex, const DesiredState& desired, DesiredState* applied) {
  SyncResult res;
  std::vector<wire::InetAddress> addrs;
  std::vector<Route> routes;
  int rc = nl.address_dump(ifindex, &addrs);
  if (rc == 0) rc = nl.route_dump(ifindex, &routes);
  if (rc != 0) {
    res.errors.push_back(std::string("dump: ") + std::strerror(-rc));
    return res;
  }
  const SyncPlan plan = plan_sync(desired, *applied, addrs, routes);
  for (const auto& r : plan.remove_routes)
    note(&res, nl.route_remove(ifindex, r), "remove route " + describe(r), &res.removed);
  for (const auto& a : plan.remove_addresses)
    note(&res, nl.address_remove(ifindex, a), "remove address " + a.to_string(), &res.removed);
  for (const auto& a : plan.add_addresses)
    note(&res, nl.address_add(ifindex, a), "add address " + a.to_string(), &res.added);
  // plan.add_routes lists on-link routes before gateway routes.
  for (const auto& r : plan.add_routes)
    note(&res, nl.route_add(ifindex, r), "add route " + describe(r), &res.added);
  *applied = desired;
  return res;
}

}  // namespace flatnet::control::port
