// The gateway's VL2 stages (issue 12): underlay -> LAN (vl2_decap.cpp) and
// LAN -> underlay (vl2_encap.cpp), one stage per file like the relay's.
// They read dataplane/tables' VL2 tables directly (lock-free, valid until the
// worker's quiescent state, which the poll loop reports between bursts) and
// post what they learn on the tables' learn ring; paths come through the
// ControlHooks lookup like the relay's. What happened is counted in
// CoreCounters (vl2_*, lan_*), what was dropped under the vl2_* reasons.
#pragma once

#include <cstdint>

#include "dataplane/fastpath/stage.hpp"
#include "dataplane/fastpath/vl2_dup.hpp"
#include "dataplane/fastpath/vl2_reasm.hpp"
#include "dataplane/tables/vl2_tables.hpp"

namespace flatnet::tables::vl2 {
struct CompiledRules;
struct CompiledCreds;
}  // namespace flatnet::tables::vl2

namespace flatnet::fastpath {

// One frame as the rules see it (vl2_rules.cpp).
struct RuleFrame {
  bool inbound = false;        // received from the network (decap) or from the LAN (encap)
  uint64_t self = 0;           // our address
  uint64_t peer = 0;           // the sender inbound, the recipient outbound (0: multicast / flood)
  uint64_t mac_source = 0, mac_dest = 0;
  uint16_t ethertype = 0;
  const uint8_t* payload = nullptr;  // after the Ethernet header
  uint32_t payload_len = 0;
  // Our tags, capabilities, owned addresses and NDP-emulated prefixes (the
  // network view's; nullptr: none) and the peer's tags, capabilities and
  // owned addresses (nullptr: no membership known, e.g. outbound multicast;
  // &tables::vl2::kNoCreds: a member that presented none).
  const tables::vl2::CompiledCreds* local = nullptr;
  const tables::vl2::CompiledCreds* remote = nullptr;
};
// A TEE / WATCH copy to send: `len` bytes of the Ethernet payload to `to`.
struct RuleCopy {
  uint64_t to = 0;  // 0: none
  uint32_t len = 0;
  bool watch = false;
};
// kSuperAccept: inbound, we are a TEE/WATCH/REDIRECT target (stock's
// accept 2); kRedirect: the frame goes to redirect_to instead.
enum class RuleVerdict : uint8_t { kDrop, kAccept, kSuperAccept, kRedirect };
struct RuleResult {
  RuleVerdict verdict = RuleVerdict::kDrop;
  uint64_t redirect_to = 0;
  RuleCopy copy;      // the base table's (sent unless dropped)
  RuleCopy cap_copy;  // the accepting capability's
  int capability = -1;
};
// The base table, then the capabilities (ours outbound, the sender's
// inbound) as stock's filter; nullptr (no rules installed) accepts.
RuleResult rules_evaluate(const tables::vl2::CompiledRules* rules, const RuleFrame& f, uint64_t* rnd);
// The peer's credentials for RuleFrame::remote: its installed ones, none
// (kNoCreds) for a member that presented none, nullptr for no member (or
// peer 0). No lookup at all when nothing could tell them apart (no tag
// match in the rules and, inbound, no member with credentials; outbound
// the recipient's capabilities and owned addresses are never asked).
// inbound: decap's sender, which its gate admitted (a member); outbound
// the recipient is looked up.
const tables::vl2::CompiledCreds* rules_remote(const tables::vl2::Vl2Tables& t, const tables::vl2::NetworkView& net,
                                               uint64_t peer, bool inbound = false);

// One LAN port bridged into a network (untagged frames) and optionally one
// network per 802.1Q VLAN ID.
struct Vl2Port {
  static constexpr uint16_t kNoVlan = 0xffff;
  static constexpr unsigned kMaxVlans = 16;
  struct Vlan {
    uint16_t vid;
    uint64_t nwid;
  };
  tables::vl2::Vl2Tables* tables = nullptr;
  uint64_t nwid = 0;           // the network untagged LAN frames are bridged into; 0 = none
  Vlan vlans[kMaxVlans] = {};  // tagged frames: VLAN ID -> network
  uint16_t n_vlans = 0;
  uint64_t nwid_of_vlan(uint16_t vid) const {
    for (uint16_t i = 0; i < n_vlans; ++i)
      if (vlans[i].vid == vid) return vlans[i].nwid;
    return 0;
  }
  // The VLAN ID a network's frames carry on the LAN: kNoVlan untagged, 0 not bridged here.
  uint16_t vlan_of(uint64_t network) const {
    if (network == nwid && nwid != 0) return kNoVlan;
    for (uint16_t i = 0; i < n_vlans; ++i)
      if (vlans[i].nwid == network) return vlans[i].vid;
    return 0;
  }
  uint16_t lan_port = 0;       // DPDK port of the LAN
  bool has_host = false;       // a host port (vl2_host.cpp) on the untagged network
  uint16_t host_port = 0;      // its DPDK port (net_tap)
  TxBuffer host_tx;            // frames for the host port
  uint64_t packet_id = 0;      // next VL1 packet id (suite 1) / IV seed (suite 3)
  uint64_t rnd = 0x9e3779b97f4a7c15ull;  // the rules' RANDOM draws (never 0)
  TxBuffer lan_tx;             // frames for the LAN port
  Reasm reasm;                 // fragmented packets to us (reasm.big set by the runtime)
  // LAN broadcast / multicast frames this worker takes (a storm on the LAN
  // costs at most this many MULTICAST_FRAME fan-outs); cost 0 = no limit.
  EventBucket lan_multicast;
  // Multicast groups LAN hosts join or send to, told to control
  // (vl2_groups.cpp): each (network, group, ADI, kind) at most once per
  // group_repeat cycles per slot of a small direct-mapped filter, and at
  // most what the bucket allows (cost 0 = no limit), so a LAN churning
  // groups is a bounded trickle of events, never a flood of control.
  struct GroupSlot {
    uint64_t key = 0;
    uint64_t when = 0;
  };
  static constexpr unsigned kGroupSlots = 64;
  GroupSlot group_seen[kGroupSlots] = {};
  uint64_t group_repeat = 0;  // TSC cycles; set by the runtime (10 s)
  EventBucket group_events;
  // The LAN bridged twice (vl2_loop.hpp): per network slot, the TSC before
  // which this port tells control of no further loop (once per second).
  uint64_t loop_next[tables::vl2::kMaxNetworks] = {};
  // Frame packets this worker carried, to count a repeat (vl2_dup.hpp).
  DupFilter dups;
};

// Room vl2_decap's to_punt needs: every piece of a completed packet may go back.
inline constexpr unsigned kDecapPuntMax = Reasm::kMaxPieces * kBurst;

// Underlay -> LAN. pkts: datagrams addressed to us (vl1_classify's punts).
// Fragments are joined first (vl2_reasm.hpp). Frames for the LAN go to
// port.lan_tx; what is not ours to decide (other verbs, unknown peers) is
// left, unchanged, in to_punt (room: kDecapPuntMax); failures are counted
// and freed here.
void vl2_decap(Worker& w, Vl2Port& port, rte_mbuf** pkts, uint16_t n, rte_mbuf** to_punt, uint16_t* n_punt);

// LAN -> underlay: whole Ethernet frames from the LAN port. Armored VL1
// packets in outer headers go to w.tx (or wait for a next hop); failures
// are counted and freed here.
void vl2_encap(Worker& w, Vl2Port& port, rte_mbuf** pkts, uint16_t n);

// The host port (vl2_host.cpp; all no-ops without one). Our member MAC
// on the untagged network, 0 while the address or network is unknown.
uint64_t host_member_mac(Worker& w, const Vl2Port& port);
// After vl2_decap: frames in port.lan_tx for our member MAC move to
// port.host_tx, broadcast / multicast are copied there.
void vl2_host_from_decap(Worker& w, Vl2Port& port);
// Before vl2_encap, on LAN frames: those for our member MAC go to
// port.host_tx, broadcast / multicast are copied there; returns how many
// stay in pkts (compacted) for vl2_encap.
uint16_t vl2_host_from_lan(Worker& w, Vl2Port& port, rte_mbuf** pkts, uint16_t n);
// Frames from the host port: a frame for a LAN host goes to port.lan_tx,
// broadcast, multicast and unknown unicast are copied there; the rest stay
// in pkts (compacted) for vl2_encap. Frames not from our member MAC, or
// tagged, are dropped (vl2_host_source).
uint16_t vl2_host_input(Worker& w, Vl2Port& port, rte_mbuf** pkts, uint16_t n);

// The groups an IGMP (v1/v2/v3) or MLD (v1/v2) report joins, as group MACs
// (01:00:5e + the low 23 bits; 33:33 + the low 32 bits), at most `max`;
// l3 is the Ethernet payload of type `ethertype`. 0 for anything else. A
// v3/v2 record that leaves (TO_INCLUDE with no source, BLOCK_OLD) joins nothing.
unsigned lan_group_joins(uint16_t ethertype, const uint8_t* l3, uint32_t len, uint64_t* macs, unsigned max);

// For vl2_encap, per LAN multicast frame that it forwards: tells control
// (ControlHooks::lan_group) about the groups a report joins and the group
// the frame goes to, de-duplicated and rate-limited per port.
void vl2_lan_groups(Worker& w, Vl2Port& port, uint64_t nwid, uint64_t dst, uint32_t adi, uint16_t ethertype,
                    const uint8_t* l3, uint32_t len);

}  // namespace flatnet::fastpath
