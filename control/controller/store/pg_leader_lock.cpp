#include "control/controller/store/pg_leader_lock.hpp"

#include <poll.h>

namespace flatnet::control::controller::store {

using pg::Params;
using pg::Result;

namespace {

constexpr int64_t kKeyTag = 0x464e43;  // "FNC"

Status failed(std::string* err, const std::string& what, const std::string& why) {
  if (err) *err = "leader lock: " + what + ": " + why;
  return Status::kError;
}

}  // namespace

int64_t LeaderLock::key_for(uint64_t controller_address) {
  return (kKeyTag << 40) | int64_t(controller_address & 0xffffffffffULL);
}

std::unique_ptr<LeaderLock> LeaderLock::open(const std::string& conninfo,
                                             uint64_t controller_address, std::string* err) {
  std::unique_ptr<LeaderLock> l(new LeaderLock);
  l->conninfo_ = conninfo;
  l->key_ = key_for(controller_address);
  if (l->ensure_connected(err) != Status::kOk) return nullptr;
  return l;
}

LeaderLock::~LeaderLock() { release(); }

Status LeaderLock::ensure_connected(std::string* err) {
  if (conn_ && PQstatus(conn_.get()) == CONNECTION_OK) return Status::kOk;
  held_ = waiting_ = checking_ = false;
  conn_ = pg::connect(conninfo_, err);
  if (!conn_) return Status::kError;
  // The server's side of noticing a dead holder host: keepalives on the
  // session's socket (ignored on a Unix socket, where the kernel tells at
  // once), and no statement timeout for the wait itself.
  std::string e;
  if (!pg::exec_ok(conn_.get(),
                   "SET tcp_keepalives_idle = 3; SET tcp_keepalives_interval = 1;"
                   " SET tcp_keepalives_count = 3; SET tcp_user_timeout = 5000;"
                   " SET statement_timeout = 0",
                   &e)) {
    conn_.reset();
    return failed(err, "session settings", e);
  }
  return Status::kOk;
}

void LeaderLock::lose() {
  held_ = waiting_ = checking_ = false;
  conn_.reset();  // ends the session: the server frees whatever it held
}

Status LeaderLock::try_acquire(std::string* err) {
  if (held_) return Status::kOk;
  if (waiting_) cancel_wait();
  if (Status st = ensure_connected(err); st != Status::kOk) return st;
  Result r = pg::exec(conn_.get(), "SELECT pg_try_advisory_lock($1)", Params().add(key_));
  if (!r.ok() || r.rows() != 1) {
    std::string why = r.error();
    lose();
    return failed(err, "try", why);
  }
  held_ = r.boolean(0, 0);
  return Status::kOk;
}

Status LeaderLock::begin_wait(std::string* err) {
  if (held_ || waiting_) return Status::kOk;
  if (Status st = ensure_connected(err); st != Status::kOk) return st;
  Params p;
  p.add(key_);
  auto v = p.pointers();
  if (!PQsendQueryParams(conn_.get(), "SELECT pg_advisory_lock($1)", 1, nullptr, v.data(), nullptr,
                         nullptr, 0)) {
    std::string why = pg::message(conn_.get());
    lose();
    return failed(err, "wait", why);
  }
  waiting_ = true;
  return Status::kOk;
}

int LeaderLock::fd() const { return conn_ ? PQsocket(conn_.get()) : -1; }

Status LeaderLock::poll_wait(std::string* err) {
  if (!waiting_) return Status::kOk;
  PGconn* c = conn_.get();
  if (!PQconsumeInput(c)) {
    std::string why = pg::message(c);
    lose();
    return failed(err, "wait", why);
  }
  if (PQisBusy(c)) return Status::kOk;  // still queued behind the holder
  bool ok = false;
  std::string why;
  while (PGresult* raw = PQgetResult(c)) {
    Result r(raw);
    if (r.ok() && r.rows() == 1) ok = true;
    else why = r.error();
  }
  waiting_ = false;
  if (!ok) {
    lose();
    return failed(err, "wait", why);
  }
  held_ = true;
  return Status::kOk;
}

void LeaderLock::cancel_wait() {
  if (!waiting_) return;
  PGconn* c = conn_.get();
  if (PGcancel* cn = PQgetCancel(c)) {
    char buf[256];
    PQcancel(cn, buf, sizeof buf);
    PQfreeCancel(cn);
  }
  // The lock may have been granted just before the cancel arrived: then we
  // hold it and must keep it (or free it).
  bool granted = false;
  if (wait_result(std::chrono::milliseconds(2000))) {
    while (PGresult* raw = PQgetResult(c)) {
      Result r(raw);
      if (r.ok() && r.rows() == 1) granted = true;
    }
  } else {
    lose();
    return;
  }
  waiting_ = false;
  if (granted) {
    Result u = pg::exec(c, "SELECT pg_advisory_unlock($1)", Params().add(key_));
    if (!u.ok()) lose();
  }
}

bool LeaderLock::wait_result(std::chrono::milliseconds timeout) {
  PGconn* c = conn_.get();
  const auto end = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (!PQconsumeInput(c)) return true;  // broken: PQgetResult reports it
    if (!PQisBusy(c)) return true;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        end - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{PQsocket(c), POLLIN, 0};
    ::poll(&p, 1, int(left.count()));
  }
}

