// Packet armor, one packet at a time (spec §3): suites 0 and 1 (Salsa20/12
// keystream, Poly1305 tag), dispatch to AES-GMAC-SIV for suite 3, and the
// HELLO tail encryption. libsodium supplies Salsa20/12 and Poly1305.
#include "crypto/armor.hpp"

#include <cstring>

#include <sodium.h>

#include "crypto/aes_gmac_siv.hpp"

namespace flatnet::crypto {
namespace {

constexpr size_t kHeader = 28;
constexpr size_t kIdxFlags = 18;
constexpr size_t kIdxMac = 19;
constexpr size_t kIdxVerb = 27;
constexpr uint8_t kLegacyEncrypted = 0x80;
constexpr uint8_t kCipherMask = 0x38;

// Salsa20/12 keystream block `block` (64-bit little-endian counter).
void salsa2012_block(const uint8_t key[32], const uint8_t nonce[8], uint64_t block,
                     uint8_t out[64]) {
  uint8_t in[16];
  std::memcpy(in, nonce, 8);
  for (int i = 0; i < 8; ++i) in[8 + i] = uint8_t(block >> (8 * i));
  crypto_core_salsa2012(out, in, key, nullptr);
}

// XOR data with the Salsa20/12 keystream starting at block `first_block`.
// libsodium 1.0.18 has no salsa2012 "_xor_ic", and suite 1 starts its
// encryption at block 1 (block 0 gives the Poly1305 key), hence blockwise.
void salsa2012_xor_from(const uint8_t key[32], const uint8_t nonce[8], uint64_t first_block,
                        uint8_t* data, size_t len) {
  uint8_t ks[64];
  for (uint64_t b = first_block; len > 0; ++b) {
    salsa2012_block(key, nonce, b, ks);
    const size_t n = len < 64 ? len : 64;
    for (size_t i = 0; i < n; ++i) data[i] ^= ks[i];
    data += n;
    len -= n;
  }
  sodium_memzero(ks, sizeof ks);
}

// The 8-byte MAC of suites 0/1: Poly1305 over bytes 27..end, keyed by the
// first 32 bytes of keystream block 0 under the mangled key.
void poly1305_mac(const uint8_t* pkt, size_t len, const uint8_t mk[32], uint8_t tag8[8]) {
  uint8_t block0[64];
  salsa2012_block(mk, pkt, 0, block0);
  uint8_t tag[crypto_onetimeauth_poly1305_BYTES];
  crypto_onetimeauth_poly1305(tag, pkt + kIdxVerb, len - kIdxVerb, block0);
  std::memcpy(tag8, tag, 8);
  sodium_memzero(block0, sizeof block0);
}

void armor_salsa_poly(std::span<uint8_t> packet, const PeerKeys& keys, bool encrypt) {
  uint8_t* pkt = packet.data();
  const size_t len = packet.size();
  SecretBytes<32> mk;
  salsa_mangle_key(keys.key48().data(), pkt, len, mk.data());
  if (encrypt) salsa2012_xor_from(mk.data(), pkt, 1, pkt + kIdxVerb, len - kIdxVerb);
  poly1305_mac(pkt, len, mk.data(), pkt + kIdxMac);
}

bool dearmor_salsa_poly(std::span<uint8_t> packet, const PeerKeys& keys, bool decrypt) {
  uint8_t* pkt = packet.data();
  const size_t len = packet.size();
  SecretBytes<32> mk;
  salsa_mangle_key(keys.key48().data(), pkt, len, mk.data());
  uint8_t tag8[8];
  poly1305_mac(pkt, len, mk.data(), tag8);
  if (!equal_ct(tag8, pkt + kIdxMac, 8)) return false;
  if (decrypt) salsa2012_xor_from(mk.data(), pkt, 1, pkt + kIdxVerb, len - kIdxVerb);
  return true;
}

}  // namespace

PeerKeys::PeerKeys(const SharedKey& key48) : key48_(key48), aes_(new Aes) {
  detail::aes_keys_init(*aes_, key48_);
}

PeerKeys::~PeerKeys() { detail::aes_keys_wipe(*aes_); }

void salsa_mangle_key(const uint8_t key48[32], const uint8_t* packet, size_t len,
                      uint8_t out[32]) {
  for (int i = 0; i < 18; ++i) out[i] = key48[i] ^ packet[i];
  out[18] = key48[18] ^ (packet[kIdxFlags] & 0xf8);  // hop bits do not count
  out[19] = key48[19] ^ uint8_t(len);                // length, little-endian
  out[20] = key48[20] ^ uint8_t(len >> 8);
  for (int i = 21; i < 32; ++i) out[i] = key48[i];
}

void armor(std::span<uint8_t> packet, const PeerKeys& keys, Suite suite) {
  if (packet.size() < kHeader) return;  // precondition; nothing sane to armor
  uint8_t& flags = packet[kIdxFlags];
  const uint8_t cipher = uint8_t(suite);
  flags = uint8_t((flags & ~(kCipherMask | kLegacyEncrypted)) | (cipher << 3));
  switch (suite) {
    case Suite::kPoly1305:
      armor_salsa_poly(packet, keys, false);
      break;
    case Suite::kSalsa2012Poly1305:
      flags |= kLegacyEncrypted;  // for pre-1.0.3 receivers (spec §3.2)
      armor_salsa_poly(packet, keys, true);
      break;
    case Suite::kAesGmacSiv:
      detail::aes_gmac_siv_armor(packet, keys.aes());
      break;
  }
}

DearmorResult dearmor(std::span<uint8_t> packet, const PeerKeys& keys, uint8_t original_iv[8]) {
  if (packet.size() < kHeader) return DearmorResult::kTooShort;
  switch ((packet[kIdxFlags] & kCipherMask) >> 3) {
    case 0:
      return dearmor_salsa_poly(packet, keys, false) ? DearmorResult::kOk : DearmorResult::kBadMac;
    case 1:
      return dearmor_salsa_poly(packet, keys, true) ? DearmorResult::kOk : DearmorResult::kBadMac;
    case 3:
      return detail::aes_gmac_siv_dearmor(packet, keys.aes(), original_iv)
                 ? DearmorResult::kOk
                 : DearmorResult::kBadMac;
    default:
      return DearmorResult::kUnsupportedCipher;
  }
}

const char* to_string(DearmorResult r) {
  switch (r) {
    case DearmorResult::kOk: return "ok";
    case DearmorResult::kTooShort: return "packet shorter than 28 bytes";
    case DearmorResult::kBadMac: return "authentication failed";
    case DearmorResult::kUnsupportedCipher: return "unsupported cipher (2 or 4-7)";
  }
  return "unknown";
}

void hello_crypt_field(const SharedKey& key48, std::span<uint8_t> packet, size_t start) {
  if (packet.size() < 8 || start >= packet.size()) return;
  uint8_t nonce[8];
  std::memcpy(nonce, packet.data(), 8);
  nonce[7] &= 0xf8;  // historical: both sides mask the low 3 bits (spec §3.5)
  uint8_t* p = packet.data() + start;
  crypto_stream_salsa2012_xor(p, p, packet.size() - start, nonce, key48.data());
}

}  // namespace flatnet::crypto
