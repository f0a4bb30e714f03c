// The boundary's clock, defined once: every time_ns / heartbeat_ns /
// updated_ns of abi.h is CLOCK_MONOTONIC in nanoseconds, the same clock in
// every process of the host, so the data plane (runtime, tables, this
// folder), control, the tools and the tests all read it through mono_ns().
// Control's millisecond clock (control/service/clock.hpp) is the same clock.
// The fast path's punt stage reads it once per burst itself, because the
// fast path includes nothing of dataplane/ipc (dataplane/fastpath/README.md).
#pragma once

#include <time.h>

#include <cstdint>

namespace flatnet::ipc {

inline uint64_t mono_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}

}  // namespace flatnet::ipc
