// Poly1305 over 8 messages at once with AVX-512 IFMA (vpmadd52luq/huq),
// one message and one key per 64-bit lane. Compiled with -mavx512ifma;
// called only on CPUs that have it.
//
// Numbers are held in base 2^44: h = h0 + h1*2^44 + h2*2^88 (44/44/42
// bits), so every limb and every r*20 fits the 52-bit multiplier inputs,
// and 2^132 = 4*2^130 = 4*5 = 20 (mod p) folds the high products back.
// Each step absorbs one 16-byte block in every lane; lanes whose message is
// shorter are masked off, so a lane's result never depends on the others.
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "crypto/mb/kernels.hpp"

namespace flatnet::crypto::mb::detail {
namespace {

constexpr uint64_t kM44 = (uint64_t(1) << 44) - 1;
constexpr uint64_t kM42 = (uint64_t(1) << 42) - 1;

inline uint64_t le64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// Final carry, reduction mod 2^130-5 and "+ s mod 2^128" for one lane.
void finish(uint64_t h0, uint64_t h1, uint64_t h2, const uint8_t* key, uint8_t tag[16]) {
  uint64_t c;
  for (int pass = 0; pass < 2; ++pass) {
    c = h0 >> 44; h0 &= kM44; h1 += c;
    c = h1 >> 44; h1 &= kM44; h2 += c;
    c = h2 >> 42; h2 &= kM42; h0 += c * 5;
  }
  c = h0 >> 44; h0 &= kM44; h1 += c;
  c = h1 >> 44; h1 &= kM44; h2 += c;  // now h < 2^130 + small; one conditional subtract
  uint64_t g0 = h0 + 5;
  c = g0 >> 44; g0 &= kM44;
  uint64_t g1 = h1 + c;
  c = g1 >> 44; g1 &= kM44;
  const uint64_t g2 = h2 + c - (uint64_t(1) << 42);
  const uint64_t use_g = (g2 >> 63) - 1;  // all ones if h + 5 >= 2^130, i.e. h >= p
  h0 = (h0 & ~use_g) | (g0 & use_g);
  h1 = (h1 & ~use_g) | (g1 & use_g);
  h2 = (h2 & ~use_g) | (g2 & use_g);
  const uint64_t s0 = le64(key + 16), s1 = le64(key + 24);
  h0 += s0 & kM44;
  c = h0 >> 44; h0 &= kM44;
  h1 += ((s0 >> 44) | (s1 << 20)) & kM44;
  h1 += c;
  c = h1 >> 44; h1 &= kM44;
  h2 += (s1 >> 24) + c;
  const uint64_t t0 = h0 | (h1 << 44);
  const uint64_t t1 = (h1 >> 20) | (h2 << 24);
  std::memcpy(tag, &t0, 8);
  std::memcpy(tag + 8, &t1, 8);
}

// Loads lane l's 16-byte block from ptr[l] for 8 lanes as two vectors of
// 64-bit halves in lane order: A = lanes 0,2,4,6 and B = lanes 1,3,5,7 as
// 128-bit chunks; unpacking lo/hi halves puts each back in lane order.
inline void load_blocks(const uint8_t* const ptr[8], __m512i& M0, __m512i& M1) {
  const auto ld = [&](int l) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(ptr[l])); };
  const __m512i A = _mm512_inserti64x4(
      _mm512_zextsi256_si512(_mm256_inserti128_si256(_mm256_zextsi128_si256(ld(0)), ld(2), 1)),
      _mm256_inserti128_si256(_mm256_zextsi128_si256(ld(4)), ld(6), 1), 1);
  const __m512i B = _mm512_inserti64x4(
      _mm512_zextsi256_si512(_mm256_inserti128_si256(_mm256_zextsi128_si256(ld(1)), ld(3), 1)),
      _mm256_inserti128_si256(_mm256_zextsi128_si256(ld(5)), ld(7), 1), 1);
  M0 = _mm512_unpacklo_epi64(A, B);
  M1 = _mm512_unpackhi_epi64(A, B);
}

