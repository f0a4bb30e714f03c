// The gateway's host port (dataplane/fastpath/vl2_host.cpp) in the data
// plane's own poll loop: underlay, LAN and host net_ring ports back to back
// in this process. A member's FRAME to us leaves the host port (not the LAN);
// the LAN's broadcast is copied to the host port; the host's frame to a LAN
// host is switched to the LAN port (nothing on the underlay); a LAN frame to
// our member MAC reaches the host port; the host's frame to a member leaves
// the underlay as a FRAME (our own member MAC is the source); a host frame
// from another MAC is dropped (vl2_host_source).
#include <rte_ethdev.h>

#include "crypto/armor.hpp"
#include "dataplane/runtime/gateway.hpp"
#include "dataplane/runtime/lcore.hpp"
#include "dataplane/tables/peer_table.hpp"
#include "dataplane/wire/vl1.hpp"
#include "dataplane/wire/vl2_frame.hpp"
#include "tests/packet/harness.hpp"
#include "tests/packet/ring_pair.hpp"

namespace flatnet::test {
namespace {

namespace v2 = flatnet::wire::vl2;
constexpr uint64_t kNw = 0x8056c2e21c000002ull;
constexpr uint64_t kLanHost = 0x06aabbccdd02ull;

crypto::SharedKey key_for(uint64_t addr) {
  crypto::SharedKey k;
  for (size_t i = 0; i < k.size(); ++i) k.data()[i] = uint8_t(addr * 5 + i);
  return k;
}

class GatewayHost : public ::testing::Test {
 protected:
  void SetUp() override {
    static int n = 0;
    std::string tag = std::to_string(n++);
    std::string err;
    ASSERT_TRUE(make_ring_pair("hu" + tag, 512, EalEnv::pool(), &under, &err)) << err;
    ASSERT_TRUE(make_ring_pair("hl" + tag, 512, EalEnv::pool(), &lan, &err)) << err;
    ASSERT_TRUE(make_ring_pair("hh" + tag, 512, EalEnv::pool(), &host, &err)) << err;
    tables::TableParams tp;
    tp.name = "gwh" + tag;
    tp.capacity = 64;
    tp.max_readers = 1;
    peers = tables::PeerTable::create(tp, &err);
    ASSERT_TRUE(peers) << err;
    peers->reader_register(0);
    runtime::Config c;
    c.instance = "gwh" + tag;
    gw.nwid = kNw;
    gw.lan.port_id = lan.dp;
    gw.has_host = true;
    gw.host.port_id = host.dp;
    ASSERT_TRUE(runtime::gateway_tables(c, 1, peers->qsbr(), &gw, &err)) << err;
    auto& t = *gw.tables;
    ASSERT_EQ(t.member_set(kNw, kA, tables::vl2::MemberWord::kPresent | tables::vl2::MemberWord::kComValid),
              FLATNET_IPC_OK);
    ASSERT_EQ(t.key_set(kA, key_for(kA)), FLATNET_IPC_OK);
    h.add_neighbor4(kIpA, kMacA);
    h.add_path4(kA, kIpA, 9993);
    p.w = h.w;
    p.w.vl2 = gw.ports[0].get();
    p.port = under.dp;
    p.idle.busy = true;
  }
  void TearDown() override {
    for (uint16_t port : {under.peer, lan.peer, host.peer}) {
      rte_mbuf* m[64];
      uint16_t k;
      while ((k = rte_eth_rx_burst(port, 0, m, 64)) > 0) rte_pktmbuf_free_bulk(m, k);
    }
    peers->reader_unregister(0);
    gw.tables.reset();
  }
  void send(uint16_t port, const Bytes& f) {
    rte_mbuf* m = rte_pktmbuf_alloc(EalEnv::pool());
    ASSERT_NE(m, nullptr);
    std::memcpy(rte_pktmbuf_append(m, uint16_t(f.size())), f.data(), f.size());
    ASSERT_EQ(rte_eth_tx_burst(port, 0, &m, 1), 1);
  }
  std::vector<Bytes> receive(uint16_t port) {
    std::vector<Bytes> out;
    rte_mbuf* m[64];
    uint16_t k;
    while ((k = rte_eth_rx_burst(port, 0, m, 64)) > 0) {
      for (uint16_t i = 0; i < k; ++i) {
        auto* d = rte_pktmbuf_mtod(m[i], uint8_t*);
        out.emplace_back(d, d + m[i]->data_len);
      }
      rte_pktmbuf_free_bulk(m, k);
    }
    return out;
  }
  static Bytes eth(uint64_t dst, uint64_t src, const Bytes& payload) {
    Bytes f(12);
    v2::write_mac(f.data(), dst);
    v2::write_mac(f.data() + 6, src);
    put16(f, 0x0800);
    f.insert(f.end(), payload.begin(), payload.end());
    return f;
  }
  void run() {
    for (int i = 0; i < 3; ++i) runtime::poll_once(p);
  }

  Harness h;
  RingPair under, lan, host;
  std::unique_ptr<tables::PeerTable> peers;
  runtime::Gateway gw;
  runtime::Poller p;
  const uint64_t ours = v2::mac_from_address(Harness::kSelf, kNw);
  const Bytes ip = Bytes(48, 0x5b);
};

TEST_F(GatewayHost, MemberFrameToUsReachesTheHostPort) {
  Bytes vl1(28, 0);
  wire::write_be64(vl1.data(), 0x1122334455667799ull);
  wire::write_addr40(vl1.data() + wire::kIdxDest, Harness::kSelf);
  wire::write_addr40(vl1.data() + wire::kIdxSource, kA);
  vl1[wire::kIdxVerb] = 0x06;  // FRAME: to our member MAC
  Bytes pl(8);
  wire::write_be64(pl.data(), kNw);
  put16(pl, 0x0800);
  pl.insert(pl.end(), ip.begin(), ip.end());
  vl1.insert(vl1.end(), pl.begin(), pl.end());
  crypto::PeerKeys k(key_for(kA));
  crypto::armor(vl1, k, crypto::Suite::kSalsa2012Poly1305);
  send(under.peer, udp4_frame(h.dp_mac, kMacA, kIpA, h.dp_ip4, 9993, 9993, vl1));
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
