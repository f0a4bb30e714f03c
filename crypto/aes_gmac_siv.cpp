// AES-GMAC-SIV (cipher 3, spec §3.3) on Intel ipsec-mb 1.3:
//   GMAC  = the GCM tag with K0 over (AAD || 5 zero bytes || P), IV = IV8 || 0^32
//   B     = AES_K1(IV8 || fold8(GMAC))          the SIV block, sent in bytes 0-7, 19-26
//   P'    = AES-CTR_K1(B with bit 7 of byte 12 cleared)(P)
// GMAC uses ipsec-mb's GCM/GMAC API, ECB and CTR its job API.
#include "crypto/aes_gmac_siv.hpp"

#include <cstring>
#include <vector>

#include <sodium.h>

#include "crypto/imb_mgr.hpp"

namespace flatnet::crypto::detail {
namespace {

constexpr size_t kPayload = 27;  // verb byte onward is P

// Payloads up to this size are GMACed in one ipsec-mb call over a contiguous
// copy (AAD block || P) on the stack, which for small packets costs less than
// the init/update/update/finalize sequence; larger ones stream without a copy.
constexpr size_t kContiguousMax = 1024;

// The AAD block of spec §3.3: destination, source, flags, 5 zero bytes.
void aad_block(const uint8_t* packet, uint8_t flags, uint8_t out[16]) {
  std::memcpy(out, packet + 8, 10);
  out[10] = flags;
  std::memset(out + 11, 0, 5);
}

void fold(const uint8_t g[16], uint8_t t8[8]) {
  for (int i = 0; i < 8; ++i) t8[i] = g[i] ^ g[i + 8];
}

// GMAC over `data` = AAD block || P already contiguous (n = 16 + |P|).
void gmac_contiguous(IMB_MGR* m, const PeerKeys::Aes& aes, const uint8_t iv8[8],
                     const uint8_t* data, size_t n, uint8_t t8[8]) {
  uint8_t iv12[12] = {};
  std::memcpy(iv12, iv8, 8);
  struct gcm_context_data ctx;
  uint8_t g[16];
  // A GCM encryption of nothing whose additional data is `data`: its tag is
  // exactly GMAC(data).
  IMB_AES256_GCM_ENC(m, &aes.k0, &ctx, nullptr, nullptr, 0, iv12, data, n, g, sizeof g);
  fold(g, t8);
}

// GMAC over AAD block || P with P elsewhere: streamed, no copy.
void gmac_streamed(IMB_MGR* m, const PeerKeys::Aes& aes, const uint8_t iv8[8],
                   const uint8_t aad16[16], const uint8_t* p, size_t plen, uint8_t t8[8]) {
  uint8_t iv12[12] = {};
  std::memcpy(iv12, iv8, 8);
  struct gcm_context_data ctx;
  uint8_t g[16];
  IMB_AES256_GMAC_INIT(m, &aes.k0, &ctx, iv12, sizeof iv12);
  IMB_AES256_GMAC_UPDATE(m, &aes.k0, &ctx, aad16, 16);
  IMB_AES256_GMAC_UPDATE(m, &aes.k0, &ctx, p, plen);
  IMB_AES256_GMAC_FINALIZE(m, &aes.k0, &ctx, g, sizeof g);
  fold(g, t8);
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
  if (plen <= kContiguousMax) {
    alignas(64) uint8_t data[16 + kContiguousMax];
    aad_block(pkt, pkt[18], data);
    std::memcpy(data + 16, p, plen);
    gmac_contiguous(m, aes, blk, data, 16 + plen, blk + 8);
  } else {
    uint8_t aad[16];
    aad_block(pkt, pkt[18], aad);
    gmac_streamed(m, aes, blk, aad, p, plen, blk + 8);
  }

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
  uint8_t x[16];  // x[0..7] = IV8, x[8..15] = the folded tag
  ecb_block(m, aes, IMB_DIR_DECRYPT, b, x);

  // Decrypt into a buffer, never into the packet, so that a packet whose
  // tag fails is left exactly as it arrived. Relays change only the hop
  // bits, which the sender authenticated as 0.
  const uint8_t flags = uint8_t(pkt[18] & 0xf8);
  uint8_t t8[8];
  alignas(64) uint8_t small[16 + kContiguousMax];
  const uint8_t* plain;
  if (plen <= kContiguousMax) {
    aad_block(pkt, flags, small);
    ctr(m, aes, ctr0, c, small + 16, plen);
    gmac_contiguous(m, aes, x, small, 16 + plen, t8);
    plain = small + 16;
  } else {
    std::vector<uint8_t>& big = scratch(plen);
    ctr(m, aes, ctr0, c, big.data(), plen);
    uint8_t aad[16];
    aad_block(pkt, flags, aad);
    gmac_streamed(m, aes, x, aad, big.data(), plen, t8);
    plain = big.data();
  }
  if (!equal_ct(t8, x + 8, 8)) return false;

  std::memcpy(pkt + kPayload, plain, plen);
  if (original_iv) std::memcpy(original_iv, x, 8);
  return true;
}

}  // namespace flatnet::crypto::detail
