// Poly1305 over 8 messages at once with AVX2, for CPUs without AVX-512
// IFMA: one message and one key per 64-bit lane, two registers of four
// lanes. Compiled with -mavx2; called only on CPUs that have it.
//
// Numbers are held in base 2^26 (five limbs), so vpmuludq's 32x32->64-bit
// products of limbs (< 2^27) and 5*r limbs (< 2^29) sum to < 2^60 without
// overflow, and 2^130 = 5 (mod p) folds the high products back.
// Lanes whose message is shorter are masked off (blend), so a lane's
// result never depends on the others.
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "crypto/mb/kernels.hpp"

namespace flatnet::crypto::mb::detail {
namespace {

constexpr uint64_t kM26 = (uint64_t(1) << 26) - 1;

inline uint64_t le64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// Full carry, reduction mod 2^130-5 and "+ s mod 2^128" for one lane.
void finish(uint64_t h[5], const uint8_t* key, uint8_t tag[16]) {
  uint64_t c = 0;
  for (int pass = 0; pass < 2; ++pass) {
    for (int i = 0; i < 5; ++i) {
      h[i] += c;
      c = h[i] >> 26;
      h[i] &= kM26;
    }
    c *= 5;
  }
  h[0] += c;
  c = h[0] >> 26; h[0] &= kM26; h[1] += c;  // h < 2^130 + small now
  uint64_t g[5];
  c = 5;
  for (int i = 0; i < 5; ++i) {
    g[i] = h[i] + c;
    c = g[i] >> 26;
    g[i] &= kM26;
  }
  // h + 5 >= 2^130 (i.e. h >= p) iff the carry out of limb 4 is set.
  const uint64_t use_g = uint64_t(0) - c;
  for (int i = 0; i < 5; ++i) h[i] = (h[i] & ~use_g) | (g[i] & use_g);
  // tag = (h + s) mod 2^128; summing the limbs (not OR-ing) stays right
  // even if a limb is a carry above 26 bits.
  using u128 = unsigned __int128;
  const u128 sum = u128(h[0]) + (u128(h[1]) << 26) + (u128(h[2]) << 52) + (u128(h[3]) << 78) +
                   (u128(h[4]) << 104) + (u128(le64(key + 24)) << 64) + le64(key + 16);
  const uint64_t t0 = uint64_t(sum);
  const uint64_t t1 = uint64_t(sum >> 64);
  std::memcpy(tag, &t0, 8);
  std::memcpy(tag + 8, &t1, 8);
}

struct Group {  // four lanes
  __m256i h[5], r[5], s[5];
};

}  // namespace

void poly1305_lanes_avx2(const PolyLane* lanes, unsigned n, uint8_t (*tags)[16]) {
  alignas(32) uint64_t rl[5][8] = {};
  alignas(16) uint8_t tail[8][16] = {};
  alignas(32) uint64_t full[8] = {}, total[8] = {};
  size_t steps = 0;
  for (unsigned l = 0; l < n; ++l) {
    const uint64_t k0 = le64(lanes[l].key) & 0x0ffffffc0fffffffULL;  // clamped r
    const uint64_t k1 = le64(lanes[l].key + 8) & 0x0ffffffc0ffffffcULL;
    rl[0][l] = k0 & kM26;
    rl[1][l] = (k0 >> 26) & kM26;
    rl[2][l] = ((k0 >> 52) | (k1 << 12)) & kM26;
    rl[3][l] = (k1 >> 14) & kM26;
    rl[4][l] = k1 >> 40;
    full[l] = lanes[l].len / 16;
    const size_t rest = lanes[l].len % 16;
    total[l] = full[l] + (rest ? 1 : 0);
    if (rest) {  // last partial block: bytes, then 0x01, then zeros; no 2^128 bit
      std::memcpy(tail[l], lanes[l].msg + 16 * full[l], rest);
      tail[l][rest] = 1;
    }
    steps = std::max<size_t>(steps, total[l]);
  }
  Group g[2];
  const __m256i five = _mm256_set1_epi64x(5);
  for (int q = 0; q < 2; ++q)
    for (int i = 0; i < 5; ++i) {
      g[q].h[i] = _mm256_setzero_si256();
      g[q].r[i] = _mm256_load_si256(reinterpret_cast<const __m256i*>(&rl[i][4 * q]));
      g[q].s[i] = _mm256_mul_epu32(g[q].r[i], five);
    }
  const __m256i m26 = _mm256_set1_epi64x(int64_t(kM26));
  const __m256i hibit = _mm256_set1_epi64x(int64_t(1) << 24);
  __m256i full_v[2], total_v[2];
  for (int q = 0; q < 2; ++q) {
    full_v[q] = _mm256_load_si256(reinterpret_cast<const __m256i*>(full + 4 * q));
    total_v[q] = _mm256_load_si256(reinterpret_cast<const __m256i*>(total + 4 * q));
  }
  alignas(16) static const uint8_t kZeros[16] = {};
  const uint8_t* ptr[8];

  for (size_t k = 0; k < steps; ++k) {
    for (unsigned l = 0; l < 8; ++l)
      ptr[l] = k < full[l] ? lanes[l].msg + 16 * k : (l < n && k < total[l] ? tail[l] : kZeros);
    // Counts are < 2^63, so signed compares are exact.
    const __m256i kv = _mm256_set1_epi64x(int64_t(k));
    for (int q = 0; q < 2; ++q) {
      Group& G = g[q];
      const auto ld = [&](int l) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(ptr[4 * q + l])); };
      // [b0 | b1] and [b2 | b3]; unpack gives halves in lane order 0,2,1,3,
      // which permute4x64 puts back to 0,1,2,3.
      const __m256i A = _mm256_inserti128_si256(_mm256_castsi128_si256(ld(0)), ld(1), 1);
      const __m256i B = _mm256_inserti128_si256(_mm256_castsi128_si256(ld(2)), ld(3), 1);
      const __m256i lo = _mm256_permute4x64_epi64(_mm256_unpacklo_epi64(A, B), 0xd8);
      const __m256i hi = _mm256_permute4x64_epi64(_mm256_unpackhi_epi64(A, B), 0xd8);
      const __m256i active = _mm256_cmpgt_epi64(total_v[q], kv);
      const __m256i isfull = _mm256_cmpgt_epi64(full_v[q], kv);

      __m256i h[5];
      h[0] = _mm256_add_epi64(G.h[0], _mm256_and_si256(lo, m26));
      h[1] = _mm256_add_epi64(G.h[1], _mm256_and_si256(_mm256_srli_epi64(lo, 26), m26));
      h[2] = _mm256_add_epi64(G.h[2], _mm256_and_si256(
          _mm256_or_si256(_mm256_srli_epi64(lo, 52), _mm256_slli_epi64(hi, 12)), m26));
      h[3] = _mm256_add_epi64(G.h[3], _mm256_and_si256(_mm256_srli_epi64(hi, 14), m26));
      h[4] = _mm256_add_epi64(G.h[4], _mm256_or_si256(_mm256_srli_epi64(hi, 40),
                                                       _mm256_and_si256(isfull, hibit)));
      // d_i = sum over j of h_j * (r_{i-j}, or 5*r_{i-j+5} when i-j < 0).
      __m256i d[5];
      for (int i = 0; i < 5; ++i) {
        d[i] = _mm256_mul_epu32(h[0], G.r[i]);
        for (int j = 1; j < 5; ++j)
          d[i] = _mm256_add_epi64(d[i], _mm256_mul_epu32(h[j], j <= i ? G.r[i - j] : G.s[i - j + 5]));
      }
      __m256i c = _mm256_srli_epi64(d[0], 26);
      d[0] = _mm256_and_si256(d[0], m26);
      for (int i = 1; i < 5; ++i) {
        d[i] = _mm256_add_epi64(d[i], c);
        c = _mm256_srli_epi64(d[i], 26);
        d[i] = _mm256_and_si256(d[i], m26);
      }
      d[0] = _mm256_add_epi64(d[0], _mm256_add_epi64(c, _mm256_slli_epi64(c, 2)));  // 2^130 = 5
      c = _mm256_srli_epi64(d[0], 26);
      d[0] = _mm256_and_si256(d[0], m26);
      d[1] = _mm256_add_epi64(d[1], c);
      for (int i = 0; i < 5; ++i) G.h[i] = _mm256_blendv_epi8(G.h[i], d[i], active);
    }
  }
  alignas(32) uint64_t hv[5][8];
  for (int q = 0; q < 2; ++q)
    for (int i = 0; i < 5; ++i)
      _mm256_store_si256(reinterpret_cast<__m256i*>(&hv[i][4 * q]), g[q].h[i]);
  for (unsigned l = 0; l < n; ++l) {
    uint64_t h[5] = {hv[0][l], hv[1][l], hv[2][l], hv[3][l], hv[4][l]};
    finish(h, lanes[l].key, tags[l]);
  }
}

}  // namespace flatnet::crypto::mb::detail
