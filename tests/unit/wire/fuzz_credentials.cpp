// libFuzzer target: the credential decoders. The first byte picks one:
// 0 COM, 1 capability, 2 tag, 3 revocation, 4 certificate of ownership,
// 5 NETWORK_CREDENTIALS payload. Whatever decodes must re-encode and
// decode to the same value; verification must fail cleanly.
#include <cstdlib>
#include <vector>

#include "dataplane/wire/network_credentials.hpp"

namespace {

using namespace flatnet::wire;

const flatnet::crypto::Identity& someone() {
  static const flatnet::crypto::Identity id = *flatnet::crypto::Identity::from_string(
      "36885e5e08:0:9832f96f77a2cb3d30ae891617cb090fdc90842e2ec9914442d30b46b591ad673a4ac1d1"
      "65f80a89f766a738f97ae523e835388859ba6945c245b68d9333c786");
  return id;
}
const IdentityLookup kLookup = [](uint64_t) { return &someone(); };

template <typename T, typename Read, typename Write>
void round_trip(std::span<const uint8_t> in, Read read, Write write) {
  Reader r(in);
  T x;
  if (read(r, x) != CredentialStatus::kOk) return;
  if (r.position() > in.size()) std::abort();
  std::vector<uint8_t> out;
  Writer w(out);
  if (!write(w, x)) return;
  Reader r2(out);
  T y;
  if (read(r2, y) != CredentialStatus::kOk || !(x == y) || r2.remaining() != 0) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::span<const uint8_t> in(data + 1, size - 1);
  switch (data[0] % 6) {
    case 0: {
      round_trip<CertificateOfMembership>(in, read_com, write_com);
      CertificateOfMembership c;
      if (decode_com(in, c) == CredentialStatus::kOk) {
        (void)com_verify(c, kLookup);
        (void)com_agrees_with(c, c, someone());
      }
      break;
    }
    case 1: {
      round_trip<Capability>(in, read_capability,
                             [](Writer& w, const Capability& c) { return write_capability(w, c); });
      Capability c;
      if (decode_capability(in, c) == CredentialStatus::kOk) (void)capability_verify(c, kLookup);
      break;
    }
    case 2: {
      round_trip<Tag>(in, read_tag, [](Writer& w, const Tag& t) { write_tag(w, t); return w.ok(); });
      Tag t;
      if (decode_tag(in, t) == CredentialStatus::kOk) (void)tag_verify(t, kLookup);
      break;
    }
    case 3: {
      round_trip<Revocation>(in, read_revocation,
                             [](Writer& w, const Revocation& v) { write_revocation(w, v); return w.ok(); });
      Revocation v;
      if (decode_revocation(in, v) == CredentialStatus::kOk) (void)revocation_verify(v, kLookup);
      break;
    }
    case 4: {
      round_trip<CertificateOfOwnership>(
          in, read_coo, [](Writer& w, const CertificateOfOwnership& c) { return write_coo(w, c); });
      CertificateOfOwnership c;
      if (decode_coo(in, c) == CredentialStatus::kOk) (void)coo_verify(c, kLookup);
      break;
    }
    case 5: {
      NetworkCredentials nc;
      if (decode_network_credentials(in, nc) != CredentialStatus::kOk) break;
      std::vector<uint8_t> out;
      if (!encode_network_credentials(nc, out)) break;
      NetworkCredentials back;
      if (decode_network_credentials(out, back) != CredentialStatus::kOk || !(back == nc)) std::abort();
      break;
    }
  }
  return 0;
}
