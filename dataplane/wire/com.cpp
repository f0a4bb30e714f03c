// Certificate of Membership codec, signature and agreement (see com.hpp).
#include "dataplane/wire/com.hpp"


namespace flatnet::wire {

namespace {

// The identity hash as the four big-endian words stock puts in ids 3..6.
std::array<uint64_t, 4> hash_words(const crypto::Identity& id) {
  const auto h = id.public_key_hash();
  std::array<uint64_t, 4> w{};
  for (size_t i = 0; i < 4; ++i)
    for (size_t j = 0; j < 8; ++j) w[i] = (w[i] << 8) | h[i * 8 + j];
  return w;
}

}  // namespace

CertificateOfMembership CertificateOfMembership::issue(uint64_t timestamp, uint64_t max_delta,
                                                       uint64_t nwid,
                                                       const crypto::Identity& issued_to) {
  CertificateOfMembership c;
  c.qualifiers.push_back({kComIdTimestamp, timestamp, max_delta});
  c.qualifiers.push_back({kComIdNetworkId, nwid, 0});
  c.qualifiers.push_back({kComIdIssuedTo, issued_to.address(), ~uint64_t(0)});
  const auto w = hash_words(issued_to);
  for (uint64_t i = 0; i < 4; ++i) c.qualifiers.push_back({kComIdHashFirst + i, w[i], ~uint64_t(0)});
  return c;
}

std::optional<uint64_t> CertificateOfMembership::qualifier(uint64_t id) const {
  for (const auto& q : qualifiers)
    if (q.id == id) return q.value;
  return std::nullopt;
}

CredentialStatus read_com(Reader& r, CertificateOfMembership& out) {
  out = CertificateOfMembership();
  const uint8_t format = r.u8();
  if (!r.ok()) return CredentialStatus::kTruncated;
  if (format != 1) return CredentialStatus::kBadFormat;
  const uint16_t q = r.u16();
  if (!r.ok()) return CredentialStatus::kTruncated;
  if (q > kComMaxQualifiers) return CredentialStatus::kTooManyQualifiers;
  uint64_t last = 0;
  for (uint16_t i = 0; i < q; ++i) {
    ComQualifier x;
    x.id = r.u64();
    x.value = r.u64();
    x.max_delta = r.u64();
    if (!r.ok()) return CredentialStatus::kTruncated;
    // Stock refuses a smaller id but lets an id repeat.
    if (x.id < last) return CredentialStatus::kQualifierOrder;
    last = x.id;
    out.qualifiers.push_back(x);
  }
  out.signed_by = r.u40();
  if (out.signed_by != 0) r.bytes(out.signature.data(), out.signature.size());
  return r.ok() ? CredentialStatus::kOk : CredentialStatus::kTruncated;
}

CredentialStatus decode_com(std::span<const uint8_t> in, CertificateOfMembership& out,
                            size_t* consumed) {
  Reader r(in);
  const auto s = read_com(r, out);
  if (consumed) *consumed = s == CredentialStatus::kOk ? r.position() : 0;
  return s;
}

bool write_com(Writer& w, const CertificateOfMembership& c) {
  if (c.qualifiers.size() > kComMaxQualifiers) return false;
  w.u8(1);
  w.u16(uint16_t(c.qualifiers.size()));
  for (const auto& q : c.qualifiers) {
    w.u64(q.id);
    w.u64(q.value);
    w.u64(q.max_delta);
  }
  w.u40(c.signed_by);
  if (c.signed_by != 0) w.bytes(c.signature.data(), c.signature.size());
  return w.ok();
}

bool encode_com(const CertificateOfMembership& c, std::vector<uint8_t>& out) {
  Writer w(out);
  return write_com(w, c);
}

std::vector<uint8_t> com_signed_message(const CertificateOfMembership& c) {
  std::vector<uint8_t> m;
  Writer w(m);
  for (const auto& q : c.qualifiers) {
    w.u64(q.id);
    w.u64(q.value);
    w.u64(q.max_delta);
  }
  return m;
}

bool com_sign(CertificateOfMembership& c, const crypto::Identity& controller) {
  if (!controller.has_private() || c.qualifiers.size() > kComMaxQualifiers) return false;
  c.signature = controller.sign(com_signed_message(c));
  c.signed_by = controller.address();
  return true;
}

VerifyResult com_verify(const CertificateOfMembership& c, const IdentityLookup& lookup,
                        uint64_t* need) {
  if (c.signed_by == 0 || c.signed_by != controller_of(c.network_id()) ||
      c.qualifiers.size() > kComMaxQualifiers)
    return VerifyResult::kWrongSigner;
  const crypto::Identity* id = lookup ? lookup(c.signed_by) : nullptr;
  if (!id) {
    if (need) *need = c.signed_by;
    return VerifyResult::kNeedIdentity;
  }
  return id->verify(com_signed_message(c), c.signature) ? VerifyResult::kOk
                                                        : VerifyResult::kBadSignature;
}

std::array<uint64_t, 4> com_identity_words(const crypto::Identity& id) { return hash_words(id); }

bool com_agrees_with(const CertificateOfMembership& ours, const CertificateOfMembership& theirs,
                     const crypto::Identity& their_identity) {
  return com_agrees_with(ours, theirs, [&] { return hash_words(their_identity); });
}

bool com_agrees_with(const CertificateOfMembership& ours, const CertificateOfMembership& theirs,
                     const std::function<std::array<uint64_t, 4>()>& their_identity_words) {
  if (ours.qualifiers.empty() || theirs.qualifiers.empty()) return false;
  // Stock builds a map of the other side's qualifiers, so with a repeated
  // id the last one counts; a COM has a handful, so a backward scan finds
  // the same one without building anything (this runs on every frame).
  const auto other = [&](uint64_t id) -> const ComQualifier* {
    for (auto it = theirs.qualifiers.rbegin(); it != theirs.qualifiers.rend(); ++it)
      if (it->id == id) return &*it;
    return nullptr;
  };
  bool full_identity = false;
  for (const auto& q : ours.qualifiers) {
    if (q.id >= kComIdHashFirst && q.id <= kComIdHashLast) full_identity = true;
    const ComQualifier* o = other(q.id);
    if (!o) return false;
    const uint64_t a = q.value, b = o->value;
    if ((a >= b ? a - b : b - a) > q.max_delta) return false;
  }
  if (full_identity) {
    const auto w = their_identity_words();
    for (uint64_t i = 0; i < 4; ++i) {
      const ComQualifier* o = other(kComIdHashFirst + i);
      if (!o || o->value != w[i]) return false;
    }
  }
  return true;
}

}  // namespace flatnet::wire
