// The gateway benchmark's traffic (tools/pktgen/vl2_traffic.hpp) through the
// real stages: the generator's armored EXT_FRAME/FRAME datagrams from
// synthetic peers go through the whole fast path (process_burst: Ethernet,
// IPv4, UDP, VL1 classify, vl2_decap with fragments joined) and come out on
// the LAN as exactly the frames the generator expects; its LAN frames go
// through vl2_encap and what comes out passes its underlay check and its
// dearmor check. A benchmark whose traffic the gateway drops, or whose
// checks pass anything, would measure nothing.
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "dataplane/fastpath/vl2.hpp"
#include "dataplane/wire/vl1.hpp"
#include "tests/packet/harness.hpp"
#include "tools/pktgen/vl2_traffic.hpp"

namespace flatnet::test {
namespace {

namespace pv = flatnet::pktgen::vl2;
using tables::vl2::MemberWord;
using tables::vl2::Vl2Tables;

constexpr uint64_t kNw = 0x8056c2e21c000001ull;
constexpr uint32_t kPeers = 5;
constexpr unsigned kFrames = 24;
const MacA kGwMac{{0x02, 0, 0, 0, 0, 0xfe}};  // the underlay's IPv4 gateway

struct PktgenVl2 : testing::TestWithParam<std::tuple<int, unsigned>> {
  Harness h;
  rte_rcu_qsbr* qs = nullptr;
  std::unique_ptr<Vl2Tables> t;
  Vl2Port port;
  pv::Params p;

