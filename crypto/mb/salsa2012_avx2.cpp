// Salsa20/12 block kernel, 8 lanes in AVX2 registers (compiled with -mavx2;
// called only on CPUs that have it). Same layout as the AVX-512 kernel:
// register w = state word w of the 8 lanes; rotates are shift/shift/or.
#include <immintrin.h>

#include "crypto/mb/kernels.hpp"

namespace flatnet::crypto::mb::detail {
namespace {

struct V {
  __m256i v;
};
inline V add(V a, V b) { return {_mm256_add_epi32(a.v, b.v)}; }
inline V xor_(V a, V b) { return {_mm256_xor_si256(a.v, b.v)}; }
template <int N>
inline V rotl(V a) {
  return {_mm256_or_si256(_mm256_slli_epi32(a.v, N), _mm256_srli_epi32(a.v, 32 - N))};
}

#include "crypto/mb/salsa_rounds.hpp"

}  // namespace

namespace {

// One lane's block (two registers) onto its destination.
inline void apply(__m256i lo, __m256i hi, const BlockDest& d) {
  auto* p = reinterpret_cast<__m256i*>(d.p);
  if (d.n == 64 && !d.copy) {
    _mm256_storeu_si256(p, _mm256_xor_si256(_mm256_loadu_si256(p), lo));
    _mm256_storeu_si256(p + 1, _mm256_xor_si256(_mm256_loadu_si256(p + 1), hi));
    return;
  }
  alignas(32) uint8_t ks[64];
  _mm256_store_si256(reinterpret_cast<__m256i*>(ks), lo);
  _mm256_store_si256(reinterpret_cast<__m256i*>(ks + 32), hi);
  apply_block(ks, d);
}

}  // namespace

void salsa2012_blocks_avx2(const uint32_t* state, const BlockDest* dest, unsigned n) {
  V x[16], in[16];
  for (int w = 0; w < 16; ++w)
    in[w].v = x[w].v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(state + w * kMaxSalsaLanes));
  salsa2012_rounds(x);
  __m256i a[16], b[16];
  for (int w = 0; w < 16; ++w) x[w] = add(x[w], in[w]);
  // Per 128-bit chunk q (lanes 4q..4q+3), as in the AVX-512 kernel:
  // b[4g+s] chunk q = words 4g..4g+3 of lane 4q+s.
  for (int i = 0; i < 8; ++i) {
    a[2 * i] = _mm256_unpacklo_epi32(x[2 * i].v, x[2 * i + 1].v);
    a[2 * i + 1] = _mm256_unpackhi_epi32(x[2 * i].v, x[2 * i + 1].v);
  }
  for (int g = 0; g < 4; ++g) {
    b[4 * g + 0] = _mm256_unpacklo_epi64(a[4 * g], a[4 * g + 2]);
    b[4 * g + 1] = _mm256_unpackhi_epi64(a[4 * g], a[4 * g + 2]);
    b[4 * g + 2] = _mm256_unpacklo_epi64(a[4 * g + 1], a[4 * g + 3]);
    b[4 * g + 3] = _mm256_unpackhi_epi64(a[4 * g + 1], a[4 * g + 3]);
  }
  for (int s = 0; s < 4; ++s) {  // lane s from chunk 0, lane 4+s from chunk 1
    if (unsigned(s) < n)
      apply(_mm256_permute2x128_si256(b[s], b[4 + s], 0x20),
            _mm256_permute2x128_si256(b[8 + s], b[12 + s], 0x20), dest[s]);
    if (unsigned(4 + s) < n)
      apply(_mm256_permute2x128_si256(b[s], b[4 + s], 0x31),
            _mm256_permute2x128_si256(b[8 + s], b[12 + s], 0x31), dest[4 + s]);
  }
}

}  // namespace flatnet::crypto::mb::detail
