// Config parsing: good files parse; each bad value gives one error that
// names its key. EAL arguments get a file prefix, a memory cap and ports.
#include <gtest/gtest.h>

#include <random>

#include "dataplane/runtime/config.hpp"
#include "dataplane/runtime/eal_args.hpp"
#include "dataplane/runtime/options.hpp"

namespace flatnet::runtime {
namespace {

using nlohmann::json;

json good() {
  return json::parse(R"({
    "instance": "t1",
    "ports": [{"devargs": "net_af_packet0,iface=veth0", "mtu": 1500}],
    "ipv4": "10.0.0.1/24", "gateway4": "10.0.0.254",
    "ipv6": "fd00::1/64",
    "udp_port": 9993, "address": "89e92ceee5", "relay": true,
    "sibling_root": "10.0.0.9:9993",
    "workers": 1, "busy_poll": false, "idle": {"pause_after": 8, "sleep_after": 100, "sleep_max_us": 500},
    "neighbors": [{"ip": "10.0.0.254", "mac": "02:00:00:00:00:fe"}],
    "eal": ["--log-level=*:warning"]
  })");
}

TEST(Config, GoodFileParses) {
  std::string err;
  auto c = parse_config(good(), &err);
  ASSERT_TRUE(c) << err;
  EXPECT_EQ(c->instance, "t1");
  ASSERT_EQ(c->ports.size(), 1u);
  EXPECT_EQ(c->prefix4, 24u);
  EXPECT_EQ(fastpath::to_string(c->gw4), "10.0.0.254");
  EXPECT_EQ(c->prefix6, 64u);
  EXPECT_EQ(c->address, 0x89e92ceee5u);
  ASSERT_TRUE(c->sibling);
  EXPECT_EQ(c->sibling->port, 9993);
  EXPECT_EQ(c->sibling->family, wire::InetAddress::Family::kV4);
  EXPECT_EQ(c->idle_sleep_max_us, 500u);
  ASSERT_EQ(c->neighbors.size(), 1u);
  EXPECT_EQ(fastpath::to_string(c->neighbors[0].mac), "02:00:00:00:00:fe");
}

TEST(Config, LanPortBridgesOneNetwork) {
  json j = good();
  j["ports"] = json::array({json{{"devargs", "net_af_packet0,iface=u"}},
                            json{{"devargs", "net_af_packet1,iface=l"}, {"role", "lan"}, {"network", "8056c2e21c000001"}}});
  j["vl2_mac_age_s"] = 60;
  std::string err;
  auto c = parse_config(j, &err);
  ASSERT_TRUE(c) << err;
  ASSERT_NE(c->port("lan"), nullptr);
  EXPECT_EQ(c->port("lan")->network, 0x8056c2e21c000001ull);
  EXPECT_EQ(c->port("underlay")->devargs, "net_af_packet0,iface=u");
  EXPECT_EQ(c->vl2_mac_age_s, 60u);
  // One network per 802.1Q tag, with or without an untagged one.
  j["ports"][1] = json{{"devargs", "net_af_packet1,iface=l"}, {"role", "lan"},
                       {"vlans", json{{"10", "8056c2e21c000002"}, {"20", "8056c2e21c000003"}}}};
  c = parse_config(j, &err);
  ASSERT_TRUE(c) << err;
  EXPECT_EQ(c->port("lan")->network, 0u);
  ASSERT_EQ(c->port("lan")->vlans.size(), 2u);
  EXPECT_EQ(c->port("lan")->vlans[0], (std::pair<uint16_t, uint64_t>{10, 0x8056c2e21c000002ull}));
}

TEST(Config, HostPortOnTheLanPortsNetwork) {
  json j = good();
  j["ports"] = json::array({json{{"devargs", "net_af_packet0,iface=u"}},
                            json{{"devargs", "net_tap0,iface=fngw0,mac=fixed"}, {"role", "host"}},
                            json{{"devargs", "net_af_packet1,iface=l"}, {"role", "lan"}, {"network", "8056c2e21c000001"}}});
  std::string err;
  auto c = parse_config(j, &err);
  ASSERT_TRUE(c) << err;
  ASSERT_NE(c->port("host"), nullptr);
  EXPECT_EQ(c->port("host")->iface, "fngw0");
  EXPECT_EQ(c->port("host")->network, 0u);
}

struct BadCase {
  const char* key;
  json value;  // null = remove the key
  const char* must_name;
};

TEST(Config, EachBadValueNamesItsKey) {
  const BadCase cases[] = {
      {"ports", nullptr, "'ports'"},
      {"ports", json::array(), "'ports'"},
      {"ports", json::array({json{{"devargs", "x"}, {"role", "bridge"}}}), "'ports[0].role'"},
      {"ports", json::array({json{{"devargs", "x"}, {"role", "host"}}}), "'ports[0].devargs'"},
      {"ports", json::array({json{{"devargs", "x"}}, json{{"devargs", "net_tap0,iface=h"}, {"role", "host"}}}),
       "'ports'"},
      {"ports", json::array({json{{"devargs", "x"}, {"role", "lan"}}}), "'ports[0].network'"},
      {"ports", json::array({json{{"devargs", "x"}, {"role", "lan"}, {"network", "8056c2e21c000001"}}}), "'ports'"},
      {"ports", json::array({json{{"devargs", "x"}}, json{{"devargs", "y"}, {"role", "lan"}, {"network", "8056c2e2"}}}),
       "'ports[1].network'"},
      {"ports", json::array({json{{"devargs", "x"}, {"network", "8056c2e21c000001"}}}), "'ports[0].network'"},
      {"ports", json::array({json{{"devargs", "x"}}, json{{"devargs", "y"}}}), "'ports[1].role'"},
      {"vl2_mac_capacity", 0, "'vl2_mac_capacity'"},
      {"ports", json::array({json{{"devargs", "x"}}, json{{"devargs", "y"}, {"role", "lan"}, {"vlans", json{{"4095", "8056c2e21c000001"}}}}}),
       "'ports[1].vlans.4095'"},
      {"ports", json::array({json{{"devargs", "x"}}, json{{"devargs", "y"}, {"role", "lan"}, {"network", "8056c2e21c000001"},
                                                         {"vlans", json{{"7", "8056c2e21c000001"}}}}}),
       "'ports[1].vlans.7'"},
      {"vl2_lan_multicast_pps", -1, "'vl2_lan_multicast_pps'"},
      {"ports", json::array({json{{"devargs", "x"}, {"mtu", 100}}}), "'ports[0].mtu'"},
      {"ipv4", "10.0.0.300/24", "'ipv4'"},
      {"ipv4", "10.0.0.1/33", "'ipv4'"},
      {"ipv4", "fd00::1", "'ipv4'"},
      {"ipv6", "10.0.0.1", "'ipv6'"},
      {"gateway4", "nope", "'gateway4'"},
      {"udp_port", 0, "'udp_port'"},
      {"udp_port", 70000, "'udp_port'"},
      {"udp_port", "9993", "'udp_port'"},
      {"allow_secondary_port", "yes", "'allow_secondary_port'"},
      {"allow_secondary_port", 1, "'allow_secondary_port'"},
      {"secondary_port", 9993, "'secondary_port': must differ from udp_port (9993)"},
      {"secondary_port", 65536, "'secondary_port'"},
      {"secondary_port", -1, "'secondary_port'"},
      {"secondary_port", "29993", "'secondary_port'"},
      {"address", "12345", "'address'"},
      {"address", "ff00000001", "'address'"},
      {"relay", "yes", "'relay'"},
      {"sibling_root", "10.0.0.9", "'sibling_root'"},
      {"sibling_root", "10.0.0.9:0", "'sibling_root'"},
      {"workers", -1, "'workers'"},
      {"workers", 99, "'workers'"},
      {"idle", json{{"pause_afterr", 1}}, "'idle.pause_afterr'"},
      {"neighbors", json::array({json{{"ip", "10.0.0.1"}, {"mac", "zz"}}}), "'neighbors[0].mac'"},
      {"instance", "a/b", "'instance'"},
      {"eal", "--no-huge", "'eal'"},
      {"colour", "blue", "'colour'"},
      // The attack limits: negative, fractional, absurd, zero bursts, bad sizes.
      {"punt_source_pps", -1, "'punt_source_pps'"},
      {"punt_source_pps", 2.5, "'punt_source_pps'"},
      {"punt_source_pps", 5000000, "'punt_source_pps'"},
      {"punt_source_pps", 50000, "'punt_source_pps': must not exceed punt_global_pps"},
      {"punt_source_burst", 0, "'punt_source_burst'"},
      {"punt_source_slots", 1000, "'punt_source_slots': must be a power of two"},
      {"punt_source_slots", 32, "'punt_source_slots'"},
      {"punt_global_pps", "lots", "'punt_global_pps'"},
      {"punt_global_pps", 1000000000, "'punt_global_pps'"},
      {"punt_global_burst", -5, "'punt_global_burst'"},
      {"punt_unknown_share", 0, "'punt_unknown_share'"},
      {"punt_unknown_share", 101, "'punt_unknown_share'"},
      {"relay_limit_pps", -100, "'relay_limit_pps'"},
      {"relay_limit_pps", 1e12, "'relay_limit_pps'"},
      {"relay_limit_burst", 0, "'relay_limit_burst'"},
      {"relay_limit_slots", 1u << 23, "'relay_limit_slots'"},
  };
  for (const auto& c : cases) {
    json j = good();
    if (c.value.is_null())
      j.erase(c.key);
    else
      j[c.key] = c.value;
    std::string err;
    auto cfg = parse_config(j, &err);
    EXPECT_FALSE(cfg) << c.key;
    EXPECT_NE(err.find(c.must_name), std::string::npos) << c.key << ": " << err;
  }
}

TEST(Config, NoAddressAtAllIsAnError) {
  json j = good();
  j.erase("ipv4");
  j.erase("ipv6");
  j.erase("gateway4");
  std::string err;
  EXPECT_FALSE(parse_config(j, &err));
  EXPECT_NE(err.find("'ipv4'"), std::string::npos) << err;
}

TEST(Config, OverridesReplaceKeys) {
  json o = {{"workers", 0}, {"relay", false}};
  std::string err;
  auto c = parse_config(merge_config(good(), o), &err);
  ASSERT_TRUE(c) << err;
  EXPECT_EQ(c->workers, 0u);
  EXPECT_FALSE(c->relay);
}

TEST(Config, SecondaryPortDefaultsFixedAndRandom) {
  std::string err;
  auto d = parse_config(good(), &err);
  ASSERT_TRUE(d) << err;
  EXPECT_TRUE(d->allow_secondary_port) << "spec 11.3: allowSecondaryPort defaults to true";
  EXPECT_EQ(d->secondary_port, 0) << "random unless fixed";
  EXPECT_EQ(d->udp_port, 9993);

  json j = good();
  j["secondary_port"] = 29993;
  auto f = parse_config(j, &err);
  ASSERT_TRUE(f) << err;
  EXPECT_EQ(f->secondary_port, 29993);
  EXPECT_EQ(choose_secondary_port(*f, 12345), 29993) << "a fixed port ignores the random number";
  j["secondary_port"] = 65535;
  ASSERT_TRUE(parse_config(j, &err)) << err;
  j["secondary_port"] = 1;
  ASSERT_TRUE(parse_config(j, &err)) << err;

  // Off: the port is not used, so 0 and even the primary's number are fine.
  j["allow_secondary_port"] = false;
  j["secondary_port"] = 0;
  auto off = parse_config(j, &err);
  ASSERT_TRUE(off) << err;
  EXPECT_FALSE(off->allow_secondary_port);
  EXPECT_EQ(choose_secondary_port(*off, 7), 0);
  j["secondary_port"] = 9993;
  ASSERT_TRUE(parse_config(j, &err)) << err;

  // The primary moved onto a fixed secondary: the error names secondary_port.
  j = good();
  j["secondary_port"] = 20000;
  j["udp_port"] = 20000;
  EXPECT_FALSE(parse_config(j, &err));
  EXPECT_EQ(err, "config key 'secondary_port': must differ from udp_port (20000)");

  // Random: 20000 + (rand32 mod 45500), never the primary.
  EXPECT_EQ(choose_secondary_port(*d, 0), 20000);
  EXPECT_EQ(choose_secondary_port(*d, 45499), 65499);
  EXPECT_EQ(choose_secondary_port(*d, 45500), 20000);
  EXPECT_EQ(choose_secondary_port(*d, 0xffffffffu), 20000 + 0xffffffffu % 45500);
  Config c = *d;
  c.udp_port = 20000;
  EXPECT_EQ(choose_secondary_port(c, 0), 20001);
  c.udp_port = 65499;
  EXPECT_EQ(choose_secondary_port(c, 45499), 20000) << "wraps inside the range";
  std::mt19937 rng(7);
  for (uint16_t primary : {uint16_t(9993), uint16_t(20000), uint16_t(42000), uint16_t(65499)}) {
    c.udp_port = primary;
    for (int i = 0; i < 20000; ++i) {
      uint32_t r = uint32_t(rng());
      if (i < 4 && primary >= 20000) r = uint32_t(primary - 20000) + uint32_t(i) * 45500;  // the primary
      uint16_t p = choose_secondary_port(c, r);
      ASSERT_GE(p, 20000) << r;
      ASSERT_LE(p, 65499) << r;
      ASSERT_NE(p, primary) << r;
    }
  }
}

TEST(Cli, SecondaryPortFlags) {
  const char* argv[] = {"flatnet-dataplane", "--port", "net_null0", "--ipv4", "10.1.0.1/16",
                        "--secondary-port", "30000", "--allow-secondary-port", "off"};
  int code = 0;
  auto cli = parse_cli(int(std::size(argv)), const_cast<char**>(argv), &code);
  ASSERT_TRUE(cli);
  EXPECT_EQ(cli->overrides["secondary_port"], 30000);
  EXPECT_EQ(cli->overrides["allow_secondary_port"], false);
  std::string err;
  auto c = parse_config(merge_config(good(), cli->overrides), &err);
  ASSERT_TRUE(c) << err;
  EXPECT_FALSE(c->allow_secondary_port);
  EXPECT_EQ(c->secondary_port, 30000);

  const char* none[] = {"flatnet-dataplane", "--port", "net_null0", "--ipv4", "10.1.0.1/16"};
  cli = parse_cli(int(std::size(none)), const_cast<char**>(none), &code);
  ASSERT_TRUE(cli);
  EXPECT_FALSE(cli->overrides.contains("secondary_port"));
  EXPECT_FALSE(cli->overrides.contains("allow_secondary_port"));

  // The command line's primary against the file's secondary.
  const char* clash[] = {"flatnet-dataplane", "--udp-port", "30000"};
  cli = parse_cli(int(std::size(clash)), const_cast<char**>(clash), &code);
  ASSERT_TRUE(cli);
  json j = good();
  j["secondary_port"] = 30000;
  EXPECT_FALSE(parse_config(merge_config(j, cli->overrides), &err));
  EXPECT_EQ(err, "config key 'secondary_port': must differ from udp_port (30000)");

  const char* neg[] = {"flatnet-dataplane", "--secondary-port", "-5"};
  cli = parse_cli(int(std::size(neg)), const_cast<char**>(neg), &code);
  ASSERT_TRUE(cli);
  EXPECT_FALSE(parse_config(merge_config(good(), cli->overrides), &err));
  EXPECT_EQ(err, "config key 'secondary_port': must be a non-negative integer");

  const char* bad[] = {"flatnet-dataplane", "--allow-secondary-port", "maybe"};
  cli = parse_cli(int(std::size(bad)), const_cast<char**>(bad), &code);
  EXPECT_FALSE(cli);
  EXPECT_NE(code, 0);
}

TEST(Config, AttackLimitsDefaultAndParse) {
  std::string err;
  auto d = parse_config(good(), &err);
  ASSERT_TRUE(d) << err;
  EXPECT_EQ(d->police.punt_source_pps, 100u);
  EXPECT_EQ(d->police.punt_source_burst, 200u);
  EXPECT_EQ(d->police.punt_source_slots, 4096u);
  EXPECT_EQ(d->police.punt_global_pps, 20000u);
  EXPECT_EQ(d->police.punt_global_burst, 2000u);
  EXPECT_EQ(d->police.punt_unknown_share, 50u);
  EXPECT_EQ(d->police.relay_limit_pps, 0u) << "the relay limit is off by default";
  EXPECT_EQ(fastpath::police_memory(d->police), 4096u * 8);
  json j = good();
  j["punt_source_pps"] = 0;  // off
  j["punt_global_pps"] = 50000;
  j["punt_global_burst"] = 5000;
  j["punt_unknown_share"] = 100;
  j["relay_limit_pps"] = 20000;
  j["relay_limit_burst"] = 400;
  j["relay_limit_slots"] = 65536;
  auto c = parse_config(j, &err);
  ASSERT_TRUE(c) << err;
  EXPECT_EQ(c->police.punt_source_pps, 0u);
  EXPECT_EQ(c->police.punt_global_burst, 5000u);
  EXPECT_EQ(c->police.punt_unknown_share, 100u);
  EXPECT_EQ(c->police.relay_limit_pps, 20000u);
  EXPECT_EQ(c->police.relay_limit_burst, 400u);
  EXPECT_EQ(fastpath::police_memory(c->police), 65536u * 8);
}

TEST(Cli, AttackLimitFlagsOverrideAndNegativesNameTheKey) {
  const char* argv[] = {"flatnet-dataplane", "--port", "net_null0", "--ipv4", "10.1.0.1/16",
                        "--punt-source-pps", "10", "--punt-source-burst", "20", "--punt-global-pps", "1000",
                        "--punt-global-burst", "100", "--punt-unknown-share", "25", "--relay-limit-pps", "0",
                        "--relay-limit-burst", "64"};
  int code = 0;
  auto cli = parse_cli(int(std::size(argv)), const_cast<char**>(argv), &code);
  ASSERT_TRUE(cli);
  std::string err;
  auto c = parse_config(merge_config(good(), cli->overrides), &err);
  ASSERT_TRUE(c) << err;
  EXPECT_EQ(c->police.punt_source_pps, 10u);
  EXPECT_EQ(c->police.punt_source_burst, 20u);
  EXPECT_EQ(c->police.punt_global_pps, 1000u);
  EXPECT_EQ(c->police.punt_global_burst, 100u);
  EXPECT_EQ(c->police.punt_unknown_share, 25u);
  EXPECT_EQ(c->police.relay_limit_pps, 0u);
  EXPECT_EQ(c->police.relay_limit_burst, 64u);
  EXPECT_FALSE(cli->overrides.contains("punt_source_slots"));

  const char* neg[] = {"flatnet-dataplane", "--port", "net_null0", "--ipv4", "10.1.0.1/16",
                       "--relay-limit-pps", "-1"};
  cli = parse_cli(int(std::size(neg)), const_cast<char**>(neg), &code);
  ASSERT_TRUE(cli);
  EXPECT_FALSE(parse_config(cli->overrides, &err));
  EXPECT_EQ(err, "config key 'relay_limit_pps': must be a non-negative integer");
}

TEST(Cli, OptionsBecomeOverridesAndEalArgsPassThrough) {
  const char* argv[] = {"flatnet-dataplane", "--port", "net_null0", "--ipv4", "10.1.0.1/16", "--relay",
                        "off", "--neighbor", "10.1.0.2=02:00:00:00:00:02", "--", "--log-level=*:debug", "-m", "64"};
  int code = 0;
  auto cli = parse_cli(int(std::size(argv)), const_cast<char**>(argv), &code);
  ASSERT_TRUE(cli);
  EXPECT_EQ(cli->overrides["ports"][0], "net_null0");
  EXPECT_EQ(cli->overrides["relay"], false);
  EXPECT_EQ(cli->overrides["neighbors"][0]["mac"], "02:00:00:00:00:02");
  ASSERT_EQ(cli->eal.size(), 3u);
  EXPECT_EQ(cli->eal[1], "-m");
  std::string err;
  EXPECT_TRUE(parse_config(cli->overrides, &err)) << err;
}

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

TEST(EalArgs, DefaultsFillWhatTheUserLeftOut) {
  std::string err;
  auto c = parse_config(good(), &err);
  ASSERT_TRUE(c) << err;
  HostFacts host{2, 0, false};  // two CPUs, no hugepages
  auto a = build_eal_args(*c, {}, host);
  EXPECT_TRUE(has(a, "--file-prefix=flatnet-t1"));
  EXPECT_TRUE(has(a, "-m"));
  EXPECT_TRUE(has(a, "256"));
  EXPECT_TRUE(has(a, "--no-huge"));
  EXPECT_TRUE(has(a, "--vdev=net_af_packet0,iface=veth0"));
  EXPECT_TRUE(has(a, "-l"));
  EXPECT_TRUE(has(a, "0-1"));
  EXPECT_TRUE(has(a, "--no-pci"));
  EXPECT_TRUE(has(a, "--log-level=*:warning"));  // from the config's eal list
}

TEST(EalArgs, UserChoicesWin) {
  std::string err;
  auto c = parse_config(good(), &err);
  ASSERT_TRUE(c) << err;
  HostFacts host{2, 1024, true};  // hugepages available and mounted
  auto a = build_eal_args(*c, {"--file-prefix=mine", "-m", "128", "-l", "1"}, host);
  EXPECT_FALSE(has(a, "--in-memory"));
  EXPECT_FALSE(has(a, "--file-prefix=flatnet-t1"));
  EXPECT_FALSE(has(a, "--no-huge"));
  EXPECT_FALSE(has(a, "256"));
  EXPECT_FALSE(has(a, "0-1"));
  EXPECT_TRUE(has(a, "--file-prefix=mine"));
  EXPECT_TRUE(has(a, "--huge-unlink")) << "page files never outlive the process";
}

TEST(EalArgs, HugepagesWithoutMountUseInMemory) {
  std::string err;
  auto c = parse_config(good(), &err);
  ASSERT_TRUE(c) << err;
  auto a = build_eal_args(*c, {}, HostFacts{2, 1024, false});
  EXPECT_TRUE(has(a, "--in-memory"));
  EXPECT_FALSE(has(a, "--no-huge"));
  auto b = build_eal_args(*c, {"--in-memory"}, HostFacts{2, 1024, false});
  EXPECT_EQ(std::count(b.begin(), b.end(), "--in-memory"), 1);
  auto d = build_eal_args(*c, {"--no-huge"}, HostFacts{2, 1024, false});
  EXPECT_FALSE(has(d, "--in-memory"));
}

TEST(EalArgs, MoreLcoresThanCpusAreMapped) {
  std::string err;
  json j = good();
  j["workers"] = 3;
  auto c = parse_config(j, &err);
  ASSERT_TRUE(c) << err;
  auto a = build_eal_args(*c, {}, HostFacts{2, 0, false});
  EXPECT_TRUE(has(a, "--lcores=(0-3)@(0-1)"));
}

TEST(EalArgs, PortNames) {
  EXPECT_EQ(port_name("net_af_packet0,iface=veth0,qpairs=2"), "net_af_packet0");
  EXPECT_EQ(port_name("0000:00:08.0"), "0000:00:08.0");
}

}  // namespace
}  // namespace flatnet::runtime
