#include "control/controller/store/pg_store.hpp"

#include <algorithm>
#include <cstring>
#include <map>

#include "control/controller/store/pg_feed.hpp"
#include "control/controller/store/pg_schema.hpp"
#include "control/controller/store/write_transaction.hpp"

namespace flatnet::control::controller::store {

using pg::Params;
using pg::Result;

namespace {

// As the SQLite store: the journal keeps this many newest entries; a reader
// further behind is told of the gap and reloads.
constexpr int64_t kJournalKeep = 1'000'000;
constexpr uint64_t kJournalTrimEvery = 4096;

constexpr const char* kMemberColumns =
    "address, revision, authorized, active_bridge, identity, last_authorized_time,"
    " last_deauthorized_time, doc, nwid";

const char* pg_bool(int64_t v) { return v ? "true" : "false"; }

}  // namespace

MemberRow PgStore::member_row(const Result& r, int i) {
  MemberRow m;
  m.address = r.int64(i, 0);
  m.revision = r.int64(i, 1);
  m.authorized = r.boolean(i, 2);
  m.active_bridge = r.boolean(i, 3);
  if (!r.is_null(i, 4)) m.identity = r.text(i, 4);
  m.last_authorized_time = r.int64(i, 5);
  m.last_deauthorized_time = r.int64(i, 6);
  m.doc = r.text(i, 7);
  m.nwid = r.text(i, 8);
  return m;
}

std::unique_ptr<PgStore> PgStore::open(const std::string& conninfo, std::string* err) {
  std::unique_ptr<PgStore> s(new PgStore);
  s->conninfo_ = conninfo;
  s->conn_ = pg::connect(conninfo, err);
  if (!s->conn_) return nullptr;
  if (!pg::migrate(s->c(), pg::kSchemaLatest, &s->version_, err)) return nullptr;
  return s;
}

PgStore::~PgStore() = default;

Status PgStore::connected(std::string* err) {
  if (PQstatus(c()) == CONNECTION_OK) return Status::kOk;
  PQreset(c());
  if (PQstatus(c()) == CONNECTION_OK) return Status::kOk;
  if (err) *err = "postgresql: " + pg::message(c());
  return Status::kError;
}

Status PgStore::fail(std::string* err, const std::string& what, const Result& r) {
  if (err) *err = what + ": " + (r.error().empty() ? pg::message(c()) : r.error());
  return Status::kError;
}

Status PgStore::begin_write(std::string* err) {
  if (Status st = connected(err); st != Status::kOk) return st;
  if (PQtransactionStatus(c()) != PQTRANS_IDLE) rollback();
  journaled_ = false;
  // One round trip: begin, then one writer at a time across every instance
  // on the database (see pg_store.hpp; the lock goes with the transaction),
  // then where the journal stands.
  static const std::string sql = "BEGIN; SELECT pg_advisory_xact_lock(" +
                                 std::to_string(pg::kLockSpace) + ", " +
                                 std::to_string(pg::kLockJournal) +
                                 "); SELECT coalesce(max(seq), 0) + 1 FROM changes";
  Result r(PQexec(c(), sql.c_str()));
  if (!r.ok() || r.rows() != 1) {
    Status st = fail(err, "begin", r);
    rollback();
    return st;
  }
  next_seq_ = uint64_t(r.int64(0, 0));
  return Status::kOk;
}

Status PgStore::commit(std::string* err) {
  // The notification goes with the commit, in one round trip; listeners
  // get it when (and only if) the transaction commits.
  std::string sql = "COMMIT";
  if (journaled_)
    sql = "SELECT pg_notify('" + std::string(pg::kChannel) + "', '" +
          std::to_string(next_seq_ - 1) + "'); COMMIT";
  Result r(PQexec(c(), sql.c_str()));
  // A COMMIT of a failed transaction "succeeds" as ROLLBACK: check the tag.
  if (r.ok() && std::strcmp(PQcmdStatus(r.get()), "COMMIT") == 0) return Status::kOk;
  Status st = fail(err, "commit", r);
  rollback();
  return st;
}

void PgStore::rollback() {
  if (PQstatus(c()) == CONNECTION_OK && PQtransactionStatus(c()) != PQTRANS_IDLE)
    pg::exec_ok(c(), "ROLLBACK", nullptr);
}

bool PgStore::journal(const std::string& nwid, std::optional<uint64_t> address, ChangeOp op,
                      uint64_t revision, std::string* err) {
  Params p;
  p.add(int64_t(next_seq_)).add(nwid);
  if (address) p.add(int64_t(*address));
  else p.null();
  p.add(int64_t(op)).add(int64_t(revision));
  Result r = pg::exec(c(), "INSERT INTO changes VALUES ($1, $2, $3, $4, $5)", p);
  if (!r.ok()) {
    fail(err, "journal", r);
    return false;
  }
  ++next_seq_;
  journaled_ = true;
  maybe_trim(1);
  return true;
}

void PgStore::maybe_trim(uint64_t added) {
  const uint64_t before = journal_writes_;
  journal_writes_ += added;
  if (journal_writes_ / kJournalTrimEvery == before / kJournalTrimEvery) return;
  if (int64_t(next_seq_) <= kJournalKeep) return;
  // A failed trim only leaves the journal longer; it must not fail the
  // change, so it runs in a savepoint.
  pg::exec_ok(c(), "SAVEPOINT trim", nullptr);
  Result t = pg::exec(c(), "DELETE FROM changes WHERE seq <= $1",
                      Params().add(int64_t(next_seq_) - kJournalKeep));
  pg::exec_ok(c(), t.ok() ? "RELEASE SAVEPOINT trim" : "ROLLBACK TO SAVEPOINT trim", nullptr);
}

// ---- networks ----

Status PgStore::get_network(uint64_t nwid, Network& out, std::string* err) {
  std::lock_guard<std::mutex> l(mu_);
  if (Status st = connected(err); st != Status::kOk) return st;
  Result r = pg::exec(c(), "SELECT doc FROM networks WHERE nwid = $1",
                      Params().add(format_network_id(nwid)));
  if (!r.ok()) return fail(err, "get network", r);
  if (r.rows() == 0) return Status::kNotFound;
  return parse_network(r.text(0, 0), 0, out, err) ? Status::kOk : Status::kError;
}

Status PgStore::put_network_locked(const Network& in, bool keep_revision, PutResult* res,
                                   std::string* err) {
  Network n;
  if (!canonical_network(in, n, err)) return Status::kInvalid;
  const std::string id = format_network_id(n.id);
  Result old = pg::exec(c(), "SELECT doc FROM networks WHERE nwid = $1", Params().add(id));
  if (!old.ok()) return fail(err, "put network", old);
  std::optional<uint64_t> old_revision;
  std::string old_doc;
  if (old.rows() == 1) {
    old_doc = old.text(0, 0);
    old_revision = stored_network_revision(old_doc);
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
  Result r = pg::exec(c(),
                      "INSERT INTO networks VALUES ($1, $2, $3) ON CONFLICT (nwid) DO UPDATE"
                      " SET revision = excluded.revision, doc = excluded.doc",
                      Params().add(id).add(int64_t(n.revision)).add(network_to_json(n).dump()));
  if (!r.ok()) return fail(err, "put network", r);
  if (!journal(id, std::nullopt, ChangeOp::kPut, n.revision, err)) return Status::kError;
  if (res) *res = {true, n.revision};
  return Status::kOk;
}

Status PgStore::put_network(const Network& n, PutResult* res, std::string* err) {
  std::lock_guard<std::mutex> l(mu_);
  return write_transaction(*this, err, [&] {
    return put_network_locked(n, false, res, err);
  });
}

Status PgStore::delete_network(uint64_t nwid, std::string* err) {
  std::lock_guard<std::mutex> l(mu_);
  const std::string id = format_network_id(nwid);
  return write_transaction(*this, err, [&] {
    Result old = pg::exec(c(), "SELECT doc FROM networks WHERE nwid = $1", Params().add(id));
    if (!old.ok()) return fail(err, "delete network", old);
    if (old.rows() == 0) return Status::kNotFound;
    Network n;
    if (!parse_network(old.text(0, 0), 0, n, err)) return Status::kError;
    // Every member removed gets a journal entry (they are the ones a
    // controller must send revocations to), numbered in address order.
    Result j = pg::exec(c(),
                        "INSERT INTO changes SELECT $1 + row_number() OVER (ORDER BY address) - 1,"
                        " nwid, address, $2, revision FROM members WHERE nwid = $3",
                        Params().add(int64_t(next_seq_)).add(int64_t(ChangeOp::kDelete)).add(id));
    if (!j.ok()) return fail(err, "delete network members", j);
    const uint64_t removed = std::strtoull(PQcmdTuples(j.get()), nullptr, 10);
    next_seq_ += removed;
    journaled_ = journaled_ || removed > 0;
    maybe_trim(removed);
    for (const char* sql : {"DELETE FROM members WHERE nwid = $1", "DELETE FROM networks WHERE nwid = $1",
                            "DELETE FROM member_counts WHERE nwid = $1"}) {
      Result d = pg::exec(c(), sql, Params().add(id));
      if (!d.ok()) return fail(err, "delete network", d);
    }
    if (!journal(id, std::nullopt, ChangeOp::kDelete, n.revision, err)) return Status::kError;
    return Status::kOk;
  });
}

Status PgStore::list_networks(std::vector<uint64_t>& out, std::string* err) {
  std::lock_guard<std::mutex> l(mu_);
  out.clear();
  if (Status st = connected(err); st != Status::kOk) return st;
  Result r = pg::exec(c(), "SELECT nwid FROM networks ORDER BY nwid");
  if (!r.ok()) return fail(err, "list networks", r);
  for (int i = 0; i < r.rows(); ++i) {
    uint64_t id;
    if (parse_network_id(r.text(i, 0), id)) out.push_back(id);
  }
  return Status::kOk;
}

// ---- members ----

Status PgStore::get_member(uint64_t nwid, uint64_t address, Member& out, std::string* err) {
  std::lock_guard<std::mutex> l(mu_);
  if (Status st = connected(err); st != Status::kOk) return st;
  Result r = pg::exec(c(),
                      (std::string("SELECT ") + kMemberColumns +
                       " FROM members WHERE nwid = $1 AND address = $2").c_str(),
                      Params().add(format_network_id(nwid)).add(int64_t(address)));
  if (!r.ok()) return fail(err, "get member", r);
  if (r.rows() == 0) return Status::kNotFound;
  return decode_member(member_row(r, 0), out, err) ? Status::kOk : Status::kError;
}

Status PgStore::put_member_locked(const Member& in, bool keep_revision, PutResult* res,
                                  std::string* err) {
  Member m;
  if (!canonical_member(in, m, err)) return Status::kInvalid;
  MemberRow row = encode_member(m);
  // The network row and the member's old row in one round trip.
  Result r = pg::exec(c(),
                      (std::string("SELECT true, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL"
                                   " FROM networks WHERE nwid = $1 UNION ALL SELECT false, ") +
                       kMemberColumns + " FROM members WHERE nwid = $1 AND address = $2")
                          .c_str(),
                      Params().add(row.nwid).add(row.address));
  if (!r.ok()) return fail(err, "put member", r);
  bool network = false;
  std::optional<MemberRow> old;
  for (int i = 0; i < r.rows(); ++i) {
    if (r.boolean(i, 0)) {
      network = true;
      continue;
    }
    // Columns shifted by the leading flag.
    MemberRow o;
    o.address = r.int64(i, 1);
    o.revision = r.int64(i, 2);
    o.authorized = r.boolean(i, 3);
    o.active_bridge = r.boolean(i, 4);
    if (!r.is_null(i, 5)) o.identity = r.text(i, 5);
    o.last_authorized_time = r.int64(i, 6);
    o.last_deauthorized_time = r.int64(i, 7);
    o.doc = r.text(i, 8);
    o.nwid = r.text(i, 9);
    old = std::move(o);
  }
  if (!network) {
    if (err) *err = "network " + row.nwid + " does not exist";
    return Status::kNotFound;
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
  Params p;
  p.add(row.nwid).add(row.address).add(row.revision).add(std::string(pg_bool(row.authorized)));
  p.add(std::string(pg_bool(row.active_bridge)));
  if (row.identity) p.add(*row.identity);
  else p.null();
  p.add(row.last_authorized_time).add(row.last_deauthorized_time).add(row.doc);
  // An upsert, not delete + insert: the count trigger sees an UPDATE of
  // `authorized` as a flip, not as a member leaving and coming back.
  Result w = pg::exec(c(),
                      "INSERT INTO members (nwid, address, revision, authorized, active_bridge,"
                      " identity, last_authorized_time, last_deauthorized_time, doc)"
                      " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
                      " ON CONFLICT (nwid, address) DO UPDATE SET"
                      " revision = excluded.revision, authorized = excluded.authorized,"
                      " active_bridge = excluded.active_bridge, identity = excluded.identity,"
                      " last_authorized_time = excluded.last_authorized_time,"
                      " last_deauthorized_time = excluded.last_deauthorized_time,"
                      " doc = excluded.doc",
                      p);
  if (!w.ok()) return fail(err, "put member", w);
  if (!journal(row.nwid, m.address, ChangeOp::kPut, uint64_t(row.revision), err))
    return Status::kError;
  if (res) *res = {true, uint64_t(row.revision)};
  return Status::kOk;
}

Status PgStore::put_member(const Member& m, PutResult* res, std::string* err) {
  std::lock_guard<std::mutex> l(mu_);
  return write_transaction(*this, err, [&] {
    return put_member_locked(m, false, res, err);
  });
}

Status PgStore::put_members(const std::vector<Member>& ms, std::string* err) {
  std::lock_guard<std::mutex> l(mu_);
  return write_transaction(*this, err, [&] {
    return put_members_locked(ms, false, err);
  });
}

Status PgStore::delete_member(uint64_t nwid, uint64_t address, std::string* err) {
  std::lock_guard<std::mutex> l(mu_);
  const std::string id = format_network_id(nwid);
  return write_transaction(*this, err, [&] {
    Result r = pg::exec(c(), "DELETE FROM members WHERE nwid = $1 AND address = $2 RETURNING revision",
                        Params().add(id).add(int64_t(address)));
    Status st = Status::kOk;
    if (!r.ok()) st = fail(err, "delete member", r);
    else if (r.rows() == 0) st = Status::kNotFound;
    else if (!journal(id, address, ChangeOp::kDelete, uint64_t(r.int64(0, 0)), err))
      st = Status::kError;
    return st;
  });
}

Status PgStore::list_members(uint64_t nwid, uint64_t after, std::size_t limit, MemberPage& out,
                             std::string* err) {
  std::lock_guard<std::mutex> l(mu_);
  out = {};
  if (limit == 0) return Status::kOk;
  if (Status st = connected(err); st != Status::kOk) return st;
  // One more than asked says whether another page follows.
  Result r = pg::exec(c(),
                      (std::string("SELECT ") + kMemberColumns +
                       " FROM members WHERE nwid = $1 AND address > $2 ORDER BY address LIMIT $3")
                          .c_str(),
                      Params().add(format_network_id(nwid)).add(int64_t(after))
                          .add(int64_t(limit) + 1));
  if (!r.ok()) return fail(err, "list members", r);
  for (int i = 0; i < r.rows(); ++i) {
    if (out.members.size() == limit) {
      out.next_after = out.members.back().address;
      break;
    }
    Member m;
    if (!decode_member(member_row(r, i), m, err)) return Status::kError;
    out.members.push_back(std::move(m));
  }
  return Status::kOk;
}

Status PgStore::count_members(uint64_t nwid, MemberCounts& out, std::string* err) {
  std::lock_guard<std::mutex> l(mu_);
  out = {};
  if (Status st = connected(err); st != Status::kOk) return st;
  Result r = pg::exec(c(), "SELECT total, authorized FROM member_counts WHERE nwid = $1",
                      Params().add(format_network_id(nwid)));
  if (!r.ok()) return fail(err, "count members", r);
  if (r.rows() == 0) return Status::kOk;  // no member was ever stored
  out.total = uint64_t(r.int64(0, 0));
  out.authorized = uint64_t(r.int64(0, 1));
  return Status::kOk;
}

Status PgStore::import_records(const std::vector<Network>& networks,
                               const std::vector<Member>& members, std::string* err) {
  std::lock_guard<std::mutex> l(mu_);
  return write_transaction(*this, err, [&] {
    Status st = Status::kOk;
    for (std::size_t i = 0; i < networks.size() && st == Status::kOk; ++i)
      st = put_network_locked(networks[i], true, nullptr, err);
    if (st == Status::kOk) st = put_members_locked(members, true, err);
    return st;
  });
}

// ---- journal ----

Status pg_changes_since(PGconn* c, uint64_t since, std::size_t limit, ChangeBatch& out,
                        std::string* err) {
  out = {};
  auto fail = [&](const Result& r) {
    if (err) *err = "changes: " + (r.error().empty() ? pg::message(c) : r.error());
    return Status::kError;
  };
  // A gap either way: entries after `since` trimmed, or `since` beyond the
  // newest entry (the database was restored from an older dump).
  Result ends = pg::exec(c, "SELECT min(seq), coalesce(max(seq), 0) FROM changes");
  if (!ends.ok() || ends.rows() != 1) return fail(ends);
  if (!ends.is_null(0, 0) && uint64_t(ends.int64(0, 0)) > since + 1) out.gap = true;
  if (uint64_t(ends.int64(0, 1)) < since) out.gap = true;
  Result r = pg::exec(c,
                      "SELECT seq, nwid, address, op, revision FROM changes WHERE seq > $1"
                      " ORDER BY seq LIMIT $2",
                      Params().add(int64_t(since)).add(int64_t(limit)));
  if (!r.ok()) return fail(r);
  for (int i = 0; i < r.rows(); ++i) {
    Change ch;
    ch.seq = uint64_t(r.int64(i, 0));
    if (!parse_network_id(r.text(i, 1), ch.nwid)) continue;
    if (!r.is_null(i, 2)) ch.address = uint64_t(r.int64(i, 2));
    ch.op = r.int64(i, 3) == int64_t(ChangeOp::kDelete) ? ChangeOp::kDelete : ChangeOp::kPut;
    ch.revision = uint64_t(r.int64(i, 4));
    out.changes.push_back(ch);
  }
  return Status::kOk;
}

Status PgStore::last_change(uint64_t& seq, std::string* err) {
  std::lock_guard<std::mutex> l(mu_);
  if (Status st = connected(err); st != Status::kOk) return st;
  Result r = pg::exec(c(), "SELECT coalesce(max(seq), 0) FROM changes");
  if (!r.ok() || r.rows() != 1) return fail(err, "last change", r);
  seq = uint64_t(r.int64(0, 0));
  return Status::kOk;
}

Status PgStore::changes_since(uint64_t since, std::size_t limit, ChangeBatch& out,
                              std::string* err) {
  std::lock_guard<std::mutex> l(mu_);
  if (Status st = connected(err); st != Status::kOk) return st;
  return pg_changes_since(c(), since, limit, out, err);
}

std::unique_ptr<ChangeFeed> PgStore::open_feed(uint64_t since, std::string* err) {
  return PgFeed::open(conninfo_, since, err);
}

// ---- online members ----

Status PgStore::put_online(const std::vector<OnlineRecord>& ms, std::string* err) {
  if (ms.empty()) return Status::kOk;
  // One statement over arrays; duplicates folded first (an upsert may not
  // touch a row twice), and keys in order so two writers never deadlock.
  std::map<std::pair<uint64_t, uint64_t>, int64_t> rows;
  for (const OnlineRecord& m : ms) {
    auto [it, fresh] = rows.emplace(std::make_pair(m.nwid, m.address), m.last_seen_ms);
    if (!fresh) it->second = std::max(it->second, m.last_seen_ms);
  }
  std::string nwids = "{", addrs = "{", seen = "{";
  for (const auto& [k, t] : rows) {
    if (nwids.size() > 1) nwids += ',', addrs += ',', seen += ',';
    nwids += format_network_id(k.first);
    addrs += std::to_string(k.second);
    seen += std::to_string(t);
  }
  nwids += '}', addrs += '}', seen += '}';
  std::lock_guard<std::mutex> l(mu_);
  if (Status st = connected(err); st != Status::kOk) return st;
  Result r = pg::exec(c(),
                      "INSERT INTO online_members"
                      " SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[])"
                      " ON CONFLICT (nwid, address) DO UPDATE SET"
                      " last_seen = greatest(online_members.last_seen, excluded.last_seen)",
                      Params().add(nwids).add(addrs).add(seen));
  return r.ok() ? Status::kOk : fail(err, "put online", r);
}

Status PgStore::list_online(uint64_t nwid, int64_t seen_since_ms, std::vector<OnlineRecord>& out,
                            std::string* err) {
  std::lock_guard<std::mutex> l(mu_);
  out.clear();
  if (Status st = connected(err); st != Status::kOk) return st;
  Result r = pg::exec(c(),
                      "SELECT address, last_seen FROM online_members"
                      " WHERE nwid = $1 AND last_seen >= $2 ORDER BY address",
                      Params().add(format_network_id(nwid)).add(seen_since_ms));
  if (!r.ok()) return fail(err, "list online", r);
  for (int i = 0; i < r.rows(); ++i) out.push_back({nwid, uint64_t(r.int64(i, 0)), r.int64(i, 1)});
  return Status::kOk;
}

Status PgStore::expire_online(int64_t seen_before_ms, std::string* err) {
  std::lock_guard<std::mutex> l(mu_);
  if (Status st = connected(err); st != Status::kOk) return st;
  Result r = pg::exec(c(), "DELETE FROM online_members WHERE last_seen < $1",
                      Params().add(seen_before_ms));
  return r.ok() ? Status::kOk : fail(err, "expire online", r);
}

}  // namespace flatnet::control::controller::store
