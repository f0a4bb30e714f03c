// Raw "C25519" key pairs (X25519 || Ed25519) and ZeroTier's 96-byte
// signatures (spec §1.1, §1.6). All primitives are libsodium's.
#include <cstring>

#include <sodium.h>

#include "crypto/c25519_detail.hpp"
#include "crypto/identity.hpp"

namespace flatnet::crypto {
namespace detail {

bool x25519_public(const uint8_t secret[32], uint8_t pub[32]) {
  return crypto_scalarmult_base(pub, secret) == 0;
}

void ed25519_public(const uint8_t seed[32], uint8_t pub[32]) {
  SecretBytes<crypto_sign_SECRETKEYBYTES> sk;
  crypto_sign_seed_keypair(pub, sk.data(), seed);
}

}  // namespace detail

namespace {

// ZeroTier signs the first half of SHA-512(msg), not the message itself.
void message_digest32(std::span<const uint8_t> msg, uint8_t out[32]) {
  uint8_t h[crypto_hash_sha512_BYTES];
  crypto_hash_sha512(h, msg.data(), msg.size());
  std::memcpy(out, h, 32);
}

}  // namespace

Signature c25519_sign(const PrivateKey& priv, const PublicKey& pub,
                      std::span<const uint8_t> msg) {
  (void)pub;  // libsodium re-derives the Ed25519 public half from the seed
  Signature sig{};
  uint8_t m[32];
  message_digest32(msg, m);
  // libsodium signs with a 64-byte secret (seed || public) expanded from the
  // seed; the expansion lives only in this wiped buffer.
  SecretBytes<crypto_sign_SECRETKEYBYTES> sk;
  uint8_t edpub[crypto_sign_PUBLICKEYBYTES];
  crypto_sign_seed_keypair(edpub, sk.data(), priv.data() + 32);
  crypto_sign_detached(sig.data(), nullptr, m, sizeof m, sk.data());
  std::memcpy(sig.data() + 64, m, 32);
  return sig;
}

bool c25519_verify(const PublicKey& pub, std::span<const uint8_t> msg,
                   std::span<const uint8_t> sig) {
  if (sig.size() != kSignatureSize) return false;
  uint8_t m[32];
  message_digest32(msg, m);
  if (!equal_ct(m, sig.data() + 64, 32)) return false;
  return crypto_sign_verify_detached(sig.data(), m, sizeof m, pub.data() + 32) == 0;
}

void c25519_generate(PublicKey& pub, PrivateKey& priv) {
  for (;;) {
    randombytes_buf(priv.data(), priv.size());
    if (detail::x25519_public(priv.data(), pub.data())) break;
  }
  detail::ed25519_public(priv.data() + 32, pub.data() + 32);
}

}  // namespace flatnet::crypto
