#include "dataplane/tables/vl2_rules.hpp"

#include <cstring>
#include <vector>

namespace flatnet::tables::vl2 {

namespace {

CompiledRule compile_one(const wire::Rule& w) {
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
    case wire::RuleType::kMatchVlanId: c.range[0] = w.vlan_id; break;
    case wire::RuleType::kMatchVlanPcp: c.range[0] = w.vlan_pcp; break;
    case wire::RuleType::kMatchVlanDei: c.range[0] = w.vlan_dei; break;
    case wire::RuleType::kMatchTagsDifference:
    case wire::RuleType::kMatchTagsBitwiseAnd:
    case wire::RuleType::kMatchTagsBitwiseOr:
    case wire::RuleType::kMatchTagsBitwiseXor:
    case wire::RuleType::kMatchTagsEqual:
    case wire::RuleType::kMatchTagSender:
    case wire::RuleType::kMatchTagReceiver:
      c.u32 = w.tag_id;
      c.value = w.tag_value;
      break;
    case wire::RuleType::kActionTee:
    case wire::RuleType::kActionWatch:
    case wire::RuleType::kActionRedirect:
      c.value = w.address;
      c.u32 = w.fwd_flags;
      c.range[0] = w.fwd_length;
      break;
    default: c.value = w.address; break;
  }
  return c;
}

bool is_tag_match(const CompiledRule& c) {
  const uint8_t t = c.t & wire::kRuleTypeMask;
  return t >= uint8_t(wire::RuleType::kMatchTagsDifference) && t <= uint8_t(wire::RuleType::kMatchTagReceiver);
}

uint64_t be64(const uint8_t* p, unsigned n) {
  uint64_t v = 0;
  for (unsigned i = 0; i < n; ++i) v = v << 8 | p[i];
  return v;
}

uint32_t be(const uint8_t* p, unsigned n) { return uint32_t(be64(p, n)); }

// One owned list: u16 n, then n values of `width` bytes, ascending and
// unique, into a fresh array of exactly n (none when n is 0).
template <class T, class Read>
bool decode_list(std::span<const uint8_t> b, size_t& off, unsigned width, std::unique_ptr<T[]>* arr, uint32_t* n,
                 Read read) {
  if (b.size() - off < 2) return false;
  const uint32_t count = be(b.data() + off, 2);
  off += 2;
  if (count > CompiledCreds::kMaxOwned || b.size() - off < size_t(count) * width) return false;
  arr->reset(count ? new T[count] : nullptr);
  for (uint32_t i = 0; i < count; ++i, off += width) {
    (*arr)[i] = read(b.data() + off);
    if (i > 0 && !((*arr)[i - 1] < (*arr)[i])) return false;  // sorted, unique
  }
  *n = count;
  return true;
}

// The optional ownership section after the capabilities; nothing left
// means the member owns nothing.
bool decode_owned(std::span<const uint8_t> b, size_t off, CompiledCreds* out) {
  out->n_ips4 = out->n_ips6 = out->n_macs = 0;
  out->ips4.reset();
  out->ips6.reset();
  out->macs.reset();
  out->ndp = 0;
  if (off == b.size()) return true;
  const bool ok =
      decode_list(b, off, 4, &out->ips4, &out->n_ips4, [](const uint8_t* p) { return be(p, 4); }) &&
      decode_list(b, off, 16, &out->ips6, &out->n_ips6,
                  [](const uint8_t* p) { return CompiledIp6{be64(p, 8), be64(p + 8, 8)}; }) &&
      decode_list(b, off, 6, &out->macs, &out->n_macs, [](const uint8_t* p) { return be64(p, 6); });
  if (!ok || b.size() - off < 1) return false;
  const uint8_t ndp = b[off++];
  if (ndp & ~(CompiledCreds::kNdp6plane | CompiledCreds::kNdpRfc4193)) return false;
  const size_t need = ((ndp & CompiledCreds::kNdp6plane) ? 5 : 0) + ((ndp & CompiledCreds::kNdpRfc4193) ? 11 : 0);
  if (b.size() - off != need) return false;  // and nothing after it
  if (ndp & CompiledCreds::kNdp6plane) {
    std::memcpy(out->ndp_6plane, b.data() + off, 5);
    off += 5;
  }
  if (ndp & CompiledCreds::kNdpRfc4193) std::memcpy(out->ndp_rfc4193, b.data() + off, 11);
  out->ndp = ndp;
  return true;
}

}  // namespace

const CompiledCreds kNoCreds{};

bool compile_rules(std::span<const wire::Rule> rules, bool unsupported_match, CompiledRules* out) {
  if (rules.size() > CompiledRules::kMax) return false;
  out->n = 0;
  out->unsupported_match = unsupported_match;
  out->uses_tags = false;
  for (const wire::Rule& w : rules) {
    out->r[out->n] = compile_one(w);
    out->uses_tags |= is_tag_match(out->r[out->n++]);
  }
  return true;
}

bool decode_creds(std::span<const uint8_t> b, CompiledCreds* out) {
  size_t off = 0;
  auto need = [&](size_t n) { return b.size() - off >= n; };
  if (!need(2)) return false;
  const uint32_t nt = be(b.data(), 2);
  off = 2;
  if (nt > CompiledCreds::kMaxTags || !need(size_t(nt) * 8)) return false;
  for (uint32_t i = 0; i < nt; ++i, off += 8) {
    out->tags[i] = {be(b.data() + off, 4), be(b.data() + off + 4, 4)};
    if (i > 0 && out->tags[i].id <= out->tags[i - 1].id) return false;  // sorted, unique
  }
  out->n_tags = nt;
  if (!need(2)) return false;
  const uint32_t nc = be(b.data() + off, 2);
  off += 2;
  if (nc > CompiledCreds::kMaxCaps) return false;
  out->caps.reset(nc ? new CompiledCap[nc] : nullptr);
  out->n_caps = 0;
  out->uses_tags = false;
  std::vector<wire::Rule> rules;
  for (uint32_t i = 0; i < nc; ++i) {
    if (!need(6)) return false;
    CompiledCap& cap = out->caps[i];
    cap.id = be(b.data() + off, 4);
    const uint32_t len = be(b.data() + off + 4, 2);
    off += 6;
    if (!need(len)) return false;
    rules.clear();
    if (wire::decode_rules(b.subspan(off, len), rules, wire::kCapabilityMaxRules) != wire::RuleStatus::kOk)
      return false;
    off += len;
    cap.n = 0;
    for (const wire::Rule& w : rules) {
      cap.r[cap.n] = compile_one(w);
      out->uses_tags |= is_tag_match(cap.r[cap.n++]);
    }
    out->n_caps = i + 1;
  }
  return decode_owned(b, off, out);
}

}  // namespace flatnet::tables::vl2