// n = (H + block) * R mod 2^130-5, per lane; blocks in lanes `isfull` get
// the 2^128 bit (the padded last block does not). S = 20*R.
inline void absorb(__m512i H0, __m512i H1, __m512i H2, __m512i M0, __m512i M1, __mmask8 isfull,
                   __m512i R0, __m512i R1, __m512i R2, __m512i S1, __m512i S2, __m512i& n0,
                   __m512i& n1, __m512i& n2) {
  const __m512i m44 = _mm512_set1_epi64(int64_t(kM44)), m42 = _mm512_set1_epi64(int64_t(kM42));
  const __m512i hibit = _mm512_set1_epi64(int64_t(1) << 40);
  const __m512i zero = _mm512_setzero_si512();
  // h += block (full blocks carry the 2^128 bit, the padded tail does not)
  const __m512i m2 = _mm512_srli_epi64(M1, 24);
  const __m512i h0 = _mm512_add_epi64(H0, _mm512_and_si512(M0, m44));
  const __m512i h1 = _mm512_add_epi64(
      H1, _mm512_and_si512(_mm512_or_si512(_mm512_srli_epi64(M0, 44), _mm512_slli_epi64(M1, 20)), m44));
  const __m512i h2 = _mm512_add_epi64(H2, _mm512_mask_or_epi64(m2, isfull, m2, hibit));

  // h *= r (mod 2^130-5): d_i as 52-bit low and high product halves.
  __m512i lo0 = _mm512_madd52lo_epu64(zero, h0, R0), hi0 = _mm512_madd52hi_epu64(zero, h0, R0);
  __m512i lo1 = _mm512_madd52lo_epu64(zero, h0, R1), hi1 = _mm512_madd52hi_epu64(zero, h0, R1);
  __m512i lo2 = _mm512_madd52lo_epu64(zero, h0, R2), hi2 = _mm512_madd52hi_epu64(zero, h0, R2);
  lo0 = _mm512_madd52lo_epu64(lo0, h1, S2); hi0 = _mm512_madd52hi_epu64(hi0, h1, S2);
  lo1 = _mm512_madd52lo_epu64(lo1, h1, R0); hi1 = _mm512_madd52hi_epu64(hi1, h1, R0);
  lo2 = _mm512_madd52lo_epu64(lo2, h1, R1); hi2 = _mm512_madd52hi_epu64(hi2, h1, R1);
  lo0 = _mm512_madd52lo_epu64(lo0, h2, S1); hi0 = _mm512_madd52hi_epu64(hi0, h2, S1);
  lo1 = _mm512_madd52lo_epu64(lo1, h2, S2); hi1 = _mm512_madd52hi_epu64(hi1, h2, S2);
  lo2 = _mm512_madd52lo_epu64(lo2, h2, R0); hi2 = _mm512_madd52hi_epu64(hi2, h2, R0);

  // Carry back to 44/44/42-bit limbs. d_i = lo_i + hi_i*2^52, so the part
  // above bit 44 is (lo_i >> 44) + (hi_i << 8); above bit 42, << 10.
  n0 = _mm512_and_si512(lo0, m44);
  __m512i c = _mm512_add_epi64(_mm512_srli_epi64(lo0, 44), _mm512_slli_epi64(hi0, 8));
  const __m512i t1 = _mm512_add_epi64(lo1, c);
  n1 = _mm512_and_si512(t1, m44);
  c = _mm512_add_epi64(_mm512_srli_epi64(t1, 44), _mm512_slli_epi64(hi1, 8));
  const __m512i t2 = _mm512_add_epi64(lo2, c);
  n2 = _mm512_and_si512(t2, m42);
  c = _mm512_add_epi64(_mm512_srli_epi64(t2, 42), _mm512_slli_epi64(hi2, 10));
  n0 = _mm512_add_epi64(n0, _mm512_add_epi64(c, _mm512_slli_epi64(c, 2)));  // 2^130 = 5
  n1 = _mm512_add_epi64(n1, _mm512_srli_epi64(n0, 44));
  n0 = _mm512_and_si512(n0, m44);
}

