// Flow ownership accounting for a gateway with several workers (issue 12,
// "a flow's frames never reordered (count it)"; docs/gateway.md "Several
// workers").
//
// The ports spread flows over the workers' queues by a hash of the flow
// (hardware RSS, af_packet's PACKET_FANOUT_HASH), so one flow normally stays
// on one worker and its frames leave in the order they came. Where the
// placement can change under load (af_packet's fanout also has the ROLLOVER
// flag: a full socket ring hands the frame to the next queue) or is up to
// the sender (net_ring, memif), two workers may carry frames of one flow at
// once, and the later frame can overtake the earlier. This table counts it:
// one 8-byte stamp per flow bucket, [flow tag | worker | coarse time], shared
// by all workers. A frame whose bucket says "the same flow, on another
// worker, within the window" is a move (vl2_flow_moves_*), a frame that may
// have overtaken one still queued on the other worker.
//
// Cost: one load per frame; a store only when the flow changes worker or
// bucket, or when the owner's own stamp is a quarter window old, so in the
// normal case (one owner per flow) each bucket's line stays in its owner's
// cache and no line moves between cores per frame. Relaxed atomics without
// read-modify-write: two workers racing on one bucket may lose or add one
// count, never corrupt a frame (it is a statistic). Two flows that share a
// bucket take it from each other without counting (the tag differs), so
// bucket collisions hide moves rather than invent them.
#pragma once

#include <rte_mbuf.h>

#include <atomic>
#include <cstdint>

namespace flatnet::fastpath {

struct FlowOwners {
  static constexpr unsigned kSlots = 4096;   // a power of two: 32 KiB per direction
  static constexpr unsigned kTickShift = 16; // coarse time: TSC cycles / 65,536 (~25 us at 2.5 GHz)
  // [63:44] flow tag (the hash's high 20 bits), [43:32] worker + 1 (0 =
  // empty), [31:0] tick of the stamp.
  alignas(64) std::atomic<uint64_t> slot[kSlots] = {};
  uint32_t window = 0;   // ticks: a frame on another worker within this is a move
  uint32_t refresh = 0;  // ticks: the owner re-stamps its bucket at this age

  // window_cycles: the TSC cycles within which a frame that changed worker
  // may overtake the flow's previous frame (queues drained, pause and idle
  // sleeps included).
  explicit FlowOwners(uint64_t window_cycles);

  // Stamps flow `hash` as carried by `worker` at TSC `now`; true when the
  // same flow was on another worker less than `window` ticks ago.
  bool stamp(uint32_t hash, unsigned worker, uint64_t now) {
    std::atomic<uint64_t>& s = slot[hash & (kSlots - 1)];
    const uint64_t old = s.load(std::memory_order_relaxed);
    const uint32_t tick = uint32_t(now >> kTickShift);
    const uint64_t owner = (uint64_t(hash >> 12) << 12) | ((worker + 1) & 0xfffu);  // tag | worker + 1
    const uint32_t age = tick - uint32_t(old);
    if ((old >> 32) == owner) {  // our own flow: re-stamp only now and then
      if (age >= refresh) s.store(owner << 32 | tick, std::memory_order_relaxed);
      return false;
    }
    s.store(owner << 32 | tick, std::memory_order_relaxed);
    const bool same_flow = (old >> 44) == (owner >> 12) && ((old >> 32) & 0xfff) != 0;
    return same_flow && age < window;
  }
};

// The flow of a datagram on the underlay, as the port hashes it: outer
// source address and both UDP ports (a peer's path; every fragment of one
// VL1 packet shares it). false for anything but unfragmented UDP over
// IPv4 / IPv6 (those are not stamped).
bool underlay_flow(const rte_mbuf* m, uint32_t* hash);
// The flow of a LAN frame: VLAN ID, IP source and destination, protocol and
// ports, for unfragmented TCP and UDP over IPv4 / IPv6, the flows whose order
// a receiver sees. false for anything else (not stamped: ARP, ICMP and IP
// fragments are hashed differently by different ports).
bool lan_flow(const rte_mbuf* m, uint32_t* hash);

// Stamps every stampable frame of a burst; returns how many moved.
unsigned underlay_flow_moves(FlowOwners& t, rte_mbuf* const* pkts, uint16_t n, unsigned worker, uint64_t now);
unsigned lan_flow_moves(FlowOwners& t, rte_mbuf* const* pkts, uint16_t n, unsigned worker, uint64_t now);

}  // namespace flatnet::fastpath
