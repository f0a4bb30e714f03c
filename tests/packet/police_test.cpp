// The data plane under attack (docs/dataplane.md "Under attack"): punts
// limited per physical source, known peers first (per-source bypass, a
// reserved part of the global punt rate and of the punt ring), and the
// optional per-peer relay limit. Rates of 1 per second make the counts
// exact: a test runs in milliseconds, so no bucket refills meanwhile.
#include <algorithm>

#include "tests/packet/harness.hpp"

namespace flatnet::test {
namespace {

Bytes from4(const Harness& h, const Ip4& src, uint16_t sport, const Bytes& vl1) {
  return udp4_frame(h.dp_mac, kMacA, src, h.dp_ip4, sport, 9993, vl1);
}
std::vector<Bytes> times(size_t n, const Bytes& f) { return std::vector<Bytes>(n, f); }

PoliceConfig off() {
  PoliceConfig c;
  c.punt_source_pps = 0;
  c.punt_global_pps = 0;
  c.punt_unknown_share = 100;
  c.relay_limit_pps = 0;
  return c;
}

// A seed under which the given keys use different buckets (a collision
// would share one, as documented, and make the test about something else).
uint64_t seed_apart(const PoliceConfig& c, std::initializer_list<uint64_t> keys, bool relay) {
  for (uint64_t seed = 1;; ++seed) {
    Police p;
    police_init(p, c, 1000, seed);
    const BucketTable& t = relay ? p.relay : p.punt_source;
    std::vector<size_t> slots;
    for (uint64_t k : keys) slots.push_back(t.slot(k));
    std::sort(slots.begin(), slots.end());
    if (std::adjacent_find(slots.begin(), slots.end()) == slots.end()) return seed;
  }
}

uint64_t key4(const Ip4& ip) { return source_key(IpAddr::v4(ip.b)); }

TEST(Police, FloodFromOneSourceIsCutToItsBucketWhileAnotherPasses) {
  Harness h;
  PoliceConfig c = off();
  c.punt_source_pps = 1;
  c.punt_source_burst = 5;
  h.police(c, seed_apart(c, {key4(kIpA), key4(kIpC)}, false));
  h.run(times(40, from4(h, kIpA, 5000, vl1_packet(Harness::kSelf, kA, 0))));
  EXPECT_EQ(h.counters.punted, 5u);
  EXPECT_EQ(h.drops(Drop::punt_source_limited), 35u);
  h.run(times(3, from4(h, kIpC, 5000, vl1_packet(Harness::kSelf, kC, 0))));
  EXPECT_EQ(h.counters.punted, 8u) << "another source is not limited by the flood";
  EXPECT_EQ(h.drop_reason(), "punt_source_limited");
  EXPECT_EQ(h.drops_total(), 35u);
  // Fragments and beacons are charged to their physical source as well.
  h.run({from4(h, kIpA, 5000, vl1_fragment(Harness::kSelf, 2, 1, 0)), from4(h, kIpA, 5000, Bytes(13, 0x11))});
  EXPECT_EQ(h.drops(Drop::punt_source_limited), 37u);
}

TEST(Police, Ipv6SourcesShareABucketPerSlash64) {
  Harness h;
  PoliceConfig c = off();
  c.punt_source_pps = 1;
  c.punt_source_burst = 4;
  const Ip6 a{{0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0a}};
  const Ip6 b{{0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0b}};    // same /64
  const Ip6 other{{0xfd, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0x0a}};  // next /64
  h.police(c, seed_apart(c, {source_key(IpAddr::v6(a.b)), source_key(IpAddr::v6(other.b))}, false));
  auto f = [&](const Ip6& s) { return udp6_frame(h.dp_mac, kMacA, s, h.dp_ip6, 5000, 9993, vl1_packet(Harness::kSelf, kA, 0)); };
  h.run({f(a), f(b), f(a), f(b), f(a), f(b)});
  EXPECT_EQ(h.counters.punted, 4u);
  EXPECT_EQ(h.drops(Drop::punt_source_limited), 2u);
  h.run({f(other), f(other)});
  EXPECT_EQ(h.counters.punted, 6u);
}

TEST(Police, KnownPeerOverItsPathBypassesTheSourceLimitOthersDoNot) {
  Harness h;
  PoliceConfig c = off();
  c.punt_source_pps = 1;
  c.punt_source_burst = 5;
  h.police(c, seed_apart(c, {key4(kIpA), key4(kIpC)}, false));
  h.add_path4(kA, kIpA, 5000);
  h.run(times(30, from4(h, kIpA, 5000, vl1_packet(Harness::kSelf, kA, 0))));
  EXPECT_EQ(h.counters.punted, 30u);
  EXPECT_EQ(h.counters.punted_known, 30u);
  EXPECT_EQ(h.drops_total(), 0u);
  // The same VL1 address from another physical source: a spoof, limited.
  h.run(times(30, from4(h, kIpC, 5000, vl1_packet(Harness::kSelf, kA, 0))));
  EXPECT_EQ(h.counters.punted, 35u);
  EXPECT_EQ(h.drops(Drop::punt_source_limited), 25u);
  // Same IP, another UDP port: not the path either. The known punts above
  // were not charged to that IP's bucket, so it still holds its burst.
  h.run(times(10, from4(h, kIpA, 5001, vl1_packet(Harness::kSelf, kA, 0))));
  EXPECT_EQ(h.counters.punted, 40u);
  EXPECT_EQ(h.counters.punted_known, 30u);
  EXPECT_EQ(h.drops(Drop::punt_source_limited), 30u);
  EXPECT_EQ(h.drop_reason(), "punt_source_limited");
}

TEST(Police, GlobalCapKeepsItsReserveForKnownPeers) {
  Harness h;
  PoliceConfig c = off();
  c.punt_global_pps = 1;
  c.punt_global_burst = 10;
  c.punt_unknown_share = 50;
  h.police(c);
  h.add_path4(kA, kIpA, 5000);
  std::vector<Bytes> unknown;
  for (uint8_t i = 0; i < 20; ++i) unknown.push_back(from4(h, Ip4{{10, 0, 1, i}}, 5000, vl1_packet(Harness::kSelf, kC + i, 0)));
  h.run(unknown);
  EXPECT_EQ(h.counters.punted, 5u) << "unknown sources get half of the burst";
  EXPECT_EQ(h.drops(Drop::punt_global_limited), 15u);
  h.run(times(20, from4(h, kIpA, 5000, vl1_packet(Harness::kSelf, kA, 0))));
  EXPECT_EQ(h.counters.punted_known, 5u) << "the known peer gets the reserved half";
  EXPECT_EQ(h.counters.punted, 10u);
  EXPECT_EQ(h.drops(Drop::punt_global_limited), 30u);
  EXPECT_EQ(h.drop_reason(), "punt_global_limited");
}

TEST(Police, UnknownSourcesLeaveRingRoomForKnownPeers) {
  Harness h;
  PoliceConfig c = off();
  c.punt_unknown_share = 50;
  h.police(c);
  h.add_path4(kA, kIpA, 5000);
  h.punt_slots = 8;
  h.punt_used = 2;
  h.run(times(10, from4(h, kIpC, 5000, vl1_packet(Harness::kSelf, kC, 0))));
  EXPECT_EQ(h.counters.punted, 2u) << "unknown sources fill the ring to half (4 of 8)";
  EXPECT_EQ(h.drops(Drop::punt_unknown_reserved), 8u);
  h.run(times(10, from4(h, kIpA, 5000, vl1_packet(Harness::kSelf, kA, 0))));
  EXPECT_EQ(h.counters.punted_known, 4u) << "known peers find the other half";
  EXPECT_EQ(h.drops(Drop::punt_full), 6u);
  EXPECT_EQ(h.drops_total(), 14u);
  // Control drained the ring: unknown sources get their half again.
  h.punt_used = 0;
  h.run(times(10, from4(h, kIpC, 5000, vl1_packet(Harness::kSelf, kC, 0))));
  EXPECT_EQ(h.counters.punted, 6u + 4u);
  EXPECT_EQ(h.drops(Drop::punt_unknown_reserved), 8u + 6u);
}

TEST(Police, DefaultsCutASingleSourceFloodToItsBurst) {
  Harness h;
  h.police(PoliceConfig{});
  h.run(times(300, from4(h, kIpC, 5000, vl1_packet(Harness::kSelf, kC, 0))));
  // Burst 200, refilled at 100/s while the test runs (a few ms).
  EXPECT_GE(h.counters.punted, 200u);
  EXPECT_LE(h.counters.punted, 205u);
  EXPECT_EQ(h.counters.punted + h.drops(Drop::punt_source_limited), 300u);
}

class RelayLimit : public ::testing::Test {
 protected:
  void SetUp() override {
    h.add_neighbor4(kIpB, kMacB);
    h.add_path4(kB, kIpB, 6000);
  }
  Harness h;
};

TEST_F(RelayLimit, OffByDefault) {
  h.police(PoliceConfig{});
  EXPECT_FALSE(h.w.police.relay.on());
  auto out = h.run(times(300, from4(h, kIpA, 5000, vl1_packet(kB, kA, 0))));
  EXPECT_EQ(out.size(), 300u);
  EXPECT_EQ(h.counters.relayed, 300u);
  EXPECT_EQ(h.drops_total(), 0u);
}

TEST_F(RelayLimit, OnCutsOneSourcePeerAndNotAnother) {
  PoliceConfig c = off();
  c.relay_limit_pps = 1;
  c.relay_limit_burst = 5;
  h.police(c, seed_apart(c, {kA, kC, key4(kIpA)}, true));
  auto out = h.run(times(20, from4(h, kIpA, 5000, vl1_packet(kB, kA, 0))));
  EXPECT_EQ(out.size(), 5u);
  EXPECT_EQ(h.drops(Drop::relay_limited), 15u);
  // Another source peer, even from the same physical address: its own bucket.
  out = h.run(times(3, from4(h, kIpA, 5000, vl1_packet(kB, kC, 0))));
  EXPECT_EQ(out.size(), 3u);
  // Fragments carry no source address: charged to their physical source.
  out = h.run(times(8, from4(h, kIpA, 5000, vl1_fragment(kB, 2, 1, 0))));
  EXPECT_EQ(out.size(), 5u);
  EXPECT_EQ(h.drops(Drop::relay_limited), 18u);
  // At the hop limit a packet is dropped for that, not charged.
  h.run1(from4(h, kIpA, 5000, vl1_packet(kB, kC, 3)));
  EXPECT_EQ(h.drops(Drop::vl1_hop_limit), 1u);
  EXPECT_EQ(h.counters.relayed, 13u);
  EXPECT_EQ(h.drops_total(), 19u);
}

TEST_F(RelayLimit, PuntLimitsDoNotTouchRelayedPackets) {
  PoliceConfig c = off();
  c.punt_source_pps = 1;
  c.punt_source_burst = 1;
  c.punt_global_pps = 1;
  c.punt_global_burst = 1;
  h.police(c);
  auto out = h.run(times(50, from4(h, kIpA, 5000, vl1_packet(kB, kA, 0))));
  EXPECT_EQ(out.size(), 50u);
}

}  // namespace
}  // namespace flatnet::test
