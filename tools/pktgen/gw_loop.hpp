// The gateway generator's loop (issue 12, docs/bench-gateway.md): replays a
// vl2_traffic pool into one port and checks what the gateway sends out of
// the other, at most kWindow frames in flight. Used by flatnet-pktgen's
// gateway mode (two DPDK ports, e.g. memif to a flatnet-dataplane) and by
// tests/packet/bench_vl2_port (net_ring in one process).
#pragma once

#include <cstdint>
#include <vector>

#include "tools/pktgen/vl2_traffic.hpp"

struct rte_mempool;

namespace flatnet::pktgen::vl2 {

inline constexpr uint64_t kWindow = 512;       // frames in flight
inline constexpr unsigned kDearmorEvery = 256;  // encap: one datagram in this many is dearmored

struct GwRun {
  bool decap = true;     // decap: pool datagrams out of tx_port, LAN frames back on rx_port
  bool io = false;       // the far end is an io forwarder: our own packets come back
  uint16_t tx_port = 0, rx_port = 0;
  rte_mempool* pool = nullptr;
  Mac next_hop{};        // encap: the MAC the gateway sends underlay datagrams to
  double seconds = 1;    // measured, after 0.2 s of warm-up
  void (*chores)(void*) = nullptr;  // called every 64 rounds (an in-process writer's work)
  void* ctx = nullptr;
};

struct GwResult {
  double mpps = 0, gbps = 0;  // LAN frames back per second, and their LAN-frame bytes
  uint64_t bad = 0, opened = 0;
  // Per-flow order (FlowOrder): decap checks every LAN frame back; encap
  // is not checked (order_seen 0); order_checked false when the pool is too short.
  bool order_checked = false;
  uint64_t order_seen = 0, out_of_order = 0;
};

GwResult gw_run(const GwRun& g, const Params& p, const std::vector<Datagram>& dgs,
                const std::vector<std::vector<uint8_t>>& frames, const PeerIndex& peers);

}  // namespace flatnet::pktgen::vl2
