// Helpers every stage shares: failure tails, drops, the transmit buffer, and
// the declarations of the stages (one stage per file).
//
// Convention (DPDK lib/ipsec, VPP): a stage takes a burst, returns how many
// packets continue, and moves the failures to the end of the array with the
// reason in their PktMeta; the caller drops that tail with drop_tail().
// Stages that fan out (eth, ip4, ip6, arp) queue their replies and drop their
// own failures in one bulk call at the end of the burst.
#pragma once

#include <rte_mbuf.h>

#include "dataplane/fastpath/meta.hpp"
#include "dataplane/fastpath/worker.hpp"

namespace flatnet::fastpath {

// Collects failures of one stage, then appends them after the survivors.
struct Partition {
  rte_mbuf* bad[TxBuffer::kCap];
  uint16_t n_bad = 0;
  uint16_t n_good = 0;

  void good(rte_mbuf** pkts, rte_mbuf* m) { pkts[n_good++] = m; }
  void fail(rte_mbuf* m, Drop r) {
    meta(m)->reason = r;
    bad[n_bad++] = m;
  }
  // Writes the failures behind the survivors; returns the survivor count.
  uint16_t finish(rte_mbuf** pkts) {
    for (uint16_t i = 0; i < n_bad; ++i) pkts[n_good + i] = bad[i];
    return n_good;
  }
};

// Counts each packet under its meta reason and frees them in one call.
inline void drop_tail(Worker& w, rte_mbuf** pkts, uint16_t n) {
  if (n == 0) return;
  for (uint16_t i = 0; i < n; ++i) w.c->count_drop(meta(pkts[i])->reason);
  rte_pktmbuf_free_bulk(pkts, n);
}

inline void drop_one(Worker& w, rte_mbuf* m, Drop r) {
  w.c->count_drop(r);
  rte_pktmbuf_free(m);
}

inline void tx_push(Worker& w, rte_mbuf* m) {
  if (w.tx.n < TxBuffer::kCap) {
    w.tx.pkts[w.tx.n++] = m;
  } else {
    drop_one(w, m, Drop::tx_full);
  }
}

// ---- the stages, in pipeline order ---------------------------------------

// fast_lane.cpp: IPv4/UDP VL1 relay candidates recognised in one pass go to
// fast[] (PktMeta filled as the full pipeline would); the rest stay in pkts,
// compacted, for the full pipeline. Returns how many stay.
uint16_t fast_lane(Worker& w, rte_mbuf** pkts, uint16_t n, rte_mbuf** fast, uint16_t* n_fast);

// eth_input.cpp: sorts by ethertype; drops what is not for us.
struct EthSorted {
  rte_mbuf* arp[kBurst];
  rte_mbuf* ip4[kBurst];
  rte_mbuf* ip6[kBurst];
  uint16_t n_arp = 0, n_ip4 = 0, n_ip6 = 0;
};
void eth_input(Worker& w, rte_mbuf** pkts, uint16_t n, EthSorted& out);

// arp.cpp: answers requests for our IPv4 address, learns senders.
void arp_input(Worker& w, rte_mbuf** pkts, uint16_t n);
// Builds and queues an ARP request for target. False if no mbuf.
bool arp_request(Worker& w, const IpAddr& target);

// ip4_input.cpp: validates IPv4 + UDP, answers ICMP echo (icmp4.cpp).
// Survivors are UDP datagrams to our ports with PktMeta filled in.
uint16_t ip4_input(Worker& w, rte_mbuf** pkts, uint16_t n);
// icmp4.cpp: turns an echo request into the reply in place; false = drop reason set.
bool icmp4_echo(Worker& w, rte_mbuf* m);

// ip6_input.cpp: validates IPv6 + UDP; ICMPv6 goes to icmp6.cpp.
uint16_t ip6_input(Worker& w, rte_mbuf** pkts, uint16_t n);
// icmp6.cpp: echo and neighbour discovery; consumes m (reply queued or dropped).
void icmp6_input(Worker& w, rte_mbuf* m);
// Builds and queues a neighbour solicitation for target.
bool nd_solicit(Worker& w, const IpAddr& target);

// vl1_classify.cpp: bounds-checks the VL1 datagram and decides punt/relay.
uint16_t vl1_classify(Worker& w, rte_mbuf** pkts, uint16_t n);

// relay.cpp: hop check, path lookup, outer rewrite. Survivors are ready to
// transmit; *n_failed failures follow them; packets waiting for a next hop
// were taken by the neighbour table and are in neither part.
uint16_t relay(Worker& w, rte_mbuf** pkts, uint16_t n, uint16_t* n_failed);

// punt.cpp: copies to control and frees; returns how many were accepted.
// The failures are left at the front of pkts.
uint16_t punt(Worker& w, rte_mbuf** pkts, uint16_t n);

// inject.cpp: sends a datagram from control to a physical destination.
enum class InjectResult { kSent, kQueued, kQueueFull, kNoRoute, kTooBig, kNoMbuf, kBad };
InjectResult inject(Worker& w, const uint8_t* data, uint32_t len, const PathView& dst);

// pipeline.cpp: one received burst through all of the above; transmit
// candidates end up in w.tx.
void process_burst(Worker& w, rte_mbuf** pkts, uint16_t n);
// Neighbour-table chores: flush resolved, expire, re-request. Cheap when idle.
void housekeeping(Worker& w);

}  // namespace flatnet::fastpath
