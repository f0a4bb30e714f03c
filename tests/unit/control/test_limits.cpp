// Rate limits and the peer table: budgets, per-source buckets, the pair
// gate, capacity and eviction order.
#include <gtest/gtest.h>

#include "control/core/ip_scope.hpp"
#include "control/core/peer_table.hpp"
#include "control/core/rate_limit.hpp"
#include "tests/unit/control/harness.hpp"

namespace flatnet::control {
namespace {

using test::v4;

TEST(ControlLimits, TokenBucketRateAndBurst) {
  TokenBucket b(10, 5);  // 10/s, burst 5
  uint64_t t = 1000;
  int got = 0;
  for (int i = 0; i < 100; ++i) got += b.take(t);
  EXPECT_EQ(got, 5);
  EXPECT_EQ(b.available_at(t), t + 100);  // one token per 100 ms
  EXPECT_FALSE(b.take(t + 99));
  EXPECT_TRUE(b.take(t + 100));
  // Over ten seconds at most burst + 10/s x 10 s.
  got = 0;
  for (uint64_t now = t + 100; now <= t + 10100; now += 7) got += b.take(now);
  EXPECT_LE(got, 5 + 100);
  EXPECT_GE(got, 99);
  // A clock stepping back never adds tokens.
  TokenBucket c(1, 1);
  EXPECT_TRUE(c.take(5000));
  EXPECT_FALSE(c.take(1000));
  EXPECT_FALSE(c.take(4999));
  EXPECT_EQ(c.available_at(5000, 2), 5000u + 2000);
}

TEST(ControlLimits, SourceGatePerSlash32AndSlash64) {
  SourceGate g(16384, 2000, 2);
  auto a = v4(198, 51, 100, 7, 1);
  auto a_other_port = v4(198, 51, 100, 7, 2);
  auto b = v4(198, 51, 100, 8, 1);  // same /24, different /32
  EXPECT_TRUE(g.allow(a, 0));
  EXPECT_TRUE(g.allow(a_other_port, 0));
  EXPECT_FALSE(g.allow(a, 0));        // burst of 2 spent, ports do not matter
  EXPECT_TRUE(g.allow(b, 0));         // a neighbour is not punished
  EXPECT_FALSE(g.allow(a, 1999));
  EXPECT_TRUE(g.allow(a, 2000));      // one more per 2 s
  EXPECT_FALSE(g.allow(a, 2001));

  uint8_t ip1[16] = {0x20, 1, 0xd, 0xb8, 1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 1};
  uint8_t ip2[16] = {0x20, 1, 0xd, 0xb8, 1, 2, 3, 4, 9, 9, 9, 9, 9, 9, 9, 9};  // same /64
  uint8_t ip3[16] = {0x20, 1, 0xd, 0xb8, 1, 2, 3, 5, 0, 0, 0, 0, 0, 0, 0, 1};  // next /64
  auto x = wire::InetAddress::v6(ip1, 1), y = wire::InetAddress::v6(ip2, 1),
       z = wire::InetAddress::v6(ip3, 1);
  EXPECT_EQ(SourceGate::prefix_key(x), SourceGate::prefix_key(y));
  EXPECT_NE(SourceGate::prefix_key(x), SourceGate::prefix_key(z));
  EXPECT_TRUE(g.allow(x, 0));
  EXPECT_TRUE(g.allow(y, 0));
  EXPECT_FALSE(g.allow(x, 0));
  EXPECT_TRUE(g.allow(z, 0));
  // IPv4 a.b.c.d and an IPv6 /64 beginning with those bytes are different keys.
  uint8_t ip4[16] = {198, 51, 100, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_NE(SourceGate::prefix_key(a), SourceGate::prefix_key(wire::InetAddress::v6(ip4, 1)));
}

TEST(ControlLimits, SourceGateCollisionsNeverLiftALimit) {
  SourceGate g(1, 2000, 1);  // one slot: everyone collides
  auto a = v4(10, 0, 0, 1), b = v4(10, 0, 0, 2);
  EXPECT_TRUE(g.allow(a, 0));
  EXPECT_FALSE(g.allow(b, 0));  // shares a's empty bucket
  EXPECT_FALSE(g.allow(a, 0));
  EXPECT_GE(g.shared_slots(), 1u);
  EXPECT_TRUE(g.allow(b, 2000));  // refilled: b takes the slot over
}

TEST(ControlLimits, PairGate) {
  PairGate g(3, 30000, 240000);
  EXPECT_EQ(g.check(1, 2, 0), PairGate::Result::kAllow);
  EXPECT_EQ(g.check(2, 1, 10), PairGate::Result::kTooSoon);  // unordered
  EXPECT_EQ(g.check(1, 2, 29999), PairGate::Result::kTooSoon);
  EXPECT_EQ(g.check(1, 2, 30000), PairGate::Result::kAllow);
  EXPECT_EQ(g.check(1, 3, 30000), PairGate::Result::kAllow);
  EXPECT_EQ(g.check(2, 3, 30000), PairGate::Result::kAllow);
  EXPECT_EQ(g.check(4, 5, 30000), PairGate::Result::kFull);
  EXPECT_EQ(g.check(4, 5, 270000), PairGate::Result::kAllow);  // old ones forgotten
  g.expire(1000000);
  EXPECT_EQ(g.size(), 0u);
}

// Identities for table tests; the table does not validate them.
crypto::Identity fake(uint64_t a) { return test::bogus_identity(a); }

TEST(ControlLimits, PeerTableEvictsUnprovenFirstThenLeastRecentlyHeard) {
  PeerTable t(3, 2);
  std::vector<uint64_t> ev;
  Peer* a = t.insert(fake(0x1000000001), nullptr, PeerRole::kLeaf, 10, &ev);
  Peer* b = t.insert(fake(0x1000000002), nullptr, PeerRole::kLeaf, 20, &ev);
  Peer* c = t.insert(fake(0x1000000003), nullptr, PeerRole::kLeaf, 30, &ev);
  ASSERT_TRUE(a && b && c);
  t.mark_hello_done(*a, 40);
  t.mark_hello_done(*b, 50);
  // c never HELLOed: it goes first even though a was heard earlier.
  ASSERT_TRUE(t.insert(fake(0x1000000004), nullptr, PeerRole::kLeaf, 60, &ev));
  ASSERT_EQ(ev, std::vector<uint64_t>{0x1000000003});
  EXPECT_EQ(t.size(), 3u);
  // Now the unproven 4 goes before the proven a and b.
  ev.clear();
  ASSERT_TRUE(t.insert(fake(0x1000000005), nullptr, PeerRole::kLeaf, 70, &ev));
  ASSERT_EQ(ev, std::vector<uint64_t>{0x1000000004});
  t.mark_hello_done(*t.find(0x1000000005), 80);
  // All proven: the least recently heard is a (40), unless it is heard again.
  t.heard(*t.find(0x1000000001), 90);
  ev.clear();
  ASSERT_TRUE(t.insert(fake(0x1000000006), nullptr, PeerRole::kLeaf, 100, &ev));
  ASSERT_EQ(ev, std::vector<uint64_t>{0x1000000002});
  EXPECT_EQ(t.find(0x1000000002), nullptr);
  EXPECT_NE(t.find(0x1000000001), nullptr);
}

TEST(ControlLimits, PeerTableNeverEvictsUpstreams) {
  PeerTable t(1, 2);
  std::vector<uint64_t> ev;
  ASSERT_TRUE(t.insert(fake(0x2000000001), nullptr, PeerRole::kPlanetRoot, 0, &ev));
  ASSERT_TRUE(t.insert(fake(0x2000000002), nullptr, PeerRole::kLeaf, 0, &ev));
  // Full of one leaf; a second leaf evicts the leaf, never the root.
  ASSERT_TRUE(t.insert(fake(0x2000000003), nullptr, PeerRole::kLeaf, 1, &ev));
  EXPECT_EQ(ev, std::vector<uint64_t>{0x2000000002});
  EXPECT_NE(t.find(0x2000000001), nullptr);
  std::vector<uint64_t> silent;
  t.collect_silent(10000000, 500000, silent);
  EXPECT_EQ(silent, std::vector<uint64_t>{0x2000000003});  // the root is never forgotten
}

// World updates promote a peer to upstream and demote it again; a demoted
// peer rejoins the eviction order by when it was last heard, and a table
// over capacity after a demotion is trimmed.
TEST(ControlLimits, PeerTableRoleChangesKeepTheEvictionOrder) {
  PeerTable t(2, 2);
  std::vector<uint64_t> ev;
  Peer* a = t.insert(fake(0x4000000001), nullptr, PeerRole::kLeaf, 10, &ev);
  Peer* b = t.insert(fake(0x4000000002), nullptr, PeerRole::kLeaf, 20, &ev);
  t.set_role(*a, PeerRole::kMoonRoot);
  EXPECT_EQ(t.evictable(), 1u);
  ASSERT_TRUE(t.insert(fake(0x4000000003), nullptr, PeerRole::kLeaf, 30, &ev));
  EXPECT_TRUE(ev.empty());
  // a (heard at 10) is a leaf again: three leaves in room for two; the
  // least recently heard (a itself) goes, and silence is found in order.
  t.set_role(*a, PeerRole::kLeaf);
  EXPECT_EQ(t.evictable(), 3u);
  std::vector<uint64_t> silent;
  t.collect_silent(25, 10, silent);
  EXPECT_EQ(silent, std::vector<uint64_t>{0x4000000001});
  t.trim(&ev);
  EXPECT_EQ(ev, std::vector<uint64_t>{0x4000000001});
  EXPECT_EQ(t.evictable(), 2u);
  EXPECT_NE(t.find(b->identity.address()), nullptr);
}

TEST(ControlLimits, PeerTablePathsAndSilence) {
  PeerTable t(8, 2);
  Peer* p = t.insert(fake(0x3000000001), nullptr, PeerRole::kLeaf, 0, nullptr);
  PhysicalPath x{0, v4(10, 0, 0, 1)}, y{0, v4(10, 0, 0, 2)}, z{1, v4(10, 0, 0, 3)};
  EXPECT_TRUE(t.path_received(*p, x, 100));   // first path: changed
  EXPECT_FALSE(t.path_received(*p, x, 200));  // same path refreshed
  EXPECT_TRUE(t.path_received(*p, y, 300));   // y now most recent
  EXPECT_TRUE(t.path_received(*p, z, 400));   // replaces x (oldest), max 2 paths
  ASSERT_EQ(p->paths.size(), 2u);
  EXPECT_EQ(p->best_path()->phys, z);
  EXPECT_EQ(t.expire_paths(*p, 300 + 243000, 243000), 1u);  // y expires, z stays
  EXPECT_EQ(p->best_path()->phys, z);

  std::vector<uint64_t> silent;
  t.collect_silent(499999, 500000, silent);
  EXPECT_TRUE(silent.empty());
  t.collect_silent(500000, 500000, silent);
  EXPECT_EQ(silent.size(), 1u);
}

TEST(ControlLimits, IpScopeAndUsableAddresses) {
  struct Case {
    const char* text;
    IpScope scope;
    bool usable;
  };
  const Case cases[] = {
      {"0.1.2.3/9993", IpScope::kNone, false},
      {"127.0.0.1/9993", IpScope::kLoopback, false},
      {"10.99.0.11/9993", IpScope::kPrivate, true},
      {"100.64.1.1/9993", IpScope::kPrivate, true},
      {"100.128.1.1/9993", IpScope::kGlobal, true},
      {"172.16.0.1/9993", IpScope::kPrivate, true},
      {"172.32.0.1/9993", IpScope::kGlobal, true},
      {"192.168.1.1/9993", IpScope::kPrivate, true},
      {"198.19.255.1/9993", IpScope::kPrivate, true},
      {"203.0.113.5/9993", IpScope::kPrivate, true},
      {"169.254.3.4/9993", IpScope::kLinkLocal, false},
      {"224.0.0.1/9993", IpScope::kMulticast, false},
      {"25.1.2.3/9993", IpScope::kPseudoPrivate, true},
      {"240.0.0.1/9993", IpScope::kPseudoPrivate, true},
      {"104.194.8.134/9993", IpScope::kGlobal, true},
      {"104.194.8.134/0", IpScope::kGlobal, false},  // port 0 is never a path
      {"::/9993", IpScope::kNone, false},
      {"::1/9993", IpScope::kLoopback, false},
      {"fe80::1/9993", IpScope::kLoopback, false},
      {"fe80::2/9993", IpScope::kLinkLocal, false},
      {"ff02::1/9993", IpScope::kMulticast, false},
      {"fd00::1/9993", IpScope::kPrivate, true},
      {"::ffff:127.0.0.1/9993", IpScope::kLoopback, false},
      {"2001:470::1/9993", IpScope::kGlobal, false},  // tunnel broker space refused
      {"2605:9880:200:1200:30:571:e34:51/9993", IpScope::kGlobal, true},
  };
  for (const Case& c : cases) {
    auto a = wire::InetAddress::from_string(c.text);
    ASSERT_TRUE(a) << c.text;
    EXPECT_EQ(ip_scope(*a), c.scope) << c.text;
    EXPECT_EQ(usable_for_paths(*a), c.usable) << c.text;
  }
  EXPECT_EQ(ip_scope(wire::InetAddress{}), IpScope::kNone);
}

}  // namespace
}  // namespace flatnet::control
