// The gateway in the data plane's own poll loop (dataplane/runtime/lcore.cpp
// and gateway.cpp): an underlay and a LAN net_ring port back to back in this
// process. An armored FRAME arriving on the underlay leaves the LAN port as
// an Ethernet frame; a LAN frame for a member leaves the underlay as a
// datagram that opens with the member's key; the main lcore's round learns
// the LAN host's MAC from the event the worker posted.
#include "tests/packet/gateway_fixture.hpp"

namespace flatnet::test {
namespace {

class GatewayLoop : public GatewayFixture {
 protected:
  GatewayLoop() : GatewayFixture("gwl", false) {}
};

TEST_F(GatewayLoop, UnderlayToLanAndBack) {
  // A member's FRAME, armored with its key, arrives on the underlay.
  Bytes ip(48, 0x5a);
  send(under.peer, member_frame(0x1122334455667788ull, ip));
  run();
  auto out = receive(lan.peer);
  ASSERT_EQ(out.size(), 1u) << h.drop_reason();
  EXPECT_EQ(v2::read_mac(out[0].data()), v2::mac_from_address(Harness::kSelf, kNw));
  EXPECT_EQ(v2::read_mac(out[0].data() + 6), v2::mac_from_address(kA, kNw));
  EXPECT_EQ(Bytes(out[0].begin() + 14, out[0].end()), ip);
  EXPECT_EQ(h.counters.lan_tx_packets, 1u);

  // A LAN host answers the member.
  send(lan.peer, eth(v2::mac_from_address(kA, kNw), 0x06aabbccdd01ull, ip));
  run();
  auto dg = receive(under.peer);
  ASSERT_EQ(dg.size(), 1u) << h.drop_reason();
  EXPECT_EQ(std::memcmp(dg[0].data(), kMacA.b, 6), 0);
  Bytes back(dg[0].begin() + 42, dg[0].end());
  crypto::PeerKeys k(key_for(kA));
  ASSERT_EQ(crypto::dearmor(back, k), crypto::DearmorResult::kOk);
  EXPECT_EQ(back[wire::kIdxVerb], 0x07);
  EXPECT_EQ(h.counters.lan_rx_packets, 1u);
  EXPECT_EQ(h.counters.vl2_encap_unicast, 1u);

  // The main lcore's round learns the LAN host from the worker's event.
  runtime::gateway_round(gw, 1);
  EXPECT_EQ(tables::vl2::MacWord::kind(gw.tables->mac(gw.tables->network(kNw)->slot, 0x06aabbccdd01ull)),
            tables::vl2::MacWord::kLan);
}

}  // namespace
}  // namespace flatnet::test
