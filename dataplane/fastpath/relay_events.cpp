// What the relay tells control: destinations it had no path for (token
// bucket per worker) and (src,dst) pairs it relays, so control can send
// RENDEZVOUS (spec §7.3). Pairs are de-duplicated in a small direct-mapped
// table per worker: a pair is reported again only after the interval.
#include "dataplane/fastpath/relay_events.hpp"

#include <rte_cycles.h>

namespace flatnet::fastpath {

void worker_init(Worker& w, uint64_t hz, double pair_interval_s, unsigned unknown_events_per_s) {
  w.hz = hz;
  w.pairs.interval = uint64_t(pair_interval_s * double(hz));
  if (unknown_events_per_s == 0) unknown_events_per_s = 1;
  w.unknown_events.cost = hz / unknown_events_per_s;
  w.unknown_events.cap = w.unknown_events.cost * 16;  // bursts of up to 16
  w.unknown_events.credit = w.unknown_events.cap;
  w.unknown_events.last = rte_get_tsc_cycles();
}

void report_unknown(Worker& w, uint64_t dst, uint64_t src) {
  if (!w.hooks->unknown_dest || !w.unknown_events.take(w.now)) return;
  if (w.hooks->unknown_dest(w.hooks->ctx, w.id, dst, src))
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
  if (f.lo == lo && f.hi == hi && w.now - f.when < w.pairs.interval) return;
  f.lo = lo;
  f.hi = hi;
  f.when = w.now;
  if (w.hooks->relaying_pair(w.hooks->ctx, w.id, src, dst))
    ++w.c->rendezvous_events;
  else
    ++w.c->events_dropped;
}

}  // namespace flatnet::fastpath
