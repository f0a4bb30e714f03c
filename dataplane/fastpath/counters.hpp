// Per-core counters and the ONE list of drop reasons.
//
// Every packet the data plane discards is counted under exactly one reason
// from FLATNET_DROP_REASONS. The list is the single source for the enum, the
// telemetry names and the docs table (docs/dataplane.md), in the style of
// VPP's foreach_*_error lists. Counters are plain uint64_t owned by one
// worker: written without atomics, read from outside (telemetry, the control
// counter block) with ordinary aligned loads, which x86-64 never tears.
#pragma once

#include <cstddef>
#include <cstdint>

namespace flatnet::fastpath {

// X(name, description)
#define FLATNET_DROP_REASONS(X)                                                   \
  X(eth_runt, "frame shorter than an Ethernet header")                          \
  X(eth_multiseg, "frame spans several mbufs (larger than the mbuf data room)") \
  X(eth_not_for_us, "unicast destination MAC is not the port's")                \
  X(eth_from_self, "source MAC is ours (our own or the kernel's frames)")      \
  X(eth_type, "ethertype other than ARP, IPv4, IPv6 (VLAN tags included)")      \
  X(arp_malformed, "ARP not Ethernet/IPv4 or truncated")                        \
  X(arp_not_for_us, "ARP request for an address that is not ours")             \
  X(arp_bad_sender, "ARP sender MAC zero or multicast, or a reply from 0.0.0.0") \
  X(arp_unsolicited, "ARP reply from a sender we neither asked for nor know") \
  X(ip4_malformed, "bad IPv4 version, header length or total length")           \
  X(ip4_checksum, "IPv4 header checksum wrong")                                 \
  X(ip4_fragment, "IPv4 fragment (flatnet fragments at VL1, never at IP)")      \
  X(ip4_not_for_us, "IPv4 destination is not our address")                      \
  X(ip4_proto, "IPv4 protocol other than UDP and ICMP")                         \
  X(icmp4_malformed, "ICMP truncated or checksum wrong")                        \
  X(icmp4_type, "ICMP other than echo request")                                 \
  X(ip6_malformed, "bad IPv6 version or payload length")                        \
  X(ip6_not_for_us, "IPv6 destination is neither ours nor our multicast")       \
  X(ip6_next_header, "IPv6 next header other than UDP and ICMPv6")              \
  X(icmp6_malformed, "ICMPv6 truncated or checksum wrong")                      \
  X(icmp6_type, "ICMPv6 other than echo request, NS, NA")                       \
  X(nd_malformed, "neighbour discovery message invalid (RFC 4861 7.1)")         \
  X(nd_not_for_us, "neighbour solicitation for an address that is not ours")    \
  X(nd_no_lladdr, "neighbour advertisement without a usable target link-layer address") \
  X(nd_unsolicited, "neighbour advertisement for an address we neither asked for nor know") \
  X(nd_no_override, "neighbour advertisement without Override naming another MAC for a known neighbour") \
  X(udp_malformed, "UDP length inconsistent with the IP length")                \
  X(udp_checksum, "UDP checksum wrong, or zero over IPv6")                      \
  X(udp_port, "UDP destination port is not flatnet's")                          \
  X(vl1_runt, "UDP payload too short for any VL1 form")                         \
  X(vl1_reserved_dest, "VL1 destination address is reserved")                   \
  X(vl1_from_self, "packet head whose source address is ours")                 \
  X(vl1_hop_limit, "hop count already at the relay limit (3)")                  \
  X(vl1_relay_disabled, "destination is not us and relaying is off")            \
  X(vl1_unknown_dest, "no path for the destination and no sibling root")        \
  X(vl1_no_route, "path family has no own address or next hop")                 \
  X(vl1_oversize, "relayed frame would exceed the port MTU")                    \
  X(vl1_loop, "path points back at the packet's physical source")               \
  X(relay_limited, "relayed packet over its source's relay rate (relay_limit_pps)") \
  X(punt_source_limited, "punt from an unknown source over its per-source rate")  \
  X(punt_global_limited, "punt over the worker's punt rate (unknown sources: over their share of it)") \
  X(punt_unknown_reserved, "punt from an unknown source while the punt ring is fuller than their share") \
  X(punt_full, "punt ring full or control detached")                            \
  X(inject_bad, "injected packet: no route for its family, too big, bad address") \
  X(neigh_queue_full, "awaiting-resolution queue full")                         \
  X(neigh_timeout, "next hop did not resolve in time")                          \
  X(tx_full, "port transmit queue full")                                        \
  X(vl2_bad_mac, "VL2: packet failed authentication with the peer's installed key") \
  X(vl2_unknown_network, "VL2: frame for a network this gateway does not bridge") \
  X(vl2_gate, "VL2: sender is not an admitted member (absent, or no valid COM on a private network)") \
  X(vl2_malformed, "VL2: frame verb payload truncated, or a zero/multicast/own source MAC") \
  X(vl2_foreign_source, "VL2: foreign source MAC from a member that is not a bridge") \
  X(vl2_multicast_off, "VL2: multicast on a network whose multicastLimit is 0, or a unicast group MAC") \
  X(vl2_oversize, "VL2: frame over the network MTU, or needing VL1 fragments (not yet on the fast path)") \
  X(vl2_lan_malformed, "VL2: LAN frame runt, tagged with a VLAN not bridged here (or twice), or with a zero/multicast source MAC") \
  X(vl2_lan_local, "VL2: LAN frame for a MAC on the LAN itself") \
  X(vl2_no_key, "VL2: no key installed for the destination peer") \
  X(vl2_no_path, "VL2: no path to the destination peer and no root") \
  X(vl2_no_recipient, "VL2: multicast or unknown unicast with no recipient") \
  X(vl2_rules, "VL2: refused by the network's rules (DROP, or no match in the base table nor any capability)") \
  X(vl2_lan_multicast_limited, "VL2: LAN broadcast/multicast over the worker's vl2_lan_multicast_pps (a storm)") \
  X(vl2_reasm_bad, "VL2: fragment with an impossible number or total, or a joined packet over 10,024 bytes") \
  X(vl2_reasm_dup, "VL2: a piece of a packet being joined arrived twice") \
  X(vl2_reasm_timeout, "VL2: piece of a packet not completed within 1 s, or pushed out by a newer one (32 per worker)") \
  X(vl2_host_source, "VL2: host port frame tagged, runt, or not from the gateway's own member MAC") \
  X(no_mbuf, "mbuf pool empty when building a reply")                           \
  X(vl2_lan_loop, "VL2: the LAN is bridged twice: a frame from the network whose source MAC is on our LAN (seen there within 4 s), or a LAN frame whose source is a member's MAC or was heard from the network within 4 s")

enum class Drop : uint8_t {
#define FLATNET_X(name, desc) name,
  FLATNET_DROP_REASONS(FLATNET_X)
#undef FLATNET_X
      kCount
};
inline constexpr size_t kDropCount = size_t(Drop::kCount);

inline constexpr const char* kDropNames[kDropCount] = {
#define FLATNET_X(name, desc) #name,
    FLATNET_DROP_REASONS(FLATNET_X)
#undef FLATNET_X
};
inline constexpr const char* kDropDescriptions[kDropCount] = {
#define FLATNET_X(name, desc) desc,
    FLATNET_DROP_REASONS(FLATNET_X)
#undef FLATNET_X
};

// Things that happened (not drops).
#define FLATNET_EVENT_COUNTERS(X)                                 \
  X(rx_packets) X(rx_bytes) X(tx_packets) X(tx_bytes)             \
  X(relayed) X(relayed_sibling) X(punted) X(punted_known)        \
  X(arp_replies) X(arp_requests) X(arp_learned)                   \
  X(nd_adverts) X(nd_solicits) X(nd_learned)                      \
  X(icmp4_echo_replies) X(icmp6_echo_replies)                     \
  X(neigh_queued) X(neigh_flushed)                                \
  X(unknown_dest_events) X(rendezvous_events) X(rendezvous_capped)     \
  X(events_dropped)   \
  X(idle_sleeps) X(polls) X(empty_polls)                          \
  X(lan_rx_packets) X(lan_rx_bytes) X(lan_tx_packets) X(lan_tx_bytes) \
  X(vl2_decap_frames) X(vl2_decap_punted)                         \
  X(vl2_encap_unicast) X(vl2_encap_flooded) X(vl2_encap_multicast) \
  X(vl2_encap_fragments) X(vl2_learn_posted)                     \
  X(vl2_reasm_held) X(vl2_reasm_done) X(vl2_reasm_in_place)       \
  X(vl2_group_events) X(vl2_group_limited)                        \
  X(vl2_rules_copies) X(vl2_rules_redirects)                      \
  X(host_rx_packets) X(host_rx_bytes) X(host_tx_packets) X(host_tx_bytes) \
  X(vl2_flow_moves_decap) X(vl2_flow_moves_encap) X(vl2_duplicates) \
  X(vl2_swept) X(vl2_keys_swept) X(vl2_keys_wiped)                \
  X(vl2_loop_events)

struct alignas(64) CoreCounters {
#define FLATNET_X(name) uint64_t name = 0;
  FLATNET_EVENT_COUNTERS(FLATNET_X)
#undef FLATNET_X
  uint64_t drop[kDropCount] = {};

  void count_drop(Drop r) { ++drop[size_t(r)]; }
  uint64_t drops_total() const {
    uint64_t t = 0;
    for (uint64_t d : drop) t += d;
    return t;
  }
};

// Visits every counter as (name, value) — used by telemetry and docs.
template <typename F>
void for_each_counter(const CoreCounters& c, F&& f) {
#define FLATNET_X(name) f(#name, c.name);
  FLATNET_EVENT_COUNTERS(FLATNET_X)
#undef FLATNET_X
}

}  // namespace flatnet::fastpath
