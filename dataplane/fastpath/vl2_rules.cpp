// A network's rules on the gateway's fast path: stock's _doZtFilter over the
// compiled base table, then, when it does not decide, over each capability
// (filterOutgoingPacket / filterIncomingPacket), with the semantics of
// control/vl2/rules_engine (docs/vl2-rules.md) -- tags, capabilities,
// TEE / WATCH / REDIRECT targets, INTEGER_RANGE and the VLAN matches of
// stock mode included. tests/unit/fastpath (vl2_rules_diff) drives both
// evaluators with the same tables and frames and wants the same verdicts.
// Nothing here allocates or locks: the tables and credentials are the
// writer's immutable objects, the frame is the worker's mbuf.
//
// SENDER_IP/MAC_AUTHENTICATED come from what control compiled into the
// credentials (tables/vl2_rules.hpp): inbound the sender's certificates of
// ownership plus the network's NDP-emulated prefixes (ours), outbound our
// own certificates, as stock's _doZtFilter and the member's CooOwnership.
// The mask is worked out at most once per frame, and only when a
// MATCH_CHARACTERISTICS rule asks for one of the two bits.
#include <algorithm>
#include <cstring>

#include "dataplane/fastpath/vl2.hpp"
#include "dataplane/tables/vl2_rules.hpp"

