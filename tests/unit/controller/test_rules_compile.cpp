// Stock's JSON rules compiled as stock's _parseRule reads them: field
// coercions, defaults (port range end = start, ICMP code null = any),
// masks clamped, unknown types and INTEGER_RANGE skipped.
#include <gtest/gtest.h>

#include "control/controller/rules_compile.hpp"

namespace flatnet::control::controller {
namespace {

using wire::RuleType;

wire::Rule one(const char* json) {
  wire::Rule r;
  EXPECT_TRUE(compile_rule(nlohmann::json::parse(json), r)) << json;
  return r;
}

TEST(ControllerRulesCompile, ActionsAndFlags) {
  EXPECT_EQ(one(R"({"type":"ACTION_ACCEPT"})").t, uint8_t(RuleType::kActionAccept));
  EXPECT_EQ(one(R"({"type":"ACTION_DROP","not":true,"or":true})").t,
            uint8_t(wire::kRuleNot | wire::kRuleOr | uint8_t(RuleType::kActionDrop)));
  EXPECT_EQ(one(R"({"type":"ACTION_BREAK","not":"true"})").t,
            uint8_t(wire::kRuleNot | uint8_t(RuleType::kActionBreak)));  // stock's string bool
  const wire::Rule tee = one(R"({"type":"ACTION_TEE","address":"deadbeef01","flags":3,"length":64})");
  EXPECT_EQ(tee.address, 0xdeadbeef01ULL);
  EXPECT_EQ(tee.fwd_flags, 3u);
  EXPECT_EQ(tee.fwd_length, 64u);
  const wire::Rule redirect = one(R"({"type":"ACTION_REDIRECT","address":"ffdeadbeef01","length":9})");
  EXPECT_EQ(redirect.address, 0xdeadbeef01ULL);  // 40 bits
  EXPECT_EQ(redirect.fwd_length, 0u);            // REDIRECT has no length
}

TEST(ControllerRulesCompile, Matches) {
  EXPECT_EQ(one(R"({"type":"MATCH_SOURCE_ZEROTIER_ADDRESS","zt":"0123456789"})").address,
            0x0123456789ULL);
  const auto mac = one(R"({"type":"MATCH_MAC_DEST","mac":"02:ee:42-d5:00:d5"})").mac;
  EXPECT_EQ(mac, (std::array<uint8_t, 6>{0x02, 0xee, 0x42, 0xd5, 0x00, 0xd5}));
  const wire::Rule v4 = one(R"({"type":"MATCH_IPV4_SOURCE","ip":"10.1.2.0/24"})");
  EXPECT_EQ(v4.ip[0], 10);
  EXPECT_EQ(v4.ip[2], 2);
  EXPECT_EQ(v4.ip_mask, 24);
  EXPECT_EQ(one(R"({"type":"MATCH_IPV4_DEST","ip":"10.1.2.3"})").ip_mask, 0);
  const wire::Rule v6 = one(R"({"type":"MATCH_IPV6_DEST","ip":"fd00::/200"})");
  EXPECT_EQ(v6.ip[0], 0xfd);
  EXPECT_EQ(v6.ip_mask, 128);  // 200 & 0xff clamped
  const wire::Rule ports = one(R"({"type":"MATCH_IP_DEST_PORT_RANGE","start":"22"})");
  EXPECT_EQ(ports.range[0], 22);
  EXPECT_EQ(ports.range[1], 22);  // end defaults to start
  EXPECT_EQ(one(R"({"type":"MATCH_ETHERTYPE","etherType":2054})").ethertype, 0x0806);
  const wire::Rule any_code = one(R"({"type":"MATCH_ICMP","icmpType":8,"icmpCode":null})");
  EXPECT_EQ(any_code.icmp_type, 8);
  EXPECT_EQ(any_code.icmp_flags, 0);
  const wire::Rule code = one(R"({"type":"MATCH_ICMP","icmpType":3,"icmpCode":1})");
  EXPECT_EQ(code.icmp_code, 1);
  EXPECT_EQ(code.icmp_flags, 1);
  EXPECT_EQ(one(R"({"type":"MATCH_CHARACTERISTICS","mask":"10"})").characteristics, 0x10u);
  EXPECT_EQ(one(R"({"type":"MATCH_CHARACTERISTICS","mask":16})").characteristics, 16u);
  const wire::Rule tag = one(R"({"type":"MATCH_TAG_SENDER","id":5,"value":"9"})");
  EXPECT_EQ(tag.type(), RuleType::kMatchTagSender);
  EXPECT_EQ(tag.tag_id, 5u);
  EXPECT_EQ(tag.tag_value, 9u);
  const wire::Rule tos = one(R"({"type":"MATCH_IP_TOS","mask":252,"start":8,"end":16})");
  EXPECT_EQ(tos.tos_mask, 252);
  EXPECT_EQ(tos.tos_range[1], 16);
}

TEST(ControllerRulesCompile, SkippedAsStockSkipsThem) {
  wire::Rule r;
  EXPECT_FALSE(compile_rule(nlohmann::json::parse(R"({"type":"MATCH_NOTHING"})"), r));
  EXPECT_FALSE(compile_rule(nlohmann::json::parse(R"({"type":"INTEGER_RANGE","start":1})"), r));
  EXPECT_FALSE(compile_rule(nlohmann::json::parse(R"(["ACTION_ACCEPT"])"), r));
  EXPECT_FALSE(compile_rule(nlohmann::json::parse(R"({"not":true})"), r));
  const auto rules = compile_rules(
      nlohmann::json::parse(R"([{"type":"ACTION_DROP"},7,{"type":"?"},{"type":"ACTION_ACCEPT"}])"), 8);
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[1].type(), RuleType::kActionAccept);
  EXPECT_EQ(compile_rules(nlohmann::json::parse(R"([{"type":"ACTION_DROP"},{"type":"ACTION_DROP"}])"), 1)
                .size(), 1u);
  EXPECT_TRUE(compile_rules(nlohmann::json::object(), 8).empty());
}

}  // namespace
}  // namespace flatnet::control::controller
