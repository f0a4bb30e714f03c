// Rate limits of a root under attack (docs/dataplane.md "Under attack"):
// punts per physical source, a per-worker cap on all punts with a part kept
// for known peers, and an optional per-peer relay limit. All state is the
// worker's own: no atomics, no shared lines.
//
// Every bucket is GCRA ("virtual scheduling", ITU-T I.371): one 8-byte word,
// the theoretical arrival time (TAT) of the next packet in TSC cycles. A
// packet conforms when accepting it leaves TAT at most `depth` cycles ahead
// of now; depth = burst * cost is a token bucket of `burst` packets refilled
// at one per `cost` cycles. A smaller depth on the same word is a bucket
// from which a caller may take only the upper part: that is how unknown
// sources are kept from the part of the global bucket reserved for known
// peers, who take from the whole depth.
//
// Tables of buckets are direct-mapped and untagged: a source hashes to one
// word, and sources that collide share that bucket (an innocent source
// colliding with a flooding one is limited with it). The hash is
// multiply-shift with a random odd 64-bit multiplier drawn per worker at
// start-up, so collisions cannot be chosen offline; a CRC would not do, its
// collisions do not depend on the seed.
//
// No DPDK types here: the config parser and its tests use PoliceConfig.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "dataplane/fastpath/addr.hpp"

namespace flatnet::fastpath {

// The configuration (config keys in docs/dataplane.md). pps 0 = that limit off.
struct PoliceConfig {
  unsigned punt_source_pps = 100;     // per physical source (/32, /64), per worker
  unsigned punt_source_burst = 200;
  unsigned punt_source_slots = 4096;  // buckets per worker, power of two (8 bytes each)
  unsigned punt_global_pps = 20000;   // all punts of one worker
  unsigned punt_global_burst = 2000;
  unsigned punt_unknown_share = 50;   // % of the punt ring and of the global bucket
                                      // unknown sources may use (100 = no reserve)
  unsigned relay_limit_pps = 0;       // per VL1 source (fragments: per physical source)
  unsigned relay_limit_burst = 1000;
  unsigned relay_limit_slots = 4096;
};

// One bucket: true (and charged) if a packet now conforms.
inline bool gcra_take(uint64_t& tat, uint64_t now, uint64_t cost, uint64_t depth) {
  uint64_t t = tat > now ? tat : now;
  if (t + cost - now > depth) return false;
  tat = t + cost;
  return true;
}

// Direct-mapped, untagged buckets keyed by a 64-bit key. Off while cost = 0.
struct BucketTable {
  std::vector<uint64_t> tat;
  uint64_t mult = 0;      // odd multiplier of the hash
  unsigned shift = 64;    // 64 - log2(slots)
  uint64_t cost = 0;      // TSC cycles per packet; 0 = off
  uint64_t depth = 0;     // cost * burst

  bool on() const { return cost != 0; }
  size_t slot(uint64_t key) const { return size_t((key * mult) >> shift); }
  bool take(uint64_t key, uint64_t now) { return gcra_take(tat[slot(key)], now, cost, depth); }
};

// The key of a physical source: an IPv4 /32 or an IPv6 /64.
inline uint64_t source_key(const IpAddr& a) {
  uint64_t k;
  if (a.family == Family::kV4) {
    uint32_t x;
    std::memcpy(&x, a.b, 4);
    return (uint64_t(4) << 56) | x;
  }
  std::memcpy(&k, a.b, 8);
  return k;
}

struct Police {
  BucketTable punt_source;
  uint64_t punt_global_tat = 0;
  uint64_t punt_global_cost = 0;       // 0 = no global cap
  uint64_t punt_global_depth = 0;      // known peers take from all of it
  uint64_t punt_unknown_depth = 0;     // unknown sources only from this much
  unsigned punt_unknown_share = 100;   // % of the punt ring
  BucketTable relay;                   // off unless relay_limit_pps > 0
};

// Sizes and arms the buckets from c at the TSC rate hz. seed 0 draws a
// random hash multiplier (tests pass a fixed one). Call again to change.
void police_init(Police& p, const PoliceConfig& c, uint64_t hz, uint64_t seed = 0);
// Bytes the tables of one worker take.
size_t police_memory(const PoliceConfig& c);

}  // namespace flatnet::fastpath
