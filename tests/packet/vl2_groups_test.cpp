// Fixtures for the gateway's LAN groups (dataplane/fastpath/vl2_groups.cpp):
// IGMP v2/v3 and MLD v1/v2 reports as LAN hosts send them -> the groups they
// join; the VL2_GROUP notices vl2_encap gives control, de-duplicated and
// rate-limited.
#include "dataplane/fastpath/vl2.hpp"
#include "dataplane/ipc/abi.h"
#include "tests/packet/harness.hpp"

namespace flatnet::test {
namespace {

constexpr uint64_t kNw = 0x8056c2e21c000001ull;

// An IPv4 header (protocol 2, router alert left out: we do not need it) and an IGMP message.
Bytes ip4_igmp(const Bytes& igmp) {
  Bytes v = {0x45, 0, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 10, 0, 0, 5, 224, 0, 0, 22};
  v[2] = uint8_t((20 + igmp.size()) >> 8);
  v[3] = uint8_t(20 + igmp.size());
  v.insert(v.end(), igmp.begin(), igmp.end());
  return v;
}

// An IPv6 header, a hop-by-hop header (router alert, as MLD has), an ICMPv6 message.
Bytes ip6_mld(const Bytes& icmp) {
  Bytes v(40, 0);
  v[0] = 0x60;
  const size_t plen = 8 + icmp.size();
  v[4] = uint8_t(plen >> 8);
  v[5] = uint8_t(plen);
  v[6] = 0;  // hop-by-hop
  v[7] = 1;
  const Bytes hbh = {58, 0, 5, 2, 0, 0, 1, 0};
  v.insert(v.end(), hbh.begin(), hbh.end());
  v.insert(v.end(), icmp.begin(), icmp.end());
  return v;
}

Bytes group6(uint8_t last) {
  Bytes g = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0x12, 0x34, last};
  return g;
}

unsigned joins(uint16_t type, const Bytes& l3, uint64_t* macs) {
  return lan_group_joins(type, l3.data(), uint32_t(l3.size()), macs, 8);
}

TEST(Vl2Groups, IgmpV2AndV3Reports) {
  uint64_t m[8];
  // v2 report for 239.129.2.3: the MAC keeps the low 23 bits.
  ASSERT_EQ(joins(0x0800, ip4_igmp({0x16, 0, 0, 0, 239, 129, 2, 3}), m), 1u);
  EXPECT_EQ(m[0], 0x01005e010203ull);
  // v3 report, three records: EXCLUDE{} (join), TO_INCLUDE{} (a leave),
  // ALLOW_NEW{one source} (join) -- sources and aux data skipped.
  Bytes v3 = {0x22, 0, 0, 0, 0, 0, 0, 3,
              4, 0, 0, 0, 239, 1, 2, 3,
              3, 0, 0, 0, 239, 1, 2, 4,
              5, 1, 0, 1, 239, 1, 2, 5, 10, 0, 0, 9, 0xaa, 0xbb, 0xcc, 0xdd};
  ASSERT_EQ(joins(0x0800, ip4_igmp(v3), m), 2u);
  EXPECT_EQ(m[0], 0x01005e010203ull);
  EXPECT_EQ(m[1], 0x01005e010205ull);
  // A record count beyond the data, a query, another protocol: nothing.
  Bytes cut = {0x22, 0, 0, 0, 0, 0, 0, 9, 2, 0, 0, 0, 239, 1, 2, 3};
  EXPECT_EQ(joins(0x0800, ip4_igmp(cut), m), 1u);
  EXPECT_EQ(joins(0x0800, ip4_igmp({0x11, 0, 0, 0, 0, 0, 0, 0}), m), 0u);
  Bytes udp = ip4_igmp({0x16, 0, 0, 0, 239, 1, 2, 3});
  udp[9] = 17;
  EXPECT_EQ(joins(0x0800, udp, m), 0u);
  EXPECT_EQ(joins(0x0806, ip4_igmp({0x16, 0, 0, 0, 239, 1, 2, 3}), m), 0u);
}

TEST(Vl2Groups, MldV1AndV2Reports) {
  uint64_t m[8];
  Bytes v1 = {131, 0, 0, 0, 0, 0, 0, 0};
  Bytes g = group6(0x56);
  v1.insert(v1.end(), g.begin(), g.end());
  ASSERT_EQ(joins(0x86dd, ip6_mld(v1), m), 1u);
  EXPECT_EQ(m[0], 0x3333ff123456ull);
  Bytes v2 = {143, 0, 0, 0, 0, 0, 0, 2, 4, 0, 0, 0};
  Bytes g1 = group6(0x01), g2 = group6(0x02);
  v2.insert(v2.end(), g1.begin(), g1.end());
  const Bytes leave = {3, 0, 0, 0};
  v2.insert(v2.end(), leave.begin(), leave.end());
  v2.insert(v2.end(), g2.begin(), g2.end());
  ASSERT_EQ(joins(0x86dd, ip6_mld(v2), m), 1u);
  EXPECT_EQ(m[0], 0x3333ff123401ull);
  // Truncated in the hop-by-hop header: nothing, no read past the end.
  Bytes cut = ip6_mld(v1);
  cut.resize(44);
  EXPECT_EQ(joins(0x86dd, cut, m), 0u);
}

// What vl2_encap tells control: the joined groups of a report, the group of
// any other multicast; each once per group_repeat; at most the bucket.
TEST(Vl2Groups, NoticesDeduplicatedAndLimited) {
  Harness h;
  Vl2Port port;
  port.group_repeat = 1000;
  h.w.now = 10;
  const Bytes report = ip4_igmp({0x16, 0, 0, 0, 239, 1, 2, 3});
  vl2_lan_groups(h.w, port, kNw, 0x01005e010203ull, 0, 0x0800, report.data(), uint32_t(report.size()));
  ASSERT_EQ(h.group_events.size(), 1u);
  EXPECT_EQ(h.group_events[0].nwid, kNw);
  EXPECT_EQ(h.group_events[0].mac, 0x01005e010203ull);
  EXPECT_EQ(h.group_events[0].kind, uint32_t(FLATNET_IPC_VL2_GROUP_JOINED));
  // The same report again within group_repeat: nothing new; after it: again.
  vl2_lan_groups(h.w, port, kNw, 0x01005e010203ull, 0, 0x0800, report.data(), uint32_t(report.size()));
  EXPECT_EQ(h.group_events.size(), 1u);
  h.w.now = 2000;
  vl2_lan_groups(h.w, port, kNw, 0x01005e010203ull, 0, 0x0800, report.data(), uint32_t(report.size()));
  EXPECT_EQ(h.group_events.size(), 2u);
  // An ARP broadcast: the group it goes to (with its ADI), as SENT.
  const Bytes arp(28, 0);
  vl2_lan_groups(h.w, port, kNw, 0xffffffffffffull, 0x0a000005, 0x0806, arp.data(), uint32_t(arp.size()));
  ASSERT_EQ(h.group_events.size(), 3u);
  EXPECT_EQ(h.group_events[2].adi, 0x0a000005u);
  EXPECT_EQ(h.group_events[2].kind, uint32_t(FLATNET_IPC_VL2_GROUP_SENT));
  EXPECT_EQ(h.counters.vl2_group_events, 3u);
  // A LAN churning groups: the bucket (2 of credit, none refilled) cuts it.
  port.group_events.cost = 1'000'000;
  port.group_events.cap = 2'000'000;
  port.group_events.credit = 2'000'000;
  port.group_events.last = h.w.now;
  for (uint32_t adi = 1; adi <= 10; ++adi)
    vl2_lan_groups(h.w, port, kNw, 0xffffffffffffull, adi, 0x0806, arp.data(), uint32_t(arp.size()));
  EXPECT_EQ(h.group_events.size(), 5u);
  EXPECT_EQ(h.counters.vl2_group_limited, 8u);
}

}  // namespace
}  // namespace flatnet::test
