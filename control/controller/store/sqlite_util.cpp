#include "control/controller/store/sqlite_util.hpp"

namespace flatnet::control::controller::store::sqlite {

bool Db::open(const std::string& path, int flags, std::string* err) {
  close();
  int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    if (err) *err = path + ": " + (db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
    close();
    return false;
  }
  sqlite3_extended_result_codes(db_, 1);
  return true;
}

void Db::close() {
  if (db_) sqlite3_close_v2(db_);
  db_ = nullptr;
}

bool Db::exec(const char* sql, std::string* err) {
  char* msg = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &msg) == SQLITE_OK) return true;
  if (err) *err = msg ? msg : message();
  sqlite3_free(msg);
  return false;
}

bool Stmt::prepare(sqlite3* db, const char* sql, std::string* err) {
  sqlite3_finalize(s_);
  s_ = nullptr;
  // PERSISTENT: these statements live as long as the store.
  if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s_, nullptr) == SQLITE_OK)
    return true;
  if (err) *err = std::string("preparing \"") + sql + "\": " + sqlite3_errmsg(db);
  return false;
}

}  // namespace flatnet::control::controller::store::sqlite
