// The PostgreSQL store's change feed: a connection of its own that LISTENs
// on the store's channel. Its socket is the wait descriptor: readable when
// a NOTIFY arrived (some instance committed a change) -- the daemon polls it
// with its other descriptors, nothing polls the database. drain() reads the
// journal after the last entry it returned, so a NOTIFY lost or collapsed
// (PostgreSQL folds equal ones) costs nothing: the journal, not the
// notification, is what is read.
#pragma once

#include <memory>
#include <string>

#include "control/controller/store/pg_util.hpp"
#include "control/controller/store/store.hpp"

namespace flatnet::control::controller::store {

class PgFeed final : public ChangeFeed {
 public:
  static std::unique_ptr<PgFeed> open(const std::string& conninfo, uint64_t since,
                                      std::string* err);
  int wait_fd() const override;
  // Also reconnects (and LISTENs again) when the connection was lost; the
  // entries committed meanwhile are in the journal, so none is missed.
  Status drain(std::size_t limit, ChangeBatch& out, std::string* err) override;
  uint64_t last_seen() const override { return last_; }
  // A NOTIFY arrived since the last call (or the connection was lost:
  // reconnects and LISTENs again, and says true).
  bool signalled() override;
  // The feed connection's server process (pg_terminate_backend in tests).
  int backend_pid() const { return PQbackendPID(conn_.get()); }

 private:
  PgFeed() = default;
  bool listen(std::string* err);
  // Takes every notification libpq has read; true if there was one.
  bool consume_notifications();

  pg::Conn conn_;
  uint64_t last_ = 0;
};

}  // namespace flatnet::control::controller::store
