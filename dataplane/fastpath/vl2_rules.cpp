// The network's base rule table on the gateway's fast path (stock's
// _doZtFilter over the "R" rules, docs/vl2-rules.md), evaluated on a
// compiled table (tables/vl2_rules.hpp) without allocation. What the fast
// path does not do (stated in docs/dataplane.md "VL2 gateway"):
// capabilities and tags (a tag match yields the network's
// unsupported-match result; "no match" is a drop, since there is no
// capability to ask), TEE / WATCH copies (not sent), REDIRECT (dropped),
// INTEGER_RANGE (unsupported-match result), the sender-authenticated
// characteristics (never set).
#include <cstring>

#include "dataplane/fastpath/vl2.hpp"
#include "dataplane/tables/vl2_rules.hpp"

namespace flatnet::fastpath {

namespace {

using tables::vl2::CompiledRule;
using wire::RuleType;

constexpr uint64_t kCharInbound = 0x8000000000000000ull;
constexpr uint64_t kCharMulticast = 0x4000000000000000ull;
constexpr uint64_t kCharBroadcast = 0x2000000000000000ull;

// What the matches read, parsed once per frame and only as far as needed.
struct L3 {
  bool parsed = false;
  bool v4 = false, v6 = false;
  const uint8_t* src = nullptr;
  const uint8_t* dst = nullptr;
  uint8_t tos = 0;
  int proto = -1;      // upper protocol, -1 unknown
  const uint8_t* l4 = nullptr;
  uint32_t l4_len = 0;
};

void parse_l3(const RuleFrame& f, L3& l) {
  l.parsed = true;
  const uint8_t* p = f.payload;
  if (f.ethertype == 0x0800 && f.payload_len >= 20) {
    l.v4 = true;
    l.src = p + 12;
    l.dst = p + 16;
    l.tos = p[1];
    l.proto = p[9];
    const uint32_t ihl = uint32_t(p[0] & 0x0f) * 4;
    if (ihl >= 20 && ihl <= f.payload_len) {
      l.l4 = p + ihl;
      l.l4_len = f.payload_len - ihl;
    }
  } else if (f.ethertype == 0x86dd && f.payload_len >= 40) {
    l.v6 = true;
    l.src = p + 8;
    l.dst = p + 24;
    l.tos = uint8_t((p[0] & 0x0f) << 4 | p[1] >> 4);
    // The upper protocol past hop-by-hop, routing, destination options and mobility headers.
    uint32_t off = 40;
    int nh = p[6];
    for (int guard = 0; guard < 8 && (nh == 0 || nh == 43 || nh == 60 || nh == 135); ++guard) {
      if (off + 8 > f.payload_len) {
        nh = -1;
        break;
      }
      nh = p[off];
      off += (uint32_t(p[off + 1]) + 1) * 8;
    }
    l.proto = nh;
    if (nh >= 0 && off <= f.payload_len) {
      l.l4 = p + off;
      l.l4_len = f.payload_len - off;
    }
  }
}

bool prefix_eq(const uint8_t* a, const uint8_t* rule, unsigned bits, unsigned max_bits) {
  if (bits > max_bits) bits = max_bits;
  const unsigned whole = bits / 8, rest = bits % 8;
  if (std::memcmp(a, rule, whole) != 0) return false;
  if (rest == 0) return true;
  const uint8_t m = uint8_t(0xff << (8 - rest));
  return (a[whole] & m) == (rule[whole] & m);
}

bool match(const CompiledRule& r, const RuleFrame& f, L3& l, uint64_t* rnd) {
  auto up = [&]() -> L3& {
    if (!l.parsed) parse_l3(f, l);
    return l;
  };
  switch (RuleType(r.t & wire::kRuleTypeMask)) {
    case RuleType::kMatchSourceZeroTierAddress: return (r.value & 0xffffffffffull) == f.zt_source;
    case RuleType::kMatchDestZeroTierAddress: return (r.value & 0xffffffffffull) == f.zt_dest;
    case RuleType::kMatchMacSource: return r.value == f.mac_source;
    case RuleType::kMatchMacDest: return r.value == f.mac_dest;
    case RuleType::kMatchIpv4Source: return up().v4 && prefix_eq(l.src, r.ip, r.ip_mask, 32);
    case RuleType::kMatchIpv4Dest: return up().v4 && prefix_eq(l.dst, r.ip, r.ip_mask, 32);
    case RuleType::kMatchIpv6Source: return up().v6 && prefix_eq(l.src, r.ip, r.ip_mask, 128);
    case RuleType::kMatchIpv6Dest: return up().v6 && prefix_eq(l.dst, r.ip, r.ip_mask, 128);
    case RuleType::kMatchIpTos: {
      if (!up().v4 && !l.v6) return false;
      const uint8_t t = l.tos & r.tos_mask;
      return t >= r.range[0] && t <= r.range[1];
    }
    case RuleType::kMatchIpProtocol: return (up().v4 || l.v6) && l.proto == r.ip_protocol;
    case RuleType::kMatchEthertype: return r.ethertype == f.ethertype;
    case RuleType::kMatchIcmp: {
      if (!(up().v4 && l.proto == 1) && !(l.v6 && l.proto == 58)) return false;
      if (!l.l4 || l.l4_len < 2 || l.l4[0] != r.icmp_type) return false;
      return !(r.icmp_flags & 1) || l.l4[1] == r.icmp_code;
    }
    case RuleType::kMatchIpSourcePortRange:
    case RuleType::kMatchIpDestPortRange: {
      up();
      if (!(l.v4 || l.v6) || !l.l4 || l.l4_len < 4) return false;
      if (l.proto != 6 && l.proto != 17 && l.proto != 132 && l.proto != 136) return false;
      const uint8_t* q = l.l4 + ((RuleType(r.t & wire::kRuleTypeMask) == RuleType::kMatchIpDestPortRange) ? 2 : 0);
      const uint16_t port = uint16_t(q[0] << 8 | q[1]);
      if (l.v6 && port == 0) return false;
      return port >= r.range[0] && port <= r.range[1];
    }
    case RuleType::kMatchCharacteristics: {
      uint64_t c = f.inbound ? kCharInbound : 0;
      if ((f.mac_dest >> 40) & 1) c |= kCharMulticast;
      if (f.mac_dest == 0xffffffffffffull) c |= kCharBroadcast;
      if (up().proto == 6 && l.l4 && l.l4_len >= 14) c |= uint64_t(l.l4[12] & 0x0f) << 8 | l.l4[13];
      return (c & r.value) != 0;
    }
    case RuleType::kMatchFrameSizeRange: return f.payload_len >= r.range[0] && f.payload_len <= r.range[1];
    case RuleType::kMatchRandom: {
      // xorshift64*: one draw per evaluated rule, as stock draws one.
      uint64_t x = *rnd;
      x ^= x >> 12;
      x ^= x << 25;
      x ^= x >> 27;
      *rnd = x;
      return uint32_t((x * 0x2545f4914f6cdd1dull) >> 32) <= r.u32;
    }
    default: return f.unsupported_match;
  }
}

}  // namespace

RuleVerdict rules_evaluate(const tables::vl2::CompiledRules* rules, const RuleFrame& f, uint64_t* rnd) {
  if (!rules) return RuleVerdict::kAccept;  // none installed yet: control has not sent the network's
  RuleFrame fr = f;
  fr.unsupported_match = rules->unsupported_match;
  L3 l;
  bool set = true;
  for (uint32_t i = 0; i < rules->n; ++i) {
    const CompiledRule& r = rules->r[i];
    const uint8_t type = r.t & wire::kRuleTypeMask;
    if (type <= wire::kRuleActionMaxId) {
      if (set) {
        switch (RuleType(type)) {
          case RuleType::kActionDrop: return RuleVerdict::kDrop;
          case RuleType::kActionAccept:
          case RuleType::kActionPriority: return RuleVerdict::kAccept;
          case RuleType::kActionBreak: return RuleVerdict::kNoMatch;
          case RuleType::kActionRedirect: return RuleVerdict::kUnsupported;
          default: break;  // TEE / WATCH (copies not sent), unknown actions: no-ops
        }
      }
      set = true;
      continue;
    }
    const bool is_or = r.t & wire::kRuleOr;
    if (!is_or && !set) continue;  // an AND onto false cannot matter
    const bool m = match(r, fr, l, rnd) != ((r.t & wire::kRuleNot) != 0);
    set = is_or ? (set || m) : (set && m);
  }
  return RuleVerdict::kNoMatch;
}

}  // namespace flatnet::fastpath
