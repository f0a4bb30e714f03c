// Packet armor for one packet at a time: cipher suites 0 (Poly1305),
// 1 (Salsa20/12 + Poly1305) and 3 (AES-GMAC-SIV), and HELLO's tail
// encryption (spec §3). The burst (multi-buffer) engines in crypto/mb/
// implement the same transforms and are checked against this file.
//
// A "packet" here is a whole assembled VL1 packet: header (28 bytes) plus
// verb and payload, fragments already joined.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "crypto/identity.hpp"

namespace flatnet::crypto {

enum class Suite : uint8_t {
  kPoly1305 = 0,           // MAC only
  kSalsa2012Poly1305 = 1,
  kAesGmacSiv = 3,
};

// Everything needed to armor/dearmor toward one peer, derived once when the
// peer's key is agreed, never per packet: the 48-byte key and the expanded
// AES key schedules for K0 (GMAC) and K1 (SIV block + CTR).
class PeerKeys {
 public:
  explicit PeerKeys(const SharedKey& key48);
  ~PeerKeys();
  PeerKeys(const PeerKeys&) = delete;
  PeerKeys& operator=(const PeerKeys&) = delete;

  const SharedKey& key48() const { return key48_; }
  // Opaque expanded AES state (ipsec-mb key schedules + GHASH tables).
  struct Aes;
  const Aes& aes() const { return *aes_; }

 private:
  SharedKey key48_;
  std::unique_ptr<Aes> aes_;
};

// KBKDF-HMAC-SHA384(key48, label, context 0, iter 0) -> 48 bytes (spec §1.8).
void kbkdf_hmac_sha384(const SharedKey& key48, uint8_t label, uint8_t out[48]);

// Armors `packet` in place with `suite`. Sets the cipher bits (and the legacy
// 0x80 bit for suite 1) in byte 18 first; the FRAGMENTED flag and hops must
// already be as they will be sent. For suite 3, bytes 0..7 must hold the
// random IV and are replaced by the SIV block. packet.size() >= 28.
void armor(std::span<uint8_t> packet, const PeerKeys& keys, Suite suite);

enum class DearmorResult : uint8_t {
  kOk = 0,
  kTooShort,          // < 28 bytes
  kBadMac,            // authentication failed; packet left unmodified
  kUnsupportedCipher, // cipher 2 (trusted path) or 4..7
};

// Authenticates and (suites 1, 3) decrypts `packet` in place. Hop bits are
// ignored. For suite 3, if original_iv is non-null it receives the sender's
// 8-byte random IV recovered from the SIV block (needed to re-armor).
DearmorResult dearmor(std::span<uint8_t> packet, const PeerKeys& keys,
                      uint8_t original_iv[8] = nullptr);

const char* to_string(DearmorResult r);

// HELLO tail encryption (spec §3.5): XOR packet[start..end) with unmangled
// Salsa20/12 keyed by key48[0..31], nonce = packet id with the low 3 bits of
// byte 7 cleared. Its own inverse.
void hello_crypt_field(const SharedKey& key48, std::span<uint8_t> packet, size_t start);

// The per-packet Salsa20/12 key of suites 0/1 (spec §3.2), exposed for the
// multi-buffer engines and their tests.
void salsa_mangle_key(const uint8_t key48[32], const uint8_t* packet, size_t len,
                      uint8_t out[32]);

// One line naming the code paths in use on this CPU (ipsec-mb version and
// ISA tier, the CPU features it saw, libsodium's), for benchmarks and logs.
std::string backend_description();

}  // namespace flatnet::crypto
