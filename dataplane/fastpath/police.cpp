// Sizing of the attack limits; see police.hpp.
#include "dataplane/fastpath/police.hpp"

#include <random>

namespace flatnet::fastpath {

namespace {

uint64_t draw_multiplier(uint64_t seed) {
  if (seed == 0) {
    std::random_device rd;
    seed = (uint64_t(rd()) << 32) ^ rd();
  }
  std::mt19937_64 g(seed);
  return g() | 1;
}

unsigned log2_floor(unsigned v) {
  unsigned b = 0;
  while (v >>= 1) ++b;
  return b;
}

void table_init(BucketTable& t, unsigned pps, unsigned burst, unsigned slots, uint64_t hz,
                uint64_t seed) {
  if (pps == 0) {
    t = BucketTable{};
    return;
  }
  if (slots == 0) slots = 1;
  unsigned bits = log2_floor(slots);  // a power of two by config; rounded down otherwise
  t.tat.assign(size_t(1) << bits, 0);
  t.mult = draw_multiplier(seed);
  t.shift = 64 - bits;
  if (bits == 0) {  // one slot: a shift by 64 is undefined; every key maps to 0
    t.mult = 0;
    t.shift = 63;
  }
  t.cost = hz / pps ? hz / pps : 1;
  t.depth = t.cost * (burst ? burst : 1);
}

}  // namespace

void police_init(Police& p, const PoliceConfig& c, uint64_t hz, uint64_t seed) {
  table_init(p.punt_source, c.punt_source_pps, c.punt_source_burst, c.punt_source_slots, hz, seed);
  table_init(p.relay, c.relay_limit_pps, c.relay_limit_burst, c.relay_limit_slots, hz,
             seed ? seed + 1 : 0);
  unsigned share = c.punt_unknown_share > 100 ? 100 : c.punt_unknown_share;
  p.punt_unknown_share = share;
  p.punt_global_tat = 0;
  if (c.punt_global_pps == 0) {
    p.punt_global_cost = p.punt_global_depth = p.punt_unknown_depth = 0;
    return;
  }
  uint64_t cost = hz / c.punt_global_pps ? hz / c.punt_global_pps : 1;
  unsigned burst = c.punt_global_burst ? c.punt_global_burst : 1;
  p.punt_global_cost = cost;
  p.punt_global_depth = cost * burst;
  // Unknown sources may take share % of the burst (whole packets, at least
  // one); the rest of the bucket is kept for known peers.
  uint64_t unknown = uint64_t(burst) * share / 100;
  p.punt_unknown_depth = cost * (unknown ? unknown : 1);
}

size_t police_memory(const PoliceConfig& c) {
  auto bytes = [](unsigned pps, unsigned slots) {
    return pps ? size_t(slots) * sizeof(uint64_t) : size_t(0);
  };
  return bytes(c.punt_source_pps, c.punt_source_slots) + bytes(c.relay_limit_pps, c.relay_limit_slots);
}

}  // namespace flatnet::fastpath
