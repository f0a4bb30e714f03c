// What the relay tells control: destinations it had no path for (token
// bucket per worker) and (src,dst) pairs it relays, so control can send
// RENDEZVOUS (spec §7.3). Pairs are de-duplicated in a small direct-mapped
// table per worker: a pair is reported again only after the interval, and
// new pairs are capped by a token bucket (pairs per second per worker). A
// report carries how many packets of the pair were relayed since the last
// one (a pair evicted by a colliding one loses its unreported count).
#include "dataplane/fastpath/relay_events.hpp"

#include <rte_cycles.h>

namespace flatnet::fastpath {

namespace {
void bucket_init(EventBucket& b, uint64_t hz, unsigned per_s, unsigned burst) {
  if (per_s == 0) per_s = 1;
  b.cost = hz / per_s;
  b.cap = b.cost * burst;
  b.credit = b.cap;
  b.last = rte_get_tsc_cycles();
}
}  // namespace

void worker_init(Worker& w, uint64_t hz, double pair_interval_s, unsigned unknown_events_per_s,
                 unsigned pair_events_per_s) {
  w.hz = hz;
  w.pairs.interval = uint64_t(pair_interval_s * double(hz));
  bucket_init(w.unknown_events, hz, unknown_events_per_s, 16);
  bucket_init(w.pair_events, hz, pair_events_per_s, 64);
}

void report_unknown(Worker& w, uint64_t dst, uint64_t src, const PuntInfo& from) {
  if (!w.hooks->unknown_dest || !w.unknown_events.take(w.now)) return;
  if (w.hooks->unknown_dest(w.hooks->ctx, w.id, dst, src, from))
    ++w.c->unknown_dest_events;
  else
    ++w.c->events_dropped;
}

void report_pair(Worker& w, uint64_t src, uint64_t dst) {
  if (!w.hooks->relaying_pair) return;
  uint64_t lo = src < dst ? src : dst, hi = src < dst ? dst : src;
  // Multiplicative hash of both 40-bit addresses.
  uint64_t h = (lo * 0x9E3779B97F4A7C15ull) ^ (hi * 0xC2B2AE3D27D4EB4Full);
  unsigned s = unsigned(h >> 54) & (PairFilter::kSlots - 1);
  PairFilter::Slot& f = w.pairs.slot[s];
  const bool same = f.lo == lo && f.hi == hi;
  if (same && w.now - f.when < w.pairs.interval) {
    if (f.count != UINT32_MAX) ++f.count;
    return;
  }
  const uint32_t count = same && f.count != UINT32_MAX ? f.count + 1 : same ? f.count : 1;
  // A new pair, but over the budget: not remembered, so it is reported as
  // soon as the budget allows. Counted, so control can see what it missed.
  // (A known pair keeps its count for the next report.)
  if (!w.pair_events.take(w.now)) {
    if (same) f.count = count;
    ++w.c->rendezvous_capped;
    return;
  }
  f.lo = lo;
  f.hi = hi;
  f.when = w.now;
  f.count = 0;
  if (w.hooks->relaying_pair(w.hooks->ctx, w.id, src, dst, count))
    ++w.c->rendezvous_events;
  else
    ++w.c->events_dropped;
}

}  // namespace flatnet::fastpath
