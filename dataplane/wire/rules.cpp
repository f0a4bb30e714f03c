// Rule table codec (see rules.hpp).
#include "dataplane/wire/rules.hpp"

namespace flatnet::wire {

const char* to_string(RuleStatus s) {
  switch (s) {
    case RuleStatus::kOk: return "ok";
    case RuleStatus::kTruncated: return "rule table truncated";
    case RuleStatus::kBadLength: return "rule field length too short for its type";
    case RuleStatus::kTooManyRules: return "too many rules";
  }
  return "?";
}

uint8_t rule_field_length(uint8_t t) {
  switch (RuleType(t & kRuleTypeMask)) {
    case RuleType::kActionTee:
    case RuleType::kActionWatch:
    case RuleType::kActionRedirect: return 14;
    case RuleType::kMatchSourceZeroTierAddress:
    case RuleType::kMatchDestZeroTierAddress: return 5;
    case RuleType::kMatchVlanId: return 2;
    case RuleType::kMatchVlanPcp:
    case RuleType::kMatchVlanDei: return 1;
    case RuleType::kMatchMacSource:
    case RuleType::kMatchMacDest: return 6;
    case RuleType::kMatchIpv4Source:
    case RuleType::kMatchIpv4Dest: return 5;
    case RuleType::kMatchIpv6Source:
    case RuleType::kMatchIpv6Dest: return 17;
    case RuleType::kMatchIpTos: return 3;
    case RuleType::kMatchIpProtocol: return 1;
    case RuleType::kMatchEthertype: return 2;
    case RuleType::kMatchIcmp: return 3;
    case RuleType::kMatchIpSourcePortRange:
    case RuleType::kMatchIpDestPortRange: return 4;
    case RuleType::kMatchCharacteristics: return 8;
    case RuleType::kMatchFrameSizeRange: return 4;
    case RuleType::kMatchRandom: return 4;
    case RuleType::kMatchTagsDifference:
    case RuleType::kMatchTagsBitwiseAnd:
    case RuleType::kMatchTagsBitwiseOr:
    case RuleType::kMatchTagsBitwiseXor:
    case RuleType::kMatchTagsEqual:
    case RuleType::kMatchTagSender:
    case RuleType::kMatchTagReceiver: return 8;
    case RuleType::kMatchIntegerRange: return 19;
    default: return 0;  // the other actions, and unknown types
  }
}

namespace {

// Decodes the fields of one entry from `f` (exactly its field bytes).
void read_fields(Reader& f, Rule& r) {
  switch (r.type()) {
    case RuleType::kActionTee:
    case RuleType::kActionWatch:
    case RuleType::kActionRedirect:
      r.address = f.u64();
      r.fwd_flags = f.u32();
      r.fwd_length = f.u16();
      break;
    case RuleType::kMatchSourceZeroTierAddress:
    case RuleType::kMatchDestZeroTierAddress: r.address = f.u40(); break;
    case RuleType::kMatchVlanId: r.vlan_id = f.u16(); break;
    case RuleType::kMatchVlanPcp: r.vlan_pcp = f.u8(); break;
    case RuleType::kMatchVlanDei: r.vlan_dei = f.u8(); break;
    case RuleType::kMatchMacSource:
    case RuleType::kMatchMacDest: f.bytes(r.mac.data(), 6); break;
    case RuleType::kMatchIpv4Source:
    case RuleType::kMatchIpv4Dest:
      f.bytes(r.ip.data(), 4);
      r.ip_mask = f.u8();
      break;
    case RuleType::kMatchIpv6Source:
    case RuleType::kMatchIpv6Dest:
      f.bytes(r.ip.data(), 16);
      r.ip_mask = f.u8();
      break;
    case RuleType::kMatchIpTos:
      r.tos_mask = f.u8();
      r.tos_range[0] = f.u8();
      r.tos_range[1] = f.u8();
      break;
    case RuleType::kMatchIpProtocol: r.ip_protocol = f.u8(); break;
    case RuleType::kMatchEthertype: r.ethertype = f.u16(); break;
    case RuleType::kMatchIcmp:
      r.icmp_type = f.u8();
      r.icmp_code = f.u8();
      r.icmp_flags = f.u8();
      break;
    case RuleType::kMatchIpSourcePortRange:
    case RuleType::kMatchIpDestPortRange:
    case RuleType::kMatchFrameSizeRange:
      r.range[0] = f.u16();
      r.range[1] = f.u16();
      break;
    case RuleType::kMatchCharacteristics: r.characteristics = f.u64(); break;
    case RuleType::kMatchRandom: r.random_probability = f.u32(); break;
    case RuleType::kMatchTagsDifference:
    case RuleType::kMatchTagsBitwiseAnd:
    case RuleType::kMatchTagsBitwiseOr:
    case RuleType::kMatchTagsBitwiseXor:
    case RuleType::kMatchTagsEqual:
    case RuleType::kMatchTagSender:
    case RuleType::kMatchTagReceiver:
      r.tag_id = f.u32();
      r.tag_value = f.u32();
      break;
    case RuleType::kMatchIntegerRange:
      r.int_start = f.u64();
      r.int_end = uint32_t(f.u64() - r.int_start);
      r.int_index = f.u16();
      r.int_format = f.u8();
      break;
    default: break;
  }
}

RuleStatus read_one(Reader& r, Rule& out) {
  out = Rule();
  out.t = r.u8();
  const uint8_t len = r.u8();
  const auto body = r.view(len);
  if (!r.ok()) return RuleStatus::kTruncated;
  if (len < rule_field_length(out.t)) return RuleStatus::kBadLength;
  Reader f(body);
  read_fields(f, out);
  return RuleStatus::kOk;
}

}  // namespace

RuleStatus read_rules(Reader& r, size_t count, std::vector<Rule>& out) {
  out.clear();
  out.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    Rule x;
    if (const auto s = read_one(r, x); s != RuleStatus::kOk) return s;
    out.push_back(x);
  }
  return RuleStatus::kOk;
}