namespace flatnet::fastpath {

namespace {

using tables::vl2::CompiledCreds;
using tables::vl2::CompiledRule;
using wire::RuleType;

constexpr uint64_t kAddr40 = 0xffffffffffull;
constexpr uint64_t kCharInbound = 0x8000000000000000ull;
constexpr uint64_t kCharMulticast = 0x4000000000000000ull;
constexpr uint64_t kCharBroadcast = 0x2000000000000000ull;
constexpr uint64_t kCharSenderIp = 0x1000000000000000ull;
constexpr uint64_t kCharSenderMac = 0x0800000000000000ull;

inline uint16_t be16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }

// The upper-layer protocol and where its header starts: IPv4 from IHL (as
// stock, not checked against 20), IPv6 past hop-by-hop, routing,
// destination-options and mobility headers (each needs 8 bytes present).
struct Upper {
  bool ok = false;
  uint8_t protocol = 0;
  uint32_t offset = 0;
};

Upper upper_layer(const RuleFrame& f) {
  Upper u;
  const uint8_t* p = f.payload;
  const uint32_t n = f.payload_len;
  if (f.ethertype == 0x0800 && n >= 20) {
    u.ok = true;
    u.protocol = p[9];
    u.offset = uint32_t(p[0] & 0x0f) * 4;
  } else if (f.ethertype == 0x86dd && n >= 40) {
    uint32_t off = 40;
    uint8_t next = p[6];
    while (off <= n) {
      if (next == 0 || next == 43 || next == 60 || next == 135) {
        if (off + 8 > n) return u;
        next = p[off];
        off += uint32_t(p[off + 1]) * 8 + 8;
        continue;
      }
      u.ok = true;
      u.protocol = next;
      u.offset = off;
      return u;
    }
  }
  return u;
}

// Stock's IPv4 containsAddress: the top bits equal (over 32 means 32).
bool ipv4_contains(const CompiledRule& r, const uint8_t* a) {
  const unsigned bits = std::min<unsigned>(r.ip_mask, 32);
  if (bits == 0) return true;
  const uint32_t x = uint32_t(a[0]) << 24 | uint32_t(a[1]) << 16 | uint32_t(a[2]) << 8 | a[3];
  const uint32_t y = uint32_t(r.ip[0]) << 24 | uint32_t(r.ip[1]) << 16 | uint32_t(r.ip[2]) << 8 | r.ip[3];
  return (x >> (32 - bits)) == (y >> (32 - bits));
}

// Stock's IPv6 containsAddress masks the packet's address, not the rule's.
bool ipv6_contains(const CompiledRule& r, const uint8_t* a) {
  const unsigned bits = std::min<unsigned>(r.ip_mask, 128);
  for (unsigned i = 0; i < 16; ++i) {
    const unsigned have = bits > i * 8 ? std::min(bits - i * 8, 8u) : 0;
    const uint8_t m = have ? uint8_t(0xff << (8 - have)) : 0;
    if ((a[i] & m) != r.ip[i]) return false;
  }
  return true;
}

bool has_ports(uint8_t proto) { return proto == 6 || proto == 17 || proto == 132 || proto == 136; }

bool match_port(const CompiledRule& r, const RuleFrame& f, const Upper& u, bool dest) {
  if (!u.ok || !has_ports(u.protocol) || f.payload_len <= u.offset + 4) return false;
  const unsigned port = be16(f.payload + u.offset + (dest ? 2 : 0));
  if (f.ethertype == 0x86dd && port == 0) return false;  // stock's IPv6 branch wants a port
  return port >= r.range[0] && port <= r.range[1];
}

bool match_icmp(const CompiledRule& r, const RuleFrame& f, const Upper& u) {
  if (!u.ok) return false;
  const uint8_t want = f.ethertype == 0x0800 ? 1 : 58;
  if (u.protocol != want || f.payload_len < u.offset + 2) return false;
  if (f.payload[u.offset] != r.icmp_type) return false;
  return (r.icmp_flags & 1) == 0 || f.payload[u.offset + 1] == r.icmp_code;
}

bool match_tos(const CompiledRule& r, const RuleFrame& f) {
  const uint8_t* p = f.payload;
  uint8_t tos;
  if (f.ethertype == 0x0800 && f.payload_len >= 20) tos = p[1];
  else if (f.ethertype == 0x86dd && f.payload_len >= 40) tos = uint8_t(((p[0] << 4) & 0xf0) | (p[1] >> 4));
  else return false;
  tos &= r.tos_mask;
  return tos >= r.range[0] && tos <= r.range[1];
}

uint64_t tcp_flag_bits(const RuleFrame& f, const Upper& u) {
  if (!u.ok || u.protocol != 6) return 0;
  const uint32_t need = f.ethertype == 0x86dd ? u.offset + 14 : u.offset + 13;
  if (f.payload_len <= need) return 0;
  return uint64_t(f.payload[u.offset + 13]) | (uint64_t(f.payload[u.offset + 12] & 0x0f) << 8);
}

bool match_integer_range(const CompiledRule& r, const RuleFrame& f) {
  const uint8_t* p = f.payload;
  const unsigned bits = (r.int_format & 63) + 1;
  const unsigned bytes = (bits + 7) / 8;
  uint64_t v = 0;
  if ((r.int_format & 0x80) == 0) {  // big-endian, read from index + 8 - bytes as stock
    size_t idx = size_t(r.int_index) + (8 - bytes);
    const size_t end = idx + bytes;
    if (end <= f.payload_len)
      while (idx < end) v = (v << 8) | p[idx++];
    v &= ~0ull >> (64 - bits);
  } else {
    size_t idx = r.int_index;
    const size_t end = idx + bytes;
    if (end <= f.payload_len)
      while (idx < end) v = (v >> 8) | (uint64_t(p[idx++]) << 56);
    v >>= (64 - bits);
  }
  return v >= r.value && v <= r.value + uint64_t(r.u32);
}

// SENDER_IP/MAC_AUTHENTICATED, from the sender address stock picks: IPv4
// source, ARP sender protocol address, IPv6 source -- but a neighbor
// solicitation counts as authenticated (its source is unreliable) and a
// neighbor advertisement is judged by its target. Who owns: the sender's
// credentials inbound (and the NDP-emulated prefixes), ours outbound.
uint64_t ownership_bits(const RuleFrame& f) {
  const CompiledCreds* who = f.inbound ? f.remote : f.local;
  const uint8_t* p = f.payload;
  const uint32_t n = f.payload_len;
  uint64_t bits = 0;
  const uint8_t* src = nullptr;
  bool v6 = false;
  if (f.ethertype == 0x0800 && n >= 20) {
    src = p + 12;
  } else if (f.ethertype == 0x86dd && n >= 40) {
    v6 = true;
    if (n >= 40 + 8 + 16 && p[6] == 0x3a && (p[40] == 0x87 || p[40] == 0x88)) {
      if (p[40] == 0x87) bits |= kCharSenderIp;
      else src = p + 48;
    } else {
      src = p + 8;
    }
  } else if (f.ethertype == 0x0806 && n >= 28) {
    src = p + 14;
  }
  if (src) {
    bool owned;
    if (v6) {
      owned = (who && who->owns_ip6(src)) || (f.inbound && f.local && f.local->ndp_emulated(src));
    } else {
      const uint32_t a = uint32_t(src[0]) << 24 | uint32_t(src[1]) << 16 | uint32_t(src[2]) << 8 | src[3];
      owned = who && who->owns_ip4(a);
    }
    if (owned) bits |= kCharSenderIp;
  }
  if (who && who->owns_mac(f.mac_source)) bits |= kCharSenderMac;
  return bits;
}

// The ownership mask of one frame, shared by all its tables.
struct Owned {
  bool have = false;
  uint64_t bits = 0;
  uint64_t get(const RuleFrame& f) {
    if (!have) {
      bits = ownership_bits(f);
      have = true;
    }
    return bits;
  }
};

enum class Table : uint8_t { kNoMatch, kDrop, kRedirect, kAccept, kSuperAccept };

struct TableOut {
  Table result = Table::kNoMatch;
  uint64_t dest = 0;
  RuleCopy copy;
};

// One table (stock's _doZtFilter). dest: the peer outbound, us inbound.
TableOut eval_table(const RuleFrame& f, const CompiledRule* rules, uint32_t n, bool unsupported, uint64_t dest,
                    uint64_t* rnd, Owned* owned) {
  const bool inbound = f.inbound;
  const uint64_t self = f.self & kAddr40;
  const uint64_t source = (inbound ? f.peer : f.self) & kAddr40;
  const CompiledCreds* local = f.local ? f.local : &tables::vl2::kNoCreds;
  TableOut out;
  out.dest = dest & kAddr40;
  bool super_accept = false;  // we are the TEE/WATCH/REDIRECT target of a set not taken
  bool set = true;
  bool have_upper = false;
  Upper upper;
  auto up = [&]() -> const Upper& {
    if (!have_upper) {
      upper = upper_layer(f);
      have_upper = true;
    }
    return upper;
  };

  for (uint32_t i = 0; i < n; ++i) {
    const CompiledRule& r = rules[i];
    const uint8_t type = r.t & wire::kRuleTypeMask;
    const RuleType rt = RuleType(type);
    if (type <= wire::kRuleActionMaxId) {
      const bool forward = rt == RuleType::kActionTee || rt == RuleType::kActionWatch ||
                           rt == RuleType::kActionRedirect;
      if (!set) {
        if (inbound && forward && (r.value & kAddr40) == self) super_accept = true;
        set = true;
        continue;
      }
      switch (rt) {
        case RuleType::kActionPriority:
          out.result = Table::kAccept;
          return out;
        case RuleType::kActionDrop:
          out.result = Table::kDrop;
          return out;
        case RuleType::kActionAccept:
          out.result = super_accept ? Table::kSuperAccept : Table::kAccept;
          return out;
        case RuleType::kActionBreak:
          out.result = Table::kNoMatch;
          return out;
        default: break;
      }
      if (forward) {
        const uint64_t to = r.value & kAddr40;
        if (to == source) {
          // The sender is the target already.
        } else if (to == self) {
          if (inbound) {
            out.result = Table::kSuperAccept;
            return out;
          }
        } else if (to == out.dest) {
          // The destination is the target already.
        } else if (rt == RuleType::kActionRedirect) {
          out.dest = to;
          out.result = Table::kRedirect;
          return out;
        } else {
          out.copy.to = to;  // the last one taken wins, as stock
          out.copy.len = r.range[0] ? std::min<uint32_t>(r.range[0], f.payload_len) : f.payload_len;
          out.copy.watch = rt == RuleType::kActionWatch;
        }
      }
      continue;  // TEE / WATCH go on; unknown actions are no-ops
    }

    const bool is_or = (r.t & wire::kRuleOr) != 0;
    if (!set && !is_or) continue;  // an AND onto false cannot matter
    bool m = false;
    const uint8_t* p = f.payload;
    switch (rt) {
      case RuleType::kMatchSourceZeroTierAddress: m = r.value == source; break;
      case RuleType::kMatchDestZeroTierAddress: m = r.value == out.dest; break;
      // Stock mode: the frame's VLAN fields are 0 (the tap gives the outer ethertype).
      case RuleType::kMatchVlanId:
      case RuleType::kMatchVlanPcp:
      case RuleType::kMatchVlanDei: m = r.range[0] == 0; break;
      case RuleType::kMatchMacSource: m = r.value == f.mac_source; break;
      case RuleType::kMatchMacDest: m = r.value == f.mac_dest; break;
      case RuleType::kMatchIpv4Source: m = f.ethertype == 0x0800 && f.payload_len >= 20 && ipv4_contains(r, p + 12); break;
      case RuleType::kMatchIpv4Dest: m = f.ethertype == 0x0800 && f.payload_len >= 20 && ipv4_contains(r, p + 16); break;
      case RuleType::kMatchIpv6Source: m = f.ethertype == 0x86dd && f.payload_len >= 40 && ipv6_contains(r, p + 8); break;
      case RuleType::kMatchIpv6Dest: m = f.ethertype == 0x86dd && f.payload_len >= 40 && ipv6_contains(r, p + 24); break;
      case RuleType::kMatchIpTos: m = match_tos(r, f); break;
      case RuleType::kMatchIpProtocol: m = up().ok && upper.protocol == r.ip_protocol; break;
      case RuleType::kMatchEthertype: m = r.ethertype == f.ethertype; break;
      case RuleType::kMatchIcmp: m = match_icmp(r, f, up()); break;
      case RuleType::kMatchIpSourcePortRange: m = match_port(r, f, up(), false); break;
      case RuleType::kMatchIpDestPortRange: m = match_port(r, f, up(), true); break;
      case RuleType::kMatchCharacteristics: {
        uint64_t c = inbound ? kCharInbound : 0;
        if ((f.mac_dest >> 40) & 1) c |= kCharMulticast;
        if (f.mac_dest == 0xffffffffffffull) c |= kCharBroadcast;
        c |= tcp_flag_bits(f, up());
        // Ownership only changes the outcome when the rule asks for it.
        if (r.value & (kCharSenderIp | kCharSenderMac)) c |= owned->get(f);
        m = (c & r.value) != 0;
        break;
      }
      case RuleType::kMatchFrameSizeRange: m = f.payload_len >= r.range[0] && f.payload_len <= r.range[1]; break;
      case RuleType::kMatchRandom: {
        // xorshift64*, one draw per evaluated rule as stock draws one
        // (the same generator as rules_engine's SeededRandom).
        uint64_t x = *rnd;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        *rnd = x;
        m = uint32_t((x * 0x2545f4914f6cdd1dull) >> 32) <= r.u32;
        break;
      }
      case RuleType::kMatchTagsDifference:
      case RuleType::kMatchTagsBitwiseAnd:
      case RuleType::kMatchTagsBitwiseOr:
      case RuleType::kMatchTagsBitwiseXor:
      case RuleType::kMatchTagsEqual: {
        const uint32_t* l = local->tag(r.u32);
        if (!l) break;  // no match without our own tag
        const uint32_t* rv = f.remote ? f.remote->tag(r.u32) : nullptr;
        if (!rv) {
          // Outbound the recipient filters on its side; a forwarding target is lenient.
          m = !inbound || super_accept;
          break;
        }
        const uint32_t a = *l, b = *rv, want = uint32_t(r.value);
        switch (rt) {
          case RuleType::kMatchTagsDifference: m = (a > b ? a - b : b - a) <= want; break;
          case RuleType::kMatchTagsBitwiseAnd: m = (a & b) == want; break;
          case RuleType::kMatchTagsBitwiseOr: m = (a | b) == want; break;
          case RuleType::kMatchTagsBitwiseXor: m = (a ^ b) == want; break;
          default: m = a == want && b == want; break;
        }
        break;
      }
      case RuleType::kMatchTagSender:
      case RuleType::kMatchTagReceiver: {
        const bool remote_side = (rt == RuleType::kMatchTagSender) == inbound;
        if (super_accept) {
          m = true;
        } else if (remote_side) {
          const uint32_t* rv = f.remote ? f.remote->tag(r.u32) : nullptr;
          m = rv ? *rv == uint32_t(r.value) : rt == RuleType::kMatchTagReceiver;
        } else {
          const uint32_t* l = local->tag(r.u32);
          m = l && *l == uint32_t(r.value);
        }
        break;
      }
      case RuleType::kMatchIntegerRange: m = match_integer_range(r, f); break;
      default: m = unsupported; break;
    }
    const bool v = m != ((r.t & wire::kRuleNot) != 0);
    set = is_or ? (set || v) : (set && v);
  }
  return out;
}

}  // namespace

