#include "control/controller/store/sqlite_store.hpp"

#include "control/controller/store/record_rows.hpp"
#include "control/controller/store/write_transaction.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace flatnet::control::controller::store {

namespace {

// The journal keeps this many newest entries; a reader further behind is
// told of the gap and reloads.
constexpr int64_t kJournalKeep = 1'000'000;
constexpr uint64_t kJournalTrimEvery = 4096;

constexpr const char* kMemberColumns =
    "address, revision, authorized, active_bridge, identity, last_authorized_time,"
    " last_deauthorized_time, doc, nwid";

MemberRow row_from(const sqlite::Stmt& s) {
  MemberRow r;
  r.address = s.column_int(0);
  r.revision = s.column_int(1);
  r.authorized = s.column_int(2);
  r.active_bridge = s.column_int(3);
  if (!s.column_is_null(4)) r.identity = s.column_text(4);
  r.last_authorized_time = s.column_int(5);
  r.last_deauthorized_time = s.column_int(6);
  r.doc = s.column_text(7);
  r.nwid = s.column_text(8);
  return r;
}

// Creates the file 0600 (or tightens an existing one) before SQLite opens
// it: the database holds member identities and network secrets (authTokens).
bool create_private(const std::string& path, bool must_not_exist, std::string* err) {
  int flags = O_RDWR | O_CREAT | O_CLOEXEC | (must_not_exist ? O_EXCL : 0);
  int fd = ::open(path.c_str(), flags, 0600);
  if (fd < 0 || fchmod(fd, 0600) != 0) {
    if (err) *err = path + ": " + std::strerror(errno);
    if (fd >= 0) ::close(fd);
    return false;
  }
  ::close(fd);
  return true;
}

bool pragma_value(sqlite::Db& db, const char* sql, std::string& out, std::string* err) {
  sqlite::Stmt s;
  if (!s.prepare(db.get(), sql, err)) return false;
  if (s.step() != SQLITE_ROW) {
    if (err) *err = std::string(sql) + ": " + db.message();
    return false;
  }
  out = s.column_text(0);
  return true;
}

}  // namespace

