// Tag (spec §10.8; stock node/Tag.*): a controller-signed (id, value) pair
// issued to one member, matched by the MATCH_TAG* rules.
//
//   u64 nwid | u64 ts | u32 id | u32 value | addr40 issuedTo | addr40 signedBy
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

inline constexpr size_t kNetworkMaxTags = 128;  // ZT_MAX_NETWORK_TAGS

struct Tag {
  uint64_t network_id = 0;
  uint64_t timestamp = 0;
  uint32_t id = 0;
  uint32_t value = 0;
  uint64_t issued_to = 0;
  uint64_t signed_by = 0;
  crypto::Signature signature{};
  bool operator==(const Tag&) const = default;
};

CredentialStatus read_tag(Reader& r, Tag& out);
CredentialStatus decode_tag(std::span<const uint8_t> in, Tag& out, size_t* consumed = nullptr);
void write_tag(Writer& w, const Tag& t, bool for_sign = false);
std::vector<uint8_t> tag_signed_message(const Tag& t);
bool tag_sign(Tag& t, const crypto::Identity& controller);
VerifyResult tag_verify(const Tag& t, const IdentityLookup& lookup, uint64_t* need = nullptr);

}  // namespace flatnet::wire
