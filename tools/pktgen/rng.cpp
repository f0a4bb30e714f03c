#include "tools/pktgen/rng.hpp"

#include <cmath>

namespace flatnet::pktgen {

DestPicker::DestPicker(uint32_t peers, double zipf_s) : peers_(peers ? peers : 1) {
  if (zipf_s <= 0) return;
  // 2^20 slots: fine enough that a peer with probability >= 1e-6 gets a slot,
  // small enough (4 MiB) to build in a few milliseconds.
  constexpr size_t kSlots = size_t(1) << 20;
  double total = 0;
  for (uint32_t i = 0; i < peers_; ++i) total += 1.0 / std::pow(double(i + 1), zipf_s);
  table_.resize(kSlots);
  double cum = 0;
  uint32_t peer = 0;
  double bound = (1.0 / std::pow(1.0, zipf_s)) / total;
  for (size_t slot = 0; slot < kSlots; ++slot) {
    double u = (double(slot) + 0.5) / double(kSlots);
    while (u > cum + bound && peer + 1 < peers_) {
      cum += bound;
      ++peer;
      bound = (1.0 / std::pow(double(peer + 1), zipf_s)) / total;
    }
    table_[slot] = peer;
  }
}

}  // namespace flatnet::pktgen
