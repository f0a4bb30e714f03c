// Capability codec, custody chain signing and verification (see capability.hpp).
#include "dataplane/wire/capability.hpp"

namespace flatnet::wire {

CredentialStatus read_capability(Reader& r, Capability& out) {
  out = Capability();
  out.network_id = r.u64();
  out.timestamp = r.u64();
  out.id = r.u32();
  const uint16_t rc = r.u16();
  if (!r.ok()) return CredentialStatus::kTruncated;
  if (rc > kCapabilityMaxRules) return CredentialStatus::kTooManyRules;
  switch (read_rules(r, rc, out.rules)) {
    case RuleStatus::kOk: break;
    case RuleStatus::kBadLength: return CredentialStatus::kBadRule;
    default: return CredentialStatus::kTruncated;
  }
  out.max_custody = r.u8();
  if (!r.ok()) return CredentialStatus::kTruncated;
  if (out.max_custody < 1 || out.max_custody > kCapabilityMaxCustody)
    return CredentialStatus::kBadCustodyLength;
  for (;;) {
    CustodyHop h;
    h.to = r.u40();
    if (!r.ok()) return CredentialStatus::kTruncated;
    if (h.to == 0) break;
    if (out.custody.size() >= out.max_custody) return CredentialStatus::kChainTooLong;
    h.from = r.u40();
    if (const auto s = read_signature_block(r, h.signature); s != CredentialStatus::kOk) return s;
    out.custody.push_back(h);
  }
  return skip_extension(r);
}

CredentialStatus decode_capability(std::span<const uint8_t> in, Capability& out,
                                   size_t* consumed) {
  Reader r(in);
  const auto s = read_capability(r, out);
  if (consumed) *consumed = s == CredentialStatus::kOk ? r.position() : 0;
  return s;
}

bool write_capability(Writer& w, const Capability& c, bool for_sign) {
  if (c.rules.size() > kCapabilityMaxRules || c.max_custody < 1 ||
      c.max_custody > kCapabilityMaxCustody || c.custody.size() > c.max_custody)
    return false;
  if (for_sign) w.u64(kForSignMarker);
  w.u64(c.network_id);
  w.u64(c.timestamp);
  w.u32(c.id);
  w.u16(uint16_t(c.rules.size()));
  write_rules(w, c.rules);
  w.u8(c.max_custody);
  if (!for_sign) {
    for (const auto& h : c.custody) {
      if (h.to == 0) return false;  // a zero recipient would end the chain early
      w.u40(h.to);
      w.u40(h.from);
      write_signature_block(w, h.signature);
    }
    w.u40(0);
  }
  w.u16(0);
  if (for_sign) w.u64(kForSignMarker);
  return w.ok();
}

std::vector<uint8_t> capability_signed_message(const Capability& c) {
  std::vector<uint8_t> m;
  Writer w(m);
  if (!write_capability(w, c, true)) m.clear();
  return m;
}

bool capability_sign(Capability& c, const crypto::Identity& from, uint64_t to) {
  if (!from.has_private() || to == 0 || c.custody.size() >= c.max_custody) return false;
  const auto msg = capability_signed_message(c);
  if (msg.empty()) return false;
  c.custody.push_back({to, from.address(), from.sign(msg)});
  return true;
}

VerifyResult capability_verify(const Capability& c, const IdentityLookup& lookup, uint64_t* need) {
  if (c.max_custody < 1 || c.max_custody > kCapabilityMaxCustody || c.custody.empty() ||
      c.custody.size() > c.max_custody)
    return VerifyResult::kBadChain;
  const auto msg = capability_signed_message(c);
  if (msg.empty()) return VerifyResult::kBadChain;
  for (size_t i = 0; i < c.custody.size(); ++i) {
    const CustodyHop& h = c.custody[i];
    if (h.to == 0 || h.from == 0) return VerifyResult::kBadChain;
    if (i == 0 && h.from != controller_of(c.network_id)) return VerifyResult::kWrongSigner;
    if (i > 0 && h.from != c.custody[i - 1].to) return VerifyResult::kBadChain;
    const crypto::Identity* id = lookup ? lookup(h.from) : nullptr;
    if (!id) {
      if (need) *need = h.from;
      return VerifyResult::kNeedIdentity;
    }
    if (!id->verify(msg, h.signature)) return VerifyResult::kBadSignature;
  }
  return VerifyResult::kOk;
}

}  // namespace flatnet::wire
