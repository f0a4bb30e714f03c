// Per-worker filters that keep the event rings quiet under load: the relay
// stage reports each relayed (src, dst) pair once per window (so control can
// introduce them with RENDEZVOUS) and unknown destinations at a capped rate.
//
// Both are small fixed tables owned by ONE worker (no atomics, no sharing),
// indexed by a hash of the key; a colliding key simply evicts the old one,
// so memory is bounded and the worst case is an extra report. On top of the
// dedupe window a token bucket caps reports per second.
//
// Usage in a relay stage:
//   if (pairs.should_report(src, dst, now_ns)) service.event(ch, ev);
#pragma once

#include <cstdint>
#include <vector>

namespace flatnet::ipc {

class EventFilter {
 public:
  // slots: table size (rounded up to a power of two); window_ns: a key is
  // reported at most once per window; rate_per_s / burst: token bucket
  // over all keys (0 rate = no cap beyond the window).
  EventFilter(uint32_t slots, uint64_t window_ns, uint32_t rate_per_s, uint32_t burst);

  // True if (a, b) should be reported now; counts the packet either way.
  bool should_report(uint64_t a, uint64_t b, uint64_t now_ns);
  // Packets seen for (a, b) since its last report (the count to put in the
  // event), valid right after should_report() returned true.
  uint32_t last_count() const { return last_count_; }

  uint64_t reported() const { return reported_; }
  uint64_t suppressed_dup() const { return suppressed_dup_; }
  uint64_t suppressed_rate() const { return suppressed_rate_; }

 private:
  struct Slot {
    uint64_t a = 0, b = 0;
    uint64_t last_ns = 0;
    uint32_t count = 0;
    bool used = false;
  };
  bool take_token(uint64_t now_ns);

  std::vector<Slot> slots_;
  uint64_t mask_;
  uint64_t window_ns_;
  uint32_t rate_;
  uint32_t burst_;
  double tokens_;
  uint64_t refill_ns_ = 0;
  uint32_t last_count_ = 0;
  uint64_t reported_ = 0, suppressed_dup_ = 0, suppressed_rate_ = 0;
};

// Defaults the data plane uses.
inline EventFilter make_relay_pair_filter() {
  return EventFilter(4096, 30'000'000'000ull, 1000, 100);  // 30 s window, 1000/s
}
inline EventFilter make_unknown_dest_filter() {
  return EventFilter(1024, 5'000'000'000ull, 100, 20);     // 5 s window, 100/s
}

}  // namespace flatnet::ipc
