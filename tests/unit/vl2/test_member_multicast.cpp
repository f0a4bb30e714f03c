// Multicast through the member (spec §9): ARP via its ADI-scoped group over
// real Cores (LIKE to the root, GATHER, MULTICAST_FRAME), the broadcast and
// multicastLimit switches, and the recipient bound with 1,000 subscribers.
#include <set>

#include "tests/unit/vl2/member_harness.hpp"
#include "tests/unit/vl2/multicast_alone.hpp"

namespace flatnet::control::vl2::test {
namespace {

TEST(Vl2MemberMulticast, ArpReachesTheSubscriberThroughTheRootDirectory) {
  MemberNet t;
  t.join("a");
  t.join("b");
  // B's tap has 10.1.2.4: it subscribes to (ff:ff:ff:ff:ff:ff, 10.1.2.4).
  Actions out;
  t.mb->set_subscriptions(t.nwid, {{kBroadcast, 0x0a010204}}, t.now, out);
  t.net.pump("b", out, t.now);
  EXPECT_GE(t.mb->counters().counted(Vl2Count::likes_sent), 1u);
  t.drain("b");
  const auto arp = arp_for(t.mac(t.a), 4);
  t.tap("a", arp);
  EXPECT_GE(t.ma->counters().counted(Vl2Count::gathers_sent), 1u);
  auto got = t.drain("b");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].frame, arp);
  EXPECT_EQ(t.mb->counters().counted(Vl2Count::rx_multicast), 1u);
  EXPECT_EQ(t.ma->known_subscribers(t.nwid, {kBroadcast, 0x0a010204}), 1u);
  // B answers with a unicast ARP reply.
  const auto reply = ether(t.mac(t.a), t.mac(t.b), 0x0806, std::vector<uint8_t>(28, 0));
  t.tap("b", reply);
  got = t.drain("a");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].frame, reply);
}

// Three members (the controller node is one too, talking to its own
// controller in process); with multicastLimit 1 a broadcast reaches one.
TEST(Vl2MemberMulticast, BroadcastBoundedByTheLimitOverRealCores) {
  MemberNet t;
  t.ctl.nets[t.nwid].multicast_limit = 1;
  t.ctl.nets[t.nwid].authorized.insert(t.c.address());
  Member mc(t.core("c"));
  t.core("c").set_member(&mc);
  t.join("a");
  t.join("b");
  Actions out;
  ASSERT_TRUE(mc.join(t.nwid, {}, t.now, out));
  t.net.pump("c", out, t.now);
  ASSERT_EQ(mc.network(t.nwid)->status, NetworkStatus::kOk);
  // No set_subscriptions: the broadcast group comes with the config and is
  // announced (LIKE to the root and controller) as soon as it is applied.
  t.drain("b");
  MemberOutput drop;
  mc.drain(drop);
  const auto frame = ether(kBroadcast, t.mac(t.a), 0x0800, std::vector<uint8_t>(40, 7));
  t.tap("a", frame);
  MemberOutput oc;
  mc.drain(oc);
  const size_t got = t.drain("b").size() + oc.to_tap.size();
  EXPECT_EQ(got, 1u);
  EXPECT_EQ(t.ma->counters().counted(Vl2Count::tx_multicast), 1u);
  EXPECT_EQ(t.ma->known_subscribers(t.nwid, {kBroadcast, 0}), 2u);
  t.core("c").set_member(nullptr);
}

TEST(Vl2MemberMulticast, BroadcastOnlyWhereEnabled) {
  MemberNet t;
  t.ctl.nets[t.nwid].flags = 0;  // no broadcast flag
  t.join("a");
  t.tap("a", ether(kBroadcast, t.mac(t.a), 0x0800, std::vector<uint8_t>(40, 1)));
  EXPECT_EQ(t.ma->counters().dropped(Vl2Drop::broadcast_disabled), 1u);
  // ARP still goes (its own group), as stock.
  t.tap("a", arp_for(t.mac(t.a), 4));
  EXPECT_EQ(t.ma->counters().dropped(Vl2Drop::broadcast_disabled), 1u);
  EXPECT_GE(t.ma->counters().counted(Vl2Count::gathers_sent), 1u);
}

TEST(Vl2MemberMulticast, LimitZeroDisablesMulticast) {
  MemberNet t;
  t.ctl.nets[t.nwid].multicast_limit = 0;
  t.join("a");
  t.tap("a", arp_for(t.mac(t.a), 4));
  EXPECT_EQ(t.ma->counters().dropped(Vl2Drop::multicast_disabled), 1u);
  EXPECT_EQ(t.ma->counters().counted(Vl2Count::gathers_sent), 0u);
}

