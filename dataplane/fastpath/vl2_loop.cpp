// The LAN bridged twice: the report to control (vl2_loop.hpp has the check).
#include "dataplane/fastpath/vl2_loop.hpp"

namespace flatnet::fastpath {

void vl2_lan_loop_report(Worker& w, Vl2Port& port, const tables::vl2::NetworkView& net, uint64_t mac,
                         uint64_t bridge) {
  uint64_t& next = port.loop_next[net.slot % tables::vl2::kMaxNetworks];
  if (next != 0 && w.now < next) return;
  // Whether or not the ring takes it: a full ring is not retried per frame.
  next = w.now + (w.hz ? w.hz : 1);
  if (!w.hooks || !w.hooks->lan_loop) return;
  if (w.hooks->lan_loop(w.hooks->ctx, w.id, net.s.nwid, mac, bridge)) ++w.c->vl2_loop_events;
  else ++w.c->events_dropped;
}

}  // namespace flatnet::fastpath
