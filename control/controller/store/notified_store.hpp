// A Store that answers "anything new in the journal?" without asking the
// database unless it was told something changed: the controller's journal
// follower calls changes_since every turn, and against PostgreSQL that
// would be polling. Everything else passes through to the wrapped store.
// changes_since queries only when the feed signalled (a NOTIFY arrived on
// its connection -- one for each commit that journaled, ours included),
// when the caller asks from another point than where the last answer
// ended, or when the last answer was full (more may wait). With a feed
// that has no signal (SQLite) every call queries, as before.
#pragma once

#include <memory>

#include "control/controller/store/store.hpp"

namespace flatnet::control::controller::store {

class NotifiedStore final : public Store {
 public:
  // `feed`: from inner.open_feed(); its own cursor is not used, only its
  // signal.
  NotifiedStore(Store& inner, std::unique_ptr<ChangeFeed> feed)
      : inner_(inner), feed_(std::move(feed)) {}

  // Journal queries made and skipped (metrics, and the tests' proof that
  // an idle controller does not poll).
  uint64_t journal_queries() const { return queries_; }
  uint64_t journal_skips() const { return skips_; }

  Status changes_since(uint64_t since, std::size_t limit, ChangeBatch& out,
                       std::string* err) override;

  Status get_network(uint64_t nwid, Network& out, std::string* err) override {
    return inner_.get_network(nwid, out, err);
  }
  Status put_network(const Network& n, PutResult* res, std::string* err) override {
    return inner_.put_network(n, res, err);
  }
  Status delete_network(uint64_t nwid, std::string* err) override {
    return inner_.delete_network(nwid, err);
  }
  Status list_networks(std::vector<uint64_t>& out, std::string* err) override {
    return inner_.list_networks(out, err);
  }
  Status get_member(uint64_t nwid, uint64_t address, Member& out, std::string* err) override {
    return inner_.get_member(nwid, address, out, err);
  }
  Status put_member(const Member& m, PutResult* res, std::string* err) override {
    return inner_.put_member(m, res, err);
  }
  Status put_members(const std::vector<Member>& ms, std::string* err) override {
    return inner_.put_members(ms, err);
  }
  Status delete_member(uint64_t nwid, uint64_t address, std::string* err) override {
    return inner_.delete_member(nwid, address, err);
  }
  Status list_members(uint64_t nwid, uint64_t after, std::size_t limit, MemberPage& out,
                      std::string* err) override {
    return inner_.list_members(nwid, after, limit, out, err);
  }
  Status count_members(uint64_t nwid, MemberCounts& out, std::string* err) override {
    return inner_.count_members(nwid, out, err);
  }
  Status import_records(const std::vector<Network>& networks, const std::vector<Member>& members,
                        std::string* err) override {
    return inner_.import_records(networks, members, err);
  }
  Status last_change(uint64_t& seq, std::string* err) override {
    return inner_.last_change(seq, err);
  }
  std::unique_ptr<ChangeFeed> open_feed(uint64_t since, std::string* err) override {
    return inner_.open_feed(since, err);
  }
  Status put_online(const std::vector<OnlineRecord>& ms, std::string* err) override {
    return inner_.put_online(ms, err);
  }
  Status list_online(uint64_t nwid, int64_t seen_since_ms, std::vector<OnlineRecord>& out,
                     std::string* err) override {
    return inner_.list_online(nwid, seen_since_ms, out, err);
  }
  Status expire_online(int64_t seen_before_ms, std::string* err) override {
    return inner_.expire_online(seen_before_ms, err);
  }

 private:
  Store& inner_;
  std::unique_ptr<ChangeFeed> feed_;
  bool known_ = false;     // `end_` holds where the last complete answer ended
  uint64_t end_ = 0;
  uint64_t queries_ = 0, skips_ = 0;
};

}  // namespace flatnet::control::controller::store
