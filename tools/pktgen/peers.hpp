// Synthetic peers: the generator and flatnet-tableload must agree on which
// ZeroTier address lives at which underlay ip:port, so relayed packets come
// back to the generator with the destination's path in the outer headers.
#pragma once

#include <cstdint>
#include <vector>

namespace flatnet::pktgen {

struct SyntheticPeer {
  uint64_t address;  // 40-bit ZeroTier address
  uint32_t ip;       // IPv4, host byte order
  uint16_t port;     // UDP port, host byte order
};

// Peer number i of the set generated from seed.
SyntheticPeer synthetic_peer(uint64_t seed, uint32_t i);

// All n peers; addresses are distinct.
std::vector<SyntheticPeer> synthetic_peers(uint64_t seed, uint32_t n);

}  // namespace flatnet::pktgen
