// control/vl2/multicast_select: the recipient order of one multicast
// (bridges, recent subscribers, random rest), the recency table's bounds,
// the subscriptions store and gather timing. Seeded; no clock.
#include "control/vl2/multicast_select.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <unordered_map>

using namespace flatnet::control;
using namespace flatnet::control::vl2;

namespace {

constexpr uint64_t kSelf = 0x0000000001ULL;
const MulticastGroup kBcast{0xffffffffffffULL, 0};

uint64_t member_addr(size_t i) { return 0x1000000000ULL + i; }

struct Fixture {
  Subscriptions subs{16, 2'000'000};
  RecentPeers recent{256, 3'600'000};
  std::vector<uint64_t> bridges;
  std::vector<uint64_t> recents;  // most recent first

  // n subscribers; the first `b` are also active bridges; the next `k` are
  // the peers we talked to, member_addr(b) the most recent.
  Fixture(size_t n, size_t b, size_t k, uint64_t now = 1000) {
    for (size_t i = 0; i < n; ++i) subs.add(kBcast, member_addr(i), kSelf, now);
    for (size_t i = 0; i < b; ++i) bridges.push_back(member_addr(i));
    for (size_t i = b + k; i-- > b;) recent.touch(member_addr(i), now);
    for (size_t i = b; i < b + k; ++i) recents.push_back(member_addr(i));
  }
  SelectInput input(size_t limit, uint64_t now = 1000) const {
    SelectInput in;
    in.limit = limit;
    in.self = kSelf;
    in.now = now;
    in.bridges = bridges;
    in.group = subs.find(kBcast);
    in.recent = &recent;
    return in;
  }
  std::vector<uint64_t> select(size_t limit, std::mt19937_64& rng) const {
    return select_recipients(input(limit), rng);
  }
};

void expect_well_formed(const std::vector<uint64_t>& out, size_t limit) {
  EXPECT_LE(out.size(), limit);
  std::set<uint64_t> uniq(out.begin(), out.end());
  EXPECT_EQ(uniq.size(), out.size()) << "duplicate recipient";
  EXPECT_EQ(uniq.count(kSelf), 0u) << "sender chosen";
}

}  // namespace

// The test: 1,000 subscribers, limit 32, 2 bridges, 10 recent.
TEST(MulticastSelect, ThousandSubscribersLimit32) {
  constexpr size_t n = 1000, limit = 32, b = 2, k = 10;
  Fixture f(n, b, k);
  std::mt19937_64 rng(0x5eed);
  constexpr int trials = 20000;
  std::unordered_map<uint64_t, int> hits;
  for (int t = 0; t < trials; ++t) {
    const auto out = f.select(limit, rng);
    ASSERT_EQ(out.size(), limit);
    expect_well_formed(out, limit);
    // Bridges first, then the recent ones in recency order.
    for (size_t i = 0; i < b; ++i) ASSERT_EQ(out[i], f.bridges[i]);
    for (size_t i = 0; i < k; ++i) ASSERT_EQ(out[b + i], f.recents[i]);
    for (size_t i = b + k; i < out.size(); ++i) ++hits[out[i]];
  }
  // Every other subscriber at the random rate, within a 5-sigma binomial band.
  const double p = double(limit - b - k) / double(n - b - k);
  const double mean = trials * p, sd = std::sqrt(trials * p * (1 - p));
  int lo = trials, hi = 0;
  for (size_t i = b + k; i < n; ++i) {
    const int c = hits[member_addr(i)];
    lo = std::min(lo, c);
    hi = std::max(hi, c);
    EXPECT_NEAR(c, mean, 5 * sd) << "member " << i;
  }
  EXPECT_EQ(hits.size(), n - b - k);  // nobody outside the pool was drawn randomly
  RecordProperty("random_rate", std::to_string(p));
  std::printf("random part: p=%.5f expected %.1f per member, seen %d..%d over %d trials\n", p, mean,
              lo, hi, trials);
}

TEST(MulticastSelect, RecentCappedAtHalfOfWhatBridgesLeave) {
  // 40 recent peers but only (32 - 2) / 2 = 15 social slots: the 15 most recent.
  Fixture f(1000, 2, 40);
  std::mt19937_64 rng(1);
  const auto out = f.select(32, rng);
  expect_well_formed(out, 32);
  for (size_t i = 0; i < 15; ++i) EXPECT_EQ(out[2 + i], f.recents[i]);
  EXPECT_EQ(out.size(), 32u);
}

TEST(MulticastSelect, RecentPeerNotInGroupIsSkipped) {
  Fixture f(100, 0, 0);
  f.recent.touch(0xdeadbeef00ULL, 1000);   // talked to, but not subscribed
  f.recent.touch(member_addr(7), 1000);
  std::mt19937_64 rng(2);
  const auto out = f.select(8, rng);
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out[0], member_addr(7));
  EXPECT_EQ(std::count(out.begin(), out.end(), 0xdeadbeef00ULL), 0);
}

