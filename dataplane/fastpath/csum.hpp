// One's-complement helpers for incremental checksum updates (RFC 1624):
// new = ~(~old + sum(~old words) + sum(new words)). Words are taken as
// big-endian 16-bit values over even-length spans.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace flatnet::fastpath {

inline uint32_t csum_words(uint32_t sum, const uint8_t* p, size_t n) {
  for (size_t i = 0; i + 1 < n; i += 2) sum += uint32_t(p[i]) << 8 | p[i + 1];
  return sum;
}
inline uint32_t csum_words_inverted(uint32_t sum, const uint8_t* p, size_t n) {
  for (size_t i = 0; i + 1 < n; i += 2) sum += 0xffffu - (uint32_t(p[i]) << 8 | p[i + 1]);
  return sum;
}
inline uint16_t csum_fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return uint16_t(sum);
}

// One's-complement sum of a 20-byte IPv4 header (no options), folded, in
// network byte order as stored: 5 aligned-size loads instead of a loop.
inline uint16_t ip4_hdr_sum20(const void* h) {
  uint32_t w[5];
  std::memcpy(w, h, 20);
  uint64_t s = uint64_t(w[0]) + w[1] + w[2] + w[3] + w[4];
  s = (s & 0xffffffff) + (s >> 32);
  s = (s & 0xffffffff) + (s >> 32);
  uint32_t t = uint32_t(s);
  t = (t & 0xffff) + (t >> 16);
  t = (t & 0xffff) + (t >> 16);
  return uint16_t(t);
}

// Accumulates old/new spans, then yields the updated checksum (host order).
struct CsumUpdate {
  uint32_t sum;
  explicit CsumUpdate(uint16_t old_ck_host) : sum(uint16_t(~old_ck_host)) {}
  void remove(const uint8_t* p, size_t n) { sum = csum_words_inverted(sum, p, n); }
  void add(const uint8_t* p, size_t n) { sum = csum_words(sum, p, n); }
  // UDP over IPv6 never carries 0: a computed 0 is sent as 0xffff.
  uint16_t udp_result() const {
    uint16_t r = uint16_t(~csum_fold(sum));
    return r == 0 ? 0xffff : r;
  }
};

}  // namespace flatnet::fastpath