TEST(Vl2MemberMulticast, ThousandSubscribersGetAtMostTheLimit) {
  Alone t(32);
  const MulticastGroup g{kBroadcast, 0x0a000001};
  std::vector<uint64_t> subs;
  for (uint64_t i = 0; i < 1000; ++i) subs.push_back(0x2000000000ULL + i);
  t.gathered(g, subs);
  EXPECT_EQ(t.m.known_subscribers(t.nwid, g), 1000u);
  // We talked unicast with 8 of them lately.
  std::set<uint64_t> recent;
  for (uint64_t i = 0; i < 8; ++i) {
    const uint64_t peer = subs[100 + i * 37];
    recent.insert(peer);
    t.tap(ether(t.mac(peer), t.mac(t.link.me.address()), 0x0800, std::vector<uint8_t>(40, 0)));
  }
  t.link.sent.clear();
  const auto arp = arp_for(t.mac(t.link.me.address()), 1);  // for 10.1.2.1
  // The ARP group is (broadcast, 10.1.2.1): re-gather under that group.
  t.gathered({kBroadcast, 0x0a010201}, subs);
  t.tap(arp);
  const auto to = t.multicast_recipients();
  EXPECT_EQ(to.size(), 32u);
  ASSERT_GE(to.size(), 2u);
  EXPECT_EQ(to[0], t.bridges[0]);  // bridges first, config order
  EXPECT_EQ(to[1], t.bridges[1]);
  for (uint64_t r : recent) EXPECT_NE(std::find(to.begin(), to.end(), r), to.end()) << r;
  EXPECT_EQ(std::set<uint64_t>(to.begin(), to.end()).size(), to.size());  // no duplicate
  // Enough were known: no explicit gather, and nothing waits for more.
  EXPECT_EQ(t.link.count(wire::Verb::kMulticastGather), 0u);
}

TEST(Vl2MemberMulticast, LateGatherAnswersFillUpToTheLimit) {
  Alone t(4);
  const auto arp = arp_for(t.mac(t.link.me.address()), 9);
  t.tap(arp);
  // Nobody known: a gather went out, the bridges got their copies.
  EXPECT_GE(t.link.count(wire::Verb::kMulticastGather), 1u);
  EXPECT_EQ(t.multicast_recipients().size(), 2u);
  t.gathered({kBroadcast, 0x0a010209}, {0x3000000001ULL, 0x3000000002ULL, 0x3000000003ULL});
  // Two more copies, then the limit (4) is reached.
  EXPECT_EQ(t.multicast_recipients().size(), 4u);
  // After 5 s the pending multicast is gone.
  Actions out;
  t.now += kMulticastTransmitTimeoutMs;
  t.m.run(t.now, out);
  t.gathered({kBroadcast, 0x0a010209}, {0x3000000004ULL});
  EXPECT_EQ(t.multicast_recipients().size(), 4u);
}

TEST(Vl2MemberMulticast, GarbageToEveryVerbIsCounted) {
  Alone t;
  const crypto::Identity& peer = controller_identity();
  std::mt19937_64 rng(7);
  const wire::Verb verbs[] = {wire::Verb::kFrame, wire::Verb::kExtFrame,
                              wire::Verb::kMulticastFrame, wire::Verb::kNetworkCredentials,
                              wire::Verb::kNetworkConfig, wire::Verb::kMulticastLike};
  for (int round = 0; round < 2000; ++round) {
    std::vector<uint8_t> p(rng() % 64);
    for (auto& b : p) b = uint8_t(rng());
    if (p.size() >= 8 && (round & 1)) wire::write_be64(p.data(), t.nwid);  // our network
    Actions out;
    const wire::Verb v = verbs[round % 6];
    t.m.packet(request(peer.address(), &peer, v, p), t.now + uint64_t(round) * 1000, out);
    t.m.packet(ok_reply(peer.address(), &peer, wire::Verb::kMulticastGather, p), t.now, out);
    t.m.packet(ok_reply(peer.address(), &peer, wire::Verb::kNetworkConfigRequest, p), t.now, out);
  }
  uint64_t drops = 0;
  for (uint64_t d : t.m.counters().drops) drops += d;
  EXPECT_GT(drops, 2000u);
  EXPECT_EQ(t.m.network(t.nwid)->status, NetworkStatus::kOk);
}

}  // namespace
}  // namespace flatnet::control::vl2::test
