// flatnetd as a gateway's control (--dataplane with a data plane that has a
// `lan` port, docs/gateway.md): the member (control/vl2) joins the network
// the LAN port bridges as stock's bridges do (the controller must authorize
// this node as an active bridge; allowManaged off; no tap: the data plane
// owns the LAN), and this unit turns what the member and the core know into
// the desired state of the data plane's VL2 tables:
//
//   member's config    -> the network (MTU, multicastLimit, broadcast,
//                         private) and its rules (§10.9 binary form)
//   member's records   -> members whose credentials pass the gate now
//                         (PRESENT | COM_VALID, BRIDGE for active bridges);
//                         a deauthorized member drops out at the next refresh
//   core's peer table  -> each such member's key and suite
//   §5.2 MACs, bridge  -> MAC routes (a member's MAC, MACs learned behind
//   routes                other bridges)
//   LIKEs and gathers  -> multicast subscribers
//
// Rebuilt every kRefreshMs and handed to the backend, whose reconciler
// sends only the difference (control/boundary/vl2_reconciler). I/O-free.
#pragma once

#include <cstdint>

#include "control/boundary/vl2_reconciler.hpp"
#include "control/core/core.hpp"
#include "control/vl2/member.hpp"

namespace flatnet::control::service {

class GatewayHost {
 public:
  // A revoked or expired member is cut off within this (+ the ring's delay).
  static constexpr uint64_t kRefreshMs = 250;

  // True when it is time to rebuild (every kRefreshMs).
  bool due(uint64_t now) {
    if (now < next_) return false;
    next_ = now + kRefreshMs;
    return true;
  }
  // The tables for `nwid` as the member and the core know them now; an
  // empty network (nwid 0) while the member has no config for it.
  static boundary::Vl2Desired desired(uint64_t nwid, const vl2::Member& member, const Core& core);

 private:
  uint64_t next_ = 0;
};

}  // namespace flatnet::control::service
