// What only the PostgreSQL store does (suite 'pg', beside the server of
// tools/scripts/pg-test-server.sh; the contract both backends keep is
// test_store_contract.cpp): opening by URI, schema migrations (from v1, a
// newer one refused, two instances migrating at once), the LISTEN/NOTIFY
// feed across instances and across a lost connection, and the standby's
// LeaderLock.
#include <gtest/gtest.h>

#include <poll.h>

#include <chrono>
#include <thread>

#include "control/controller/store/open_store.hpp"
#include "control/controller/store/pg_feed.hpp"
#include "control/controller/store/pg_leader_lock.hpp"
#include "control/controller/store/pg_leadership.hpp"
#include "control/controller/store/pg_schema.hpp"
#include "control/controller/store/pg_store.hpp"
#include "tests/unit/controller/pg_fixture.hpp"
#include "tests/unit/controller/store_fixture.hpp"

using namespace flatnet::control::controller;
using namespace flatnet::control::controller::store;
using namespace flatnet::control::controller::testing;
using namespace std::chrono_literals;

namespace {

class Pg : public ::testing::Test {
 protected:
  void SetUp() override {
    FLATNET_REQUIRE_PG();
    db_ = std::make_unique<PgDatabase>();
    ASSERT_TRUE(db_->ok());
  }
  const std::string& conninfo() const { return db_->conninfo(); }
  std::unique_ptr<PgStore> open() {
    std::string err;
    auto s = PgStore::open(conninfo(), &err);
    EXPECT_TRUE(s) << err;
    return s;
  }
  // Ends another session the way a crash or a network cut would look to it.
  void terminate(int pid) {
    pg::Result r = pg::exec(db_->admin(), "SELECT pg_terminate_backend($1)",
                            pg::Params().add(int64_t(pid)));
    ASSERT_TRUE(r.ok()) << r.error();
    ASSERT_TRUE(r.boolean(0, 0)) << "no backend " << pid;
  }
  bool readable(int fd, std::chrono::milliseconds wait) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, int(wait.count())) == 1;
  }

  std::unique_ptr<PgDatabase> db_;
};

using PgStoreTest = Pg;
using PgFeedTest = Pg;
using LeaderLockTest = Pg;

}  // namespace

TEST_F(PgStoreTest, OpensByUriAndAtTheLatestSchema) {
  // postgresql:///<db>?host=<socket dir>&port=..&user=.. -- the form a
  // flatnetd setting holds.
  const char* host = std::getenv("FLATNET_PG_HOST");
  const std::string uri = std::string("postgresql:///") + db_->name() + "?host=" + host +
                          "&port=" + std::getenv("FLATNET_PG_PORT") +
                          "&user=" + std::getenv("FLATNET_PG_USER");
  ASSERT_TRUE(names_postgresql(uri));
  std::string err;
  auto s = open_store(uri, &err);
  ASSERT_TRUE(s) << err;
  ASSERT_EQ(s->put_network(make_network(), nullptr, &err), Status::kOk) << err;
  auto t = open();
  ASSERT_TRUE(t);
  EXPECT_EQ(t->schema_version(), pg::kSchemaLatest);
  Network n;
  EXPECT_EQ(t->get_network(kNwid, n, &err), Status::kOk) << err;
  // A server that is not there: a clear error, no hang.
  EXPECT_FALSE(PgStore::open(std::string("host=") + host + " port=1 dbname=x", &err));
  EXPECT_NE(err.find("postgresql"), std::string::npos) << err;
}

TEST_F(PgStoreTest, MigratesFromVersionOne) {
  std::string err;
  {
    pg::Conn c = pg::connect(conninfo(), &err);
    ASSERT_TRUE(c) << err;
    int v = 0;
    ASSERT_TRUE(pg::migrate(c.get(), 1, &v, &err)) << err;
    ASSERT_EQ(v, 1);
    pg::Result r = pg::exec(c.get(), "SELECT to_regclass('online_members') IS NULL");
    ASSERT_TRUE(r.ok() && r.boolean(0, 0));
  }
  {
    auto s = open();  // version 1 -> latest
    ASSERT_TRUE(s);
    EXPECT_EQ(s->schema_version(), pg::kSchemaLatest);
    ASSERT_EQ(s->put_online({{kNwid, 0x1111111111, 5}}, &err), Status::kOk) << err;
  }
  // A database written by a newer flatnet is refused.
  pg::Conn c = pg::connect(conninfo(), &err);
  ASSERT_TRUE(c);
  ASSERT_TRUE(pg::exec_ok(c.get(), "INSERT INTO schema_migrations VALUES (99, 0)", &err)) << err;
  EXPECT_FALSE(PgStore::open(conninfo(), &err));
  EXPECT_NE(err.find("newer"), std::string::npos) << err;
}

