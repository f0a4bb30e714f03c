// Drives the standby's LeaderLock from flatnetd's event loop without ever
// blocking it (only a reconnect blocks, for at most connect_timeout):
//   standby: the lock request stays queued on the server; fd() turns
//            readable when it is granted, and run() reports kGained;
//   leader:  every check_every_ms a check goes out; no answer within
//            check_timeout_ms, or a broken connection, and run() reports
//            kLost -- the controller must go silent at once, as the
//            standby may hold the lock by then -- and goes back to waiting.
// Poll fd() with the loop's other descriptors (it changes when the lock
// reconnects: read it again after run()) and call run() when it is
// readable or at next_deadline().
//
// Timing (docs/controller-store.md): the holder's process dies -> the
// server frees the lock at once, the standby holds it in milliseconds; its
// host or the network dies -> the server's keepalives end its session
// within about 6 s, and the old holder has gone silent within
// check_every_ms + check_timeout_ms (5 s) of losing the server.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "control/controller/store/pg_leader_lock.hpp"

namespace flatnet::control::controller::store {

class Leadership {
 public:
  struct Options {
    uint64_t check_every_ms = 2000;
    uint64_t check_timeout_ms = 3000;
    uint64_t retry_ms = 1000;  // after a failed connect or a lost lock
  };
  enum class Change { kNone, kGained, kLost };

  static std::unique_ptr<Leadership> open(const std::string& conninfo,
                                          uint64_t controller_address, Options opt,
                                          std::string* err);
  static std::unique_ptr<Leadership> open(const std::string& conninfo,
                                          uint64_t controller_address, std::string* err) {
    return open(conninfo, controller_address, Options{}, err);
  }

  // `now_ms`: a monotonic clock. *err says why on a failure (the state
  // machine goes on by itself: it retries after retry_ms).
  Change run(uint64_t now_ms, std::string* err);
  bool leader() const { return lock_->held(); }
  int fd() const { return lock_->fd(); }
  uint64_t next_deadline() const { return deadline_; }
  LeaderLock& lock() { return *lock_; }

 private:
  Leadership() = default;
  Change lost(uint64_t now_ms);

  Options opt_;
  std::unique_ptr<LeaderLock> lock_;
  bool checking_ = false;
  uint64_t check_sent_ = 0;
  uint64_t deadline_ = 0;
};

}  // namespace flatnet::control::controller::store
