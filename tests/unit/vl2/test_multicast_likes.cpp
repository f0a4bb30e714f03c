// control/vl2/multicast_likes: MULTICAST_LIKE batching and the 60 s refresh
// on synthetic time.
#include "control/vl2/multicast_likes.hpp"

#include <gtest/gtest.h>

#include "dataplane/wire/vl1.hpp"

using namespace flatnet::control;
using namespace flatnet::control::vl2;

namespace {
constexpr uint64_t kNwid = 0x8056c2e21c000001ULL;

std::vector<MulticastGroup> groups(size_t n) {
  std::vector<MulticastGroup> g;
  for (size_t i = 0; i < n; ++i) g.push_back(MulticastGroup{0xffffffffffffULL, uint32_t(0x0a000000 + i)});
  return g;
}
}  // namespace

TEST(MulticastLikes, BatchesFitThePayloadAndRoundTrip) {
  const auto g = groups(200);
  const size_t budget = like_payload_budget(flatnet::wire::kDefaultPhysMtu);
  EXPECT_EQ(budget, 1432u - 28u);
  const auto payloads = like_payloads(kNwid, g, budget);
  const size_t per = budget / kMulticastLikeRecord;  // 78 records
  ASSERT_EQ(payloads.size(), (200 + per - 1) / per);
  std::vector<MulticastGroup> back;
  for (const auto& p : payloads) {
    EXPECT_LE(p.size(), budget);
    EXPECT_EQ(p.size() % kMulticastLikeRecord, 0u);
    MulticastLike like;
    ASSERT_EQ(decode_multicast_like(p, like), DecodeStatus::kOk);
    for (const auto& e : like.entries) {
      EXPECT_EQ(e.network_id, kNwid);
      back.push_back(e.group);
    }
  }
  EXPECT_EQ(back, g);
  EXPECT_TRUE(like_payloads(kNwid, {}, budget).empty());
  EXPECT_EQ(like_payloads(kNwid, g, 5).size(), 200u);  // tiny budget: one record each
}

TEST(MulticastLikes, RefreshEvery60sPerPeer) {
  LikeAnnouncer a(kNwid);
  const auto g = groups(3);
  std::vector<uint64_t> targets = {0x1111111111ULL, 0x2222222222ULL};
  EXPECT_EQ(a.next_due(targets, 0), 0u);
  auto sends = a.tick(g, targets, 1000, 1400);
  ASSERT_EQ(sends.size(), 2u);
  EXPECT_EQ(sends[0].payloads.size(), 1u);
  EXPECT_EQ(sends[0].payloads[0].size(), 3 * kMulticastLikeRecord);
  // The 5 s checks before the period send nothing.
  for (uint64_t t = 6000; t < 1000 + kMulticastAnnouncePeriodMs; t += 5000)
    EXPECT_TRUE(a.tick(g, targets, t, 1400).empty()) << t;
  EXPECT_EQ(a.next_due(targets, 6000), 1000 + kMulticastAnnouncePeriodMs);
  // A new target is due at once, the old ones keep their schedule.
  targets.push_back(0x3333333333ULL);
  sends = a.tick(g, targets, 30'000, 1400);
  ASSERT_EQ(sends.size(), 1u);
  EXPECT_EQ(sends[0].peer, 0x3333333333ULL);
  sends = a.tick(g, targets, 1000 + kMulticastAnnouncePeriodMs, 1400);
  EXPECT_EQ(sends.size(), 2u);
  // A peer that is no longer a target is forgotten.
  a.tick(g, std::vector<uint64_t>{0x3333333333ULL}, 70'000, 1400);
  EXPECT_EQ(a.tracked(), 1u);
}

TEST(MulticastLikes, NewGroupGoesOutAtOnceWithoutMovingTheGate) {
  LikeAnnouncer a(kNwid);
  const auto g = groups(2);
  const std::vector<uint64_t> targets = {0x1111111111ULL};
  a.tick(g, targets, 1000, 1400);
  const auto added = groups(1);
  const auto sends = a.on_added(added, targets, 1400);
  ASSERT_EQ(sends.size(), 1u);
  EXPECT_EQ(sends[0].payloads[0].size(), kMulticastLikeRecord);
  EXPECT_TRUE(a.tick(g, targets, 2000, 1400).empty());
  EXPECT_EQ(a.tick(g, targets, 61'000, 1400).size(), 1u);
}
