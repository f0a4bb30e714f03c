// Internal: the per-thread Intel ipsec-mb manager. An IMB_MGR holds job
// queues and is not thread-safe, so each thread gets its own, allocated on
// first use and initialised for the best ISA the CPU offers.
#pragma once

#include <intel-ipsec-mb.h>

#include <string>

namespace flatnet::crypto::detail {

IMB_MGR* imb_mgr();

// Which ipsec-mb code path was chosen, and the CPU features it saw
// (for benchmarks and logs).
std::string imb_description();

// Runs one job that has been filled in from IMB_GET_NEXT_JOB, without
// ipsec-mb's parameter check (callers submit only fixed, tested shapes).
// Returns false if the job did not complete.
bool imb_run_job(IMB_MGR* mgr);

}  // namespace flatnet::crypto::detail
