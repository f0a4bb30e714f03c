#include "tools/pktgen/peers.hpp"

namespace flatnet::pktgen {

std::vector<SyntheticPeer> synthetic_peers(uint64_t seed, uint32_t n) {
  std::vector<SyntheticPeer> v;
  v.reserve(n);
  for (uint32_t i = 0; i < n; ++i) v.push_back(synthetic_peer(seed, i));
  return v;
}

}  // namespace flatnet::pktgen
