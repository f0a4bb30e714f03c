#include "control/controller/store/notified_store.hpp"

namespace flatnet::control::controller::store {

Status NotifiedStore::changes_since(uint64_t since, std::size_t limit, ChangeBatch& out,
                                    std::string* err) {
  // signalled() first, always: it takes the notifications, so the next
  // turn's question is about commits after this one's answer.
  const bool told = !feed_ || feed_->signalled();
  if (!told && known_ && since == end_) {
    ++skips_;
    out = {};
    return Status::kOk;
  }
  ++queries_;
  Status st = inner_.changes_since(since, limit, out, err);
  if (st != Status::kOk) {
    known_ = false;
    return st;
  }
  // A full answer may have left more: the next call asks again.
  known_ = out.changes.size() < limit && !out.gap;
  end_ = out.changes.empty() ? since : out.changes.back().seq;
  return st;
}

}  // namespace flatnet::control::controller::store
