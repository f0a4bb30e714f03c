// control/vl2/rules_engine: every match type and action on real frames,
// chaining (AND, OR, NOT, set reset), BREAK, TEE/WATCH/REDIRECT, tags in
// both directions, capabilities, MATCH_RANDOM's rate, tables at their
// limits without allocation, and issue 10's "drop TCP/22".
#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "control/vl2/rules_engine.hpp"
#include "frames.hpp"

// Counts allocations so a test can prove that evaluation makes none. GCC
// cannot see that this operator new pairs with the free() below.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
static std::atomic<size_t> g_allocs{0};
void* operator new(size_t n) {
  ++g_allocs;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace flatnet::vl2 {
namespace {

using namespace test;
using wire::Rule;
using wire::RuleType;

constexpr uint64_t kSelf = 0x1111111111, kPeer = 0x2222222222, kOther = 0x3333333333;

Rule act(RuleType t) { return Rule::action(t); }
Rule match(RuleType t, uint8_t flags = 0) {
  Rule r;
  r.t = uint8_t(uint8_t(t) | flags);
  return r;
}
Rule fwd(RuleType t, uint64_t to, uint16_t len = 0) {
  Rule r = act(t);
  r.address = to;
  r.fwd_length = len;
  return r;
}

struct Eval {
  std::vector<uint8_t> bytes;
  FrameView frame;
  FilterInput in;
  explicit Eval(std::vector<uint8_t> b, Direction d = Direction::kOutbound,
                VlanMode mode = VlanMode::kStock)
      : bytes(std::move(b)) {
    EXPECT_TRUE(parse_ethernet(bytes, frame, mode));
    in.direction = d;
    in.self = kSelf;
    in.peer = kPeer;
    in.frame = &frame;
  }
  FilterResult run(const std::vector<Rule>& base,
                   std::span<const std::span<const Rule>> caps = {}) {
    return evaluate(in, base, caps);
  }
};

TEST(RulesEngine, NoRulesDropsAndControllerDefaultAccepts) {
  Eval e(tcp_syn_22());
  EXPECT_EQ(e.run({}).verdict, Verdict::kDrop);
  EXPECT_EQ(e.run({act(RuleType::kActionAccept)}).verdict, Verdict::kAccept);
  Eval in(tcp_syn_22(), Direction::kInbound);
  EXPECT_EQ(in.run({}).verdict, Verdict::kDrop);
  EXPECT_EQ(in.run({act(RuleType::kActionAccept)}).verdict, Verdict::kAccept);
}

// One row per match type: the frame, the rule, and whether it matches.
struct MatchCase {
  std::string name;
  std::vector<uint8_t> frame;
  Rule rule;
  bool matches;
  Direction dir = Direction::kOutbound;
  VlanMode mode = VlanMode::kStock;
};

std::vector<MatchCase> match_cases() {
  std::vector<MatchCase> v;
  auto add = [&](std::string n, std::vector<uint8_t> f, Rule r, bool m,
                 Direction d = Direction::kOutbound, VlanMode mode = VlanMode::kStock) {
    v.push_back({std::move(n), std::move(f), r, m, d, mode});
  };
  Rule r;
  r = match(RuleType::kMatchSourceZeroTierAddress); r.address = kSelf;
  add("zt_source_out", tcp_syn_22(), r, true);
  add("zt_source_in_is_peer", tcp_syn_22(), r, false, Direction::kInbound);
  r = match(RuleType::kMatchDestZeroTierAddress); r.address = kPeer;
  add("zt_dest_out", tcp_syn_22(), r, true);
  r.address = kSelf;
  add("zt_dest_in_is_self", tcp_syn_22(), r, true, Direction::kInbound);
  r = match(RuleType::kMatchVlanId); r.vlan_id = 100;
  add("vlan_id_parsed", vlan_udp(), r, true, Direction::kOutbound, VlanMode::kParseTag);
  add("vlan_id_stock_mode_is_0", vlan_udp(), r, false);
  r.vlan_id = 0;
  add("vlan_id_0_untagged", udp_dns(), r, true);
  r = match(RuleType::kMatchVlanPcp); r.vlan_pcp = 5;
  add("vlan_pcp", vlan_udp(), r, true, Direction::kOutbound, VlanMode::kParseTag);
  r = match(RuleType::kMatchVlanDei); r.vlan_dei = 1;
  add("vlan_dei", vlan_udp(), r, true, Direction::kOutbound, VlanMode::kParseTag);
  add("vlan_dei_stock", vlan_udp(), r, false);
  r = match(RuleType::kMatchMacSource); r.mac = kMacA;
  add("mac_source", arp_request(), r, true);
  r = match(RuleType::kMatchMacDest); r.mac = kMacBroadcast;
  add("mac_dest_broadcast", arp_request(), r, true);
  add("mac_dest_unicast", tcp_syn_22(), r, false);
  r = match(RuleType::kMatchIpv4Source); r.ip = {10, 1, 0, 0}; r.ip_mask = 16;
  add("ipv4_source_16", tcp_syn_22(), r, true);
  add("ipv4_source_on_arp", arp_request(), r, false);
  r.ip = {10, 2, 0, 0};
  add("ipv4_source_other_net", tcp_syn_22(), r, false);
  r = match(RuleType::kMatchIpv4Dest); r.ip = {10, 1, 2, 4}; r.ip_mask = 32;
  add("ipv4_dest_32", udp_dns(), r, true);
  r.ip = {99, 9, 9, 9}; r.ip_mask = 0;
  add("ipv4_dest_0_matches_all", udp_dns(), r, true);
  r = match(RuleType::kMatchIpv6Source); r.ip = {0xfd}; r.ip_mask = 8;
  add("ipv6_source_fd_8", ipv6_tcp(), r, true);
  add("ipv6_source_on_ipv4", tcp_syn_22(), r, false);
  r.ip = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}; r.ip_mask = 8;
  add("ipv6_rule_host_bits_never_match", ipv6_tcp(), r, false);  // stock's containsAddress
  r = match(RuleType::kMatchIpv6Dest);
  r.ip = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}; r.ip_mask = 128;
  add("ipv6_dest_128", ipv6_tcp(), r, true);
  r = match(RuleType::kMatchIpTos); r.tos_mask = 0xfc; r.tos_range = {0x10, 0x10};
  add("ip_tos_v4", tcp_syn_22(), r, true);
  r.tos_range = {0x20, 0x30};
  add("ip_tos_v4_out_of_range", tcp_syn_22(), r, false);
  r.tos_range = {0xb8, 0xb8};
  add("ip_tos_v6_traffic_class", ipv6_tcp(), r, true);
  r = match(RuleType::kMatchIpProtocol); r.ip_protocol = 6;
  add("ip_protocol_tcp", tcp_syn_22(), r, true);
  add("ip_protocol_tcp_v6", ipv6_tcp(), r, true);
  add("ip_protocol_on_udp", udp_dns(), r, false);
  add("ip_protocol_on_arp", arp_request(), r, false);
  r = match(RuleType::kMatchEthertype); r.ethertype = kEthertypeArp;
  add("ethertype_arp", arp_request(), r, true);
  r.ethertype = kEthertypeVlan;
  add("ethertype_vlan_stock", vlan_udp(), r, true);
  r.ethertype = kEthertypeIpv4;
  add("ethertype_inner_parsed", vlan_udp(), r, true, Direction::kOutbound, VlanMode::kParseTag);
  r = match(RuleType::kMatchIcmp); r.icmp_type = 8;
  add("icmp_echo_any_code", icmp_echo(), r, true);
  r.icmp_flags = 1; r.icmp_code = 3;
  add("icmp_echo_code_checked", icmp_echo(), r, false);
  r.icmp_code = 0;
  add("icmp_echo_code_0", icmp_echo(), r, true);
  add("icmp_on_tcp", tcp_syn_22(), r, false);
  // An IPv6 header with nothing after it still has an upper protocol.
  r = match(RuleType::kMatchIpProtocol); r.ip_protocol = 59;
  add("ip_protocol_v6_header_only",
      eth(kMacB, kMacA, kEthertypeIpv6, [] { std::vector<uint8_t> h(40, 0); h[0] = 0x60; h[6] = 59; return h; }()),
      r, true);
  r = match(RuleType::kMatchIcmp); r.icmp_type = 0x87;
  add("icmpv6_neighbor_solicitation", ipv6_ns(), r, true);
  r = match(RuleType::kMatchIpSourcePortRange); r.range = {40000, 40000};
  add("source_port", tcp_syn_22(), r, true);
  r = match(RuleType::kMatchIpDestPortRange); r.range = {22, 22};
  add("dest_port_22", tcp_syn_22(), r, true);
  r.range = {53, 53};
  add("dest_port_udp_53", udp_dns(), r, true);
  add("dest_port_on_icmp", icmp_echo(), r, false);
  r.range = {50000, 50000};
  add("dest_port_v6", ipv6_tcp(), r, true);
  r = match(RuleType::kMatchCharacteristics); r.characteristics = kCharTcpFlagSyn;
  add("char_syn", tcp_syn_22(), r, true);
  add("char_syn_v6_synack", ipv6_tcp(), r, true);
  r.characteristics = kCharTcpFlagAck;
  add("char_ack_on_syn", tcp_syn_22(), r, false);
  r.characteristics = kCharInbound;
  add("char_inbound", udp_dns(), r, true, Direction::kInbound);
  add("char_outbound", udp_dns(), r, false);
  r.characteristics = kCharBroadcast;
  add("char_broadcast", arp_request(), r, true);
  r.characteristics = kCharMulticast;
  add("char_multicast_ns", ipv6_ns(), r, true);
  add("char_multicast_unicast", udp_dns(), r, false);
  r.characteristics = kCharSenderIpAuthenticated;
  add("char_ns_counts_ip_authenticated", ipv6_ns(), r, true);
  add("char_no_ownership", udp_dns(), r, false);
  r = match(RuleType::kMatchFrameSizeRange); r.range = {40, 40};  // IPv4 20 + TCP 20
  add("frame_size_payload", tcp_syn_22(), r, true);
  r.range = {0, 39};
  add("frame_size_out", tcp_syn_22(), r, false);
  r = match(RuleType::kMatchRandom); r.random_probability = 0xffffffff;
  add("random_always", udp_dns(), r, true);
  // Stock reads a big-endian integer of n bytes at index + 8 - n: index 16
  // with 16 bits reads payload[22..24), the TCP destination port.
  r = match(RuleType::kMatchIntegerRange); r.int_index = 16; r.int_format = 15;
  r.int_start = 22; r.int_end = 0;
  add("integer_range_be", tcp_syn_22(), r, true);
  r.int_index = 22; r.int_format = 0x80 | 15; r.int_start = 0x1600;
  add("integer_range_le", tcp_syn_22(), r, true);
  r.int_index = 2000;  r.int_start = 1;
  add("integer_range_past_end_reads_0", tcp_syn_22(), r, false);
  return v;
}

class MatchTable : public ::testing::TestWithParam<MatchCase> {};

TEST_P(MatchTable, MatchAndNot) {
  const MatchCase& c = GetParam();
  Eval e(c.frame, c.dir, c.mode);
  SeededRandom rng(1);
  e.in.random = &rng;
  const Verdict yes = Verdict::kAccept, no = Verdict::kDrop;
  EXPECT_EQ(e.run({c.rule, act(RuleType::kActionAccept)}).verdict, c.matches ? yes : no);
  Rule inverted = c.rule;
  inverted.t |= wire::kRuleNot;
  EXPECT_EQ(e.run({inverted, act(RuleType::kActionAccept)}).verdict, c.matches ? no : yes);
}

INSTANTIATE_TEST_SUITE_P(AllTypes, MatchTable, ::testing::ValuesIn(match_cases()),
                         [](const auto& info) { return info.param.name; });

TEST(RulesEngine, DropTcp22FromIssue10) {
  // The rule the proof list names: drop TCP to port 22, accept the rest.
  Rule proto = match(RuleType::kMatchIpProtocol);
  proto.ip_protocol = 6;
  Rule port = match(RuleType::kMatchIpDestPortRange);
  port.range = {22, 22};
  const std::vector<Rule> table{proto, port, act(RuleType::kActionDrop),
                                act(RuleType::kActionAccept)};
  // Through the wire codec, as the member gets it from a config.
  std::vector<uint8_t> bytes;
  wire::Writer w(bytes);
  wire::write_rules(w, table);
  std::vector<Rule> decoded;
  ASSERT_EQ(wire::decode_rules(bytes, decoded), wire::RuleStatus::kOk);
  for (auto d : {Direction::kOutbound, Direction::kInbound}) {
    EXPECT_EQ(Eval(tcp_syn_22(), d).run(decoded).verdict, Verdict::kDrop);
    EXPECT_EQ(Eval(udp_dns(), d).run(decoded).verdict, Verdict::kAccept);
    EXPECT_EQ(Eval(arp_request(), d).run(decoded).verdict, Verdict::kAccept);
    EXPECT_EQ(Eval(ipv6_tcp(), d).run(decoded).verdict, Verdict::kAccept);
    EXPECT_EQ(Eval(icmp_echo(), d).run(decoded).verdict, Verdict::kAccept);
  }
}

TEST(RulesEngine, OrAndNotChaining) {
  Rule arp = match(RuleType::kMatchEthertype);
  arp.ethertype = kEthertypeArp;
  Rule v4 = match(RuleType::kMatchEthertype, wire::kRuleOr);
  v4.ethertype = kEthertypeIpv4;
  Rule not_tcp = match(RuleType::kMatchIpProtocol, wire::kRuleNot);
  not_tcp.ip_protocol = 6;
  // (arp OR ipv4) AND NOT tcp -> accept.
  const std::vector<Rule> t{arp, v4, not_tcp, act(RuleType::kActionAccept)};
  EXPECT_EQ(Eval(udp_dns()).run(t).verdict, Verdict::kAccept);
  EXPECT_EQ(Eval(tcp_syn_22()).run(t).verdict, Verdict::kDrop);
  EXPECT_EQ(Eval(ipv6_tcp()).run(t).verdict, Verdict::kDrop);
  // An OR after a false AND can still make the set true (no short cut on OR).
  Rule v6 = match(RuleType::kMatchEthertype, wire::kRuleOr);
  v6.ethertype = kEthertypeIpv6;
  EXPECT_EQ(Eval(ipv6_tcp()).run({arp, not_tcp, v6, act(RuleType::kActionAccept)}).verdict,
            Verdict::kAccept);
  // NOT with OR: OR (NOT arp).
  Rule or_not_arp = arp;
  or_not_arp.t |= wire::kRuleOr | wire::kRuleNot;
  Rule never = match(RuleType::kMatchFrameSizeRange);
  never.range = {9000, 9000};
  EXPECT_EQ(Eval(udp_dns()).run({never, or_not_arp, act(RuleType::kActionAccept)}).verdict,
            Verdict::kAccept);
  EXPECT_EQ(Eval(arp_request()).run({never, or_not_arp, act(RuleType::kActionAccept)}).verdict,
            Verdict::kDrop);
}

TEST(RulesEngine, ActionNotTakenResetsTheSet) {
  Rule arp = match(RuleType::kMatchEthertype);
  arp.ethertype = kEthertypeArp;
  // ARP? drop. Then a fresh set with no matches: accept.
  const std::vector<Rule> t{arp, act(RuleType::kActionDrop), act(RuleType::kActionAccept)};
  EXPECT_EQ(Eval(arp_request()).run(t).verdict, Verdict::kDrop);
  EXPECT_EQ(Eval(udp_dns()).run(t).verdict, Verdict::kAccept);
}

TEST(RulesEngine, BreakEndsTheBaseWithNoMatchSoCapabilitiesRun) {
  Rule tcp22 = match(RuleType::kMatchIpDestPortRange);
  tcp22.range = {22, 22};
  const std::vector<Rule> base{tcp22, act(RuleType::kActionBreak), act(RuleType::kActionAccept)};
  EXPECT_EQ(Eval(udp_dns()).run(base).verdict, Verdict::kAccept);
  EXPECT_EQ(Eval(tcp_syn_22()).run(base).verdict, Verdict::kDrop);  // no match, no capability
  const std::vector<Rule> cap{tcp22, act(RuleType::kActionAccept)};
  const std::span<const Rule> caps[] = {cap};
  const FilterResult r = Eval(tcp_syn_22()).run(base, caps);
  EXPECT_EQ(r.verdict, Verdict::kAccept);
  EXPECT_EQ(r.capability, 0);
}

TEST(RulesEngine, CapabilitiesOnlyAfterNoMatchFirstAcceptWins) {
  Rule tcp22 = match(RuleType::kMatchIpDestPortRange);
  tcp22.range = {22, 22};
  const std::vector<Rule> cap_drop{act(RuleType::kActionDrop)};
  const std::vector<Rule> cap_other{match(RuleType::kMatchEthertype), act(RuleType::kActionAccept)};
  // An action ends its set whether taken or not, so the ACCEPT after the
  // TEE needs the match again (a lone ACCEPT there would take everything).
  const std::vector<Rule> cap_ssh{tcp22, fwd(RuleType::kActionTee, kOther, 32), tcp22,
                                  act(RuleType::kActionAccept)};
  const std::vector<Rule> cap_all{act(RuleType::kActionAccept)};
  const std::span<const Rule> caps[] = {cap_drop, cap_other, cap_ssh, cap_all};
  // Base accepts nothing: the capability that accepts SSH is the third
  // (a DROP in the first only ends that capability).
  Eval e(tcp_syn_22());
  FilterResult r = e.run({}, caps);
  EXPECT_EQ(r.verdict, Verdict::kAccept);
  EXPECT_EQ(r.capability, 2);
  EXPECT_EQ(r.capability_copy.address, kOther);
  EXPECT_EQ(r.capability_copy.length, 32u);
  EXPECT_EQ(r.copy.address, 0u);
  r = Eval(udp_dns()).run({}, caps);
  EXPECT_EQ(r.capability, 3);
  // An explicit DROP in the base is final: capabilities are not asked.
  r = e.run({act(RuleType::kActionDrop)}, caps);
  EXPECT_EQ(r.verdict, Verdict::kDrop);
  EXPECT_EQ(r.capability, -1);
  // Inbound the same (the sender's capabilities).
  Eval in(tcp_syn_22(), Direction::kInbound);
  EXPECT_EQ(in.run({}, caps).capability, 2);
}

TEST(RulesEngine, TeeWatchRedirect) {
  Eval e(tcp_syn_22());
  FilterResult r = e.run({fwd(RuleType::kActionTee, kOther), act(RuleType::kActionAccept)});
  EXPECT_EQ(r.verdict, Verdict::kAccept);
  EXPECT_EQ(r.copy, (CopyTarget{kOther, 40, 0, false}));
  r = e.run({fwd(RuleType::kActionWatch, kOther, 16), act(RuleType::kActionAccept)});
  EXPECT_EQ(r.copy, (CopyTarget{kOther, 16, 0, true}));
  // A length past the frame copies the frame.
  r = e.run({fwd(RuleType::kActionTee, kOther, 1500), act(RuleType::kActionAccept)});
  EXPECT_EQ(r.copy.length, 40u);
  // The last TEE/WATCH taken wins; one to the sender or the destination is a no-op.
  r = e.run({fwd(RuleType::kActionTee, kOther), fwd(RuleType::kActionWatch, 0x4444444444),
             fwd(RuleType::kActionTee, kPeer), fwd(RuleType::kActionTee, kSelf),
             act(RuleType::kActionAccept)});
  EXPECT_EQ(r.copy.address, 0x4444444444u);
  EXPECT_TRUE(r.copy.watch);
  // A copy is not sent for a dropped frame.
  EXPECT_EQ(e.run({fwd(RuleType::kActionTee, kOther), act(RuleType::kActionDrop)}).verdict,
            Verdict::kDrop);
  // REDIRECT ends the table: the frame goes to the target instead.
  r = e.run({fwd(RuleType::kActionRedirect, kOther), act(RuleType::kActionDrop)});
  EXPECT_EQ(r.verdict, Verdict::kRedirect);
  EXPECT_EQ(r.redirect_to, kOther);
  // Inbound, a TEE/WATCH/REDIRECT to us is a super-accept at once.
  Eval in(tcp_syn_22(), Direction::kInbound);
  EXPECT_EQ(in.run({fwd(RuleType::kActionTee, kSelf), act(RuleType::kActionDrop)}).verdict,
            Verdict::kSuperAccept);
  // A set not taken that names us as its target turns a later ACCEPT into a super-accept.
  Rule never = match(RuleType::kMatchFrameSizeRange);
  never.range = {9000, 9000};
  EXPECT_EQ(in.run({never, fwd(RuleType::kActionRedirect, kSelf), act(RuleType::kActionAccept)})
                .verdict,
            Verdict::kSuperAccept);
  EXPECT_EQ(e.run({never, fwd(RuleType::kActionRedirect, kSelf), act(RuleType::kActionAccept)})
                .verdict,
            Verdict::kAccept);
}

TEST(RulesEngine, BaseCopyAndCapabilityCopyAndRedirect) {
  // A TEE in a base table that ends without a decision still counts when
  // a capability accepts; a REDIRECT in a capability re-targets the frame.
  const std::vector<Rule> base{fwd(RuleType::kActionTee, kOther)};
  const std::vector<Rule> cap{fwd(RuleType::kActionWatch, 0x4444444444, 8),
                              act(RuleType::kActionAccept)};
  const std::span<const Rule> caps[] = {cap};
  for (auto d : {Direction::kOutbound, Direction::kInbound}) {
    const FilterResult r = Eval(udp_dns(), d).run(base, caps);
    EXPECT_EQ(r.verdict, Verdict::kAccept);
    EXPECT_EQ(r.copy.address, kOther);
    EXPECT_EQ(r.capability_copy, (CopyTarget{0x4444444444, 8, 0, true}));
  }
  EXPECT_EQ(Eval(udp_dns()).run(base).copy.address, 0u);  // dropped: no copy
  const std::vector<Rule> cap_redirect{fwd(RuleType::kActionRedirect, kOther)};
  const std::span<const Rule> caps2[] = {cap_redirect};
  const FilterResult r = Eval(udp_dns(), Direction::kInbound).run({}, caps2);
  EXPECT_EQ(r.verdict, Verdict::kRedirect);
  EXPECT_EQ(r.redirect_to, kOther);
  EXPECT_EQ(r.capability, 0);
}

TEST(RulesEngine, TagsBothDirections) {
  const TagValue local[] = {{1, 10}, {2, 0x0f}, {3, 7}};
  const TagValue remote_v[] = {{1, 12}, {2, 0xf3}, {3, 7}};
  const TagSet remote{remote_v};
  auto tag = [](RuleType t, uint32_t id, uint32_t value) {
    Rule r = match(t);
    r.tag_id = id;
    r.tag_value = value;
    return r;
  };
  auto run = [&](Direction d, const TagSet* rem, Rule r) {
    Eval e(udp_dns(), d);
    e.in.local_tags = TagSet{local};
    e.in.remote_tags = rem;
    return e.run({r, act(RuleType::kActionAccept)}).verdict == Verdict::kAccept;
  };
  for (auto d : {Direction::kOutbound, Direction::kInbound}) {
    EXPECT_TRUE(run(d, &remote, tag(RuleType::kMatchTagsDifference, 1, 2)));
    EXPECT_FALSE(run(d, &remote, tag(RuleType::kMatchTagsDifference, 1, 1)));
    EXPECT_TRUE(run(d, &remote, tag(RuleType::kMatchTagsBitwiseAnd, 2, 0x03)));
    EXPECT_TRUE(run(d, &remote, tag(RuleType::kMatchTagsBitwiseOr, 2, 0xff)));
    EXPECT_TRUE(run(d, &remote, tag(RuleType::kMatchTagsBitwiseXor, 2, 0xfc)));
    EXPECT_TRUE(run(d, &remote, tag(RuleType::kMatchTagsEqual, 3, 7)));
    EXPECT_FALSE(run(d, &remote, tag(RuleType::kMatchTagsEqual, 1, 10)));
    // Without our own tag nothing matches.
    EXPECT_FALSE(run(d, &remote, tag(RuleType::kMatchTagsDifference, 9, 0xffffffff)));
  }
  // Remote tag unknown: lenient outbound, strict inbound.
  EXPECT_TRUE(run(Direction::kOutbound, nullptr, tag(RuleType::kMatchTagsEqual, 3, 99)));
  EXPECT_FALSE(run(Direction::kInbound, nullptr, tag(RuleType::kMatchTagsEqual, 3, 7)));
  // SENDER is us outbound and the peer inbound; RECEIVER the other way round.
  EXPECT_TRUE(run(Direction::kOutbound, &remote, tag(RuleType::kMatchTagSender, 1, 10)));
  EXPECT_TRUE(run(Direction::kInbound, &remote, tag(RuleType::kMatchTagSender, 1, 12)));
  EXPECT_FALSE(run(Direction::kInbound, &remote, tag(RuleType::kMatchTagSender, 1, 10)));
  EXPECT_TRUE(run(Direction::kOutbound, &remote, tag(RuleType::kMatchTagReceiver, 1, 12)));
  EXPECT_TRUE(run(Direction::kInbound, &remote, tag(RuleType::kMatchTagReceiver, 1, 10)));
  // Unknown receiver outbound matches; unknown sender inbound does not.
  EXPECT_TRUE(run(Direction::kOutbound, nullptr, tag(RuleType::kMatchTagReceiver, 1, 5)));
  EXPECT_FALSE(run(Direction::kInbound, nullptr, tag(RuleType::kMatchTagSender, 1, 5)));
}

class Owns final : public Ownership {
 public:
  bool owns_ip(std::span<const uint8_t> ip) const override {
    return ip.size() == 4 && ip[0] == 10 && ip[3] == 3;
  }
  bool owns_mac(const Mac& m) const override { return m == kMacA; }
};

TEST(RulesEngine, OwnershipCharacteristics) {
  Owns owns;
  Rule ip = match(RuleType::kMatchCharacteristics);
  ip.characteristics = kCharSenderIpAuthenticated;
  Rule mac = match(RuleType::kMatchCharacteristics);
  mac.characteristics = kCharSenderMacAuthenticated;
  for (auto frame : {udp_dns(), arp_request()}) {
    Eval e(frame, Direction::kInbound);
    e.in.ownership = &owns;
    EXPECT_EQ(e.run({ip, act(RuleType::kActionAccept)}).verdict, Verdict::kAccept);
    EXPECT_EQ(e.run({mac, act(RuleType::kActionAccept)}).verdict, Verdict::kAccept);
  }
  Eval v6(ipv6_tcp(), Direction::kInbound);
  v6.in.ownership = &owns;
  EXPECT_EQ(v6.run({ip, act(RuleType::kActionAccept)}).verdict, Verdict::kDrop);
}

TEST(RulesEngine, RandomRateWithSeededSource) {
  Rule half = match(RuleType::kMatchRandom);
  half.random_probability = 0x40000000;  // about 1 in 4
  const std::vector<Rule> t{half, act(RuleType::kActionAccept)};
  Eval e(udp_dns());
  SeededRandom rng(12345);
  e.in.random = &rng;
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) accepted += e.run(t).verdict == Verdict::kAccept;
  // Expected 5000, sd about 61: a band of +-6 sd.
  EXPECT_GT(accepted, 4630);
  EXPECT_LT(accepted, 5370);
  // Same seed, same sequence.
  SeededRandom a(7), b(7);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(a.next32(), b.next32());
  // Without a source, MATCH_RANDOM never matches.
  e.in.random = nullptr;
  EXPECT_EQ(e.run(t).verdict, Verdict::kDrop);
}

