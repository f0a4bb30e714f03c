// What we hold about one peer on one network (stock Membership): its
// certificate of membership, capabilities, tags and certificates of
// ownership, the revocation thresholds against them, and when we last
// pushed our own credentials to it. The gate of spec §10.7 is decided
// here; signatures are checked by the caller (credentials.*) before a
// credential is offered.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "control/vl2/rules_engine.hpp"
#include "dataplane/wire/network_config.hpp"
#include "dataplane/wire/revocation.hpp"

namespace flatnet::control::vl2 {

// Stock's timers for credential pushes (Network::pushCredentialsIfNeeded,
// peerRequestedCredentials).
inline constexpr uint64_t kCredentialsRepushMs = 500'000;        // ZT_PEER_ACTIVITY_TIMEOUT
inline constexpr uint64_t kCredentialsRequestRateMs = 1'000;     // ZT_PEER_CREDENTIALS_REQUEST_RATE_LIMIT

enum class AddResult : uint8_t { kAccepted, kRedundant, kRejected };

class Membership {
 public:
  // A verified credential issued to this peer. COMs older than the stored
  // one, or at/below the revocation threshold, are rejected (stock).
  AddResult add_com(const wire::CertificateOfMembership& com);
  AddResult add_capability(const wire::Capability& cap);
  AddResult add_tag(const wire::Tag& tag);
  AddResult add_coo(const wire::CertificateOfOwnership& coo);
  // A verified revocation targeting this peer; kAccepted if it raised a
  // threshold (then fast-propagating ones are re-broadcast).
  AddResult revoke(const wire::Revocation& rev);

  // The gate of §10.7 for a private network: a COM above the revocation
  // threshold that our own COM agrees with, bound to `identity`.
  bool admits(const wire::NetworkConfig& ours, const crypto::Identity& identity) const;

  // The rule engine's view, as stock's getters: only credentials whose
  // timestamp is within the config's credential time window of our own
  // config's (and not revoked). Tags sorted by id; capability rule tables
  // in id order; certificates of ownership.
  std::vector<::flatnet::vl2::TagValue> tags(const wire::NetworkConfig& ours) const;
  std::vector<std::span<const wire::Rule>> capability_rules(const wire::NetworkConfig& ours) const;
  std::vector<wire::CertificateOfOwnership> coos(const wire::NetworkConfig& ours) const;
  bool has_com() const { return com_.has_value(); }

  // Our pushes to this peer (stock's lastPushedCredentials).
  uint64_t last_pushed = 0;
  // The 60 s MULTICAST_LIKE gate toward this peer.
  uint64_t last_like = 0;
  // When this record last mattered (pruning idle records).
  uint64_t last_seen = 0;

 private:
  std::optional<wire::CertificateOfMembership> com_;
  // The peer's identity hash words (a SHA-384) for the gate, computed on
  // the first frame that needs them: the gate runs on every frame, and a
  // membership belongs to one peer. Keyed by the identity's public key so a
  // different identity recomputes them.
  struct IdentityWords {
    crypto::PublicKey key{};
    std::array<uint64_t, 4> words{};
  };
  mutable std::optional<IdentityWords> identity_words_;
  uint64_t com_revoked_below_ = 0;  // COMs with timestamp <= this are revoked
  std::map<uint32_t, wire::Capability> caps_;
  std::map<uint32_t, wire::Tag> tags_;
  std::map<std::pair<uint8_t, uint32_t>, uint64_t> revoked_;  // (type, id) -> threshold
  std::vector<wire::CertificateOfOwnership> coos_;
};

}  // namespace flatnet::control::vl2
