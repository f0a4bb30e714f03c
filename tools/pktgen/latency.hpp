// Latency histogram: log-linear buckets (32 per power of two, so any
// reported percentile is within ~3% of the true value), fixed memory, O(1)
// record, so every returning packet can be measured at line rate.
#pragma once

#include <array>
#include <cstdint>

namespace flatnet::pktgen {

class LatencyHistogram {
 public:
  static constexpr unsigned kSubBits = 5;               // 32 sub-buckets
  static constexpr unsigned kSub = 1u << kSubBits;
  static constexpr unsigned kBuckets = (64 - kSubBits + 1) * kSub;

  void record(uint64_t v) {
    ++counts_[index(v)];
    ++total_;
    if (v > max_) max_ = v;
  }
  uint64_t count() const { return total_; }
  uint64_t max() const { return max_; }
  // Value at quantile q in [0,1]: the upper edge of the bucket holding it
  // (clamped to the largest recorded value); 0 when empty.
  uint64_t quantile(double q) const;
  void merge(const LatencyHistogram& o);

  static unsigned index(uint64_t v) {
    if (v < kSub) return unsigned(v);
    unsigned msb = 63u - unsigned(__builtin_clzll(v));
    unsigned shift = msb - kSubBits;
    return (shift + 1) * kSub + unsigned((v >> shift) & (kSub - 1));
  }
  // Largest value that falls into bucket i.
  static uint64_t upper(unsigned i) {
    if (i < kSub) return i;
    unsigned shift = i / kSub - 1;
    uint64_t base = uint64_t(kSub + i % kSub) << shift;
    return base + ((uint64_t(1) << shift) - 1);
  }

 private:
  std::array<uint64_t, kBuckets> counts_{};
  uint64_t total_ = 0;
  uint64_t max_ = 0;
};

}  // namespace flatnet::pktgen
