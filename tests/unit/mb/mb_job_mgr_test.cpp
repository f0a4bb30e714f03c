// The ipsec-mb-shaped job manager: results in submission order, equal to
// the burst API's, for a stream of mixed armor/dearmor jobs.
#include <gtest/gtest.h>

#include "crypto/mb/job_mgr.hpp"
#include "tests/unit/mb/ref.hpp"

namespace flatnet::crypto::mb {
namespace {

TEST(MbJobManager, InOrderAndSameAsBurst) {
  ASSERT_GE(sodium_init(), 0);
  std::mt19937_64 rng(30);
  const SharedKey k = test::random_key(rng);
  const PeerKeyset keys(k);
  constexpr int kJobs = 203;  // not a multiple of the lane count: flush matters
  std::vector<std::vector<uint8_t>> bufs, want;
  std::vector<Op> ops;
  const Suite suites[3] = {Suite::kPoly1305, Suite::kSalsa2012Poly1305, Suite::kAesGmacSiv};
  for (int i = 0; i < kJobs; ++i) {
    bufs.push_back(test::random_packet(rng, rng() % 1500));
    const bool dearm = rng() % 2;
    ops.push_back(dearm ? Op::kDearmor : Op::kArmor);
    if (dearm) {  // give it a validly armored packet to open
      Packet p{bufs[i].data(), uint32_t(bufs[i].size()), &keys};
      armor_burst({&p, 1}, suites[i % 3]);
    }
    want.push_back(bufs[i]);
  }
  // Expected results one packet at a time through the burst API.
  for (int i = 0; i < kJobs; ++i) {
    Packet p{want[i].data(), uint32_t(want[i].size()), &keys};
    if (ops[i] == Op::kArmor) {
      armor_burst({&p, 1}, suites[i % 3]);
    } else {
      DearmorResult r;
      dearmor_burst({&p, 1}, &r);
      ASSERT_EQ(r, DearmorResult::kOk);
    }
  }
  JobManager m;
  int next = 0;
  const auto check = [&](Job* j) {
    ASSERT_EQ(reinterpret_cast<intptr_t>(j->user_data), next) << "out of order";
    ASSERT_EQ(bufs[next], want[next]) << next;
    if (ops[next] == Op::kDearmor) {
      ASSERT_EQ(j->result, DearmorResult::kOk);
    }
    ++next;
  };
  for (int i = 0; i < kJobs; ++i) {
    Job* j = m.get_next_job();
    j->pkt = {bufs[i].data(), uint32_t(bufs[i].size()), &keys};
    j->op = ops[i];
    j->suite = suites[i % 3];
    j->user_data = reinterpret_cast<void*>(intptr_t(i));
    if (Job* done = m.submit_job()) check(done);
  }
  for (Job* done; (done = m.flush_job()) != nullptr;) check(done);
  EXPECT_EQ(next, kJobs);
  EXPECT_EQ(m.queued(), 0u);
}

}  // namespace
}  // namespace flatnet::crypto::mb
