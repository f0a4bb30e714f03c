// Type-0 identities: generation, local validation, signatures, agreement
// (spec §1.1–§1.3, §1.6, §1.7, §1.9). Text and binary forms are in
// identity_codec.cpp.
#include "crypto/identity.hpp"

#include <cstdio>
#include <cstring>
#include <memory>

#include <openssl/evp.h>
#include <sodium.h>

#include "crypto/c25519_detail.hpp"
#include "crypto/memory_hard_hash.hpp"

namespace flatnet::crypto {

Identity Identity::generate() {
  Identity id;
  std::unique_ptr<uint8_t[]> scratch(new uint8_t[kMemoryHardScratch]);
  uint8_t digest[64];

  // The Ed25519 half is chosen once; only the X25519 secret changes between
  // tries (spec §1.1: only it takes part in the address search).
  randombytes_buf(id.private_.data(), id.private_.size());
  detail::ed25519_public(id.private_.data() + 32, id.public_.data() + 32);
  for (;;) {
    if (detail::x25519_public(id.private_.data(), id.public_.data())) {
      memory_hard_hash(id.public_, digest, scratch.get());
      const uint64_t addr = memory_hard_digest_address(digest);
      if (addr != 0 && !is_reserved_address(addr)) {
        id.address_ = addr;
        break;
      }
    }
    randombytes_buf(id.private_.data(), 32);
  }
  id.has_private_ = true;
  return id;
}

bool Identity::locally_validate() const {
  if (is_reserved_address(address_)) return false;
  if (has_private_) {
    uint8_t x[32], ed[32];
    if (!detail::x25519_public(private_.data(), x)) return false;
    detail::ed25519_public(private_.data() + 32, ed);
    if (std::memcmp(x, public_.data(), 32) != 0 ||
        std::memcmp(ed, public_.data() + 32, 32) != 0)
      return false;
  }
  uint8_t digest[64];
  memory_hard_hash(public_, digest);
  return memory_hard_digest_address(digest) == address_;
}

std::string Identity::address_string() const {
  char buf[11];
  std::snprintf(buf, sizeof buf, "%010llx", static_cast<unsigned long long>(address_));
  return std::string(buf, 10);
}

Signature Identity::sign(std::span<const uint8_t> msg) const {
  // Without a private key there is nothing to sign with; an all-zero
  // signature never verifies, so a caller's mistake cannot go unnoticed.
  if (!has_private_) return Signature{};
  return c25519_sign(private_, public_, msg);
}

bool Identity::verify(std::span<const uint8_t> msg, std::span<const uint8_t> sig) const {
  return c25519_verify(public_, msg, sig);
}

bool Identity::agree(const Identity& other, SharedKey& out) const {
  if (!has_private_) return false;
  SecretBytes<crypto_scalarmult_BYTES> raw;
  if (crypto_scalarmult(raw.data(), private_.data(), other.public_.data()) != 0)
    return false;  // degenerate (small-order) peer key
  SecretBytes<crypto_hash_sha512_BYTES> h;
  crypto_hash_sha512(h.data(), raw.data(), raw.size());
  std::memcpy(out.data(), h.data(), kSharedKeySize);
  return true;
}

std::array<uint8_t, 48> Identity::public_key_hash() const {
  uint8_t in[5 + kPublicKeySize];
  for (int i = 0; i < 5; ++i) in[i] = uint8_t(address_ >> (8 * (4 - i)));
  std::memcpy(in + 5, public_.data(), kPublicKeySize);
  std::array<uint8_t, 48> out{};
  unsigned int len = 0;
  EVP_Digest(in, sizeof in, out.data(), &len, EVP_sha384(), nullptr);
  return out;
}

}  // namespace flatnet::crypto
