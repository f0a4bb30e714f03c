// The new-identity gate. See identity_gate.hpp.
#include "control/core/identity_gate.hpp"

#include <algorithm>

#include "control/core/timers.hpp"

namespace flatnet::control {

IdentityGate::IdentityGate(const Limits& limits, Metrics& m)
    : limits_(limits),
      m_(m),
      budget_(limits.identity_checks_per_second, limits.identity_checks_per_second),
      sources_(limits.identity_source_slots, limits.identity_source_interval_ms,
               limits.identity_source_burst) {}

bool IdentityGate::admit(const PhysicalPath& from, std::vector<uint8_t>& packet, uint64_t now) {
  if (!sources_.allow(from.remote, now)) {
    ++m_.drops[size_t(Drop::identity_source_limited)];
    return false;
  }
  if (queue_.empty() && budget_.take(now)) return true;
  if (queue_.size() >= limits_.identity_queue) {
    ++m_.drops[size_t(Drop::identity_queue_full)];
    return false;
  }
  ++m_.identity_queued;
  queue_.push_back(Waiting{from, std::move(packet), now});
  return false;
}

std::vector<IdentityGate::Waiting> IdentityGate::due(uint64_t now) {
  std::vector<Waiting> out;
  // Each entry is looked at once per call at most.
  for (size_t n = queue_.size(); n > 0 && !queue_.empty(); --n) {
    if (now >= queue_.front().at + limits_.identity_queue_timeout_ms) {
      ++m_.drops[size_t(Drop::identity_queue_expired)];
      queue_.pop_front();
      continue;
    }
    if (!budget_.take(now)) break;
    out.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  return out;
}

uint64_t IdentityGate::next_deadline(uint64_t now) {
  if (queue_.empty()) return Timers::kNever;
  return std::min(budget_.available_at(now),
                  queue_.front().at + limits_.identity_queue_timeout_ms);
}

}  // namespace flatnet::control
