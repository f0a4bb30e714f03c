// `online` from authenticated root traffic (see online.hpp).
#include "control/service/online.hpp"

namespace flatnet::control::service {

bool root_online(const Core& core, uint64_t now) {
  if (core.am_root()) return true;
  for (uint64_t u : core.upstreams()) {
    const Peer* p = core.peers().find(u);
    // hello_done: until the first exchange, last_receive is only the time
    // the root was put in the table (PeerTable::insert).
    if (p && p->hello_done && now < p->last_receive + kOnlineMs) return true;
  }
  return false;
}

}  // namespace flatnet::control::service
