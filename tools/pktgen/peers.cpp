#include "tools/pktgen/peers.hpp"

#include <unordered_set>

#include "dataplane/wire/vl1.hpp"

namespace flatnet::pktgen {

namespace {

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

// PROVISIONAL until flatnet-tableload publishes its mapping: address from a
// hash of (seed, i); ip 10.128.0.0 + i + 1; port 20000 + i % 40000.
SyntheticPeer synthetic_peer(uint64_t seed, uint32_t i) {
  uint64_t a = splitmix64(seed * 0x100000001b3ULL + i) & wire::kAddressMask;
  if (wire::address_is_reserved(a)) a ^= 0x0100000001ULL;
  return {a, 0x0a800000u + i + 1, uint16_t(20000 + i % 40000)};
}

std::vector<SyntheticPeer> synthetic_peers(uint64_t seed, uint32_t n) {
  std::vector<SyntheticPeer> v;
  v.reserve(n);
  for (uint32_t i = 0; i < n; ++i) v.push_back(synthetic_peer(seed, i));
  return v;
}

}  // namespace flatnet::pktgen
