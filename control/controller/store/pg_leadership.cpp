#include "control/controller/store/pg_leadership.hpp"

namespace flatnet::control::controller::store {

std::unique_ptr<Leadership> Leadership::open(const std::string& conninfo,
                                             uint64_t controller_address, Options opt,
                                             std::string* err) {
  std::unique_ptr<Leadership> l(new Leadership);
  l->opt_ = opt;
  l->lock_ = LeaderLock::open(conninfo, controller_address, err);
  if (!l->lock_) return nullptr;
  return l;
}

Leadership::Change Leadership::lost(uint64_t now_ms) {
  lock_->lose();
  checking_ = false;
  deadline_ = now_ms + opt_.retry_ms;
  return Change::kLost;
}

Leadership::Change Leadership::run(uint64_t now_ms, std::string* err) {
  if (!lock_->held()) {
    if (now_ms < deadline_ && lock_->fd() < 0) return Change::kNone;  // retrying later
    // Queues the request (reconnecting if needed); a no-op while queued.
    if (lock_->begin_wait(err) != Status::kOk || lock_->poll_wait(err) != Status::kOk) {
      deadline_ = now_ms + opt_.retry_ms;
      return Change::kNone;
    }
    if (!lock_->held()) {
      deadline_ = now_ms + opt_.retry_ms;  // nothing to do until fd() says so
      return Change::kNone;
    }
    checking_ = false;
    deadline_ = now_ms + opt_.check_every_ms;
    return Change::kGained;
  }
  if (checking_) {
    bool answered = false;
    if (lock_->poll_check(&answered, err) != Status::kOk) return lost(now_ms);
    if (!answered) {
      if (now_ms >= check_sent_ + opt_.check_timeout_ms) {
        if (err) *err = "leader lock: lost: no answer within the check's timeout";
        return lost(now_ms);
      }
      deadline_ = check_sent_ + opt_.check_timeout_ms;
      return Change::kNone;
    }
    checking_ = false;
    deadline_ = now_ms + opt_.check_every_ms;
    return Change::kNone;
  }
  if (now_ms < deadline_) return Change::kNone;
  if (lock_->begin_check(err) != Status::kOk) return lost(now_ms);
  checking_ = true;
  check_sent_ = now_ms;
  deadline_ = now_ms + opt_.check_timeout_ms;
  return Change::kNone;
}

}  // namespace flatnet::control::controller::store
