// Salsa20/12 block kernel, 16 lanes in AVX-512 registers (this file is
// compiled with -mavx512f and friends; dispatch.cpp calls it only on CPUs
// that have them). Register w holds state word w of all 16 lanes, so the
// rounds are pure lane-wise add/xor/rotate (vprold); a 16x16 transpose at
// the end turns words-by-lane into one 64-byte block per lane.
#include <immintrin.h>

#include "crypto/mb/kernels.hpp"

namespace flatnet::crypto::mb::detail {
namespace {

struct V {
  __m512i v;
};
inline V add(V a, V b) { return {_mm512_add_epi32(a.v, b.v)}; }
inline V xor_(V a, V b) { return {_mm512_xor_si512(a.v, b.v)}; }
template <int N>
inline V rotl(V a) { return {_mm512_rol_epi32(a.v, N)}; }

#include "crypto/mb/salsa_rounds.hpp"

// One lane's block, in a register, onto its destination: full blocks with
// one load/xor/store, short ones with byte-masked loads and stores (which
// never touch memory outside the mask).
inline void apply(__m512i ks, const BlockDest& d) {
  if (d.n == 64 && !d.copy) {
    _mm512_storeu_si512(d.p, _mm512_xor_si512(_mm512_loadu_si512(d.p), ks));
    return;
  }
  const __mmask64 m = d.n >= 64 ? ~__mmask64(0) : (__mmask64(1) << d.n) - 1;
  if (d.copy) {
    _mm512_mask_storeu_epi8(d.p, m, ks);
  } else {
    _mm512_mask_storeu_epi8(d.p, m, _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, d.p), ks));
  }
}


// Rounds plus feed-forward on 16 lanes, then the transpose; calls
// out(lane, block) for each lane's 64-byte block.
template <class Out>
inline void blocks16(const V in[16], Out&& out) {
  V x[16];
  for (int w = 0; w < 16; ++w) x[w] = in[w];
  salsa2012_rounds(x);
  __m512i a[16], b[16];
  for (int w = 0; w < 16; ++w) x[w] = add(x[w], in[w]);
  // Within each 128-bit chunk q (lanes 4q..4q+3): interleave words, then
  // 64-bit pairs, giving b[4g+s] = words 4g..4g+3 of lane 4q+s in chunk q.
  for (int i = 0; i < 8; ++i) {
    a[2 * i] = _mm512_unpacklo_epi32(x[2 * i].v, x[2 * i + 1].v);
    a[2 * i + 1] = _mm512_unpackhi_epi32(x[2 * i].v, x[2 * i + 1].v);
  }
  for (int g = 0; g < 4; ++g) {
    b[4 * g + 0] = _mm512_unpacklo_epi64(a[4 * g], a[4 * g + 2]);
    b[4 * g + 1] = _mm512_unpackhi_epi64(a[4 * g], a[4 * g + 2]);
    b[4 * g + 2] = _mm512_unpacklo_epi64(a[4 * g + 1], a[4 * g + 3]);
    b[4 * g + 3] = _mm512_unpackhi_epi64(a[4 * g + 1], a[4 * g + 3]);
  }
  // For each s, a 4x4 transpose of 128-bit chunks across b[s], b[4+s],
  // b[8+s], b[12+s] yields the blocks of lanes s, 4+s, 8+s, 12+s.
  for (int s = 0; s < 4; ++s) {
    const __m512i t0 = _mm512_shuffle_i32x4(b[s], b[4 + s], 0x44);
    const __m512i t1 = _mm512_shuffle_i32x4(b[s], b[4 + s], 0xee);
    const __m512i t2 = _mm512_shuffle_i32x4(b[8 + s], b[12 + s], 0x44);
    const __m512i t3 = _mm512_shuffle_i32x4(b[8 + s], b[12 + s], 0xee);
    out(s, _mm512_shuffle_i32x4(t0, t2, 0x88));
    out(4 + s, _mm512_shuffle_i32x4(t0, t2, 0xdd));
    out(8 + s, _mm512_shuffle_i32x4(t1, t3, 0x88));
    out(12 + s, _mm512_shuffle_i32x4(t1, t3, 0xdd));
  }
}

void load_state(const uint32_t* state, V in[16]) {
  for (int w = 0; w < 16; ++w) in[w].v = _mm512_loadu_si512(state + w * kMaxSalsaLanes);
}

}  // namespace

void salsa2012_blocks_avx512(const uint32_t* state, const BlockDest* dest, unsigned n) {
  V in[16];
  load_state(state, in);
  blocks16(in, [&](int lane, __m512i ks) {
    if (unsigned(lane) < n) apply(ks, dest[lane]);
  });
}

void salsa2012_stream_avx512(const uint32_t* state, uint8_t* const* dst, unsigned iters) {
  V in[16];
  load_state(state, in);
  const __m512i one = _mm512_set1_epi32(1);
  for (unsigned i = 0; i < iters; ++i) {
    blocks16(in, [&](int lane, __m512i ks) {
      uint8_t* p = dst[lane] + 64 * size_t(i);
      _mm512_storeu_si512(p, _mm512_xor_si512(_mm512_loadu_si512(p), ks));
    });
    in[8].v = _mm512_add_epi32(in[8].v, one);  // next block (counters stay < 2^32)
  }
}

}  // namespace flatnet::crypto::mb::detail