// Scalar h = h * r mod 2^130-5 in the same base 2^44 (u128 products).
void mul_scalar(uint64_t h[3], const uint64_t r[3]) {
  using u128 = unsigned __int128;
  const uint64_t s1 = r[1] * 20, s2 = r[2] * 20;
  const u128 d0 = u128(h[0]) * r[0] + u128(h[1]) * s2 + u128(h[2]) * s1;
  u128 d1 = u128(h[0]) * r[1] + u128(h[1]) * r[0] + u128(h[2]) * s2;
  u128 d2 = u128(h[0]) * r[2] + u128(h[1]) * r[1] + u128(h[2]) * r[0];
  h[0] = uint64_t(d0) & kM44;
  d1 += uint64_t(d0 >> 44);
  h[1] = uint64_t(d1) & kM44;
  d2 += uint64_t(d1 >> 44);
  h[2] = uint64_t(d2) & kM42;
  const uint64_t c = uint64_t(d2 >> 42);
  h[0] += c * 5;
  h[1] += h[0] >> 44;
  h[0] &= kM44;
}

void clamp_r(const uint8_t* key, uint64_t r[3]) {
  const uint64_t k0 = le64(key), k1 = le64(key + 8);
  r[0] = k0 & 0xffc0fffffffULL;
  r[1] = ((k0 >> 44) | (k1 << 20)) & 0xfffffc0ffffULL;
  r[2] = (k1 >> 24) & 0x00ffffffc0fULL;
}

}  // namespace

// One long message over all 8 lanes: lane j takes every 8th block, each
// step multiplies by r^8, and the last step multiplies lane j by r^(8-j)
// so that the lanes' sum is the Horner result. The first (blocks mod 8)
// blocks go through scalar Horner first and enter lane 0.
void poly1305_single_avx512(const uint8_t* msg, size_t len, const uint8_t* key, uint8_t tag[16]) {
  const size_t full = len / 16, rest = len % 16;
  const size_t total = full + (rest ? 1 : 0);
  const size_t lead = total % 8, groups = total / 8;
  if (groups < 2) {  // contract: len >= 256; stay correct anyway
    const PolyLane one{msg, len, key};
    poly1305_lanes_avx512(&one, 1, reinterpret_cast<uint8_t(*)[16]>(tag));
    return;
  }
  uint64_t r[3];
  clamp_r(key, r);
  uint64_t hs[3] = {0, 0, 0};
  for (size_t b = 0; b < lead; ++b) {  // lead < total, so these are full blocks
    const uint64_t m0 = le64(msg + 16 * b), m1 = le64(msg + 16 * b + 8);
    hs[0] += m0 & kM44;
    hs[1] += ((m0 >> 44) | (m1 << 20)) & kM44;
    hs[2] += (m1 >> 24) | (uint64_t(1) << 40);
    mul_scalar(hs, r);
  }
  // pw[i] = r^(i+1), i = 0..7
  alignas(64) uint64_t pw[3][8];
  uint64_t p[3] = {r[0], r[1], r[2]};
  for (int i = 0; i < 8; ++i) {
    if (i) mul_scalar(p, r);
    for (int l = 0; l < 3; ++l) pw[l][i] = p[l];
  }
  const __m512i twenty = _mm512_set1_epi64(20);
  const __m512i R0 = _mm512_set1_epi64(int64_t(pw[0][7])), R1 = _mm512_set1_epi64(int64_t(pw[1][7])),
                R2 = _mm512_set1_epi64(int64_t(pw[2][7]));
  const __m512i S1 = _mm512_mullo_epi64(R1, twenty), S2 = _mm512_mullo_epi64(R2, twenty);
  // Last step: lane j by r^(8-j): reverse the powers.
  const __m512i rev = _mm512_set_epi64(0, 1, 2, 3, 4, 5, 6, 7);
  const __m512i F0 = _mm512_permutexvar_epi64(rev, _mm512_load_si512(pw[0])),
                F1 = _mm512_permutexvar_epi64(rev, _mm512_load_si512(pw[1])),
                F2 = _mm512_permutexvar_epi64(rev, _mm512_load_si512(pw[2]));
  const __m512i G1 = _mm512_mullo_epi64(F1, twenty), G2 = _mm512_mullo_epi64(F2, twenty);
  __m512i H0 = _mm512_maskz_set1_epi64(1, int64_t(hs[0])), H1 = _mm512_maskz_set1_epi64(1, int64_t(hs[1])),
          H2 = _mm512_maskz_set1_epi64(1, int64_t(hs[2]));
  alignas(16) uint8_t tail[16] = {};
  if (rest) {
    std::memcpy(tail, msg + 16 * full, rest);
    tail[rest] = 1;
  }
  const uint8_t* ptr[8];
  for (size_t g = 0; g < groups; ++g) {
    const size_t b0 = lead + 8 * g;
    for (int j = 0; j < 8; ++j) ptr[j] = msg + 16 * (b0 + j);
    __mmask8 isfull = 0xff;
    if (g + 1 == groups && rest) {  // the padded block is the very last one
      ptr[7] = tail;
      isfull = 0x7f;
    }
    __m512i M0, M1;
    load_blocks(ptr, M0, M1);
    if (g + 1 < groups)
      absorb(H0, H1, H2, M0, M1, isfull, R0, R1, R2, S1, S2, H0, H1, H2);
    else
      absorb(H0, H1, H2, M0, M1, isfull, F0, F1, F2, G1, G2, H0, H1, H2);
  }
  // Limbs are < 2^45, so the sums of 8 lanes are < 2^48: finish() carries.
  finish(uint64_t(_mm512_reduce_add_epi64(H0)), uint64_t(_mm512_reduce_add_epi64(H1)),
         uint64_t(_mm512_reduce_add_epi64(H2)), key, tag);
}

