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
#include <map>
#include <unordered_map>
#include <utility>
#include <vector>

#include "control/boundary/vl2_reconciler.hpp"
#include "control/core/core.hpp"
#include "control/vl2/member.hpp"

namespace flatnet::control::service {

class GatewayHost {
 public:
  // A revoked or expired member is cut off within this (+ the ring's delay).
  static constexpr uint64_t kRefreshMs = 250;

  // True when it is time to rebuild (every kRefreshMs), from kSettleMs
  // after the first solicit() on: a restarted control first gives the
  // members it asked a moment to present their credentials, so the
  // sweep after the re-install (vl2_reconciler) does not cut them off.
  bool due(uint64_t now) {
    if (now < next_ || settle_at_ == 0 || now < settle_at_) return false;
    next_ = now + kRefreshMs;
    return true;
  }
  static constexpr uint64_t kSettleMs = 1'000;
  // The tables for `nwid` as the member and the core know them now; an
  // empty network (nwid 0) while the member has no config for it.
  static boundary::Vl2Desired desired(uint64_t nwid, const vl2::Member& member, const Core& core);
  // Asks every peer the core holds a key for (roots aside) that the member
  // has not admitted on `nwid` for its credentials, each at most once per
  // kSolicitMs. Why: a restarted control has lost the memberships its
  // predecessor learned, and the fast path drops frames to and from peers
  // it has not been told about -- so no frame would reach the member to
  // trigger the request, and a member only re-pushes every 500 s. Peers
  // outside the network ignore the request (not a member of it). The
  // config's other active bridges are asked too, before the core has met
  // them (site to site: two gateways have no other reason to meet). And
  // it shows our credentials to every admitted member (Member::
  // present_credentials), which the fast path's frames cannot carry.
  void solicit(uint64_t nwid, vl2::Member& member, const Core& core, uint64_t now, Actions& out);

  // The peers the data plane's table held when this control attached (its
  // RESYNC dump; addresses only, keys never leave the data plane). A
  // restarted control's core knows none of them, and the fast path carries
  // an installed member's frames itself, so no punted packet would make us
  // meet it before the VL2 sweep deletes its entry and key. So for
  // kRemeetMs solicit() asks each one not yet admitted for its credentials
  // too: the core looks its identity up (WHOIS to a root, the request held
  // meanwhile) and sends through the root when it has no direct path; a
  // member answers with its credentials at once and is installed again
  // under the new epoch before the sweep. Peers outside the network (roots,
  // the controller, others) ignore the request; a member deauthorized
  // meanwhile has no valid COM to show and is still swept. Bounded: at most
  // kMaxRemeetPerScan of them asked per scan (the core's outbox holds 64
  // packets awaiting a WHOIS), each at most once per kSolicitMs, and at
  // most kMaxSolicited remembered. Called once per attach, when the dump is
  // read: whatever solicit() asked before (a control starts with its
  // network config and peers from disk and asks at once, while the data
  // plane does not take its packets yet) is asked again at the next call.
  // A peer the core cannot send to yet (no path, no root reached) is left
  // for a later scan rather than counted as asked.
  void remeet(const std::vector<uint64_t>& peers, uint64_t now);
  static constexpr uint64_t kRemeetMs = 120'000;
  static constexpr size_t kMaxRemeetPerScan = 32;
  size_t remeeting() const { return remeet_.size(); }

  // The groups of the LAN (the data plane's VL2_GROUP events): a group a
  // LAN host joined (its IGMP / MLD report) becomes one of the network's
  // subscriptions, which the member LIKEs to the roots, the controller and
  // the members as it does a tap's groups (stock's bridge: its tap's
  // groups), and it is dropped kLanGroupExpireMs after the last report.
  // Events for another network than `nwid` are ignored.
  void lan_group(uint64_t nwid, const MulticastGroup& g, uint32_t kind, uint64_t now);
  // A group a LAN host sends to (kind SENT) is gathered (MULTICAST_GATHER
  // to a root and the controller), at most once per kLanGatherMs per
  // group, so the fast path knows its subscribers before they talked to us
  // -- an ARP request from the LAN for a member that never did. Subscribers
  // the member has not admitted are asked for their credentials by
  // solicit(), like any other peer, so they enter the tables.
  //
  // lan_tick expires LAN groups, hands the set to the member when it
  // changed, and sends the gathers due (at most kMaxGathersPerTick).
  void lan_tick(uint64_t nwid, vl2::Member& member, uint64_t now, Actions& out);
  static constexpr uint64_t kLanGatherMs = 5'000;
  static constexpr unsigned kMaxGathersPerTick = 64;
  size_t lan_groups() const { return joined_.size(); }
  uint64_t lan_group_events() const { return lan_events_; }

  // Stock's ZT_MULTICAST_LIKE_EXPIRE. A LAN with an IGMP / MLD querier has
  // its hosts report every 125 s; without one a host reports only when it
  // joins, and its group goes after this.
  static constexpr uint64_t kLanGroupExpireMs = 600'000;
  static constexpr size_t kMaxLanGroups = 4'096;  // more are ignored (counted in the data plane's events)

  static constexpr uint64_t kSolicitMs = 30'000;
  static constexpr uint64_t kSolicitScanMs = 2'000;  // the peer table is walked this often
  static constexpr size_t kMaxSolicited = 65'536;

 private:
  uint64_t next_ = 0;
  uint64_t next_scan_ = 0;
  uint64_t settle_at_ = 0;  // 0 = solicit() not run yet
  std::unordered_map<uint64_t, uint64_t> asked_;  // peer -> when last asked
  std::vector<uint64_t> remeet_;  // remeet()'s peers not admitted yet
  uint64_t remeet_until_ = 0;
  std::map<std::pair<uint64_t, uint32_t>, uint64_t> joined_;  // (group MAC, ADI) -> last report
  bool joined_changed_ = false;
  std::map<std::pair<uint64_t, uint32_t>, uint64_t> gathered_;  // group -> last gather (0 = due)
  uint64_t next_expiry_ = 0;
  uint64_t lan_nwid_ = 0;
  uint64_t lan_events_ = 0;
};

}  // namespace flatnet::control::service
