// JobManager: a ring of 2 x kLanes jobs; a full set of pending lanes runs
// as bursts (one per operation and suite), then results drain in order.
#include "crypto/mb/job_mgr.hpp"

namespace flatnet::crypto::mb {
namespace {

constexpr unsigned kRing = 2 * JobManager::kLanes;

}  // namespace

Job* JobManager::get_next_job() {
  Job* j = &ring_[(head_ + done_ + pending_) % kRing];
  *j = Job{};
  return j;
}

Job* JobManager::submit_job() {
  ++pending_;
  if (pending_ == kLanes) process();
  if (done_ == 0) return nullptr;
  Job* j = &ring_[head_];
  head_ = (head_ + 1) % kRing;
  --done_;
  return j;
}

Job* JobManager::flush_job() {
  if (done_ == 0 && pending_ != 0) process();
  if (done_ == 0) return nullptr;
  Job* j = &ring_[head_];
  head_ = (head_ + 1) % kRing;
  --done_;
  return j;
}

void JobManager::process() {
  // Group the pending lanes by what is to be done to them; each group is
  // one burst, and every result lands in its own Job.
  Packet pk[kLanes];
  Job* jobs[kLanes];
  DearmorResult verdicts[kLanes];
  uint8_t ivs[kLanes][8];
  const unsigned first = head_ + done_;
  const auto gather = [&](auto pred) {
    unsigned n = 0;
    for (unsigned i = 0; i < pending_; ++i) {
      Job* j = &ring_[(first + i) % kRing];
      if (pred(*j)) {
        jobs[n] = j;
        pk[n++] = j->pkt;
      }
    }
    return n;
  };
  for (Suite s : {Suite::kPoly1305, Suite::kSalsa2012Poly1305, Suite::kAesGmacSiv}) {
    const unsigned n = gather([s](const Job& j) { return j.op == Op::kArmor && j.suite == s; });
    if (n != 0) armor_burst({pk, n}, s);
  }
  const unsigned n = gather([](const Job& j) { return j.op == Op::kDearmor; });
  if (n != 0) {
    dearmor_burst({pk, n}, verdicts, ivs);
    for (unsigned i = 0; i < n; ++i) {
      jobs[i]->result = verdicts[i];
      if (verdicts[i] == DearmorResult::kOk && ((pk[i].data[18] >> 3) & 7) == 3)
        for (int b = 0; b < 8; ++b) jobs[i]->original_iv[b] = ivs[i][b];
    }
  }
  done_ += pending_;
  pending_ = 0;
}

}  // namespace flatnet::crypto::mb
