// NETWORK_CREDENTIALS payload codec (see network_credentials.hpp).
#include "dataplane/wire/network_credentials.hpp"

namespace flatnet::wire {

namespace {

template <typename T, typename ReadFn>
CredentialStatus read_section(Reader& r, std::vector<T>& out, ReadFn read) {
  if (r.remaining() == 0) return CredentialStatus::kOk;  // optional tail
  const uint16_t n = r.u16();
  if (!r.ok()) return CredentialStatus::kTruncated;
  if (n > kCredentialsMaxPerSection) return CredentialStatus::kTooManyCredentials;
  for (uint16_t i = 0; i < n; ++i) {
    T x;
    if (const auto s = read(r, x); s != CredentialStatus::kOk) return s;
    out.push_back(std::move(x));
  }
  return CredentialStatus::kOk;
}

}  // namespace

CredentialStatus decode_network_credentials(std::span<const uint8_t> payload,
                                            NetworkCredentials& out, unsigned* failed_section) {
  out = NetworkCredentials();
  Reader r(payload);
  unsigned section = 0;
  auto fail = [&](CredentialStatus s) {
    if (failed_section) *failed_section = section;
    return s;
  };
  // COMs until the 0x00 terminator (a COM starts with its format byte 1).
  for (;;) {
    const auto rest = r.rest();
    if (rest.empty()) return fail(CredentialStatus::kTruncated);
    if (rest[0] == 0) {
      r.skip(1);
      break;
    }
    if (out.coms.size() == kCredentialsMaxPerSection) return fail(CredentialStatus::kTooManyCredentials);
    CertificateOfMembership c;
    if (const auto s = read_com(r, c); s != CredentialStatus::kOk) return fail(s);
    out.coms.push_back(std::move(c));
  }
  section = 1;
  if (const auto s = read_section(r, out.capabilities, read_capability); s != CredentialStatus::kOk)
    return fail(s);
  section = 2;
  if (const auto s = read_section(r, out.tags, read_tag); s != CredentialStatus::kOk) return fail(s);
  section = 3;
  if (const auto s = read_section(r, out.revocations, read_revocation); s != CredentialStatus::kOk)
    return fail(s);
  section = 4;
  if (const auto s = read_section(r, out.coos, read_coo); s != CredentialStatus::kOk) return fail(s);
  return CredentialStatus::kOk;
}

bool encode_network_credentials(const NetworkCredentials& c, std::vector<uint8_t>& out) {
  if (c.capabilities.size() > kCredentialsMaxPerSection || c.tags.size() > kCredentialsMaxPerSection ||
      c.revocations.size() > kCredentialsMaxPerSection || c.coos.size() > kCredentialsMaxPerSection ||
      c.coms.size() > kCredentialsMaxPerSection)
    return false;
  std::vector<uint8_t> b;
  Writer w(b);
  for (const auto& x : c.coms)
    if (x.qualifiers.empty() || !write_com(w, x)) return false;
  w.u8(0);
  w.u16(uint16_t(c.capabilities.size()));
  for (const auto& x : c.capabilities)
    if (!write_capability(w, x)) return false;
  w.u16(uint16_t(c.tags.size()));
  for (const auto& x : c.tags) write_tag(w, x);
  w.u16(uint16_t(c.revocations.size()));
  for (const auto& x : c.revocations) write_revocation(w, x);
  w.u16(uint16_t(c.coos.size()));
  for (const auto& x : c.coos)
    if (!write_coo(w, x)) return false;
  if (!w.ok()) return false;
  out.insert(out.end(), b.begin(), b.end());
  return true;
}

}  // namespace flatnet::wire
