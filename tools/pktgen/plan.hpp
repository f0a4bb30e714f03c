// Runs a Plan: repeated runs, a no-drop-rate binary search and latency runs
// at fractions of the no-drop rate, printing one JSON line per measurement
// (with "kind", "run", "rate_set", "load1" and wall-clock times added).
#pragma once

#include <csignal>
#include <functional>
#include <string>

#include "tools/pktgen/options.hpp"
#include "tools/pktgen/stats.hpp"

namespace flatnet::pktgen {

// Set by SIGINT/SIGTERM: every loop ends early, what was measured is printed.
extern volatile std::sig_atomic_t g_stop;

using RunFn = std::function<RunStats(const Options&)>;

// Whether a run at rate_mpps counts as "no drop".
bool ndr_pass(const RunStats& s, double rate_mpps, double loss_pct);

void run_plan(const Options& base, const Plan& plan, const std::string& mode, const RunFn& run);

}  // namespace flatnet::pktgen
