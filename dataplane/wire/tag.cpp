// Tag codec and signature (see tag.hpp).
#include "dataplane/wire/tag.hpp"

namespace flatnet::wire {

CredentialStatus read_tag(Reader& r, Tag& out) {
  out = Tag();
  out.network_id = r.u64();
  out.timestamp = r.u64();
  out.id = r.u32();
  out.value = r.u32();
  out.issued_to = r.u40();
  out.signed_by = r.u40();
  if (!r.ok()) return CredentialStatus::kTruncated;
  if (const auto s = read_signature_block(r, out.signature); s != CredentialStatus::kOk) return s;
  return skip_extension(r);
}

CredentialStatus decode_tag(std::span<const uint8_t> in, Tag& out, size_t* consumed) {
  Reader r(in);
  const auto s = read_tag(r, out);
  if (consumed) *consumed = s == CredentialStatus::kOk ? r.position() : 0;
  return s;
}

void write_tag(Writer& w, const Tag& t, bool for_sign) {
  if (for_sign) w.u64(kForSignMarker);
  w.u64(t.network_id);
  w.u64(t.timestamp);
  w.u32(t.id);
  w.u32(t.value);
  w.u40(t.issued_to);
  w.u40(t.signed_by);
  if (!for_sign) write_signature_block(w, t.signature);
  w.u16(0);
  if (for_sign) w.u64(kForSignMarker);
}

std::vector<uint8_t> tag_signed_message(const Tag& t) {
  std::vector<uint8_t> m;
  Writer w(m);
  write_tag(w, t, true);
  return m;
}

bool tag_sign(Tag& t, const crypto::Identity& controller) {
  if (!controller.has_private()) return false;
  t.signed_by = controller.address();
  t.signature = controller.sign(tag_signed_message(t));
  return true;
}

VerifyResult tag_verify(const Tag& t, const IdentityLookup& lookup, uint64_t* need) {
  if (t.signed_by == 0 || t.signed_by != controller_of(t.network_id))
    return VerifyResult::kWrongSigner;
  const crypto::Identity* id = lookup ? lookup(t.signed_by) : nullptr;
  if (!id) {
    if (need) *need = t.signed_by;
    return VerifyResult::kNeedIdentity;
  }
  return id->verify(tag_signed_message(t), t.signature) ? VerifyResult::kOk
                                                        : VerifyResult::kBadSignature;
}

}  // namespace flatnet::wire
