// networks.d as stock keeps it (control/service/network_files.*): the
// .local.conf lines stock writes and reads (allowManaged as a flag or a
// whitelist), the "\n" placeholder .conf of a joined network, and which
// files make a network joined at start.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "control/service/network_files.hpp"

namespace flatnet::control::service {
namespace {

TEST(NetworkFiles, LocalConfAsStockWritesIt) {
  vl2::LocalSettings s;
  EXPECT_EQ(format_network_local_conf(s),
            "allowManaged=1\nallowGlobal=0\nallowDefault=0\nallowDNS=0\n");
  s.allow_global = s.allow_dns = true;
  s.allow_managed = false;
  const NetworkLocalConf back = parse_network_local_conf(format_network_local_conf(s));
  EXPECT_EQ(back.settings, s);
  EXPECT_TRUE(back.allow_managed_whitelist.empty());
}

TEST(NetworkFiles, LocalConfStockReading) {
  // Missing keys keep stock's defaults; t/T/1 are true; a long allowManaged
  // is a whitelist of prefixes (allowManaged on).
  NetworkLocalConf c = parse_network_local_conf("allowGlobal=true\r\nallowDefault=T\n");
  EXPECT_TRUE(c.settings.allow_managed);
  EXPECT_TRUE(c.settings.allow_global);
  EXPECT_TRUE(c.settings.allow_default);
  EXPECT_FALSE(c.settings.allow_dns);
  c = parse_network_local_conf("allowManaged=0\n");
  EXPECT_FALSE(c.settings.allow_managed);
  c = parse_network_local_conf("allowManaged=10.1.0.0/16,fd00::/8,garbage\nallowDNS=1\n");
  EXPECT_TRUE(c.settings.allow_managed);
  EXPECT_TRUE(c.settings.allow_dns);
  ASSERT_EQ(c.allow_managed_whitelist.size(), 2u);
  EXPECT_EQ(c.allow_managed_whitelist[0].to_string(), "10.1.0.0/16");
  // flatnet's own key (a gateway's loop guard, docs/gateway.md "Loops"):
  // on unless "loopGuard=0", written only when off.
  EXPECT_TRUE(c.settings.loop_guard);
  c = parse_network_local_conf("allowManaged=1\nloopGuard=0\n");
  EXPECT_FALSE(c.settings.loop_guard);
  EXPECT_EQ(format_network_local_conf(c.settings),
            "allowManaged=1\nallowGlobal=0\nallowDefault=0\nallowDNS=0\nloopGuard=0\n");
  c = parse_network_local_conf(std::string("\0\0=\n=1\nnoequals\n", 16));
  EXPECT_TRUE(c.settings.allow_managed);
}

TEST(NetworkFiles, JoinedNetworksAndPlaceholder) {
  const std::string home = testing::TempDir() + "fn_netfiles_home";
  std::filesystem::remove_all(home);
  std::string err;
  ASSERT_TRUE(write_network_conf(home, 0x8056c2e21c000001ULL, {}, &err)) << err;
  ASSERT_TRUE(write_network_local_conf(home, 0x8056c2e21c000001ULL, {}, &err)) << err;
  const std::vector<uint8_t> cfg = {'a', '=', '1', '\n'};
  ASSERT_TRUE(write_network_conf(home, 0xff0a000000000001ULL, cfg, &err)) << err;
  // Not networks: other names in networks.d.
  std::ofstream(home + "/networks.d/notanetwork.conf") << "x";
  std::ofstream(home + "/networks.d/0000000000000000.conf") << "x";
  EXPECT_EQ(joined_networks(home),
            (std::vector<uint64_t>{0x8056c2e21c000001ULL, 0xff0a000000000001ULL}));
  std::ifstream f(network_conf_path(home, 0x8056c2e21c000001ULL));
  std::string text((std::istreambuf_iterator<char>(f)), {});
  EXPECT_EQ(text, "\n");  // stock's placeholder for a network without a config yet
  EXPECT_TRUE(read_network_conf(home, 0x8056c2e21c000001ULL).empty());
  EXPECT_EQ(read_network_conf(home, 0xff0a000000000001ULL), cfg);
  remove_network_files(home, 0x8056c2e21c000001ULL);
  EXPECT_EQ(joined_networks(home), (std::vector<uint64_t>{0xff0a000000000001ULL}));
  EXPECT_FALSE(std::filesystem::exists(network_local_conf_path(home, 0x8056c2e21c000001ULL)));
  std::filesystem::remove_all(home);
}

}  // namespace
}  // namespace flatnet::control::service
