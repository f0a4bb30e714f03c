// The control process's clocks, defined once: `now` for the core and every
// timer is mono_ms() (CLOCK_MONOTONIC, ms); wall_ms() only turns those
// into wall time for display.
#pragma once

#include <time.h>

#include <cstdint>

namespace flatnet::control::service {

inline uint64_t mono_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000 + uint64_t(ts.tv_nsec) / 1000000;
}

inline int64_t wall_ms() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

}  // namespace flatnet::control::service
