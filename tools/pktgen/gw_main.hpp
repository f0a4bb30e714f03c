// flatnet-pktgen's gateway mode (--gateway decap|encap): vl2_traffic pools
// through two ports, the gateway's underlay and LAN (docs/bench-gateway.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tools/pktgen/options.hpp"

namespace flatnet::pktgen {

struct GwOptions {
  std::string mode;          // "decap", "encap" or "both"; empty = not the gateway mode
  uint16_t lan_port = 1;     // DPDK port on the gateway's LAN (o.port: its underlay)
  unsigned suite = 1;        // 1 or 3, as installed by `flatnet-tableload vl2`
  std::vector<unsigned> frame_sizes{64};  // LAN frame bytes; 0 = IMIX
  uint64_t nwid = 0x8056c2e21c000001ull;
  uint64_t gateway = 0x1111111111;  // the gateway's VL1 address
  bool io = false;           // the far end is an io forwarder (testpmd): our packets come back
  std::string label = "gw";  // "target" of the JSON lines
};

// Opens both ports once (a memif link is connected once for all points),
// then for each frame size and direction builds the pool (o.peers synthetic
// peers of o.seed), runs `repeat` runs of o.duration seconds and prints one
// JSON line per run. The ports' MACs: ours; the gateway's is o.frame.dst_mac, its IPv4
// o.frame.dst_ip. Returns the exit status.
int run_gateway(const Options& o, unsigned repeat, const GwOptions& g);

}  // namespace flatnet::pktgen
