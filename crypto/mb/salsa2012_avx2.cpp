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


// Rounds plus feed-forward on 8 lanes, then the transpose; calls
// out(lane, lo, hi) with each lane's block as two registers.
template <class Out>
inline void blocks8(const V in[16], Out&& out) {
  V x[16];
  for (int w = 0; w < 16; ++w) x[w] = in[w];
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
    out(s, _mm256_permute2x128_si256(b[s], b[4 + s], 0x20),
        _mm256_permute2x128_si256(b[8 + s], b[12 + s], 0x20));
    out(4 + s, _mm256_permute2x128_si256(b[s], b[4 + s], 0x31),
        _mm256_permute2x128_si256(b[8 + s], b[12 + s], 0x31));
  }
}

void load_state(const uint32_t* state, V in[16]) {
  for (int w = 0; w < 16; ++w)
    in[w].v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(state + w * kMaxSalsaLanes));
}

}  // namespace

void salsa2012_blocks_avx2(const uint32_t* state, const BlockDest* dest, unsigned n) {
  V in[16];
  load_state(state, in);
  blocks8(in, [&](int lane, __m256i lo, __m256i hi) {
    if (unsigned(lane) < n) apply(lo, hi, dest[lane]);
  });
}

void salsa2012_stream_avx2(const uint32_t* state, uint8_t* const* dst, unsigned iters) {
  V in[16];
  load_state(state, in);
  const __m256i one = _mm256_set1_epi32(1);
  for (unsigned i = 0; i < iters; ++i) {
    blocks8(in, [&](int lane, __m256i lo, __m256i hi) {
      auto* p = reinterpret_cast<__m256i*>(dst[lane] + 64 * size_t(i));
      _mm256_storeu_si256(p, _mm256_xor_si256(_mm256_loadu_si256(p), lo));
      _mm256_storeu_si256(p + 1, _mm256_xor_si256(_mm256_loadu_si256(p + 1), hi));
    });
    in[8].v = _mm256_add_epi32(in[8].v, one);  // next block (counters stay < 2^32)
  }
}

}  // namespace flatnet::crypto::mb::detail
