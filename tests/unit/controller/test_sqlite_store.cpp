// What only the SQLite store does (the contract both backends keep is
// test_store_contract.cpp): the file's mode, upgrading a version-1
// database, refusing a newer one, backup/restore and the journal's gap
// after restoring an older backup.
#include <gtest/gtest.h>

#include <sys/stat.h>

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

TEST(SqliteStore, OpensAtTheLatestSchema) {
  TempDir d;
  auto s = open_store(d);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->schema_version(), sqlite::kSchemaLatest);
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
