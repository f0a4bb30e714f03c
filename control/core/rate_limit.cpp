// Rate limits of the control core. See rate_limit.hpp.
#include "control/core/rate_limit.hpp"

#include <sodium.h>

#include <algorithm>

namespace flatnet::control {

TokenBucket::TokenBucket(uint32_t rate_per_second, uint32_t burst)
    : cap_milli_(uint64_t(std::max<uint32_t>(burst, 1)) * 1000), rate_(rate_per_second) {}

void TokenBucket::refill(uint64_t now) {
  if (!started_) {
    started_ = true;
    milli_ = cap_milli_;
    last_ = now;
    return;
  }
  if (now <= last_) return;  // a clock that stands still or steps back adds nothing
  // rate tokens/s == rate milli-tokens/ms.
  uint64_t add = (now - last_) * rate_;
  milli_ = std::min(cap_milli_, milli_ + std::min(add, cap_milli_));
  last_ = now;
}

bool TokenBucket::take(uint64_t now, uint32_t n) {
  refill(now);
  if (milli_ < uint64_t(n) * 1000) return false;
  milli_ -= uint64_t(n) * 1000;
  return true;
}

uint64_t TokenBucket::available_at(uint64_t now, uint32_t n) {
  refill(now);
  uint64_t need = uint64_t(n) * 1000;
  if (milli_ >= need) return now;
  if (rate_ == 0) return UINT64_MAX;
  return now + (need - milli_ + rate_ - 1) / rate_;
}

SourceGate::SourceGate(size_t slots, uint64_t interval_ms, uint32_t burst)
    : slots_(std::max<size_t>(slots, 1)),
      interval_ms_(std::max<uint64_t>(interval_ms, 1)),
      slack_ms_(uint64_t(std::max<uint32_t>(burst, 1) - 1) * interval_ms_) {
  randombytes_buf(&seed_, sizeof seed_);
}

uint64_t SourceGate::prefix_key(const wire::InetAddress& a) {
  uint64_t k = 0;
  if (a.family == wire::InetAddress::Family::kV4) {
    for (int i = 0; i < 4; ++i) k = (k << 8) | a.ip[i];
    return k | (uint64_t(4) << 56);
  }
  for (int i = 0; i < 8; ++i) k = (k << 8) | a.ip[i];  // the /64
  return k ^ 0x6000000000000000ULL;
}

bool SourceGate::allow(const wire::InetAddress& from, uint64_t now) {
  const uint64_t key = prefix_key(from);
  // splitmix64 finaliser over key ^ seed: cheap and unpredictable without the seed.
  uint64_t h = key ^ seed_;
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
  h ^= h >> 31;
  Slot& s = slots_[h % slots_.size()];

  if (!s.used || (s.key != key && s.tat <= now)) {
    // Free, or held by a prefix whose bucket is full again: take it over.
    s.used = true;
    s.key = key;
    s.tat = now;
  } else if (s.key != key) {
    ++shared_;
  }
  const uint64_t t = std::max(s.tat, now);
  if (t - now > slack_ms_) return false;
  s.tat = t + interval_ms_;
  return true;
}

PairGate::PairGate(size_t capacity, uint64_t interval_ms, uint64_t forget_ms)
    : capacity_(capacity), interval_ms_(interval_ms), forget_ms_(forget_ms) {}

PairGate::Result PairGate::check(uint64_t a, uint64_t b, uint64_t now) {
  if (a > b) std::swap(a, b);
  // Two 40-bit addresses do not fit in 64 bits; mix the pair instead. A
  // collision only makes two pairs share a 30 s gate.
  uint64_t key = (a << 24) ^ b ^ (a >> 40);
  auto it = last_.find(key);
  if (it != last_.end()) {
    if (now < it->second + interval_ms_) return Result::kTooSoon;
    it->second = now;
    return Result::kAllow;
  }
  if (last_.size() >= capacity_) {
    expire(now);
    if (last_.size() >= capacity_) return Result::kFull;
  }
  last_.emplace(key, now);
  return Result::kAllow;
}

void PairGate::expire(uint64_t now) {
  std::erase_if(last_, [&](const auto& kv) { return now >= kv.second + forget_ms_; });
}

}  // namespace flatnet::control
