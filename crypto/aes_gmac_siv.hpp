// Internal (also for crypto/mb/): AES-GMAC-SIV, cipher suite 3 (spec §3.3),
// one packet at a time on Intel ipsec-mb, and the per-peer expanded keys.
#pragma once

#include <intel-ipsec-mb.h>

#include <cstdint>
#include <span>

#include "crypto/armor.hpp"

namespace flatnet::crypto {

// Expanded once per peer (spec §1.8): K0 drives the GMAC pass, K1 the SIV
// block cipher and CTR. Both derive from the 48-byte key by KBKDF.
struct PeerKeys::Aes {
  alignas(16) uint8_t k1_enc[16 * 15];  // AES-256 encryption round keys
  alignas(16) uint8_t k1_dec[16 * 15];  // AES-256 decryption round keys
  struct gcm_key_data k0;               // K0 round keys + GHASH key powers
};

namespace detail {

void aes_keys_init(PeerKeys::Aes& aes, const SharedKey& key48);
void aes_keys_wipe(PeerKeys::Aes& aes);

// packet.size() >= 28; byte 18 already carries cipher 3.
void aes_gmac_siv_armor(std::span<uint8_t> packet, const PeerKeys::Aes& aes);

// Returns false (packet untouched) if the tag does not verify.
bool aes_gmac_siv_dearmor(std::span<uint8_t> packet, const PeerKeys::Aes& aes,
                          uint8_t original_iv[8]);

}  // namespace detail
}  // namespace flatnet::crypto