TEST(RulesEngine, TablesAtTheirLimitsWithoutAllocation) {
  // A full config table and full capabilities whose last rule decides,
  // with every match type in between, evaluated with no allocation.
  Rule never = match(RuleType::kMatchFrameSizeRange);
  never.range = {9000, 9000};
  Rule syn = match(RuleType::kMatchCharacteristics);
  syn.characteristics = kCharTcpFlagSyn;
  Rule low_port = match(RuleType::kMatchIpDestPortRange, wire::kRuleOr);
  low_port.range = {1, 2};
  Rule tag = match(RuleType::kMatchTagsEqual);
  tag.tag_id = 1;
  tag.tag_value = 1;
  // 255 sets that are each evaluated in full and never taken, then
  // "SYN? drop", then BREAK (to the capabilities).
  std::vector<Rule> base;
  while (base.size() < wire::kNetworkMaxRules - 4) {
    for (const Rule& r : {syn, low_port, never, act(RuleType::kActionDrop)}) base.push_back(r);
  }
  for (const Rule& r : {syn, act(RuleType::kActionDrop), act(RuleType::kActionBreak),
                        act(RuleType::kActionAccept)})
    base.push_back(r);
  ASSERT_EQ(base.size(), wire::kNetworkMaxRules);
  // Capabilities at their limit: 63 matches that all hold, then ACCEPT.
  Rule not_never = never;
  not_never.t |= wire::kRuleNot;
  std::vector<Rule> cap(wire::kCapabilityMaxRules - 2, not_never);
  cap.push_back(tag);
  cap.push_back(act(RuleType::kActionAccept));
  ASSERT_EQ(cap.size(), wire::kCapabilityMaxRules);
  std::vector<Rule> cap_no = cap;
  cap_no[0] = never;
  std::vector<std::span<const Rule>> caps(15, std::span<const Rule>(cap_no));
  caps.push_back(cap);
  // Decode the table from bytes at its limit, and refuse one more.
  std::vector<uint8_t> bytes;
  wire::Writer w(bytes);
  wire::write_rules(w, base);
  std::vector<Rule> decoded;
  ASSERT_EQ(wire::decode_rules(bytes, decoded), wire::RuleStatus::kOk);
  ASSERT_EQ(decoded, base);
  base.push_back(act(RuleType::kActionAccept));
  bytes.clear();
  wire::write_rules(w, base);
  EXPECT_EQ(wire::decode_rules(bytes, decoded), wire::RuleStatus::kTooManyRules);

  Eval e(tcp_syn_22(), Direction::kInbound);
  const TagValue tags[] = {{1, 1}};
  e.in.local_tags = TagSet{tags};
  Owns owns;
  e.in.ownership = &owns;
  SeededRandom rng(3);
  e.in.random = &rng;
  const size_t before = g_allocs.load();
  FilterResult r;
  for (int i = 0; i < 100; ++i) r = evaluate(e.in, std::span(base).first(wire::kNetworkMaxRules), caps);
  const size_t after = g_allocs.load();
  EXPECT_EQ(after, before);
  EXPECT_EQ(r.verdict, Verdict::kDrop);  // the SYN set near the end
  EXPECT_EQ(r.capability, -1);
  Eval u(udp_dns(), Direction::kInbound);
  u.in.local_tags = TagSet{tags};
  const TagSet remote{tags};
  u.in.remote_tags = &remote;
  const size_t before_u = g_allocs.load();
  r = evaluate(u.in, std::span(base).first(wire::kNetworkMaxRules), caps);
  EXPECT_EQ(g_allocs.load(), before_u);
  EXPECT_EQ(r.verdict, Verdict::kAccept);
  EXPECT_EQ(r.capability, 15);
}