RuleStatus decode_rules(std::span<const uint8_t> in, std::vector<Rule>& out, size_t max_rules) {
  out.clear();
  Reader r(in);
  while (r.remaining() > 0) {
    if (out.size() == max_rules) return RuleStatus::kTooManyRules;
    Rule x;
    if (const auto s = read_one(r, x); s != RuleStatus::kOk) return s;
    out.push_back(x);
  }
  return RuleStatus::kOk;
}

void write_rules(Writer& w, std::span<const Rule> rules) {
  for (const Rule& r : rules) {
    w.u8(r.t);
    w.u8(rule_field_length(r.t));
    switch (r.type()) {
      case RuleType::kActionTee:
      case RuleType::kActionWatch:
      case RuleType::kActionRedirect:
        w.u64(r.address);
        w.u32(r.fwd_flags);
        w.u16(r.fwd_length);
        break;
      case RuleType::kMatchSourceZeroTierAddress:
      case RuleType::kMatchDestZeroTierAddress: w.u40(r.address); break;
      case RuleType::kMatchVlanId: w.u16(r.vlan_id); break;
      case RuleType::kMatchVlanPcp: w.u8(r.vlan_pcp); break;
      case RuleType::kMatchVlanDei: w.u8(r.vlan_dei); break;
      case RuleType::kMatchMacSource:
      case RuleType::kMatchMacDest: w.bytes(r.mac.data(), 6); break;
      case RuleType::kMatchIpv4Source:
      case RuleType::kMatchIpv4Dest:
        w.bytes(r.ip.data(), 4);
        w.u8(r.ip_mask);
        break;
      case RuleType::kMatchIpv6Source:
      case RuleType::kMatchIpv6Dest:
        w.bytes(r.ip.data(), 16);
        w.u8(r.ip_mask);
        break;
      case RuleType::kMatchIpTos:
        w.u8(r.tos_mask);
        w.u8(r.tos_range[0]);
        w.u8(r.tos_range[1]);
        break;
      case RuleType::kMatchIpProtocol: w.u8(r.ip_protocol); break;
      case RuleType::kMatchEthertype: w.u16(r.ethertype); break;
      case RuleType::kMatchIcmp:
        w.u8(r.icmp_type);
        w.u8(r.icmp_code);
        w.u8(r.icmp_flags);
        break;
      case RuleType::kMatchIpSourcePortRange:
      case RuleType::kMatchIpDestPortRange:
      case RuleType::kMatchFrameSizeRange:
        w.u16(r.range[0]);
        w.u16(r.range[1]);
        break;
      case RuleType::kMatchCharacteristics: w.u64(r.characteristics); break;
      case RuleType::kMatchRandom: w.u32(r.random_probability); break;
      case RuleType::kMatchTagsDifference:
      case RuleType::kMatchTagsBitwiseAnd:
      case RuleType::kMatchTagsBitwiseOr:
      case RuleType::kMatchTagsBitwiseXor:
      case RuleType::kMatchTagsEqual:
      case RuleType::kMatchTagSender:
      case RuleType::kMatchTagReceiver:
        w.u32(r.tag_id);
        w.u32(r.tag_value);
        break;
      case RuleType::kMatchIntegerRange:
        w.u64(r.int_start);
        w.u64(r.int_start + uint64_t(r.int_end));
        w.u16(r.int_index);
        w.u8(r.int_format);
        break;
      default: break;
    }
  }
}

}  // namespace flatnet::wire
