// What every network credential (spec §10.5, §10.8) shares: its type
// number, the decode status, the verification result, and how a verifier
// finds a signer's identity.
//
// Identities are looked up through a caller-supplied function, because the
// wire library keeps no peer table: a missing identity is reported as
// kNeedIdentity with the address, so the caller can WHOIS it and retry (as
// stock's "1 == waiting for WHOIS").
#pragma once

#include <cstdint>
#include <functional>

#include "crypto/identity.hpp"
#include "dataplane/wire/bytes.hpp"

namespace flatnet::wire {

// Credential::Type of stock; also the credential type byte of revocations.
enum class CredentialType : uint8_t {
  kNull = 0,
  kCom = 1,
  kCapability = 2,
  kTag = 3,
  kCoo = 4,
  kRevocation = 6,
};

enum class CredentialStatus : uint8_t {
  kOk = 0,
  kTruncated,          // input ends inside the credential
  kBadFormat,          // COM format byte is not 1
  kQualifierOrder,     // COM qualifier ids not ascending
  kTooManyQualifiers,  // COM over kComMaxQualifiers
  kTooManyRules,       // capability over kCapabilityMaxRules
  kBadRule,            // a rule's length is too short for its type
  kBadCustodyLength,   // capability max custody chain length not 1..7
  kChainTooLong,       // more custody entries than the max length allows
  kBadSignatureLength, // signature type 1 with a length other than 96
  kTooManyThings,      // certificate of ownership over 16 things
  kTooManyCredentials, // a NETWORK_CREDENTIALS section over its bound
};
const char* to_string(CredentialStatus s);

enum class VerifyResult : uint8_t {
  kOk = 0,
  kBadSignature,  // signer known, signature does not verify
  kWrongSigner,   // unsigned, or not signed by the network's controller
  kBadChain,      // capability custody chain broken
  kNeedIdentity,  // signer's identity unknown: look it up and try again
};
const char* to_string(VerifyResult r);

// Returns the identity of `address`, or nullptr if it is not known (yet).
using IdentityLookup = std::function<const crypto::Identity*(uint64_t address)>;

// The controller of a network is the node whose address is the top 40 bits
// of the network ID (spec §5.4).
inline constexpr uint64_t controller_of(uint64_t nwid) { return nwid >> 24; }

// The 8-byte marker stock puts before and after every "for-sign" form.
inline constexpr uint64_t kForSignMarker = 0x7f7f7f7f7f7f7f7fULL;
inline constexpr uint8_t kSignatureTypeEd25519 = 1;

// The signature block of tags, capabilities, revocations and COOs:
// u8 type | u16 length | signature. Type 1 must carry 96 bytes; any other
// type is skipped (its signature stays zero and will not verify), as stock
// does.
inline CredentialStatus read_signature_block(Reader& r, crypto::Signature& sig) {
  sig = {};
  const uint8_t type = r.u8();
  const uint16_t len = r.u16();
  if (!r.ok()) return CredentialStatus::kTruncated;
  if (type == kSignatureTypeEd25519) {
    if (len != sig.size()) return CredentialStatus::kBadSignatureLength;
    r.bytes(sig.data(), sig.size());
  } else {
    r.skip(len);
  }
  return r.ok() ? CredentialStatus::kOk : CredentialStatus::kTruncated;
}

inline void write_signature_block(Writer& w, const crypto::Signature& sig) {
  w.u8(kSignatureTypeEd25519);
  w.u16(uint16_t(sig.size()));
  w.bytes(sig.data(), sig.size());
}

// The trailing "u16 length of additional fields" (always 0 from stock) and
// the fields themselves, skipped.
inline CredentialStatus skip_extension(Reader& r) {
  const uint16_t len = r.u16();
  r.skip(len);
  return r.ok() ? CredentialStatus::kOk : CredentialStatus::kTruncated;
}

}  // namespace flatnet::wire
