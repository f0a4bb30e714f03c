// The moon/planet JSON of `initmoon` and `genmoon` (stock zerotier-idtool
// format, spec §6.4), kept apart from the command-line code so that tests
// can drive it directly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "crypto/identity.hpp"
#include "dataplane/wire/world.hpp"

namespace flatnet::idtool {

// A fresh moon definition whose first root is `seed`: a new signing key
// pair (signingKey, signingKey_SECRET, updatesMustBeSignedBy = signingKey),
// id = the seed's address, one root with no stable endpoints.
nlohmann::json initmoon_json(const crypto::Identity& seed, const crypto::PublicKey& pub,
                             const crypto::PrivateKey& priv);

// Builds and signs the world described by a genmoon JSON at `timestamp`
// (ms): roots' endpoints and the roots are sorted as stock does, the world
// is signed with signingKey/signingKey_SECRET and names
// updatesMustBeSignedBy as the key for its next revision. On failure returns
// nullopt and a one-line reason in *error (stock wording where stock has one).
std::optional<wire::World> genmoon_world(const nlohmann::json& j, uint64_t timestamp,
                                         std::string* error);

// Lowercase hex, and its inverse (whitespace ignored; nullopt on anything
// that is not hex or an odd digit count).
std::string to_hex(const uint8_t* p, size_t n);
std::optional<std::string> from_hex(std::string_view s);

}  // namespace flatnet::idtool
