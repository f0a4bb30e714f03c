// The gateway's part of the process (issue 12): the LAN port, the VL2
// tables on the peer table's QSBR variable, one Vl2Port per poller, and the
// main lcore's writer duties (learn events, MAC ageing, reclaim).
#pragma once

#include <rte_mempool.h>

#include <memory>
#include <string>
#include <vector>

#include "dataplane/fastpath/vl2.hpp"
#include "dataplane/fastpath/vl2_flow.hpp"
#include "dataplane/runtime/config.hpp"
#include "dataplane/runtime/port.hpp"

struct rte_rcu_qsbr;

namespace flatnet::runtime {

struct Gateway {
  PortInfo lan;
  bool has_host = false;
  PortInfo host;                                     // the host port (net_tap), if any
  std::string host_iface;                            // its kernel interface
  uint64_t nwid = 0;                                 // untagged frames' network; 0 = none
  std::vector<std::pair<uint16_t, uint64_t>> vlans;  // VLAN ID -> network
  std::unique_ptr<tables::vl2::Vl2Tables> tables;
  std::vector<std::unique_ptr<fastpath::Vl2Port>> ports;  // one per poller
  uint64_t next_age_ns = 0;
  rte_mempool* big_pool = nullptr;  // joined packets (vl2_reasm.hpp)
  // With several pollers: who carried each flow last (vl2_flow.hpp), one
  // table for underlay datagrams and one for LAN frames, shared by all.
  std::unique_ptr<fastpath::FlowOwners> under_flows, lan_flows;
};

// Starts the LAN port (promiscuous: it bridges) with up to `queues` queue
// pairs. false + *err on failure.
bool gateway_port(const PortConfig& pc, unsigned queues, unsigned rx_desc, unsigned tx_desc, rte_mempool* pool,
                  Gateway* g, std::string* err);
// Starts the host port (net_tap, kernel interface pc.iface) with up to
// `queues` queue pairs. false + *err on failure.
bool gateway_host_port(const PortConfig& pc, unsigned queues, unsigned rx_desc, unsigned tx_desc,
                       rte_mempool* pool, Gateway* g, std::string* err);
// Creates the tables and the pollers' Vl2Ports; the bridged network is
// installed with default settings until control sets its own.
bool gateway_tables(const Config& c, unsigned pollers, rte_rcu_qsbr* qsbr, Gateway* g, std::string* err);
// A poller's first VL1 packet id (suite 1 nonce, suite 3 IV seed). Ids
// must never repeat under one key, and pollers send to the same peers: each
// poller counts up in its own 2^56 range (the top byte is the poller), from
// a random start in the range's lower half, so 2^55 packets never carry
// into the next poller's range.
uint64_t packet_id_start(unsigned poller, uint64_t rnd);
// One round of the tables' writer on the main lcore; returns the work done.
unsigned gateway_round(Gateway& g, uint64_t now_ns);
// The tables' writer-side counts (swept by a control's SWEEP, keys wiped)
// into the main lcore's counters, for telemetry and the counters block.
void gateway_counters(const Gateway& g, fastpath::CoreCounters& c);

}  // namespace flatnet::runtime
