// Notices from the relay to control; see relay_events.cpp.
#pragma once

#include <cstdint>

#include "dataplane/fastpath/worker.hpp"

namespace flatnet::fastpath {

void report_unknown(Worker& w, uint64_t dst, uint64_t src, const PuntInfo& from);
void report_pair(Worker& w, uint64_t src, uint64_t dst);

}  // namespace flatnet::fastpath
