// Relay-pair dedupe and unknown-destination rate limiting.
#include <gtest/gtest.h>

#include "dataplane/ipc/event_filter.hpp"

using flatnet::ipc::EventFilter;

constexpr uint64_t kSec = 1'000'000'000ull;

TEST(EventFilter, OncePerWindowWithCount) {
  EventFilter f(64, 10 * kSec, 0, 1);
  uint64_t now = 100 * kSec;
  EXPECT_TRUE(f.should_report(1, 2, now));
  EXPECT_EQ(f.last_count(), 1u);
  for (int i = 0; i < 99; ++i) EXPECT_FALSE(f.should_report(1, 2, now + i));
  EXPECT_TRUE(f.should_report(2, 1, now)) << "(b,a) is another pair";
  EXPECT_FALSE(f.should_report(1, 2, now + 10 * kSec - 1));
  EXPECT_TRUE(f.should_report(1, 2, now + 10 * kSec));
  EXPECT_EQ(f.last_count(), 101u) << "packets since the previous report";
  EXPECT_EQ(f.reported(), 3u);
  EXPECT_EQ(f.suppressed_dup(), 100u);
}

TEST(EventFilter, RateCapAcrossKeys) {
  EventFilter f(4096, 60 * kSec, 100, 10);  // 100/s, burst 10
  uint64_t now = 5 * kSec;
  int reported = 0;
  for (uint64_t k = 0; k < 1000; ++k) reported += f.should_report(k, 0, now);
  EXPECT_EQ(reported, 10) << "burst";
  EXPECT_EQ(f.suppressed_rate(), 990u);
  // One second later, 100 more tokens (capped at the burst of 10).
  reported = 0;
  for (uint64_t k = 1000; k < 2000; ++k) reported += f.should_report(k, 0, now + kSec);
  EXPECT_EQ(reported, 10);
  // Over 10 s at a steady trickle, about rate x time.
  reported = 0;
  for (uint64_t i = 0; i < 100000; ++i) reported += f.should_report(5000 + i, 0, now + 2 * kSec + i * 100'000);
  EXPECT_GE(reported, 990);
  EXPECT_LE(reported, 1011);
}

TEST(EventFilter, RateLimitedKeyReportedLater) {
  EventFilter f(64, 60 * kSec, 1, 1);
  uint64_t now = kSec;
  EXPECT_TRUE(f.should_report(1, 1, now));
  EXPECT_FALSE(f.should_report(2, 2, now));  // no token: not reported ...
  EXPECT_TRUE(f.should_report(2, 2, now + kSec));  // ... but still due
  EXPECT_EQ(f.last_count(), 2u);
}

TEST(EventFilter, BoundedMemoryUnderFlood) {
  EventFilter f(256, 60 * kSec, 0, 1);
  // A flood of distinct pairs only evicts: table size is fixed.
  for (uint64_t k = 0; k < 1'000'000; ++k) f.should_report(k, k * 7, kSec);
  EXPECT_EQ(f.reported(), 1'000'000u);  // no cap configured: each new pair reported once
  EXPECT_FALSE(f.should_report(999'999, 999'999 * 7, kSec)) << "the latest pair is still remembered";
}
