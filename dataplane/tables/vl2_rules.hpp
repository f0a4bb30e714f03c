// A network's rules (spec §10.9) compiled for the gateway's fast path: a
// fixed array of fixed-size entries, built once by the tables' writer from
// wire::Rule (dataplane/wire/rules) and published immutable with the
// network's view, so a worker evaluates it (fastpath/vl2_rules.cpp) with no
// allocation and no pointer but the table's own.
//
// Beside the base table: a member's credentials (CompiledCreds) -- its tags
// and capabilities (each a compiled table of at most 64 rules), the
// gateway's own published with the network's view, a peer's in a hash of
// its own (vl2_tables.hpp). Control sends them as one blob in CREDS_CHUNK
// commands (docs/ipc-abi.md "VL2 commands"); decode_creds below is its
// parser, ipc::vl2::creds() its writer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "dataplane/ipc/abi.h"
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
  // Port range, frame size range, IP_TOS range (lo, hi); VLAN_ID / PCP /
  // DEI in range[0]; TEE/WATCH length in range[0].
  uint16_t range[2] = {};
  uint16_t int_index = 0;   // INTEGER_RANGE
  // RANDOM probability, INTEGER_RANGE end, TAGS_* / TAG_* tag id,
  // TEE/WATCH/REDIRECT flags.
  uint32_t u32 = 0;
  // ZeroTier address (as on the wire, all 64 bits), MAC (48 bits, first byte
  // high), characteristics, INTEGER_RANGE start, TAGS_* / TAG_* value,
  // TEE/WATCH/REDIRECT target.
  uint64_t value = 0;
  uint8_t ip[16] = {};      // IPv4 in the first 4 bytes
};
static_assert(sizeof(CompiledRule) == 48, "one compiled rule");

struct CompiledRules {
  static constexpr size_t kMax = wire::kNetworkMaxRules;
  uint32_t n = 0;
  // What a match type the evaluator does not know yields: the network's
  // RULES_RESULT_OF_UNSUPPORTED_MATCH flag, as stock.
  bool unsupported_match = false;
  bool uses_tags = false;  // a TAGS_* / TAG_* match: the peer's credentials are needed
  CompiledRule r[kMax];
};

// Compiles rules into *out; false if there are more than kMax.
bool compile_rules(std::span<const wire::Rule> rules, bool unsupported_match, CompiledRules* out);

// One tag (id, value) as the rules compare them.
struct CompiledTag {
  uint32_t id = 0;
  uint32_t value = 0;
};

// One capability: its id and its rules (stock's Capability).
struct CompiledCap {
  uint32_t id = 0;
  uint32_t n = 0;
  CompiledRule r[wire::kCapabilityMaxRules];
};

// One IPv6 address as two big-endian halves, so that the order of the
// pairs is the order of the bytes.
struct CompiledIp6 {
  uint64_t hi = 0, lo = 0;
  auto operator<=>(const CompiledIp6&) const = default;
};

// A member's credentials as the rules use them: its valid tags, sorted by
// id, its valid capabilities in the order the filter asks them (ours: the
// config's order; a peer's: by id, as stock's membership iterates), and
// what its valid certificates of ownership say it owns (ours: the
// config's), for the SENDER_IP/MAC_AUTHENTICATED characteristics -- sorted
// arrays sized once by the writer, searched by halves on the fast path.
// Immutable once published.
struct CompiledCreds {
  static constexpr uint32_t kMaxTags = 64;  // stock allows 128 per config; a gateway bound
  static constexpr uint32_t kMaxCaps = 32;
  // Stock bounds a member only by its COOs (16 things each); a gateway
  // bound, per kind (FLATNET_IPC_VL2_CREDS_MAX_OWNED).
  static constexpr uint32_t kMaxOwned = FLATNET_IPC_VL2_CREDS_MAX_OWNED;  // the ABI's bound
  static constexpr uint8_t kNdp6plane = 1, kNdpRfc4193 = 2;
  uint32_t n_tags = 0;
  uint32_t n_caps = 0;
  bool uses_tags = false;  // a capability has a TAGS_* / TAG_* match
  CompiledTag tags[kMaxTags];
  std::unique_ptr<CompiledCap[]> caps;  // n_caps entries
  uint32_t n_ips4 = 0, n_ips6 = 0, n_macs = 0;
  std::unique_ptr<uint32_t[]> ips4;     // host order, ascending
  std::unique_ptr<CompiledIp6[]> ips6;  // ascending
  std::unique_ptr<uint64_t[]> macs;     // low 48 bits, ascending
  // Ours only: the network's NDP-emulated prefixes (kNdp* bits say which).
  uint8_t ndp = 0;
  uint8_t ndp_6plane[5] = {};
  uint8_t ndp_rfc4193[11] = {};

  bool owns_ip4(uint32_t a) const { return sorted_has(ips4.get(), n_ips4, a); }
  bool owns_ip6(const uint8_t* a) const {
    CompiledIp6 v;
    for (int i = 0; i < 8; ++i) v.hi = v.hi << 8 | a[i];
    for (int i = 8; i < 16; ++i) v.lo = v.lo << 8 | a[i];
    return sorted_has(ips6.get(), n_ips6, v);
  }
  bool owns_mac(uint64_t mac) const { return sorted_has(macs.get(), n_macs, mac); }
  // Whether an IPv6 sender address is in a prefix the network emulates
  // NDP for (any member's: stock does not compare the embedded address).
  bool ndp_emulated(const uint8_t* a) const {
    auto prefixed = [a](const uint8_t* p, unsigned n) {
      for (unsigned i = 0; i < n; ++i)
        if (a[i] != p[i]) return false;
      return true;
    };
    return ((ndp & kNdp6plane) && prefixed(ndp_6plane, 5)) || ((ndp & kNdpRfc4193) && prefixed(ndp_rfc4193, 11));
  }
  // The value of tag `id`, or nullptr.
  const uint32_t* tag(uint32_t id) const {
    uint32_t lo = 0, hi = n_tags;
    while (lo < hi) {
      const uint32_t mid = (lo + hi) / 2;
      if (tags[mid].id < id) lo = mid + 1;
      else hi = mid;
    }
    return lo < n_tags && tags[lo].id == id ? &tags[lo].value : nullptr;
  }

 private:
  template <class T>
  static bool sorted_has(const T* v, uint32_t n, const T& x) {
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
      const uint32_t mid = (lo + hi) / 2;
      if (v[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo < n && v[lo] == x;
  }
};

// What a member without tags or capabilities holds: a known member, as
// opposed to none (nullptr), which matters to the tag matches.
extern const CompiledCreds kNoCreds;

// The credentials blob of CREDS_CHUNK (big-endian):
//   u16 n_tags, n_tags x (u32 id, u32 value)   ids ascending, unique
//   u16 n_caps, n_caps x (u32 id, u16 bytes, rules in the §10.9 form)
//   and, optionally (absent: owns nothing):
//   u16 n, n x IPv4 (4 bytes)    each list ascending, unique, <= kMaxOwned
//   u16 n, n x IPv6 (16 bytes)
//   u16 n, n x MAC (6 bytes)
//   u8 ndp (kNdp* bits; others 0), then the 5-byte 6PLANE prefix and the
//   11-byte RFC4193 prefix whose bits are set
// Decoded and compiled into *out; false if malformed or over the bounds.
bool decode_creds(std::span<const uint8_t> blob, CompiledCreds* out);

}  // namespace flatnet::tables::vl2
