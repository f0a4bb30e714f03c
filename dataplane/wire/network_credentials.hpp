// The NETWORK_CREDENTIALS payload (spec §4.11): how members present their
// COM, capabilities, tags and COOs to each other, and how the controller
// pushes revocations.
//
//   COM* | 0x00 | u16 n, n x Capability | u16 n, n x Tag
//   | u16 n, n x Revocation | u16 n, n x CertificateOfOwnership
//
// Every section after the 0x00 is optional (older senders stop early).
// Credentials may name different networks; the receiver routes each.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "dataplane/wire/capability.hpp"
#include "dataplane/wire/com.hpp"
#include "dataplane/wire/coo.hpp"
#include "dataplane/wire/revocation.hpp"
#include "dataplane/wire/tag.hpp"

namespace flatnet::wire {

// Our bound per section: a 10,000-byte packet cannot hold more anyway.
inline constexpr size_t kCredentialsMaxPerSection = 128;

struct NetworkCredentials {
  std::vector<CertificateOfMembership> coms;
  std::vector<Capability> capabilities;
  std::vector<Tag> tags;
  std::vector<Revocation> revocations;
  std::vector<CertificateOfOwnership> coos;
  bool operator==(const NetworkCredentials&) const = default;
};

// On failure *failed_section (if given) names the part: 0 COMs, 1
// capabilities, 2 tags, 3 revocations, 4 COOs.
CredentialStatus decode_network_credentials(std::span<const uint8_t> payload,
                                            NetworkCredentials& out,
                                            unsigned* failed_section = nullptr);
// Writes every section (stock's member push writes all five counts).
bool encode_network_credentials(const NetworkCredentials& c, std::vector<uint8_t>& out);

}  // namespace flatnet::wire
