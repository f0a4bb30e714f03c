// Designated multicast replicators and ERROR(UNWANTED_MULTICAST) as stock
// 1.14.1 handles them (spec §9.2 step 1, §9.4, §4 ERROR 0x08): a member
// sends one flagged copy to the replicator with the lowest measured
// latency; a replicator re-sends a flagged frame to the group without its
// sender; an UNWANTED_MULTICAST from an admitted peer forgets it.
#include "tests/unit/vl2/multicast_alone.hpp"

namespace flatnet::control::vl2::test {
namespace {

constexpr uint64_t kR1 = 0x4400000001ULL, kR2 = 0x4400000002ULL;
constexpr uint64_t kReplicator = wire::kSpecialistMulticastReplicator;

std::vector<MulticastFrameMsg> multicast_frames(const FakeLink& link) {
  std::vector<MulticastFrameMsg> v;
  for (const auto& s : link.sent) {
    if (s.verb != wire::Verb::kMulticastFrame) continue;
    MulticastFrameMsg m;
    EXPECT_TRUE(decode_multicast_frame(s.payload, m));
    v.push_back(m);
  }
  return v;
}

TEST(Vl2MemberReplicators, OneFlaggedCopyToTheNearestMeasuredReplicator) {
  Alone t(32, {kReplicator | kR1, kReplicator | kR2});
  t.link.latency[kR1] = 40;
  t.link.latency[kR2] = 10;
  t.tap(arp_for(t.mac(t.me()), 9));
  ASSERT_EQ(t.multicast_recipients(), std::vector<uint64_t>{kR2});
  const auto frames = multicast_frames(t.link);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].flags, kMcFlagSourceMac | kMcFlagReplicate);  // 0x0c, no gather limit
  EXPECT_EQ(frames[0].source, t.mac(t.me()));
  EXPECT_EQ(frames[0].group, (MulticastGroup{kBroadcast, 0x0a010209}));
  // No gather, nothing queued: the replicator does the rest.
  EXPECT_EQ(t.link.count(wire::Verb::kMulticastGather), 0u);
  EXPECT_EQ(t.m.counters().counted(Vl2Count::multicast_to_replicator), 1u);
}

TEST(Vl2MemberReplicators, WithoutAMeasuredReplicatorTheSenderReplicates) {
  Alone t(32, {kReplicator | kR1, kReplicator | kR2});  // no latency known
  t.tap(arp_for(t.mac(t.me()), 9));
  EXPECT_EQ(t.multicast_recipients(), t.bridges);  // the bridges, as without replicators
  EXPECT_GE(t.link.count(wire::Verb::kMulticastGather), 1u);
  for (const auto& f : multicast_frames(t.link)) EXPECT_FALSE(f.flags & kMcFlagReplicate);
  EXPECT_EQ(t.m.counters().counted(Vl2Count::multicast_to_replicator), 0u);
}

TEST(Vl2MemberReplicators, AReplicatorOrABridgeReplicatesItself) {
  {
    FakeLink probe{control::test::parse_identity(control::test::kIdentityA)};
    Alone t(32, {kReplicator | kR1, kReplicator | probe.me.address()});
    t.link.latency[kR1] = 5;
    t.tap(arp_for(t.mac(t.me()), 9));
    EXPECT_EQ(t.multicast_recipients(), t.bridges);
  }
  {
    FakeLink probe{control::test::parse_identity(control::test::kIdentityA)};
    Alone t(32, {kReplicator | kR1, wire::kSpecialistActiveBridge | probe.me.address()});
    t.link.latency[kR1] = 5;
    t.tap(arp_for(t.mac(t.me()), 9));
    const auto to = t.multicast_recipients();
    EXPECT_EQ(std::count(to.begin(), to.end(), kR1), 0);
    EXPECT_EQ(t.m.counters().counted(Vl2Count::multicast_to_replicator), 0u);
  }
}

// A flagged MULTICAST_FRAME from `from` with its own MAC, as a member sends it.
std::vector<uint8_t> flagged_arp(const Alone& t, uint64_t from, bool replicate) {
  const auto frame = arp_for(t.mac(from), 9);
  return encode_multicast_frame(t.nwid, 0, t.mac(from), {kBroadcast, 0x0a010209}, 0x0806,
                                std::span<const uint8_t>(frame).subspan(14), replicate);
}

TEST(Vl2MemberReplicators, AReplicatorReSendsToTheGroupButNotTheSender) {
  FakeLink probe{control::test::parse_identity(control::test::kIdentityA)};
  Alone t(32, {kReplicator | probe.me.address()});
  const uint64_t sender = 0x5500000001ULL;
  const std::vector<uint64_t> subs = {0x5500000002ULL, 0x5500000003ULL, sender};
  t.gathered({kBroadcast, 0x0a010209}, subs);
  t.link.sent.clear();
  const auto payload = flagged_arp(t, sender, true);
  Actions out;
  t.m.packet(request(sender, nullptr, wire::Verb::kMulticastFrame, payload), t.now, out);
  // Bridges first, then the two other subscribers; never the sender.
  const auto to = t.multicast_recipients();
  EXPECT_EQ(std::set<uint64_t>(to.begin(), to.end()),
            (std::set<uint64_t>{t.bridges[0], t.bridges[1], subs[0], subs[1]}));
  for (const auto& f : multicast_frames(t.link)) {
    EXPECT_EQ(f.source, t.mac(sender));  // the sender's MAC travels on (flag 0x04)
    EXPECT_FALSE(f.flags & kMcFlagReplicate);
  }
  // And the replicator's own tap hears it.
  MemberOutput drained;
  t.m.drain(drained);
  EXPECT_EQ(drained.to_tap.size(), 1u);
  EXPECT_EQ(t.m.counters().counted(Vl2Count::multicast_replicated), 1u);
  // A late gather answer naming the sender still gets it no copy.
  t.link.sent.clear();
  t.gathered({kBroadcast, 0x0a010209}, {sender});
  EXPECT_TRUE(t.multicast_recipients().empty());
}

