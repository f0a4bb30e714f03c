// See outbox.hpp.
#include "control/core/outbox.hpp"

#include "control/core/timers.hpp"

namespace flatnet::control {

unsigned Outbox::hold(OutboxEntry e) {
  unsigned pushed_out = 0;
  while (held_.size() >= timers::kHeldMax) {
    held_.pop_front();
    ++pushed_out;
  }
  held_.push_back(std::move(e));
  return pushed_out;
}

}  // namespace flatnet::control
