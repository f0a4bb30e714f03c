// Salsa20/12 block kernel, one lane, plain C++: the reference the SIMD
// kernels are checked against, and the path for CPUs without AVX2.
#include <cstring>

#include "crypto/mb/kernels.hpp"

namespace flatnet::crypto::mb::detail {
namespace {

inline uint32_t add(uint32_t a, uint32_t b) { return a + b; }
inline uint32_t xor_(uint32_t a, uint32_t b) { return a ^ b; }
template <int N>
inline uint32_t rotl(uint32_t a) { return (a << N) | (a >> (32 - N)); }

#include "crypto/mb/salsa_rounds.hpp"

}  // namespace

void salsa2012_blocks_scalar(const uint32_t* state, const BlockDest* dest, unsigned n) {
  if (n == 0) return;
  uint8_t out[64];
  uint32_t x[16], in[16];
  for (int w = 0; w < 16; ++w) in[w] = x[w] = state[w * kMaxSalsaLanes];
  salsa2012_rounds(x);
  for (int w = 0; w < 16; ++w) {
    const uint32_t v = x[w] + in[w];
    const uint8_t b[4] = {uint8_t(v), uint8_t(v >> 8), uint8_t(v >> 16), uint8_t(v >> 24)};
    std::memcpy(out + 4 * w, b, 4);
  }
  apply_block(out, dest[0]);
}

}  // namespace flatnet::crypto::mb::detail
