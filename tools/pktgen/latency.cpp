#include "tools/pktgen/latency.hpp"

#include <algorithm>
#include <cmath>

namespace flatnet::pktgen {

uint64_t LatencyHistogram::quantile(double q) const {
  if (total_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  // Rank of the wanted sample, 1-based: the smallest value with at least
  // q * total samples at or below it.
  uint64_t rank = uint64_t(std::ceil(q * double(total_)));
  if (rank == 0) rank = 1;
  uint64_t seen = 0;
  for (unsigned i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::min(upper(i), max_);
  }
  return max_;
}

void LatencyHistogram::merge(const LatencyHistogram& o) {
  for (unsigned i = 0; i < kBuckets; ++i) counts_[i] += o.counts_[i];
  total_ += o.total_;
  max_ = std::max(max_, o.max_);
}

}  // namespace flatnet::pktgen
