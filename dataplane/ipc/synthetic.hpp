// The synthetic peer set the table loader (flatnet-tableload) loads and the
// packet generator addresses: peer i of a seed has a 40-bit address from a
// hash of (seed, i) and the path 10.128.0.0 + i + 1 : 20000 + i % 40000.
// Both tools include this one definition so they cannot drift apart.
// Header-only: the ABI and the inline parts of phys_addr.hpp.
#pragma once

#include <cstdint>

#include "dataplane/ipc/abi.h"
#include "dataplane/ipc/phys_addr.hpp"

namespace flatnet::ipc {

struct SyntheticPeer {
  uint64_t address;  // 40-bit, never reserved
  uint32_t ip;       // IPv4, host byte order
  uint16_t port;     // UDP, host byte order
};

inline uint64_t synthetic_mix(uint64_t x) {  // splitmix64
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

inline SyntheticPeer synthetic_peer(uint64_t seed, uint32_t i) {
  uint64_t a = synthetic_mix(seed * 0x100000001b3ull + i) & 0xffffffffffull;
  // Reserved addresses (0, or first byte 0xff) are moved off the reserved set.
  if (a == 0 || (a >> 32) == 0xff) a ^= 0x0100000001ull;
  return {a, 0x0a800000u + i + 1, uint16_t(20000 + i % 40000)};
}

// The 48-byte key a gateway shares with synthetic peer `address` of seed
// (the gateway benchmark: flatnet-tableload installs it, flatnet-pktgen
// armors with it; docs/bench-gateway.md). Not a key for anything real.
inline void synthetic_key(uint64_t seed, uint64_t address, uint8_t out[48]) {
  for (unsigned i = 0; i < 48; i += 8) {
    const uint64_t x = synthetic_mix(seed * 0x9e3779b97f4a7c15ull ^ (address << 8) ^ i);
    for (unsigned b = 0; b < 8; ++b) out[i + b] = uint8_t(x >> (8 * b));
  }
}

inline flatnet_ipc_phys_addr synthetic_path(const SyntheticPeer& p, uint16_t port_id = 0) {
  return phys_v4(p.ip, p.port, port_id);
}

}  // namespace flatnet::ipc
