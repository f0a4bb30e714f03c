// Test helpers: independent single-packet references for suites 0/1
// (libsodium) and 3 (OpenSSL EVP AES-256-GCM/ECB/CTR), written straight
// from spec §3.2-3.3, plus random packets and the ISA list to iterate.
#pragma once

#include <openssl/evp.h>
#include <sodium.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "crypto/armor.hpp"
#include "crypto/mb/burst.hpp"

namespace flatnet::crypto::mb::test {

inline std::vector<Isa> all_isas() {
  std::vector<Isa> v;
  for (Isa i : {Isa::kScalar, Isa::kAvx2, Isa::kAvx512})
    if (isa_supported(i)) v.push_back(i);
  return v;
}

inline SharedKey random_key(std::mt19937_64& rng) {
  SharedKey k;
  for (auto& b : k.bytes) b = uint8_t(rng());
  return k;
}

// A plausible plain packet: random ID/addresses, flags with hops 0.
inline std::vector<uint8_t> random_packet(std::mt19937_64& rng, size_t payload) {
  std::vector<uint8_t> p(28 + payload);
  for (auto& b : p) b = uint8_t(rng());
  p[18] = uint8_t(p[18] & 0x40);  // maybe FRAGMENTED, no cipher, hops 0
  return p;
}

inline void ref_mangle(const uint8_t* k, const uint8_t* p, size_t len, uint8_t mk[32]) {
  for (int i = 0; i < 18; ++i) mk[i] = k[i] ^ p[i];
  mk[18] = k[18] ^ (p[18] & 0xf8);
  mk[19] = k[19] ^ uint8_t(len & 0xff);
  mk[20] = k[20] ^ uint8_t((len >> 8) & 0xff);
  for (int i = 21; i < 32; ++i) mk[i] = k[i];
}

// Spec §3.2 armor with libsodium's Salsa20/12 stream and Poly1305.
inline void ref_armor_salsa(std::vector<uint8_t>& p, const SharedKey& key, bool encrypt) {
  p[18] = uint8_t((p[18] & 0x47) | (encrypt ? 0x88 : 0x00));
  uint8_t mk[32];
  ref_mangle(key.data(), p.data(), p.size(), mk);
  std::vector<uint8_t> ks(64 + p.size());
  crypto_stream_salsa2012(ks.data(), ks.size(), p.data(), mk);
  if (encrypt)
    for (size_t i = 27; i < p.size(); ++i) p[i] ^= ks[64 + i - 27];
  uint8_t tag[16];
  crypto_onetimeauth_poly1305(tag, p.data() + 27, p.size() - 27, ks.data());
  std::memcpy(p.data() + 19, tag, 8);
}

inline void evp(const EVP_CIPHER* c, const uint8_t* key, const uint8_t* iv, const uint8_t* in,
                int len, uint8_t* out, bool enc) {
  EVP_CIPHER_CTX* x = EVP_CIPHER_CTX_new();
  int n = 0;
  EVP_CipherInit_ex(x, c, nullptr, key, iv, enc ? 1 : 0);
  EVP_CIPHER_CTX_set_padding(x, 0);
  EVP_CipherUpdate(x, out, &n, in, len);
  EVP_CipherFinal_ex(x, out + n, &n);
  EVP_CIPHER_CTX_free(x);
}

inline void ref_gmac(const uint8_t k0[32], const uint8_t iv12[12], const std::vector<uint8_t>& data,
                     uint8_t tag[16]) {
  EVP_CIPHER_CTX* x = EVP_CIPHER_CTX_new();
  int n = 0;
  EVP_EncryptInit_ex(x, EVP_aes_256_gcm(), nullptr, nullptr, nullptr);
  EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_IVLEN, 12, nullptr);
  EVP_EncryptInit_ex(x, nullptr, nullptr, k0, iv12);
  EVP_EncryptUpdate(x, nullptr, &n, data.data(), int(data.size()));
  uint8_t dummy[16];
  EVP_EncryptFinal_ex(x, dummy, &n);
  EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_GET_TAG, 16, tag);
  EVP_CIPHER_CTX_free(x);
}

// Spec §3.3 armor with OpenSSL's AES. K0/K1 from crypto::kbkdf_hmac_sha384.
inline void ref_armor_siv(std::vector<uint8_t>& p, const SharedKey& key) {
  uint8_t k0[48], k1[48];
  kbkdf_hmac_sha384(key, '0', k0);
  kbkdf_hmac_sha384(key, '1', k1);
  p[18] = uint8_t((p[18] & 0x47) | 0x18);
  std::vector<uint8_t> data(p.begin() + 8, p.begin() + 19);
  data.resize(16, 0);
  data.insert(data.end(), p.begin() + 27, p.end());
  uint8_t iv12[12] = {};
  std::memcpy(iv12, p.data(), 8);
  uint8_t g[16];
  ref_gmac(k0, iv12, data, g);
  uint8_t blk[16], b[16];
  std::memcpy(blk, p.data(), 8);
  for (int i = 0; i < 8; ++i) blk[8 + i] = g[i] ^ g[8 + i];
  evp(EVP_aes_256_ecb(), k1, nullptr, blk, 16, b, true);
  uint8_t ctr[16];
  std::memcpy(ctr, b, 16);
  ctr[12] &= 0x7f;
  std::vector<uint8_t> out(p.size() - 27);
  evp(EVP_aes_256_ctr(), k1, ctr, p.data() + 27, int(out.size()), out.data(), true);
  std::memcpy(p.data() + 27, out.data(), out.size());
  std::memcpy(p.data(), b, 8);
  std::memcpy(p.data() + 19, b + 8, 8);
}

inline std::vector<uint8_t> from_hex(const char* s) {
  std::vector<uint8_t> v;
  auto nib = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  for (; *s; ++s) {
    if (*s == ' ') continue;
    v.push_back(uint8_t(nib(s[0]) << 4 | nib(s[1])));
    ++s;
  }
  return v;
}

}  // namespace flatnet::crypto::mb::test
