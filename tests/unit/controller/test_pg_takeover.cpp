// Issue 11's standby takeover, with flatnetd's controller host itself
// (control/service/controller_host.*) over the control harness and a real
// PostgreSQL (suite 'pg'): two instances with the same controller identity
// on one database, both handed every request (the worst case). Only the
// leader answers; it records who asked; it dies (its session closes, as
// when its process dies) right after a member was deauthorized; the
// standby holds the lock within 10 s, sends the revocation the dead leader
// never sent to the member the database says is online, and -- before the
// member asks again -- revokes later changes to it too; then answers.
// Idle, it reads nothing from the journal (no polling); a change by
// another instance reaches it through NOTIFY.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "control/controller/store/open_store.hpp"
#include "control/service/controller_host.hpp"
#include "tests/unit/controller/controller_net.hpp"
#include "tests/unit/controller/pg_fixture.hpp"

namespace flatnet::control::controller::testing {
namespace {

using service::ControllerHost;
using namespace std::chrono_literals;

// Hands each packet to every instance, as if each process received it.
struct Both : Vl2Handler {
  Vl2Handler* first = nullptr;
  Vl2Handler* second = nullptr;
  void packet(const Vl2Packet& pk, uint64_t now, Actions& out) override {
    if (first) first->packet(pk, now, out);
    if (second) second->packet(pk, now, out);
  }
};

TEST(PgTakeover, StandbyTakesOverWithinTenSecondsAndLosesNothing) {
  FLATNET_REQUIRE_PG();
  PgDatabase db;
  ASSERT_TRUE(db.ok());
  ControllerNet c;  // core b is the controller identity; its SQLite store is not used
  c.t.core("b").set_controller(nullptr);
  std::string err;
  auto h1 = ControllerHost::open(c.dir.path(), db.conninfo(), &err);
  ASSERT_TRUE(h1) << err;
  auto h2 = ControllerHost::open(c.dir.path(), db.conninfo(), &err);
  ASSERT_TRUE(h2) << err;
  EXPECT_EQ(h1->location(), "PostgreSQL");  // the connection string is never shown
  Both both;
  both.first = &h1->start(c.t.core("b"));
  both.second = &h2->start(c.t.core("b"));
  c.t.core("b").set_controller(&both);

  store::Store& s = h2->store();
  ASSERT_EQ(s.put_network(c.network(), nullptr, &err), store::Status::kOk) << err;
  const uint64_t other = 0x0102030405, third = 0x0607080900;
  for (uint64_t a : {c.t.a.address(), other, third}) {
    Member m;
    m.nwid = c.nwid;
    m.address = a;
    m.authorized = true;
    ASSERT_EQ(s.put_member(m, nullptr, &err), store::Status::kOk) << err;
  }

  auto drive = [&](ControllerHost* h) {
    if (!h) return;
    Actions out;
    h->run(c.t.now, out);
    c.t.net.pump("b", out, c.t.now);
  };
  auto turns_until = [&](auto done, std::chrono::milliseconds bound, ControllerHost* a,
                         ControllerHost* b) {
    const auto end = std::chrono::steady_clock::now() + bound;
    while (!done() && std::chrono::steady_clock::now() < end) {
      c.t.now += 50;
      drive(a);
      drive(b);
      std::this_thread::sleep_for(20ms);
    }
    return done();
  };
  // The first instance leads (it asked first); the second waits.
  ASSERT_TRUE(turns_until([&] { return h1->leader(); }, 10s, h1.get(), nullptr));
  ASSERT_FALSE(turns_until([&] { return h2->leader(); }, 500ms, h1.get(), h2.get()));

  c.request();
  ASSERT_EQ(c.member.configs.size(), 1u) << "one answer, from the leader only";
  EXPECT_TRUE(c.member.errors.empty());
  // It writes who asked within a second.
  std::vector<store::OnlineRecord> on;
  ASSERT_TRUE(turns_until(
      [&] {
        return s.list_online(c.nwid, 0, on, &err) == store::Status::kOk && on.size() == 1;
      },
      10s, h1.get(), h2.get()));
  EXPECT_EQ(on[0].address, c.t.a.address());

  // A deauthorization, and the leader dies before it acts on it.
  {
    Member m;
    ASSERT_EQ(s.get_member(c.nwid, other, m, &err), store::Status::kOk);
    m.authorized = false;
    m.last_deauthorized_time = c.wall;
    ASSERT_EQ(s.put_member(m, nullptr, &err), store::Status::kOk);
  }
  both.first = nullptr;
  h1.reset();
  const auto died = std::chrono::steady_clock::now();
  ASSERT_TRUE(turns_until([&] { return h2->leader(); }, 15s, nullptr, h2.get()));
  EXPECT_LE(std::chrono::steady_clock::now() - died, 10s) << "takeover after more than 10 s";

  ASSERT_EQ(c.member.revocations.size(), 1u) << "the revocation the old leader never sent";
  EXPECT_EQ(c.member.revocations[0].target, other);
  EXPECT_EQ(c.member.revocations[0].network_id, c.nwid);
  EXPECT_EQ(wire::revocation_verify(c.member.revocations[0], c.lookup()), wire::VerifyResult::kOk);

  // Before A asks again the new service knows no member online; a change
  // now still reaches A (the host revokes to the stored online set for a
  // while after taking over).
  {
    std::string e;
    auto api = store::open_store(db.conninfo(), &e);
    ASSERT_TRUE(api) << e;
    Member m;
    ASSERT_EQ(api->get_member(c.nwid, third, m, &e), store::Status::kOk);
    m.authorized = false;
    m.last_deauthorized_time = c.wall;
    ASSERT_EQ(api->put_member(m, nullptr, &e), store::Status::kOk) << e;
  }
  ASSERT_TRUE(turns_until([&] { return c.member.revocations.size() >= 2; }, 10s, nullptr,
                          h2.get()));
  ASSERT_EQ(c.member.revocations.size(), 2u);
  EXPECT_EQ(c.member.revocations[1].target, third);

  c.t.now += 2000;
  c.request();
  ASSERT_EQ(c.member.configs.size(), 2u) << "the new leader answers";
  auto metric = [&](const std::string& name) {
    for (const MetricSample& m : h2->metrics())
      if (m.name == "flatnet_controller_" + name) return m.value;
    return -1.0;
  };
  EXPECT_EQ(metric("standby_dropped_total"), 1.0);  // the first request, while it waited
  EXPECT_EQ(metric("takeovers_total"), 1.0);
  EXPECT_EQ(metric("leader"), 1.0);

  // Idle, the new leader asks the database nothing: its journal follower
  // reads only after a NOTIFY (its own writes for the request above
  // included, so let those settle first).
  turns_until([] { return false; }, 500ms, nullptr, h2.get());
  const double queries = metric("journal_queries_total");
  const double skips = metric("journal_skips_total");
  turns_until([] { return false; }, 1s, nullptr, h2.get());
  EXPECT_EQ(metric("journal_queries_total"), queries) << "an idle controller polled";
  EXPECT_GT(metric("journal_skips_total"), skips);
  // A change through another instance's store wakes it (NOTIFY): member A
  // deauthorized is revoked to A, the member online now.
  {
    std::string e;
    auto api = store::open_store(db.conninfo(), &e);
    ASSERT_TRUE(api) << e;
    Member m;
    ASSERT_EQ(api->get_member(c.nwid, c.t.a.address(), m, &e), store::Status::kOk);
    m.authorized = false;
    m.last_deauthorized_time = c.wall + 1;
    ASSERT_EQ(api->put_member(m, nullptr, &e), store::Status::kOk) << e;
  }
  // (The service and, in the window after the takeover, the host's
  // bridge both revoke A to A: twice is harmless.)
  ASSERT_TRUE(turns_until([&] { return c.member.revocations.size() >= 3; }, 10s, nullptr,
                          h2.get()));
  for (std::size_t i = 2; i < c.member.revocations.size(); ++i)
    EXPECT_EQ(c.member.revocations[i].target, c.t.a.address());
  EXPECT_GT(metric("journal_queries_total"), queries);
}

}  // namespace
}  // namespace flatnet::control::controller::testing
