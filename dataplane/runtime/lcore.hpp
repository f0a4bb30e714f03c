// One poll loop: rx burst -> fast path -> tx burst, plus neighbour chores,
// the QSBR quiescent report and idle back-off. Workers run it on their own
// lcore; with zero workers the main lcore calls poll_once() itself.
#pragma once

#include <rte_ring.h>

#include <atomic>

#include "dataplane/fastpath/vl2_flow.hpp"
#include "dataplane/fastpath/worker.hpp"
#include "dataplane/runtime/idle.hpp"

namespace flatnet::runtime {

struct Poller {
  fastpath::Worker w;
  uint16_t port = 0;
  uint16_t queue = 0;
  IdleBackoff idle;
  // Frames the main lcore built (injects, its ARP/ND) for this worker to
  // send: the main lcore has no tx queue of its own. SP (main) / SC (us).
  rte_ring* from_main = nullptr;
  // Software pipelining across bursts: the burst received in one round is
  // processed in the next, after its mbuf headers had a round to arrive in
  // this core's cache (a port that hands over mbufs another core or a
  // device wrote last: ring, memif zero-copy, vhost, a NIC). A round that
  // receives nothing processes what it holds at once, so an idle port adds
  // no latency.
  rte_mbuf* held[fastpath::kBurst];
  uint16_t n_held = 0;
  // A gateway with several workers: the flow owner stamps shared by all
  // pollers (vl2_flow.hpp), underlay datagrams and LAN frames; nullptr with
  // one poller (nothing can move).
  fastpath::FlowOwners* under_flows = nullptr;
  fastpath::FlowOwners* lan_flows = nullptr;
};

extern std::atomic<bool> g_stop;

// One round; returns how many packets it received or took from main.
unsigned poll_once(Poller& p);
// Transmits and empties p.w.tx; what the port refuses is counted tx_full.
void flush_tx(Poller& p);
// Processes and sends what the poller still holds (shutdown).
void drain(Poller& p);
// Poll-loop body for rte_eal_remote_launch (arg: Poller*).
int worker_main(void* arg);
// Sleeps or pauses as p.idle says, telling the table around sleeps.
void back_off(Poller& p);

}  // namespace flatnet::runtime
