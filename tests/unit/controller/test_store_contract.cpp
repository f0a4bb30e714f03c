// The contract of every controller store backend (store.hpp), run against
// each: SQLite (instantiation Sqlite, suite 'unit') and PostgreSQL
// (instantiation Postgres, suite 'pg', beside a server that
// tools/scripts/pg-test-server.sh starts). CRUD, revisions counted as stock
// counts them, paging over 10,000 members, counts, the change journal and
// its feed, refusal of bad records with nothing stored, two instances on one
// database writing at once, online members. Backend-specific behaviour is
// in test_sqlite_store.cpp and test_pg_store.cpp.
#include <gtest/gtest.h>

#include <poll.h>

#include <map>
#include <random>
#include <set>
#include <thread>

#include "control/controller/limits.hpp"
#include "control/controller/store/open_store.hpp"
#include "control/controller/store/sqlite_store.hpp"
#include "tests/unit/controller/pg_fixture.hpp"
#include "tests/unit/controller/store_fixture.hpp"

using namespace flatnet::control::controller;
using namespace flatnet::control::controller::store;
using namespace flatnet::control::controller::testing;

namespace {

enum class Backend { kSqlite, kPostgres };

// A fresh, empty database per test: a file in a temp dir, or a database of
// its own on the test server.
class StoreContract : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::kSqlite) {
      where_ = dir_.file(kDefaultFileName);
      return;
    }
    FLATNET_REQUIRE_PG();
    db_ = std::make_unique<PgDatabase>();
    ASSERT_TRUE(db_->ok());
    where_ = db_->conninfo();
  }
  std::unique_ptr<Store> open() {
    std::string err;
    auto s = open_store(where_, &err);
    EXPECT_TRUE(s) << err;
    return s;
  }

  TempDir dir_;
  std::unique_ptr<PgDatabase> db_;
  std::string where_;
};

