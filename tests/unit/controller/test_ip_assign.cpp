// IPv4/IPv6 assignment vectors: stock 1.14.1's order from the member
// address (EmbeddedNetworkController::_request), computed by hand from its
// rule: candidate k = start + (low 32 bits of the address + k) mod
// (end - start), skipping .255, held addresses and unrouted ones.
#include <gtest/gtest.h>

#include "control/controller/ip_assign.hpp"

namespace flatnet::control::controller {
namespace {

std::vector<wire::ManagedRoute> routes(std::initializer_list<const char*> targets) {
  std::vector<wire::ManagedRoute> out;
  for (const char* t : targets) {
    wire::ManagedRoute r;
    r.target = *wire::InetAddress::from_string(t);
    out.push_back(r);
  }
  return out;
}

Network pool_net(const char* start, const char* end) {
  Network n;
  n.id = 0x8056c2e21c000001ULL;
  n.v4_assign_zt = true;
  n.ip_assignment_pools.push_back({start, end});
  return n;
}

Member member(uint64_t address) {
  Member m;
  m.nwid = 0x8056c2e21c000001ULL;
  m.address = address;
  return m;
}

std::string first_ip(const Network& n, uint64_t address, const std::vector<wire::ManagedRoute>& r,
                     const IpIndex& idx = {}) {
  Member m = member(address);
  const Assignment a = assign_ips(n, m, r, idx);
  if (a.static_ips.empty()) return "";
  EXPECT_TRUE(a.member_changed);
  EXPECT_EQ(m.ip_assignments.size(), 1u);
  return a.static_ips[0].to_string();
}

TEST(ControllerIpAssign, StartsAtAddressModRange) {
  const Network n = pool_net("10.147.17.1", "10.147.17.254");
  const auto r = routes({"10.147.17.0/24"});
  EXPECT_EQ(first_ip(n, 0x36885e5e08ULL, r), "10.147.17.2/24");
  EXPECT_EQ(first_ip(n, 0xf07ab477c4ULL, r), "10.147.17.155/24");
}

TEST(ControllerIpAssign, SkipsHeldAndDot255ButNotDot0) {
  const Network n = pool_net("10.0.0.0", "10.0.255.255");
  const auto r = routes({"10.0.0.0/16"});
  EXPECT_EQ(first_ip(n, 0xff, r), "10.0.1.0/16");   // .255 skipped; .0 is given, as stock
  EXPECT_EQ(first_ip(n, 0x100, r), "10.0.1.0/16");
  IpIndex held;
  held.set_member(0x99, {"10.0.1.0", "10.0.1.1"});
  EXPECT_EQ(first_ip(n, 0x100, r, held), "10.0.1.2/16");
}

TEST(ControllerIpAssign, NeverRangeEndAndOnlyInsideARoute) {
  const Network n = pool_net("10.1.0.1", "10.1.0.2");
  EXPECT_EQ(first_ip(n, 0x12345, routes({"10.1.0.0/24"})), "10.1.0.1/24");
  EXPECT_EQ(first_ip(n, 0x12346, routes({"10.1.0.0/24"})), "10.1.0.1/24");
  EXPECT_EQ(first_ip(n, 0x12345, routes({"10.2.0.0/24"})), "");
  EXPECT_EQ(first_ip(n, 0x12345, routes({"0.0.0.0/0"})), "");
}

TEST(ControllerIpAssign, KeepsRoutedAssignmentsAndHonoursNoAutoAssign) {
  const Network n = pool_net("10.147.17.1", "10.147.17.254");
  const auto r = routes({"10.147.17.0/24", "10.147.0.0/16"});
  Member m = member(0x36885e5e08ULL);
  m.ip_assignments = {"10.147.17.77", "192.168.1.1"};
  Assignment a = assign_ips(n, m, r, {});
  ASSERT_EQ(a.static_ips.size(), 1u);
  EXPECT_EQ(a.static_ips[0].to_string(), "10.147.17.77/24");  // the longest route
  EXPECT_FALSE(a.member_changed);
  Member q = member(0x36885e5e08ULL);
  q.no_auto_assign_ips = true;
  a = assign_ips(n, q, r, {});
  EXPECT_TRUE(a.static_ips.empty());
  EXPECT_TRUE(q.ip_assignments.empty());
}

TEST(ControllerIpAssign, Ipv6PoolPutsTheAddressInTheLowBits) {
  Network n;
  n.id = 0x8056c2e21c000001ULL;
  n.v6_assign.zt = true;
  n.ip_assignment_pools.push_back({"fd00:1::", "fd00:1::ffff:ffff:ffff"});
  Member m = member(0x36885e5e08ULL);
  const Assignment a = assign_ips(n, m, routes({"fd00:1::/64"}), {});
  ASSERT_EQ(a.static_ips.size(), 1u);
  EXPECT_EQ(a.static_ips[0].to_string(), "fd00:1::36:885e:5e08/64");
  ASSERT_EQ(m.ip_assignments.size(), 1u);
  EXPECT_EQ(m.ip_assignments[0], "fd00:1::36:885e:5e08");
}

}  // namespace
}  // namespace flatnet::control::controller
