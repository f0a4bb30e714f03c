// Internal helpers shared by c25519.cpp and identity.cpp: deriving the two
// public halves of a type-0 key pair (spec §1.1).
#pragma once

#include <cstdint>

namespace flatnet::crypto::detail {

// X25519(secret, 9); the secret is clamped inside, not in place. False if
// libsodium rejects the result (all-zero output).
bool x25519_public(const uint8_t secret[32], uint8_t pub[32]);

// RFC 8032 public key of a 32-byte Ed25519 seed.
void ed25519_public(const uint8_t seed[32], uint8_t pub[32]);

}  // namespace flatnet::crypto::detail
