// The LAN bridged twice (issue 12): two gateways, or a gateway and a stock
// bridge member, bridge the same LAN into the same network. Every LAN
// broadcast then reaches the network twice, and each bridge hands the other
// bridge's copy back to the LAN, where both see it again: a storm that only
// the per-port multicast rate limit would bound.
//
// Two signatures, one per direction, both dropped as vl2_lan_loop:
//
// - network -> LAN (vl2_lan_loop, in vl2_decap): a frame from the network
//   (a bridge's EXT_FRAME / MULTICAST_FRAME) whose source MAC we learned on
//   our own LAN port within tables::vl2::kLanLoopWindowS: a LAN host's
//   frame that came back through the other bridge. Dropped before the
//   rules (so no TEE copy either); the writer also refuses the bridge route
//   it would teach (vl2_macs.cpp), so the host stays on our LAN in our
//   table. So is a frame from a bridge whose source is another member's own
//   MAC (spec §5.2): only that member sends it, so a bridge that forwards
//   it got it from its LAN, where the other bridge had put it. (Not from a
//   non-bridge: that is a TEE / REDIRECT copy the rules may super-accept.)
//   A member's own frames (its own MAC, from it) are never checked.
// - LAN -> network (vl2_lan_echo, in vl2_encap): a LAN frame whose source
//   MAC is a member's own MAC (whatever the MAC table says of it), or is
//   behind a member or bridge we heard from within the window: a frame
//   from the network that the other bridge put on our LAN. Without this, such a frame would circle between the
//   other bridge's decap, the LAN and our encap for ever (the first check
//   never sees it: a gateway does not receive its own LAN transmissions),
//   and the member's MAC would move onto our LAN, cutting it off.
//
// A host that really moved is cut off for at most the window (+1 s of
// stamp rounding) after its last frame on the side it left. Control hears
// of a loop (ControlHooks::lan_loop) at most once per second per network
// and port; the policy -- logging, the network's loop_guard setting -- is
// control's.
#pragma once

#include <cstdint>

#include "dataplane/fastpath/vl2.hpp"
#include "dataplane/wire/vl2_frame.hpp"

namespace flatnet::fastpath {

// The member whose own MAC (spec §5.2) `mac` is, or 0: a MAC with the
// network's member prefix whose address is a member of `net` now.
inline uint64_t vl2_member_of_mac(const tables::vl2::Vl2Tables& t, const tables::vl2::NetworkView& net,
                                  uint64_t mac) {
  if (!wire::vl2::mac_is_member(mac, net.s.nwid)) return 0;
  const uint64_t a = wire::vl2::address_from_mac(mac, net.s.nwid);
  return t.member(net.slot, a) ? a : 0;
}

// Tells control that frames of `mac` looped through `bridge` (a bridge or
// member) in `net`;
// at most once per second per network slot of the port (port.loop_next).
void vl2_lan_loop_report(Worker& w, Vl2Port& port, const tables::vl2::NetworkView& net, uint64_t mac,
                         uint64_t bridge);

// For vl2_decap, per frame from `sender` that passed the member gate: true
// when it is a copy of our own LAN's frame, or a member's frame forwarded
// by a bridge (drop it as vl2_lan_loop). Costs one MAC lookup for bridged
// sources only (and a member lookup for a source with the member prefix).
inline bool vl2_lan_loop(Worker& w, Vl2Port& port, const tables::vl2::NetworkView& net, uint64_t sender,
                         uint64_t src, uint32_t now_s) {
  using tables::vl2::MacWord;
  if (!net.s.loop_guard || src == wire::vl2::mac_from_address(sender, net.s.nwid)) return false;
  const uint64_t word = port.tables->mac(net.slot, src);
  if ((MacWord::kind(word) != MacWord::kLan || MacWord::age_s(word, now_s) >= tables::vl2::kLanLoopWindowS) &&
      (!vl2_member_of_mac(*port.tables, net, src) ||
       !(port.tables->member(net.slot, sender) & tables::vl2::MemberWord::kBridge)))
    return false;
  vl2_lan_loop_report(w, port, net, src, sender);
  return true;
}

// For vl2_encap, per LAN frame with source MAC `src` whose MAC-table word
// (looked up already, for learning) is `word`: true when it is a frame from
// the network that another bridge of this LAN put on it (drop it as
// vl2_lan_loop and learn nothing from it).
inline bool vl2_lan_echo(Worker& w, Vl2Port& port, const tables::vl2::NetworkView& net, uint64_t src,
                         uint64_t word, uint32_t now_s) {
  using tables::vl2::MacWord;
  if (!net.s.loop_guard) return false;
  uint64_t behind = vl2_member_of_mac(*port.tables, net, src);
  if (!behind) {
    if (MacWord::kind(word) != MacWord::kRemote || MacWord::age_s(word, now_s) >= tables::vl2::kLanLoopWindowS)
      return false;
    behind = MacWord::addr(word);
  }
  vl2_lan_loop_report(w, port, net, src, behind);
  return true;
}

}  // namespace flatnet::fastpath
