// Fixtures for the loop guard (dataplane/fastpath/vl2_loop.hpp): a LAN
// bridged twice. A frame from the network whose source MAC was seen on our
// LAN within tables::vl2::kLanLoopWindowS is dropped (vl2_lan_loop) and
// reported to control once per second; a stale LAN entry, a member's own
// MAC and a network with the guard off pass as before.
#include <array>

#include "dataplane/ipc/vl2_commands.hpp"
#include "tests/packet/vl2_fixture.hpp"

namespace flatnet::test {
namespace {

using tables::vl2::LearnEvent;
using tables::vl2::MacWord;

constexpr uint64_t kLanHost = 0x06aabbccdd01ull;  // on our LAN
constexpr uint64_t kOther = 0x06aabbccdd09ull;    // a host somewhere on the network

struct Vl2Loop : Vl2Fixture {
  unsigned slot() { return t->network(kNw)->slot; }
  // What vl2_encap posts for a LAN source, applied by the writer.
  void learn_lan(uint64_t mac) {
    LearnEvent e;
    e.kind = LearnEvent::kLanMac;
    e.slot = uint8_t(slot());
    e.mac = mac;
    ASSERT_TRUE(t->post(e));
    t->drain_learn(100);
    ASSERT_EQ(MacWord::kind(t->mac(slot(), mac)), MacWord::kLan);
  }
  // A bridge's MULTICAST_FRAME of a LAN broadcast from `src`.
  static Bytes mc_payload(uint64_t src) {
    Bytes b(8);
    wire::write_be64(b.data(), kNw);
    b.push_back(v2::kMcFlagSource);
    uint8_t m[6];
    v2::write_mac(m, src);
    put(b, m, 6);
    v2::write_mac(m, 0xffffffffffffull);
    put(b, m, 6);
    put(b, std::array<uint8_t, 4>{10, 0, 0, 5}.data(), 4);  // ADI: the ARP's target
    put16(b, 0x0806);
    b.insert(b.end(), kIpData.begin(), kIpData.end());
    return b;
  }
};

TEST_F(Vl2Loop, OurLanHostFromABridgeDroppedAndReportedOncePerSecond) {
  learn_lan(kLanHost);
  auto o = decap({vl1(kBridge, 0x07, ext_payload(kOther, kLanHost, kIpData), crypto::Suite::kSalsa2012Poly1305),
                  vl1(kBridge, 0x0e, mc_payload(kLanHost), crypto::Suite::kSalsa2012Poly1305, 0x0203)});
  EXPECT_TRUE(o.lan.empty());
  EXPECT_TRUE(o.punted.empty());
  EXPECT_EQ(h.counters.drop[size_t(Drop::vl2_lan_loop)], 2u);
  EXPECT_EQ(h.drops_total(), 2u);
  // One report for both (the second within the same second).
  ASSERT_EQ(h.loop_events.size(), 1u);
  EXPECT_EQ(h.loop_events[0].nwid, kNw);
  EXPECT_EQ(h.loop_events[0].mac, kLanHost);
  EXPECT_EQ(h.loop_events[0].bridge, kBridge);
  EXPECT_EQ(h.counters.vl2_loop_events, 1u);
  // A second later the next drop is reported again.
  now += h.w.hz;
  decap({vl1(kBridge, 0x07, ext_payload(kOther, kLanHost, kIpData), crypto::Suite::kSalsa2012Poly1305)});
  EXPECT_EQ(h.counters.drop[size_t(Drop::vl2_lan_loop)], 3u);
  EXPECT_EQ(h.loop_events.size(), 2u);
  // Nothing learned from them: the host stays on our LAN.
  t->drain_learn(100);
  const uint64_t w = t->mac(slot(), kLanHost);
  EXPECT_EQ(MacWord::kind(w), MacWord::kLan);
}

TEST_F(Vl2Loop, AnotherMembersMacFromABridgeDropped) {
  // A's own frame, forwarded by the bridge: it went network -> LAN -> network.
  const uint64_t a_mac = v2::mac_from_address(kA, kNw);
  auto o = decap({vl1(kBridge, 0x07, ext_payload(kLanHost, a_mac, kIpData), crypto::Suite::kSalsa2012Poly1305)});
  EXPECT_TRUE(o.lan.empty());
  EXPECT_EQ(h.drop_reason(), "vl2_lan_loop");
  ASSERT_EQ(h.loop_events.size(), 1u);
  EXPECT_EQ(h.loop_events[0].mac, a_mac);
  EXPECT_EQ(h.loop_events[0].bridge, kBridge);
  t->drain_learn(100);  // no route learned for A's MAC behind the bridge
  EXPECT_EQ(t->mac(slot(), a_mac), 0u);
}

TEST_F(Vl2Loop, WriterRefusesABridgeRouteForAFreshLanMac) {
  // The first looped copy may be read before the LAN entry is stored; its
  // route event then comes after the LAN event and must not replace it.
  learn_lan(kLanHost);
  LearnEvent e;
  e.kind = LearnEvent::kBridgeRoute;
  e.slot = uint8_t(slot());
  e.mac = kLanHost;
  e.addr = kBridge;
  ASSERT_TRUE(t->post(e));
  t->drain_learn(100);
  EXPECT_EQ(MacWord::kind(t->mac(slot(), kLanHost)), MacWord::kLan);
  EXPECT_EQ(t->counters().loop_routes, 1u);
  EXPECT_EQ(t->counters().mac_moves, 0u);
}

TEST_F(Vl2Loop, StaleLanEntryIsAHostThatMovedNotALoop) {
  learn_lan(kLanHost);
  // Last seen on our LAN longer ago than the window: it moved behind the bridge.
  Vl2Tables::advance_clock(tables::vl2::kLanLoopWindowS + 1);
  auto o = decap({vl1(kBridge, 0x07, ext_payload(kOther, kLanHost, kIpData), crypto::Suite::kSalsa2012Poly1305)});
  ASSERT_EQ(o.lan.size(), 1u) << h.drop_reason();
  EXPECT_EQ(o.lan[0], eth_frame(kOther, kLanHost, 0x0800, kIpData));
  EXPECT_EQ(h.drops_total(), 0u);
  EXPECT_TRUE(h.loop_events.empty());
  t->drain_learn(100);
  const uint64_t w = t->mac(slot(), kLanHost);
  EXPECT_EQ(MacWord::kind(w), MacWord::kRemote);
  EXPECT_EQ(MacWord::addr(w), kBridge);
}

TEST_F(Vl2Loop, MembersOwnMacNeverChecked) {
  // Even with the member's §5.2 MAC on our LAN (a stock bridge's tap in the
  // same LAN bridge), its own FRAMEs are its own.
  const uint64_t a_mac = v2::mac_from_address(kA, kNw);
  learn_lan(a_mac);
  auto o = decap({vl1(kA, 0x06, frame_payload(kIpData), crypto::Suite::kSalsa2012Poly1305)});
  ASSERT_EQ(o.lan.size(), 1u) << h.drop_reason();
  EXPECT_EQ(o.lan[0], eth_frame(v2::mac_from_address(kSelf, kNw), a_mac, 0x0800, kIpData));
  EXPECT_EQ(h.drops_total(), 0u);
  EXPECT_TRUE(h.loop_events.empty());
}

TEST_F(Vl2Loop, GuardOffPassesAsBefore) {
  tables::vl2::NetworkSettings s = t->network(kNw)->s;
  s.loop_guard = false;
  ASSERT_EQ(t->network_set(s), FLATNET_IPC_OK);
  learn_lan(kLanHost);
  auto o = decap({vl1(kBridge, 0x07, ext_payload(kOther, kLanHost, kIpData), crypto::Suite::kSalsa2012Poly1305)});
  ASSERT_EQ(o.lan.size(), 1u) << h.drop_reason();
  EXPECT_EQ(h.drops_total(), 0u);
  EXPECT_TRUE(h.loop_events.empty());
  t->drain_learn(100);
  EXPECT_EQ(MacWord::kind(t->mac(slot(), kLanHost)), MacWord::kRemote);  // a move, counted
  EXPECT_EQ(t->counters().mac_moves, 1u);
}

// The other direction: a frame from the network that the other bridge put
// on our LAN must not go back into the network.
TEST_F(Vl2Loop, LanFrameFromAMembersMacDropped) {
  // Whatever the MAC table says of it (here: nothing): A is a member.
  const uint64_t a_mac = v2::mac_from_address(kA, kNw);
  auto out = encap({eth_frame(0xffffffffffffull, a_mac, 0x0800, kIpData)});
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(h.counters.drop[size_t(Drop::vl2_lan_loop)], 1u);
  EXPECT_EQ(h.drops_total(), 1u);
  ASSERT_EQ(h.loop_events.size(), 1u);
  EXPECT_EQ(h.loop_events[0].mac, a_mac);
  EXPECT_EQ(h.loop_events[0].bridge, kA);
  t->drain_learn(100);  // nothing learned: the member's MAC is not on our LAN
  EXPECT_EQ(t->mac(slot(), a_mac), 0u);
}

TEST_F(Vl2Loop, LanFrameFromAMacFreshlyHeardFromABridgeDroppedUntilStale) {
  // kOther is behind the bridge (its EXT_FRAME just now).
  auto o = decap({vl1(kBridge, 0x07, ext_payload(kLanHost, kOther, kIpData), crypto::Suite::kSalsa2012Poly1305)});
  ASSERT_EQ(o.lan.size(), 1u) << h.drop_reason();
  t->drain_learn(100);
  ASSERT_EQ(MacWord::kind(t->mac(slot(), kOther)), MacWord::kRemote);
  auto out = encap({eth_frame(0xffffffffffffull, kOther, 0x0800, kIpData)});
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(h.drop_reason(), "vl2_lan_loop");
  ASSERT_EQ(h.loop_events.size(), 1u);
  EXPECT_EQ(h.loop_events[0].bridge, kBridge);
  // Not heard from the network for longer than the window: it moved here.
  Vl2Tables::advance_clock(tables::vl2::kLanLoopWindowS + 1);
  h.counters = CoreCounters{};
  out = encap({eth_frame(0xffffffffffffull, kOther, 0x0800, kIpData)});
  EXPECT_FALSE(out.empty());
  EXPECT_EQ(h.drops_total(), 0u) << h.drop_reason();
  t->drain_learn(100);
  EXPECT_EQ(MacWord::kind(t->mac(slot(), kOther)), MacWord::kLan);
}

TEST_F(Vl2Loop, NetworkSetCommandCarriesTheGuard) {
  ipc::vl2::NetworkSettings s;
  s.nwid = kNw;
  s.loop_guard = false;
  ASSERT_EQ(t->apply(ipc::vl2::network_set(s)), FLATNET_IPC_OK);
  EXPECT_FALSE(t->network(kNw)->s.loop_guard);
  s.loop_guard = true;
  ASSERT_EQ(t->apply(ipc::vl2::network_set(s)), FLATNET_IPC_OK);
  EXPECT_TRUE(t->network(kNw)->s.loop_guard);
}

}  // namespace
}  // namespace flatnet::test
