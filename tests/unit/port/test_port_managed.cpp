// The managed-address filter (allowManaged / allowGlobal / allowDefault, as
// stock 1.14.1 applies them), the desired state it yields, and the sync
// plan's difference against what the link has.
#include <gtest/gtest.h>

#include <algorithm>

#include "control/port/managed.hpp"

namespace flatnet::control::port {
namespace {

wire::InetAddress A(const char* s) {
  auto a = wire::InetAddress::from_string(s);
  EXPECT_TRUE(a.has_value()) << s;
  return a.value_or(wire::InetAddress{});
}

ManagedSettings settings(bool managed, bool global, bool dflt) {
  ManagedSettings s;
  s.allow_managed = managed;
  s.allow_global = global;
  s.allow_default = dflt;
  return s;
}

TEST(PortManaged, FilterByScope) {
  const auto s = settings(true, false, false);
  EXPECT_TRUE(managed_allowed(s, A("10.99.100.11/24")));
  EXPECT_TRUE(managed_allowed(s, A("fd80:56c2:e21c:0:199:9336:885e:5e08/88")));
  EXPECT_TRUE(managed_allowed(s, A("11.0.0.1/8")));     // pseudo-private
  EXPECT_FALSE(managed_allowed(s, A("8.8.8.8/32")));    // global
  EXPECT_FALSE(managed_allowed(s, A("2001:db8::1/64")));
  EXPECT_FALSE(managed_allowed(s, A("0.0.0.0/0")));     // default
  EXPECT_FALSE(managed_allowed(s, A("::/0")));
  EXPECT_FALSE(managed_allowed(s, A("127.0.0.1/8")));   // never
  EXPECT_FALSE(managed_allowed(s, A("224.0.0.1/4")));
  EXPECT_FALSE(managed_allowed(s, A("169.254.1.1/16")));
  EXPECT_FALSE(managed_allowed(s, A("fe80::1:2/64")));

  const auto g = settings(true, true, false);
  EXPECT_TRUE(managed_allowed(g, A("8.8.8.8/32")));
  EXPECT_FALSE(managed_allowed(g, A("0.0.0.0/0")));

  const auto d = settings(true, false, true);
  EXPECT_TRUE(managed_allowed(d, A("0.0.0.0/0")));
  EXPECT_TRUE(managed_allowed(d, A("::/0")));
  EXPECT_FALSE(managed_allowed(d, A("8.8.8.8/32")));

  const auto off = settings(false, true, true);
  EXPECT_FALSE(managed_allowed(off, A("10.99.100.11/24")));
  EXPECT_FALSE(managed_allowed(off, A("0.0.0.0/0")));
}

TEST(PortManaged, Whitelist) {
  auto s = settings(true, false, false);
  s.allow_managed_whitelist = {A("10.99.0.0/16")};
  EXPECT_TRUE(managed_allowed(s, A("10.99.100.11/24")));
  EXPECT_FALSE(managed_allowed(s, A("10.98.0.1/24")));
  EXPECT_FALSE(managed_allowed(s, A("10.0.0.0/8")));  // wider than the whitelist entry
}

TEST(PortManaged, PrefixHelpers) {
  EXPECT_TRUE(prefix_contains(A("10.99.100.0/24"), A("10.99.100.11/24")));
  EXPECT_FALSE(prefix_contains(A("10.99.100.0/24"), A("10.99.101.11/24")));
  EXPECT_TRUE(prefix_contains(A("10.99.96.0/20"), A("10.99.111.1/32")));
  EXPECT_FALSE(prefix_contains(A("10.99.96.0/20"), A("10.99.112.1/32")));
  EXPECT_FALSE(prefix_contains(A("::/0"), A("10.0.0.1/32")));
  EXPECT_EQ(prefix_of(A("10.99.100.11/20")).to_string(), "10.99.96.0/20");
  EXPECT_EQ(prefix_of(A("fd00:1:2:3::9/50")).to_string(), "fd00:1:2::/50");
  EXPECT_TRUE(is_default_route(A("0.0.0.0/0")));
  EXPECT_FALSE(is_default_route(A("10.0.0.0/0")));
  EXPECT_FALSE(is_default_route(A("0.0.0.0/1")));
}

TEST(PortManaged, TestnetConfig) {
  // listnetworks-a.json of the stock testnet: one address, its own /24.
  const auto d = desired_state(settings(true, false, false), {A("10.99.100.11/24")},
                               {{A("10.99.100.0/24"), {}}}, {}, true);
  ASSERT_EQ(d.addresses.size(), 1u);
  EXPECT_EQ(d.addresses[0].to_string(), "10.99.100.11/24");
  EXPECT_TRUE(d.routes.empty()) << "the kernel adds the /24 with the address";
}

TEST(PortManaged, RoutesAndDefaultSplit) {
  const std::vector<wire::InetAddress> assigned = {A("10.99.100.11/24"), A("fd00::11/64"),
                                                   A("8.8.4.4/32")};
  const std::vector<ConfigRoute> routes = {
      {A("10.99.100.0/24"), {}},                 // implied by the address
      {A("10.200.0.0/16"), A("10.99.100.1")},    // through a gateway
      {A("10.201.0.0/16"), {}},                  // on-link
      {A("10.202.0.0/16"), A("10.99.100.11")},   // via ourselves: skipped
      {A("0.0.0.0/0"), A("10.99.100.1")},        // default
      {A("::/0"), A("fd00::1")},
      {A("1.2.3.0/24"), A("10.99.100.1")},       // global target
      {A("10.210.0.9/16"), {}},                  // host bits set: masked
  };
  // Without allowDefault/allowGlobal.
  auto d = desired_state(settings(true, false, false), assigned, routes, {}, true);
  ASSERT_EQ(d.addresses.size(), 2u);  // 8.8.4.4 is global
  std::vector<std::string> got;
  for (const auto& r : d.routes)
    got.push_back(r.target.to_string() + (r.via.is_null() ? "" : " via " + r.via.to_string()) +
                  " m" + std::to_string(r.metric));
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::string>{"10.200.0.0/16 via 10.99.100.1/0 m5000",
                                           "10.201.0.0/16 m0", "10.210.0.0/16 m0"}));

