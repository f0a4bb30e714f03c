// DPDK telemetry commands (read with dpdk-telemetry.py or the socket under
// the EAL runtime directory):
//   /flatnet/stats           totals over all pollers: counters and drops
//   /flatnet/stats,<n>       one poller (n = worker index; main last)
//   /flatnet/drop_reasons    reason -> description
// Counters are read while workers run (aligned 64-bit loads).
//
// The same names, in the same order, are what the data plane publishes in the
// IPC segment's counters block (docs/ipc-abi.md), for control's /metrics.
#pragma once

#include <string>
#include <vector>

#include "dataplane/fastpath/counters.hpp"

namespace flatnet::runtime {

// The pointed-to counters must live until exit.
void register_telemetry(std::vector<const fastpath::CoreCounters*> cores);

// Every counter of a CoreCounters as /flatnet/stats names it: the event
// counters, drop_<reason> for every reason, and drops (their sum).
std::vector<std::string> counter_names();
// Their values, in counter_names() order (out has room for all of them).
void counter_values(const fastpath::CoreCounters& c, uint64_t* out);

}  // namespace flatnet::runtime
