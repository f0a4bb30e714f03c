// ZeroTier identities, type 0 ("C25519"): X25519 + Ed25519 key pairs whose
// 40-bit address is derived by a memory-hard hash (spec §1).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/secure.hpp"

namespace flatnet::crypto {

inline constexpr size_t kPublicKeySize = 64;   // X25519 pub || Ed25519 pub
inline constexpr size_t kPrivateKeySize = 64;  // X25519 secret || Ed25519 seed
inline constexpr size_t kSignatureSize = 96;   // Ed25519 sig (64) || SHA-512(msg)[0..31]
inline constexpr size_t kSharedKeySize = 48;   // SHA-512(X25519(...))[0..47]
inline constexpr size_t kIdentityBinaryPublicSize = 71;
inline constexpr size_t kMemoryHardScratch = 2 * 1024 * 1024;

using PublicKey = std::array<uint8_t, kPublicKeySize>;
using PrivateKey = SecretBytes<kPrivateKeySize>;
using Signature = std::array<uint8_t, kSignatureSize>;
using SharedKey = SecretBytes<kSharedKeySize>;

// Reserved addresses (spec §1.2): zero, or a first byte of 0xff. Same rule
// as wire::address_is_reserved; restated here because crypto/ depends on
// nothing else of ours.
inline constexpr bool is_reserved_address(uint64_t a) {
  return a == 0 || (a >> 32) == 0xff;
}

// The memory-hard digest of a public key (spec §1.3). 64 bytes out.
void memory_hard_hash(const PublicKey& pub, uint8_t digest[64]);

// Sign/verify with a raw C25519 key pair (used by worlds, whose signing
// keys are not identities). 96-byte signatures (spec §1.6).
Signature c25519_sign(const PrivateKey& priv, const PublicKey& pub,
                      std::span<const uint8_t> msg);
bool c25519_verify(const PublicKey& pub, std::span<const uint8_t> msg,
                   std::span<const uint8_t> sig);
// A fresh random C25519 key pair (no address search): world signing keys.
void c25519_generate(PublicKey& pub, PrivateKey& priv);

class Identity {
 public:
  Identity() = default;

  // Generates a new identity satisfying the address criterion. Slow by
  // design (~15 memory-hard hashes on average).
  static Identity generate();

  // Parses "<addr>:0:<pub hex>[:<priv hex>]". Surrounding whitespace is
  // trimmed. On failure returns nullopt and, if given, a one-line reason.
  // Does not run the memory-hard check: call locally_validate() for that.
  static std::optional<Identity> from_string(std::string_view text,
                                             std::string* error = nullptr);

  // Parses the binary form (spec §1.5) at the start of `in`; sets *consumed.
  static std::optional<Identity> from_binary(std::span<const uint8_t> in,
                                             size_t* consumed,
                                             std::string* error = nullptr);

  std::string to_string(bool include_private) const;
  void append_binary(std::vector<uint8_t>& out, bool include_private) const;

  // Full check: keys consistent (when private present), memory-hard digest
  // meets the criterion and names this address, address not reserved.
  bool locally_validate() const;

  uint64_t address() const { return address_; }
  std::string address_string() const;  // 10 lowercase hex digits
  const PublicKey& public_key() const { return public_; }
  bool has_private() const { return has_private_; }
  const PrivateKey& private_key() const { return private_; }

  Signature sign(std::span<const uint8_t> msg) const;  // requires private
  bool verify(std::span<const uint8_t> msg, std::span<const uint8_t> sig) const;

  // 48-byte shared key with `other` (requires our private). False if the
  // X25519 result is degenerate.
  bool agree(const Identity& other, SharedKey& out) const;

  // SHA-384(address || public key), used in certificates of membership.
  std::array<uint8_t, 48> public_key_hash() const;

  bool operator==(const Identity& o) const {
    return address_ == o.address_ && public_ == o.public_;
  }

 private:
  uint64_t address_ = 0;
  PublicKey public_{};
  PrivateKey private_{};
  bool has_private_ = false;
};

}  // namespace flatnet::crypto