std::vector<Change> all_changes(Store& s, uint64_t since = 0) {
  ChangeBatch b;
  std::string err;
  EXPECT_EQ(s.changes_since(since, 1'000'000, b, &err), Status::kOk) << err;
  return b.changes;
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreContract, ::testing::Values(Backend::kSqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, StoreContract, ::testing::Values(Backend::kPostgres));

TEST_P(StoreContract, NetworkCrudAndRevisions) {
  auto s = open();
  ASSERT_TRUE(s);
  std::string err;
  Network got;
  EXPECT_EQ(s->get_network(kNwid, got, &err), Status::kNotFound);

  PutResult r;
  Network n = make_network();
  ASSERT_EQ(s->put_network(n, &r, &err), Status::kOk) << err;
  EXPECT_TRUE(r.changed);
  EXPECT_EQ(r.revision, 1u);  // new record: its revision (0) + 1, as stock's FileDB::save
  ASSERT_EQ(s->get_network(kNwid, got, &err), Status::kOk) << err;
  n.revision = 1;
  EXPECT_EQ(got, n);

  // The same content again is not a change: no revision bump, no journal.
  uint64_t seq_before;
  ASSERT_EQ(s->last_change(seq_before, &err), Status::kOk);
  ASSERT_EQ(s->put_network(n, &r, &err), Status::kOk);
  EXPECT_FALSE(r.changed);
  EXPECT_EQ(r.revision, 1u);
  uint64_t seq_after;
  ASSERT_EQ(s->last_change(seq_after, &err), Status::kOk);
  EXPECT_EQ(seq_after, seq_before);

  // A change counts from the stored revision, whatever the caller held.
  n.name = "renamed";
  n.revision = 77;
  ASSERT_EQ(s->put_network(n, &r, &err), Status::kOk);
  EXPECT_TRUE(r.changed);
  EXPECT_EQ(r.revision, 2u);
  ASSERT_EQ(s->get_network(kNwid, got, &err), Status::kOk);
  EXPECT_EQ(got.name, "renamed");

  ASSERT_EQ(s->put_network(make_network(0xee420f0cda000002ULL), &r, &err), Status::kOk);
  std::vector<uint64_t> ids;
  ASSERT_EQ(s->list_networks(ids, &err), Status::kOk);
  EXPECT_EQ(ids, (std::vector<uint64_t>{kNwid, 0xee420f0cda000002ULL}));

  ASSERT_EQ(s->delete_network(0xee420f0cda000002ULL, &err), Status::kOk);
  EXPECT_EQ(s->delete_network(0xee420f0cda000002ULL, &err), Status::kNotFound);
  ASSERT_EQ(s->list_networks(ids, &err), Status::kOk);
  EXPECT_EQ(ids, std::vector<uint64_t>{kNwid});
}

TEST_P(StoreContract, MemberCrud) {
  auto s = open();
  ASSERT_TRUE(s);
  std::string err;
  PutResult r;
  // No network, no member (stock's member POST answers 404).
  EXPECT_EQ(s->put_member(make_member(0xc989c90153), &r, &err), Status::kNotFound);
  ASSERT_EQ(s->put_network(make_network(), &r, &err), Status::kOk);

  Member m = make_member(0xc989c90153);
  m.name = "laptop";
  m.tags = {{1, 2}, {3, 4}};
  m.capabilities = {7};
  m.extra["futureField"] = 5;
  ASSERT_EQ(s->put_member(m, &r, &err), Status::kOk) << err;
  EXPECT_EQ(r.revision, 1u);
  Member got;
  ASSERT_EQ(s->get_member(kNwid, m.address, got, &err), Status::kOk) << err;
  m.revision = 1;
  EXPECT_EQ(got, m);

  // Authorize: the indexed columns and the counts follow.
  MemberCounts c;
  ASSERT_EQ(s->count_members(kNwid, c, &err), Status::kOk);
  EXPECT_EQ(c.total, 1u);
  EXPECT_EQ(c.authorized, 0u);
  got.authorized = true;
  got.last_authorized_time = 1795571999999;
  got.last_authorized_credential_type = "api";
  ASSERT_EQ(s->put_member(got, &r, &err), Status::kOk);
  EXPECT_EQ(r.revision, 2u);
  ASSERT_EQ(s->count_members(kNwid, c, &err), Status::kOk);
  EXPECT_EQ(c.authorized, 1u);
  Member again;
  ASSERT_EQ(s->get_member(kNwid, m.address, again, &err), Status::kOk);
  got.revision = 2;
  EXPECT_EQ(again, got);
  ASSERT_EQ(s->put_member(again, &r, &err), Status::kOk);
  EXPECT_FALSE(r.changed);

  ASSERT_EQ(s->delete_member(kNwid, m.address, &err), Status::kOk);
  EXPECT_EQ(s->get_member(kNwid, m.address, got, &err), Status::kNotFound);
  EXPECT_EQ(s->delete_member(kNwid, m.address, &err), Status::kNotFound);
}

TEST_P(StoreContract, PagingOverTenThousandMembers) {
  auto s = open();
  ASSERT_TRUE(s);
  std::string err;
  ASSERT_EQ(s->put_network(make_network(), nullptr, &err), Status::kOk);
  // Addresses spread over the 40-bit space, inserted out of order.
  std::vector<Member> ms;
  std::set<uint64_t> want;
  for (uint64_t i = 0; i < 10'000; ++i) {
    uint64_t a = ((i * 0x9e3779b97f4aULL) % 0xfffffffff0ULL) + 1;
    ms.push_back(make_member(a));
    ms.back().authorized = (i % 3) == 0;
    want.insert(a);
  }
  ASSERT_EQ(want.size(), 10'000u);
  ASSERT_EQ(s->put_members(ms, &err), Status::kOk) << err;
  MemberCounts c;
  ASSERT_EQ(s->count_members(kNwid, c, &err), Status::kOk);
  EXPECT_EQ(c.total, 10'000u);
  EXPECT_EQ(c.authorized, 3334u);

  std::vector<uint64_t> seen;
  uint64_t after = 0;
  int pages = 0;
  for (;;) {
    MemberPage p;
    ASSERT_EQ(s->list_members(kNwid, after, 333, p, &err), Status::kOk) << err;
    ++pages;
    ASSERT_LE(p.members.size(), 333u);
    for (const Member& m : p.members) seen.push_back(m.address);
    if (!p.next_after) break;
    EXPECT_EQ(*p.next_after, p.members.back().address);
    after = *p.next_after;
    ASSERT_LT(pages, 100);
  }
  EXPECT_EQ(pages, 31);  // 30 full pages of 333 and one of 10
  EXPECT_EQ(seen, std::vector<uint64_t>(want.begin(), want.end()));  // ascending, all, once
  // A network with no members has one empty last page.
  MemberPage p;
  ASSERT_EQ(s->list_members(0xee420f0cda000009ULL, 0, 10, p, &err), Status::kOk);
  EXPECT_TRUE(p.members.empty());
  EXPECT_FALSE(p.next_after);

  // Deleting the network removes its members, each journaled for revocation.
  uint64_t seq;
  ASSERT_EQ(s->last_change(seq, &err), Status::kOk);
  ASSERT_EQ(s->delete_network(kNwid, &err), Status::kOk);
  auto ch = all_changes(*s, seq);
  ASSERT_EQ(ch.size(), 10'001u);
  EXPECT_FALSE(ch.back().address.has_value());
  EXPECT_EQ(ch.back().op, ChangeOp::kDelete);
  EXPECT_EQ(ch.front().op, ChangeOp::kDelete);
  ASSERT_EQ(s->count_members(kNwid, c, &err), Status::kOk);
  EXPECT_EQ(c.total, 0u);
}

TEST_P(StoreContract, JournalRecordsEveryChangeInOrder) {
  auto s = open();
  ASSERT_TRUE(s);
  std::string err;
  ASSERT_EQ(s->put_network(make_network(), nullptr, &err), Status::kOk);
  ASSERT_EQ(s->put_member(make_member(0x1111111111), nullptr, &err), Status::kOk);
  Member m = make_member(0x1111111111);
  m.authorized = true;
  ASSERT_EQ(s->put_member(m, nullptr, &err), Status::kOk);
  ASSERT_EQ(s->delete_member(kNwid, 0x1111111111, &err), Status::kOk);
  auto ch = all_changes(*s);
  ASSERT_EQ(ch.size(), 4u);
  EXPECT_EQ(ch[0].nwid, kNwid);
  EXPECT_FALSE(ch[0].address);
  EXPECT_EQ(ch[1].address, 0x1111111111u);
  EXPECT_EQ(ch[1].revision, 1u);
  EXPECT_EQ(ch[2].revision, 2u);
  EXPECT_EQ(ch[3].op, ChangeOp::kDelete);
  for (size_t i = 1; i < ch.size(); ++i) EXPECT_GT(ch[i].seq, ch[i - 1].seq);
  ChangeBatch b;
  ASSERT_EQ(s->changes_since(ch[1].seq, 1, b, &err), Status::kOk);
  ASSERT_EQ(b.changes.size(), 1u);
  EXPECT_EQ(b.changes[0].seq, ch[2].seq);
  EXPECT_FALSE(b.gap);
}

// A refused record leaves the store exactly as it was: no partial batch,
// no journal entry.
TEST_P(StoreContract, BadRecordsRefusedNothingStored) {
  auto s = open();
  ASSERT_TRUE(s);
  std::string err;
  ASSERT_EQ(s->put_network(make_network(), nullptr, &err), Status::kOk);
  uint64_t seq0;
  ASSERT_EQ(s->last_change(seq0, &err), Status::kOk);

  Member too_many = make_member(0x2222222222);
  too_many.capabilities.assign(kMaxArrayEntries + 1, 1);
  EXPECT_EQ(s->put_member(too_many, nullptr, &err), Status::kInvalid);
  EXPECT_NE(err.find("capabilities"), std::string::npos) << err;

  Member zero = make_member(0x2222222222);
  zero.address = 0;
  EXPECT_EQ(s->put_member(zero, nullptr, &err), Status::kInvalid);
  Member wide = make_member(0x2222222222);
  wide.address = 0x10000000000ULL;  // 41 bits
  EXPECT_EQ(s->put_member(wide, nullptr, &err), Status::kInvalid);

  // The bad one is the last of a batch: the good ones before it stay out.
  std::vector<Member> batch = {make_member(0x3333333333), make_member(0x4444444444), too_many};
  EXPECT_EQ(s->put_members(batch, &err), Status::kInvalid);
  MemberCounts c;
  ASSERT_EQ(s->count_members(kNwid, c, &err), Status::kOk);
  EXPECT_EQ(c.total, 0u);

  // A network with a rule that is not a rule object.
  Network bad = make_network();
  bad.rules = nlohmann::json::array({42});
  EXPECT_EQ(s->put_network(bad, nullptr, &err), Status::kInvalid);
  EXPECT_NE(err.find("rules[0]"), std::string::npos) << err;
  Network got;
  ASSERT_EQ(s->get_network(kNwid, got, &err), Status::kOk);
  EXPECT_EQ(got.rules, Network::default_rules());

  // Import: one bad member fails the whole import.
  Network n2 = make_network(0xee420f0cda000002ULL);
  EXPECT_EQ(s->import_records({n2}, {make_member(0x5555555555, n2.id), too_many}, &err),
            Status::kInvalid);
  EXPECT_EQ(s->get_network(n2.id, got, &err), Status::kNotFound);

  uint64_t seq1;
  ASSERT_EQ(s->last_change(seq1, &err), Status::kOk);
  EXPECT_EQ(seq1, seq0);
}

TEST_P(StoreContract, ReopenKeepsEverything) {
  std::string err;
  {
    auto s = open();
    ASSERT_TRUE(s);
    ASSERT_EQ(s->put_network(make_network(), nullptr, &err), Status::kOk);
    ASSERT_EQ(s->put_member(make_member(0x1234567890), nullptr, &err), Status::kOk);
  }
  auto s = open();
  ASSERT_TRUE(s);
  Member m;
  ASSERT_EQ(s->get_member(kNwid, 0x1234567890, m, &err), Status::kOk);
  EXPECT_EQ(m.revision, 1u);
}

// The counts (kept by triggers since schema v3) follow any mix of creates,
// authorization flips, rewrites and deletes, across two networks.
TEST_P(StoreContract, CountsFollowRandomChanges) {
  auto s = open();
  ASSERT_TRUE(s);
  std::string err;
  const uint64_t nets[2] = {kNwid, 0xee420f0cda000002ULL};
  for (uint64_t nw : nets) ASSERT_EQ(s->put_network(make_network(nw), nullptr, &err), Status::kOk);
  std::map<std::pair<uint64_t, uint64_t>, bool> model;  // (nwid, address) -> authorized
  std::mt19937_64 rng(7);
  for (int i = 0; i < 800; ++i) {
    uint64_t nw = nets[rng() % 2], addr = 1 + rng() % 40;
    int op = int(rng() % 4);
    if (op == 3) {
      Status st = s->delete_member(nw, addr, &err);
      EXPECT_EQ(st, model.erase({nw, addr}) ? Status::kOk : Status::kNotFound);
    } else {
      Member m = make_member(addr, nw);
      m.authorized = op != 0;
      m.name = std::to_string(rng() % 3);  // sometimes a rewrite, sometimes no change
      ASSERT_EQ(s->put_member(m, nullptr, &err), Status::kOk) << err;
      model[{nw, addr}] = m.authorized;
    }
  }
  for (uint64_t nw : nets) {
    MemberCounts c;
    ASSERT_EQ(s->count_members(nw, c, &err), Status::kOk);
    uint64_t total = 0, auth = 0;
    for (const auto& [k, a] : model)
      if (k.first == nw) ++total, auth += a;
    EXPECT_EQ(c.total, total);
    EXPECT_EQ(c.authorized, auth);
  }
  ASSERT_EQ(s->delete_network(nets[0], &err), Status::kOk);
  ASSERT_EQ(s->put_network(make_network(nets[0]), nullptr, &err), Status::kOk);
  MemberCounts c;
  ASSERT_EQ(s->count_members(nets[0], c, &err), Status::kOk);
  EXPECT_EQ(c.total, 0u);
  EXPECT_EQ(c.authorized, 0u);
}

// Two stores on one database (a running controller and flatnet-ctlstore, or
// two API instances): each sees the other's changes, and the journal tells
// the one that did not make a change about it.
TEST_P(StoreContract, TwoConnectionsShareOneDatabase) {
  auto a = open();
  auto b = open();
  ASSERT_TRUE(a && b);
  std::string err;
  ASSERT_EQ(a->put_network(make_network(), nullptr, &err), Status::kOk);
  uint64_t seen;
  ASSERT_EQ(b->last_change(seen, &err), Status::kOk);
  for (uint64_t i = 1; i <= 20; ++i) {
    Store& w = i % 2 ? static_cast<Store&>(*a) : static_cast<Store&>(*b);
    ASSERT_EQ(w.put_member(make_member(i), nullptr, &err), Status::kOk) << err;
  }
  MemberCounts ca, cb;
  ASSERT_EQ(a->count_members(kNwid, ca, &err), Status::kOk);
  ASSERT_EQ(b->count_members(kNwid, cb, &err), Status::kOk);
  EXPECT_EQ(ca.total, 20u);
  EXPECT_EQ(cb.total, 20u);
  auto ch = all_changes(*b, seen);
  ASSERT_EQ(ch.size(), 20u);
  for (uint64_t i = 1; i <= 20; ++i) EXPECT_EQ(ch[i - 1].address, i);
}

// Two instances writing at the same time: every change is journaled once,
// seqs are 1..N without a hole, and each instance's own changes appear in
// the order it made them (the journal is in commit order).
TEST_P(StoreContract, ConcurrentWritersJournalInCommitOrder) {
  auto a = open();
  auto b = open();
  ASSERT_TRUE(a && b);
  std::string err;
  ASSERT_EQ(a->put_network(make_network(), nullptr, &err), Status::kOk) << err;
  constexpr uint64_t kEach = 150;
  auto write = [](Store* s, uint64_t base, Status* result) {
    std::string e;
    *result = Status::kOk;
    for (uint64_t i = 1; i <= kEach && *result == Status::kOk; ++i)
      *result = s->put_member(make_member(base + i), nullptr, &e);
  };
  Status ra, rb;
  std::thread ta(write, a.get(), 0x1000000000ULL, &ra), tb(write, b.get(), 0x2000000000ULL, &rb);
  ta.join();
  tb.join();
  ASSERT_EQ(ra, Status::kOk);
  ASSERT_EQ(rb, Status::kOk);
  auto ch = all_changes(*a);
  ASSERT_EQ(ch.size(), 1 + 2 * kEach);
  uint64_t next_a = 0x1000000001ULL, next_b = 0x2000000001ULL;
  for (size_t i = 0; i < ch.size(); ++i) {
    EXPECT_EQ(ch[i].seq, i + 1);
    if (i == 0) continue;
    ASSERT_TRUE(ch[i].address);
    uint64_t& next = *ch[i].address < 0x2000000000ULL ? next_a : next_b;
    EXPECT_EQ(*ch[i].address, next);
    ++next;
  }
  MemberCounts c;
  ASSERT_EQ(b->count_members(kNwid, c, &err), Status::kOk);
  EXPECT_EQ(c.total, 2 * kEach);
}

// The feed gives each journal entry once, in order, from where it was
// opened; with a wait descriptor, a change by another instance makes it
// readable and draining clears it.
TEST_P(StoreContract, FeedFollowsTheJournal) {
  auto writer = open();
  auto server = open();
  ASSERT_TRUE(writer && server);
  std::string err;
  ASSERT_EQ(writer->put_network(make_network(), nullptr, &err), Status::kOk);
  uint64_t start;
  ASSERT_EQ(server->last_change(start, &err), Status::kOk);
  auto feed = server->open_feed(start, &err);
  ASSERT_TRUE(feed) << err;
  EXPECT_EQ(feed->last_seen(), start);
  ChangeBatch b;
  ASSERT_EQ(feed->drain(100, b, &err), Status::kOk) << err;
  EXPECT_TRUE(b.changes.empty());

  for (uint64_t i = 1; i <= 3; ++i)
    ASSERT_EQ(writer->put_member(make_member(i), nullptr, &err), Status::kOk);
  if (feed->wait_fd() >= 0) {
    pollfd p{feed->wait_fd(), POLLIN, 0};
    ASSERT_EQ(::poll(&p, 1, 10'000), 1) << "no NOTIFY within 10 s";
  }
  // Two at a time: the rest waits for the next drain.
  ASSERT_EQ(feed->drain(2, b, &err), Status::kOk) << err;
  ASSERT_EQ(b.changes.size(), 2u);
  EXPECT_EQ(b.changes[0].address, 1u);
  EXPECT_EQ(b.changes[1].address, 2u);
  EXPECT_FALSE(b.gap);
  ASSERT_EQ(feed->drain(100, b, &err), Status::kOk);
  ASSERT_EQ(b.changes.size(), 1u);
  EXPECT_EQ(b.changes[0].address, 3u);
  EXPECT_EQ(feed->last_seen(), b.changes[0].seq);
  ASSERT_EQ(feed->drain(100, b, &err), Status::kOk);
  EXPECT_TRUE(b.changes.empty());
  if (feed->wait_fd() >= 0) {
    pollfd p{feed->wait_fd(), POLLIN, 0};
    EXPECT_EQ(::poll(&p, 1, 0), 0) << "still readable after the drain";
  }
}

TEST_P(StoreContract, OnlineMembersKeepTheNewestSighting) {
  auto s = open();
  ASSERT_TRUE(s);
  std::string err;
  const uint64_t other = 0xee420f0cda000002ULL;
  ASSERT_EQ(s->put_online({{kNwid, 0x2222222222, 1000}, {kNwid, 0x1111111111, 1500},
                           {other, 0x1111111111, 900}, {kNwid, 0x2222222222, 1200}},
                          &err),
            Status::kOk) << err;
  // An older sighting never moves last_seen back.
  ASSERT_EQ(s->put_online({{kNwid, 0x1111111111, 100}}, &err), Status::kOk) << err;
  std::vector<OnlineRecord> on;
  ASSERT_EQ(s->list_online(kNwid, 0, on, &err), Status::kOk) << err;
  EXPECT_EQ(on, (std::vector<OnlineRecord>{{kNwid, 0x1111111111, 1500},
                                           {kNwid, 0x2222222222, 1200}}));
  ASSERT_EQ(s->list_online(kNwid, 1300, on, &err), Status::kOk);
  EXPECT_EQ(on, (std::vector<OnlineRecord>{{kNwid, 0x1111111111, 1500}}));
  // Another instance on the database (a standby taking over) sees them.
  auto t = open();
  ASSERT_TRUE(t);
  ASSERT_EQ(t->list_online(other, 0, on, &err), Status::kOk);
  EXPECT_EQ(on, (std::vector<OnlineRecord>{{other, 0x1111111111, 900}}));
  ASSERT_EQ(t->expire_online(1300, &err), Status::kOk) << err;
  ASSERT_EQ(s->list_online(kNwid, 0, on, &err), Status::kOk);
  EXPECT_EQ(on, (std::vector<OnlineRecord>{{kNwid, 0x1111111111, 1500}}));
  ASSERT_EQ(s->list_online(other, 0, on, &err), Status::kOk);
  EXPECT_TRUE(on.empty());
  EXPECT_EQ(s->put_online({}, &err), Status::kOk);
}

// A bulk put counts each member as put_member would, in order: a repeat
// within the batch sees the first, an unchanged member writes nothing, and
// any text survives (PostgreSQL passes batches as array literals).
TEST_P(StoreContract, BulkPutCountsAsSinglePuts) {
  auto s = open();
  ASSERT_TRUE(s);
  std::string err;
  ASSERT_EQ(s->put_network(make_network(), nullptr, &err), Status::kOk);
  Member m1 = make_member(0x1111111111);
  ASSERT_EQ(s->put_member(m1, nullptr, &err), Status::kOk);
  uint64_t seq;
  ASSERT_EQ(s->last_change(seq, &err), Status::kOk);
  Member m2 = make_member(0x2222222222);
  Member m2b = m2;
  m2b.name = "quote \" backslash \\ brace {,} comma, NULL \u00e9\u4e2d";
  Member m1b = m1;
  m1b.authorized = true;
  ASSERT_EQ(s->put_members({m1, m2, m2b, m1b}, &err), Status::kOk) << err;
  auto ch = all_changes(*s, seq);
  ASSERT_EQ(ch.size(), 3u);
  EXPECT_EQ(ch[0].address, m2.address);
  EXPECT_EQ(ch[0].revision, 1u);
  EXPECT_EQ(ch[1].address, m2.address);
  EXPECT_EQ(ch[1].revision, 2u);
  EXPECT_EQ(ch[2].address, m1.address);
  EXPECT_EQ(ch[2].revision, 2u);
  Member got;
  ASSERT_EQ(s->get_member(kNwid, m2.address, got, &err), Status::kOk);
  m2b.revision = 2;
  EXPECT_EQ(got, m2b);
  m2b.identity.reset();
  ASSERT_EQ(s->put_members({m2b}, &err), Status::kOk) << err;
  ASSERT_EQ(s->get_member(kNwid, m2.address, got, &err), Status::kOk);
  EXPECT_FALSE(got.identity);
  MemberCounts c;
  ASSERT_EQ(s->count_members(kNwid, c, &err), Status::kOk);
  EXPECT_EQ(c.total, 2u);
  EXPECT_EQ(c.authorized, 1u);
  // A member of a network that does not exist fails the whole batch.
  EXPECT_EQ(s->put_members({make_member(0x3333333333), make_member(5, 0xee420f0cda000009ULL)},
                           &err),
            Status::kNotFound);
  EXPECT_EQ(s->get_member(kNwid, 0x3333333333, got, &err), Status::kNotFound);
}

TEST(StoreOpen, ConnectionStringsNamePostgresql) {
  for (const char* s : {"postgresql://u@db/flatnet", "postgres:///flatnet?host=/run/pg",
                        "host=/tmp dbname=x", " dbname = flatnet", "service=flatnet"})
    EXPECT_TRUE(names_postgresql(s)) << s;
  for (const char* s : {"/var/lib/flatnet/controller.db", "controller.db", "./a=b.db",
                        "dir/x=1", "", "=x"})
    EXPECT_FALSE(names_postgresql(s)) << s;
}