TEST(MulticastSelect, StaleRecentPeersAreNotFavoured) {
  Fixture f(100, 0, 0);
  RecentPeers r(16, 10'000);
  r.touch(member_addr(5), 1000);
  auto in = f.input(2, 1000 + 20'000);
  in.recent = &r;
  // Over many draws member 5 must sometimes be missing: it is not pinned.
  std::mt19937_64 rng(3);
  int with5 = 0;
  for (int t = 0; t < 200; ++t) {
    const auto out = select_recipients(in, rng);
    with5 += std::count(out.begin(), out.end(), member_addr(5));
  }
  EXPECT_LT(with5, 200);
}

TEST(MulticastSelect, SmallGroupGetsEveryone) {
  Fixture f(20, 1, 3);
  std::mt19937_64 rng(4);
  for (int t = 0; t < 50; ++t) {
    const auto out = f.select(32, rng);
    expect_well_formed(out, 32);
    EXPECT_EQ(out.size(), 20u);
  }
}

TEST(MulticastSelect, LimitZeroSendsNothing) {
  Fixture f(100, 3, 3);
  std::mt19937_64 rng(5);
  EXPECT_TRUE(f.select(0, rng).empty());
}

TEST(MulticastSelect, MoreBridgesThanLimit) {
  Fixture f(100, 50, 5);
  std::mt19937_64 rng(6);
  const auto out = f.select(32, rng);
  ASSERT_EQ(out.size(), 32u);
  for (size_t i = 0; i < 32; ++i) EXPECT_EQ(out[i], f.bridges[i]);  // stock's order, cut at limit
}

TEST(MulticastSelect, SenderAndOriginExcludedEverywhere) {
  Fixture f(50, 0, 0);
  f.bridges = {kSelf, member_addr(3)};
  f.recent.touch(kSelf, 1000);
  f.recent.touch(member_addr(4), 1000);
  EXPECT_EQ(f.subs.add(kBcast, kSelf, kSelf, 1000), Subscriptions::Add::kSelf);
  std::mt19937_64 rng(7);
  for (int t = 0; t < 100; ++t) {
    auto in = f.input(60);
    in.origin = member_addr(4);
    const auto out = select_recipients(in, rng);
    expect_well_formed(out, 60);
    EXPECT_EQ(std::count(out.begin(), out.end(), member_addr(4)), 0);
    EXPECT_EQ(out.size(), 49u);  // 50 members minus the origin
    EXPECT_EQ(out[0], member_addr(3));
  }
}

TEST(MulticastSelect, NoGroupStillReachesBridges) {
  std::vector<uint64_t> bridges = {member_addr(1), member_addr(1), member_addr(2)};
  SelectInput in;
  in.limit = 32;
  in.self = kSelf;
  in.bridges = bridges;
  std::mt19937_64 rng(8);
  const auto out = select_recipients(in, rng);
  EXPECT_EQ(out, (std::vector<uint64_t>{member_addr(1), member_addr(2)}));
}

TEST(RecentPeers, BoundedUnderFloodOfDistinctPeers) {
  RecentPeers r(64, 60'000);
  for (uint64_t i = 0; i < 100'000; ++i) r.touch(0x2000000000ULL + i, 1000 + i);
  EXPECT_EQ(r.size(), 64u);
  std::vector<uint64_t> seen;
  r.for_each_recent(1000 + 100'000, [&](uint64_t p) {
    seen.push_back(p);
    return true;
  });
  ASSERT_EQ(seen.size(), 64u);
  EXPECT_EQ(seen.front(), 0x2000000000ULL + 99'999);  // most recent first
  r.expire(1000 + 100'000 + 120'000);
  EXPECT_EQ(r.size(), 0u);
}

TEST(RecentPeers, TouchMovesToFront) {
  RecentPeers r(3, 60'000);
  r.touch(1, 10);
  r.touch(2, 20);
  r.touch(3, 30);
  r.touch(1, 40);
  r.touch(4, 50);  // evicts 2, the least recent
  std::vector<uint64_t> seen;
  r.for_each_recent(50, [&](uint64_t p) {
    seen.push_back(p);
    return true;
  });
  EXPECT_EQ(seen, (std::vector<uint64_t>{4, 1, 3}));
}

TEST(Subscriptions, BoundsAndExpiry) {
  Subscriptions s(2, 3, kMulticastLikeExpireMs);
  const MulticastGroup a{0x01005e000001ULL, 0}, b{0x01005e000002ULL, 0}, c{0x01005e000003ULL, 0};
  EXPECT_EQ(s.add(a, 10, kSelf, 0), Subscriptions::Add::kStored);
  EXPECT_EQ(s.add(a, 10, kSelf, 5), Subscriptions::Add::kRefreshed);
  EXPECT_EQ(s.add(a, 11, kSelf, 0), Subscriptions::Add::kStored);
  EXPECT_EQ(s.add(a, 12, kSelf, 0), Subscriptions::Add::kStored);
  EXPECT_EQ(s.add(a, 13, kSelf, 0), Subscriptions::Add::kGroupFull);
  EXPECT_EQ(s.add(b, 10, kSelf, 0), Subscriptions::Add::kStored);
  EXPECT_EQ(s.add(c, 10, kSelf, 0), Subscriptions::Add::kTooManyGroups);
  EXPECT_EQ(s.subscriptions(), 4u);
  s.add(a, 11, kSelf, 300'000);
  s.expire(kMulticastLikeExpireMs + 4);  // 10 was refreshed at 5: still there
  EXPECT_EQ(s.known(a), 2u);
  s.expire(kMulticastLikeExpireMs + 5);
  EXPECT_EQ(s.known(a), 1u);
  EXPECT_TRUE(s.find(a)->contains(11));
  s.expire(900'000 + 60'000);
  EXPECT_EQ(s.subscriptions(), 0u);
  EXPECT_EQ(s.groups(), 0u);
}

TEST(Subscriptions, GatherTimingAsStock) {
  Subscriptions s(4, 100);
  const MulticastGroup g{0x333300000001ULL, 0};
  // Nothing known: gather at once for limit + 1.
  auto p = s.plan_gather(g, 32, 1000);
  EXPECT_TRUE(p.explicit_gather);
  EXPECT_EQ(p.gather_limit, 33u);
  for (uint64_t i = 0; i < 5; ++i) s.add(g, 100 + i, kSelf, 1000);
  p = s.plan_gather(g, 32, 1000);
  EXPECT_TRUE(p.explicit_gather);  // first gather for a stored group
  EXPECT_EQ(p.gather_limit, 28u);  // limit - known + 1
  p = s.plan_gather(g, 32, 1000 + kMulticastExplicitGatherDelayMs - 1);
  EXPECT_FALSE(p.explicit_gather);
  EXPECT_EQ(p.gather_limit, 28u);  // still the implicit limit in the frame
  p = s.plan_gather(g, 32, 1000 + kMulticastExplicitGatherDelayMs);
  EXPECT_TRUE(p.explicit_gather);
  for (uint64_t i = 5; i < 40; ++i) s.add(g, 100 + i, kSelf, 1000);
  p = s.plan_gather(g, 32, 500'000);
  EXPECT_FALSE(p.explicit_gather);  // enough known
  EXPECT_EQ(p.gather_limit, 1u);
  EXPECT_EQ(s.plan_gather(g, 0, 600'000).gather_limit, 0u);  // multicast disabled
}

// The numbers of docs/vl2-multicast.md: how often the 10 peers we talk to
// (and everyone else) hear one broadcast, stock's order (no recency table)
// against the social one, in groups of 1,000 and 1,000,000 with limit 32
// and 2 bridges.
namespace {
struct Rates {
  double friend_rate;
  double other_rate;
};
Rates measure(Fixture& f, size_t n, bool social, int trials, uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto in = f.input(32);
  if (!social) in.recent = nullptr;
  std::set<uint64_t> friends(f.recents.begin(), f.recents.end());
  uint64_t friend_hits = 0, other_hits = 0;
  for (int t = 0; t < trials; ++t) {
    const auto out = select_recipients(in, rng);
    EXPECT_EQ(out.size(), 32u);
    for (size_t i = 2; i < out.size(); ++i) (friends.count(out[i]) ? friend_hits : other_hits)++;
  }
  return {double(friend_hits) / (double(trials) * friends.size()),
          double(other_hits) / (double(trials) * double(n - 2 - friends.size()))};
}
}  // namespace

TEST(MulticastSelect, SocialAgainstStockOrder) {
  for (size_t n : {size_t(1000), size_t(1'000'000)}) {
    Fixture f(n, 2, 10);
    const int trials = 4000;
    const Rates stock = measure(f, n, false, trials, 11);
    const Rates social = measure(f, n, true, trials, 11);
    std::printf("n=%zu limit=32 bridges=2 friends=10: stock friend %.5f other %.6f | "
                "social friend %.5f other %.6f\n",
                n, stock.friend_rate, stock.other_rate, social.friend_rate, social.other_rate);
    EXPECT_EQ(social.friend_rate, 1.0);
    // Stock's order treats friends like anyone: 30 random slots of n - 2.
    const double p = 30.0 / double(n - 2);
    EXPECT_NEAR(stock.friend_rate, p, 5 * std::sqrt(p * (1 - p) / (trials * 10.0)) + 1e-9);
    EXPECT_NEAR(social.other_rate, 20.0 / double(n - 12), 20.0 / double(n - 12) * 0.1);
  }
}
