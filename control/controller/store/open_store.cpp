#include "control/controller/store/open_store.hpp"

#include "control/controller/store/pg_store.hpp"
#include "control/controller/store/pg_util.hpp"
#include "control/controller/store/sqlite_store.hpp"

namespace flatnet::control::controller::store {

bool names_postgresql(const std::string& where) { return pg::is_conninfo(where); }

std::unique_ptr<Store> open_store(const std::string& where, std::string* err) {
  if (names_postgresql(where)) return PgStore::open(where, err);
  return SqliteStore::open(where, err);
}

}  // namespace flatnet::control::controller::store
