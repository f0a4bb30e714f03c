// Internal: the two halves of the burst API, each over a list of packet
// indices into the caller's span (so dearmor_burst can split a mixed burst
// by cipher suite and still report verdicts in the caller's order).
#pragma once

#include <cstddef>
#include <cstdint>

#include "crypto/mb/burst.hpp"

namespace flatnet::crypto::mb::detail {

// Constant-time equality of two 8-byte tags: one 64-bit XOR, no early exit
// (inline, as libsodium's sodium_memcmp costs a call and a byte loop per
// packet).
inline bool tag8_equal(const uint8_t* a, const uint8_t* b) {
  uint64_t x, y;
  __builtin_memcpy(&x, a, 8);
  __builtin_memcpy(&y, b, 8);
  return (x ^ y) == 0;
}

// Suites 0/1 (salsapoly_burst.cpp). `idx` lists packets with len >= 28.
void salsapoly_armor(const Packet* pkts, const uint16_t* idx, size_t n, Suite suite);
// Every listed packet has cipher 0 or 1 in byte 18.
void salsapoly_dearmor(const Packet* pkts, const uint16_t* idx, size_t n,
                       DearmorResult* verdicts);

// Suite 3 (gmacsiv_burst.cpp).
void gmacsiv_armor(const Packet* pkts, const uint16_t* idx, size_t n);
void gmacsiv_dearmor(const Packet* pkts, const uint16_t* idx, size_t n,
                     DearmorResult* verdicts, uint8_t (*original_ivs)[8]);

}  // namespace flatnet::crypto::mb::detail
