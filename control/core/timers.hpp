// Every timer of the control core in one list (the WireGuard timers.c
// habit): what fires, how often, and who arms it. Periods are stock's
// (spec §11.2) unless said otherwise.
//
//   timer            period / deadline                     role  what it does
//   kHousekeeping    Limits::housekeeping_ms (30 s)        both  expire paths (243 s) and silent
//                                                                peers (500 s), pair gates, multicast
//   kPathCheck       kPathCheckMs (5 s)                    leaf  heartbeat ECHO on paths unused for
//                                                                14 s; PUSH_DIRECT_PATHS every 15/120 s
//   identity queue   when the budget refills / 5 s timeout both  drain queued new-identity HELLOs
//   held packets     kHeldMs (5 s) after the oldest        leaf  drop packets whose WHOIS went unanswered
//   moon seeds       per seed, 2 s doubling to 60 s        both  WHOIS/HELLO a moon's seed again
//   leaf HELLO       kLeafHelloIntervalMs (60 s)           both  the caller's timer: hello_upstreams()
//
// The first two are periodic and kept here; the others are deadlines of
// the queue they belong to, combined in Core::next_deadline.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>

namespace flatnet::control {

namespace timers {
// Leaf path upkeep (stock: ZT_PATH_HEARTBEAT_PERIOD, alive = heartbeat + 5 s,
// ZT_PING_CHECK_INVERVAL, ZT_DIRECT_PATH_PUSH_INTERVAL[_HAVEPATH],
// ZT_PUSH_DIRECT_PATHS_CUTOFF_TIME/_LIMIT, _MAX_PER_SCOPE_AND_FAMILY).
inline constexpr uint64_t kPathHeartbeatMs = 14000;
inline constexpr uint64_t kPathCheckMs = 5000;
inline constexpr uint64_t kPushIntervalMs = 15000;
inline constexpr uint64_t kPushIntervalHavePathMs = 120000;
inline constexpr uint64_t kPushCutoffMs = 30000;
inline constexpr uint32_t kPushCutoffLimit = 8;
inline constexpr unsigned kPushMaxPerScopeAndFamily = 8;
// Packets from unknown senders wait this long for a WHOIS answer (leaves;
// stock's ZT_RECEIVE_QUEUE_TIMEOUT), at most kHeldMax of them.
inline constexpr uint64_t kHeldMs = 5000;
inline constexpr size_t kHeldMax = 64;
// Upstream HELLOs (spec §7.8), on the caller's timer.
inline constexpr uint64_t kLeafHelloIntervalMs = 60000;
// A moon's seed is asked again after 2 s, doubling up to the HELLO interval.
inline constexpr uint64_t kMoonSeedRetryMs = 2000;
}  // namespace timers

enum class Timer : uint8_t { kHousekeeping = 0, kPathCheck, kCount };

// The periodic timers: when each fires next (kNever: not armed).
class Timers {
 public:
  static constexpr uint64_t kNever = UINT64_MAX;
  Timers() { at_.fill(kNever); }
  void arm(Timer t, uint64_t at) { at_[size_t(t)] = at; }
  bool due(Timer t, uint64_t now) const { return now >= at_[size_t(t)]; }
  uint64_t next() const { return *std::min_element(at_.begin(), at_.end()); }

 private:
  std::array<uint64_t, size_t(Timer::kCount)> at_;
};

}  // namespace flatnet::control
