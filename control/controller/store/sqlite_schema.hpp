// The SQLite store's schema as an ordered list of migrations. A database
// records the versions applied in `schema_migrations`; opening one applies
// the missing ones in order, each in its own transaction, and refuses a
// database written by a newer flatnet (a version we do not know).
#pragma once

#include <string>

#include "control/controller/store/sqlite_util.hpp"

namespace flatnet::control::controller::store::sqlite {

inline constexpr int kSchemaLatest = 4;

// Brings the database to `target` (kSchemaLatest in production; tests ask
// for an older one to test upgrades). *version gets the version reached.
bool migrate(Db& db, int target, int* version, std::string* err);

}  // namespace flatnet::control::controller::store::sqlite