std::unique_ptr<SqliteStore> SqliteStore::open(const std::string& path, std::string* err,
                                               Options opt) {
  if (!create_private(path, false, err)) return nullptr;
  std::unique_ptr<SqliteStore> s(new SqliteStore);
  s->path_ = path;
  // NOMUTEX: the store's own mutex serializes every use of the connection.
  if (!s->db_.open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, err)) return nullptr;
  sqlite3_busy_timeout(s->db_.get(), 5000);
  std::string mode;
  if (!pragma_value(s->db_, "PRAGMA journal_mode=WAL", mode, err)) return nullptr;
  if (mode != "wal") {
    if (err) *err = path + ": cannot switch to WAL mode (got " + mode + ")";
    return nullptr;
  }
  // FULL: in WAL mode every commit syncs the WAL, so an acknowledged change
  // survives power loss too, not only kill -9 (NORMAL suffices for that);
  // the cost is in docs/bench-controller.md.
  if (!s->db_.exec(opt.power_safe ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL", err))
    return nullptr;
  if (!sqlite::migrate(s->db_, sqlite::kSchemaLatest, &s->version_, err)) return nullptr;
  if (!s->prepare_all(err)) return nullptr;
  return s;
}

SqliteStore::~SqliteStore() = default;

bool SqliteStore::prepare_all(std::string* err) {
  sqlite3* d = db_.get();
  const std::string cols = kMemberColumns;
  return network_get_.prepare(d, "SELECT doc FROM networks WHERE nwid = ?", err) &&
         network_put_.prepare(d, "INSERT OR REPLACE INTO networks (nwid, revision, doc)"
                                 " VALUES (?, ?, ?)", err) &&
         network_delete_.prepare(d, "DELETE FROM networks WHERE nwid = ?", err) &&
         network_list_.prepare(d, "SELECT nwid FROM networks ORDER BY nwid", err) &&
         member_get_.prepare(d, ("SELECT " + cols + " FROM members WHERE nwid = ? AND address = ?")
                                    .c_str(), err) &&
         // An upsert, not INSERT OR REPLACE: a replace is a delete the
         // count triggers would not see (schema v3).
         member_put_.prepare(d, "INSERT INTO members (address, revision, authorized,"
                                " active_bridge, identity, last_authorized_time,"
                                " last_deauthorized_time, doc, nwid)"
                                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                                " ON CONFLICT (nwid, address) DO UPDATE SET"
                                " revision = excluded.revision, authorized = excluded.authorized,"
                                " active_bridge = excluded.active_bridge,"
                                " identity = excluded.identity,"
                                " last_authorized_time = excluded.last_authorized_time,"
                                " last_deauthorized_time = excluded.last_deauthorized_time,"
                                " doc = excluded.doc", err) &&
         member_delete_.prepare(d, "DELETE FROM members WHERE nwid = ? AND address = ?", err) &&
         member_page_.prepare(d, ("SELECT " + cols + " FROM members WHERE nwid = ? AND address > ?"
                                  " ORDER BY address LIMIT ?").c_str(), err) &&
         member_count_.prepare(d, "SELECT total, authorized FROM member_counts WHERE nwid = ?",
                               err) &&
         counts_delete_.prepare(d, "DELETE FROM member_counts WHERE nwid = ?", err) &&
         members_of_network_.prepare(d, "SELECT address, revision FROM members WHERE nwid = ?"
                                        " ORDER BY address", err) &&
         members_delete_all_.prepare(d, "DELETE FROM members WHERE nwid = ?", err) &&
         change_put_.prepare(d, "INSERT INTO changes (nwid, address, op, revision)"
                                " VALUES (?, ?, ?, ?)", err) &&
         change_last_.prepare(d, "SELECT coalesce(max(seq), 0) FROM changes", err) &&
         change_first_.prepare(d, "SELECT min(seq) FROM changes", err) &&
         change_since_.prepare(d, "SELECT seq, nwid, address, op, revision FROM changes"
                                  " WHERE seq > ? ORDER BY seq LIMIT ?", err) &&
         change_trim_.prepare(d, "DELETE FROM changes WHERE seq <= ?", err) &&
         online_put_.prepare(d, "INSERT INTO online_members (nwid, address, last_seen)"
                                " VALUES (?, ?, ?) ON CONFLICT (nwid, address) DO UPDATE SET"
                                " last_seen = max(last_seen, excluded.last_seen)", err) &&
         online_list_.prepare(d, "SELECT address, last_seen FROM online_members"
                                 " WHERE nwid = ? AND last_seen >= ? ORDER BY address", err) &&
         online_expire_.prepare(d, "DELETE FROM online_members WHERE last_seen < ?", err);
}

Status SqliteStore::db_error(std::string* err, const std::string& what) {
  if (err) *err = what + ": " + db_.message();
  return Status::kError;
}

Status SqliteStore::begin_write(std::string* err) {
  // IMMEDIATE takes the write lock now, so a second writer (another
  // process on the same file) waits at the start, not at commit.
  std::string e;
  if (db_.exec("BEGIN IMMEDIATE", &e)) return Status::kOk;
  if (err) *err = "begin: " + e;
  return Status::kError;
}

Status SqliteStore::commit(std::string* err) {
  std::string e;
  if (db_.exec("COMMIT", &e)) return Status::kOk;
  rollback();
  if (err) *err = "commit: " + e;
  return Status::kError;
}

void SqliteStore::rollback() {
  if (!sqlite3_get_autocommit(db_.get())) db_.exec("ROLLBACK", nullptr);
}

bool SqliteStore::journal(const std::string& nwid, std::optional<uint64_t> address, ChangeOp op,
                          uint64_t revision, std::string* err) {
  sqlite::Use u(change_put_);
  change_put_.bind(1, nwid);
  if (address) change_put_.bind(2, int64_t(*address));
  else change_put_.bind_null(2);
  change_put_.bind(3, int64_t(op));
  change_put_.bind(4, int64_t(revision));
  if (change_put_.step() != SQLITE_DONE) {
    db_error(err, "journal");
    return false;
  }
  if (++journal_writes_ % kJournalTrimEvery == 0) trim_journal();
  return true;
}

void SqliteStore::trim_journal() {
  int64_t last = int64_t(sqlite3_last_insert_rowid(db_.get()));
  if (last <= kJournalKeep) return;
  sqlite::Use u(change_trim_);
  change_trim_.bind(1, last - kJournalKeep);
  change_trim_.step();  // a failed trim only leaves the journal longer
}

bool SqliteStore::network_exists(const std::string& nwid, Status* st, std::string* err) {
  sqlite::Use u(network_get_);
  network_get_.bind(1, nwid);
  int rc = network_get_.step();
  if (rc == SQLITE_ROW) return true;
  *st = rc == SQLITE_DONE ? Status::kNotFound : db_error(err, "network lookup");
  if (rc == SQLITE_DONE && err) *err = "network " + nwid + " does not exist";
  return false;
}

// ---- networks ----

Status SqliteStore::get_network(uint64_t nwid, Network& out, std::string* err) {
  std::lock_guard<std::mutex> l(mu_);
  sqlite::Use u(network_get_);
  network_get_.bind(1, format_network_id(nwid));
  int rc = network_get_.step();
  if (rc == SQLITE_DONE) return Status::kNotFound;
  if (rc != SQLITE_ROW) return db_error(err, "get network");
  if (!parse_network(network_get_.column_text(0), 0, out, err)) return Status::kError;
  return Status::kOk;
}

Status SqliteStore::put_network_locked(const Network& in, bool keep_revision, PutResult* res,
                                       std::string* err) {
  Network n;
  if (!canonical_network(in, n, err)) return Status::kInvalid;
  const std::string id = format_network_id(n.id);
  std::optional<uint64_t> old_revision;
  std::string old_doc;
  {
    sqlite::Use u(network_get_);
    network_get_.bind(1, id);
    int rc = network_get_.step();
    if (rc == SQLITE_ROW) {
      old_doc = network_get_.column_text(0);
      old_revision = stored_network_revision(old_doc);
    } else if (rc != SQLITE_DONE) {
      return db_error(err, "put network");
    }
  }
  if (!keep_revision) {
    if (old_revision) {
      n.revision = *old_revision;
      if (network_to_json(n).dump() == old_doc) {
        if (res) *res = {false, n.revision};
        return Status::kOk;
      }
    }
    n.revision = (old_revision ? *old_revision : n.revision) + 1;
  }
  sqlite::Use u(network_put_);
  network_put_.bind(1, id);
  network_put_.bind(2, int64_t(n.revision));
  network_put_.bind(3, network_to_json(n).dump());
  if (network_put_.step() != SQLITE_DONE) return db_error(err, "put network");
  if (!journal(id, std::nullopt, ChangeOp::kPut, n.revision, err)) return Status::kError;
  if (res) *res = {true, n.revision};
  return Status::kOk;
}

Status SqliteStore::put_network(const Network& n, PutResult* res, std::string* err) {
  std::lock_guard<std::mutex> l(mu_);
  return write_transaction(*this, err, [&] {
    return put_network_locked(n, false, res, err);
  });
}

Status SqliteStore::delete_network(uint64_t nwid, std::string* err) {
  std::lock_guard<std::mutex> l(mu_);
  const std::string id = format_network_id(nwid);
  return write_transaction(*this, err, [&] {
    Status st = Status::kOk;
    Network old;
    {
      sqlite::Use u(network_get_);
      network_get_.bind(1, id);
      int rc = network_get_.step();
      if (rc == SQLITE_DONE) st = Status::kNotFound;
      else if (rc != SQLITE_ROW) st = db_error(err, "delete network");
      else if (!parse_network(network_get_.column_text(0), 0, old, err)) st = Status::kError;
    }
    // Every member removed gets a journal entry: they are the ones a
    // controller must send revocations to.
    if (st == Status::kOk) {
      sqlite::Use u(members_of_network_);
      members_of_network_.bind(1, id);
      int rc;
      while ((rc = members_of_network_.step()) == SQLITE_ROW) {
        if (!journal(id, uint64_t(members_of_network_.column_int(0)), ChangeOp::kDelete,
                     uint64_t(members_of_network_.column_int(1)), err)) {
          st = Status::kError;
          break;
        }
      }
      if (st == Status::kOk && rc != SQLITE_DONE) st = db_error(err, "delete network members");
    }
    if (st == Status::kOk) {
      sqlite::Use u1(members_delete_all_), u2(network_delete_), u3(counts_delete_);
      members_delete_all_.bind(1, id);
      network_delete_.bind(1, id);
      counts_delete_.bind(1, id);
      if (members_delete_all_.step() != SQLITE_DONE || network_delete_.step() != SQLITE_DONE ||
          counts_delete_.step() != SQLITE_DONE)
        st = db_error(err, "delete network");
      else if (!journal(id, std::nullopt, ChangeOp::kDelete, old.revision, err))
        st = Status::kError;
    }
    return st;
  });
}

Status SqliteStore::list_networks(std::vector<uint64_t>& out, std::string* err) {
  std::lock_guard<std::mutex> l(mu_);
  out.clear();
  sqlite::Use u(network_list_);
  int rc;
  while ((rc = network_list_.step()) == SQLITE_ROW) {
    uint64_t id;
    if (parse_network_id(network_list_.column_text(0), id)) out.push_back(id);
  }
  return rc == SQLITE_DONE ? Status::kOk : db_error(err, "list networks");
}

// ---- members ----

Status SqliteStore::get_member(uint64_t nwid, uint64_t address, Member& out, std::string* err) {
  std::lock_guard<std::mutex> l(mu_);
  sqlite::Use u(member_get_);
  member_get_.bind(1, format_network_id(nwid));
  member_get_.bind(2, int64_t(address));
  int rc = member_get_.step();
  if (rc == SQLITE_DONE) return Status::kNotFound;
  if (rc != SQLITE_ROW) return db_error(err, "get member");
  return decode_member(row_from(member_get_), out, err) ? Status::kOk : Status::kError;
}

Status SqliteStore::put_member_locked(const Member& in, bool keep_revision, PutResult* res,
                                      std::string* err) {
  Member m;
  if (!canonical_member(in, m, err)) return Status::kInvalid;
  MemberRow row = encode_member(m);
  Status st;
  if (!network_exists(row.nwid, &st, err)) return st;
  std::optional<MemberRow> old;
  {
    sqlite::Use u(member_get_);
    member_get_.bind(1, row.nwid);
    member_get_.bind(2, row.address);
    int rc = member_get_.step();
    if (rc == SQLITE_ROW) old = row_from(member_get_);
    else if (rc != SQLITE_DONE) return db_error(err, "put member");
  }
  if (!keep_revision) {
    if (old) {
      row.revision = old->revision;
      if (row == *old) {
        if (res) *res = {false, uint64_t(old->revision)};
        return Status::kOk;
      }
    }
    row.revision += 1;
  }
  {
    sqlite::Use u(member_put_);
    member_put_.bind(1, row.address);
    member_put_.bind(2, row.revision);
    member_put_.bind(3, row.authorized);
    member_put_.bind(4, row.active_bridge);
    if (row.identity) member_put_.bind(5, *row.identity);
    else member_put_.bind_null(5);
    member_put_.bind(6, row.last_authorized_time);
    member_put_.bind(7, row.last_deauthorized_time);
    member_put_.bind(8, row.doc);
    member_put_.bind(9, row.nwid);
    if (member_put_.step() != SQLITE_DONE) return db_error(err, "put member");
  }
  if (!journal(row.nwid, m.address, ChangeOp::kPut, uint64_t(row.revision), err))
    return Status::kError;
  if (res) *res = {true, uint64_t(row.revision)};
  return Status::kOk;
}

Status SqliteStore::put_member(const Member& m, PutResult* res, std::string* err) {
  std::lock_guard<std::mutex> l(mu_);
  return write_transaction(*this, err, [&] {
    return put_member_locked(m, false, res, err);
  });
}

Status SqliteStore::put_members(const std::vector<Member>& ms, std::string* err) {
  std::lock_guard<std::mutex> l(mu_);
  return write_transaction(*this, err, [&] {
    for (const Member& m : ms)
      if (Status st = put_member_locked(m, false, nullptr, err); st != Status::kOk) return st;
    return Status::kOk;
  });
}

Status SqliteStore::delete_member(uint64_t nwid, uint64_t address, std::string* err) {
  std::lock_guard<std::mutex> l(mu_);
  const std::string id = format_network_id(nwid);
  return write_transaction(*this, err, [&] {
    Status st = Status::kOk;
    int64_t revision = 0;
    {
      sqlite::Use u(member_get_);
      member_get_.bind(1, id);
      member_get_.bind(2, int64_t(address));
      int rc = member_get_.step();
      if (rc == SQLITE_DONE) st = Status::kNotFound;
      else if (rc != SQLITE_ROW) st = db_error(err, "delete member");
      else revision = member_get_.column_int(1);
    }
    if (st == Status::kOk) {
      sqlite::Use u(member_delete_);
      member_delete_.bind(1, id);
      member_delete_.bind(2, int64_t(address));
      if (member_delete_.step() != SQLITE_DONE) st = db_error(err, "delete member");
      else if (!journal(id, address, ChangeOp::kDelete, uint64_t(revision), err)) st = Status::kError;
    }
    return st;
  });
}

Status SqliteStore::list_members(uint64_t nwid, uint64_t after, std::size_t limit,
                                 MemberPage& out, std::string* err) {
  std::lock_guard<std::mutex> l(mu_);
  out = {};
  if (limit == 0) return Status::kOk;
  sqlite::Use u(member_page_);
  member_page_.bind(1, format_network_id(nwid));
  member_page_.bind(2, int64_t(after));
  // One more than asked says whether another page follows.
  member_page_.bind(3, int64_t(limit) + 1);
  int rc;
  while ((rc = member_page_.step()) == SQLITE_ROW) {
    if (out.members.size() == limit) {
      out.next_after = out.members.back().address;
      break;
    }
    Member m;
    if (!decode_member(row_from(member_page_), m, err)) return Status::kError;
    out.members.push_back(std::move(m));
  }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return db_error(err, "list members");
  return Status::kOk;
}

Status SqliteStore::count_members(uint64_t nwid, MemberCounts& out, std::string* err) {
  std::lock_guard<std::mutex> l(mu_);
  sqlite::Use u(member_count_);
  member_count_.bind(1, format_network_id(nwid));
  out = {};
  int rc = member_count_.step();
  if (rc == SQLITE_DONE) return Status::kOk;  // no member was ever stored
  if (rc != SQLITE_ROW) return db_error(err, "count members");
  out.total = uint64_t(member_count_.column_int(0));
  out.authorized = uint64_t(member_count_.column_int(1));
  return Status::kOk;
}

Status SqliteStore::import_records(const std::vector<Network>& networks,
                                   const std::vector<Member>& members, std::string* err) {
  std::lock_guard<std::mutex> l(mu_);
  return write_transaction(*this, err, [&] {
    Status st = Status::kOk;
    for (std::size_t i = 0; i < networks.size() && st == Status::kOk; ++i)
      st = put_network_locked(networks[i], true, nullptr, err);
    for (std::size_t i = 0; i < members.size() && st == Status::kOk; ++i)
      st = put_member_locked(members[i], true, nullptr, err);
    return st;
  });
}

// ---- journal ----

Status SqliteStore::last_change(uint64_t& seq, std::string* err) {
  std::lock_guard<std::mutex> l(mu_);
  sqlite::Use u(change_last_);
  if (change_last_.step() != SQLITE_ROW) return db_error(err, "last change");
  seq = uint64_t(change_last_.column_int(0));
  return Status::kOk;
}

Status SqliteStore::changes_since(uint64_t since, std::size_t limit, ChangeBatch& out,
                                  std::string* err) {
  std::lock_guard<std::mutex> l(mu_);
  out = {};
  {
    // A gap either way: entries after `since` trimmed, or `since` beyond
    // the newest entry (the database was restored from an older backup).
    sqlite::Use u1(change_first_), u2(change_last_);
    if (change_first_.step() != SQLITE_ROW || change_last_.step() != SQLITE_ROW)
      return db_error(err, "changes");
    if (!change_first_.column_is_null(0) && uint64_t(change_first_.column_int(0)) > since + 1)
      out.gap = true;
    if (uint64_t(change_last_.column_int(0)) < since) out.gap = true;
  }
  sqlite::Use u(change_since_);
  change_since_.bind(1, int64_t(since));
  change_since_.bind(2, int64_t(limit));
  int rc;
  while ((rc = change_since_.step()) == SQLITE_ROW) {
    Change c;
    c.seq = uint64_t(change_since_.column_int(0));
    if (!parse_network_id(change_since_.column_text(1), c.nwid)) continue;
    if (!change_since_.column_is_null(2)) c.address = uint64_t(change_since_.column_int(2));
    c.op = change_since_.column_int(3) == int64_t(ChangeOp::kDelete) ? ChangeOp::kDelete
                                                                       : ChangeOp::kPut;
    c.revision = uint64_t(change_since_.column_int(4));
    out.changes.push_back(c);
  }
  return rc == SQLITE_DONE ? Status::kOk : db_error(err, "changes");
}

// ---- online members ----

Status SqliteStore::put_online(const std::vector<OnlineRecord>& ms, std::string* err) {
  std::lock_guard<std::mutex> l(mu_);
  return write_transaction(*this, err, [&] {
    for (const OnlineRecord& m : ms) {
      sqlite::Use u(online_put_);
      online_put_.bind(1, format_network_id(m.nwid));
      online_put_.bind(2, int64_t(m.address));
      online_put_.bind(3, m.last_seen_ms);
      if (online_put_.step() != SQLITE_DONE) return db_error(err, "put online");
    }
    return Status::kOk;
  });
}

Status SqliteStore::list_online(uint64_t nwid, int64_t seen_since_ms,
                                std::vector<OnlineRecord>& out, std::string* err) {
  std::lock_guard<std::mutex> l(mu_);
  out.clear();
  sqlite::Use u(online_list_);
  online_list_.bind(1, format_network_id(nwid));
  online_list_.bind(2, seen_since_ms);
  int rc;
  while ((rc = online_list_.step()) == SQLITE_ROW)
    out.push_back({nwid, uint64_t(online_list_.column_int(0)), online_list_.column_int(1)});
  return rc == SQLITE_DONE ? Status::kOk : db_error(err, "list online");
}

Status SqliteStore::expire_online(int64_t seen_before_ms, std::string* err) {
  std::lock_guard<std::mutex> l(mu_);
  sqlite::Use u(online_expire_);
  online_expire_.bind(1, seen_before_ms);
  return online_expire_.step() == SQLITE_DONE ? Status::kOk : db_error(err, "expire online");
}

// ---- backup ----

namespace {

Status run_backup(sqlite3* to, sqlite3* from, std::string* err) {
  sqlite3_backup* b = sqlite3_backup_init(to, "main", from, "main");
  if (!b) {
    if (err) *err = std::string("backup: ") + sqlite3_errmsg(to);
    return Status::kError;
  }
  int rc = sqlite3_backup_step(b, -1);  // all pages at once: we hold the store's lock
  sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE) {
    if (err) *err = std::string("backup: ") + sqlite3_errstr(rc);
    return Status::kError;
  }
  return Status::kOk;
}

}  // namespace

