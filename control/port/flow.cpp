// Flow hashing for queue choice. See flow.hpp.
#include "control/port/flow.hpp"

#include <algorithm>
#include <cstring>

namespace flatnet::control::port {

namespace {

uint64_t mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return h;
}

uint64_t load(const uint8_t* p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

// Hashes two endpoints (address bytes + port) in a fixed order so that
// (a, b) and (b, a) give the same value.
uint64_t pair_hash(const uint8_t* a, const uint8_t* b, size_t alen, uint16_t pa, uint16_t pb) {
  int c = std::memcmp(a, b, alen);
  if (c == 0) c = pa < pb ? -1 : pa > pb ? 1 : 0;
  if (c > 0) {
    std::swap(a, b);
    std::swap(pa, pb);
  }
  uint64_t h = mix(0, alen);
  for (size_t i = 0; i < alen; i += 8) h = mix(h, load(a + i, std::min<size_t>(8, alen - i)));
  for (size_t i = 0; i < alen; i += 8) h = mix(h, load(b + i, std::min<size_t>(8, alen - i)));
  return mix(h, (uint64_t(pa) << 16) | pb);
}

}  // namespace

uint32_t flow_hash(const uint8_t* f, size_t len) {
  if (len < 14) return 0;
  size_t l3 = 14;
  uint16_t et = uint16_t((f[12] << 8) | f[13]);
  if (et == 0x8100 && len >= 18) {
    et = uint16_t((f[16] << 8) | f[17]);
    l3 = 18;
  }
  uint16_t sp = 0, dp = 0;
  auto ports = [&](size_t l4, uint8_t proto) {
    if ((proto == 6 || proto == 17) && l4 + 4 <= len) {
      sp = uint16_t((f[l4] << 8) | f[l4 + 1]);
      dp = uint16_t((f[l4 + 2] << 8) | f[l4 + 3]);
    }
  };
  if (et == 0x0800 && len >= l3 + 20) {
    const size_t ihl = size_t(f[l3] & 0x0f) * 4;
    const bool later_fragment = ((f[l3 + 6] & 0x1f) | f[l3 + 7]) != 0;
    // Later fragments carry no ports; the first would then hash apart from
    // them, so a fragmented datagram is keyed by addresses only.
    const bool fragmented = later_fragment || (f[l3 + 6] & 0x20);
    if (!fragmented && ihl >= 20) ports(l3 + ihl, f[l3 + 9]);
    return uint32_t(pair_hash(f + l3 + 12, f + l3 + 16, 4, sp, dp));
  }
  if (et == 0x86dd && len >= l3 + 40) {
    ports(l3 + 40, f[l3 + 6]);  // extension headers: addresses only
    return uint32_t(pair_hash(f + l3 + 8, f + l3 + 24, 16, sp, dp));
  }
  return uint32_t(pair_hash(f, f + 6, 6, 0, 0));
}

}  // namespace flatnet::control::port
