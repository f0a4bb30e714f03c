// DPDK telemetry commands (read with dpdk-telemetry.py or the socket under
// the EAL runtime directory):
//   /flatnet/stats           totals over all pollers: counters and drops
//   /flatnet/stats,<n>       one poller (n = worker index; main last)
//   /flatnet/drop_reasons    reason -> description
// Counters are read while workers run (aligned 64-bit loads).
#pragma once

#include <vector>

#include "dataplane/fastpath/counters.hpp"

namespace flatnet::runtime {

// The pointed-to counters must live until exit.
void register_telemetry(std::vector<const fastpath::CoreCounters*> cores);

}  // namespace flatnet::runtime
