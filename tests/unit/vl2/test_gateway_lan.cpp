// A gateway's LAN groups through the member (control/service/gateway_host,
// docs/gateway.md "Multicast groups of the LAN") over real Cores: a group a
// LAN host joined is LIKEd to the root, so another member's gather finds
// the gateway; a group a LAN host sends to is gathered, so the gateway
// learns the subscriber that never talked to it; both bounded in time.
#include "control/service/gateway_host.hpp"
#include "dataplane/ipc/abi.h"
#include "tests/unit/vl2/member_harness.hpp"

namespace flatnet::control::vl2::test {
namespace {

using service::GatewayHost;
constexpr uint64_t kBroadcast = 0xffffffffffffULL;

// A (the "gateway") reports a LAN host's group; B gathers it and finds A.
TEST(GatewayLan, JoinedGroupIsLikedAndExpires) {
  MemberNet t;
  t.join("a");
  t.join("b");
  GatewayHost g;
  const MulticastGroup grp{0x01005e010203ull, 0};
  const uint64_t likes = t.ma->counters().counted(Vl2Count::likes_sent);
  Actions out;
  g.lan_tick(t.nwid, *t.ma, t.now, out);  // binds the host to the network
  g.lan_group(t.nwid, grp, FLATNET_IPC_VL2_GROUP_JOINED, t.now);
  g.lan_group(t.nwid + 1, {0x01005e010204ull, 0}, FLATNET_IPC_VL2_GROUP_JOINED, t.now);  // not ours
  g.lan_tick(t.nwid, *t.ma, t.now, out);
  t.net.pump("a", out, t.now);
  EXPECT_EQ(g.lan_groups(), 1u);
  EXPECT_GT(t.ma->counters().counted(Vl2Count::likes_sent), likes);
  // B, sending to the group, gathers it from the root: A is a subscriber.
  Actions bo;
  t.mb->gather(t.nwid, grp, t.now, bo);
  t.net.pump("b", bo, t.now);
  EXPECT_EQ(t.mb->known_subscribers(t.nwid, grp), 1u);
  // No report for kLanGroupExpireMs: dropped.
  Actions later;
  g.lan_tick(t.nwid, *t.ma, t.now + GatewayHost::kLanGroupExpireMs + 1, later);
  EXPECT_EQ(g.lan_groups(), 0u);
}

// A LAN host sends an ARP request for B's address: the gateway (A) gathers
// (ff:ff:ff:ff:ff:ff, B's IP) once per kLanGatherMs and learns B.
TEST(GatewayLan, SentToGroupIsGatheredAtABoundedRate) {
  MemberNet t;
  t.join("a");
  t.join("b");
  const MulticastGroup arp{kBroadcast, 0x0a010204};
  Actions out;
  t.mb->set_subscriptions(t.nwid, {arp}, t.now, out);
  t.net.pump("b", out, t.now);
  GatewayHost g;
  Actions ao;
  g.lan_tick(t.nwid, *t.ma, t.now, ao);
  const uint64_t gathers = t.ma->counters().counted(Vl2Count::gathers_sent);
  for (int i = 0; i < 5; ++i) g.lan_group(t.nwid, arp, FLATNET_IPC_VL2_GROUP_SENT, t.now);
  g.lan_tick(t.nwid, *t.ma, t.now, ao);
  t.net.pump("a", ao, t.now);
  const uint64_t first = t.ma->counters().counted(Vl2Count::gathers_sent) - gathers;
  EXPECT_GE(first, 1u);  // one gather round (to the root and the controller)
  EXPECT_EQ(t.ma->known_subscribers(t.nwid, arp), 1u);
  // More events within kLanGatherMs: no new round.
  g.lan_group(t.nwid, arp, FLATNET_IPC_VL2_GROUP_SENT, t.now + 1);
  Actions again;
  g.lan_tick(t.nwid, *t.ma, t.now + 1, again);
  t.net.pump("a", again, t.now + 1);
  EXPECT_EQ(t.ma->counters().counted(Vl2Count::gathers_sent) - gathers, first);
  // After it: one more.
  const uint64_t later = t.now + GatewayHost::kLanGatherMs + 1;
  g.lan_group(t.nwid, arp, FLATNET_IPC_VL2_GROUP_SENT, later);
  Actions third;
  g.lan_tick(t.nwid, *t.ma, later, third);
  t.net.pump("a", third, later);
  EXPECT_EQ(t.ma->counters().counted(Vl2Count::gathers_sent) - gathers, 2 * first);
}

}  // namespace
}  // namespace flatnet::control::vl2::test
