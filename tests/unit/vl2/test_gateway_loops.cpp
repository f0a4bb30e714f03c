// A gateway's LAN bridged twice, control's side (control/service/
// gateway_loops): one log line per network at most once a minute, naming
// the MAC and the bridge; the loop listed for /status while reported.
#include <gtest/gtest.h>

#include "control/service/gateway_loops.hpp"

namespace flatnet::control::service {
namespace {

constexpr uint64_t kNw = 0x8056c2e21c000001ull;
constexpr uint64_t kMac = 0x02aabbccdd01ull;
constexpr uint64_t kBridge = 0x0d0d0d0d0dull;

TEST(LanLoops, LogsOncePerMinutePerNetworkWithMacAndBridge) {
  LanLoops l;
  const uint64_t t0 = 1'000'000;
  std::string line = l.report(kNw, kMac, kBridge, t0);
  EXPECT_NE(line.find("bridged twice"), std::string::npos) << line;
  EXPECT_NE(line.find("02:aa:bb:cc:dd:01"), std::string::npos) << line;
  EXPECT_NE(line.find("0d0d0d0d0d"), std::string::npos) << line;
  EXPECT_NE(line.find("8056c2e21c000001"), std::string::npos) << line;
  // The data plane's reports every second: silent until the minute is up.
  for (uint64_t s = 1; s < 60; ++s) EXPECT_EQ(l.report(kNw, kMac, kBridge, t0 + s * 1000), "") << s;
  line = l.report(kNw, kMac, kBridge, t0 + LanLoops::kLogEveryMs);
  EXPECT_NE(line.find("(60 reports)"), std::string::npos) << line;
  // Another network has its own minute.
  EXPECT_NE(l.report(kNw + 1, kMac, kBridge, t0 + 61'000), "");
  EXPECT_EQ(l.reports(), 62u);
}

TEST(LanLoops, ListedWhileReported) {
  LanLoops l;
  l.report(kNw, kMac, kBridge, 5'000);
  auto cur = l.current(6'000);
  ASSERT_EQ(cur.size(), 1u);
  EXPECT_EQ(cur[0].nwid, kNw);
  EXPECT_EQ(cur[0].mac, kMac);
  EXPECT_EQ(cur[0].bridge, kBridge);
  EXPECT_TRUE(l.current(5'000 + LanLoops::kShowMs + 1).empty());
}

TEST(LanLoops, BoundedNetworks) {
  LanLoops l;
  for (uint64_t i = 0; i < LanLoops::kMaxNetworks + 10; ++i) l.report(kNw + i, kMac, kBridge, 1'000);
  EXPECT_EQ(l.current(1'000).size(), LanLoops::kMaxNetworks);
}

}  // namespace
}  // namespace flatnet::control::service