// Several instances starting at once on a new database: one migrates, the
// others wait for it and find the schema there.
TEST_F(PgStoreTest, InstancesStartingTogetherMigrateOnce) {
  constexpr int kN = 4;
  std::vector<std::unique_ptr<PgStore>> stores(kN);
  std::vector<std::string> errs(kN);
  std::vector<std::thread> ts;
  for (int i = 0; i < kN; ++i)
    ts.emplace_back([&, i] { stores[i] = PgStore::open(conninfo(), &errs[i]); });
  for (auto& t : ts) t.join();
  for (int i = 0; i < kN; ++i) {
    ASSERT_TRUE(stores[i]) << errs[i];
    EXPECT_EQ(stores[i]->schema_version(), pg::kSchemaLatest);
  }
  std::string err;
  pg::Conn c = pg::connect(conninfo(), &err);
  ASSERT_TRUE(c);
  pg::Result n = pg::exec(c.get(), "SELECT count(*) FROM schema_migrations");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n.int64(0, 0), pg::kSchemaLatest);
}

// Issue 11: the controller that serves members learns of another
// instance's change through NOTIFY, not by polling: a write on one store
// makes the other's feed descriptor readable, and its drain returns it.
TEST_F(PgFeedTest, AWriteOnOneInstanceWakesTheOther) {
  auto api = open();
  auto controller = open();
  ASSERT_TRUE(api && controller);
  std::string err;
  auto feed = controller->open_feed(0, &err);
  ASSERT_TRUE(feed) << err;
  ASSERT_GE(feed->wait_fd(), 0);
  EXPECT_FALSE(readable(feed->wait_fd(), 0ms));

  ASSERT_EQ(api->put_network(make_network(), nullptr, &err), Status::kOk);
  Member m = make_member(0xc989c90153);
  m.authorized = true;
  ASSERT_EQ(api->put_member(m, nullptr, &err), Status::kOk);
  ASSERT_TRUE(readable(feed->wait_fd(), 10s)) << "no NOTIFY within 10 s";
  ChangeBatch b;
  ASSERT_EQ(feed->drain(100, b, &err), Status::kOk) << err;
  ASSERT_EQ(b.changes.size(), 2u);
  EXPECT_FALSE(b.changes[0].address);
  EXPECT_EQ(b.changes[1].address, 0xc989c90153u);
  EXPECT_EQ(b.changes[1].revision, 1u);
  EXPECT_FALSE(readable(feed->wait_fd(), 0ms));

  // A refused change notifies nobody and journals nothing.
  Member bad = m;
  bad.address = 0;
  EXPECT_EQ(api->put_member(bad, nullptr, &err), Status::kInvalid);
  // A change that is not one (same content) neither.
  ASSERT_EQ(api->put_member(m, nullptr, &err), Status::kOk);
  // The delete of a network wakes it once, with an entry per member.
  ASSERT_EQ(api->delete_network(kNwid, &err), Status::kOk) << err;
  ASSERT_TRUE(readable(feed->wait_fd(), 10s));
  ASSERT_EQ(feed->drain(100, b, &err), Status::kOk) << err;
  ASSERT_EQ(b.changes.size(), 2u);
  EXPECT_EQ(b.changes[0].address, 0xc989c90153u);
  EXPECT_EQ(b.changes[0].op, ChangeOp::kDelete);
  EXPECT_FALSE(b.changes[1].address);
}

// The feed's connection is cut (server restart, network): the next drains
// reconnect, LISTEN again, and return what was committed meanwhile.
TEST_F(PgFeedTest, ReconnectsAfterLosingItsConnection) {
  auto api = open();
  ASSERT_TRUE(api);
  std::string err;
  ASSERT_EQ(api->put_network(make_network(), nullptr, &err), Status::kOk);
  auto feed = api->open_feed(0, &err);
  ASSERT_TRUE(feed) << err;
  ChangeBatch b;
  ASSERT_EQ(feed->drain(100, b, &err), Status::kOk);
  ASSERT_EQ(b.changes.size(), 1u);
  auto* pg_feed = dynamic_cast<PgFeed*>(feed.get());
  ASSERT_TRUE(pg_feed);
  terminate(pg_feed->backend_pid());
  ASSERT_EQ(api->put_member(make_member(1), nullptr, &err), Status::kOk);
  // The first drain may only find the connection gone; within three it
  // has reconnected and read the journal.
  bool got = false;
  for (int i = 0; i < 3 && !got; ++i) {
    Status st = feed->drain(100, b, &err);
    got = st == Status::kOk && b.changes.size() == 1 && b.changes[0].address == 1u;
  }
  ASSERT_TRUE(got) << err;
  // And it listens again.
  ASSERT_EQ(api->put_member(make_member(2), nullptr, &err), Status::kOk);
  ASSERT_TRUE(readable(feed->wait_fd(), 10s));
  ASSERT_EQ(feed->drain(100, b, &err), Status::kOk);
  ASSERT_EQ(b.changes.size(), 1u);
  EXPECT_EQ(b.changes[0].address, 2u);
}

