// The data plane's poll loop (dataplane/runtime/lcore.cpp) on a real ethdev:
// two net_ring ports back to back in this process, the harness's worker
// behind one of them. A burst is processed one round after it arrived (its
// mbuf headers prefetched meanwhile), at once when a round receives nothing,
// and drain() sends what is still held.
#include <rte_ethdev.h>

#include "dataplane/runtime/lcore.hpp"
#include "tests/packet/harness.hpp"
#include "tests/packet/ring_pair.hpp"

namespace flatnet::test {
namespace {

class PollLoop : public ::testing::Test {
 protected:
  void SetUp() override {
    static int n = 0;
    std::string tag = std::to_string(n++);
    std::string err;
    ASSERT_TRUE(make_ring_pair("pl" + tag, 512, EalEnv::pool(), &rp, &err)) << err;
    to_dp = rp.to_dp;
    from_dp = rp.from_dp;
    peer = rp.peer;
    h.add_neighbor4(kIpB, kMacB);
    h.add_path4(kB, kIpB, 6000);
    p.w = h.w;
    p.port = rp.dp;
    p.idle.busy = true;
  }
  void TearDown() override {
    rte_mbuf* m[64];
    unsigned k;
    while ((k = rte_ring_dequeue_burst(to_dp, reinterpret_cast<void**>(m), 64, nullptr)) > 0)
      rte_pktmbuf_free_bulk(m, k);
    while ((k = rte_ring_dequeue_burst(from_dp, reinterpret_cast<void**>(m), 64, nullptr)) > 0)
      rte_pktmbuf_free_bulk(m, k);
  }
  // The peer sends n relayable packets A -> B.
  void send(unsigned n) {
    for (unsigned i = 0; i < n; ++i) {
      Bytes f = udp4_frame(h.dp_mac, kMacA, kIpA, h.dp_ip4, 5000, 9993, vl1_packet(kB, kA, 0));
      rte_mbuf* m = rte_pktmbuf_alloc(EalEnv::pool());
      ASSERT_NE(m, nullptr);
      std::memcpy(rte_pktmbuf_append(m, uint16_t(f.size())), f.data(), f.size());
      ASSERT_EQ(rte_eth_tx_burst(peer, 0, &m, 1), 1);
    }
  }
  // What came back to the peer: relayed frames (hops 1, towards B's path).
  unsigned received() {
    rte_mbuf* m[64];
    unsigned got = 0;
    uint16_t k;
    while ((k = rte_eth_rx_burst(peer, 0, m, 64)) > 0) {
      for (uint16_t i = 0; i < k; ++i) {
        const uint8_t* f = rte_pktmbuf_mtod(m[i], const uint8_t*);
        EXPECT_EQ(f[42 + 18] & 7, 1) << "hop count bumped";
        EXPECT_EQ(std::memcmp(f + 30, kIpB.b, 4), 0) << "sent to B's path";
      }
      got += k;
      rte_pktmbuf_free_bulk(m, k);
    }
    return got;
  }
  Harness h;
  RingPair rp;
  runtime::Poller p;
  rte_ring* to_dp = nullptr;
  rte_ring* from_dp = nullptr;
  uint16_t peer = 0;
};

TEST_F(PollLoop, BurstWaitsOneRoundUnderLoad) {
  send(5);
  EXPECT_EQ(runtime::poll_once(p), 5u);
  EXPECT_EQ(received(), 0u) << "held for one round";
  EXPECT_EQ(p.n_held, 5);
  send(3);
  EXPECT_EQ(runtime::poll_once(p), 3u);
  EXPECT_EQ(received(), 5u) << "the first burst goes out while the second is received";
  EXPECT_EQ(runtime::poll_once(p), 0u);
  EXPECT_EQ(received(), 3u) << "a round with nothing new sends what it held";
  EXPECT_EQ(p.n_held, 0);
  EXPECT_EQ(p.w.c->relayed, 8u);
}

TEST_F(PollLoop, IdlePortAddsNoRound) {
  EXPECT_EQ(runtime::poll_once(p), 0u);
  EXPECT_EQ(received(), 0u);
  send(1);
  runtime::poll_once(p);
  runtime::poll_once(p);
  EXPECT_EQ(received(), 1u) << "one packet on an otherwise idle port is out after the next poll";
}

TEST_F(PollLoop, DrainSendsWhatIsHeld) {
  send(kBurst);
  EXPECT_EQ(runtime::poll_once(p), unsigned(kBurst));
  runtime::drain(p);
  EXPECT_EQ(p.n_held, 0);
  EXPECT_EQ(received(), unsigned(kBurst));
  EXPECT_EQ(h.drops_total(), 0u) << h.drop_reason();
}

}  // namespace
}  // namespace flatnet::test
