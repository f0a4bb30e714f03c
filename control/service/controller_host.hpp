// flatnetd's controller role (issue 11): the store it answers from and the
// ConfigService plugged into the core (Core::set_controller). A node
// controls the networks whose IDs start with its address; the role is on
// unless the flatnet config says "controller": false (or --no-controller).
// The store is SQLite at <home>/controller.db unless the setting
// "controllerDb" names another file or a PostgreSQL connection string
// (postgresql://... or key=value; store/open_store.hpp). With PostgreSQL
// several flatnetd with this identity may share the database: each waits
// for the leader lock (store/pg_leadership.hpp) and its controller stays
// silent -- requests dropped, no pushes or revocations -- until it holds
// it; on taking over it sends the revocations the journal's newest entries
// call for (controller/standby.hpp); on losing it, it goes silent at once.
// Who asked for configs is kept in the store's online set either way.
//
// Threads: the daemon's loop calls run() and the core calls the service
// with the loop's mutex held; the API may use store() from its own
// threads (the store serializes calls itself), and its changes reach the
// service through the store's journal.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "control/controller/config_service.hpp"
#include "control/controller/standby.hpp"
#include "control/controller/store/notified_store.hpp"
#include "control/controller/store/pg_leadership.hpp"
#include "control/controller/store/store.hpp"
#include "control/service/status.hpp"

namespace flatnet::control::service {

// How often the journal is read: often enough that a revocation goes out
// well within issue 11's 2 s, rarely enough that a busy loop does not
// query the database every turn.
inline constexpr uint64_t kControllerRunMs = 100;

class ControllerHost {
 public:
  // Opens the store (`db`: "" = <home>/controller.db, a path, or a
  // postgresql:// string). nullptr + *err when it cannot.
  static std::unique_ptr<ControllerHost> open(const std::string& home, const std::string& db,
                                              std::string* err);

  // Makes the service on `vl1` (the core) and returns the handler for
  // Core::set_controller (the service behind its standby gate). Once.
  Vl2Handler& start(Vl1Link& vl1);
  // Every loop turn: the leader lock (cheap: no query unless a check is
  // due); the service at most every kControllerRunMs, and only as leader.
  void run(uint64_t now, Actions& out);
  // False while a standby (PostgreSQL, another instance holds the lock).
  bool leader() const { return gate_ && gate_->leader(); }
  // When run() has work next (the loop's deadline): the service's next run
  // while leading, the leader lock's next step with PostgreSQL.
  uint64_t next_run() const;

  controller::store::Store& store() { return *store_; }
  // The controller's address: the node's (networks <address>xxxxxx).
  uint64_t address() const { return address_; }
  const std::string& location() const { return location_; }  // where the store is
  std::vector<MetricSample> metrics() const;

 private:
  void leadership(uint64_t now, Actions& out);
  void make_service();
  void bridge(uint64_t now, Actions& out);

  std::unique_ptr<controller::store::Store> store_;
  std::unique_ptr<controller::store::NotifiedStore> journal_;  // store_ for the service
  std::unique_ptr<controller::ConfigService> service_;
  std::unique_ptr<controller::StandbyGate> gate_;
  std::unique_ptr<controller::store::Leadership> leadership_;  // PostgreSQL only
  std::string conninfo_;  // PostgreSQL: for the leader lock (never logged)
  Vl1Link* vl1_ = nullptr;
  std::string location_;
  uint64_t address_ = 0;
  uint64_t next_run_ = 0;
  uint64_t next_flush_ = 0;
  uint64_t next_lock_retry_ = 0;  // PostgreSQL: reconnecting the leader lock
  uint64_t next_expire_ = 0;
  uint64_t bridge_until_ = 0, bridge_seq_ = 0;  // after a takeover, see leadership()
  uint64_t takeovers_ = 0, losses_ = 0, takeover_revocations_ = 0, online_errors_ = 0;
  std::string lock_error_;
};

}  // namespace flatnet::control::service
