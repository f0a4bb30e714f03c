// Certificate of Membership, the v1 qualifier-tuple form 1.14.1 issues and
// checks (spec §10.5; stock node/CertificateOfMembership.*).
//
//   u8 1 | u16 Q (<= 8) | Q x (u64 id, u64 value, u64 maxDelta), ids
//   ascending | addr40 signer | 96-byte signature iff signer != 0
//
// The signed message is the Q qualifiers alone (24 bytes each). Private
// networks admit a peer iff our COM agrees with the peer's (same network,
// timestamps within maxDelta, bound to the peer's exact identity).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "crypto/identity.hpp"
#include "dataplane/wire/bytes.hpp"
#include "dataplane/wire/credential.hpp"

namespace flatnet::wire {

inline constexpr size_t kComMaxQualifiers = 8;  // ZT_NETWORK_COM_MAX_QUALIFIERS
// Qualifier ids the controller issues (COM_RESERVED_ID_*), 3..6 the
// identity hash words.
inline constexpr uint64_t kComIdTimestamp = 0;
inline constexpr uint64_t kComIdNetworkId = 1;
inline constexpr uint64_t kComIdIssuedTo = 2;
inline constexpr uint64_t kComIdHashFirst = 3;
inline constexpr uint64_t kComIdHashLast = 6;

struct ComQualifier {
  uint64_t id = 0, value = 0, max_delta = 0;
  bool operator==(const ComQualifier&) const = default;
};

struct CertificateOfMembership {
  std::vector<ComQualifier> qualifiers;
  uint64_t signed_by = 0;  // 0: unsigned
  crypto::Signature signature{};

  // What stock's constructor issues for a member: timestamp (maxDelta =
  // the config's credential time max delta), network ID, address, and the
  // four SHA-384 words of the member's identity. Unsigned.
  static CertificateOfMembership issue(uint64_t timestamp, uint64_t max_delta, uint64_t nwid,
                                       const crypto::Identity& issued_to);

  // Value of the first qualifier with `id`, if any.
  std::optional<uint64_t> qualifier(uint64_t id) const;
  uint64_t timestamp() const { return qualifier(kComIdTimestamp).value_or(0); }
  uint64_t network_id() const { return qualifier(kComIdNetworkId).value_or(0); }
  uint64_t issued_to() const { return qualifier(kComIdIssuedTo).value_or(0); }
  bool is_null() const { return qualifiers.empty(); }
  bool operator==(const CertificateOfMembership&) const = default;
};

CredentialStatus read_com(Reader& r, CertificateOfMembership& out);
CredentialStatus decode_com(std::span<const uint8_t> in, CertificateOfMembership& out,
                            size_t* consumed = nullptr);
// Appends the binary form; false if it has more than kComMaxQualifiers.
bool write_com(Writer& w, const CertificateOfMembership& c);
bool encode_com(const CertificateOfMembership& c, std::vector<uint8_t>& out);

// The bytes the controller signs.
std::vector<uint8_t> com_signed_message(const CertificateOfMembership& c);
// Signs with `controller` (needs its private key); sets signed_by.
bool com_sign(CertificateOfMembership& c, const crypto::Identity& controller);
// Stock verify(): signer set and equal to the controller of the COM's
// network, at most 8 qualifiers, signature valid.
VerifyResult com_verify(const CertificateOfMembership& c, const IdentityLookup& lookup,
                        uint64_t* need = nullptr);

// Stock agreesWith(): `ours` agrees with `theirs`, presented by the peer
// whose identity is `their_identity` (spec §10.5).
bool com_agrees_with(const CertificateOfMembership& ours, const CertificateOfMembership& theirs,
                     const crypto::Identity& their_identity);
// The same with the identity's hash words (com_identity_words) supplied on
// demand, so a caller checking every frame can compute the SHA-384 once.
bool com_agrees_with(const CertificateOfMembership& ours, const CertificateOfMembership& theirs,
                     const std::function<std::array<uint64_t, 4>()>& their_identity_words);
// The four words of the identity's public key hash, as a COM carries them (ids 3..6).
std::array<uint64_t, 4> com_identity_words(const crypto::Identity& id);

}  // namespace flatnet::wire
