// The limits a public root needs under attack (../shared/PRODUCT.md, "A public
// root is attacked"): a token bucket for global budgets, per-source buckets
// for new-identity checks, and a per-pair gate for introductions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "dataplane/wire/inet_address.hpp"

namespace flatnet::control {

// `rate` tokens per second, at most `burst` saved up. Time is integer ms;
// tokens are kept in thousandths so no floating point is involved.
class TokenBucket {
 public:
  TokenBucket(uint32_t rate_per_second, uint32_t burst);
  bool take(uint64_t now, uint32_t n = 1);
  // Earliest time at which n tokens will be available (now if already).
  uint64_t available_at(uint64_t now, uint32_t n = 1);

 private:
  void refill(uint64_t now);
  uint64_t milli_ = 0;      // tokens x 1000
  uint64_t cap_milli_;
  uint32_t rate_;
  uint64_t last_ = 0;
  bool started_ = false;
};

// One bucket per source prefix -- /32 for IPv4, /64 for IPv6, so distinct
// hosts behind different addresses do not share (spec Appendix E.1 notes
// stock groups far more coarsely). A fixed table of `slots` buckets, indexed
// by a keyed hash so an attacker cannot aim collisions. A slot holds one
// prefix; a different prefix takes the slot over only once the holder's
// bucket has refilled (idle), otherwise the two share it -- conservative: a
// collision can slow a legitimate source, never lift a limit.
class SourceGate {
 public:
  SourceGate(size_t slots, uint64_t interval_ms, uint32_t burst);
  bool allow(const wire::InetAddress& from, uint64_t now);
  uint64_t shared_slots() const { return shared_; }
  static uint64_t prefix_key(const wire::InetAddress& a);  // /32 or /64, family tagged

 private:
  // GCRA: `tat` is the time at which the bucket would be full again; a
  // request is allowed while tat - now stays within (burst - 1) intervals.
  // Integer time, no rounding loss.
  struct Slot {
    uint64_t key = 0;
    uint64_t tat = 0;
    bool used = false;
  };
  std::vector<Slot> slots_;
  uint64_t interval_ms_;
  uint64_t slack_ms_;      // (burst - 1) x interval
  uint64_t seed_;
  uint64_t shared_ = 0;
};

// At most one introduction per unordered pair {a,b} per `interval_ms`
// (ZT_MIN_UNITE_INTERVAL). Remembers at most `capacity` pairs; entries older
// than `forget_ms` are dropped by expire().
class PairGate {
 public:
  PairGate(size_t capacity, uint64_t interval_ms, uint64_t forget_ms);
  enum class Result : uint8_t { kAllow, kTooSoon, kFull };
  Result check(uint64_t a, uint64_t b, uint64_t now);
  void expire(uint64_t now);
  size_t size() const { return last_.size(); }

 private:
  std::unordered_map<uint64_t, uint64_t> last_;  // pair key -> last introduction
  size_t capacity_;
  uint64_t interval_ms_;
  uint64_t forget_ms_;
};

}  // namespace flatnet::control
