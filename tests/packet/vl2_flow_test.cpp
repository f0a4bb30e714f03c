// A gateway with several workers (docs/gateway.md "Several workers"): the
// flow owner stamps (dataplane/fastpath/vl2_flow.hpp) count a flow that
// changes worker within the window and nothing else; two pollers of one
// gateway count it from their own poll loops; the runtime's queue plan
// refuses an af_packet port whose fanout would feed an unpolled queue; the
// pollers' packet id ranges never meet.
#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "dataplane/fastpath/vl2_flow.hpp"
#include "dataplane/runtime/gateway.hpp"
#include "dataplane/runtime/lcore.hpp"
#include "dataplane/runtime/port.hpp"
#include "dataplane/tables/peer_table.hpp"
#include "tests/packet/harness.hpp"
#include "tests/packet/ring_pair.hpp"

namespace flatnet::test {
namespace {

constexpr uint64_t kNw = 0x8056c2e21c000002ull;
const MacA kLanH{{0x02, 0, 0, 0, 0x18, 0x01}};
const MacA kLanK{{0x02, 0, 0, 0, 0x18, 0x02}};
const Ip4 kIpH{{10, 147, 18, 250}}, kIpK{{10, 147, 18, 11}};

// A TCP segment (header only, flags ACK) from s:sport to d:dport.
Bytes tcp4_frame(const MacA& dm, const MacA& sm, const Ip4& s, const Ip4& d, uint16_t sport, uint16_t dport,
                 uint16_t frag = 0x4000) {
  Bytes t;
  put16(t, sport);
  put16(t, dport);
  t.resize(20, 0);
  t[12] = 0x50;
  t[13] = 0x10;
  return cat({eth(dm, sm, 0x0800), ip4(s, d, 6, t.size(), 1, frag), t});
}

rte_mbuf* mbuf_of(const Bytes& f) {
  rte_mbuf* m = rte_pktmbuf_alloc(EalEnv::pool());
  if (m) std::memcpy(rte_pktmbuf_append(m, uint16_t(f.size())), f.data(), f.size());
  return m;
}

bool lan_hash(const Bytes& f, uint32_t* h) {
  rte_mbuf* m = mbuf_of(f);
  const bool ok = fastpath::lan_flow(m, h);
  rte_pktmbuf_free(m);
  return ok;
}

bool under_hash(const Bytes& f, uint32_t* h) {
  rte_mbuf* m = mbuf_of(f);
  const bool ok = fastpath::underlay_flow(m, h);
  rte_pktmbuf_free(m);
  return ok;
}

TEST(Vl2Flow, StampCountsOnlyAMoveWithinTheWindow) {
  const uint64_t tick = 1ull << fastpath::FlowOwners::kTickShift;
  auto t = std::make_unique<fastpath::FlowOwners>(100 * tick);  // a window of 100 ticks
  uint64_t now = 1000 * tick;
  const uint32_t flow = 0xabcde123;
  EXPECT_FALSE(t->stamp(flow, 0, now));             // first seen
  EXPECT_FALSE(t->stamp(flow, 0, now + tick));      // same worker
  EXPECT_TRUE(t->stamp(flow, 1, now + 2 * tick));   // moved to worker 1 while worker 0 may hold a frame
  EXPECT_FALSE(t->stamp(flow, 1, now + 3 * tick));  // stays there
  EXPECT_FALSE(t->stamp(flow, 0, now + 200 * tick));  // back after the window: nothing could be overtaken
  // Another flow in the same bucket (same low 12 bits, other tag) takes it
  // without counting, and the first flow's return is not counted either.
  const uint32_t other = flow ^ 0xfff00000u;
  EXPECT_FALSE(t->stamp(other, 1, now + 201 * tick));
  EXPECT_FALSE(t->stamp(flow, 0, now + 202 * tick));
  // A worker's own stamps are rewritten only now and then (window / 4).
  const uint64_t before = t->slot[flow & (fastpath::FlowOwners::kSlots - 1)].load();
  EXPECT_FALSE(t->stamp(flow, 0, now + 203 * tick));
  EXPECT_EQ(t->slot[flow & (fastpath::FlowOwners::kSlots - 1)].load(), before);
  EXPECT_FALSE(t->stamp(flow, 0, now + 240 * tick));
  EXPECT_NE(t->slot[flow & (fastpath::FlowOwners::kSlots - 1)].load(), before);
  // Worker ids past 8 bits stay distinct from an empty slot.
  EXPECT_TRUE(t->stamp(flow, 200, now + 241 * tick));
}

TEST(Vl2Flow, LanFlowIsTheTcpOrUdpFourTupleAndVlan) {
  uint32_t a, b;
  ASSERT_TRUE(lan_hash(tcp4_frame(kLanK, kLanH, kIpH, kIpK, 40000, 5201), &a));
  ASSERT_TRUE(lan_hash(tcp4_frame(kLanK, kLanH, kIpH, kIpK, 40000, 5201), &b));
  EXPECT_EQ(a, b);
  ASSERT_TRUE(lan_hash(tcp4_frame(kLanK, kLanH, kIpH, kIpK, 40001, 5201), &b));
  EXPECT_NE(a, b);  // another stream between the same hosts is another flow
  ASSERT_TRUE(lan_hash(udp4_frame(kLanK, kLanH, kIpH, kIpK, 40000, 5201, Bytes(8, 1)), &b));
  EXPECT_NE(a, b);  // the protocol is part of the flow
  // One 802.1Q tag is skipped and its VLAN ID is part of the flow.
  Bytes tagged = tcp4_frame(kLanK, kLanH, kIpH, kIpK, 40000, 5201);
  const uint8_t tag[4] = {0x81, 0x00, 0x00, 0x0a};
  tagged.insert(tagged.begin() + 12, tag, tag + 4);
  ASSERT_TRUE(lan_hash(tagged, &b));
  EXPECT_NE(a, b);
  // Not stamped: IP fragments, ARP, a runt, ICMP.
  EXPECT_FALSE(lan_hash(tcp4_frame(kLanK, kLanH, kIpH, kIpK, 40000, 5201, 0x2000), &b));
  EXPECT_FALSE(lan_hash(tcp4_frame(kLanK, kLanH, kIpH, kIpK, 40000, 5201, 0x0010), &b));
  EXPECT_FALSE(lan_hash(arp_frame(kLanK, kLanH, 1, kLanH, kIpH, MacA{}, kIpK), &b));
  EXPECT_FALSE(lan_hash(Bytes(10, 0), &b));
  EXPECT_FALSE(lan_hash(cat({eth(kLanK, kLanH, 0x0800), ip4(kIpH, kIpK, 1, 24), icmp4_echo(8, 1, 1)}), &b));
}

TEST(Vl2Flow, UnderlayFlowIsThePeersPath) {
  const MacA dm{{0x02, 0, 0, 0, 0, 0x01}};
  const Ip4 us{{10, 0, 0, 1}};
  uint32_t a, b;
  // Every datagram of a path (whatever it carries: heads and VL1 fragments) is one flow.
  ASSERT_TRUE(under_hash(udp4_frame(dm, kMacA, kIpA, us, 9993, 9993, vl1_packet(Harness::kSelf, kA, 0)), &a));
  ASSERT_TRUE(under_hash(udp4_frame(dm, kMacA, kIpA, us, 9993, 9993, vl1_fragment(Harness::kSelf, 2, 1, 0)), &b));
  EXPECT_EQ(a, b);
  ASSERT_TRUE(under_hash(udp4_frame(dm, kMacA, kIpA, us, 9994, 9993, Bytes(40, 0)), &b));
  EXPECT_NE(a, b);
  ASSERT_TRUE(under_hash(udp4_frame(dm, kMacB, kIpB, us, 9993, 9993, Bytes(40, 0)), &b));
  EXPECT_NE(a, b);
  // Not UDP, or tagged (the underlay takes no tags): not stamped.
  EXPECT_FALSE(under_hash(tcp4_frame(dm, kMacA, kIpA, us, 9993, 9993), &b));
  Bytes tagged = udp4_frame(dm, kMacA, kIpA, us, 9993, 9993, Bytes(40, 0));
  const uint8_t tag[4] = {0x81, 0x00, 0x00, 0x0a};
  tagged.insert(tagged.begin() + 12, tag, tag + 4);
  EXPECT_FALSE(under_hash(tagged, &b));
}

// Two pollers of one gateway on one pair of net_ring ports (both on queue
// 0, standing in for a port whose placement changed): a LAN flow and an
// underlay path each handed from poller 0 to poller 1 count one move each,
// on poller 1.
// Closes the ring ports a test made (a process has 32 port ids, and the
// other fixtures keep theirs).
struct ClosePorts {
  RingPair* pairs[2];
  ~ClosePorts() {
    for (RingPair* r : pairs)
      for (uint16_t port : {r->peer, r->dp})
        if (rte_eth_dev_is_valid_port(port)) {
          rte_eth_dev_stop(port);
          rte_eth_dev_close(port);
        }
  }
};

TEST(Vl2Flow, TwoPollersCountAFlowThatChangedWorker) {
  std::string err;
  RingPair under, lan;
  under.peer = under.dp = lan.peer = lan.dp = RTE_MAX_ETHPORTS;  // none yet
  ClosePorts closer{{&under, &lan}};
  ASSERT_TRUE(make_ring_pair("fu", 512, EalEnv::pool(), &under, &err)) << err;
  ASSERT_TRUE(make_ring_pair("fl", 512, EalEnv::pool(), &lan, &err)) << err;
  tables::TableParams tp;
  tp.name = "vfl";
  tp.capacity = 64;
  tp.max_readers = 2;
  auto peers = tables::PeerTable::create(tp, &err);
  ASSERT_TRUE(peers) << err;
  runtime::Config c;
  c.instance = "vfl";
  runtime::Gateway gw;
  gw.nwid = kNw;
  gw.lan.port_id = lan.dp;
  ASSERT_TRUE(runtime::gateway_tables(c, 2, peers->qsbr(), &gw, &err)) << err;
  ASSERT_TRUE(gw.under_flows && gw.lan_flows);
  // Each poller its own packet id range and its own RANDOM draws.
  EXPECT_EQ(gw.ports[0]->packet_id >> 56, 0u);
  EXPECT_EQ(gw.ports[1]->packet_id >> 56, 1u);
  EXPECT_NE(gw.ports[0]->rnd, gw.ports[1]->rnd);
  EXPECT_NE(gw.ports[0]->rnd, 0u);
  // The pollers stamp into tables whose window (an hour) no scheduling
  // delay of this test reaches: what is checked here is who counts, not
  // the window (StampCountsOnlyAMoveWithinTheWindow checks that).
  fastpath::FlowOwners under_flows(rte_get_tsc_hz() * 3600), lan_flows(rte_get_tsc_hz() * 3600);
  Harness h0, h1;
  runtime::Poller p[2];
  Harness* hs[2] = {&h0, &h1};
  for (unsigned i = 0; i < 2; ++i) {
    p[i].w = hs[i]->w;
    p[i].w.id = i;
    p[i].w.vl2 = gw.ports[i].get();
    p[i].port = under.dp;
    p[i].idle.busy = true;
    p[i].under_flows = &under_flows;
    p[i].lan_flows = &lan_flows;
  }
  auto send = [](uint16_t port, const Bytes& f) {
    rte_mbuf* m = mbuf_of(f);
    ASSERT_NE(m, nullptr);
    ASSERT_EQ(rte_eth_tx_burst(port, 0, &m, 1), 1);
  };
  const Bytes lan_frame = tcp4_frame(kLanK, kLanH, kIpH, kIpK, 40000, 5201);
  const Bytes datagram = udp4_frame(h0.dp_mac, kMacA, kIpA, h0.dp_ip4, 9993, 9993, vl1_packet(Harness::kSelf, kA, 0));
  for (unsigned i = 0; i < 2; ++i) {
    send(lan.peer, lan_frame);
    send(under.peer, datagram);
    for (int r = 0; r < 3; ++r) runtime::poll_once(p[i]);  // the underlay burst is processed a round later
    // The test's process descheduled between the two pollers (a loaded
    // machine): longer than the gateway's 10 ms window.
    if (i == 0) rte_delay_ms(20);
  }
  // Again on poller 1: its own flow, nothing more.
  send(lan.peer, lan_frame);
  send(under.peer, datagram);
  for (int r = 0; r < 3; ++r) runtime::poll_once(p[1]);
  EXPECT_EQ(h0.counters.vl2_flow_moves_encap, 0u);
  EXPECT_EQ(h0.counters.vl2_flow_moves_decap, 0u);
  EXPECT_EQ(h1.counters.vl2_flow_moves_encap, 1u);
  EXPECT_EQ(h1.counters.vl2_flow_moves_decap, 1u);
  EXPECT_EQ(h0.counters.lan_rx_packets, 1u);
  EXPECT_EQ(h1.counters.lan_rx_packets, 2u);
  for (uint16_t port : {under.peer, lan.peer}) {
    rte_mbuf* m[64];
    uint16_t k;
    while ((k = rte_eth_rx_burst(port, 0, m, 64)) > 0) rte_pktmbuf_free_bulk(m, k);
  }
  gw.tables.reset();
}

// One poller: no table, nothing stamped.
TEST(Vl2Flow, OnePollerHasNoFlowTable) {
  std::string err;
  tables::TableParams tp;
  tp.name = "vfo";
  tp.capacity = 64;
  tp.max_readers = 1;
  auto peers = tables::PeerTable::create(tp, &err);
  ASSERT_TRUE(peers) << err;
  runtime::Config c;
  c.instance = "vfo";
  runtime::Gateway gw;
  gw.nwid = kNw;
  ASSERT_TRUE(runtime::gateway_tables(c, 1, peers->qsbr(), &gw, &err)) << err;
  EXPECT_FALSE(gw.under_flows);
  EXPECT_FALSE(gw.lan_flows);
  gw.tables.reset();
}

TEST(Vl2Flow, QueuePlanServesEveryQueue) {
  using runtime::PortQueues;
  std::string err;
  unsigned n = 0;
  // af_packet with qpairs=2 and two workers on both ports: two pollers.
  ASSERT_TRUE(runtime::plan_pollers({{"u", "net_af_packet", 2}, {"l", "net_af_packet", 2}}, 2, &n, &err)) << err;
  EXPECT_EQ(n, 2u);
  // One worker (or none): the second fanout socket would get flows nobody reads.
  EXPECT_FALSE(runtime::plan_pollers({{"u", "net_af_packet", 2}, {"l", "net_af_packet", 1}}, 0, &n, &err));
  EXPECT_NE(err.find("qpairs=2"), std::string::npos) << err;
  // Four workers asked, the LAN offers two: two pollers, the NIC configured with two.
  ASSERT_TRUE(runtime::plan_pollers({{"u", "net_ice", 64}, {"l", "net_af_packet", 2}}, 4, &n, &err)) << err;
  EXPECT_EQ(n, 2u);
  // A NIC spreads only over the queues configured: fewer is fine.
  ASSERT_TRUE(runtime::plan_pollers({{"u", "net_ice", 64}, {"l", "net_ring", 8}}, 0, &n, &err)) << err;
  EXPECT_EQ(n, 1u);
}

TEST(Vl2Flow, PacketIdRangesOfPollersNeverMeet) {
  for (unsigned i = 0; i < 4; ++i) {
    const uint64_t lo = runtime::packet_id_start(i, 0), hi = runtime::packet_id_start(i, ~0ull);
    EXPECT_EQ(lo >> 56, i);
    EXPECT_EQ((hi + (1ull << 55)) >> 56, i);  // 2^55 ids later still in the poller's own range
  }
}

}  // namespace
}  // namespace flatnet::test
