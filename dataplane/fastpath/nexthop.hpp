// Next-hop choice and resolution shared by the relay and the inject path:
// on-link destinations are resolved directly, the rest through the gateway
// of their family; MACs come from a one-entry cache, then the neighbour
// table; unresolved packets wait in the table's bounded queue.
#pragma once

#include "dataplane/fastpath/stage.hpp"

namespace flatnet::fastpath {

inline const IpAddr& next_hop(const Underlay& u, const IpAddr& dst) {
  bool v4 = dst.family == Family::kV4;
  const IpAddr& gw = v4 ? u.gw4 : u.gw6;
  const IpAddr& own = v4 ? u.ip4 : u.ip6;
  unsigned prefix = v4 ? u.prefix4 : u.prefix6;
  return (gw.valid() && !prefix_match(dst, own, prefix)) ? gw : dst;
}

// The next hop's MAC via the one-entry cache, then the table.
inline bool resolve(Worker& w, const IpAddr& nh, Mac* mac) {
  uint32_t gen = w.neigh->generation();
  if (gen == w.last_gen && nh == w.last_nh) {
    *mac = w.last_mac;
    return true;
  }
  if (!w.neigh->lookup(nh, mac)) return false;
  w.last_gen = gen;
  w.last_nh = nh;
  w.last_mac = *mac;
  return true;
}

// False if the awaiting queue is full (m then failed into p).
inline bool hold_for_neighbor(Worker& w, rte_mbuf* m, const IpAddr& nh, Partition& p) {
  switch (w.neigh->hold(nh, m, w.now)) {
    case NeighborTable::Hold::kFull:
      p.fail(m, Drop::neigh_queue_full);
      return false;
    case NeighborTable::Hold::kQueuedSendRequest:
      if (nh.family == Family::kV4)
        arp_request(w, nh);
      else
        nd_solicit(w, nh);
      [[fallthrough]];
    case NeighborTable::Hold::kQueued:
      ++w.c->neigh_queued;
  }
  return true;
}

}  // namespace flatnet::fastpath
