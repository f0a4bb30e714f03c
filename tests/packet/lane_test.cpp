// The fast lane may only pass what the full pipeline passes, with the same
// metadata: checked on valid relay frames and on thousands of mutations of
// them (fixed seed).
#include <random>

#include "tests/packet/harness.hpp"

namespace flatnet::test {
namespace {

rte_mbuf* to_mbuf(const Bytes& f) {
  rte_mbuf* m = rte_pktmbuf_alloc(EalEnv::pool());
  if (!m) return nullptr;
  char* d = rte_pktmbuf_append(m, uint16_t(f.size()));
  if (!d) {
    rte_pktmbuf_free(m);
    return nullptr;
  }
  std::memcpy(d, f.data(), f.size());
  return m;
}

// The full pipeline's verdict up to the relay: the packet if it would be
// relayed (meta filled), else nullptr (it was dropped or punted).
rte_mbuf* full_path(Harness& h, rte_mbuf* m) {
  EthSorted s;
  eth_input(h.w, &m, 1, s);
  if (s.n_arp) arp_input(h.w, s.arp, s.n_arp);
  if (s.n_ip6) {
    uint16_t k = ip6_input(h.w, s.ip6, s.n_ip6);
    if (k) rte_pktmbuf_free_bulk(s.ip6, k);
  }
  if (!s.n_ip4 || ip4_input(h.w, s.ip4, s.n_ip4) == 0) return nullptr;
  rte_mbuf* u = s.ip4[0];
  if (vl1_classify(h.w, &u, 1) == 0) {
    drop_tail(h.w, &u, 1);
    return nullptr;
  }
  if (meta(u)->action != Vl1Action::kRelay) {
    rte_pktmbuf_free(u);
    return nullptr;
  }
  return u;
}

TEST(FastLane, PassesOnlyWhatTheFullPipelinePasses) {
  Harness h;
  std::vector<Bytes> seeds;
  for (unsigned hops = 0; hops < 8; ++hops) {
    seeds.push_back(udp4_frame(h.dp_mac, kMacA, kIpA, h.dp_ip4, 5000, 9993, vl1_packet(kB, kA, hops)));
    seeds.push_back(udp4_frame(h.dp_mac, kMacA, kIpA, h.dp_ip4, 5000, 9993, vl1_fragment(kB, 3, 1, hops)));
  }
  seeds.push_back(udp4_frame(h.dp_mac, kMacA, kIpA, h.dp_ip4, 5000, 9993, vl1_packet(Harness::kSelf, kA, 0)));
  seeds.push_back(udp4_frame(h.dp_mac, kMacA, kIpA, h.dp_ip4, 5000, 9993, vl1_packet(kB, Harness::kSelf, 0)));
  seeds.push_back(udp4_frame(h.dp_mac, kMacA, kIpA, h.dp_ip4, 5000, 9993, Bytes(13, 1)));
  seeds.push_back(udp4_frame(h.dp_mac, kMacA, kIpA, h.dp_ip4, 5000, 9993, vl1_packet(kB, kA, 0), true));
  // The secondary port (spec 11.3), its neighbours, and a frame that is right
  // but for the port.
  for (unsigned hops = 0; hops < 4; ++hops) {
    seeds.push_back(udp4_frame(h.dp_mac, kMacA, kIpA, h.dp_ip4, 5000, Harness::kSecondaryPort, vl1_packet(kB, kA, hops)));
    seeds.push_back(udp4_frame(h.dp_mac, kMacA, kIpA, h.dp_ip4, 5000, Harness::kSecondaryPort,
                               vl1_fragment(kB, 3, 1, hops)));
  }
  seeds.push_back(udp4_frame(h.dp_mac, kMacA, kIpA, h.dp_ip4, 5000, Harness::kSecondaryPort,
                             vl1_packet(Harness::kSelf, kA, 0)));
  seeds.push_back(udp4_frame(h.dp_mac, kMacA, kIpA, h.dp_ip4, 5000, Harness::kSecondaryPort + 1, vl1_packet(kB, kA, 0)));
  seeds.push_back(udp4_frame(h.dp_mac, kMacA, kIpA, h.dp_ip4, 5000, 9994, vl1_packet(kB, kA, 0)));
  seeds.push_back(udp4_frame(h.dp_mac, kMacA, kIpA, h.dp_ip4, 5000, 0, vl1_packet(kB, kA, 0)));
  std::mt19937 rng(99);
  unsigned lane_secondary = 0;
  unsigned lane_passed = 0, total = 0;
  for (int iter = 0; iter < 6000; ++iter) {
    Bytes f = seeds[rng() % seeds.size()];
    // Every seventh frame meets a data plane without a secondary port.
    h.u.secondary_port = iter % 7 == 6 ? 0 : Harness::kSecondaryPort;
    if (iter >= int(seeds.size())) {
      int edits = 1 + int(rng() % 3);
      for (int e = 0; e < edits; ++e) {
        switch (rng() % 4) {
          case 0:  // a header byte
            f[rng() % std::min<size_t>(f.size(), 62)] = uint8_t(rng());
            break;
          case 1:  // a single bit anywhere
            f[rng() % f.size()] ^= uint8_t(1u << (rng() % 8));
            break;
          case 2:  // truncate
            f.resize(rng() % f.size() + 1);
            break;
          default:  // pad
            f.resize(f.size() + rng() % 40, 0);
        }
      }
      // Mostly keep the IPv4 header checksum right, so edits of header
      // fields are not all caught by the checksum alone.
      if (f.size() >= 34 && rng() % 4 != 0) {
        f[24] = f[25] = 0;
        uint16_t ck = uint16_t(~fold(sum16(f.data() + 14, 20)));
        f[24] = uint8_t(ck >> 8);
        f[25] = uint8_t(ck);
      }
    }
    ++total;
    rte_mbuf* m1 = to_mbuf(f);
    rte_mbuf* m2 = to_mbuf(f);
    ASSERT_TRUE(m1 && m2);
    rte_mbuf* fast[1];
    uint16_t nf = 0;
    uint16_t slow = fast_lane(h.w, &m1, 1, fast, &nf);
    ASSERT_EQ(slow + nf, 1);
    rte_mbuf* full = full_path(h, m2);
    if (nf == 1) {
      ++lane_passed;
      if (f.size() >= 38 && get16(f, 36) == Harness::kSecondaryPort) ++lane_secondary;
      ASSERT_NE(full, nullptr) << "lane passed a frame the full pipeline does not relay, iter " << iter;
      const PktMeta& a = *meta(fast[0]);
      const PktMeta& b = *meta(full);
      EXPECT_EQ(a.data_off, b.data_off);
      EXPECT_EQ(a.data_len, b.data_len);
      EXPECT_EQ(a.l3_off, b.l3_off);
      EXPECT_EQ(a.l4_off, b.l4_off);
      EXPECT_EQ(a.vl1_dst, b.vl1_dst);
      EXPECT_EQ(a.vl1_src, b.vl1_src);
      EXPECT_EQ(a.hops, b.hops);
      EXPECT_EQ(a.is_fragment, b.is_fragment);
      EXPECT_TRUE(a.src_ip == b.src_ip);
      EXPECT_EQ(a.src_port, b.src_port);
      EXPECT_EQ(a.family, b.family);
      EXPECT_EQ(fast[0]->data_len, full->data_len);
      rte_pktmbuf_free(fast[0]);
    } else {
      rte_pktmbuf_free(m1);
    }
    if (full) rte_pktmbuf_free(full);
    if (h.w.tx.n) rte_pktmbuf_free_bulk(h.w.tx.pkts, h.w.tx.n);
    h.w.tx.n = 0;
  }
  EXPECT_GT(lane_passed, 300u) << "the mutations should leave many frames valid";
  EXPECT_GT(lane_secondary, 100u) << "many of them on the secondary port";
  EXPECT_LT(lane_passed, total) << "and make many invalid";
}

// Both of our ports take the lane; any other port, and the secondary's
// number when there is no secondary, go the long way.
TEST(FastLane, TakesBothOurPortsOnly) {
  Harness h;
  auto lane = [&](uint16_t port) {
    rte_mbuf* m = to_mbuf(udp4_frame(h.dp_mac, kMacA, kIpA, h.dp_ip4, 5000, port, vl1_packet(kB, kA, 0)));
    EXPECT_NE(m, nullptr);
    rte_mbuf* fast[1];
    uint16_t nf = 0;
    fast_lane(h.w, &m, 1, fast, &nf);
    rte_pktmbuf_free(m);
    return nf == 1;
  };
  EXPECT_TRUE(lane(Harness::kPort));
  EXPECT_TRUE(lane(Harness::kSecondaryPort));
  for (uint16_t other : {uint16_t(0), uint16_t(9994), uint16_t(29994), uint16_t(65535)}) EXPECT_FALSE(lane(other)) << other;
  h.u.secondary_port = 0;
  EXPECT_TRUE(lane(Harness::kPort));
  EXPECT_FALSE(lane(Harness::kSecondaryPort));
  EXPECT_FALSE(lane(0));
}

}  // namespace
}  // namespace flatnet::test
