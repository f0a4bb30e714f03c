// Capability (spec §10.8; stock node/Capability.*): a controller-signed
// rule table a member may use, passed on along a custody chain.
//
//   u64 nwid | u64 ts | u32 id | u16 ruleCount (<= 64) | rules (§10.9)
//   | u8 maxCustodyChainLength (1..7)
//   | per hop: addr40 to | addr40 from | u8 1 | u16 96 | signature
//   | addr40 0 (chain end) | u16 extLen (0) | ext
//
// Signed message (the same for every hop): 8 x 0x7f | the fields without
// the custody chain | u16 0 | 8 x 0x7f. Hop 0 must be signed by the
// network's controller; each later hop by the previous hop's recipient.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "dataplane/wire/credential.hpp"
#include "dataplane/wire/rules.hpp"

namespace flatnet::wire {

inline constexpr size_t kCapabilityMaxCustody = 7;  // ZT_MAX_CAPABILITY_CUSTODY_CHAIN_LENGTH
inline constexpr size_t kNetworkMaxCapabilities = 128;  // ZT_MAX_NETWORK_CAPABILITIES

struct CustodyHop {
  uint64_t to = 0;
  uint64_t from = 0;
  crypto::Signature signature{};
  bool operator==(const CustodyHop&) const = default;
};

struct Capability {
  uint64_t network_id = 0;
  uint64_t timestamp = 0;
  uint32_t id = 0;
  std::vector<Rule> rules;
  uint8_t max_custody = 1;  // 1: not transferable
  std::vector<CustodyHop> custody;

  // The last recipient in the chain (0 if unsigned).
  uint64_t issued_to() const { return custody.empty() ? 0 : custody.back().to; }
  bool operator==(const Capability&) const = default;
};

CredentialStatus read_capability(Reader& r, Capability& out);
CredentialStatus decode_capability(std::span<const uint8_t> in, Capability& out,
                                   size_t* consumed = nullptr);
// False if rules, max_custody or the chain break a limit.
bool write_capability(Writer& w, const Capability& c, bool for_sign = false);
std::vector<uint8_t> capability_signed_message(const Capability& c);
// Appends a custody hop from `from` (needs its private key) to `to`; false
// when the chain is full.
bool capability_sign(Capability& c, const crypto::Identity& from, uint64_t to);
// Stock verify(): hop 0 from the controller, each hop from the previous
// recipient, every signature valid.
VerifyResult capability_verify(const Capability& c, const IdentityLookup& lookup,
                               uint64_t* need = nullptr);

}  // namespace flatnet::wire
