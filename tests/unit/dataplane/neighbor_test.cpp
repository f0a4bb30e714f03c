// Neighbour table: lookups, static entries, the bounded cache (eviction of
// the oldest dynamic entry) and the bounded awaiting queue with expiry. No
// EAL needed: held "packets" are null mbufs here, never dereferenced by the
// paths under test.
#include <gtest/gtest.h>

#include "dataplane/fastpath/neighbor.hpp"

namespace flatnet::fastpath {
namespace {

IpAddr ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  uint8_t x[4] = {a, b, c, d};
  return IpAddr::v4(x);
}
Mac mac(uint8_t last) { return Mac{{2, 0, 0, 0, 0, last}}; }

constexpr uint64_t kHz = 1000000;  // 1 tick = 1 us

TEST(Neighbor, LearnAndLookup) {
  NeighborTable t({}, kHz);
  Mac m;
  EXPECT_FALSE(t.lookup(ip4(10, 0, 0, 1), &m));
  uint32_t g0 = t.generation();
  t.learn(ip4(10, 0, 0, 1), mac(1));
  EXPECT_NE(t.generation(), g0);
  ASSERT_TRUE(t.lookup(ip4(10, 0, 0, 1), &m));
  EXPECT_EQ(m, mac(1));
  t.learn(ip4(10, 0, 0, 1), mac(2));
  ASSERT_TRUE(t.lookup(ip4(10, 0, 0, 1), &m));
  EXPECT_EQ(m, mac(2));
  uint8_t v6[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 1};
  EXPECT_FALSE(t.lookup(IpAddr::v6(v6), &m)) << "families are distinct keys";
}

TEST(Neighbor, StaticEntriesStay) {
  NeighborTable t({}, kHz);
  t.learn(ip4(10, 0, 0, 1), mac(1), true);
  t.learn(ip4(10, 0, 0, 1), mac(9));  // learned data does not override config
  Mac m;
  ASSERT_TRUE(t.lookup(ip4(10, 0, 0, 1), &m));
  EXPECT_EQ(m, mac(1));
}

using Refresh = NeighborTable::Refresh;
using Update = NeighborTable::Update;

// refresh() (used by ARP and ND) only updates entries that exist: a next hop held
// for resolution, or a known neighbour. It never creates one.
TEST(Neighbor, RefreshCreatesNothing) {
  NeighborTable t({}, kHz);
  EXPECT_EQ(t.refresh(ip4(10, 0, 0, 1), mac(1)), Refresh::kUnknown);
  Mac m;
  EXPECT_FALSE(t.lookup(ip4(10, 0, 0, 1), &m));
  EXPECT_EQ(t.size(), 0u);
}

TEST(Neighbor, RefreshResolvesHeldNextHopAndUpdatesKnown) {
  NeighborTable t({}, kHz);
  EXPECT_EQ(t.hold(ip4(10, 0, 0, 5), nullptr, 1000), NeighborTable::Hold::kQueuedSendRequest);
  EXPECT_EQ(t.refresh(ip4(10, 0, 0, 5), mac(5), Update::kNoOverride), Refresh::kUpdated)
      << "a next hop we resolve is completed without Override";
  Mac m;
  ASSERT_TRUE(t.lookup(ip4(10, 0, 0, 5), &m));
  EXPECT_EQ(m, mac(5));
  EXPECT_EQ(t.refresh(ip4(10, 0, 0, 5), mac(6), Update::kNoOverride), Refresh::kKept);
  ASSERT_TRUE(t.lookup(ip4(10, 0, 0, 5), &m));
  EXPECT_EQ(m, mac(5)) << "without Override a known MAC stays";
  EXPECT_EQ(t.refresh(ip4(10, 0, 0, 5), mac(5), Update::kNoOverride), Refresh::kUpdated);
  EXPECT_EQ(t.refresh(ip4(10, 0, 0, 5), mac(6)), Refresh::kUpdated);
  ASSERT_TRUE(t.lookup(ip4(10, 0, 0, 5), &m));
  EXPECT_EQ(m, mac(6));
  t.learn(ip4(10, 0, 0, 7), mac(7), true);
  EXPECT_EQ(t.refresh(ip4(10, 0, 0, 7), mac(8)), Refresh::kUpdated) << "known";
  ASSERT_TRUE(t.lookup(ip4(10, 0, 0, 7), &m));
  EXPECT_EQ(m, mac(7)) << "static entries keep their MAC";
  rte_mbuf* out[1];
  EXPECT_EQ(t.take_expired(1000 + 10 * kHz, out, 1), 1u);  // drop the null "packet"
}

TEST(Neighbor, CacheIsBounded) {
  NeighborTable::Limits l;
  l.capacity = 16;
  NeighborTable t(l, kHz);
  for (int i = 0; i < 1000; ++i) t.learn(ip4(10, 1, uint8_t(i >> 8), uint8_t(i)), mac(uint8_t(i)));
  EXPECT_LE(t.size(), t.capacity());
  EXPECT_GE(t.size(), 8u);
  Mac m;
  EXPECT_TRUE(t.lookup(ip4(10, 1, 3, 231), &m)) << "the newest entry is always kept";
}

TEST(Neighbor, AwaitingQueueBoundedAndExpires) {
  NeighborTable::Limits l;
  l.pending_max = 4;
  l.pending_timeout_s = 3;
  l.request_interval_s = 1;
  NeighborTable t(l, kHz);
  uint64_t now = 1000;
  EXPECT_EQ(t.hold(ip4(10, 0, 0, 5), nullptr, now), NeighborTable::Hold::kQueuedSendRequest);
  EXPECT_EQ(t.hold(ip4(10, 0, 0, 5), nullptr, now + 1), NeighborTable::Hold::kQueued)
      << "one request per interval";
  EXPECT_EQ(t.hold(ip4(10, 0, 0, 6), nullptr, now + 2), NeighborTable::Hold::kQueuedSendRequest);
  EXPECT_EQ(t.hold(ip4(10, 0, 0, 6), nullptr, now + 3), NeighborTable::Hold::kQueued);
  EXPECT_EQ(t.hold(ip4(10, 0, 0, 7), nullptr, now + 4), NeighborTable::Hold::kFull);
  EXPECT_EQ(t.pending(), 4u);
  IpAddr due[8];
  EXPECT_EQ(t.due_requests(now + 10, due, 8), 0u);
  EXPECT_EQ(t.due_requests(now + 1000001, due, 8), 1u) << "10.0.0.5 is due again, 10.0.0.6 not yet";
  rte_mbuf* out[8];
  EXPECT_EQ(t.take_expired(now + 2999999, out, 8), 0u);
  EXPECT_EQ(t.take_expired(now + 3000002, out, 8), 3u);
  EXPECT_EQ(t.pending(), 1u);
  EXPECT_EQ(t.take_expired(now + 9000000, out, 8), 1u);
  EXPECT_EQ(t.pending(), 0u);
}

}  // namespace
}  // namespace flatnet::fastpath
