// The PostgreSQL server of the store tests: tools/scripts/pg-test-server.sh
// starts one and names its socket in FLATNET_PG_HOST/PORT/USER. Without
// them (PostgreSQL not installed, or the binary run by hand) the PostgreSQL
// tests skip saying why -- and fail under CI=true, where the server must be
// there. Each test gets a database of its own, dropped afterwards.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <optional>
#include <string>

#include "control/controller/store/pg_util.hpp"

namespace flatnet::control::controller::testing {

inline bool ci() {
  const char* c = std::getenv("CI");
  return c && std::string(c) == "true";
}

// "host=... port=... user=..." of the test server, or nullopt.
inline std::optional<std::string> pg_server() {
  const char* host = std::getenv("FLATNET_PG_HOST");
  const char* port = std::getenv("FLATNET_PG_PORT");
  const char* user = std::getenv("FLATNET_PG_USER");
  if (!host || !port || !user) return std::nullopt;
  return std::string("host=") + host + " port=" + port + " user=" + user;
}

inline constexpr const char* kNoServer =
    "no PostgreSQL server: these tests run through tools/scripts/pg-test-server.sh "
    "(meson suite 'pg'), which needs Debian's postgresql-15 (tools/scripts/setup.sh)";

// In a fixture's SetUp or a test body: skips (fails under CI=true) when
// there is no server.
#define FLATNET_REQUIRE_PG()                                                        \
  do {                                                                              \
    if (!::flatnet::control::controller::testing::pg_server()) {                   \
      if (::flatnet::control::controller::testing::ci()) FAIL() << ::flatnet::control::controller::testing::kNoServer; \
      GTEST_SKIP() << ::flatnet::control::controller::testing::kNoServer;          \
    }                                                                               \
  } while (0)

class PgDatabase {
 public:
  PgDatabase() {
    auto server = pg_server();
    if (!server) return;
    static std::atomic<int> n{0};
    name_ = "fnt_" + std::to_string(getpid()) + "_" + std::to_string(n++);
    std::string err;
    admin_ = store::pg::connect(*server + " dbname=postgres", &err);
    if (!admin_) {
      ADD_FAILURE() << err;
      return;
    }
    std::string e;
    if (!store::pg::exec_ok(admin_.get(), ("CREATE DATABASE " + name_).c_str(), &e)) {
      ADD_FAILURE() << e;
      admin_.reset();
      return;
    }
    conninfo_ = *server + " dbname=" + name_;
  }
  ~PgDatabase() {
    if (admin_ && !conninfo_.empty())
      store::pg::exec_ok(admin_.get(), ("DROP DATABASE " + name_ + " WITH (FORCE)").c_str(),
                         nullptr);
  }
  PgDatabase(const PgDatabase&) = delete;
  PgDatabase& operator=(const PgDatabase&) = delete;

  bool ok() const { return !conninfo_.empty(); }
  const std::string& conninfo() const { return conninfo_; }
  const std::string& name() const { return name_; }
  // A superuser connection to the server's maintenance database.
  PGconn* admin() const { return admin_.get(); }

 private:
  std::string name_, conninfo_;
  store::pg::Conn admin_;
};

}  // namespace flatnet::control::controller::testing