  void SetUp() override {
    static int n = 0;
    qs = static_cast<rte_rcu_qsbr*>(rte_zmalloc(nullptr, rte_rcu_qsbr_get_memsize(2), 64));
    ASSERT_EQ(rte_rcu_qsbr_init(qs, 2), 0);
    tables::vl2::Vl2Params vp;
    vp.name = "v2pg" + std::to_string(n++);
    vp.learn_ring_size = 256;
    std::string err;
    t = Vl2Tables::create(vp, qs, &err);
    ASSERT_TRUE(t) << err;
    tables::vl2::NetworkSettings s;
    s.nwid = kNw;
    s.mtu = 2800;
    s.is_private = true;  // the member gate: present with a valid COM
    ASSERT_EQ(t->network_set(s), FLATNET_IPC_OK);
    p.seed = 7;
    p.peers = kPeers;
    p.nwid = kNw;
    p.gateway = Harness::kSelf;
    p.suite = crypto::Suite(std::get<0>(GetParam()));
    p.frame_size = std::get<1>(GetParam());
    std::memcpy(p.gw_mac.data(), h.dp_mac.b, 6);
    p.gen_mac = {0x02, 0, 0, 0, 0, 0x02};
    p.gw_ip = uint32_t(h.dp_ip4.b[0]) << 24 | uint32_t(h.dp_ip4.b[1]) << 16 | uint32_t(h.dp_ip4.b[2]) << 8 |
              h.dp_ip4.b[3];
    for (uint32_t i = 0; i < kPeers; ++i) {
      const auto peer = pktgen::synthetic_peer(p.seed, i);
      ASSERT_EQ(t->member_set(kNw, peer.address, MemberWord::kPresent | MemberWord::kComValid), FLATNET_IPC_OK);
      ASSERT_EQ(t->key_set(peer.address, pv::synthetic_key(p.seed, peer.address), p.suite), FLATNET_IPC_OK);
      h.add_path4(peer.address,
                  Ip4{{uint8_t(peer.ip >> 24), uint8_t(peer.ip >> 16), uint8_t(peer.ip >> 8), uint8_t(peer.ip)}},
                  peer.port);
    }
    // The synthetic paths (10.128/16) are off our /24: through the gateway.
    uint8_t gw[4] = {10, 0, 0, 254};
    h.u.gw4 = IpAddr::v4(gw);
    h.add_neighbor4(Ip4{{10, 0, 0, 254}}, kGwMac);
    port.tables = t.get();
    port.nwid = kNw;
    port.packet_id = 0x1000;
    static rte_mempool* big = make_pool("v2pg_big", 127, SOCKET_ID_ANY, uint16_t(10240 + RTE_PKTMBUF_HEADROOM));
    ASSERT_NE(big, nullptr);
    port.reasm.big = big;
    port.reasm.timeout = 1000000;
    h.w.vl2 = &port;
  }
  void TearDown() override {
    if (port.lan_tx.n) rte_pktmbuf_free_bulk(port.lan_tx.pkts, port.lan_tx.n);
    port.lan_tx.n = 0;
    h.w.vl2 = nullptr;
    t.reset();
    rte_free(qs);
  }
  std::vector<Bytes> take_lan() {
    std::vector<Bytes> out;
    for (uint16_t i = 0; i < port.lan_tx.n; ++i) {
      auto* d = rte_pktmbuf_mtod(port.lan_tx.pkts[i], uint8_t*);
      out.emplace_back(d, d + port.lan_tx.pkts[i]->data_len);
    }
    if (port.lan_tx.n) rte_pktmbuf_free_bulk(port.lan_tx.pkts, port.lan_tx.n);
    port.lan_tx.n = 0;
    return out;
  }
};

TEST_P(PktgenVl2, DecapPoolComesOutAsTheExpectedLanFrames) {
  for (bool ext : {true, false}) {
    p.ext_frame = ext;
    const auto pool = pv::decap_pool(p, kFrames);
    std::vector<Bytes> dgrams;
    for (const auto& d : pool) dgrams.push_back(d.bytes);
    // Twice: a replayed pool is accepted again (no replay protection in 1.x).
    std::vector<Bytes> lan;
    for (int round = 0; round < 2; ++round) {
      EXPECT_TRUE(h.run(dgrams).empty());  // nothing back out of the underlay
      for (auto& f : take_lan()) lan.push_back(std::move(f));
    }
    ASSERT_EQ(lan.size(), 2 * kFrames) << "ext " << ext << " drops: " << h.drop_reason();
    for (unsigned i = 0; i < lan.size(); ++i) {
      EXPECT_EQ(pv::check_lan_frame(p, lan[i].data(), lan[i].size(), kFrames), long(i % kFrames));
      EXPECT_EQ(lan[i], pv::expected_lan_frame(p, i % kFrames));
    }
    EXPECT_EQ(h.drops_total(), 0u) << h.drop_reason();
    EXPECT_TRUE(h.punts.empty());
    // The check refuses a frame that differs anywhere it looks.
    Bytes bad = lan[0];
    bad[6] ^= 1;
    EXPECT_EQ(pv::check_lan_frame(p, bad.data(), bad.size(), kFrames), -1);
    bad = lan[0];
    bad.back() ^= 1;
    EXPECT_EQ(pv::check_lan_frame(p, bad.data(), bad.size(), kFrames), -1);
  }
}

// The generator's packets in the stock format, read by the spec's offsets
// (§2.1 header, §4.8 EXT_FRAME) after joining and dearmoring them as any
// receiver does.
TEST_P(PktgenVl2, DecapPoolIsStockFormat) {
  const auto pool = pv::decap_pool(p, kFrames);
  Bytes joined;
  unsigned frame = 0;
  for (const auto& d : pool) {
    Bytes zt(d.bytes.begin() + 42, d.bytes.end());
    EXPECT_LE(zt.size(), wire::kDefaultPhysMtu);
    joined.insert(joined.end(), zt.begin() + (joined.empty() ? 0 : long(wire::kFragmentHeaderLength)), zt.end());
    if (!d.last) continue;
    const auto peer = pktgen::synthetic_peer(p.seed, frame % kPeers);
    EXPECT_EQ(wire::packet_dest(joined.data()), Harness::kSelf);
    EXPECT_EQ(wire::packet_source(joined.data()), peer.address);
    EXPECT_EQ(wire::packet_cipher(joined.data()), wire::Cipher(uint8_t(p.suite)));
    crypto::PeerKeys k(pv::synthetic_key(p.seed, peer.address));
    ASSERT_EQ(crypto::dearmor(joined, k), crypto::DearmorResult::kOk);
    EXPECT_EQ(joined[wire::kIdxVerb], uint8_t(wire::Verb::kExtFrame));
    const uint8_t* q = joined.data() + wire::kIdxPayload;
    EXPECT_EQ(wire::read_be64(q), kNw);
    EXPECT_EQ(q[8], 0);  // flags
    const Bytes lan = pv::expected_lan_frame(p, frame);
    EXPECT_EQ(Bytes(q + 9, q + 21), Bytes(lan.begin(), lan.begin() + 12));  // to, from
    EXPECT_EQ(Bytes(q + 21, static_cast<const uint8_t*>(joined.data() + joined.size())), Bytes(lan.begin() + 12, lan.end()));
    joined.clear();
    ++frame;
  }
  EXPECT_EQ(frame, kFrames);
}

TEST_P(PktgenVl2, EncapPoolPassesTheReturnChecks) {
  const auto frames = pv::encap_pool(p, kFrames);
  const pv::PeerIndex peers(p.seed, kPeers);
  pktgen::Mac next_hop;
  std::memcpy(next_hop.data(), kGwMac.b, 6);
  rte_mbuf* pkts[kBurst];
  uint16_t n = 0;
  for (const auto& f : frames) {
    rte_mbuf* m = rte_pktmbuf_alloc(EalEnv::pool());
    ASSERT_NE(m, nullptr);
    std::memcpy(rte_pktmbuf_append(m, uint16_t(f.size())), f.data(), f.size());
    pkts[n++] = m;
  }
  h.w.now = 1;
  vl2_encap(h.w, port, pkts, n);
  std::vector<Bytes> out;
  for (uint16_t i = 0; i < h.w.tx.n; ++i) {
    auto* d = rte_pktmbuf_mtod(h.w.tx.pkts[i], uint8_t*);
    out.emplace_back(d, d + h.w.tx.pkts[i]->data_len);
  }
  if (h.w.tx.n) rte_pktmbuf_free_bulk(h.w.tx.pkts, h.w.tx.n);
  h.w.tx.n = 0;
  ASSERT_GE(out.size(), kFrames) << h.drop_reason();
  unsigned heads = 0, opened = 0;
  for (const auto& f : out) {
    const auto r = pv::check_underlay(p, peers, next_hop, f.data(), f.size());
    EXPECT_TRUE(r.ok);
    if (r.fragment) continue;
    const long i = pv::dearmor_check(p, f.data(), f.size(), kFrames);
    if (!r.head_fragmented) {
      EXPECT_EQ(i, long(heads)) << "frame " << heads;
      ++opened;
    } else {
      EXPECT_EQ(i, -1);
    }
    ++heads;
  }
  EXPECT_EQ(heads, kFrames);
  // 1,400 and 1,500-byte frames take two datagrams (EXT_FRAME's 23 bytes);
  // their heads cannot be opened alone.
  unsigned whole = 0;
  for (unsigned i = 0; i < kFrames; ++i) whole += pv::frame_size(p, i) <= 1395;
  EXPECT_EQ(opened, whole);
  // The checks refuse what differs: a flipped byte of the sealed part, an
  // outer address.
  Bytes bad = out[0];
  bad.back() ^= 1;
  if (!pv::check_underlay(p, peers, next_hop, bad.data(), bad.size()).head_fragmented)
    EXPECT_EQ(pv::dearmor_check(p, bad.data(), bad.size(), kFrames), -1);
  bad = out[0];
  bad[33] ^= 1;  // IPv4 destination
  EXPECT_FALSE(pv::check_underlay(p, peers, next_hop, bad.data(), bad.size()).ok);
}

INSTANTIATE_TEST_SUITE_P(SuitesAndSizes, PktgenVl2,
                         testing::Combine(testing::Values(1, 3), testing::Values(0u, 64u, 1390u, 1400u, 1500u)));

}  // namespace
}  // namespace flatnet::test
