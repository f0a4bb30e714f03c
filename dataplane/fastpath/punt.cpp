// Stage: punt. Copies VL1 datagrams addressed to us (and beacons) to control
// with their physical source, then frees the mbufs. A full ring or a missing
// control is a counted drop: the data plane never waits for control.
#include "dataplane/fastpath/stage.hpp"

namespace flatnet::fastpath {

uint16_t punt(Worker& w, rte_mbuf** pkts, uint16_t n) {
  Partition p;
  rte_mbuf* done[kBurst];
  uint16_t n_done = 0;
  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    PktMeta* pm = meta(m);
    PuntInfo info{pm->src_ip, pm->src_port, m->port};
    const uint8_t* d = rte_pktmbuf_mtod_offset(m, const uint8_t*, pm->data_off);
    if (w.hooks->punt && w.hooks->punt(w.hooks->ctx, w.id, d, pm->data_len, info)) {
      done[n_done++] = m;
    } else {
      p.fail(m, Drop::punt_full);
    }
  }
  w.c->punted += n_done;
  if (n_done) rte_pktmbuf_free_bulk(done, n_done);
  // The survivors were consumed; only the failures stay, at the front.
  for (uint16_t i = 0; i < p.n_bad; ++i) pkts[i] = p.bad[i];
  return n_done;
}

}  // namespace flatnet::fastpath
