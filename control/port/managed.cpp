// Managed addresses and routes: the stock filter and the sync plan. See
// managed.hpp for the rules.
#include "control/port/managed.hpp"

#include <algorithm>

#include "control/core/ip_scope.hpp"

namespace flatnet::control::port {

namespace {

using Family = wire::InetAddress::Family;

unsigned family_bits(const wire::InetAddress& a) {
  return a.family == Family::kV4 ? 32 : a.family == Family::kV6 ? 128 : 0;
}

bool same_ip(const wire::InetAddress& a, const wire::InetAddress& b) {
  return a.family == b.family && a.ip == b.ip;
}

bool contains_address(const std::vector<wire::InetAddress>& v, const wire::InetAddress& a) {
  return std::find(v.begin(), v.end(), a) != v.end();
}

// The halves of a /0: the same prefix at /1, and with its first bit set.
void fork_default(const wire::InetAddress& t, wire::InetAddress* left, wire::InetAddress* right) {
  *left = t;
  left->port = 1;
  *right = t;
  right->port = 1;
  right->ip[0] ^= 0x80;
}

template <typename T>
void sort_unique(std::vector<T>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

}  // namespace

bool is_default_route(const wire::InetAddress& target) {
  if (target.family != Family::kV4 && target.family != Family::kV6) return false;
  for (unsigned i = 0; i < family_bits(target) / 8; ++i)
    if (target.ip[i] != 0) return false;
  return target.port == 0;
}

bool prefix_contains(const wire::InetAddress& net, const wire::InetAddress& ip) {
  if (net.family != ip.family || family_bits(net) == 0) return false;
  const unsigned bits = std::min<unsigned>(net.port, family_bits(net));
  for (unsigned i = 0; i < bits / 8; ++i)
    if (net.ip[i] != ip.ip[i]) return false;
  if (bits % 8 != 0) {
    const uint8_t mask = uint8_t(0xff << (8 - bits % 8));
    if ((net.ip[bits / 8] & mask) != (ip.ip[bits / 8] & mask)) return false;
  }
  return true;
}

wire::InetAddress prefix_of(const wire::InetAddress& a) {
  wire::InetAddress p = a;
  const unsigned total = family_bits(a);
  const unsigned bits = std::min<unsigned>(a.port, total);
  for (unsigned i = 0; i < total / 8; ++i) {
    if (i * 8 >= bits) p.ip[i] = 0;
    else if (i * 8 + 8 > bits) p.ip[i] &= uint8_t(0xff << (8 - (bits - i * 8)));
  }
  return p;
}

bool managed_allowed(const ManagedSettings& s, const wire::InetAddress& target) {
  if (!s.allow_managed) return false;
  if (!s.allow_managed_whitelist.empty()) {
    bool inside = false;
    for (const auto& w : s.allow_managed_whitelist)
      inside = inside || (prefix_contains(w, target) && w.port <= target.port);
    if (!inside) return false;
  }
  if (is_default_route(target)) return s.allow_default;
  switch (ip_scope(target)) {
    case IpScope::kNone:
    case IpScope::kMulticast:
    case IpScope::kLoopback:
    case IpScope::kLinkLocal: return false;
    case IpScope::kGlobal: return s.allow_global;
    default: return true;
  }
}

DesiredState desired_state(const ManagedSettings& s, const std::vector<wire::InetAddress>& assigned,
                           const std::vector<ConfigRoute>& routes,
                           const std::vector<wire::InetAddress>& link_addresses, bool online) {
  DesiredState d;
  for (const auto& a : assigned)
    if (managed_allowed(s, a)) d.addresses.push_back(a);
  sort_unique(d.addresses);

  // Our IPs: on the tap now, plus every assigned one (allowed or not), as
  // stock counts them.
  std::vector<wire::InetAddress> mine = link_addresses;
  mine.insert(mine.end(), assigned.begin(), assigned.end());

  for (const auto& r : routes) {
    if (!managed_allowed(s, r.target)) continue;
    if (r.via.family == r.target.family &&
        std::any_of(mine.begin(), mine.end(), [&](const auto& m) { return same_ip(m, r.via); }))
      continue;
    if (std::none_of(mine.begin(), mine.end(),
                     [&](const auto& m) { return m.family == r.target.family; }))
      continue;
    const bool implied = std::any_of(d.addresses.begin(), d.addresses.end(), [&](const auto& a) {
      return a.port == r.target.port && prefix_contains(r.target, a);
    });
    if (implied) continue;
    const bool gateway = !r.via.is_null();
    if (gateway && is_default_route(r.target) && !online) continue;

    wire::InetAddress via = r.via;
    via.port = 0;
    const uint32_t metric = gateway ? kGatewayRouteMetric : 0;
    const wire::InetAddress target = prefix_of(r.target);
    if (target.port == 0) {
      wire::InetAddress left, right;
      fork_default(target, &left, &right);
      d.routes.push_back(Route{left, via, metric});
      d.routes.push_back(Route{right, via, metric});
    } else {
      d.routes.push_back(Route{target, via, metric});
    }
  }
  sort_unique(d.routes);
  return d;
}

SyncPlan plan_sync(const DesiredState& desired, const DesiredState& applied,
                   const std::vector<wire::InetAddress>& link_addresses,
                   const std::vector<Route>& link_routes) {
  SyncPlan p;
  for (const auto& a : applied.addresses)
    if (!contains_address(desired.addresses, a) && contains_address(link_addresses, a))
      p.remove_addresses.push_back(a);
  for (const auto& a : desired.addresses) {
    if (contains_address(link_addresses, a)) continue;
    for (const auto& l : link_addresses)
      if (same_ip(l, a) && !contains_address(p.remove_addresses, l)) p.remove_addresses.push_back(l);
    p.add_addresses.push_back(a);
  }

  auto on_link = [&](const Route& r) {
    return std::any_of(link_routes.begin(), link_routes.end(),
                       [&](const Route& l) { return l.same_as(r); });
  };
  auto in = [](const std::vector<Route>& v, const Route& r) {
    return std::any_of(v.begin(), v.end(), [&](const Route& x) { return x.same_as(r); });
  };
  for (const auto& r : applied.routes)
    if (!in(desired.routes, r) && on_link(r)) p.remove_routes.push_back(r);
  for (const auto& r : desired.routes)
    if (!on_link(r)) p.add_routes.push_back(r);
  // On-link routes first: a gateway must be reachable before a route
  // through it is accepted.
  std::stable_partition(p.add_routes.begin(), p.add_routes.end(),
                        [](const Route& r) { return r.via.is_null(); });
  return p;
}

}  // namespace flatnet::control::port
