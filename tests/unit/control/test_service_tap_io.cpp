// The tap I/O threads' ring (control/service/tap_io): order, the bound when
// full, oversize frames refused, and one producer and one consumer thread
// passing a numbered stream without loss or reordering.
#include <gtest/gtest.h>

#include <cstring>
#include <thread>

#include "control/service/tap_io.hpp"

namespace flatnet::control::service {
namespace {

TEST(FrameRing, KeepsOrderAndIsBounded) {
  FrameRing r(6, 16);  // rounded up to 8 slots
  uint8_t b[16];
  size_t pushed = 0;
  for (uint8_t i = 0; i < 20; ++i) {
    std::memset(b, i, sizeof b);
    pushed += r.push(b, 1 + i % 16);
  }
  EXPECT_EQ(pushed, 8u);  // full after 8: the rest refused
  EXPECT_FALSE(r.push(b, 1));
  for (uint8_t i = 0; i < 8; ++i) {
    const port::FrameSlot* s = r.front();
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->len, 1u + i);
    EXPECT_EQ(s->data[0], i);
    r.pop();
  }
  EXPECT_EQ(r.front(), nullptr);
  EXPECT_TRUE(r.empty());
  uint8_t big[17] = {};
  EXPECT_FALSE(r.push(big, sizeof big));  // longer than a slot
  EXPECT_TRUE(r.empty());
}

TEST(FrameRing, FreeRunStopsAtTheWrap) {
  FrameRing r(4, 8);
  uint8_t b[8] = {};
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(r.push(b, 8));
  r.pop();
  r.pop();
  // Slot 3 is free up to the end of the array, then 0 and 1 after the wrap.
  EXPECT_EQ(r.free_run(32).size(), 1u);
  r.publish(1);
  EXPECT_EQ(r.free_run(32).size(), 2u);
  EXPECT_EQ(r.free_run(1).size(), 1u);
}

TEST(FrameRing, TwoThreadsPassAStreamInOrder) {
  FrameRing r(16, 8);
  constexpr uint32_t kCount = 200000;
  std::thread producer([&] {
    for (uint32_t i = 0; i < kCount;) {
      uint8_t b[4];
      std::memcpy(b, &i, 4);
      if (r.push(b, 4)) ++i;
      else std::this_thread::yield();
    }
  });
  uint32_t next = 0;
  bool ordered = true;
  while (next < kCount) {
    const port::FrameSlot* s = r.front();
    if (!s) {
      std::this_thread::yield();
      continue;
    }
    uint32_t v;
    std::memcpy(&v, s->data, 4);
    ordered &= v == next && s->len == 4;
    r.pop();
    ++next;
  }
  producer.join();
  EXPECT_TRUE(ordered);
  EXPECT_TRUE(r.empty());
}

}  // namespace
}  // namespace flatnet::control::service
