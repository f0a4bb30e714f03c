// Relay fixtures: input frame -> exact output frame.
#include "tests/packet/harness.hpp"

namespace flatnet::test {
namespace {

const MacA kMacGw{{0x02, 0, 0, 0, 0, 0xfe}};
const Ip4 kFar{{192, 0, 2, 7}};
const Ip4 kGw{{10, 0, 0, 254}};
const Ip6 kIp6A{{0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0a}};
const Ip6 kIp6B{{0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0b}};

Bytes bump(Bytes vl1, bool fragment = false) {
  if (fragment)
    vl1[15] = uint8_t((vl1[15] + 1) & 7);
  else
    vl1[18] = uint8_t((vl1[18] & 0xf8) | ((vl1[18] + 1) & 7));
  return vl1;
}

class Relay : public ::testing::Test {
 protected:
  void SetUp() override {
    h.add_neighbor4(kIpB, kMacB);
    h.add_neighbor4(kIpA, kMacA);
    h.add_path4(kB, kIpB, 6000);
  }
  Harness h;
};

TEST_F(Relay, Ip4ToIp4HopsPlusOne) {
  for (unsigned hops = 0; hops < 3; ++hops) {
    Bytes in_vl1 = vl1_packet(kB, kA, hops);
    auto out = h.run1(udp4_frame(h.dp_mac, kMacA, kIpA, h.dp_ip4, 5000, 9993, in_vl1));
    ASSERT_EQ(out.size(), 1u) << "hops " << hops << ": " << h.drop_reason();
    Bytes want = udp4_frame(kMacB, h.dp_mac, h.dp_ip4, kIpB, 9993, 6000, bump(in_vl1));
    EXPECT_EQ(out[0], want) << "hops " << hops;
    EXPECT_EQ(out[0][42 + 18] & 7, int(hops + 1));
  }
  EXPECT_EQ(h.counters.relayed, 3u);
  EXPECT_EQ(h.drops_total(), 0u);
}

TEST_F(Relay, FragmentHopByteBumped) {
  Bytes in_vl1 = vl1_fragment(kB, 3, 2, 1);
  auto out = h.run1(udp4_frame(h.dp_mac, kMacA, kIpA, h.dp_ip4, 5000, 9993, in_vl1));
  ASSERT_EQ(out.size(), 1u) << h.drop_reason();
  EXPECT_EQ(out[0], udp4_frame(kMacB, h.dp_mac, h.dp_ip4, kIpB, 9993, 6000, bump(in_vl1, true)));
  EXPECT_TRUE(h.pair_events.empty()) << "fragments carry no source: no rendezvous report";
}

TEST_F(Relay, ChecksummedIp4InputAccepted) {
  Bytes in_vl1 = vl1_packet(kB, kA, 0);
  auto out = h.run1(udp4_frame(h.dp_mac, kMacA, kIpA, h.dp_ip4, 5000, 9993, in_vl1, true));
  ASSERT_EQ(out.size(), 1u) << h.drop_reason();
  // Relayed over IPv4 with a zero checksum, as stock ZeroTier sends.
  EXPECT_EQ(out[0], udp4_frame(kMacB, h.dp_mac, h.dp_ip4, kIpB, 9993, 6000, bump(in_vl1)));
}

TEST_F(Relay, OffLinkDestinationGoesToGateway) {
  h.u.gw4 = IpAddr::v4(kGw.b);
  h.add_neighbor4(kGw, kMacGw);
  h.add_path4(kB, kFar, 7000);
  Bytes in_vl1 = vl1_packet(kB, kA, 0);
  auto out = h.run1(udp4_frame(h.dp_mac, kMacA, kIpA, h.dp_ip4, 5000, 9993, in_vl1));
  ASSERT_EQ(out.size(), 1u) << h.drop_reason();
  EXPECT_EQ(out[0], udp4_frame(kMacGw, h.dp_mac, h.dp_ip4, kFar, 9993, 7000, bump(in_vl1)));
}

TEST_F(Relay, Ip6ToIp6IncrementalChecksum) {
  h.add_neighbor6(kIp6B, kMacB);
  h.add_path6(kB, kIp6B, 6001);
  for (unsigned hops = 0; hops < 3; ++hops) {
    for (bool fragment : {false, true}) {
      Bytes in_vl1 = fragment ? vl1_fragment(kB, 2, 1, hops) : vl1_packet(kB, kA, hops, 61);
      auto out = h.run1(udp6_frame(h.dp_mac, kMacA, kIp6A, h.dp_ip6, 5001, 9993, in_vl1));
      ASSERT_EQ(out.size(), 1u) << h.drop_reason();
      // The builder computes the checksum from scratch: equality proves the
      // incremental update.
      EXPECT_EQ(out[0], udp6_frame(kMacB, h.dp_mac, h.dp_ip6, kIp6B, 9993, 6001, bump(in_vl1, fragment)))
          << "hops " << hops << " fragment " << fragment;
    }
  }
}

TEST_F(Relay, Ip4InIp6OutFullChecksum) {
  h.add_neighbor6(kIp6B, kMacB);
  h.add_path6(kB, kIp6B, 6001);
  Bytes in_vl1 = vl1_packet(kB, kA, 1);
  auto out = h.run1(udp4_frame(h.dp_mac, kMacA, kIpA, h.dp_ip4, 5000, 9993, in_vl1));
  ASSERT_EQ(out.size(), 1u) << h.drop_reason();
  EXPECT_EQ(out[0], udp6_frame(kMacB, h.dp_mac, h.dp_ip6, kIp6B, 9993, 6001, bump(in_vl1)));
}

TEST_F(Relay, Ip6InIp4Out) {
  Bytes in_vl1 = vl1_packet(kB, kA, 0);
  auto out = h.run1(udp6_frame(h.dp_mac, kMacA, kIp6A, h.dp_ip6, 5001, 9993, in_vl1));
  ASSERT_EQ(out.size(), 1u) << h.drop_reason();
  EXPECT_EQ(out[0], udp4_frame(kMacB, h.dp_mac, h.dp_ip4, kIpB, 9993, 6000, bump(in_vl1)));
}

TEST_F(Relay, EthernetPaddingIsNotRelayed) {
  Bytes in_vl1 = vl1_packet(kB, kA, 0, 0);  // 28 bytes: frame of 70, then pad
  Bytes f = udp4_frame(h.dp_mac, kMacA, kIpA, h.dp_ip4, 5000, 9993, in_vl1);
  f.resize(f.size() + 20, 0xee);
  auto out = h.run1(f);
  ASSERT_EQ(out.size(), 1u) << h.drop_reason();
  EXPECT_EQ(out[0], udp4_frame(kMacB, h.dp_mac, h.dp_ip4, kIpB, 9993, 6000, bump(in_vl1)));
}

TEST_F(Relay, UnknownDestinationEventIsRateLimited) {
  std::vector<Bytes> frames;
  for (int i = 0; i < 100; ++i)
    frames.push_back(udp4_frame(h.dp_mac, kMacA, kIpA, h.dp_ip4, 5000, 9993, vl1_packet(0x0c0c0c0c0c, kA, 0)));
  auto out = h.run(frames);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(h.drops(Drop::vl1_unknown_dest), 100u);
  ASSERT_FALSE(h.unknown_events.empty());
  EXPECT_EQ(h.unknown_events[0].first, 0x0c0c0c0c0cu);
  EXPECT_EQ(h.unknown_events[0].second, kA);
  EXPECT_LE(h.unknown_events.size(), 17u) << "bucket of 16 plus refill";
  // UNKNOWN_DEST carries the packet's physical source (abi.h).
  ASSERT_EQ(h.unknown_from.size(), h.unknown_events.size());
  EXPECT_EQ(h.unknown_from[0].src.family, Family::kV4);
  EXPECT_EQ(memcmp(h.unknown_from[0].src.b, kIpA.b, 4), 0);
  EXPECT_EQ(h.unknown_from[0].src_port, 5000);
}

TEST_F(Relay, UnknownDestinationGoesToSibling) {
  h.set_sibling4(Ip4{{10, 0, 0, 50}}, 9993);
  h.add_neighbor4(Ip4{{10, 0, 0, 50}}, kMacGw);
  Bytes in_vl1 = vl1_packet(0x0c0c0c0c0c, kA, 0);
  auto out = h.run1(udp4_frame(h.dp_mac, kMacA, kIpA, h.dp_ip4, 5000, 9993, in_vl1));
  ASSERT_EQ(out.size(), 1u) << h.drop_reason();
  EXPECT_EQ(out[0], udp4_frame(kMacGw, h.dp_mac, h.dp_ip4, Ip4{{10, 0, 0, 50}}, 9993, 9993, bump(in_vl1)));
  EXPECT_EQ(h.counters.relayed_sibling, 1u);
  // Control still hears of the miss: the peer may have aged out of the table.
  ASSERT_EQ(h.unknown_events.size(), 1u);
  EXPECT_EQ(h.unknown_events[0].first, 0x0c0c0c0c0cu);
  EXPECT_EQ(h.unknown_events[0].second, kA);
}

// Through a sibling the UNKNOWN_DEST events are rate-limited as without one.
TEST_F(Relay, UnknownDestinationViaSiblingIsRateLimited) {
  h.set_sibling4(Ip4{{10, 0, 0, 50}}, 9993);
  h.add_neighbor4(Ip4{{10, 0, 0, 50}}, kMacGw);
  std::vector<Bytes> frames;
  for (int i = 0; i < 100; ++i)
    frames.push_back(udp4_frame(h.dp_mac, kMacA, kIpA, h.dp_ip4, 5000, 9993, vl1_packet(0x0c0c0c0c0c, kA, 0)));
  auto out = h.run(frames);
  EXPECT_EQ(out.size(), 100u);
  EXPECT_EQ(h.counters.relayed_sibling, 100u);
  ASSERT_FALSE(h.unknown_events.empty());
  EXPECT_LE(h.unknown_events.size(), 17u) << "bucket of 16 plus refill";
}

TEST_F(Relay, PairReportedOncePerInterval) {
  std::vector<Bytes> frames;
  for (int i = 0; i < 50; ++i)
    frames.push_back(udp4_frame(h.dp_mac, kMacA, kIpA, h.dp_ip4, 5000, 9993, vl1_packet(kB, kA, 0)));
  auto out = h.run(frames);
  EXPECT_EQ(out.size(), 50u);
  ASSERT_EQ(h.pair_events.size(), 1u);
  EXPECT_EQ(h.pair_events[0], std::make_pair(kA, kB));
  EXPECT_EQ(h.pair_counts[0], 1u) << "the first report counts the packet that made it";
  EXPECT_EQ(h.counters.rendezvous_events, 1u);
  // Once the interval has passed the next report says how many packets of
  // the pair were relayed since the last one: 49 quiet ones and this one.
  h.w.pairs.interval = 0;
  out = h.run({udp4_frame(h.dp_mac, kMacA, kIpA, h.dp_ip4, 5000, 9993, vl1_packet(kB, kA, 0))});
  ASSERT_EQ(h.pair_events.size(), 2u);
  EXPECT_EQ(h.pair_counts[1], 50u);
}

TEST_F(Relay, NewPairReportsAreCapped) {
  std::vector<Bytes> frames;
  for (uint64_t i = 0; i < 200; ++i)
    frames.push_back(udp4_frame(h.dp_mac, kMacA, kIpA, h.dp_ip4, 5000, 9993, vl1_packet(kB, 0x0100000000 + i, 0)));
  auto out = h.run(frames);
  EXPECT_EQ(out.size(), 200u) << "capping reports never drops packets";
  EXPECT_GE(h.pair_events.size(), 64u);
  EXPECT_LE(h.pair_events.size(), 70u) << "burst of 64 plus refill at 1000/s";
  EXPECT_EQ(h.counters.rendezvous_capped + h.pair_events.size(), 200u);
}

TEST_F(Relay, AddressedToUsIsPuntedWithPhysicalSource) {
  Bytes in_vl1 = vl1_packet(Harness::kSelf, kA, 0);
  auto out = h.run1(udp4_frame(h.dp_mac, kMacA, kIpA, h.dp_ip4, 5000, 9993, in_vl1));
  EXPECT_TRUE(out.empty());
  ASSERT_EQ(h.punts.size(), 1u);
  EXPECT_EQ(h.punts[0].data, in_vl1);
  EXPECT_TRUE(h.punts[0].info.src.equals(Family::kV4, kIpA.b));
  EXPECT_EQ(h.punts[0].info.src_port, 5000);
  EXPECT_EQ(h.counters.punted, 1u);
  // Hop limit does not apply to packets for us.
  h.run1(udp4_frame(h.dp_mac, kMacA, kIpA, h.dp_ip4, 5000, 9993, vl1_packet(Harness::kSelf, kA, 7)));
  EXPECT_EQ(h.punts.size(), 2u);
}

// Spec 11.3's secondary port: a datagram to it is ours exactly like one to
// the primary (fast lane for IPv4 heads and fragments, full pipeline for
// checksummed IPv4 and IPv6); what we relay still leaves from the primary.
TEST_F(Relay, SecondaryPortRelayedLikePrimary) {
  h.add_neighbor6(kIp6B, kMacB);
  const uint16_t kSec = Harness::kSecondaryPort;
  for (unsigned hops = 0; hops < 3; ++hops) {
    for (bool fragment : {false, true}) {
      Bytes in_vl1 = fragment ? vl1_fragment(kB, 2, 1, hops) : vl1_packet(kB, kA, hops);
      h.add_path4(kB, kIpB, 6000);
      for (bool csum : {false, true}) {
        auto prim = h.run1(udp4_frame(h.dp_mac, kMacA, kIpA, h.dp_ip4, 5000, Harness::kPort, in_vl1, csum));
        auto sec = h.run1(udp4_frame(h.dp_mac, kMacA, kIpA, h.dp_ip4, 5000, kSec, in_vl1, csum));
        ASSERT_EQ(sec.size(), 1u) << h.drop_reason();
        ASSERT_EQ(prim.size(), 1u) << h.drop_reason();
        EXPECT_EQ(sec[0], prim[0]) << "hops " << hops << " fragment " << fragment << " csum " << csum;
        EXPECT_EQ(sec[0], udp4_frame(kMacB, h.dp_mac, h.dp_ip4, kIpB, 9993, 6000, bump(in_vl1, fragment)));
      }
      // IPv6 in, IPv6 and IPv4 out.
      for (bool v6_out : {true, false}) {
        if (v6_out)
          h.add_path6(kB, kIp6B, 6001);
        else
          h.add_path4(kB, kIpB, 6000);
        auto prim = h.run1(udp6_frame(h.dp_mac, kMacA, kIp6A, h.dp_ip6, 5001, Harness::kPort, in_vl1));
        auto sec = h.run1(udp6_frame(h.dp_mac, kMacA, kIp6A, h.dp_ip6, 5001, kSec, in_vl1));
        ASSERT_EQ(sec.size(), 1u) << h.drop_reason();
        ASSERT_EQ(prim.size(), 1u) << h.drop_reason();
        EXPECT_EQ(sec[0], prim[0]) << "v6 in, hops " << hops << " fragment " << fragment << " v6 out " << v6_out;
        EXPECT_EQ(sec[0], v6_out ? udp6_frame(kMacB, h.dp_mac, h.dp_ip6, kIp6B, 9993, 6001, bump(in_vl1, fragment))
                                 : udp4_frame(kMacB, h.dp_mac, h.dp_ip4, kIpB, 9993, 6000, bump(in_vl1, fragment)));
      }
    }
  }
  EXPECT_EQ(h.counters.relayed, 3u * 2u * 8u);
  EXPECT_EQ(h.drops_total(), 0u);
}

TEST_F(Relay, AddressedToUsOnSecondaryPortIsPunted) {
  Bytes in_vl1 = vl1_packet(Harness::kSelf, kA, 0);
  auto out = h.run({udp4_frame(h.dp_mac, kMacA, kIpA, h.dp_ip4, 5000, Harness::kSecondaryPort, in_vl1),
                    udp6_frame(h.dp_mac, kMacA, kIp6A, h.dp_ip6, 5001, Harness::kSecondaryPort, in_vl1),
                    udp4_frame(h.dp_mac, kMacA, kIpA, h.dp_ip4, 5000, Harness::kSecondaryPort, Bytes(13, 0x11)),
                    udp4_frame(h.dp_mac, kMacA, kIpA, h.dp_ip4, 5000, Harness::kSecondaryPort,
                               vl1_fragment(Harness::kSelf, 2, 1, 0))});
  EXPECT_TRUE(out.empty());
  ASSERT_EQ(h.punts.size(), 4u) << h.drop_reason();
  // IPv4 and IPv6 are punted in separate runs of the burst: find each.
  unsigned heads4 = 0, heads6 = 0;
  for (const Punted& p : h.punts) {
    if (p.info.src.equals(Family::kV6, kIp6A.b)) {
      EXPECT_EQ(p.data, in_vl1);
      EXPECT_EQ(p.info.src_port, 5001);
      ++heads6;
    } else {
      EXPECT_TRUE(p.info.src.equals(Family::kV4, kIpA.b));
      EXPECT_EQ(p.info.src_port, 5000);
      heads4 += p.data == in_vl1;
    }
  }
  EXPECT_EQ(heads4, 1u);
  EXPECT_EQ(heads6, 1u);
  EXPECT_EQ(h.counters.punted, 4u);
  EXPECT_EQ(h.drops_total(), 0u);
}

TEST_F(Relay, ThirdPortAndSecondaryWhenOffAreDropped) {
  Bytes in_vl1 = vl1_packet(kB, kA, 0);
  const uint16_t other[] = {9994, 29994, 29992, 0, 1, 65535};
  for (uint16_t port : other) {
    h.run1(udp4_frame(h.dp_mac, kMacA, kIpA, h.dp_ip4, 5000, port, in_vl1));
    h.run1(udp6_frame(h.dp_mac, kMacA, kIp6A, h.dp_ip6, 5001, port, in_vl1));
  }
  EXPECT_EQ(h.drops(Drop::udp_port), 2u * std::size(other));
  // Without a secondary port its number is like any other, and so is 0.
  h.u.secondary_port = 0;
  for (uint16_t port : {Harness::kSecondaryPort, uint16_t(0)}) {
    h.run1(udp4_frame(h.dp_mac, kMacA, kIpA, h.dp_ip4, 5000, port, in_vl1));
    h.run1(udp6_frame(h.dp_mac, kMacA, kIp6A, h.dp_ip6, 5001, port, in_vl1));
    h.run1(udp4_frame(h.dp_mac, kMacA, kIpA, h.dp_ip4, 5000, port, vl1_packet(Harness::kSelf, kA, 0)));
  }
  EXPECT_EQ(h.drops(Drop::udp_port), 2u * std::size(other) + 6u);
  EXPECT_EQ(h.drops_total(), h.drops(Drop::udp_port));
  EXPECT_EQ(h.counters.relayed, 0u);
  EXPECT_TRUE(h.punts.empty());
  // The primary still works.
  EXPECT_EQ(h.run1(udp4_frame(h.dp_mac, kMacA, kIpA, h.dp_ip4, 5000, 9993, in_vl1)).size(), 1u);
}

TEST_F(Relay, BeaconAndOwnFragmentsArePunted) {
  Bytes beacon(13, 0x11);
  h.run1(udp4_frame(h.dp_mac, kMacA, kIpA, h.dp_ip4, 5000, 9993, beacon));
  h.run1(udp4_frame(h.dp_mac, kMacA, kIpA, h.dp_ip4, 5000, 9993, vl1_fragment(Harness::kSelf, 2, 1, 0)));
  EXPECT_EQ(h.punts.size(), 2u);
  EXPECT_EQ(h.drops_total(), 0u);
}

TEST_F(Relay, UnresolvedNextHopWaitsForArp) {
  const Ip4 kIpC{{10, 0, 0, 12}};
  const MacA kMacC{{0x02, 0, 0, 0, 0, 0x0c}};
  constexpr uint64_t kC = 0x0c0c0c0c0c;
  h.add_path4(kC, kIpC, 6002);
  Bytes in_vl1 = vl1_packet(kC, kA, 0);
  auto out = h.run({udp4_frame(h.dp_mac, kMacA, kIpA, h.dp_ip4, 5000, 9993, in_vl1),
                    udp4_frame(h.dp_mac, kMacA, kIpA, h.dp_ip4, 5000, 9993, in_vl1)});
  // One ARP request, both packets held.
  ASSERT_EQ(out.size(), 1u);
  const MacA kBcast{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
  EXPECT_EQ(out[0], arp_frame(kBcast, h.dp_mac, 1, h.dp_mac, h.dp_ip4, MacA{}, kIpC, 60));
  EXPECT_EQ(h.neigh->pending(), 2u);
  // The reply resolves the next hop; housekeeping sends what waited.
  out = h.run1(arp_frame(h.dp_mac, kMacC, 2, kMacC, kIpC, h.dp_mac, h.dp_ip4));
  EXPECT_TRUE(out.empty());
  out = h.housekeeping();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], udp4_frame(kMacC, h.dp_mac, h.dp_ip4, kIpC, 9993, 6002, bump(in_vl1)));
  EXPECT_EQ(h.neigh->pending(), 0u);
  EXPECT_EQ(h.drops_total(), 0u);
}

TEST_F(Relay, AwaitingQueueIsBounded) {
  h.add_path4(0x0c0c0c0c0c, Ip4{{10, 0, 0, 12}}, 6002);
  std::vector<Bytes> frames;
  for (int i = 0; i < 20; ++i)
    frames.push_back(udp4_frame(h.dp_mac, kMacA, kIpA, h.dp_ip4, 5000, 9993, vl1_packet(0x0c0c0c0c0c, kA, 0)));
  h.run(frames);
  EXPECT_EQ(h.neigh->pending(), 8u);  // the harness limit
  EXPECT_EQ(h.drops(Drop::neigh_queue_full), 12u);
}

TEST_F(Relay, MultiSegmentFrameIsDropped) {
  // A jumbo frame arrives as a chain of two mbufs.
  Bytes f = udp4_frame(h.dp_mac, kMacA, kIpA, h.dp_ip4, 5000, 9993, vl1_packet(kB, kA, 0, 1400));
  rte_mbuf* a = rte_pktmbuf_alloc(EalEnv::pool());
  rte_mbuf* b = rte_pktmbuf_alloc(EalEnv::pool());
  ASSERT_TRUE(a && b);
  std::memcpy(rte_pktmbuf_append(a, 1000), f.data(), 1000);
  std::memcpy(rte_pktmbuf_append(b, uint16_t(f.size() - 1000)), f.data() + 1000, f.size() - 1000);
  ASSERT_EQ(rte_pktmbuf_chain(a, b), 0);
  process_burst(h.w, &a, 1);
  EXPECT_EQ(h.w.tx.n, 0u);
  EXPECT_EQ(h.drop_reason(), "eth_multiseg");
}

TEST_F(Relay, InjectBuildsFrameFromOurAddress) {
  Bytes vl1 = vl1_packet(kB, Harness::kSelf, 0);
  PathView to{Family::kV4, 6000, 0, {}};
  std::memcpy(to.ip, kIpB.b, 4);
  EXPECT_EQ(inject(h.w, vl1.data(), uint32_t(vl1.size()), to), InjectResult::kSent);
  PathView to6{Family::kV6, 6001, 0, {}};
  std::memcpy(to6.ip, kIp6B.b, 16);
  h.add_neighbor6(kIp6B, kMacB);
  EXPECT_EQ(inject(h.w, vl1.data(), uint32_t(vl1.size()), to6), InjectResult::kSent);
  auto out = h.housekeeping();  // (nothing held) returns the tx buffer
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], udp4_frame(kMacB, h.dp_mac, h.dp_ip4, kIpB, 9993, 6000, vl1));
  EXPECT_EQ(out[1], udp6_frame(kMacB, h.dp_mac, h.dp_ip6, kIp6B, 9993, 6001, vl1));
}

