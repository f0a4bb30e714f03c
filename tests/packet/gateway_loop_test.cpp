// The gateway in the data plane's own poll loop (dataplane/runtime/lcore.cpp
// and gateway.cpp): an underlay and a LAN net_ring port back to back in this
// process. An armored FRAME arriving on the underlay leaves the LAN port as
// an Ethernet frame; a LAN frame for a member leaves the underlay as a
// datagram that opens with the member's key; the main lcore's round learns
// the LAN host's MAC from the event the worker posted.
#include <rte_ethdev.h>

#include "crypto/armor.hpp"
#include "dataplane/runtime/gateway.hpp"
#include "dataplane/tables/peer_table.hpp"
#include "dataplane/runtime/lcore.hpp"
#include "dataplane/wire/vl1.hpp"
#include "dataplane/wire/vl2_frame.hpp"
#include "tests/packet/harness.hpp"
#include "tests/packet/ring_pair.hpp"

namespace flatnet::test {
namespace {

namespace v2 = flatnet::wire::vl2;
constexpr uint64_t kNw = 0x8056c2e21c000001ull;

crypto::SharedKey key_for(uint64_t addr) {
  crypto::SharedKey k;
  for (size_t i = 0; i < k.size(); ++i) k.data()[i] = uint8_t(addr * 3 + i);
  return k;
}

class GatewayLoop : public ::testing::Test {
 protected:
  void SetUp() override {
    static int n = 0;
    std::string tag = std::to_string(n++);
    std::string err;
    ASSERT_TRUE(make_ring_pair("gu" + tag, 512, EalEnv::pool(), &under, &err)) << err;
    ASSERT_TRUE(make_ring_pair("gl" + tag, 512, EalEnv::pool(), &lan, &err)) << err;
    tables::TableParams tp;
    tp.name = "gwl" + tag;
    tp.capacity = 64;
    tp.max_readers = 1;
    peers = tables::PeerTable::create(tp, &err);
    ASSERT_TRUE(peers) << err;
    peers->reader_register(0);
    runtime::Config c;
    c.instance = "gwl" + tag;
    gw.nwid = kNw;
    gw.lan.port_id = lan.dp;
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
    for (uint16_t port : {under.peer, lan.peer}) {
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

  Harness h;
  RingPair under, lan;
  std::unique_ptr<tables::PeerTable> peers;
  runtime::Gateway gw;
  runtime::Poller p;
};

TEST_F(GatewayLoop, UnderlayToLanAndBack) {
  // A member's FRAME, armored with its key, arrives on the underlay.
  Bytes ip(48, 0x5a);
  Bytes vl1(28, 0);
  wire::write_be64(vl1.data(), 0x1122334455667788ull);
  wire::write_addr40(vl1.data() + wire::kIdxDest, Harness::kSelf);
  wire::write_addr40(vl1.data() + wire::kIdxSource, kA);
  vl1[wire::kIdxVerb] = 0x06;
  Bytes pl(8);
  wire::write_be64(pl.data(), kNw);
  put16(pl, 0x0800);
  pl.insert(pl.end(), ip.begin(), ip.end());
  vl1.insert(vl1.end(), pl.begin(), pl.end());
  crypto::PeerKeys k(key_for(kA));
  crypto::armor(vl1, k, crypto::Suite::kSalsa2012Poly1305);
  send(under.peer, udp4_frame(h.dp_mac, kMacA, kIpA, h.dp_ip4, 9993, 9993, vl1));
  for (int i = 0; i < 3; ++i) runtime::poll_once(p);
  auto out = receive(lan.peer);
  ASSERT_EQ(out.size(), 1u) << h.drop_reason();
  EXPECT_EQ(v2::read_mac(out[0].data()), v2::mac_from_address(Harness::kSelf, kNw));
  EXPECT_EQ(v2::read_mac(out[0].data() + 6), v2::mac_from_address(kA, kNw));
  EXPECT_EQ(Bytes(out[0].begin() + 14, out[0].end()), ip);
  EXPECT_EQ(h.counters.lan_tx_packets, 1u);

  // A LAN host answers the member.
  Bytes f(12);
  v2::write_mac(f.data(), v2::mac_from_address(kA, kNw));
  v2::write_mac(f.data() + 6, 0x06aabbccdd01ull);
  put16(f, 0x0800);
  f.insert(f.end(), ip.begin(), ip.end());
  send(lan.peer, f);
  for (int i = 0; i < 3; ++i) runtime::poll_once(p);
  auto dg = receive(under.peer);
  ASSERT_EQ(dg.size(), 1u) << h.drop_reason();
  EXPECT_EQ(std::memcmp(dg[0].data(), kMacA.b, 6), 0);
  Bytes back(dg[0].begin() + 42, dg[0].end());
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
