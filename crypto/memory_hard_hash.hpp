// Internal: the memory-hard hash with a caller-owned scratch buffer, so that
// identity generation can reuse one 2 MiB allocation across its tries.
#pragma once

#include <cstdint>

#include "crypto/identity.hpp"

namespace flatnet::crypto {

// `scratch` must hold kMemoryHardScratch bytes; it is overwritten.
void memory_hard_hash(const PublicKey& pub, uint8_t digest[64], uint8_t* scratch);

// The address/hashcash criterion of spec §1.3 applied to a digest: returns
// the address named by the digest if D[0] < 17, else 0 (never a valid address).
uint64_t memory_hard_digest_address(const uint8_t digest[64]);

}  // namespace flatnet::crypto
