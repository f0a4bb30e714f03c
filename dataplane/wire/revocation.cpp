// Revocation codec and signature (see revocation.hpp).
#include "dataplane/wire/revocation.hpp"

namespace flatnet::wire {

CredentialStatus read_revocation(Reader& r, Revocation& out) {
  out = Revocation();
  r.skip(4);  // unused, written as 0
  out.id = r.u32();
  out.network_id = r.u64();
  r.skip(4);  // unused, written as 0
  out.credential_id = r.u32();
  out.threshold = r.u64();
  out.flags = r.u64();
  out.target = r.u40();
  out.signed_by = r.u40();
  // Kept as sent, even when unknown: it is part of the signed bytes.
  out.type = CredentialType(r.u8());
  if (!r.ok()) return CredentialStatus::kTruncated;
  if (const auto s = read_signature_block(r, out.signature); s != CredentialStatus::kOk) return s;
  return skip_extension(r);
}

CredentialStatus decode_revocation(std::span<const uint8_t> in, Revocation& out,
                                   size_t* consumed) {
  Reader r(in);
  const auto s = read_revocation(r, out);
  if (consumed) *consumed = s == CredentialStatus::kOk ? r.position() : 0;
  return s;
}

void write_revocation(Writer& w, const Revocation& v, bool for_sign) {
  if (for_sign) w.u64(kForSignMarker);
  w.u32(0);
  w.u32(v.id);
  w.u64(v.network_id);
  w.u32(0);
  w.u32(v.credential_id);
  w.u64(v.threshold);
  w.u64(v.flags);
  w.u40(v.target);
  w.u40(v.signed_by);
  w.u8(uint8_t(v.type));
  if (!for_sign) write_signature_block(w, v.signature);
  w.u16(0);
  if (for_sign) w.u64(kForSignMarker);
}

std::vector<uint8_t> revocation_signed_message(const Revocation& v) {
  std::vector<uint8_t> m;
  Writer w(m);
  write_revocation(w, v, true);
  return m;
}

bool revocation_sign(Revocation& v, const crypto::Identity& controller) {
  if (!controller.has_private()) return false;
  v.signed_by = controller.address();
  v.signature = controller.sign(revocation_signed_message(v));
  return true;
}

VerifyResult revocation_verify(const Revocation& v, const IdentityLookup& lookup, uint64_t* need) {
  if (v.signed_by == 0 || v.signed_by != controller_of(v.network_id))
    return VerifyResult::kWrongSigner;
  const crypto::Identity* id = lookup ? lookup(v.signed_by) : nullptr;
  if (!id) {
    if (need) *need = v.signed_by;
    return VerifyResult::kNeedIdentity;
  }
  return id->verify(revocation_signed_message(v), v.signature) ? VerifyResult::kOk
                                                               : VerifyResult::kBadSignature;
}

}  // namespace flatnet::wire
