// Idle back-off for a poll loop (../shared/PRODUCT.md "Two cores, many
// pollers"): after a run of empty polls, pause between polls; after a longer
// run, sleep, doubling the sleep up to a cap. Any received packet resets it.
// Busy polling (benchmarks) disables it.
#pragma once

#include <rte_pause.h>
#include <time.h>

#include <cstdint>

namespace flatnet::runtime {

struct IdleBackoff {
  unsigned pause_after = 16;
  unsigned sleep_after = 256;
  unsigned sleep_max_us = 1000;
  bool busy = false;

  unsigned empty = 0;
  unsigned sleep_us = 0;

  void got(unsigned n) {
    if (n) {
      empty = 0;
      sleep_us = 0;
    } else {
      ++empty;
    }
  }
  // What to do before the next poll.
  enum class Action { kNone, kPause, kSleep };
  Action next() const {
    if (busy || empty < pause_after) return Action::kNone;
    return empty < sleep_after ? Action::kPause : Action::kSleep;
  }
  // Sleeps the current step and lengthens the next one.
  void sleep() {
    sleep_us = sleep_us == 0 ? 10 : (sleep_us * 2 > sleep_max_us ? sleep_max_us : sleep_us * 2);
    timespec ts{0, long(sleep_us) * 1000};
    nanosleep(&ts, nullptr);
  }
};

}  // namespace flatnet::runtime
