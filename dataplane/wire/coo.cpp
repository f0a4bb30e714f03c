// Certificate of Ownership codec and signature (see coo.hpp).
#include "dataplane/wire/coo.hpp"

#include <algorithm>

namespace flatnet::wire {

bool CertificateOfOwnership::add_ip(const InetAddress& ip) {
  if (things.size() >= kCooMaxThings || ip.is_null()) return false;
  CooEntry e;
  const bool v4 = ip.family == InetAddress::Family::kV4;
  e.type = v4 ? CooThing::kIpv4 : CooThing::kIpv6;
  std::copy_n(ip.ip.begin(), v4 ? 4 : 16, e.value.begin());
  things.push_back(e);
  return true;
}

bool CertificateOfOwnership::add_mac(const std::array<uint8_t, 6>& mac) {
  if (things.size() >= kCooMaxThings) return false;
  CooEntry e;
  e.type = CooThing::kMac;
  std::copy(mac.begin(), mac.end(), e.value.begin());
  things.push_back(e);
  return true;
}

bool CertificateOfOwnership::owns_ip(const InetAddress& ip) const {
  if (ip.is_null()) return false;
  const bool v4 = ip.family == InetAddress::Family::kV4;
  const size_t n = v4 ? 4 : 16;
  for (const auto& t : things)
    if (t.type == (v4 ? CooThing::kIpv4 : CooThing::kIpv6) &&
        std::equal(ip.ip.begin(), ip.ip.begin() + n, t.value.begin()))
      return true;
  return false;
}

CredentialStatus read_coo(Reader& r, CertificateOfOwnership& out) {
  out = CertificateOfOwnership();
  out.network_id = r.u64();
  out.timestamp = r.u64();
  out.flags = r.u64();
  out.id = r.u32();
  const uint16_t n = r.u16();
  if (!r.ok()) return CredentialStatus::kTruncated;
  // Stock stops storing after 16 but also stops advancing, misreading the
  // rest; refusing is the only safe reading.
  if (n > kCooMaxThings) return CredentialStatus::kTooManyThings;
  for (uint16_t i = 0; i < n; ++i) {
    CooEntry e;
    e.type = CooThing(r.u8());
    r.bytes(e.value.data(), e.value.size());
    out.things.push_back(e);
  }
  out.issued_to = r.u40();
  out.signed_by = r.u40();
  if (!r.ok()) return CredentialStatus::kTruncated;
  if (const auto s = read_signature_block(r, out.signature); s != CredentialStatus::kOk) return s;
  return skip_extension(r);
}

CredentialStatus decode_coo(std::span<const uint8_t> in, CertificateOfOwnership& out,
                            size_t* consumed) {
  Reader r(in);
  const auto s = read_coo(r, out);
  if (consumed) *consumed = s == CredentialStatus::kOk ? r.position() : 0;
  return s;
}

bool write_coo(Writer& w, const CertificateOfOwnership& c, bool for_sign) {
  if (c.things.size() > kCooMaxThings) return false;
  if (for_sign) w.u64(kForSignMarker);
  w.u64(c.network_id);
  w.u64(c.timestamp);
  w.u64(c.flags);
  w.u32(c.id);
  w.u16(uint16_t(c.things.size()));
  for (const auto& t : c.things) {
    w.u8(uint8_t(t.type));
    w.bytes(t.value.data(), t.value.size());
  }
  w.u40(c.issued_to);
  w.u40(c.signed_by);
  if (!for_sign) write_signature_block(w, c.signature);
  w.u16(0);
  if (for_sign) w.u64(kForSignMarker);
  return w.ok();
}

std::vector<uint8_t> coo_signed_message(const CertificateOfOwnership& c) {
  std::vector<uint8_t> m;
  Writer w(m);
  write_coo(w, c, true);
  return m;
}

bool coo_sign(CertificateOfOwnership& c, const crypto::Identity& controller) {
  if (!controller.has_private() || c.things.size() > kCooMaxThings) return false;
  c.signed_by = controller.address();
  c.signature = controller.sign(coo_signed_message(c));
  return true;
}

VerifyResult coo_verify(const CertificateOfOwnership& c, const IdentityLookup& lookup,
                        uint64_t* need) {
  if (c.signed_by == 0 || c.signed_by != controller_of(c.network_id))
    return VerifyResult::kWrongSigner;
  const crypto::Identity* id = lookup ? lookup(c.signed_by) : nullptr;
  if (!id) {
    if (need) *need = c.signed_by;
    return VerifyResult::kNeedIdentity;
  }
  return id->verify(coo_signed_message(c), c.signature) ? VerifyResult::kOk
                                                        : VerifyResult::kBadSignature;
}

}  // namespace flatnet::wire
