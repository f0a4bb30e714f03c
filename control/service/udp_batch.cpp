// Send queue and GSO run grouping for the UDP backend (udp_batch.hpp).
#include "control/service/udp_batch.hpp"

#include <cstring>

namespace flatnet::control::service {

TxQueue::TxQueue() : buf_(kMaxBytes) { entries_.reserve(kMaxDatagrams); }

bool TxQueue::push(const wire::InetAddress& to, std::span<const uint8_t> bytes) {
  if (entries_.size() >= kMaxDatagrams || bytes.size() > kMaxGsoBytes ||
      bytes.size() > kMaxBytes - used_)
    return false;
  if (!bytes.empty()) std::memcpy(buf_.data() + used_, bytes.data(), bytes.size());
  entries_.push_back(Entry{to, uint32_t(used_), uint32_t(bytes.size())});
  used_ += bytes.size();
  return true;
}

void TxQueue::clear() {
  entries_.clear();
  used_ = 0;
}

size_t gso_run(const TxQueue& q, size_t first) {
  const size_t segment = q[first].length;
  size_t total = segment;
  size_t n = 1;
  // An empty datagram cannot be a segment size; it goes alone.
  if (segment == 0) return 1;
  while (first + n < q.size() && n < kMaxGsoSegments) {
    const TxQueue::Entry& e = q[first + n];
    if (e.length > segment || e.length == 0 || !(e.to == q[first].to) ||
        total + e.length > kMaxGsoBytes)
      break;
    total += e.length;
    ++n;
    if (e.length < segment) break;  // a shorter one ends the run
  }
  return n;
}

}  // namespace flatnet::control::service
