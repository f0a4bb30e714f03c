// Single AES-256 blocks under different keys, eight at a time with AES-NI
// (compiled with -maes; dispatch checks CPUID before use). This is suite
// 3's SIV block: one block per packet, each packet possibly under its own
// peer key, which ipsec-mb 1.3 can only do as one ECB job per block
// (~30 ns each, mostly job overhead); interleaving eight independent
// blocks keeps the AES unit busy instead of waiting on round latency.
// The round keys are ipsec-mb's own expanded schedules (PeerKeyset).
#include <immintrin.h>

#include "crypto/mb/aes_block.hpp"

namespace flatnet::crypto::mb::detail {
namespace {

constexpr int kRounds = 14;  // AES-256
constexpr unsigned kWay = 8;

inline __m128i rk(const uint32_t* ks, int r) {
  return _mm_load_si128(reinterpret_cast<const __m128i*>(ks) + r);
}

}  // namespace

void aes256_blocks_aesni(const AesBlockJob* jobs, unsigned n, bool encrypt) {
  for (unsigned base = 0; base < n; base += kWay) {
    const unsigned m = n - base < kWay ? n - base : kWay;
    const AesBlockJob* j = jobs + base;
    __m128i s[kWay];
    for (unsigned i = 0; i < m; ++i)
      s[i] = _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(j[i].block)), rk(j[i].keys, 0));
    if (encrypt) {
      for (int r = 1; r < kRounds; ++r)
        for (unsigned i = 0; i < m; ++i) s[i] = _mm_aesenc_si128(s[i], rk(j[i].keys, r));
      for (unsigned i = 0; i < m; ++i) s[i] = _mm_aesenclast_si128(s[i], rk(j[i].keys, kRounds));
    } else {
      for (int r = 1; r < kRounds; ++r)
        for (unsigned i = 0; i < m; ++i) s[i] = _mm_aesdec_si128(s[i], rk(j[i].keys, r));
      for (unsigned i = 0; i < m; ++i) s[i] = _mm_aesdeclast_si128(s[i], rk(j[i].keys, kRounds));
    }
    for (unsigned i = 0; i < m; ++i) _mm_storeu_si128(reinterpret_cast<__m128i*>(j[i].block), s[i]);
  }
}

}  // namespace flatnet::crypto::mb::detail