Status LeaderLock::acquire(std::chrono::milliseconds wait, std::string* err) {
  if (held_) return Status::kOk;
  if (Status st = begin_wait(err); st != Status::kOk) return st;
  if (wait_result(wait)) return poll_wait(err);
  cancel_wait();
  return Status::kOk;  // not held: the holder is alive
}

namespace {

// Whether the server still counts the lock as ours, which also proves the
// session is alive.
constexpr const char* kCheckSql =
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
    " AND granted AND objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = $1";

}  // namespace

Status LeaderLock::begin_check(std::string* err) {
  if (!held_ || checking_) return Status::kOk;
  Params p;
  p.add(key_);
  auto v = p.pointers();
  if (!PQsendQueryParams(conn_.get(), kCheckSql, 1, nullptr, v.data(), nullptr, nullptr, 0)) {
    std::string why = pg::message(conn_.get());
    lose();
    return failed(err, "lost", why);
  }
  checking_ = true;
  return Status::kOk;
}

Status LeaderLock::poll_check(bool* answered, std::string* err) {
  *answered = false;
  if (!checking_) return Status::kOk;
  if (!PQconsumeInput(conn_.get())) {
    std::string why = pg::message(conn_.get());
    lose();
    *answered = true;
    return failed(err, "lost", why);
  }
  if (PQisBusy(conn_.get())) return Status::kOk;
  *answered = true;
  return read_check(err);
}

Status LeaderLock::read_check(std::string* err) {
  checking_ = false;
  bool still = false;
  std::string why;
  while (PGresult* raw = PQgetResult(conn_.get())) {
    Result r(raw);
    if (r.ok() && r.rows() == 1) still = r.int64(0, 0) == 1;
    else why = r.error();
  }
  if (still) return Status::kOk;
  lose();
  return failed(err, "lost", why.empty() ? "the server no longer counts it as ours" : why);
}

Status LeaderLock::check(std::chrono::milliseconds timeout, std::string* err) {
  if (!held_) return Status::kOk;
  if (Status st = begin_check(err); st != Status::kOk) return st;
  if (!wait_result(timeout)) {
    lose();
    return failed(err, "lost", "no answer within the check's timeout");
  }
  return read_check(err);
}

void LeaderLock::release() {
  if (!conn_) return;
  if (waiting_) cancel_wait();
  if (checking_) {
    if (wait_result(std::chrono::milliseconds(2000))) read_check(nullptr);
    else lose();
  }
  if (!conn_) return;
  if (held_ && conn_) pg::exec(conn_.get(), "SELECT pg_advisory_unlock($1)", Params().add(key_));
  held_ = false;
  conn_.reset();
}

int LeaderLock::backend_pid() const { return conn_ ? PQbackendPID(conn_.get()) : 0; }

}  // namespace flatnet::control::controller::store
