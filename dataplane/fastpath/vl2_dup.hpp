// Duplicates on the VL2 decap path (issue 12, bad input). ZeroTier 1.x has
// no replay protection: a copy of a peer's authentic packet -- duplicated
// on the path, or recorded and sent again -- dearmors like the original,
// and stock delivers it again. The gateway does the same (a LAN host's
// transport copes, as with any duplicate on an Ethernet), but counts it:
// each worker remembers the (sender, packet id) of the last frame packets
// it carried in a direct-mapped table and counts a repeat as
// vl2_duplicates. Nothing is learned twice that was not learned once, so
// state is not corrupted either way. Bounded: 32 KiB per worker, no
// allocation; a pair pushed out by newer packets (after about kSlots of
// them) is no longer recognised. A collision of two different pairs in one
// slot only forgets the older one: only an exact 64-bit key match counts.
#pragma once

#include <cstdint>

namespace flatnet::fastpath {

struct DupFilter {
  static constexpr unsigned kBits = 12;
  static constexpr unsigned kSlots = 1u << kBits;
  uint64_t seen[kSlots] = {};

  // True when (sender, id) is a packet this filter already saw; else it is
  // remembered.
  bool repeat(uint64_t sender, uint64_t id) {
    uint64_t key = id ^ (sender * 0x9e3779b97f4a7c15ull);  // one-to-one in id for a sender
    if (key == 0) key = 0x9e3779b97f4a7c15ull;              // 0 marks an empty slot
    uint64_t& slot = seen[(key * 0xff51afd7ed558ccdull) >> (64 - kBits)];
    if (slot == key) return true;
    slot = key;
    return false;
  }
};

}  // namespace flatnet::fastpath
