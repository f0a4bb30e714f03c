// Tap names, member MACs and ZeroTier-derived IPv6 addresses against the
// spec's examples and the stock 1.14.1 testnet vectors (listnetworks-*.json
// give each member's MAC and tap name; README-more-captures.txt the tap of
// network ee420f0cda000001). Needs $FLATNET_VECTORS for the vector cases:
// fails when missing under CI=true, skips otherwise.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "control/port/addressing.hpp"
#include "control/port/naming.hpp"

namespace flatnet::control::port {
namespace {

std::string vectors() {
  const char* v = std::getenv("FLATNET_VECTORS");
  const std::string dir = v ? std::string(v) + "/zerotier-1.14.1" : "";
  return !dir.empty() && std::filesystem::is_directory(dir) ? dir : "";
}
bool ci() {
  const char* c = std::getenv("CI");
  return c && std::string(c) == "true";
}
std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(PortAddressing, SpecMacExample) {
  // spec §5.2: address 36885e5e08 on 8056c2e21c000001.
  const Mac m = member_mac(0x36885e5e08ULL, 0x8056c2e21c000001ULL);
  EXPECT_EQ(mac_string(m), "02:36:88:42:bc:ca");
  EXPECT_EQ(mac_to_address(m, 0x8056c2e21c000001ULL), 0x36885e5e08ULL);
  EXPECT_TRUE(is_member_mac(m, 0x8056c2e21c000001ULL));
  EXPECT_FALSE(is_member_mac(0x0a1122334455ULL, 0x8056c2e21c000001ULL));
}

TEST(PortAddressing, FirstOctet) {
  EXPECT_EQ(first_octet_for_network(0x01), 0x02);  // multicast bit cleared, local set
  EXPECT_EQ(first_octet_for_network(0xfd), 0xfe);
  EXPECT_EQ(first_octet_for_network(0x50), 0x32);  // 0x52 (KVM) moved to 0x32
  EXPECT_EQ(first_octet_for_network(0x53), 0x32);
}

TEST(PortAddressing, MacText) {
  EXPECT_EQ(parse_mac("02:ee:42:D5:00:d5"), std::optional<Mac>(0x02ee42d500d5ULL));
  EXPECT_FALSE(parse_mac("02:ee:42:d5:00"));
  EXPECT_FALSE(parse_mac("02-ee-42-d5-00-d5"));
  EXPECT_FALSE(parse_mac("02:ee:42:d5:00:g5"));
  const auto b = mac_bytes(0x02ee42d500d5ULL);
  EXPECT_EQ(mac_from_bytes(b.data()), 0x02ee42d500d5ULL);
}

TEST(PortAddressing, SpecIpv6Examples) {
  // spec §5.5, nwid 8056c2e21c000001, address 36885e5e08.
  EXPECT_EQ(rfc4193_address(0x8056c2e21c000001ULL, 0x36885e5e08ULL).to_string(),
            "fd80:56c2:e21c:0:199:9336:885e:5e08/88");
  EXPECT_EQ(sixplane_address(0x8056c2e21c000001ULL, 0x36885e5e08ULL).to_string(),
            "fc9c:56c2:e336:885e:5e08::1/40");
}

TEST(PortNaming, TapNameOfTheTestnet) {
  EXPECT_EQ(tap_name(0xee420f0cda000001ULL), "zt4kma6dg3");
  // A collision bumps the 40-bit value by one: the last character moves on.
  EXPECT_EQ(tap_name(0xee420f0cda000001ULL, 1), "zt4kma6dg4");
  EXPECT_EQ(tap_name(0xee420f0cda000001ULL).size(), 10u);
}

TEST(PortNaming, StockVectors) {
  const std::string dir = vectors();
  if (dir.empty()) {
    if (ci()) FAIL() << "FLATNET_VECTORS missing under CI=true";
    GTEST_SKIP() << "stock vectors not found (set FLATNET_VECTORS)";
  }
  EXPECT_NE(slurp(dir + "/README-more-captures.txt").find("tap zt4kma6dg3"), std::string::npos);
  unsigned checked = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().filename().string().rfind("testnet-", 0) != 0) continue;
    for (const char* m : {"a", "b"}) {
      const std::string ln = e.path().string() + "/listnetworks-" + m + ".json";
      const std::string info = e.path().string() + "/info-" + m + ".json";
      if (!std::filesystem::exists(ln) || !std::filesystem::exists(info)) continue;
      const auto address = std::stoull(
          nlohmann::json::parse(slurp(info))["address"].get<std::string>(), nullptr, 16);
      for (const auto& n : nlohmann::json::parse(slurp(ln))) {
        const uint64_t nwid = std::stoull(n["nwid"].get<std::string>(), nullptr, 16);
        SCOPED_TRACE(ln);
        EXPECT_EQ(mac_string(member_mac(address, nwid)), n["mac"].get<std::string>());
        EXPECT_EQ(tap_name(nwid), n["portDeviceName"].get<std::string>());
        ++checked;
      }
    }
  }
  EXPECT_GE(checked, 2u);
}

