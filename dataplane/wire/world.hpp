// Worlds: the signed root lists ("planet", type 1; "moon", type 127) of
// spec §6, their binary form, their signed-message form and the update rule.
//
// The binary form is what sits in <home>/planet, moons.d/<id>.moon and in
// OK(HELLO). A world round-trips byte for byte: deserialize then serialize
// gives back the input (for worlds that contain no reserved address types).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "crypto/identity.hpp"
#include "dataplane/wire/inet_address.hpp"

namespace flatnet::wire {

inline constexpr size_t kWorldMaxRoots = 4;              // ZT_WORLD_MAX_ROOTS
inline constexpr size_t kWorldMaxEndpointsPerRoot = 32;  // ZT_WORLD_MAX_STABLE_ENDPOINTS_PER_ROOT
inline constexpr size_t kWorldMaxSerializedLength = 8480;
inline constexpr uint64_t kWorldIdEarth = 149604618;

enum class WorldType : uint8_t { kNull = 0, kPlanet = 1, kMoon = 127 };

struct WorldRoot {
  crypto::Identity identity;            // public part only is serialized
  std::vector<InetAddress> endpoints;   // "stable endpoints"

  // Stock sort order (genmoon): by address, then public key bytes.
  bool operator<(const WorldRoot& o) const;
  bool operator==(const WorldRoot& o) const {
    return identity == o.identity && endpoints == o.endpoints;
  }
};

struct World {
  WorldType type = WorldType::kNull;
  uint64_t id = 0;
  uint64_t timestamp = 0;  // ms; the revision number
  crypto::PublicKey updates_must_be_signed_by{};
  crypto::Signature signature{};
  std::vector<WorldRoot> roots;
  // Moons only: the bytes of the trailing dictionary (stock writes none).
  std::vector<uint8_t> moon_dictionary;

  bool is_null() const { return type == WorldType::kNull; }
};

enum class WorldStatus : uint8_t {
  kOk = 0,
  kTruncated,
  kBadType,            // not 1 or 127
  kTooManyRoots,
  kTooManyEndpoints,
  kBadIdentity,
  kBadEndpoint,        // unknown InetAddress type
  kTooLong,            // over kWorldMaxSerializedLength
};
const char* to_string(WorldStatus s);

// Parses a world from the start of `in`. *consumed (if given) receives the
// number of bytes used; bytes after the world are the caller's business.
WorldStatus deserialize_world(std::span<const uint8_t> in, World& out,
                              size_t* consumed = nullptr);

// Appends the binary form (for_sign = false) or the signed message
// (for_sign = true: 8 x 0x7f, fields without the signature, 8 x 0xf7).
// Returns false if the world breaks a limit (roots, endpoints, length).
bool serialize_world(const World& w, std::vector<uint8_t>& out, bool for_sign = false);

// Verifies w.signature over w's signed message with `key`.
bool world_verify(const World& w, const crypto::PublicKey& key);
// Signs w (sets w.signature) with the C25519 pair (pub, priv).
bool world_sign(World& w, const crypto::PublicKey& pub, const crypto::PrivateKey& priv);

// Sorts each root's endpoints and then the roots, as stock genmoon does
// before signing; needed to reproduce stock .moon bytes.
void sort_world_roots(std::vector<WorldRoot>& roots);

// Spec §6.3: `update` replaces `current` iff current is null, or both have
// the same type and id, update is newer, and update's signature verifies
// with current.updates_must_be_signed_by.
bool should_be_replaced_by(const World& current, const World& update);

}  // namespace flatnet::wire
