// Cross-checks of the armor against independent constructions on other
// libraries, for sizes Appendix B.4 (one 16-byte payload) cannot cover:
// multi-block CTR counters and Salsa20/12 keystream beyond block 1.
//   suite 3: OpenSSL AES-256-GCM (as GMAC), AES-256-ECB, AES-256-CTR
//   suite 1: libsodium crypto_stream_salsa2012 over 64 zero bytes || payload
#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <sodium.h>

#include <cstring>
#include <vector>

#include "crypto/armor.hpp"
#include "tests/unit/crypto/appendix_b.hpp"

namespace flatnet::crypto {
namespace {

// One EVP cipher pass; aad (GCM only) before any data.
std::vector<uint8_t> evp(const EVP_CIPHER* c, const uint8_t* key, const uint8_t* iv, int ivlen,
                         const std::vector<uint8_t>& aad, const std::vector<uint8_t>& in,
                         bool enc = true, uint8_t* tag16 = nullptr) {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  EVP_CipherInit_ex(ctx, c, nullptr, nullptr, nullptr, enc);
  if (ivlen) EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, ivlen, nullptr);
  EVP_CipherInit_ex(ctx, nullptr, nullptr, key, iv, enc);
  EVP_CIPHER_CTX_set_padding(ctx, 0);
  int n = 0;
  if (!aad.empty()) EVP_CipherUpdate(ctx, nullptr, &n, aad.data(), int(aad.size()));
  std::vector<uint8_t> out(in.size() + 16);
  int total = 0;
  if (!in.empty()) {
    EVP_CipherUpdate(ctx, out.data(), &n, in.data(), int(in.size()));
    total = n;
  }
  EVP_CipherFinal_ex(ctx, out.data() + total, &n);
  total += n;
  if (tag16) EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, tag16);
  EVP_CIPHER_CTX_free(ctx);
  out.resize(total);
  return out;
}

std::vector<uint8_t> reference_suite3(std::vector<uint8_t> pkt, const SharedKey& k) {
  uint8_t k0[48], k1[48];
  kbkdf_hmac_sha384(k, '0', k0);
  kbkdf_hmac_sha384(k, '1', k1);
  pkt[18] = uint8_t((pkt[18] & 0x47) | 0x18);
  std::vector<uint8_t> p(pkt.begin() + 27, pkt.end());
  std::vector<uint8_t> data(pkt.begin() + 8, pkt.begin() + 19);
  data.resize(16, 0);
  data.insert(data.end(), p.begin(), p.end());
  uint8_t iv12[12] = {};
  std::memcpy(iv12, pkt.data(), 8);
  uint8_t g[16];
  evp(EVP_aes_256_gcm(), k0, iv12, 12, data, {}, true, g);
  std::vector<uint8_t> blk(pkt.begin(), pkt.begin() + 8);
  for (int i = 0; i < 8; ++i) blk.push_back(g[i] ^ g[i + 8]);
  auto b = evp(EVP_aes_256_ecb(), k1, nullptr, 0, {}, blk);
  uint8_t ctr0[16];
  std::memcpy(ctr0, b.data(), 16);
  ctr0[12] &= 0x7f;
  auto c = evp(EVP_aes_256_ctr(), k1, ctr0, 0, {}, p);
  std::memcpy(pkt.data(), b.data(), 8);
  std::memcpy(pkt.data() + 19, b.data() + 8, 8);
  std::memcpy(pkt.data() + 27, c.data(), c.size());
  return pkt;
}

std::vector<uint8_t> reference_suite1(std::vector<uint8_t> pkt, const SharedKey& k) {
  pkt[18] = uint8_t((pkt[18] & 0x47) | 0x88);
  uint8_t mk[32];
  salsa_mangle_key(k.data(), pkt.data(), pkt.size(), mk);
  std::vector<uint8_t> buf(64, 0);
  buf.insert(buf.end(), pkt.begin() + 27, pkt.end());
  crypto_stream_salsa2012_xor(buf.data(), buf.data(), buf.size(), pkt.data(), mk);
  std::memcpy(pkt.data() + 27, buf.data() + 64, pkt.size() - 27);
  uint8_t tag[16];
  crypto_onetimeauth_poly1305(tag, pkt.data() + 27, pkt.size() - 27, buf.data());
  std::memcpy(pkt.data() + 19, tag, 8);
  return pkt;
}

TEST(CryptoArmorReference, MatchesIndependentConstructions) {
  SharedKey k = test::key_of(test::kB3K);
  PeerKeys keys(k);
  // Include B.4's plaintext so the reference itself is anchored to the spec.
  auto b4 = test::unhex(test::kB4Plain);
  EXPECT_EQ(test::hex(reference_suite3(b4, k)), test::kB4Cipher3);
  EXPECT_EQ(test::hex(reference_suite1(b4, k)), test::kB4Cipher1);

  for (size_t len : {28, 43, 44, 60, 91, 92, 93, 155, 156, 1000, 1050, 1051, 1052, 1400, 2800, 10024}) {
    std::vector<uint8_t> pkt(len);
    randombytes_buf(pkt.data(), len);
    pkt[18] &= 0x40;
    auto ours3 = pkt;
    armor(ours3, keys, Suite::kAesGmacSiv);
    EXPECT_EQ(ours3, reference_suite3(pkt, k)) << "suite 3, len " << len;
    auto ours1 = pkt;
    armor(ours1, keys, Suite::kSalsa2012Poly1305);
    EXPECT_EQ(ours1, reference_suite1(pkt, k)) << "suite 1, len " << len;
  }
}

}  // namespace
}  // namespace flatnet::crypto
