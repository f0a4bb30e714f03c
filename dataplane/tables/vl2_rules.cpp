#include "dataplane/tables/vl2_rules.hpp"

#include <cstring>

namespace flatnet::tables::vl2 {

bool compile_rules(std::span<const wire::Rule> rules, bool unsupported_match, CompiledRules* out) {
  if (rules.size() > CompiledRules::kMax) return false;
  out->n = 0;
  out->unsupported_match = unsupported_match;
  for (const wire::Rule& w : rules) {
    CompiledRule c;
    c.t = w.t;
    c.ip_mask = w.ip_mask;
    c.tos_mask = w.tos_mask;
    c.ip_protocol = w.ip_protocol;
    c.icmp_type = w.icmp_type;
    c.icmp_code = w.icmp_code;
    c.icmp_flags = w.icmp_flags;
    c.int_format = w.int_format;
    c.ethertype = w.ethertype;
    c.int_index = w.int_index;
    std::memcpy(c.ip, w.ip.data(), 16);
    switch (w.type()) {
      case wire::RuleType::kMatchMacSource:
      case wire::RuleType::kMatchMacDest:
        for (uint8_t b : w.mac) c.value = c.value << 8 | b;
        break;
      case wire::RuleType::kMatchCharacteristics: c.value = w.characteristics; break;
      case wire::RuleType::kMatchIntegerRange:
        c.value = w.int_start;
        c.u32 = w.int_end;
        break;
      case wire::RuleType::kMatchRandom: c.u32 = w.random_probability; break;
      case wire::RuleType::kMatchIpTos:
        c.range[0] = w.tos_range[0];
        c.range[1] = w.tos_range[1];
        break;
      case wire::RuleType::kMatchIpSourcePortRange:
      case wire::RuleType::kMatchIpDestPortRange:
      case wire::RuleType::kMatchFrameSizeRange:
        c.range[0] = w.range[0];
        c.range[1] = w.range[1];
        break;
      default: c.value = w.address; break;
    }
    out->r[out->n++] = c;
  }
  return true;
}

}  // namespace flatnet::tables::vl2
