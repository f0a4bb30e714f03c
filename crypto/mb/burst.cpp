// The burst API: splits a burst by cipher suite and hands each part to its
// engine, keeping verdicts in the caller's order.
#include <algorithm>

#include "crypto/mb/internal.hpp"

namespace flatnet::crypto::mb {
namespace {

constexpr size_t kChunk = 256;  // index lists live on the stack
constexpr uint32_t kMinLen = 28;

}  // namespace

void armor_burst(std::span<const Packet> pkts, Suite suite) {
  if (suite != Suite::kPoly1305 && suite != Suite::kSalsa2012Poly1305 && suite != Suite::kAesGmacSiv)
    return;  // no such suite to armor with: leave the packets alone
  uint16_t idx[kChunk];
  for (size_t base = 0; base < pkts.size(); base += kChunk) {
    const size_t m = std::min(kChunk, pkts.size() - base);
    const Packet* p = pkts.data() + base;
    size_t n = 0;
    for (size_t i = 0; i < m; ++i)
      if (p[i].len >= kMinLen) idx[n++] = uint16_t(i);
    if (suite == Suite::kAesGmacSiv)
      detail::gmacsiv_armor(p, idx, n);
    else
      detail::salsapoly_armor(p, idx, n, suite);
  }
}

void dearmor_burst(std::span<const Packet> pkts, DearmorResult* verdicts,
                   uint8_t (*original_ivs)[8]) {
  uint16_t sp[kChunk], siv[kChunk];
  for (size_t base = 0; base < pkts.size(); base += kChunk) {
    const size_t m = std::min(kChunk, pkts.size() - base);
    const Packet* p = pkts.data() + base;
    DearmorResult* v = verdicts + base;
    size_t nsp = 0, nsiv = 0;
    for (size_t i = 0; i < m; ++i) {
      if (p[i].len < kMinLen) {
        v[i] = DearmorResult::kTooShort;
        continue;
      }
      switch ((p[i].data[18] >> 3) & 7) {
        case 0:
        case 1: sp[nsp++] = uint16_t(i); break;
        case 3: siv[nsiv++] = uint16_t(i); break;
        default: v[i] = DearmorResult::kUnsupportedCipher; break;
      }
    }
    detail::salsapoly_dearmor(p, sp, nsp, v);
    detail::gmacsiv_dearmor(p, siv, nsiv, v, original_ivs ? original_ivs + base : nullptr);
  }
}

}  // namespace flatnet::crypto::mb
