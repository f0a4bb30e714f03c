#include "control/controller/rules_compile.hpp"

#include <algorithm>
#include <string>
#include <string_view>

#include "control/controller/coerce.hpp"
#include "dataplane/wire/inet_address.hpp"
#include "dataplane/wire/vl1.hpp"

namespace flatnet::control::controller {
namespace {

using wire::RuleType;

uint8_t hex_nibble(char c) {
  if (c >= '0' && c <= '9') return uint8_t(c - '0');
  if (c >= 'a' && c <= 'f') return uint8_t(c - 'a' + 10);
  if (c >= 'A' && c <= 'F') return uint8_t(c - 'A' + 10);
  return 0;  // stock reads any other character as 0
}

// A MAC as stock reads it: ':' and '-' removed, then hex pairs, missing
// bytes zero.
std::array<uint8_t, 6> parse_mac(const std::string& text) {
  std::string s;
  for (char c : text)
    if (c != ':' && c != '-') s += c;
  std::array<uint8_t, 6> mac{};
  for (size_t i = 0; i < 6 && 2 * i + 1 < s.size(); ++i)
    mac[i] = uint8_t(hex_nibble(s[2 * i]) << 4 | hex_nibble(s[2 * i + 1]));
  return mac;
}

// "<ip>/<bits>" into the rule's address and mask; an unparsable address is
// all zero, as stock's InetAddress leaves it.
void parse_ip(const std::string& text, bool v6, wire::Rule& r) {
  const auto a = wire::InetAddress::from_string(text);
  if (!a) return;
  const bool is_v6 = a->family == wire::InetAddress::Family::kV6;
  if (is_v6 != v6) return;
  std::copy_n(a->ip.begin(), v6 ? 16 : 4, r.ip.begin());
  r.ip_mask = uint8_t(std::min<unsigned>(a->port & 0xff, v6 ? 128 : 32));
}

struct Named {
  std::string_view name;
  RuleType type;
};

constexpr Named kTagTypes[] = {
    {"MATCH_TAGS_DIFFERENCE", RuleType::kMatchTagsDifference},
    {"MATCH_TAGS_BITWISE_AND", RuleType::kMatchTagsBitwiseAnd},
    {"MATCH_TAGS_BITWISE_OR", RuleType::kMatchTagsBitwiseOr},
    {"MATCH_TAGS_BITWISE_XOR", RuleType::kMatchTagsBitwiseXor},
    {"MATCH_TAGS_EQUAL", RuleType::kMatchTagsEqual},
    {"MATCH_TAG_SENDER", RuleType::kMatchTagSender},
    {"MATCH_TAG_RECEIVER", RuleType::kMatchTagReceiver},
};

}  // namespace

bool compile_rule(const nlohmann::json& j, wire::Rule& out) {
  if (!j.is_object()) return false;
  const std::string t = json_string(field(j, "type"), "");
  wire::Rule r;
  r.t = json_bool(field(j, "not"), false) ? wire::kRuleNot : 0;
  if (json_bool(field(j, "or"), false)) r.t |= wire::kRuleOr;
  auto set = [&](RuleType type) { r.t |= uint8_t(type); };
  auto u = [&](const char* key, uint64_t dfl = 0) { return json_uint(field(j, key), dfl); };
  auto fwd = [&](RuleType type, bool with_length) {
    set(type);
    r.address = std::strtoull(json_string(field(j, "address"), "0").c_str(), nullptr, 16) &
                wire::kAddressMask;
    r.fwd_flags = uint32_t(u("flags"));
    if (with_length) r.fwd_length = uint16_t(u("length"));
  };
  auto zt = [&](RuleType type) {
    set(type);
    r.address = std::strtoull(json_string(field(j, "zt"), "0").c_str(), nullptr, 16) &
                wire::kAddressMask;
  };
  if (t == "ACTION_DROP") set(RuleType::kActionDrop);
  else if (t == "ACTION_ACCEPT") set(RuleType::kActionAccept);
  else if (t == "ACTION_TEE") fwd(RuleType::kActionTee, true);
  else if (t == "ACTION_WATCH") fwd(RuleType::kActionWatch, true);
  else if (t == "ACTION_REDIRECT") fwd(RuleType::kActionRedirect, false);
  else if (t == "ACTION_BREAK") set(RuleType::kActionBreak);
  else if (t == "MATCH_SOURCE_ZEROTIER_ADDRESS") zt(RuleType::kMatchSourceZeroTierAddress);
  else if (t == "MATCH_DEST_ZEROTIER_ADDRESS") zt(RuleType::kMatchDestZeroTierAddress);
  else if (t == "MATCH_VLAN_ID") { set(RuleType::kMatchVlanId); r.vlan_id = uint16_t(u("vlanId")); }
  else if (t == "MATCH_VLAN_PCP") { set(RuleType::kMatchVlanPcp); r.vlan_pcp = uint8_t(u("vlanPcp")); }
  else if (t == "MATCH_VLAN_DEI") { set(RuleType::kMatchVlanDei); r.vlan_dei = uint8_t(u("vlanDei")); }
  else if (t == "MATCH_MAC_SOURCE" || t == "MATCH_MAC_DEST") {
    set(t == "MATCH_MAC_SOURCE" ? RuleType::kMatchMacSource : RuleType::kMatchMacDest);
    r.mac = parse_mac(json_string(field(j, "mac"), "0"));
  } else if (t == "MATCH_IPV4_SOURCE" || t == "MATCH_IPV4_DEST") {
    set(t == "MATCH_IPV4_SOURCE" ? RuleType::kMatchIpv4Source : RuleType::kMatchIpv4Dest);
    parse_ip(json_string(field(j, "ip"), "0.0.0.0"), false, r);
  } else if (t == "MATCH_IPV6_SOURCE" || t == "MATCH_IPV6_DEST") {
    set(t == "MATCH_IPV6_SOURCE" ? RuleType::kMatchIpv6Source : RuleType::kMatchIpv6Dest);
    parse_ip(json_string(field(j, "ip"), "::0"), true, r);
  } else if (t == "MATCH_IP_TOS") {
    set(RuleType::kMatchIpTos);
    r.tos_mask = uint8_t(u("mask"));
    r.tos_range = {uint8_t(u("start")), uint8_t(u("end"))};
  } else if (t == "MATCH_IP_PROTOCOL") {
    set(RuleType::kMatchIpProtocol);
    r.ip_protocol = uint8_t(u("ipProtocol"));
  } else if (t == "MATCH_ETHERTYPE") {
    set(RuleType::kMatchEthertype);
    r.ethertype = uint16_t(u("etherType"));
  } else if (t == "MATCH_ICMP") {
    set(RuleType::kMatchIcmp);
    r.icmp_type = uint8_t(u("icmpType"));
    const auto& code = field(j, "icmpCode");
    if (!code.is_null()) {
      r.icmp_code = uint8_t(json_uint(code, 0));
      r.icmp_flags = 0x01;
    }
  } else if (t == "MATCH_IP_SOURCE_PORT_RANGE" || t == "MATCH_IP_DEST_PORT_RANGE" ||
             t == "MATCH_FRAME_SIZE_RANGE") {
    set(t == "MATCH_IP_SOURCE_PORT_RANGE" ? RuleType::kMatchIpSourcePortRange
        : t == "MATCH_IP_DEST_PORT_RANGE" ? RuleType::kMatchIpDestPortRange
                                          : RuleType::kMatchFrameSizeRange);
    r.range[0] = uint16_t(u("start"));
    r.range[1] = uint16_t(u("end", r.range[0]));
  } else if (t == "MATCH_CHARACTERISTICS") {
    set(RuleType::kMatchCharacteristics);
    const auto& m = field(j, "mask");
    if (m.is_number()) r.characteristics = json_uint(m, 0);
    else if (m.is_string())
      r.characteristics = std::strtoull(m.get_ref<const std::string&>().c_str(), nullptr, 16);
  } else if (t == "MATCH_RANDOM") {
    set(RuleType::kMatchRandom);
    r.random_probability = uint32_t(u("probability"));
  } else {
    bool tag = false;
    for (const Named& n : kTagTypes)
      if (t == n.name) {
        set(n.type);
        tag = true;
      }
    if (!tag) return false;  // unknown, or INTEGER_RANGE (see the header)
    r.tag_id = uint32_t(u("id"));
    r.tag_value = uint32_t(u("value"));
  }
  out = r;
  return true;
}

std::vector<wire::Rule> compile_rules(const nlohmann::json& rules, std::size_t max) {
  std::vector<wire::Rule> out;
  if (!rules.is_array()) return out;
  for (const auto& j : rules) {
    if (out.size() >= max) break;
    wire::Rule r;
    if (compile_rule(j, r)) out.push_back(r);
  }
  return out;
}

}  // namespace flatnet::control::controller
