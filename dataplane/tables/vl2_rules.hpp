// A network's rules (spec §10.9) compiled for the gateway's fast path: a
// fixed array of fixed-size entries, built once by the tables' writer from
// wire::Rule (dataplane/wire/rules) and published immutable with the
// network's view, so a worker evaluates it (fastpath/vl2_rules.cpp) with no
// allocation and no pointer but the table's own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "dataplane/wire/rules.hpp"

namespace flatnet::tables::vl2 {

struct CompiledRule {
  uint8_t t = 0;            // wire type | NOT (0x80) | OR (0x40), as on the wire
  uint8_t ip_mask = 0;      // IPV4/6_SOURCE/DEST prefix bits
  uint8_t tos_mask = 0;     // IP_TOS
  uint8_t ip_protocol = 0;  // IP_PROTOCOL
  uint8_t icmp_type = 0, icmp_code = 0, icmp_flags = 0;
  uint8_t int_format = 0;   // INTEGER_RANGE
  uint16_t ethertype = 0;   // ETHERTYPE
  uint16_t range[2] = {};   // port range, frame size range, IP_TOS range (lo, hi)
  uint16_t int_index = 0;   // INTEGER_RANGE
  uint32_t u32 = 0;         // RANDOM probability, INTEGER_RANGE end
  uint64_t value = 0;       // ZeroTier address, MAC (48 bits, first byte high), characteristics, int start
  uint8_t ip[16] = {};      // IPv4 in the first 4 bytes
};
static_assert(sizeof(CompiledRule) == 48, "one compiled rule");

struct CompiledRules {
  static constexpr size_t kMax = wire::kNetworkMaxRules;
  uint32_t n = 0;
  // What a match the fast path cannot evaluate (tags, VLAN fields) yields:
  // the network's RULES_RESULT_OF_UNSUPPORTED_MATCH flag, as stock.
  bool unsupported_match = false;
  CompiledRule r[kMax];
};

// Compiles rules into *out; false if there are more than kMax.
bool compile_rules(std::span<const wire::Rule> rules, bool unsupported_match, CompiledRules* out);

}  // namespace flatnet::tables::vl2
