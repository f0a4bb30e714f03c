// Revocation (spec §10.8; stock node/Revocation.*): the controller's
// statement that a member's credentials of one type issued at or before
// `threshold` are void. Sent when a member is deauthorized; flag 0x1 asks
// receivers to re-broadcast it ("fast propagate").
//
//   u32 0 | u32 id | u64 nwid | u32 0 | u32 credentialId | u64 threshold
//   | u64 flags | addr40 target | addr40 signedBy | u8 credentialType
//   | u8 1 | u16 96 | signature | u16 extLen (0) | ext
//
// Signed message: 8 x 0x7f | the same without the signature block | 8 x 0x7f.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "dataplane/wire/credential.hpp"

namespace flatnet::wire {

inline constexpr uint64_t kRevocationFlagFastPropagate = 0x1;

struct Revocation {
  uint32_t id = 0;             // arbitrary (stock: random)
  uint64_t network_id = 0;
  uint32_t credential_id = 0;  // 0 for COMs, which have no ID
  uint64_t threshold = 0;      // ms; credentials with timestamp <= it are revoked
  uint64_t flags = 0;
  uint64_t target = 0;         // the member whose credentials are revoked
  uint64_t signed_by = 0;
  CredentialType type = CredentialType::kNull;
  crypto::Signature signature{};

  bool fast_propagate() const { return (flags & kRevocationFlagFastPropagate) != 0; }
  bool operator==(const Revocation&) const = default;
};

CredentialStatus read_revocation(Reader& r, Revocation& out);
CredentialStatus decode_revocation(std::span<const uint8_t> in, Revocation& out,
                                   size_t* consumed = nullptr);
void write_revocation(Writer& w, const Revocation& v, bool for_sign = false);
std::vector<uint8_t> revocation_signed_message(const Revocation& v);
bool revocation_sign(Revocation& v, const crypto::Identity& controller);
VerifyResult revocation_verify(const Revocation& v, const IdentityLookup& lookup,
                               uint64_t* need = nullptr);

}  // namespace flatnet::wire