// The store itself survives a cut connection: the call that finds it cut
// fails (nothing half-done), the next one reconnects.
TEST_F(PgStoreTest, ReconnectsAfterLosingItsConnection) {
  auto s = open();
  ASSERT_TRUE(s);
  std::string err;
  ASSERT_EQ(s->put_network(make_network(), nullptr, &err), Status::kOk);
  pg::Result pid = pg::exec(db_->admin(),
                            "SELECT pid FROM pg_stat_activity WHERE datname = $1",
                            pg::Params().add(db_->name()));
  ASSERT_TRUE(pid.ok() && pid.rows() == 1) << pid.error();
  terminate(int(pid.int64(0, 0)));
  Status first = s->put_member(make_member(1), nullptr, &err);
  if (first != Status::kOk) {
    EXPECT_EQ(first, Status::kError);
    ASSERT_EQ(s->put_member(make_member(1), nullptr, &err), Status::kOk) << err;
  }
  Member m;
  EXPECT_EQ(s->get_member(kNwid, 1, m, &err), Status::kOk) << err;
  EXPECT_EQ(m.revision, 1u);
}

TEST_F(LeaderLockTest, OneHolderPerControllerAddress) {
  std::string err;
  auto a = LeaderLock::open(conninfo(), 0xee420f0cda, &err);
  auto b = LeaderLock::open(conninfo(), 0xee420f0cda, &err);
  auto other = LeaderLock::open(conninfo(), 0x1122334455, &err);
  ASSERT_TRUE(a && b && other) << err;
  ASSERT_EQ(a->try_acquire(&err), Status::kOk) << err;
  EXPECT_TRUE(a->held());
  ASSERT_EQ(b->try_acquire(&err), Status::kOk) << err;
  EXPECT_FALSE(b->held());
  // A bounded wait comes back, not holding it, while the holder lives.
  ASSERT_EQ(b->acquire(300ms, &err), Status::kOk) << err;
  EXPECT_FALSE(b->held());
  ASSERT_EQ(other->try_acquire(&err), Status::kOk);
  EXPECT_TRUE(other->held());  // another controller's key
  ASSERT_EQ(a->check(5s, &err), Status::kOk) << err;
  EXPECT_TRUE(a->held());
  EXPECT_NE(LeaderLock::key_for(0xee420f0cda), LeaderLock::key_for(0x1122334455));
  EXPECT_GT(LeaderLock::key_for(0xffffffffff), 0);
}

// The standby waits on the lock's descriptor and holds the lock as soon as
// the first instance's session ends -- here by closing it (the process
// exiting or dying closes it the same way).
TEST_F(LeaderLockTest, StandbyTakesOverWhenTheHolderCloses) {
  std::string err;
  auto a = LeaderLock::open(conninfo(), 0xee420f0cda, &err);
  auto b = LeaderLock::open(conninfo(), 0xee420f0cda, &err);
  ASSERT_TRUE(a && b) << err;
  ASSERT_EQ(a->acquire(5s, &err), Status::kOk) << err;
  ASSERT_TRUE(a->held());
  ASSERT_EQ(b->begin_wait(&err), Status::kOk) << err;
  ASSERT_EQ(b->poll_wait(&err), Status::kOk);
  EXPECT_FALSE(b->held());
  a.reset();
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!b->held() && std::chrono::steady_clock::now() < deadline) {
    readable(b->fd(), 1s);
    ASSERT_EQ(b->poll_wait(&err), Status::kOk) << err;
  }
  EXPECT_TRUE(b->held()) << "standby did not take over within 10 s";
  ASSERT_EQ(b->check(5s, &err), Status::kOk) << err;
  EXPECT_TRUE(b->held());
}