TEST_F(Relay, InjectWithoutRouteIsCounted) {
  h.u.ip6 = IpAddr{};
  Bytes vl1 = vl1_packet(kB, Harness::kSelf, 0);
  PathView to6{Family::kV6, 6001, 0, {}};
  std::memcpy(to6.ip, kIp6B.b, 16);
  EXPECT_EQ(inject(h.w, vl1.data(), uint32_t(vl1.size()), to6), InjectResult::kNoRoute);
  PathView bad{Family::kNone, 1, 0, {}};
  EXPECT_EQ(inject(h.w, vl1.data(), uint32_t(vl1.size()), bad), InjectResult::kBad);
  EXPECT_EQ(h.drops(Drop::inject_bad), 2u);
  EXPECT_EQ(h.w.tx.n, 0u);
}

TEST_F(Relay, MixedBurstKeepsOrderAndCounts) {
  std::vector<Bytes> frames, want;
  for (int i = 0; i < 45; ++i) {
    Bytes v = vl1_packet(kB, kA, unsigned(i % 5), 40 + size_t(i));
    frames.push_back(udp4_frame(h.dp_mac, kMacA, kIpA, h.dp_ip4, 5000, 9993, v));
    if (i % 5 < 3) want.push_back(udp4_frame(kMacB, h.dp_mac, h.dp_ip4, kIpB, 9993, 6000, bump(v)));
  }
  auto out = h.run(frames);
  EXPECT_EQ(out, want);
  EXPECT_EQ(h.drops(Drop::vl1_hop_limit), 18u);
  EXPECT_EQ(h.counters.rx_packets, 45u);
}

}  // namespace
}  // namespace flatnet::test
