// flatnetd's controller role (issue 11): the store it answers from and the
// ConfigService plugged into the core (Core::set_controller). A node
// controls the networks whose IDs start with its address; the role is on
// unless the flatnet config says "controller": false (or --no-controller).
// The store is SQLite at <home>/controller.db unless the setting
// "controllerDb" names another file; a postgresql:// connection string is
// refused until the PostgreSQL backend is built in.
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

  // Makes the service on `vl1` (the core) and returns it for
  // Core::set_controller. Once.
  controller::ConfigService& start(Vl1Link& vl1);
  void run(uint64_t now, Actions& out);  // at most every kControllerRunMs
  uint64_t next_run() const { return next_run_; }  // when run() has work next (loop deadline)

  controller::store::Store& store() { return *store_; }
  // The controller's address: the node's (networks <address>xxxxxx).
  uint64_t address() const { return address_; }
  const std::string& location() const { return location_; }  // where the store is
  std::vector<MetricSample> metrics() const;

 private:
  std::unique_ptr<controller::store::Store> store_;
  std::unique_ptr<controller::ConfigService> service_;
  std::string location_;
  uint64_t address_ = 0;
  uint64_t next_run_ = 0;
};

}  // namespace flatnet::control::service