const CompiledCreds* rules_remote(const tables::vl2::Vl2Tables& t, const tables::vl2::NetworkView& net,
                                  uint64_t peer, bool inbound) {
  if (peer == 0) return nullptr;
  const bool tags = (net.rules && net.rules->uses_tags) || (net.own && net.own->uses_tags);
  const bool any = t.creds_in(net.slot) != 0;
  // Nothing reads a peer's tags, capabilities or owned addresses: none and
  // no member are alike. Outbound only the tag matches read the recipient's
  // (the capabilities and certificates of ownership asked are ours) -- most
  // members hold a COO of their addresses, so `any` is nearly always true.
  if (!net.rules || (!tags && (!any || !inbound))) return &tables::vl2::kNoCreds;
  // Inbound the sender is a member (decap's gate admitted it).
  if (!any) return inbound || t.member(net.slot, peer) ? &tables::vl2::kNoCreds : nullptr;
  if (!inbound && !t.member(net.slot, peer)) return nullptr;
  const CompiledCreds* c = t.creds(net.slot, peer);
  return c ? c : &tables::vl2::kNoCreds;
}

RuleResult rules_evaluate(const tables::vl2::CompiledRules* rules, const RuleFrame& f, uint64_t* rnd) {
  RuleResult res;
  if (!rules) {  // none installed yet: control has not sent the network's
    res.verdict = RuleVerdict::kAccept;
    return res;
  }
  const uint64_t dest = (f.inbound ? f.self : f.peer) & kAddr40;
  Owned owned;
  const TableOut b = eval_table(f, rules->r, rules->n, rules->unsupported_match, dest, rnd, &owned);
  TableOut accepted;
  switch (b.result) {
    case Table::kDrop: return res;
    case Table::kNoMatch: {
      // Outbound our own capabilities, inbound the sender's; the first that
      // accepts (or redirects) wins, a DROP only ends its own capability.
      const CompiledCreds* holder = f.inbound ? f.remote : f.local;
      const uint32_t nc = holder ? holder->n_caps : 0;
      for (uint32_t i = 0; i < nc; ++i) {
        const tables::vl2::CompiledCap& cap = holder->caps[i];
        const TableOut c = eval_table(f, cap.r, cap.n, rules->unsupported_match, dest, rnd, &owned);
        if (c.result == Table::kNoMatch || c.result == Table::kDrop) continue;
        res.capability = int(i);
        res.cap_copy = c.copy;
        accepted = c;
        break;
      }
      if (res.capability < 0) return res;
      break;
    }
    default: accepted = b; break;
  }
  res.copy = b.copy;
  if (accepted.dest != dest && accepted.dest != 0) {
    res.verdict = RuleVerdict::kRedirect;
    res.redirect_to = accepted.dest;
  } else if (f.inbound && accepted.result == Table::kSuperAccept) {
    res.verdict = RuleVerdict::kSuperAccept;
  } else {
    res.verdict = RuleVerdict::kAccept;
  }
  return res;
}

}  // namespace flatnet::fastpath
