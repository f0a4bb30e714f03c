// NetworkConfig <-> dictionary: a config using every key round-trips,
// stock's defaults and clamps, and every status path.
#include <gtest/gtest.h>

#include "dataplane/wire/network_config.hpp"
#include "tests/unit/wire/vl2_ids.hpp"

using namespace flatnet;
using namespace flatnet::wire;
using namespace flatnet::wire::testing;

namespace {

NetworkConfig full_config() {
  NetworkConfig c;
  c.network_id = test_nwid();
  c.timestamp = 1795571756645;
  c.credential_time_max_delta = kDefaultCredentialTimeMaxDelta;
  c.revision = 9;
  c.issued_to = member_id().address();
  c.remote_trace_target = other_id().address();
  c.remote_trace_level = 2;
  c.flags = kConfigFlagEnableBroadcast | kConfigFlagNdpEmulation;
  c.multicast_limit = 32;
  c.type = NetworkType::kPublic;
  c.name = "name with = and \\ and \n";
  c.mtu = 2800;
  auto com = CertificateOfMembership::issue(c.timestamp, c.credential_time_max_delta, c.network_id,
                                            member_id());
  com_sign(com, controller_id());
  c.com = com;
  for (uint32_t id : {2u, 1u}) {
    Capability cap;
    cap.network_id = c.network_id;
    cap.id = id;
    cap.rules = {Rule::action(RuleType::kActionAccept)};
    capability_sign(cap, controller_id(), member_id().address());
    c.capabilities.push_back(cap);
    Tag t;
    t.network_id = c.network_id;
    t.id = id;
    t.value = id * 10;
    tag_sign(t, controller_id());
    c.tags.push_back(t);
  }
  CertificateOfOwnership coo;
  coo.network_id = c.network_id;
  coo.id = 1;
  coo.add_ip(*InetAddress::from_string("10.99.100.12/0"));
  coo_sign(coo, controller_id());
  c.coos.push_back(coo);
  c.specialists = {kSpecialistActiveBridge | other_id().address()};
  c.routes.push_back({*InetAddress::from_string("10.99.100.0/24"), {}, 0, 0});
  c.routes.push_back({*InetAddress::from_string("0.0.0.0/0"), *InetAddress::from_string("10.99.100.1/0"), 1, 5});
  c.static_ips = {*InetAddress::from_string("10.99.100.12/24"), *InetAddress::from_string("fd99::12/88")};
  Rule tcp22;
  tcp22.t = uint8_t(RuleType::kMatchIpDestPortRange);
  tcp22.range = {22, 22};
  c.rules = {tcp22, Rule::action(RuleType::kActionDrop), Rule::action(RuleType::kActionAccept)};
  c.dns.domain = "zt.example";
  c.dns.servers = {*InetAddress::from_string("10.99.100.1/53")};
  return c;
}

// Sorted by id as stock does on decode.
NetworkConfig sorted(NetworkConfig c) {
  std::sort(c.capabilities.begin(), c.capabilities.end(), [](auto& a, auto& b) { return a.id < b.id; });
  std::sort(c.tags.begin(), c.tags.end(), [](auto& a, auto& b) { return a.id < b.id; });
  return c;
}

ConfigStatus from_text(const std::string& s, NetworkConfig& out) {
  return decode_network_config(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size()), out);
}

std::string min_text() { return "v=7\nnwid=ee420f0cda000001\nid=c989c90153"; }

}  // namespace

TEST(NetworkConfig, EveryKeyRoundTrips) {
  const NetworkConfig c = full_config();
  std::vector<uint8_t> text;
  ASSERT_EQ(encode_network_config(c, text), ConfigStatus::kOk);
  NetworkConfig back;
  ASSERT_EQ(decode_network_config(text, back), ConfigStatus::kOk);
  EXPECT_EQ(back, sorted(c));
  // Keys in stock's order.
  Dictionary d;
  ASSERT_EQ(network_config_to_dictionary(c, d), ConfigStatus::kOk);
  std::string keys;
  for (const auto& e : d.entries()) keys += e.key + ",";
  EXPECT_EQ(keys, "v,nwid,ts,ctmd,r,id,tt,tl,f,ml,t,n,mtu,C,CAP,TAG,COO,S,RT,I,R,DNS,ssov,ssoe,");
  EXPECT_TRUE(back.is_public());
  EXPECT_TRUE(back.broadcast_enabled());
  EXPECT_TRUE(back.ndp_emulation());
}

