// The PostgreSQL store's schema as an ordered list of migrations, recorded
// in `schema_migrations` as the SQLite store does (sqlite_schema.hpp).
// Several flatnetd instances may open one database at the same moment:
// migrating holds an advisory lock, and each migration is one transaction
// (PostgreSQL's DDL is transactional), so exactly one instance applies it.
#pragma once

#include <cstdint>
#include <string>

#include <libpq-fe.h>

namespace flatnet::control::controller::store::pg {

inline constexpr int kSchemaLatest = 2;

// Advisory lock keys (the two-int form, which never meets the one-bigint
// form LeaderLock uses): the first int is "FNC", the second the purpose.
inline constexpr int32_t kLockSpace = 0x464e43;
inline constexpr int32_t kLockJournal = 1;    // held by every writing transaction
inline constexpr int32_t kLockMigrate = 2;    // held while migrating

// The NOTIFY channel; its payload is the newest journal seq of the commit.
inline constexpr const char* kChannel = "flatnet_changes";

// Brings the database to `target` (kSchemaLatest in production; tests ask
// for an older one to test upgrades). *version gets the version reached.
bool migrate(PGconn* c, int target, int* version, std::string* err);

}  // namespace flatnet::control::controller::store::pg
