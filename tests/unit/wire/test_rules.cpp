// Rule table codec: every match and action type of stock 1.14.1 with its
// exact bytes, flag bits, unknown types, and every status path.
#include <gtest/gtest.h>

#include "dataplane/wire/rules.hpp"

using namespace flatnet::wire;

namespace {

std::vector<uint8_t> enc(const std::vector<Rule>& rules) {
  std::vector<uint8_t> out;
  Writer w(out);
  write_rules(w, rules);
  EXPECT_TRUE(w.ok());
  return out;
}

// One rule of every type stock 1.14.1 serializes, with distinct values.
std::vector<Rule> every_type() {
  std::vector<Rule> v;
  auto add = [&](RuleType t, auto fill) {
    Rule r;
    r.t = uint8_t(t);
    fill(r);
    v.push_back(r);
  };
  auto none = [](Rule&) {};
  add(RuleType::kActionDrop, none);
  add(RuleType::kActionAccept, none);
  for (auto t : {RuleType::kActionTee, RuleType::kActionWatch, RuleType::kActionRedirect})
    add(t, [](Rule& r) { r.address = 0x1122334455ULL; r.fwd_flags = 0xdeadbeef; r.fwd_length = 1500; });
  add(RuleType::kActionBreak, none);
  add(RuleType::kActionPriority, none);
  add(RuleType::kMatchSourceZeroTierAddress, [](Rule& r) { r.address = 0xc989c90153ULL; });
  add(RuleType::kMatchDestZeroTierAddress, [](Rule& r) { r.address = 0xee420f0cdaULL; });
  add(RuleType::kMatchVlanId, [](Rule& r) { r.vlan_id = 4094; });
  add(RuleType::kMatchVlanPcp, [](Rule& r) { r.vlan_pcp = 7; });
  add(RuleType::kMatchVlanDei, [](Rule& r) { r.vlan_dei = 1; });
  add(RuleType::kMatchMacSource, [](Rule& r) { r.mac = {2, 0xc9, 0x89, 0x13, 0x0d, 0x5c}; });
  add(RuleType::kMatchMacDest, [](Rule& r) { r.mac = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}; });
  add(RuleType::kMatchIpv4Source, [](Rule& r) { r.ip = {10, 99, 100, 0}; r.ip_mask = 24; });
  add(RuleType::kMatchIpv4Dest, [](Rule& r) { r.ip = {10, 99, 100, 12}; r.ip_mask = 32; });
  add(RuleType::kMatchIpv6Source, [](Rule& r) { r.ip = {0xfd, 0x99, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14}; r.ip_mask = 88; });
  add(RuleType::kMatchIpv6Dest, [](Rule& r) { r.ip = {0xfc, 0xee, 1}; r.ip_mask = 40; });
  add(RuleType::kMatchIpTos, [](Rule& r) { r.tos_mask = 0xfc; r.tos_range = {8, 16}; });
  add(RuleType::kMatchIpProtocol, [](Rule& r) { r.ip_protocol = 6; });
  add(RuleType::kMatchEthertype, [](Rule& r) { r.ethertype = 0x0806; });
  add(RuleType::kMatchIcmp, [](Rule& r) { r.icmp_type = 8; r.icmp_code = 0; r.icmp_flags = 1; });
  add(RuleType::kMatchIpSourcePortRange, [](Rule& r) { r.range = {1024, 65535}; });
  add(RuleType::kMatchIpDestPortRange, [](Rule& r) { r.range = {22, 22}; });
  add(RuleType::kMatchCharacteristics, [](Rule& r) { r.characteristics = 0x8000000000000002ULL; });
  add(RuleType::kMatchFrameSizeRange, [](Rule& r) { r.range = {64, 1518}; });
  add(RuleType::kMatchRandom, [](Rule& r) { r.random_probability = 0x7fffffff; });
  for (auto t : {RuleType::kMatchTagsDifference, RuleType::kMatchTagsBitwiseAnd,
                 RuleType::kMatchTagsBitwiseOr, RuleType::kMatchTagsBitwiseXor,
                 RuleType::kMatchTagsEqual, RuleType::kMatchTagSender, RuleType::kMatchTagReceiver})
    add(t, [](Rule& r) { r.tag_id = 1000; r.tag_value = 42; });
  add(RuleType::kMatchIntegerRange, [](Rule& r) {
    r.int_start = 100; r.int_end = 50; r.int_index = 0x1234; r.int_format = 0x81; });
  return v;
}

}  // namespace

TEST(Rules, EveryTypeRoundTripsWithStockLengths) {
  const auto rules = every_type();
  ASSERT_EQ(rules.size(), 35u);
  const auto bytes = enc(rules);
  // Walk the bytes: each entry carries stock's field length.
  size_t p = 0, n = 0;
  while (p < bytes.size()) {
    EXPECT_EQ(bytes[p + 1], rule_field_length(bytes[p])) << "type " << int(bytes[p]);
    p += 2 + bytes[p + 1];
    ++n;
  }
  EXPECT_EQ(p, bytes.size());
  EXPECT_EQ(n, rules.size());
  std::vector<Rule> back;
  ASSERT_EQ(decode_rules(bytes, back), RuleStatus::kOk);
  EXPECT_EQ(back, rules);
}

