#include "control/controller/store/store.hpp"

namespace flatnet::control::controller::store {

const char* status_name(Status s) {
  switch (s) {
    case Status::kOk: return "ok";
    case Status::kNotFound: return "not found";
    case Status::kInvalid: return "invalid";
    case Status::kError: return "database error";
  }
  return "?";
}

namespace {

// The feed of a backend without a change signal: changes_since from the
// last entry given, on the caller's schedule.
class JournalFeed final : public ChangeFeed {
 public:
  JournalFeed(Store& s, uint64_t since) : store_(s), last_(since) {}
  int wait_fd() const override { return -1; }
  Status drain(std::size_t limit, ChangeBatch& out, std::string* err) override {
    Status st = store_.changes_since(last_, limit, out, err);
    if (st != Status::kOk) return st;
    if (!out.changes.empty()) last_ = out.changes.back().seq;
    else if (out.gap) st = store_.last_change(last_, err);  // restored older: go on from its newest
    return st;
  }
  uint64_t last_seen() const override { return last_; }

 private:
  Store& store_;
  uint64_t last_;
};

}  // namespace

std::unique_ptr<ChangeFeed> Store::open_feed(uint64_t since, std::string*) {
  return std::make_unique<JournalFeed>(*this, since);
}

}  // namespace flatnet::control::controller::store
