// Port set-up: queues, RSS where the port offers it, mempool, MTU; and the
// number of pollers all of a process's ports can serve (docs/gateway.md
// "Several workers").
#pragma once

#include <rte_ethdev.h>
#include <rte_mempool.h>

#include <cstdint>
#include <string>
#include <vector>

#include "dataplane/fastpath/addr.hpp"

namespace flatnet::runtime {

struct PortInfo {
  uint16_t port_id = 0;
  uint16_t queues = 1;   // rx and tx queue pairs, one per worker
  bool rss = false;
  fastpath::Mac mac;
  std::string driver;
};

// The RSS hash fields by role, so that one flow always hashes to one
// queue: the underlay's UDP 4-tuple (a peer's path; every datagram and VL1
// fragment of it shares one), the LAN's TCP / UDP 4-tuple (other IP by
// address pair). Masked by what the device offers.
inline constexpr uint64_t kRssUnderlay = RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP;
inline constexpr uint64_t kRssLan = RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP;

// Configures and starts the port named `name` with up to `want_queues`
// queue pairs (fewer if the port has fewer); RSS on rss_hf where the port
// offers any of it and has more than one queue. false + *err on failure.
bool setup_port(const std::string& name, unsigned want_queues, unsigned rx_desc,
                unsigned tx_desc, uint16_t mtu, rte_mempool* pool, PortInfo* out,
                std::string* err, uint64_t rss_hf = kRssUnderlay);

// What a port offers, read before any port is configured.
struct PortQueues {
  std::string name;
  std::string driver;
  unsigned max_queues = 1;  // queue pairs (the smaller of rx and tx)
};
bool port_queues(const std::string& name, PortQueues* out, std::string* err);
// The pollers every port can serve: `want` (at least 1) capped by each
// port's queue pairs, so that no port is configured with a queue nobody
// polls. A port that spreads frames over all the queues it was created
// with, whatever we configure (net_af_packet: every qpairs socket joins the
// fanout group), must have no more than that: false + *err naming it.
bool plan_pollers(const std::vector<PortQueues>& ports, unsigned want, unsigned* pollers, std::string* err);
void stop_port(uint16_t port_id);

}  // namespace flatnet::runtime
