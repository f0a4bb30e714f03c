// Stage: punt. Copies VL1 datagrams addressed to us (and beacons) to control
// with their physical source, then frees the mbufs. A full ring or a missing
// control is a counted drop: the data plane never waits for control.
//
// Before the copy, the attack limits (police.hpp, docs/dataplane.md "Under
// attack"). A packet head whose source address is a known peer AND whose
// physical source is that peer's path is "known": it skips the per-source
// bucket and may use all of the worker's global bucket and all of the punt
// ring. Everything else (unknown or spoofed sources, fragments, beacons) is
// charged to its physical source's bucket, may use only the unknown share of
// the global bucket, and only while the ring is less full than that share.
// Each refusal is counted under its own reason.
#include <time.h>

#include "dataplane/fastpath/stage.hpp"
#include "dataplane/wire/vl1.hpp"

namespace flatnet::fastpath {

namespace wire = flatnet::wire;

uint16_t punt(Worker& w, rte_mbuf** pkts, uint16_t n) {
  Partition p;
  rte_mbuf* done[kBurst];
  uint16_t n_done = 0, n_known = 0;
  const ControlHooks& h = *w.hooks;
  Police& pol = w.police;
  // The ring's fill, read once per burst and only if an unknown source
  // needs it; our own punts since then are added as they go.
  bool fill_read = false;
  unsigned used = 0, unknown_max = ~0u;
  // One clock read for the burst: the packets arrived together, and the
  // hooks stamp punts and refresh paths with it (a vDSO call is ~60 cycles).
  // The boundary's clock (ipc::mono_ns in dataplane/ipc/clock.hpp), read
  // here directly because the fast path includes nothing of dataplane/ipc.
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  uint64_t now_ns = uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    PktMeta* pm = meta(m);
    PuntInfo info{pm->src_ip, pm->src_port, m->port, now_ns};
    bool known = !pm->is_fragment && pm->vl1_src != 0 && pm->data_len >= wire::kPacketHeaderLength &&
                 h.known_peer && h.known_peer(h.ctx, w.id, pm->vl1_src, info);
    if (!known && pol.punt_source.on() && !pol.punt_source.take(source_key(pm->src_ip), w.now)) {
      p.fail(m, Drop::punt_source_limited);
      continue;
    }
    if (pol.punt_global_cost &&
        !gcra_take(pol.punt_global_tat, w.now, pol.punt_global_cost,
                   known ? pol.punt_global_depth : pol.punt_unknown_depth)) {
      p.fail(m, Drop::punt_global_limited);
      continue;
    }
    if (!known && pol.punt_unknown_share < 100) {
      if (!fill_read) {
        fill_read = true;
        unsigned slots = 0;
        if (h.punt_fill && h.punt_fill(h.ctx, w.id, &used, &slots) && slots)
          unknown_max = unsigned(uint64_t(slots) * pol.punt_unknown_share / 100);
      }
      if (used >= unknown_max) {
        p.fail(m, Drop::punt_unknown_reserved);
        continue;
      }
    }
    const uint8_t* d = rte_pktmbuf_mtod_offset(m, const uint8_t*, pm->data_off);
    if (h.punt && h.punt(h.ctx, w.id, d, pm->data_len, info)) {
      done[n_done++] = m;
      n_known = uint16_t(n_known + known);
      ++used;
    } else {
      p.fail(m, Drop::punt_full);
    }
  }
  w.c->punted += n_done;
  w.c->punted_known += n_known;
  if (n_done) rte_pktmbuf_free_bulk(done, n_done);
  // The survivors were consumed; only the failures stay, at the front.
  for (uint16_t i = 0; i < p.n_bad; ++i) pkts[i] = p.bad[i];
  return n_done;
}

}  // namespace flatnet::fastpath
