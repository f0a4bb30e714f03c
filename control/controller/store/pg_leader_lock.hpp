// Which of several flatnetd instances with the same controller identity
// speaks for it: the one holding a PostgreSQL session advisory lock on a key
// derived from the controller's address, on a connection of its own. A
// standby waits for the lock and stays silent on the network until it holds
// it. The server releases the lock when the holder's session ends: at once
// when its process dies (the kernel closes the socket), and within about
// 10 s when its host or the network between dies (TCP keepalives on both
// sides, see pg_util.hpp and acquire()). The holder, for its part, treats a
// connection it cannot use as a lost lock (check()), and must then go
// silent: the standby may hold the lock by then.
//
//   auto lock = LeaderLock::open(conninfo, controller_address, &err);
//   standby: lock->begin_wait(); poll lock->fd(); lock->poll_wait() until held()
//            (or lock->acquire(timeout) where blocking is fine)
//   leader:  every few seconds lock->check(timeout); if !held(): go silent
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "control/controller/store/pg_util.hpp"
#include "control/controller/store/store.hpp"

namespace flatnet::control::controller::store {

class LeaderLock {
 public:
  static std::unique_ptr<LeaderLock> open(const std::string& conninfo,
                                          uint64_t controller_address, std::string* err);
  ~LeaderLock();
  LeaderLock(const LeaderLock&) = delete;
  LeaderLock& operator=(const LeaderLock&) = delete;

  // The advisory lock key: "FNC" in the top 24 bits, the 40-bit address
  // below (positive, and unlike any key of the store's own locks, which use
  // the two-int form).
  static int64_t key_for(uint64_t controller_address);

  bool held() const { return held_; }
  // One try, no waiting (pg_try_advisory_lock).
  Status try_acquire(std::string* err);
  // Waits at most `wait` for the lock: the server grants it the moment the
  // holder's session ends, so a standby takes over without polling.
  Status acquire(std::chrono::milliseconds wait, std::string* err);

  // The same wait without blocking: begin_wait() queues the request,
  // fd() becomes readable when the server answers, poll_wait() reads the
  // answer (held() then) or returns kOk with held() false while waiting.
  Status begin_wait(std::string* err);
  int fd() const;
  Status poll_wait(std::string* err);
  // Gives up waiting (cancels the queued request).
  void cancel_wait();

  // For the holder: a round trip on the lock's connection within `timeout`.
  // No answer, or a broken connection, is a lost lock: held() becomes false,
  // the connection is closed (so the server frees the lock, if it still
  // thinks we hold it) and a later try reconnects.
  Status check(std::chrono::milliseconds timeout, std::string* err);
  // The same check without blocking: begin_check() sends it, poll_check()
  // reads the answer when fd() is readable (*answered false while none
  // came; the caller decides when it waited too long and calls lose()).
  Status begin_check(std::string* err);
  Status poll_check(bool* answered, std::string* err);
  // Drops the connection (and so the lock, or a queued wait).
  void lose();
  // Frees the lock (ending the session), for an orderly handover.
  void release();

  // The lock connection's server process (pg_terminate_backend in tests).
  int backend_pid() const;

 private:
  LeaderLock() = default;
  Status ensure_connected(std::string* err);
  Status read_check(std::string* err);  // the check's answer, which has come
  // Waits for the connection to have a complete answer; false on timeout.
  bool wait_result(std::chrono::milliseconds timeout);

  std::string conninfo_;
  int64_t key_ = 0;
  pg::Conn conn_;
  bool held_ = false;
  bool waiting_ = false;   // a pg_advisory_lock request is queued
  bool checking_ = false;  // a check is sent, its answer not yet read
};

}  // namespace flatnet::control::controller::store
