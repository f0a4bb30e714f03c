// KBKDF in counter mode with HMAC-SHA-384 (NIST SP 800-108), exactly as
// ZeroTier derives its AES-GMAC-SIV keys (spec §1.8). HMAC-SHA-384 comes
// from libcrypto because libsodium 1.0.18 has no SHA-384.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "crypto/armor.hpp"

namespace flatnet::crypto {

void kbkdf_hmac_sha384(const SharedKey& key48, uint8_t label, uint8_t out[48]) {
  // iter (u32 BE) || 'Z' 'T' label 0x00 || context || L = 384 bits (u32 BE).
  // iter and context are always 0 in ZeroTier.
  const uint8_t msg[13] = {0, 0, 0, 0, 'Z', 'T', label, 0, 0, 0x00, 0x00, 0x01, 0x80};
  unsigned int len = 0;
  HMAC(EVP_sha384(), key48.data(), int(key48.size()), msg, sizeof msg, out, &len);
}

}  // namespace flatnet::crypto