TEST(Vl2MemberReplicators, OnlyADesignatedReplicatorHonoursTheFlag) {
  Alone t(32, {kReplicator | kR1});  // somebody else replicates
  const uint64_t sender = 0x5500000001ULL;
  t.gathered({kBroadcast, 0x0a010209}, {0x5500000002ULL});
  t.link.sent.clear();
  Actions out;
  for (bool flag : {true, false}) {
    const auto payload = flagged_arp(t, sender, flag);
    t.m.packet(request(sender, nullptr, wire::Verb::kMulticastFrame, payload), t.now, out);
  }
  EXPECT_TRUE(t.multicast_recipients().empty());
  MemberOutput drained;
  t.m.drain(drained);
  EXPECT_EQ(drained.to_tap.size(), 2u);  // delivered, not replicated
  EXPECT_EQ(t.m.counters().counted(Vl2Count::multicast_replicated), 0u);
}

// ERROR(UNWANTED_MULTICAST) from `from`: nwid, MAC, ADI after the code.
Vl2Packet unwanted(uint64_t from, const std::vector<uint8_t>& body) {
  Vl2Packet pk = request(from, nullptr, wire::Verb::kError, body);
  pk.kind = Vl2Packet::Kind::kError;
  pk.in_re_verb = wire::Verb::kMulticastFrame;
  pk.error_code = uint8_t(ErrorCode::kUnwantedMulticast);
  return pk;
}
std::vector<uint8_t> unwanted_body(uint64_t nwid, const MulticastGroup& g) {
  std::vector<uint8_t> b;
  wire::Writer w(b);
  w.u64(nwid);
  for (int i = 5; i >= 0; --i) w.u8(uint8_t(g.mac >> (8 * i)));
  w.u32(g.adi);
  return b;
}

TEST(Vl2MemberReplicators, UnwantedMulticastForgetsTheSubscriber) {
  Alone t;
  const MulticastGroup g{kBroadcast, 0x0a000001};
  const uint64_t s1 = 0x6600000001ULL, s2 = 0x6600000002ULL;
  t.gathered(g, {s1, s2});
  Actions out;
  t.m.packet(unwanted(s1, unwanted_body(t.nwid, g)), t.now, out);
  EXPECT_EQ(t.m.known_subscribers(t.nwid, g), 1u);
  EXPECT_EQ(t.m.counters().counted(Vl2Count::unsubscribed), 1u);
  // The next multicast to the group reaches the bridges and s2 only.
  t.link.sent.clear();
  t.tap(arp_for(t.mac(t.me()), 1));  // (broadcast, 10.1.2.1): another group
  t.gathered({kBroadcast, 0x0a010201}, {s1, s2});
  t.m.packet(unwanted(s1, unwanted_body(t.nwid, {kBroadcast, 0x0a010201})), t.now, out);
  EXPECT_EQ(t.m.known_subscribers(t.nwid, {kBroadcast, 0x0a010201}), 1u);
  t.link.sent.clear();
  t.now += kMulticastTransmitTimeoutMs;
  t.m.run(t.now, out);
  t.link.sent.clear();
  t.tap(arp_for(t.mac(t.me()), 1));
  const auto to = t.multicast_recipients();
  EXPECT_EQ(std::set<uint64_t>(to.begin(), to.end()),
            (std::set<uint64_t>{t.bridges[0], t.bridges[1], s2}));
  t.link.sent.clear();
  // Short, and for a network we are not on: counted drops, nothing else.
  auto body = unwanted_body(t.nwid, g);
  body.pop_back();
  t.m.packet(unwanted(s2, body), t.now, out);
  t.m.packet(unwanted(s2, unwanted_body(t.nwid ^ 1, g)), t.now, out);
  EXPECT_EQ(t.m.counters().dropped(Vl2Drop::malformed), 1u);
  EXPECT_EQ(t.m.counters().dropped(Vl2Drop::unknown_network), 1u);
  EXPECT_EQ(t.m.known_subscribers(t.nwid, g), 1u);
  EXPECT_TRUE(t.link.sent.empty());  // flatnet, as stock, never answers or sends one
}

TEST(Vl2MemberReplicators, UnwantedMulticastFromANonMemberIsIgnored) {
  Alone t(32, {}, false);  // private: s1 never showed a COM
  const MulticastGroup g{kBroadcast, 0x0a000001};
  const uint64_t s1 = 0x6600000001ULL;
  t.gathered(g, {s1});
  Actions out;
  t.m.packet(unwanted(s1, unwanted_body(t.nwid, g)), t.now, out);
  EXPECT_EQ(t.m.known_subscribers(t.nwid, g), 1u);
  EXPECT_EQ(t.m.counters().dropped(Vl2Drop::unwanted_not_member), 1u);
}

}  // namespace
}  // namespace flatnet::control::vl2::test
