// Stage: VL1 classify (spec §2.7). Looks only at cleartext header fields:
// kind (packet head, fragment, beacon, runt), destination, source, hops.
// Addressed to us -> punt to control; otherwise a relay candidate. Every
// field read is inside data_len, which ip4/ip6 input bounded by the UDP
// length.
#include "dataplane/fastpath/stage.hpp"
#include "dataplane/wire/vl1.hpp"

namespace flatnet::fastpath {

namespace wire = flatnet::wire;

namespace {

inline void classify_one(rte_mbuf* m, uint64_t self, bool relay_on, rte_mbuf** pkts,
                         Partition& p) {
  PktMeta* pm = meta(m);
  const uint8_t* d = rte_pktmbuf_mtod_offset(m, const uint8_t*, pm->data_off);
  switch (wire::classify(d, pm->data_len)) {
    case wire::DatagramKind::kRunt:
      p.fail(m, Drop::vl1_runt);
      return;
    case wire::DatagramKind::kBeacon:
      // Control decides what a beacon is worth (stock: a NOP to known peers).
      pm->action = Vl1Action::kPunt;
      pm->vl1_dst = self;
      pm->vl1_src = wire::read_addr40(d + wire::kIdxDest);
      pm->is_fragment = 0;
      p.good(pkts, m);
      return;
    case wire::DatagramKind::kFragment:
      pm->is_fragment = 1;
      pm->vl1_dst = wire::fragment_dest(d);
      pm->vl1_src = 0;
      pm->hops = uint8_t(wire::fragment_hops(d));
      break;
    case wire::DatagramKind::kPacket:
      pm->is_fragment = 0;
      pm->vl1_dst = wire::packet_dest(d);
      pm->vl1_src = wire::packet_source(d);
      pm->hops = uint8_t(wire::packet_hops(d));
      if (self != 0 && pm->vl1_src == self && pm->vl1_dst != self) {
        p.fail(m, Drop::vl1_from_self);
        return;
      }
      break;
  }
  if (wire::address_is_reserved(pm->vl1_dst)) {
    p.fail(m, Drop::vl1_reserved_dest);
    return;
  }
  if (pm->vl1_dst == self) {
    pm->action = Vl1Action::kPunt;
  } else if (relay_on) {
    pm->action = Vl1Action::kRelay;
  } else {
    p.fail(m, Drop::vl1_relay_disabled);
    return;
  }
  p.good(pkts, m);
}

}  // namespace

uint16_t vl1_classify(Worker& w, rte_mbuf** pkts, uint16_t n) {
  // Relaxed: see Switches.
  uint64_t self = w.sw->self_address.load(std::memory_order_relaxed);
  bool relay_on = w.sw->relay.load(std::memory_order_relaxed);
  Partition p;
  uint16_t i = 0;
  for (; i + 4 <= n; i += 4) {
    rte_mbuf* a = pkts[i];
    rte_mbuf* b = pkts[i + 1];
    rte_mbuf* c = pkts[i + 2];
    rte_mbuf* d = pkts[i + 3];
    classify_one(a, self, relay_on, pkts, p);
    classify_one(b, self, relay_on, pkts, p);
    classify_one(c, self, relay_on, pkts, p);
    classify_one(d, self, relay_on, pkts, p);
  }
  for (; i < n; ++i) classify_one(pkts[i], self, relay_on, pkts, p);
  return p.finish(pkts);
}

}  // namespace flatnet::fastpath
