// AES-GMAC-SIV (cipher 3, spec §3.3) on Intel ipsec-mb 1.3:
//   GMAC  = the GCM tag with K0 over (AAD || 5 zero bytes || P), IV = IV8 || 0^32
//   B     = AES_K1(IV8 || fold8(GMAC))          the SIV block, sent in bytes 0-7, 19-26
//   P'    = AES-CTR_K1(B with bit 7 of byte 12 cleared)(P)
// GMAC uses ipsec-mb's GMAC init/update/finalize, ECB and CTR its job API.
#include "crypto/aes_gmac_siv.hpp"

#include <cstring>
#include <vector>

#include <sodium.h>

#include "crypto/imb_mgr.hpp"

namespace flatnet::crypto::detail {
namespace {

constexpr size_t kPayload = 27;  // verb byte onward is P

// The 16-byte folded tag input of spec §3.3 step 1, returned as 8 bytes.
void gmac_fold(IMB_MGR* m, const PeerKeys::Aes& aes, const uint8_t iv8[8],
               const uint8_t* packet, uint8_t flags, const uint8_t* p, size_t plen,
               uint8_t t8[8]) {
  uint8_t iv12[12] = {};
  std::memcpy(iv12, iv8, 8);
  uint8_t aad16[16] = {};
  std::memcpy(aad16, packet + 8, 10);  // destination, source
  aad16[10] = flags;
  struct gcm_context_data ctx;
  uint8_t g[16];
  IMB_AES256_GMAC_INIT(m, &aes.k0, &ctx, iv12, sizeof iv12);
  IMB_AES256_GMAC_UPDATE(m, &aes.k0, &ctx, aad16, sizeof aad16);
  IMB_AES256_GMAC_UPDATE(m, &aes.k0, &ctx, p, plen);
  IMB_AES256_GMAC_FINALIZE(m, &aes.k0, &ctx, g, sizeof g);
  for (int i = 0; i < 8; ++i) t8[i] = g[i] ^ g[i + 8];
}

void ecb_block(IMB_MGR* m, const PeerKeys::Aes& aes, IMB_CIPHER_DIRECTION dir,
               const uint8_t in[16], uint8_t out[16]) {
  IMB_JOB* j = IMB_GET_NEXT_JOB(m);
  j->enc_keys = aes.k1_enc;
  j->dec_keys = aes.k1_dec;
  j->key_len_in_bytes = 32;
  j->src = in;
  j->dst = out;
  j->cipher_start_src_offset_in_bytes = 0;
  j->msg_len_to_cipher_in_bytes = 16;
  j->iv = nullptr;
  j->iv_len_in_bytes = 0;
  j->cipher_mode = IMB_CIPHER_ECB;
  j->cipher_direction = dir;
  j->chain_order = dir == IMB_DIR_ENCRYPT ? IMB_ORDER_CIPHER_HASH : IMB_ORDER_HASH_CIPHER;
  j->hash_alg = IMB_AUTH_NULL;
  imb_run_job(m);
}

// CTR with a full 16-byte initial counter block (ipsec-mb increments it as a
// big-endian counter; the 32-bit word starts below 2^31, so the low word
// never wraps for any legal packet and the two conventions agree).
void ctr(IMB_MGR* m, const PeerKeys::Aes& aes, const uint8_t ctr0[16], const uint8_t* in,
         uint8_t* out, size_t len) {
  IMB_JOB* j = IMB_GET_NEXT_JOB(m);
  j->enc_keys = aes.k1_enc;
  j->dec_keys = aes.k1_enc;
  j->key_len_in_bytes = 32;
  j->src = in;
  j->dst = out;
  j->cipher_start_src_offset_in_bytes = 0;
  j->msg_len_to_cipher_in_bytes = len;
  j->iv = ctr0;
  j->iv_len_in_bytes = 16;
  j->cipher_mode = IMB_CIPHER_CNTR;
  j->cipher_direction = IMB_DIR_ENCRYPT;
  j->chain_order = IMB_ORDER_CIPHER_HASH;
  j->hash_alg = IMB_AUTH_NULL;
  imb_run_job(m);
}

// Receive-side scratch for the decrypted payload, so that a packet whose
// tag fails is left exactly as it arrived.
std::vector<uint8_t>& scratch(size_t n) {
  thread_local std::vector<uint8_t> buf;
  if (buf.size() < n) buf.resize(n);
  return buf;
}

}  // namespace

void aes_keys_init(PeerKeys::Aes& aes, const SharedKey& key48) {
  IMB_MGR* m = imb_mgr();
  SecretBytes<48> k0, k1;
  kbkdf_hmac_sha384(key48, '0', k0.data());
  kbkdf_hmac_sha384(key48, '1', k1.data());
  IMB_AES_KEYEXP_256(m, k1.data(), aes.k1_enc, aes.k1_dec);
  IMB_AES256_GCM_PRE(m, k0.data(), &aes.k0);
}

void aes_keys_wipe(PeerKeys::Aes& aes) { sodium_memzero(&aes, sizeof aes); }

void aes_gmac_siv_armor(std::span<uint8_t> packet, const PeerKeys::Aes& aes) {
  IMB_MGR* m = imb_mgr();
  uint8_t* pkt = packet.data();
  uint8_t* p = pkt + kPayload;
  const size_t plen = packet.size() - kPayload;

  uint8_t blk[16];
  std::memcpy(blk, pkt, 8);  // IV8: the random packet ID
  gmac_fold(m, aes, blk, pkt, pkt[18], p, plen, blk + 8);

  uint8_t b[16];
  ecb_block(m, aes, IMB_DIR_ENCRYPT, blk, b);
  uint8_t ctr0[16];
  std::memcpy(ctr0, b, 16);
  ctr0[12] &= 0x7f;
  ctr(m, aes, ctr0, p, p, plen);

  std::memcpy(pkt, b, 8);
  std::memcpy(pkt + 19, b + 8, 8);
}

bool aes_gmac_siv_dearmor(std::span<uint8_t> packet, const PeerKeys::Aes& aes,
                          uint8_t original_iv[8]) {
  IMB_MGR* m = imb_mgr();
  uint8_t* pkt = packet.data();
  const uint8_t* c = pkt + kPayload;
  const size_t plen = packet.size() - kPayload;

  uint8_t b[16];
  std::memcpy(b, pkt, 8);
  std::memcpy(b + 8, pkt + 19, 8);
  uint8_t ctr0[16];
  std::memcpy(ctr0, b, 16);
  ctr0[12] &= 0x7f;
  std::vector<uint8_t>& plain = scratch(plen);
  ctr(m, aes, ctr0, c, plain.data(), plen);

  uint8_t x[16];  // x[0..7] = IV8, x[8..15] = the folded tag
  ecb_block(m, aes, IMB_DIR_DECRYPT, b, x);
  uint8_t t8[8];
  // Relays change only the hop bits; the sender authenticated them as 0.
  gmac_fold(m, aes, x, pkt, uint8_t(pkt[18] & 0xf8), plain.data(), plen, t8);
  if (!equal_ct(t8, x + 8, 8)) return false;

  std::memcpy(pkt + kPayload, plain.data(), plen);
  if (original_iv) std::memcpy(original_iv, x, 8);
  return true;
}

}  // namespace flatnet::crypto::detail
