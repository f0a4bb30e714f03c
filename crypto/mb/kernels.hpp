// Internal: the per-ISA lane kernels behind suites 0/1 and the table that
// picks them. Each kernel lives in its own file compiled with its own ISA
// flags (salsa2012_*.cpp, poly1305_*.cpp); nothing here may be called on a
// CPU that lacks the ISA, which dispatch.cpp guarantees.
#pragma once

#include <cstddef>
#include <cstdint>

namespace flatnet::crypto::mb::detail {

// Salsa20/12 block kernel. A "lane" is one 64-byte keystream block with its
// own key, nonce and block counter, so a burst's blocks (of any packets,
// any lengths) are packed into lanes without idle ones.
//
// `state` is transposed: state[w * kMaxSalsaLanes + lane] is input word w
// of the lane (w = 0..15 in Salsa20 layout: constants, key, nonce,
// counter). Lane i's block is applied to dest[i] directly from registers:
// XORed onto p[0..n) (encryption), or copied there (copy != 0: the
// Poly1305 key). Lanes i >= n are computed and dropped.
inline constexpr unsigned kMaxSalsaLanes = 16;
struct BlockDest {
  uint8_t* p;
  uint32_t n;     // 1..64
  uint32_t copy;  // nonzero: store the keystream instead of XORing it
};
using SalsaBlocksFn = void (*)(const uint32_t* state, const BlockDest* dest, unsigned n);

void salsa2012_blocks_scalar(const uint32_t* state, const BlockDest* dest, unsigned n);  // 1 lane
void salsa2012_blocks_avx2(const uint32_t* state, const BlockDest* dest, unsigned n);    // 8 lanes
void salsa2012_blocks_avx512(const uint32_t* state, const BlockDest* dest, unsigned n);  // 16 lanes

// Salsa20/12 stream kernel: lane = one packet for `iters` consecutive full
// blocks. The state (same layout as above) is set once per packet, the
// block counter advances in registers, and block i of lane l is XORed onto
// dst[l] + 64*i. For bursts of many similar-length packets this saves the
// per-block lane setup of the block kernel; the block kernel handles the
// rest (tails, odd lengths, small bursts).
using SalsaStreamFn = void (*)(const uint32_t* state, uint8_t* const* dst, unsigned iters);

void salsa2012_stream_avx2(const uint32_t* state, uint8_t* const* dst, unsigned iters);    // 8 lanes
void salsa2012_stream_avx512(const uint32_t* state, uint8_t* const* dst, unsigned iters);  // 16 lanes

// Applies a 64-byte keystream block held in memory to d (any ISA).
inline void apply_block(const uint8_t* ks, const BlockDest& d) {
  if (d.copy) {
    for (uint32_t i = 0; i < d.n; ++i) d.p[i] = ks[i];
  } else {
    for (uint32_t i = 0; i < d.n; ++i) d.p[i] ^= ks[i];
  }
}

// Poly1305 lane kernel: lane = one message with its own 32-byte one-time
// key. Writes the full 16-byte tag of each of the n messages.
struct PolyLane {
  const uint8_t* msg;
  size_t len;
  const uint8_t* key;  // 32 bytes: r || s
};
inline constexpr unsigned kMaxPolyLanes = 8;
using PolyFn = void (*)(const PolyLane* lanes, unsigned n, uint8_t (*tags)[16]);

void poly1305_lanes_scalar(const PolyLane* lanes, unsigned n, uint8_t (*tags)[16]);
void poly1305_lanes_avx2(const PolyLane* lanes, unsigned n, uint8_t (*tags)[16]);
void poly1305_lanes_avx512(const PolyLane* lanes, unsigned n, uint8_t (*tags)[16]);

// One message across all lanes (r^8 stride; for bursts too small to fill
// the lanes with messages). Needs len >= 256 (16 blocks).
using PolySingleFn = void (*)(const uint8_t* msg, size_t len, const uint8_t* key, uint8_t tag[16]);
inline constexpr size_t kPolySingleMin = 256;
void poly1305_single_avx512(const uint8_t* msg, size_t len, const uint8_t* key, uint8_t tag[16]);

struct Kernels {
  unsigned salsa_lanes;  // 1, 8 or 16
  SalsaBlocksFn salsa;
  unsigned stream_lanes;  // 0 (none), 8 or 16
  SalsaStreamFn stream;
  unsigned poly_lanes;   // 1..8
  PolyFn poly;
  PolySingleFn poly_single;  // or nullptr
};

// The table for the current ISA (see force_isa in burst.hpp).
const Kernels& kernels();

}  // namespace flatnet::crypto::mb::detail
