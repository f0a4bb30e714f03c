// The tap's multicast subscriptions: /proc/net/dev_mcast parsing, the
// address-resolution group per IP (spec §5.3), and the change set that
// MULTICAST_LIKE will announce.
#include <gtest/gtest.h>

#include "control/port/subscriptions.hpp"

namespace flatnet::control::port {
namespace {

wire::InetAddress A(const char* s) { return wire::InetAddress::from_string(s).value(); }

// The three groups stock 1.14.1 reported for the testnet member a
// (listnetworks-a.json multicastSubscriptions), as the kernel lists them.
constexpr const char* kDevMcast =
    "1    lo              1     0     01005e000001\n"
    "2    eth0            1     0     333300000001\n"
    "7    zt4kma6dg3      1     0     01005e000001\n"
    "7    zt4kma6dg3      1     0     333300000001\n"
    "7    zt4kma6dg3      1     0     3333ffd500d5\n"
    "7    zt4kma6dg3      1     0     3333ffd500zz\n"   // bad hex: skipped
    "7    zt4kma6dg3      1\n"                          // short: skipped
    "8    zt4kma6dg30     1     0     01005e0000fb\n";  // another device

TEST(PortSubscriptions, ParsesDevMcast) {
  const auto g = parse_dev_mcast(kDevMcast, "zt4kma6dg3");
  ASSERT_EQ(g.size(), 3u);
  EXPECT_EQ(g[0], (MulticastGroup{0x01005e000001ULL, 0}));
  EXPECT_EQ(g[1], (MulticastGroup{0x333300000001ULL, 0}));
  EXPECT_EQ(g[2], (MulticastGroup{0x3333ffd500d5ULL, 0}));
  EXPECT_TRUE(parse_dev_mcast(kDevMcast, "zt").empty());
  EXPECT_TRUE(parse_dev_mcast("", "zt4kma6dg3").empty());
}

TEST(PortSubscriptions, AddressResolutionGroups) {
  // §5.3: 10.1.2.3 -> (ff:ff:ff:ff:ff:ff, 0x0a010203).
  EXPECT_EQ(address_resolution_group(A("10.1.2.3/24")),
            (MulticastGroup{0xffffffffffffULL, 0x0a010203}));
  // IPv6: the solicited-node MAC of the address, ADI 0.
  EXPECT_EQ(address_resolution_group(A("fd80:56c2:e21c:0:199:9336:885e:5e08/88")),
            (MulticastGroup{0x3333ff5e5e08ULL, 0}));
}

TEST(PortSubscriptions, InterfaceGroupsSortedUnique) {
  const auto joined = parse_dev_mcast(kDevMcast, "zt4kma6dg3");
  const auto g = interface_groups(joined, {A("10.99.100.11/24"), A("10.99.100.11/24"),
                                           A("fe80::ee:42ff:fed5:d5/64")});
  // The link-local's solicited-node group is already joined; ARP's is added.
  ASSERT_EQ(g.size(), 4u);
  EXPECT_EQ(g[0], (MulticastGroup{0x01005e000001ULL, 0}));
  EXPECT_EQ(g[1], (MulticastGroup{0x333300000001ULL, 0}));
  EXPECT_EQ(g[2], (MulticastGroup{0x3333ffd500d5ULL, 0}));
  EXPECT_EQ(g[3], (MulticastGroup{0xffffffffffffULL, 0x0a63640b}));
}

TEST(PortSubscriptions, Diff) {
  const std::vector<MulticastGroup> before = {{0x01005e000001ULL, 0}, {0xffffffffffffULL, 1}};
  const std::vector<MulticastGroup> after = {{0x01005e000001ULL, 0}, {0x3333ff000001ULL, 0}};
  const auto c = diff_groups(before, after);
  ASSERT_EQ(c.added.size(), 1u);
  EXPECT_EQ(c.added[0], (MulticastGroup{0x3333ff000001ULL, 0}));
  ASSERT_EQ(c.removed.size(), 1u);
  EXPECT_EQ(c.removed[0], (MulticastGroup{0xffffffffffffULL, 1}));
  EXPECT_TRUE(diff_groups(after, after).added.empty());
}

}  // namespace
}  // namespace flatnet::control::port
