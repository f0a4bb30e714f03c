// What one generator run counted, and its summary as JSON.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "tools/pktgen/latency.hpp"

namespace flatnet::pktgen {

struct RunStats {
  double window_s = 0;        // measured sending time
  uint64_t offered = 0;       // packets we tried to send in the window
  uint64_t tx = 0;            // accepted by the port in the window
  uint64_t rx_ours = 0;       // stamped packets sent in the window that came back
  uint64_t rx_relayed = 0;    // ... with hops incremented (relayed by flatnet)
  uint64_t rx_unrelayed = 0;  // ... with hops unchanged (e.g. testpmd io forwarding)
  uint64_t rx_misrouted = 0;  // relayed, but not to the destination peer's ip:port
  uint64_t rx_total = 0;      // every frame received during the whole run
  uint64_t rx_arp = 0;        // ARP requests answered
  uint64_t rx_other = 0;      // not ours, not ARP
  uint64_t port_imissed = 0;  // from rte_eth_stats at the end
  uint64_t port_oerrors = 0;
  LatencyHistogram latency_ns;
};

// tx/rx Mpps, loss, latency percentiles, as one JSON object.
nlohmann::ordered_json to_json(const RunStats& s, const std::string& mode);

double mpps(uint64_t n, double seconds);
double offered_loss_pct(const RunStats& s);

// One human-readable line.
std::string summary_line(const RunStats& s);

}  // namespace flatnet::pktgen
