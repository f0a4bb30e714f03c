// The fixture of the gateway's poll-loop tests (gateway_loop_test.cpp,
// gateway_host_test.cpp): the data plane's own poll loop over net_ring
// ports back to back in this process -- the underlay, the LAN port and, when
// asked, the host port -- with the gateway's tables holding member A (and
// its key), a path and a neighbour for A, and helpers that send frames into
// a port, run the loop, collect what a port sent, and build a member's
// armored FRAME and a LAN Ethernet frame.
#pragma once

#include <rte_ethdev.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

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
constexpr uint64_t kNw = 0x8056c2e21c000001ull;

inline crypto::SharedKey key_for(uint64_t addr) {
  crypto::SharedKey k;
  for (size_t i = 0; i < k.size(); ++i) k.data()[i] = uint8_t(addr * 3 + i);
  return k;
}

class GatewayFixture : public ::testing::Test {
 protected:
  // `name` makes the rings, ports and tables of this file's tests unique in
  // the process (every test file's fixture counts from 0); `with_host` adds
  // the host port.
  GatewayFixture(const char* name, bool with_host) : name_(name), with_host_(with_host) {}

  void SetUp() override {
    static int n = 0;
    std::string tag = name_ + std::to_string(n++);
    std::string err;
    ASSERT_TRUE(make_ring_pair(tag + "u", 512, EalEnv::pool(), &under, &err)) << err;
    ASSERT_TRUE(make_ring_pair(tag + "l", 512, EalEnv::pool(), &lan, &err)) << err;
    if (with_host_) {
      ASSERT_TRUE(make_ring_pair(tag + "h", 512, EalEnv::pool(), &host, &err)) << err;
    }
    tables::TableParams tp;
    tp.name = tag;
    tp.capacity = 64;
    tp.max_readers = 1;
    peers = tables::PeerTable::create(tp, &err);
    ASSERT_TRUE(peers) << err;
    peers->reader_register(0);
    runtime::Config c;
    c.instance = tag;
    gw.nwid = kNw;
    gw.lan.port_id = lan.dp;
    gw.has_host = with_host_;
    if (with_host_) gw.host.port_id = host.dp;
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
    std::vector<uint16_t> outside{under.peer, lan.peer};
    if (with_host_) outside.push_back(host.peer);
    for (uint16_t port : outside) {
      rte_mbuf* m[64];
      uint16_t k;
      while ((k = rte_eth_rx_burst(port, 0, m, 64)) > 0) rte_pktmbuf_free_bulk(m, k);
    }
    if (peers) peers->reader_unregister(0);
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
  // Three rounds of the poll loop: a burst is sent one round after it
  // arrived, so three are enough for a frame in and its answer out.
  void run() {
    for (int i = 0; i < 3; ++i) runtime::poll_once(p);
  }

  // An IPv4 Ethernet frame.
  static Bytes eth(uint64_t dst, uint64_t src, const Bytes& payload) {
    Bytes f(12);
    v2::write_mac(f.data(), dst);
    v2::write_mac(f.data() + 6, src);
    put16(f, 0x0800);
    f.insert(f.end(), payload.begin(), payload.end());
    return f;
  }
  // Member A's FRAME (to our member MAC) carrying IPv4 `payload`, armored
  // with A's key, as the UDP datagram that reaches the underlay port.
  Bytes member_frame(uint64_t packet_id, const Bytes& payload) {
    Bytes vl1(28, 0);
    wire::write_be64(vl1.data(), packet_id);
    wire::write_addr40(vl1.data() + wire::kIdxDest, Harness::kSelf);
    wire::write_addr40(vl1.data() + wire::kIdxSource, kA);
    vl1[wire::kIdxVerb] = 0x06;  // FRAME
    Bytes pl(8);
    wire::write_be64(pl.data(), kNw);
    put16(pl, 0x0800);
    pl.insert(pl.end(), payload.begin(), payload.end());
    vl1.insert(vl1.end(), pl.begin(), pl.end());
    crypto::PeerKeys k(key_for(kA));
    crypto::armor(vl1, k, crypto::Suite::kSalsa2012Poly1305);
    return udp4_frame(h.dp_mac, kMacA, kIpA, h.dp_ip4, 9993, 9993, vl1);
  }

  Harness h;
  RingPair under, lan, host;
  std::unique_ptr<tables::PeerTable> peers;
  runtime::Gateway gw;
  runtime::Poller p;
  const uint64_t ours = v2::mac_from_address(Harness::kSelf, kNw);  // our member MAC

 private:
  std::string name_;
  bool with_host_;
};

}  // namespace
}  // namespace flatnet::test
