// Timing helpers for flatnet-bench-crypto: run an operation in batches and
// summarise the per-operation time of each batch as median and spread.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace flatnet::bench {

struct Spread {
  double min = 0, p25 = 0, median = 0, p75 = 0, max = 0;  // ns per operation
  size_t batches = 0;
  uint64_t ops_per_batch = 0;
};

// Quantile by linear interpolation between closest ranks.
inline double quantile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  const double pos = q * double(sorted.size() - 1);
  const size_t lo = size_t(pos);
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - double(lo));
}

inline Spread summarise(std::vector<double> per_op_ns, uint64_t ops_per_batch) {
  std::sort(per_op_ns.begin(), per_op_ns.end());
  Spread s;
  s.batches = per_op_ns.size();
  s.ops_per_batch = ops_per_batch;
  s.min = per_op_ns.front();
  s.p25 = quantile(per_op_ns, 0.25);
  s.median = quantile(per_op_ns, 0.5);
  s.p75 = quantile(per_op_ns, 0.75);
  s.max = per_op_ns.back();
  return s;
}

using Clock = std::chrono::steady_clock;

inline double elapsed_ns(Clock::time_point a, Clock::time_point b) {
  return double(std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count());
}

// Picks a batch size so one batch takes about `batch_ms`, runs one warm-up
// batch, then `reps` timed batches. Returns ns per op for each batch.
template <typename Op>
Spread measure(Op&& op, int reps, double batch_ms) {
  // Calibrate: double the count until a run takes >= 1/8 of the target,
  // then size the batch from the fastest of three such runs, so that a run
  // preempted by another process on a shared core does not shrink batches.
  uint64_t n = 1;
  for (;;) {
    const auto t0 = Clock::now();
    for (uint64_t i = 0; i < n; ++i) op();
    if (elapsed_ns(t0, Clock::now()) >= batch_ms * 1e6 / 8 || n >= (1ull << 30)) break;
    n *= 2;
  }
  double best = 1e300;
  for (int k = 0; k < 3; ++k) {
    const auto t0 = Clock::now();
    for (uint64_t i = 0; i < n; ++i) op();
    best = std::min(best, elapsed_ns(t0, Clock::now()));
  }
  n = std::max<uint64_t>(1, uint64_t(double(n) * batch_ms * 1e6 / std::max(best, 1.0)));
  for (uint64_t i = 0; i < n; ++i) op();  // warm-up batch
  std::vector<double> per_op;
  per_op.reserve(size_t(reps));
  for (int r = 0; r < reps; ++r) {
    const auto t0 = Clock::now();
    for (uint64_t i = 0; i < n; ++i) op();
    per_op.push_back(elapsed_ns(t0, Clock::now()) / double(n));
  }
  return summarise(std::move(per_op), n);
}

// One timed operation per sample: for slow operations (identity generation,
// validation) whose cost per call is the interesting number.
template <typename Op>
Spread measure_each(Op&& op, int reps) {
  std::vector<double> per_op;
  per_op.reserve(size_t(reps));
  for (int r = 0; r < reps; ++r) {
    const auto t0 = Clock::now();
    op();
    per_op.push_back(elapsed_ns(t0, Clock::now()));
  }
  return summarise(std::move(per_op), 1);
}

}  // namespace flatnet::bench
