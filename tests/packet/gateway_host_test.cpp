// The gateway's host port (dataplane/fastpath/vl2_host.cpp) in the data
// plane's own poll loop: underlay, LAN and host net_ring ports back to back
// in this process. A member's FRAME to us leaves the host port (not the LAN);
// the LAN's broadcast is copied to the host port; the host's frame to a LAN
// host is switched to the LAN port (nothing on the underlay); a LAN frame to
// our member MAC reaches the host port; the host's frame to a member leaves
// the underlay as a FRAME (our own member MAC is the source); a host frame
// from another MAC is dropped (vl2_host_source).
#include "tests/packet/gateway_fixture.hpp"

namespace flatnet::test {
namespace {

constexpr uint64_t kLanHost = 0x06aabbccdd02ull;

class GatewayHost : public GatewayFixture {
 protected:
  GatewayHost() : GatewayFixture("gwh", true) {}

  const Bytes ip = Bytes(48, 0x5b);
};

TEST_F(GatewayHost, MemberFrameToUsReachesTheHostPort) {
  send(under.peer, member_frame(0x1122334455667799ull, ip));  // to our member MAC
  run();
  EXPECT_TRUE(receive(lan.peer).empty());
  auto out = receive(host.peer);
  ASSERT_EQ(out.size(), 1u) << h.drop_reason();
  EXPECT_EQ(out[0], eth(ours, v2::mac_from_address(kA, kNw), ip));
  EXPECT_EQ(h.counters.host_tx_packets, 1u);
  EXPECT_EQ(h.counters.lan_tx_packets, 0u);
}

TEST_F(GatewayHost, SwitchedBetweenLanAndHost) {
  // The LAN host's broadcast: a copy to the host port; the writer learns it.
  send(lan.peer, eth(v2::kBroadcastMac, kLanHost, ip));
  run();
  auto out = receive(host.peer);
  ASSERT_EQ(out.size(), 1u) << h.drop_reason();
  EXPECT_EQ(out[0], eth(v2::kBroadcastMac, kLanHost, ip));
  runtime::gateway_round(gw, 1);
  ASSERT_EQ(tables::vl2::MacWord::kind(gw.tables->mac(gw.tables->network(kNw)->slot, kLanHost)),
            tables::vl2::MacWord::kLan);

  // The host answers the LAN host: out of the LAN port, nothing on the underlay.
  send(host.peer, eth(kLanHost, ours, ip));
  run();
  out = receive(lan.peer);
  ASSERT_EQ(out.size(), 1u) << h.drop_reason();
  EXPECT_EQ(out[0], eth(kLanHost, ours, ip));
  EXPECT_TRUE(receive(under.peer).empty());

  // The LAN host's unicast to our member MAC: the host port.
  send(lan.peer, eth(ours, kLanHost, ip));
  run();
  out = receive(host.peer);
  ASSERT_EQ(out.size(), 1u) << h.drop_reason();
  EXPECT_EQ(out[0], eth(ours, kLanHost, ip));
  EXPECT_EQ(h.drops(Drop::vl2_lan_local), 0u);
  EXPECT_EQ(h.counters.host_rx_packets, 1u);

  // A LAN host heard only through unicast to us is learned all the same.
  const uint64_t other = 0x06aabbccdd03ull;
  send(lan.peer, eth(ours, other, ip));
  run();
  EXPECT_EQ(receive(host.peer).size(), 1u);
  runtime::gateway_round(gw, 2);
  EXPECT_EQ(tables::vl2::MacWord::kind(gw.tables->mac(gw.tables->network(kNw)->slot, other)),
            tables::vl2::MacWord::kLan);
}

TEST_F(GatewayHost, HostFrameToMemberIsOurFrame) {
  send(host.peer, eth(v2::mac_from_address(kA, kNw), ours, ip));
  run();
  auto dg = receive(under.peer);
  ASSERT_EQ(dg.size(), 1u) << h.drop_reason();
  Bytes back(dg[0].begin() + 42, dg[0].end());
  crypto::PeerKeys k(key_for(kA));
  ASSERT_EQ(crypto::dearmor(back, k), crypto::DearmorResult::kOk);
  EXPECT_EQ(back[wire::kIdxVerb], 0x06);  // FRAME: the source is our member MAC
  EXPECT_EQ(Bytes(back.end() - long(ip.size()), back.end()), ip);
  EXPECT_TRUE(receive(lan.peer).empty());

  // Another source MAC on the host port: dropped, counted.
  send(host.peer, eth(v2::mac_from_address(kA, kNw), kLanHost, ip));
  run();
  EXPECT_TRUE(receive(under.peer).empty());
  EXPECT_EQ(h.drops(Drop::vl2_host_source), 1u);
}

}  // namespace
}  // namespace flatnet::test
