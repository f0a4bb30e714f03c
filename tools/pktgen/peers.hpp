// Synthetic peers: the generator and flatnet-tableload must agree on which
// ZeroTier address lives at which underlay ip:port, so relayed packets come
// back to the generator with the destination's path in the outer headers.
// The mapping itself is dataplane/ipc/synthetic.hpp (owned by ipc), shared
// by both tools.
#pragma once

#include <cstdint>
#include <vector>

#include "dataplane/ipc/synthetic.hpp"

namespace flatnet::pktgen {

using SyntheticPeer = flatnet::ipc::SyntheticPeer;

// Peer number i of the set generated from seed.
inline SyntheticPeer synthetic_peer(uint64_t seed, uint32_t i) {
  return flatnet::ipc::synthetic_peer(seed, i);
}

// All n peers, in index order.
std::vector<SyntheticPeer> synthetic_peers(uint64_t seed, uint32_t n);

}  // namespace flatnet::pktgen
