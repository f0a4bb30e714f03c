// Thin RAII over libpq for the PostgreSQL store, its feed and the leader
// lock: a connection opened with flatnet's defaults under the caller's
// connection string, a result, and text parameters. Every query goes
// through PQexecParams (no server-side prepared statements), so a
// connection that was reset needs nothing re-prepared.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <libpq-fe.h>

namespace flatnet::control::controller::store::pg {

struct ConnClose {
  void operator()(PGconn* c) const { PQfinish(c); }
};
using Conn = std::unique_ptr<PGconn, ConnClose>;

// Opens a connection: `conninfo` is a libpq connection string, either a URI
// (postgresql://...) or key=value pairs; its values override flatnet's
// defaults (connect_timeout 10 s; TCP keepalives and a user timeout that
// notice a dead server within about 6 s; application_name flatnetd).
// nullptr + *err.
Conn connect(const std::string& conninfo, std::string* err);
// Whether `s` names a PostgreSQL database rather than a file path.
bool is_conninfo(std::string_view s);
std::string message(PGconn* c);  // the connection's last error, one line

class Params {
 public:
  Params& add(int64_t v) { return add(std::to_string(v)); }
  Params& add(std::string v) {
    vals_.emplace_back(std::move(v));
    return *this;
  }
  Params& null() {
    vals_.emplace_back(std::nullopt);
    return *this;
  }
  int size() const { return int(vals_.size()); }
  std::vector<const char*> pointers() const;

 private:
  std::vector<std::optional<std::string>> vals_;
};

class Result {
 public:
  Result() = default;
  explicit Result(PGresult* r) : r_(r) {}
  Result(Result&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  Result& operator=(Result&& o) noexcept {
    if (this != &o) {
      PQclear(r_);
      r_ = o.r_;
      o.r_ = nullptr;
    }
    return *this;
  }
  ~Result() { PQclear(r_); }

  // A command or a query that succeeded.
  bool ok() const {
    auto s = r_ ? PQresultStatus(r_) : PGRES_FATAL_ERROR;
    return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
  }
  int rows() const { return r_ ? PQntuples(r_) : 0; }
  bool is_null(int row, int col) const { return PQgetisnull(r_, row, col); }
  std::string text(int row, int col) const {
    return std::string(PQgetvalue(r_, row, col), size_t(PQgetlength(r_, row, col)));
  }
  int64_t int64(int row, int col) const;
  bool boolean(int row, int col) const { return PQgetvalue(r_, row, col)[0] == 't'; }
  std::string error() const;  // the server's message, one line
  PGresult* get() const { return r_; }

 private:
  PGresult* r_ = nullptr;
};

Result exec(PGconn* c, const char* sql, const Params& p = {});
// Runs statements without parameters (schema, BEGIN/COMMIT); false + *err.
bool exec_ok(PGconn* c, const char* sql, std::string* err);

}  // namespace flatnet::control::controller::store::pg