TEST(NetworkConfig, Sso) {
  NetworkConfig c = full_config();
  c.sso_enabled = true;
  c.authentication_url = "https://sso.example/a";
  c.authentication_expiry_time = -5;
  std::vector<uint8_t> text;
  ASSERT_EQ(encode_network_config(c, text), ConfigStatus::kOk);
  NetworkConfig back;
  ASSERT_EQ(decode_network_config(text, back), ConfigStatus::kOk);
  EXPECT_EQ(back, sorted(c));
  c.sso_version = 1;
  c.authentication_expiry_time = 0;
  c.authentication_url.clear();
  c.issuer_url = "https://issuer";
  c.central_endpoint_url = "https://central";
  c.sso_nonce = "n";
  c.sso_state = "s";
  c.sso_client_id = "cid";
  c.sso_provider = "default";
  text.clear();
  ASSERT_EQ(encode_network_config(c, text), ConfigStatus::kOk);
  ASSERT_EQ(decode_network_config(text, back), ConfigStatus::kOk);
  EXPECT_EQ(back, sorted(c));
}

TEST(NetworkConfig, DefaultsAndClamps) {
  NetworkConfig c;
  ASSERT_EQ(from_text(min_text(), c), ConfigStatus::kOk);
  EXPECT_EQ(c.mtu, kDefaultMtu);
  EXPECT_EQ(c.type, NetworkType::kPrivate);
  EXPECT_FALSE(c.com.has_value());
  EXPECT_TRUE(c.rules.empty());
  EXPECT_EQ(c.issued_to, 0xc989c90153ULL);
  ASSERT_EQ(from_text(min_text() + "\nmtu=10", c), ConfigStatus::kOk);
  EXPECT_EQ(c.mtu, kMinMtu);
  ASSERT_EQ(from_text(min_text() + "\nmtu=ffffff", c), ConfigStatus::kOk);
  EXPECT_EQ(c.mtu, kMaxMtu);
  // Names: at most 127 bytes, cut at a NUL (stock keeps a C string).
  ASSERT_EQ(from_text(min_text() + "\nn=" + std::string(200, 'x'), c), ConfigStatus::kOk);
  EXPECT_EQ(c.name.size(), kMaxNetworkNameLength);
  ASSERT_EQ(from_text(min_text() + "\nn=ab\\0cd", c), ConfigStatus::kOk);
  EXPECT_EQ(c.name, "ab");
  // More than four COOs: parsed, the first four kept.
  NetworkConfig five = full_config();
  while (five.coos.size() < 5) five.coos.push_back(five.coos[0]);
  Dictionary d;
  EXPECT_EQ(network_config_to_dictionary(five, d), ConfigStatus::kTooMany);
  five.coos.resize(1);
  ASSERT_EQ(network_config_to_dictionary(five, d), ConfigStatus::kOk);
  std::vector<uint8_t> coo;
  for (int i = 0; i < 5; ++i) {
    Writer w(coo);
    write_coo(w, five.coos[0]);
  }
  Dictionary d2;
  for (const auto& e : d.entries()) d2.add(e.key, e.key == "COO" ? std::string(coo.begin(), coo.end()) : e.value);
  NetworkConfig back;
  ASSERT_EQ(network_config_from_dictionary(d2, back), ConfigStatus::kOk);
  EXPECT_EQ(back.coos.size(), kNetworkMaxCoos);
}