TEST(PortNaming, DevicemapParsesAsStock) {
  const DeviceMap m = parse_devicemap(
      "ee420f0cda000001=zt0\r\n"
      "\n"
      "8056c2e21c000001==ztfoo=ignored\n"  // empty fields skipped, third ignored
      "broken\n"
      "ee420f0cda000001=zt1\n");  // a later line wins
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m.at("ee420f0cda000001"), "zt1");
  EXPECT_EQ(m.at("8056c2e21c000001"), "ztfoo");
  EXPECT_EQ(format_devicemap(m), "8056c2e21c000001=ztfoo\nee420f0cda000001=zt1\n");
  EXPECT_EQ(parse_devicemap(format_devicemap(m)), m);
}

TEST(PortNaming, ChooseHonoursDevicemapThenComputes) {
  const uint64_t nwid = 0xee420f0cda000001ULL;
  std::set<std::string> present;
  auto exists = [&](const std::string& n) { return present.count(n) > 0; };
  EXPECT_EQ(choose_tap_name(nwid, {}, exists), "zt4kma6dg3");
  DeviceMap map{{"ee420f0cda000001", "ztmine"}};
  EXPECT_EQ(choose_tap_name(nwid, map, exists), "ztmine");
  // The remembered name is taken by something else now: computed name.
  present.insert("ztmine");
  EXPECT_EQ(choose_tap_name(nwid, map, exists), "zt4kma6dg3");
  // Computed name taken too: +1.
  present.insert("zt4kma6dg3");
  EXPECT_EQ(choose_tap_name(nwid, map, exists), "zt4kma6dg4");
  // A name Linux cannot take is not honoured.
  DeviceMap bad{{"ee420f0cda000001", "a/b"}};
  EXPECT_EQ(choose_tap_name(nwid, bad, exists), "zt4kma6dg4");
  DeviceMap longname{{"ee420f0cda000001", "abcdefghijklmnop"}};
  EXPECT_EQ(choose_tap_name(nwid, longname, exists), "zt4kma6dg4");
}

// A network left and joined again at once: its old tap may still exist.
// Ours going away is no collision (the name stays), anyone else's is.
TEST(PortNaming, OurDepartingTapIsNoCollision) {
  const uint64_t nwid = 0xee420f0cda000001ULL;
  std::set<std::string> present{"zt4kma6dg3"};
  auto exists = [&](const std::string& n) { return present.count(n) > 0; };
  EXPECT_EQ(choose_tap_name(nwid, {}, exists), "zt4kma6dg4");  // stock's +1: not ours
  EXPECT_EQ(choose_tap_name(nwid, {}, exists, {"zt4kma6dg3"}), "zt4kma6dg3");
  // The same for a devicemap name, and for a bumped name we held before.
  DeviceMap map{{"ee420f0cda000001", "ztmine"}};
  present.insert("ztmine");
  EXPECT_EQ(choose_tap_name(nwid, map, exists, {"ztmine"}), "ztmine");
  present.insert("zt4kma6dg4");
  EXPECT_EQ(choose_tap_name(nwid, {}, exists, {"zt4kma6dg4"}), "zt4kma6dg4");
  // Another network's departing tap does not free ours.
  EXPECT_EQ(choose_tap_name(nwid, {}, exists, {"zt4kma6dg9"}), "zt4kma6dg5");
}

TEST(PortNaming, WaitDeviceGoneIsBounded) {
  int polls = 0;
  auto goes_after_three = [&](const std::string&) { return ++polls <= 3; };
  EXPECT_TRUE(wait_device_gone("zt4kma6dg3", std::chrono::seconds(10), goes_after_three));
  EXPECT_EQ(polls, 4);
  auto never_goes = [](const std::string&) { return true; };
  EXPECT_FALSE(wait_device_gone("zt4kma6dg3", std::chrono::milliseconds(20), never_goes));
}

TEST(PortNaming, DevicemapFileRoundTrip) {
  char tmpl[] = "/tmp/flatnet-port-home-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string home = tmpl;
  std::string err;
  auto none = read_devicemap(home, &err);
  ASSERT_TRUE(none.has_value()) << err;
  EXPECT_TRUE(none->empty());
  DeviceMap m{{nwid_hex(0xee420f0cda000001ULL), "zt4kma6dg4"}};
  ASSERT_TRUE(write_devicemap(home, m, &err)) << err;
  EXPECT_EQ(slurp(home + "/devicemap"), "ee420f0cda000001=zt4kma6dg4\n");
  auto back = read_devicemap(home, &err);
  ASSERT_TRUE(back.has_value()) << err;
  EXPECT_EQ(*back, m);
  std::filesystem::remove_all(home);
  EXPECT_FALSE(write_devicemap(home + "/missing-dir", m, &err));
  EXPECT_FALSE(err.empty());
}

TEST(PortNaming, ValidIfname) {
  EXPECT_TRUE(valid_ifname("zt4kma6dg3"));
  EXPECT_TRUE(valid_ifname("abcdefghijklmno"));
  EXPECT_FALSE(valid_ifname("abcdefghijklmnop"));
  EXPECT_FALSE(valid_ifname(""));
  EXPECT_FALSE(valid_ifname(".."));
  EXPECT_FALSE(valid_ifname("a b"));
  EXPECT_FALSE(valid_ifname("a:b"));
  EXPECT_FALSE(valid_ifname("zt%d"));
}

}  // namespace
}  // namespace flatnet::control::port
