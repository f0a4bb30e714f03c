// Opens the controller store a setting names: a PostgreSQL connection
// string (postgresql://... or libpq key=value pairs, pg::is_conninfo) opens
// PgStore, anything else is the path of an SQLite database file.
#pragma once

#include <memory>
#include <string>

#include "control/controller/store/store.hpp"

namespace flatnet::control::controller::store {

std::unique_ptr<Store> open_store(const std::string& where, std::string* err);
// Whether open_store would open PostgreSQL for `where` (then a standby's
// LeaderLock can use the same string).
bool names_postgresql(const std::string& where);

}  // namespace flatnet::control::controller::store
