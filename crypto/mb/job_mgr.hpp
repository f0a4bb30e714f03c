// A job manager in the shape of Intel ipsec-mb's (get-next / submit /
// flush), for callers that produce packets one at a time but want them
// processed in lanes: jobs queue up until a full set of lanes is pending,
// then run as one burst. Jobs come back in submission order.
//
//   JobManager m;
//   Job* j = m.get_next_job();  fill j;  Job* done = m.submit_job();
//   ... when done != nullptr, its result is final.
//   at the end: while ((done = m.flush_job())) ...
//
// Not thread-safe: one manager per thread, like IMB_MGR.
#pragma once

#include <cstddef>
#include <cstdint>

#include "crypto/mb/burst.hpp"

namespace flatnet::crypto::mb {

enum class Op : uint8_t { kArmor, kDearmor };

struct Job {
  Packet pkt;
  Op op = Op::kArmor;
  Suite suite = Suite::kSalsa2012Poly1305;     // armor: suite to apply
  DearmorResult result = DearmorResult::kOk;   // dearmor: verdict
  uint8_t original_iv[8] = {};                 // dearmor, suite 3: sender IV
  void* user_data = nullptr;
};

class JobManager {
 public:
  static constexpr unsigned kLanes = 16;

  // The slot to fill for the next submission (valid until submit_job).
  Job* get_next_job();
  // Queues the job from get_next_job. Returns the oldest finished job not
  // yet returned, or nullptr if none has finished.
  Job* submit_job();
  // Finishes whatever is queued; returns finished jobs one per call, oldest
  // first, and nullptr once nothing is left.
  Job* flush_job();

  unsigned queued() const { return done_ + pending_; }

 private:
  void process();

  Job ring_[2 * kLanes];
  unsigned head_ = 0;     // oldest job not yet returned
  unsigned done_ = 0;     // finished, not returned: ring[head, head+done)
  unsigned pending_ = 0;  // submitted, not run: the next pending_ slots
};

}  // namespace flatnet::crypto::mb