TEST(Rules, ExactBytes) {
  // The controller's default table: one ACTION_ACCEPT.
  EXPECT_EQ(enc({Rule::action(RuleType::kActionAccept)}), (std::vector<uint8_t>{1, 0}));
  // NOT + OR bits travel in t; a port range; an integer range is start, start+end.
  Rule p;
  p.t = uint8_t(RuleType::kMatchIpDestPortRange) | kRuleNot | kRuleOr;
  p.range = {22, 23};
  EXPECT_EQ(enc({p}), (std::vector<uint8_t>{0xe8, 4, 0, 22, 0, 23}));
  Rule i;
  i.t = uint8_t(RuleType::kMatchIntegerRange);
  i.int_start = 1;
  i.int_end = 2;
  i.int_index = 3;
  i.int_format = 4;
  EXPECT_EQ(enc({i}), (std::vector<uint8_t>{51, 19, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 3, 0, 3, 4}));
  Rule z;
  z.t = uint8_t(RuleType::kMatchSourceZeroTierAddress);
  z.address = 0xc989c90153ULL;
  EXPECT_EQ(enc({z}), (std::vector<uint8_t>{24, 5, 0xc9, 0x89, 0xc9, 0x01, 0x53}));
  std::vector<Rule> back;
  ASSERT_EQ(decode_rules(enc({p}), back), RuleStatus::kOk);
  EXPECT_TRUE(back[0].t & kRuleNot);
  EXPECT_TRUE(back[0].t & kRuleOr);
  EXPECT_EQ(back[0].type(), RuleType::kMatchIpDestPortRange);
  EXPECT_FALSE(back[0].is_action());
  EXPECT_TRUE(Rule::action(RuleType::kActionPriority).is_action());
}

TEST(Rules, UnknownTypesAndLongerFieldsAreSkipped) {
  // Type 20 (unknown) with 3 bytes, then an ethertype with one extra byte.
  const std::vector<uint8_t> in = {20, 3, 9, 9, 9, 37, 3, 0x08, 0x00, 0xaa, 1, 0};
  std::vector<Rule> back;
  ASSERT_EQ(decode_rules(in, back), RuleStatus::kOk);
  ASSERT_EQ(back.size(), 3u);
  EXPECT_EQ(back[0].t, 20);
  EXPECT_EQ(back[1].ethertype, 0x0800);
  EXPECT_EQ(back[2].type(), RuleType::kActionAccept);
  // Re-encoded as stock would: unknown with length 0, the excess gone.
  EXPECT_EQ(enc(back), (std::vector<uint8_t>{20, 0, 37, 2, 0x08, 0x00, 1, 0}));
}

TEST(Rules, StatusPaths) {
  std::vector<Rule> out;
  EXPECT_EQ(decode_rules(std::vector<uint8_t>{}, out), RuleStatus::kOk);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(decode_rules(std::vector<uint8_t>{1}, out), RuleStatus::kTruncated);
  EXPECT_EQ(decode_rules(std::vector<uint8_t>{37, 2, 8}, out), RuleStatus::kTruncated);
  EXPECT_EQ(decode_rules(std::vector<uint8_t>{37, 1, 8}, out), RuleStatus::kBadLength);
  EXPECT_EQ(decode_rules(std::vector<uint8_t>{2, 13, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, out),
            RuleStatus::kBadLength);
  // Exactly the maximum fits; one more is refused.
  std::vector<uint8_t> many;
  for (size_t i = 0; i < kNetworkMaxRules; ++i) many.insert(many.end(), {1, 0});
  EXPECT_EQ(decode_rules(many, out), RuleStatus::kOk);
  EXPECT_EQ(out.size(), kNetworkMaxRules);
  many.insert(many.end(), {1, 0});
  EXPECT_EQ(decode_rules(many, out), RuleStatus::kTooManyRules);
  EXPECT_EQ(decode_rules(std::vector<uint8_t>{1, 0, 1, 0}, out, 1), RuleStatus::kTooManyRules);
  // Counted form: exactly `count` entries, the rest left to the caller.
  const std::vector<uint8_t> two = {1, 0, 0, 0, 0xaa};
  Reader r(two);
  ASSERT_EQ(read_rules(r, 2, out), RuleStatus::kOk);
  EXPECT_EQ(out.size(), 2u);
  EXPECT_EQ(r.remaining(), 1u);
  Reader r2(two);
  EXPECT_EQ(read_rules(r2, 3, out), RuleStatus::kTruncated);
  for (auto s : {RuleStatus::kOk, RuleStatus::kTruncated, RuleStatus::kBadLength, RuleStatus::kTooManyRules})
    EXPECT_STRNE(to_string(s), "?");
  // Every prefix of a valid table decodes or fails cleanly.
  const auto full = enc(every_type());
  for (size_t n = 0; n < full.size(); ++n) {
    std::vector<Rule> x;
    (void)decode_rules(std::span<const uint8_t>(full.data(), n), x);
  }
}