  // With allowDefault: the two halves of each default route.
  d = desired_state(settings(true, false, true), assigned, routes, {}, true);
  got.clear();
  for (const auto& r : d.routes) got.push_back(r.target.to_string());
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::string>{"0.0.0.0/1", "10.200.0.0/16", "10.201.0.0/16",
                                           "10.210.0.0/16", "128.0.0.0/1", "8000::/1", "::/1"}));

  // Offline: no default route through a gateway yet (stock waits for online).
  d = desired_state(settings(true, false, true), assigned, routes, {}, false);
  for (const auto& r : d.routes) EXPECT_NE(r.target.port, 1) << r.target.to_string();

  // No IPv6 address at all: IPv6 routes have no source and are skipped.
  d = desired_state(settings(true, false, true), {A("10.99.100.11/24")}, routes, {}, true);
  for (const auto& r : d.routes)
    EXPECT_EQ(r.target.family, wire::InetAddress::Family::kV4) << r.target.to_string();

  // allowManaged off: nothing at all.
  d = desired_state(settings(false, true, true), assigned, routes, {}, true);
  EXPECT_TRUE(d.addresses.empty());
  EXPECT_TRUE(d.routes.empty());
}

TEST(PortManaged, PlanChangesOnlyTheDifference) {
  DesiredState applied;
  applied.addresses = {A("10.99.100.11/24"), A("10.99.200.11/24")};
  applied.routes = {Route{A("10.200.0.0/16"), A("10.99.100.1"), 5000},
                    Route{A("10.201.0.0/16"), {}, 0}};
  DesiredState desired;
  desired.addresses = {A("10.99.100.11/24"), A("10.99.150.11/24"), A("10.77.0.5/16")};
  desired.routes = {Route{A("10.200.0.0/16"), A("10.99.100.1"), 5000},
                    Route{A("10.202.0.0/16"), A("10.99.150.1"), 5000},
                    Route{A("10.203.0.0/16"), {}, 0}};
  const std::vector<wire::InetAddress> link = {
      A("10.99.100.11/24"), A("10.99.200.11/24"), A("10.77.0.5/24"),  // other prefix length
      A("fe80::1:2/64"),                                             // the kernel's: kept
      A("192.168.50.1/24")};                                         // an admin's: kept
  const std::vector<Route> link_routes = {
      Route{A("10.200.0.0/16"), A("10.99.100.1"), 5000}, Route{A("10.201.0.0/16"), {}, 0},
      Route{A("10.99.100.0/24"), {}, 0}, Route{A("fe80::/64"), {}, 256}};
  const SyncPlan p = plan_sync(desired, applied, link, link_routes);
  auto strs = [](const std::vector<wire::InetAddress>& v) {
    std::vector<std::string> s;
    for (const auto& a : v) s.push_back(a.to_string());
    std::sort(s.begin(), s.end());
    return s;
  };
  EXPECT_EQ(strs(p.remove_addresses),
            (std::vector<std::string>{"10.77.0.5/24", "10.99.200.11/24"}));
  EXPECT_EQ(strs(p.add_addresses), (std::vector<std::string>{"10.77.0.5/16", "10.99.150.11/24"}));
  ASSERT_EQ(p.remove_routes.size(), 1u);
  EXPECT_EQ(p.remove_routes[0].target.to_string(), "10.201.0.0/16");
  ASSERT_EQ(p.add_routes.size(), 2u);
  EXPECT_EQ(p.add_routes[0].target.to_string(), "10.203.0.0/16") << "on-link first";
  EXPECT_EQ(p.add_routes[1].target.to_string(), "10.202.0.0/16");

  // Applying the plan and planning again changes nothing.
  std::vector<wire::InetAddress> link2 = {A("10.99.100.11/24"), A("10.99.150.11/24"),
                                          A("10.77.0.5/16"), A("fe80::1:2/64"),
                                          A("192.168.50.1/24")};
  std::vector<Route> routes2 = {desired.routes[0], desired.routes[1], desired.routes[2],
                                Route{A("fe80::/64"), {}, 256}};
  const SyncPlan again = plan_sync(desired, desired, link2, routes2);
  EXPECT_TRUE(again.add_addresses.empty());
  EXPECT_TRUE(again.remove_addresses.empty());
  EXPECT_TRUE(again.add_routes.empty());
  EXPECT_TRUE(again.remove_routes.empty());
}

TEST(PortManaged, Ipv6DefaultMetricMatches) {
  // The kernel reports an IPv6 route added without a metric as 1024.
  Route want{A("fd00:1::/64"), {}, 0};
  Route have{A("fd00:1::/64"), {}, 1024};
  EXPECT_TRUE(have.same_as(want));
  EXPECT_FALSE((Route{A("fd00:1::/64"), A("fd00::1"), 5000}).same_as(want));
}

}  // namespace
}  // namespace flatnet::control::port
