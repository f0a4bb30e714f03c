// Internal: the layout behind PeerKeyset::Aes (ipsec-mb's formats).
#pragma once

#include <intel-ipsec-mb.h>

#include "crypto/mb/burst.hpp"

namespace flatnet::crypto::mb {

struct PeerKeyset::Aes {
  alignas(64) gcm_key_data k0_gcm;   // K0 round keys + GHASH tables (GMAC)
  alignas(16) uint32_t k1_enc[60];   // K1 encryption schedule (SIV block, CTR)
  alignas(16) uint32_t k1_dec[60];   // K1 decryption schedule (SIV block on receive)
};

}  // namespace flatnet::crypto::mb