TEST(NetworkConfig, StatusPaths) {
  NetworkConfig c;
  EXPECT_EQ(from_text("v=7\nid=c989c90153", c), ConfigStatus::kNoNetworkId);
  EXPECT_EQ(from_text("v=7\nnwid=1", c), ConfigStatus::kNoIssuedTo);
  EXPECT_EQ(from_text("v=7\nnwid=1\nid=ff00000000000000", c), ConfigStatus::kNoIssuedTo);
  EXPECT_EQ(from_text("v=5\nnwid=1\nid=1", c), ConfigStatus::kOldFormat);
  EXPECT_EQ(from_text("nwid=1\nid=1", c), ConfigStatus::kOldFormat);
  const std::string m = min_text() + "\n";
  EXPECT_EQ(from_text(m + "C=\\2", c), ConfigStatus::kBadCom);
  EXPECT_EQ(from_text(m + "CAP=abc", c), ConfigStatus::kBadCapability);
  EXPECT_EQ(from_text(m + "TAG=abc", c), ConfigStatus::kBadTag);
  EXPECT_EQ(from_text(m + "COO=abc", c), ConfigStatus::kBadCoo);
  EXPECT_EQ(from_text(m + "S=abc", c), ConfigStatus::kBadSpecialists);
  EXPECT_EQ(from_text(m + "RT=\x04\\n", c), ConfigStatus::kBadRoutes);
  EXPECT_EQ(from_text(m + "RT=\x09", c), ConfigStatus::kBadRoutes);
  EXPECT_EQ(from_text(m + "I=\x04\\nab", c), ConfigStatus::kBadStaticIps);
  EXPECT_EQ(from_text(m + "R=%\x01\x08", c), ConfigStatus::kBadRules);
  EXPECT_EQ(from_text(m + "DNS=abc", c), ConfigStatus::kBadDns);
  EXPECT_EQ(from_text(m + std::string("x=\0", 3), c), ConfigStatus::kBadDictionary);
  std::string big(kNetworkConfigDictCapacity, 'x');
  EXPECT_EQ(from_text(big, c), ConfigStatus::kTooLong);

  // Lists over their limits, decoding and encoding.
  auto too_many = [&](const char* key, size_t n, std::span<const uint8_t> one) {
    std::string v;
    for (size_t i = 0; i < n; ++i) v.append(one.begin(), one.end());
    Dictionary d;
    ASSERT_EQ(parse_dictionary(std::span<const uint8_t>(
                  reinterpret_cast<const uint8_t*>(min_text().data()), min_text().size()), d),
              DictStatus::kOk);
    d.add(key, v);
    EXPECT_EQ(network_config_from_dictionary(d, c), ConfigStatus::kTooMany) << key;
  };
  const uint8_t ip[] = {4, 10, 0, 0, 1, 0, 24};
  too_many("I", kNetworkMaxStaticIps + 1, ip);
  const uint8_t rt[] = {4, 10, 0, 0, 0, 0, 24, 0, 0, 0, 0, 0};
  too_many("RT", kNetworkMaxRoutes + 1, rt);
  const uint8_t sp[8] = {0, 0, 2, 1, 2, 3, 4, 5};
  too_many("S", kNetworkMaxSpecialists + 1, sp);
  const uint8_t rule[] = {1, 0};
  too_many("R", kNetworkMaxRules + 1, rule);
  const NetworkConfig full = full_config();
  std::vector<uint8_t> tag;
  {
    Writer w(tag);
    write_tag(w, full.tags[0]);
  }
  too_many("TAG", kNetworkMaxTags + 1, tag);
  std::vector<uint8_t> cap;
  {
    Writer w(cap);
    write_capability(w, full.capabilities[0]);
  }
  too_many("CAP", kNetworkMaxCapabilities + 1, cap);

  Dictionary d;
  NetworkConfig lim = full;
  lim.static_ips.resize(kNetworkMaxStaticIps + 1);
  EXPECT_EQ(network_config_to_dictionary(lim, d), ConfigStatus::kTooMany);
  lim = full;
  lim.dns.servers.resize(kMaxDnsServers + 1);
  EXPECT_EQ(network_config_to_dictionary(lim, d), ConfigStatus::kTooMany);
  lim = full;
  lim.com->qualifiers.resize(kComMaxQualifiers + 1);
  EXPECT_EQ(network_config_to_dictionary(lim, d), ConfigStatus::kBadCom);
  lim = full;
  lim.capabilities[0].max_custody = 0;
  EXPECT_EQ(network_config_to_dictionary(lim, d), ConfigStatus::kBadCapability);
  lim = full;
  lim.coos[0].things.resize(kCooMaxThings + 1);
  EXPECT_EQ(network_config_to_dictionary(lim, d), ConfigStatus::kBadCoo);
  for (int s = 0; s <= int(ConfigStatus::kBadDictionary); ++s)
    EXPECT_STRNE(to_string(ConfigStatus(s)), "?");
}
