// The control process's clocks, defined once: `now` for the core and every
// timer is mono_ms() (CLOCK_MONOTONIC, ms); wall_ms() only turns those
// into wall time for display.
#pragma once

#include <time.h>

#include <cstdint>

#include "dataplane/ipc/clock.hpp"

namespace flatnet::control::service {

// The boundary's clock (dataplane/ipc/clock.hpp) in milliseconds: the data
// plane's time_ns stamps and control's `now` are one clock.
inline uint64_t mono_ms() { return flatnet::ipc::mono_ns() / 1000000; }

inline int64_t wall_ms() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

}  // namespace flatnet::control::service
