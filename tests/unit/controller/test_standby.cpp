// The standby around the controller role (control/controller/standby.hpp),
// over the control harness: a gate that is not leading answers nothing
// and says nothing; a leading one passes requests on and notes who asked,
// for the store's online set; and a controller that takes over sends the
// revocations the journal's newest entries call for to the members the
// store saw online -- what the old leader may have died before sending.
#include <gtest/gtest.h>

#include "control/controller/online.hpp"
#include "control/controller/standby.hpp"
#include "tests/unit/controller/controller_net.hpp"

namespace flatnet::control::controller::testing {
namespace {

TEST(StandbyGate, SilentUntilLeadingThenNotesWhoAsked) {
  ControllerNet c;
  StandbyGate gate(c.svc.get(), [&c] { return c.wall; });
  c.t.core("b").set_controller(&gate);
  c.put(c.network());
  c.authorize(c.t.a.address());
  c.request();
  EXPECT_TRUE(c.member.configs.empty());
  EXPECT_TRUE(c.member.errors.empty());  // not even an error: a standby says nothing
  EXPECT_EQ(gate.dropped(), 1u);
  EXPECT_EQ(gate.pending(), 0u);

  gate.set_leader(true);
  c.request();
  ASSERT_EQ(c.member.configs.size(), 1u);
  EXPECT_EQ(gate.pending(), 1u);
  std::string err;
  ASSERT_EQ(gate.flush_online(*c.store, &err), store::Status::kOk) << err;
  EXPECT_EQ(gate.pending(), 0u);
  std::vector<store::OnlineRecord> on;
  ASSERT_EQ(c.store->list_online(c.nwid, 0, on, &err), store::Status::kOk);
  EXPECT_EQ(on, (std::vector<store::OnlineRecord>{{c.nwid, c.t.a.address(), c.wall}}));
}

TEST(StandbyTakeover, RevokesWhatTheJournalCallsForToWhomTheStoreSawOnline) {
  ControllerNet c;
  c.t.core("b").set_controller(nullptr);  // the old leader is gone
  c.put(c.network());
  c.authorize(c.t.a.address());
  const uint64_t gone = 0x0102030405, deauthorized = 0x0504030201, fine = 0x0a0b0c0d0e;
  c.authorize(gone);
  c.authorize(deauthorized);
  c.authorize(fine);
  std::string err;
  // What the old leader recorded: member A online (a minute ago), and one
  // long gone.
  ASSERT_EQ(c.store->put_online({{c.nwid, c.t.a.address(), c.wall - 60'000},
                                 {c.nwid, 0x0f0f0f0f0f, c.wall - 3'600'000}},
                                &err),
            store::Status::kOk);
  // The changes the old leader died before acting on.
  ASSERT_EQ(c.store->delete_member(c.nwid, gone, &err), store::Status::kOk);
  c.authorize(deauthorized, false);

  Actions out;
  const TakeoverCounts n = revoke_on_takeover(*c.store, c.t.core("b"), kTakeoverWindow, c.wall,
                                              int64_t(kOnlineMs), c.t.now, out);
  c.t.net.pump("b", out, c.t.now);
  EXPECT_EQ(n.errors, 0u);
  EXPECT_EQ(n.targets, 2u);
  EXPECT_EQ(n.revocations, 2u);  // to A only: the other sighting is too old
  ASSERT_EQ(c.member.revocations.size(), 2u);
  std::set<uint64_t> targets;
  for (const auto& r : c.member.revocations) {
    targets.insert(r.target);
    EXPECT_EQ(r.network_id, c.nwid);
    EXPECT_EQ(r.threshold, uint64_t(c.wall));
    EXPECT_EQ(wire::revocation_verify(r, c.lookup()), wire::VerifyResult::kOk);
  }
  EXPECT_EQ(targets, (std::set<uint64_t>{gone, deauthorized}));
}

}  // namespace
}  // namespace flatnet::control::controller::testing
