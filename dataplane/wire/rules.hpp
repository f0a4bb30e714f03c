// The rule table binary format of spec §10.9 (stock Capability::
// serializeRules / deserializeRules): the base rules of a network config
// (dictionary key "R") and the rules inside each capability. Codec only;
// the evaluator is control/vl2/rules_engine.
//
// Each entry is u8 t, u8 len, len bytes. t = type (low 6 bits) | 0x80 NOT |
// 0x40 OR. Unknown types are kept with their t and re-encoded with length
// 0, as stock does; known types with a longer length have the excess
// skipped. A known type whose length is too short is refused (stock would
// read the next entry's bytes as its fields).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "dataplane/wire/bytes.hpp"

namespace flatnet::wire {

enum class RuleType : uint8_t {
  kActionDrop = 0,
  kActionAccept = 1,
  kActionTee = 2,
  kActionWatch = 3,
  kActionRedirect = 4,
  kActionBreak = 5,
  kActionPriority = 6,
  kMatchSourceZeroTierAddress = 24,
  kMatchDestZeroTierAddress = 25,
  kMatchVlanId = 26,
  kMatchVlanPcp = 27,
  kMatchVlanDei = 28,
  kMatchMacSource = 29,
  kMatchMacDest = 30,
  kMatchIpv4Source = 31,
  kMatchIpv4Dest = 32,
  kMatchIpv6Source = 33,
  kMatchIpv6Dest = 34,
  kMatchIpTos = 35,
  kMatchIpProtocol = 36,
  kMatchEthertype = 37,
  kMatchIcmp = 38,
  kMatchIpSourcePortRange = 39,
  kMatchIpDestPortRange = 40,
  kMatchCharacteristics = 41,
  kMatchFrameSizeRange = 42,
  kMatchRandom = 43,
  kMatchTagsDifference = 44,
  kMatchTagsBitwiseAnd = 45,
  kMatchTagsBitwiseOr = 46,
  kMatchTagsBitwiseXor = 47,
  kMatchTagsEqual = 48,
  kMatchTagSender = 49,
  kMatchTagReceiver = 50,
  kMatchIntegerRange = 51,
};

inline constexpr uint8_t kRuleNot = 0x80;
inline constexpr uint8_t kRuleOr = 0x40;
inline constexpr uint8_t kRuleTypeMask = 0x3f;
inline constexpr uint8_t kRuleActionMaxId = 15;  // types <= 15 are actions

inline constexpr size_t kNetworkMaxRules = 1024;    // ZT_MAX_NETWORK_RULES
inline constexpr size_t kCapabilityMaxRules = 64;   // ZT_MAX_CAPABILITY_RULES

// One rule. Only the fields of its type are meaningful; the rest stay zero
// so that == compares what is on the wire.
struct Rule {
  uint8_t t = 0;  // type | kRuleNot | kRuleOr

  uint64_t address = 0;     // TEE/WATCH/REDIRECT target (u64), ZT address matches (40 bits)
  uint32_t fwd_flags = 0;   // TEE/WATCH/REDIRECT
  uint16_t fwd_length = 0;  // TEE/WATCH: bytes to copy
  uint16_t vlan_id = 0;
  uint8_t vlan_pcp = 0, vlan_dei = 0;
  std::array<uint8_t, 6> mac{};
  std::array<uint8_t, 16> ip{};  // IPv4 in the first 4 bytes
  uint8_t ip_mask = 0;           // prefix bits
  uint8_t tos_mask = 0;
  std::array<uint8_t, 2> tos_range{};
  uint8_t ip_protocol = 0;
  uint16_t ethertype = 0;
  uint8_t icmp_type = 0, icmp_code = 0, icmp_flags = 0;
  std::array<uint16_t, 2> range{};  // port range or frame size range
  uint64_t characteristics = 0;
  uint32_t random_probability = 0;
  uint32_t tag_id = 0, tag_value = 0;
  uint64_t int_start = 0;
  uint32_t int_end = 0;  // stored as start + end (u64) on the wire
  uint16_t int_index = 0;
  uint8_t int_format = 0;

  RuleType type() const { return RuleType(t & kRuleTypeMask); }
  bool is_action() const { return (t & kRuleTypeMask) <= kRuleActionMaxId; }
  bool operator==(const Rule&) const = default;

  static Rule action(RuleType a) {
    Rule r;
    r.t = uint8_t(a);
    return r;
  }
};

enum class RuleStatus : uint8_t {
  kOk = 0,
  kTruncated,     // entry header or body past the end
  kBadLength,     // a known type with fewer bytes than its fields
  kTooManyRules,  // over the caller's maximum
};
const char* to_string(RuleStatus s);

// The number of field bytes stock writes for a rule type (0 for unknown).
uint8_t rule_field_length(uint8_t t);

// Reads exactly `count` entries from r.
RuleStatus read_rules(Reader& r, size_t count, std::vector<Rule>& out);
// Reads entries until the end of `in` (the "R" key form: no count),
// refusing more than max_rules.
RuleStatus decode_rules(std::span<const uint8_t> in, std::vector<Rule>& out,
                        size_t max_rules = kNetworkMaxRules);
// Appends the entries (no count).
void write_rules(Writer& w, std::span<const Rule> rules);

}  // namespace flatnet::wire