void poly1305_lanes_avx512(const PolyLane* lanes, unsigned n, uint8_t (*tags)[16]) {
  alignas(64) uint64_t r0[8] = {}, r1[8] = {}, r2[8] = {};
  alignas(16) uint8_t tail[8][16] = {};
  size_t full[8] = {}, total[8] = {};
  size_t steps = 0;
  for (unsigned l = 0; l < n; ++l) {
    const uint64_t k0 = le64(lanes[l].key), k1 = le64(lanes[l].key + 8);
    r0[l] = k0 & 0xffc0fffffffULL;                          // clamped r, base 2^44
    r1[l] = ((k0 >> 44) | (k1 << 20)) & 0xfffffc0ffffULL;
    r2[l] = (k1 >> 24) & 0x00ffffffc0fULL;
    full[l] = lanes[l].len / 16;
    const size_t rest = lanes[l].len % 16;
    total[l] = full[l] + (rest ? 1 : 0);
    if (rest) {  // last partial block: bytes, then 0x01, then zeros; no 2^128 bit
      std::memcpy(tail[l], lanes[l].msg + 16 * full[l], rest);
      tail[l][rest] = 1;
    }
    steps = std::max(steps, total[l]);
  }
  const __m512i R0 = _mm512_load_si512(r0), R1 = _mm512_load_si512(r1),
                R2 = _mm512_load_si512(r2);
  const __m512i twenty = _mm512_set1_epi64(20);
  const __m512i S1 = _mm512_mullo_epi64(R1, twenty), S2 = _mm512_mullo_epi64(R2, twenty);
  const __m512i zero = _mm512_setzero_si512();
  const __m512i full_v = _mm512_loadu_si512(full), total_v = _mm512_loadu_si512(total);
  __m512i H0 = zero, H1 = zero, H2 = zero;
  alignas(16) static const uint8_t kZeros[16] = {};
  const uint8_t* ptr[8];

  for (size_t k = 0; k < steps; ++k) {
    for (unsigned l = 0; l < 8; ++l)
      ptr[l] = k < full[l] ? lanes[l].msg + 16 * k : (l < n && k < total[l] ? tail[l] : kZeros);
    __m512i M0, M1;
    load_blocks(ptr, M0, M1);
    const __m512i kv = _mm512_set1_epi64(int64_t(k));
    const __mmask8 active = _mm512_cmplt_epu64_mask(kv, total_v);
    const __mmask8 isfull = _mm512_cmplt_epu64_mask(kv, full_v);

    __m512i n0, n1, n2;
    absorb(H0, H1, H2, M0, M1, isfull, R0, R1, R2, S1, S2, n0, n1, n2);
    H0 = _mm512_mask_mov_epi64(H0, active, n0);
    H1 = _mm512_mask_mov_epi64(H1, active, n1);
    H2 = _mm512_mask_mov_epi64(H2, active, n2);
  }
  alignas(64) uint64_t h0[8], h1[8], h2[8];
  _mm512_store_si512(h0, H0);
  _mm512_store_si512(h1, H1);
  _mm512_store_si512(h2, H2);
  for (unsigned l = 0; l < n; ++l) finish(h0[l], h1[l], h2[l], lanes[l].key, tags[l]);
}

}  // namespace flatnet::crypto::mb::detail
