#include "control/controller/store/pg_feed.hpp"

#include "control/controller/store/pg_schema.hpp"
#include "control/controller/store/pg_store.hpp"

namespace flatnet::control::controller::store {

namespace {

// Re-reads after notifications that arrived during a read; each round
// returns new entries, so this bounds only a writer faster than us.
constexpr int kMaxRounds = 16;

}  // namespace

std::unique_ptr<PgFeed> PgFeed::open(const std::string& conninfo, uint64_t since,
                                     std::string* err) {
  std::unique_ptr<PgFeed> f(new PgFeed);
  f->conn_ = pg::connect(conninfo, err);
  if (!f->conn_ || !f->listen(err)) return nullptr;
  f->last_ = since;
  return f;
}

bool PgFeed::listen(std::string* err) {
  std::string e;
  if (pg::exec_ok(conn_.get(), (std::string("LISTEN ") + pg::kChannel).c_str(), &e)) return true;
  if (err) *err = "listen: " + e;
  return false;
}

int PgFeed::wait_fd() const { return PQsocket(conn_.get()); }

bool PgFeed::consume_notifications() {
  PQconsumeInput(conn_.get());
  bool any = false;
  while (PGnotify* n = PQnotifies(conn_.get())) {
    any = true;
    PQfreemem(n);
  }
  return any;
}

bool PgFeed::signalled() {
  PGconn* c = conn_.get();
  if (PQstatus(c) == CONNECTION_OK && consume_notifications()) return true;
  if (PQstatus(c) == CONNECTION_OK) return false;
  // Lost: whatever happened meanwhile is in the journal, so say yes, and
  // listen again for what follows.
  PQreset(c);
  if (PQstatus(c) == CONNECTION_OK) listen(nullptr);
  return true;
}

Status PgFeed::drain(std::size_t limit, ChangeBatch& out, std::string* err) {
  out = {};
  PGconn* c = conn_.get();
  if (PQstatus(c) != CONNECTION_OK) {
    PQreset(c);
    if (PQstatus(c) != CONNECTION_OK) {
      if (err) *err = "postgresql: " + pg::message(c);
      return Status::kError;
    }
    // LISTEN before reading, so a commit after the read still wakes us.
    if (!listen(err)) return Status::kError;
  }
  // Notifications first, the journal after: a commit after the read leaves
  // a notification behind (the descriptor stays readable). libpq may read
  // notifications off the socket while it reads the query's answer; then
  // the descriptor says nothing of them, so we look again ourselves.
  consume_notifications();
  for (int round = 0; round < kMaxRounds && out.changes.size() < limit; ++round) {
    ChangeBatch b;
    if (Status st = pg_changes_since(c, last_, limit - out.changes.size(), b, err);
        st != Status::kOk)
      return st;
    out.gap = out.gap || b.gap;
    if (!b.changes.empty()) last_ = b.changes.back().seq;
    else if (b.gap) {
      // Restored from an older dump: go on from its newest entry.
      pg::Result r = pg::exec(c, "SELECT coalesce(max(seq), 0) FROM changes");
      if (r.ok() && r.rows() == 1) last_ = uint64_t(r.int64(0, 0));
    }
    out.changes.insert(out.changes.end(), b.changes.begin(), b.changes.end());
    if (!consume_notifications()) break;
  }
  return Status::kOk;
}

}  // namespace flatnet::control::controller::store
