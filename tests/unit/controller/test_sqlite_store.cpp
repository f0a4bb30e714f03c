// The SQLite controller store: CRUD, revisions counted as stock counts them,
// paging over 10,000 members, the change journal, refusal of bad records
// with nothing stored, the file's mode, upgrading a version-1 database, and
// backup/restore.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <map>
#include <random>
#include <set>

#include "control/controller/limits.hpp"
#include "control/controller/store/sqlite_schema.hpp"
#include "control/controller/store/sqlite_store.hpp"
#include "tests/unit/controller/store_fixture.hpp"

using namespace flatnet::control::controller;
using namespace flatnet::control::controller::store;
using namespace flatnet::control::controller::testing;

namespace {

std::unique_ptr<SqliteStore> open_store(const TempDir& d) {
  std::string err;
  auto s = SqliteStore::open(d.file(kDefaultFileName), &err);
  EXPECT_TRUE(s) << err;
  return s;
}

std::vector<Change> all_changes(Store& s, uint64_t since = 0) {
  ChangeBatch b;
  std::string err;
  EXPECT_EQ(s.changes_since(since, 1'000'000, b, &err), Status::kOk) << err;
  return b.changes;
}

}  // namespace

TEST(SqliteStore, NetworkCrudAndRevisions) {
  TempDir d;
  auto s = open_store(d);
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

TEST(SqliteStore, MemberCrud) {
  TempDir d;
  auto s = open_store(d);
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

TEST(SqliteStore, PagingOverTenThousandMembers) {
  TempDir d;
  auto s = open_store(d);
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

TEST(SqliteStore, JournalRecordsEveryChangeInOrder) {
  TempDir d;
  auto s = open_store(d);
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
TEST(SqliteStore, BadRecordsRefusedNothingStored) {
  TempDir d;
  auto s = open_store(d);
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

TEST(SqliteStore, DatabaseFileIsPrivate) {
  TempDir d;
  auto s = open_store(d);
  ASSERT_TRUE(s);
  std::string err;
  ASSERT_EQ(s->put_network(make_network(), nullptr, &err), Status::kOk);
  for (const char* suffix : {"", "-wal", "-shm"}) {
    struct stat st;
    std::string p = d.file(std::string(kDefaultFileName) + suffix);
    ASSERT_EQ(::stat(p.c_str(), &st), 0) << p;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << p;
  }
}

TEST(SqliteStore, ReopenKeepsEverything) {
  TempDir d;
  std::string err;
  {
    auto s = open_store(d);
    ASSERT_TRUE(s);
    ASSERT_EQ(s->put_network(make_network(), nullptr, &err), Status::kOk);
    ASSERT_EQ(s->put_member(make_member(0x1234567890), nullptr, &err), Status::kOk);
  }
  auto s = open_store(d);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->schema_version(), sqlite::kSchemaLatest);
  Member m;
  ASSERT_EQ(s->get_member(kNwid, 0x1234567890, m, &err), Status::kOk);
  EXPECT_EQ(m.revision, 1u);
}

// A database written by schema version 1 (members' authorization times
// still in the JSON, no journal) opens, is migrated, and reads the same.
TEST(SqliteStore, MigratesFromVersionOne) {
  TempDir d;
  const std::string path = d.file(kDefaultFileName);
  Member m = make_member(0xc989c90153);
  m.authorized = true;
  m.last_authorized_time = 1795571972889;
  m.last_deauthorized_time = 17;
  m.revision = 4;
  Network n = make_network();
  n.revision = 3;
  {
    sqlite::Db db;
    std::string err;
    ASSERT_TRUE(db.open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &err)) << err;
    int v = 0;
    ASSERT_TRUE(sqlite::migrate(db, 1, &v, &err)) << err;
    ASSERT_EQ(v, 1);
    // Rows as version 1 wrote them: the doc holds every field but the columns.
    nlohmann::json doc = member_to_json(m);
    for (const char* k : {"id", "address", "nwid", "objtype", "revision", "authorized",
                          "activeBridge", "identity"})
      doc.erase(k);
    sqlite::Stmt ins;
    ASSERT_TRUE(ins.prepare(db.get(),
        "INSERT INTO members (nwid, address, revision, authorized, active_bridge, identity, doc)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)", &err)) << err;
    ins.bind(1, format_network_id(kNwid));
    ins.bind(2, int64_t(m.address));
    ins.bind(3, int64_t(4));
    ins.bind(4, int64_t(1));
    ins.bind(5, int64_t(0));
    ins.bind(6, *m.identity);
    ins.bind(7, doc.dump());
    ASSERT_EQ(ins.step(), SQLITE_DONE) << db.message();
    sqlite::Stmt net;
    ASSERT_TRUE(net.prepare(db.get(), "INSERT INTO networks VALUES (?, ?, ?)", &err)) << err;
    net.bind(1, format_network_id(kNwid));
    net.bind(2, int64_t(3));
    net.bind(3, network_to_json(n).dump());
    ASSERT_EQ(net.step(), SQLITE_DONE) << db.message();
  }
  std::string err;
  auto s = SqliteStore::open(path, &err);
  ASSERT_TRUE(s) << err;
  EXPECT_EQ(s->schema_version(), sqlite::kSchemaLatest);
  Member got;
  ASSERT_EQ(s->get_member(kNwid, m.address, got, &err), Status::kOk) << err;
  EXPECT_EQ(got, m);
  Network gn;
  ASSERT_EQ(s->get_network(kNwid, gn, &err), Status::kOk) << err;
  EXPECT_EQ(gn, n);
  MemberCounts c;
  ASSERT_EQ(s->count_members(kNwid, c, &err), Status::kOk);
  EXPECT_EQ(c.authorized, 1u);
  // The journal exists now and works.
  got.name = "after-upgrade";
  PutResult r;
  ASSERT_EQ(s->put_member(got, &r, &err), Status::kOk) << err;
  EXPECT_EQ(r.revision, 5u);
  EXPECT_EQ(all_changes(*s).size(), 1u);
}

TEST(SqliteStore, RefusesANewerSchema) {
  TempDir d;
  const std::string path = d.file(kDefaultFileName);
  std::string err;
  { ASSERT_TRUE(SqliteStore::open(path, &err)) << err; }
  {
    sqlite::Db db;
    ASSERT_TRUE(db.open(path, SQLITE_OPEN_READWRITE, &err));
    ASSERT_TRUE(db.exec("INSERT INTO schema_migrations VALUES (99, 0)", &err)) << err;
  }
  EXPECT_FALSE(SqliteStore::open(path, &err));
  EXPECT_NE(err.find("newer"), std::string::npos) << err;
}

TEST(SqliteStore, BackupRestoresTheSameState) {
  TempDir d;
  auto s = open_store(d);
  ASSERT_TRUE(s);
  std::string err;
  ASSERT_EQ(s->put_network(make_network(), nullptr, &err), Status::kOk);
  std::vector<Member> ms;
  for (uint64_t a = 1; a <= 500; ++a) ms.push_back(make_member(0x1000000000 + a));
  ASSERT_EQ(s->put_members(ms, &err), Status::kOk) << err;
  MemberPage before;
  ASSERT_EQ(s->list_members(kNwid, 0, 1000, before, &err), Status::kOk);
  Network net_before;
  ASSERT_EQ(s->get_network(kNwid, net_before, &err), Status::kOk);

  const std::string backup = d.file("backup.db");
  ASSERT_EQ(s->backup_to(backup, &err), Status::kOk) << err;
  struct stat st;
  ASSERT_EQ(::stat(backup.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(s->backup_to(backup, &err), Status::kError);  // never overwrites

  // Change everything after the backup.
  ASSERT_EQ(s->delete_member(kNwid, 0x1000000001, &err), Status::kOk);
  Network renamed = net_before;
  renamed.name = "changed";
  ASSERT_EQ(s->put_network(renamed, nullptr, &err), Status::kOk);
  ASSERT_EQ(s->put_network(make_network(0xee420f0cda000003ULL), nullptr, &err), Status::kOk);

  ASSERT_EQ(s->restore_from(backup, &err), Status::kOk) << err;
  MemberPage after;
  ASSERT_EQ(s->list_members(kNwid, 0, 1000, after, &err), Status::kOk);
  EXPECT_EQ(after.members, before.members);
  Network net_after;
  ASSERT_EQ(s->get_network(kNwid, net_after, &err), Status::kOk);
  EXPECT_EQ(net_after, net_before);
  std::vector<uint64_t> ids;
  ASSERT_EQ(s->list_networks(ids, &err), Status::kOk);
  EXPECT_EQ(ids, std::vector<uint64_t>{kNwid});
  // Still writable, still WAL, and a reopen sees the restored state.
  ASSERT_EQ(s->put_member(make_member(0x1000000999), nullptr, &err), Status::kOk) << err;
  s.reset();
  auto s2 = open_store(d);
  ASSERT_TRUE(s2);
  MemberCounts c;
  ASSERT_EQ(s2->count_members(kNwid, c, &err), Status::kOk);
  EXPECT_EQ(c.total, 501u);

  // Not a controller database: refused, ours untouched.
  const std::string junk = d.file("junk.db");
  { FILE* f = fopen(junk.c_str(), "w"); fputs("not sqlite", f); fclose(f); }
  EXPECT_NE(s2->restore_from(junk, &err), Status::kOk);
  ASSERT_EQ(s2->count_members(kNwid, c, &err), Status::kOk);
  EXPECT_EQ(c.total, 501u);
}

// The counts (kept by triggers since schema v3) follow any mix of creates,
// authorization flips, rewrites and deletes, across two networks.
TEST(SqliteStore, CountsFollowRandomChanges) {
  TempDir d;
  auto s = open_store(d);
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

// Two stores on one file (a running controller and flatnet-ctlstore, or two
// API instances): each sees the other's changes, and the journal tells the
// one that did not make a change about it.
TEST(SqliteStore, TwoConnectionsShareOneFile) {
  TempDir d;
  auto a = open_store(d);
  auto b = open_store(d);
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

TEST(SqliteStore, JournalGapAfterRestoreOfOlderBackup) {
  TempDir d;
  auto s = open_store(d);
  ASSERT_TRUE(s);
  std::string err;
  ASSERT_EQ(s->put_network(make_network(), nullptr, &err), Status::kOk);
  ASSERT_EQ(s->backup_to(d.file("b.db"), &err), Status::kOk) << err;
  for (uint64_t i = 1; i <= 5; ++i)
    ASSERT_EQ(s->put_member(make_member(i), nullptr, &err), Status::kOk);
  uint64_t seq;
  ASSERT_EQ(s->last_change(seq, &err), Status::kOk);
  ChangeBatch b;
  ASSERT_EQ(s->changes_since(seq, 10, b, &err), Status::kOk);
  EXPECT_FALSE(b.gap);
  ASSERT_EQ(s->restore_from(d.file("b.db"), &err), Status::kOk) << err;
  ASSERT_EQ(s->changes_since(seq, 10, b, &err), Status::kOk);
  EXPECT_TRUE(b.gap);  // a controller at `seq` must reload
}
