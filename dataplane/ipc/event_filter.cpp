// Per-worker report filters (event_filter.hpp).
#include "dataplane/ipc/event_filter.hpp"

namespace flatnet::ipc {

namespace {

uint64_t round_pow2(uint64_t v) {
  uint64_t p = 1;
  while (p < v) p <<= 1;
  return p;
}

// A 64-bit mix (splitmix64 finaliser) of the key pair: the table index must
// not be steerable by picking addresses that share low bits.
uint64_t mix(uint64_t a, uint64_t b) {
  uint64_t x = a * 0x9e3779b97f4a7c15ull ^ (b + 0x632be59bd9b4e019ull);
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

}  // namespace

EventFilter::EventFilter(uint32_t slots, uint64_t window_ns, uint32_t rate_per_s, uint32_t burst)
    : slots_(round_pow2(slots ? slots : 1)),
      mask_(slots_.size() - 1),
      window_ns_(window_ns),
      rate_(rate_per_s),
      burst_(burst ? burst : 1),
      tokens_(double(burst ? burst : 1)) {}

bool EventFilter::take_token(uint64_t now_ns) {
  if (rate_ == 0) return true;
  if (refill_ns_ == 0) refill_ns_ = now_ns;
  if (now_ns > refill_ns_) {
    tokens_ += double(now_ns - refill_ns_) * rate_ / 1e9;
    if (tokens_ > burst_) tokens_ = burst_;
    refill_ns_ = now_ns;
  }
  if (tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

bool EventFilter::should_report(uint64_t a, uint64_t b, uint64_t now_ns) {
  Slot& s = slots_[mix(a, b) & mask_];
  if (s.used && s.a == a && s.b == b) {
    ++s.count;
    if (now_ns - s.last_ns < window_ns_) {
      ++suppressed_dup_;
      return false;
    }
  } else {
    // New key (or it evicts a colliding one): start counting afresh.
    s = Slot{a, b, 0, 1, true};
    s.last_ns = now_ns - window_ns_;  // "never reported"
  }
  if (!take_token(now_ns)) {
    ++suppressed_rate_;  // stays due: reported on a later packet
    return false;
  }
  last_count_ = s.count;
  s.count = 0;
  s.last_ns = now_ns;
  ++reported_;
  return true;
}

}  // namespace flatnet::ipc