Status SqliteStore::backup_to(const std::string& path, std::string* err) {
  std::lock_guard<std::mutex> l(mu_);
  if (!create_private(path, true, err)) return Status::kError;
  sqlite::Db dest;
  if (!dest.open(path, SQLITE_OPEN_READWRITE, err)) return Status::kError;
  Status st = run_backup(dest.get(), db_.get(), err);
  // The copy is a standalone file: fold its WAL in so the one file is it.
  if (st == Status::kOk && !dest.exec("PRAGMA journal_mode=DELETE", err)) st = Status::kError;
  dest.close();
  if (st != Status::kOk) ::unlink(path.c_str());
  return st;
}

Status SqliteStore::restore_from(const std::string& path, std::string* err) {
  std::lock_guard<std::mutex> l(mu_);
  sqlite::Db src;
  if (!src.open(path, SQLITE_OPEN_READONLY, err)) return Status::kError;
  // Refuse anything that is not a controller database we can read, before
  // touching ours.
  {
    sqlite::Stmt s;
    std::string e;
    if (!s.prepare(src.get(), "SELECT max(version) FROM schema_migrations", &e) ||
        s.step() != SQLITE_ROW || s.column_is_null(0)) {
      if (err) *err = path + ": not a flatnet controller database";
      return Status::kInvalid;
    }
    if (s.column_int(0) > sqlite::kSchemaLatest) {
      if (err) *err = path + ": schema version " + std::to_string(s.column_int(0)) +
                      " is newer than this flatnet knows";
      return Status::kInvalid;
    }
  }
  if (Status st = run_backup(db_.get(), src.get(), err); st != Status::kOk) return st;
  // The backup's header says its own journal mode; ours stays WAL.
  std::string mode;
  if (!pragma_value(db_, "PRAGMA journal_mode=WAL", mode, err) || mode != "wal")
    return Status::kError;
  if (!sqlite::migrate(db_, sqlite::kSchemaLatest, &version_, err)) return Status::kError;
  return Status::kOk;
}

}  // namespace flatnet::control::controller::store
