#include "control/vl2/rules_engine.hpp"

#include <algorithm>

namespace flatnet::vl2 {

using wire::Rule;
using wire::RuleType;

namespace {

constexpr uint64_t kAddressMask = 0xffffffffffULL;  // ZeroTier addresses are 40 bits

// A big-endian u16 at `off`; callers check that off + 2 is in the payload.
inline uint16_t be16(std::span<const uint8_t> p, size_t off) {
  return uint16_t((p[off] << 8) | p[off + 1]);
}

// Stock's InetAddress::containsAddress for IPv4: the top `bits` bits equal.
// Stock shifts by 32 - bits, undefined past 32; here past 32 means all 32.
bool ipv4_contains(const Rule& r, std::span<const uint8_t> addr) {
  const unsigned bits = std::min<unsigned>(r.ip_mask, 32);
  if (bits == 0) return true;
  const uint32_t a = uint32_t(addr[0]) << 24 | uint32_t(addr[1]) << 16 | uint32_t(addr[2]) << 8 | addr[3];
  const uint32_t b = uint32_t(r.ip[0]) << 24 | uint32_t(r.ip[1]) << 16 | uint32_t(r.ip[2]) << 8 | r.ip[3];
  return (a >> (32 - bits)) == (b >> (32 - bits));
}

// Stock's IPv6 containsAddress masks the packet's address but not the
// rule's, so a rule address with bits set past its prefix never matches.
bool ipv6_contains(const Rule& r, std::span<const uint8_t> addr) {
  const unsigned bits = std::min<unsigned>(r.ip_mask, 128);
  for (unsigned i = 0; i < 16; ++i) {
    const unsigned have = bits > i * 8 ? std::min(bits - i * 8, 8u) : 0;
    const uint8_t m = have ? uint8_t(0xff << (8 - have)) : 0;
    if ((addr[i] & m) != r.ip[i]) return false;
  }
  return true;
}

// The upper-layer protocol and where its header starts, for IPv4 (fixed
// header length from IHL) and IPv6 (extension headers walked).
struct Upper {
  bool ok = false;
  uint8_t protocol = 0;
  uint32_t offset = 0;
};

Upper upper_layer(const FrameView& f) {
  Upper u;
  const auto p = f.payload;
  if (f.ethertype == kEthertypeIpv4 && p.size() >= 20) {
    u.ok = true;
    u.protocol = p[9];
    u.offset = uint32_t(p[0] & 0x0f) * 4;
  } else if (f.ethertype == kEthertypeIpv6) {
    u.ok = ipv6_upper_layer(p, u.offset, u.protocol);
  }
  return u;
}

bool has_ports(uint8_t proto) {
  // TCP, UDP, SCTP and UDP-Lite all start with source and dest port.
  return proto == 0x06 || proto == 0x11 || proto == 0x84 || proto == 0x88;
}

bool match_port(const Rule& r, const FrameView& f, const Upper& u, bool dest) {
  const auto p = f.payload;
  if (!u.ok || !has_ports(u.protocol) || p.size() <= size_t(u.offset) + 4) return false;
  const int port = be16(p, u.offset + (dest ? 2 : 0));
  // Stock's IPv6 branch requires a port above 0; its IPv4 branch takes 0.
  if (f.ethertype == kEthertypeIpv6 && port == 0) return false;
  return port >= r.range[0] && port <= r.range[1];
}

bool match_icmp(const Rule& r, const FrameView& f, const Upper& u) {
  const auto p = f.payload;
  if (!u.ok) return false;
  const uint8_t want = f.ethertype == kEthertypeIpv4 ? 0x01 : 0x3a;
  if (u.protocol != want || p.size() < size_t(u.offset) + 2) return false;
  if (p[u.offset] != r.icmp_type) return false;
  // Flag bit 0: the code must match too.
  return (r.icmp_flags & 0x01) == 0 || p[u.offset + 1] == r.icmp_code;
}

bool match_tos(const Rule& r, const FrameView& f) {
  const auto p = f.payload;
  uint8_t tos;
  if (f.ethertype == kEthertypeIpv4 && p.size() >= 20) {
    tos = p[1];
  } else if (f.ethertype == kEthertypeIpv6 && p.size() >= 40) {
    tos = uint8_t(((p[0] << 4) & 0xf0) | ((p[1] >> 4) & 0x0f));  // traffic class
  } else {
    return false;
  }
  tos &= r.tos_mask;
  return tos >= r.tos_range[0] && tos <= r.tos_range[1];
}

bool match_protocol(const Rule& r, const Upper& u) { return u.ok && u.protocol == r.ip_protocol; }

// SENDER_IP/MAC_AUTHENTICATED, from the sender address stock picks: IPv4
// source, ARP sender protocol address, IPv6 source, except that a neighbor
// solicitation counts as authenticated (its source is unreliable) and a
// neighbor advertisement is judged by its target address.
uint64_t ownership_bits(const FilterInput& in) {
  const FrameView& f = *in.frame;
  const auto p = f.payload;
  uint64_t bits = 0;
  std::span<const uint8_t> src;
  if (f.ethertype == kEthertypeIpv4 && p.size() >= 20) {
    src = p.subspan(12, 4);
  } else if (f.ethertype == kEthertypeIpv6 && p.size() >= 40) {
    if (p.size() >= 40 + 8 + 16 && p[6] == 0x3a && (p[40] == 0x87 || p[40] == 0x88)) {
      if (p[40] == 0x87)
        bits |= kCharSenderIpAuthenticated;
      else
        src = p.subspan(48, 16);
    } else {
      src = p.subspan(8, 16);
    }
  } else if (f.ethertype == kEthertypeArp && p.size() >= 28) {
    src = p.subspan(14, 4);
  }
  if (in.ownership) {
    if (!src.empty() && in.ownership->owns_ip(src)) bits |= kCharSenderIpAuthenticated;
    if (in.ownership->owns_mac(f.source)) bits |= kCharSenderMacAuthenticated;
  }
  return bits;
}

uint64_t tcp_flag_bits(const FrameView& f, const Upper& u) {
  const auto p = f.payload;
  if (!u.ok || u.protocol != 0x06) return 0;
  // IPv6 wants more than 14 bytes of TCP, as stock; stock reads IPv4's two
  // bytes unchecked, here a frame too short to hold them has no flags.
  const size_t need = f.ethertype == kEthertypeIpv6 ? size_t(u.offset) + 14 : size_t(u.offset) + 13;
  if (p.size() <= need) return 0;
  return uint64_t(p[u.offset + 13]) | (uint64_t(p[u.offset + 12] & 0x0f) << 8);
}

bool match_integer_range(const Rule& r, const FrameView& f) {
  const auto p = f.payload;
  const unsigned bits = (r.int_format & 63) + 1;
  const unsigned bytes = (bits + 7) / 8;
  uint64_t v = 0;
  if ((r.int_format & 0x80) == 0) {
    // Big-endian; stock starts reading 8 - bytes past the index.
    size_t idx = size_t(r.int_index) + (8 - bytes);
    const size_t end = idx + bytes;
    if (end <= p.size())
      while (idx < end) v = (v << 8) | p[idx++];
    v &= ~0ULL >> (64 - bits);
  } else {
    size_t idx = r.int_index;
    const size_t end = idx + bytes;
    if (end <= p.size())
      while (idx < end) v = (v >> 8) | (uint64_t(p[idx++]) << 56);
    v >>= (64 - bits);
  }
  return v >= r.int_start && v <= r.int_start + uint64_t(r.int_end);
}

}  // namespace

const uint32_t* TagSet::find(uint32_t id) const {
  auto it = std::lower_bound(sorted.begin(), sorted.end(), id,
                             [](const TagValue& t, uint32_t k) { return t.id < k; });
  return (it != sorted.end() && it->id == id) ? &it->value : nullptr;
}

uint32_t SeededRandom::next32() {
  s_ ^= s_ >> 12;
  s_ ^= s_ << 25;
  s_ ^= s_ >> 27;
  return uint32_t((s_ * 0x2545f4914f6cdd1dULL) >> 32);
}

const char* to_string(Verdict v) {
  switch (v) {
    case Verdict::kDrop: return "drop";
    case Verdict::kAccept: return "accept";
    case Verdict::kSuperAccept: return "super-accept";
    case Verdict::kRedirect: return "redirect";
  }
  return "?";
}

TableOutput evaluate_table(const FilterInput& in, std::span<const Rule> rules, uint64_t dest) {
  const FrameView& f = *in.frame;
  const bool inbound = in.direction == Direction::kInbound;
  const uint64_t self = in.self & kAddressMask;
  const uint64_t source = (inbound ? in.peer : in.self) & kAddressMask;
  dest &= kAddressMask;

  TableOutput out;
  out.dest = dest;
  bool super_accept = false;  // we are the TEE/WATCH/REDIRECT target of a set not taken
  bool set_matches = true;    // an action with no match before it is taken
  bool have_ownership = false;
  uint64_t ownership = 0;
  // The IP header walk is done once per table, when a rule first needs it.
  bool have_upper = false;
  Upper upper;
  auto up = [&]() -> const Upper& {
    if (!have_upper) {
      upper = upper_layer(f);
      have_upper = true;
    }
    return upper;
  };

  for (const Rule& r : rules) {
    const RuleType rt = r.type();
    if (r.is_action()) {
      if (!set_matches) {
        // A set that did not match still marks us as its forwarding
        // target, so that later tag matches are lenient and an accept
        // becomes a super-accept.
        if (inbound && (rt == RuleType::kActionTee || rt == RuleType::kActionWatch ||
                        rt == RuleType::kActionRedirect) &&
            (r.address & kAddressMask) == self)
          super_accept = true;
        set_matches = true;
        continue;
      }
      switch (rt) {
        case RuleType::kActionPriority:
          // The wire form carries no bucket (stock writes none), so a
          // decoded PRIORITY always selects bucket 0.
          out.qos_bucket = 0;
          out.result = TableResult::kAccept;
          return out;
        case RuleType::kActionDrop:
          out.result = TableResult::kDrop;
          return out;
        case RuleType::kActionAccept:
          out.result = super_accept ? TableResult::kSuperAccept : TableResult::kAccept;
          return out;
        case RuleType::kActionTee:
        case RuleType::kActionWatch:
        case RuleType::kActionRedirect: {
          const uint64_t to = r.address & kAddressMask;
          if (to == source) {
            // The sender is the target already: nothing to do.
          } else if (to == self) {
            if (inbound) {
              out.result = TableResult::kSuperAccept;
              return out;
            }
          } else if (to == out.dest) {
            // The destination is the target already.
          } else if (rt == RuleType::kActionRedirect) {
            out.dest = to;
            out.result = TableResult::kRedirect;
            return out;
          } else {
            // Only the last TEE/WATCH taken is kept, as stock.
            out.copy.address = to;
            const auto whole = uint32_t(f.payload.size());
            out.copy.length = r.fwd_length ? std::min<uint32_t>(r.fwd_length, whole) : whole;
            out.copy.flags = r.fwd_flags;
            out.copy.watch = rt == RuleType::kActionWatch;
          }
          continue;
        }
        case RuleType::kActionBreak:
          out.result = TableResult::kNoMatch;
          return out;
        default:
          continue;  // unknown actions are no-ops
      }
    }

    const bool is_or = (r.t & wire::kRuleOr) != 0;
    // Nothing ANDed onto a false set can make it true: skip the work.
    if (!set_matches && !is_or) continue;

    bool m = false;
    const auto p = f.payload;
    switch (rt) {
      case RuleType::kMatchSourceZeroTierAddress: m = r.address == source; break;
      case RuleType::kMatchDestZeroTierAddress: m = r.address == out.dest; break;
      case RuleType::kMatchVlanId: m = r.vlan_id == f.vlan_id; break;
      // Stock does not look at PCP and DEI: it compares the rule with 0.
      // Our frame fields are 0 in stock VLAN mode, so this agrees there.
      case RuleType::kMatchVlanPcp: m = r.vlan_pcp == f.vlan_pcp; break;
      case RuleType::kMatchVlanDei: m = r.vlan_dei == f.vlan_dei; break;
      case RuleType::kMatchMacSource: m = r.mac == f.source; break;
      case RuleType::kMatchMacDest: m = r.mac == f.dest; break;
      case RuleType::kMatchIpv4Source:
        m = f.ethertype == kEthertypeIpv4 && p.size() >= 20 && ipv4_contains(r, p.subspan(12, 4));
        break;
      case RuleType::kMatchIpv4Dest:
        m = f.ethertype == kEthertypeIpv4 && p.size() >= 20 && ipv4_contains(r, p.subspan(16, 4));
        break;
      case RuleType::kMatchIpv6Source:
        m = f.ethertype == kEthertypeIpv6 && p.size() >= 40 && ipv6_contains(r, p.subspan(8, 16));
        break;
      case RuleType::kMatchIpv6Dest:
        m = f.ethertype == kEthertypeIpv6 && p.size() >= 40 && ipv6_contains(r, p.subspan(24, 16));
        break;
      case RuleType::kMatchIpTos: m = match_tos(r, f); break;
      case RuleType::kMatchIpProtocol: m = match_protocol(r, up()); break;
      case RuleType::kMatchEthertype: m = r.ethertype == f.ethertype; break;
      case RuleType::kMatchIcmp: m = match_icmp(r, f, up()); break;
      case RuleType::kMatchIpSourcePortRange: m = match_port(r, f, up(), false); break;
      case RuleType::kMatchIpDestPortRange: m = match_port(r, f, up(), true); break;
      case RuleType::kMatchCharacteristics: {
        uint64_t c = inbound ? kCharInbound : 0;
        if (is_multicast(f.dest)) c |= kCharMulticast;
        if (is_broadcast(f.dest)) c |= kCharBroadcast;
        if (!have_ownership) {
          ownership = ownership_bits(in);
          have_ownership = true;
        }
        c |= ownership | tcp_flag_bits(f, up());
        m = (c & r.characteristics) != 0;
        break;
      }
      case RuleType::kMatchFrameSizeRange:
        m = p.size() >= r.range[0] && p.size() <= r.range[1];
        break;
      case RuleType::kMatchRandom:
        m = in.random != nullptr && in.random->next32() <= r.random_probability;
        break;
      case RuleType::kMatchTagsDifference:
      case RuleType::kMatchTagsBitwiseAnd:
      case RuleType::kMatchTagsBitwiseOr:
      case RuleType::kMatchTagsBitwiseXor:
      case RuleType::kMatchTagsEqual: {
        const uint32_t* local = in.local_tags.find(r.tag_id);
        if (!local) break;  // no match without our own tag
        const uint32_t* remote = in.remote_tags ? in.remote_tags->find(r.tag_id) : nullptr;
        if (!remote) {
          // Outbound, the recipient's tags may not have reached us yet: it
          // filters on its side. A forwarding target is lenient too.
          m = !inbound || super_accept;
          break;
        }
        const uint32_t l = *local, rv = *remote, want = r.tag_value;
        switch (rt) {
          case RuleType::kMatchTagsDifference: m = (l > rv ? l - rv : rv - l) <= want; break;
          case RuleType::kMatchTagsBitwiseAnd: m = (l & rv) == want; break;
          case RuleType::kMatchTagsBitwiseOr: m = (l | rv) == want; break;
          case RuleType::kMatchTagsBitwiseXor: m = (l ^ rv) == want; break;
          default: m = l == want && rv == want; break;
        }
        break;
      }
      case RuleType::kMatchTagSender:
      case RuleType::kMatchTagReceiver: {
        // The sender is the other member inbound and us outbound; the
        // receiver the other way round.
        const bool remote_side = (rt == RuleType::kMatchTagSender) == inbound;
        if (super_accept) {
          m = true;
        } else if (remote_side) {
          const uint32_t* remote = in.remote_tags ? in.remote_tags->find(r.tag_id) : nullptr;
          // Outbound, an unknown receiver tag matches (it filters on its side).
          m = remote ? *remote == r.tag_value : rt == RuleType::kMatchTagReceiver;
        } else {
          const uint32_t* local = in.local_tags.find(r.tag_id);
          m = local && *local == r.tag_value;
        }
        break;
      }
      case RuleType::kMatchIntegerRange: m = match_integer_range(r, f); break;
      default: m = in.unsupported_match_result; break;
    }

    const bool v = m != ((r.t & wire::kRuleNot) != 0);
    set_matches = is_or ? (set_matches || v) : (set_matches && v);
  }
  return out;
}

FilterResult evaluate(const FilterInput& in, std::span<const Rule> base,
                      std::span<const std::span<const Rule>> capabilities) {
  const bool inbound = in.direction == Direction::kInbound;
  const uint64_t dest = (inbound ? in.self : in.peer) & kAddressMask;
  FilterResult res;

  const TableOutput b = evaluate_table(in, base, dest);
  TableOutput accepted;
  switch (b.result) {
    case TableResult::kDrop:
      return res;
    case TableResult::kNoMatch:
      for (size_t i = 0; i < capabilities.size(); ++i) {
        TableOutput c = evaluate_table(in, capabilities[i], dest);
        // A DROP in a capability only ends that capability.
        if (c.result == TableResult::kNoMatch || c.result == TableResult::kDrop) continue;
        res.capability = int(i);
        res.capability_copy = c.copy;
        accepted = c;
        break;
      }
      if (res.capability < 0) return res;
      break;
    default:
      accepted = b;
      break;
  }

  res.copy = b.copy;
  // PRIORITY sets the bucket whether it fired in the base or a capability
  // (stock passes one bucket variable through both).
  res.qos_bucket = accepted.qos_bucket;
  if (accepted.dest != dest && accepted.dest != 0) {
    res.verdict = Verdict::kRedirect;
    res.redirect_to = accepted.dest;
  } else if (inbound && accepted.result == TableResult::kSuperAccept) {
    res.verdict = Verdict::kSuperAccept;
  } else {
    res.verdict = Verdict::kAccept;
  }
  return res;
}

}  // namespace flatnet::vl2