// The holder's session is killed on the server (as when its host or the
// network dies and the server's keepalives end the session): the standby
// holds the lock within the bound, and the old holder's check says it lost
// it, so it goes silent.
TEST_F(LeaderLockTest, StandbyTakesOverWhenTheHoldersSessionIsKilled) {
  std::string err;
  auto a = LeaderLock::open(conninfo(), 0xee420f0cda, &err);
  auto b = LeaderLock::open(conninfo(), 0xee420f0cda, &err);
  ASSERT_TRUE(a && b) << err;
  ASSERT_EQ(a->try_acquire(&err), Status::kOk) << err;
  ASSERT_TRUE(a->held());
  terminate(a->backend_pid());
  ASSERT_EQ(b->acquire(10s, &err), Status::kOk) << err;
  EXPECT_TRUE(b->held()) << "standby did not take over within 10 s";
  EXPECT_NE(a->check(5s, &err), Status::kOk);
  EXPECT_FALSE(a->held());
  // The old holder can come back only as a standby now.
  ASSERT_EQ(a->try_acquire(&err), Status::kOk) << err;
  EXPECT_FALSE(a->held());
}

namespace {

uint64_t mono_ms() {
  return uint64_t(std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now().time_since_epoch())
                      .count());
}

// One turn of a daemon loop with two instances: poll both descriptors up
// to the nearer deadline (at most 200 ms), then run both.
void turn(Leadership& a, Leadership& b, Leadership::Change* ca, Leadership::Change* cb) {
  const uint64_t now = mono_ms();
  uint64_t wait = 200;
  for (Leadership* l : {&a, &b})
    if (l->next_deadline() > now) wait = std::min<uint64_t>(wait, l->next_deadline() - now);
    else wait = 0;
  pollfd p[2] = {{a.fd(), POLLIN, 0}, {b.fd(), POLLIN, 0}};
  ::poll(p, 2, int(wait));
  std::string err;
  *ca = a.run(mono_ms(), &err);
  *cb = b.run(mono_ms(), &err);
}

}  // namespace

// The standby as flatnetd drives it (Leadership over LeaderLock, never
// blocking the loop): the first instance leads and keeps leading through
// its checks, the second stays silent; the first's session is killed, the
// second leads within 10 s and the first reports the loss (go silent).
TEST_F(LeaderLockTest, LeadershipHandsOverWithinTenSeconds) {
  std::string err;
  Leadership::Options opt;
  opt.check_every_ms = 300;  // quicker checks, the same logic
  opt.check_timeout_ms = 2000;
  auto a = Leadership::open(conninfo(), 0xee420f0cda, opt, &err);
  ASSERT_TRUE(a) << err;
  // The answer comes asynchronously: poll its descriptor as the loop would.
  Leadership::Change first = Leadership::Change::kNone;
  for (uint64_t end = mono_ms() + 5000; first == Leadership::Change::kNone && mono_ms() < end;) {
    first = a->run(mono_ms(), &err);
    pollfd p{a->fd(), POLLIN, 0};
    if (first == Leadership::Change::kNone) ::poll(&p, 1, 100);
  }
  ASSERT_EQ(first, Leadership::Change::kGained) << err;
  auto b = Leadership::open(conninfo(), 0xee420f0cda, opt, &err);
  ASSERT_TRUE(b) << err;
  Leadership::Change ca, cb;
  // A second of normal operation: several checks, no change.
  for (uint64_t end = mono_ms() + 1000; mono_ms() < end;) {
    turn(*a, *b, &ca, &cb);
    ASSERT_EQ(ca, Leadership::Change::kNone);
    ASSERT_EQ(cb, Leadership::Change::kNone);
  }
  EXPECT_TRUE(a->leader());
  EXPECT_FALSE(b->leader());

  terminate(a->lock().backend_pid());
  const uint64_t killed = mono_ms();
  bool a_lost = false, b_gained = false;
  while ((!a_lost || !b_gained) && mono_ms() < killed + 15'000) {
    turn(*a, *b, &ca, &cb);
    ASSERT_NE(ca, Leadership::Change::kGained) << "the old holder came back while b holds it";
    if (ca == Leadership::Change::kLost) a_lost = true;
    if (cb == Leadership::Change::kGained) {
      b_gained = true;
      EXPECT_LE(mono_ms() - killed, 10'000u) << "takeover after more than 10 s";
    }
  }
  EXPECT_TRUE(a_lost);
  EXPECT_TRUE(b_gained);
  EXPECT_TRUE(b->leader());
  EXPECT_FALSE(a->leader());
  // The old holder keeps trying, as a standby now, without taking it.
  for (uint64_t end = mono_ms() + 1500; mono_ms() < end;) {
    turn(*a, *b, &ca, &cb);
    ASSERT_EQ(ca, Leadership::Change::kNone);
    ASSERT_EQ(cb, Leadership::Change::kNone);
  }
  EXPECT_FALSE(a->leader());
}
