// Thin RAII over the SQLite C API for the SQLite store: a connection, a
// prepared statement kept for the store's lifetime, and a scope that resets
// a statement after use so it never holds a read snapshot open.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <sqlite3.h>

namespace flatnet::control::controller::store::sqlite {

class Db {
 public:
  Db() = default;
  ~Db() { close(); }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  bool open(const std::string& path, int flags, std::string* err);
  void close();
  sqlite3* get() const { return db_; }
  // Runs statements without results (schema, pragmas, BEGIN/COMMIT).
  bool exec(const char* sql, std::string* err);
  std::string message() const { return db_ ? sqlite3_errmsg(db_) : "no database"; }

 private:
  sqlite3* db_ = nullptr;
};

class Stmt {
 public:
  Stmt() = default;
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  bool prepare(sqlite3* db, const char* sql, std::string* err);
  sqlite3_stmt* get() const { return s_; }

  void bind(int i, int64_t v) { sqlite3_bind_int64(s_, i, v); }
  void bind(int i, std::string_view v) {
    sqlite3_bind_text(s_, i, v.data(), int(v.size()), SQLITE_TRANSIENT);
  }
  void bind_null(int i) { sqlite3_bind_null(s_, i); }
  int step() { return sqlite3_step(s_); }
  int64_t column_int(int i) const { return sqlite3_column_int64(s_, i); }
  bool column_is_null(int i) const { return sqlite3_column_type(s_, i) == SQLITE_NULL; }
  std::string column_text(int i) const {
    const unsigned char* t = sqlite3_column_text(s_, i);
    return t ? std::string(reinterpret_cast<const char*>(t), size_t(sqlite3_column_bytes(s_, i)))
             : std::string();
  }
  void reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }

 private:
  sqlite3_stmt* s_ = nullptr;
};

// Resets the statement when the scope ends, whatever path leaves it.
class Use {
 public:
  explicit Use(Stmt& s) : s_(s) {}
  ~Use() { s_.reset(); }
  Use(const Use&) = delete;
  Use& operator=(const Use&) = delete;

 private:
  Stmt& s_;
};

}  // namespace flatnet::control::controller::store::sqlite