TEST(RulesEngine, UnsupportedMatchFollowsTheNetworkFlag) {
  Rule unknown;
  unknown.t = 60;  // a match type 1.14.1 does not define
  Eval e(udp_dns());
  EXPECT_EQ(e.run({unknown, act(RuleType::kActionAccept)}).verdict, Verdict::kDrop);
  e.in.unsupported_match_result = true;
  EXPECT_EQ(e.run({unknown, act(RuleType::kActionAccept)}).verdict, Verdict::kAccept);
  Rule unknown_action;
  unknown_action.t = 9;  // an action id stock ignores
  EXPECT_EQ(e.run({unknown_action, act(RuleType::kActionAccept)}).verdict, Verdict::kAccept);
}

TEST(RulesEngine, ShortAndOddFramesDoNotMatchIpRules) {
  // An IPv4 ethertype with a 10-byte payload, and an IPv6 header with no
  // room for a payload: IP matches are false, nothing reads past the end.
  Rule port = match(RuleType::kMatchIpDestPortRange);
  port.range = {0, 65535};
  Rule chr = match(RuleType::kMatchCharacteristics);
  chr.characteristics = 0x1ff;
  for (auto f : {eth(kMacB, kMacA, kEthertypeIpv4, std::vector<uint8_t>(10, 0x45)),
                 eth(kMacB, kMacA, kEthertypeIpv4, {0x4f, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0,
                                                    1, 2, 3, 4, 5, 6, 7, 8}),
                 eth(kMacB, kMacA, kEthertypeIpv6, std::vector<uint8_t>(44, 0))}) {
    Eval e(f);
    EXPECT_EQ(e.run({port, act(RuleType::kActionAccept)}).verdict, Verdict::kDrop);
    EXPECT_EQ(e.run({chr, act(RuleType::kActionAccept)}).verdict, Verdict::kDrop);
  }
  FrameView v;
  EXPECT_FALSE(parse_ethernet(std::vector<uint8_t>(13, 0), v));
}

}  // namespace
}  // namespace flatnet::vl2
