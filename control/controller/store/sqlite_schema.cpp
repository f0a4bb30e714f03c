#include "control/controller/store/sqlite_schema.hpp"

#include <chrono>

namespace flatnet::control::controller::store::sqlite {

namespace {

struct Migration {
  int version;
  const char* sql;
};

// Never edit an entry once released: add a new one. Network IDs are stored
// as their 16-hex-digit text (they do not fit SQLite's signed integers and
// text sorts in numeric order); member addresses (40 bits) as integers.
constexpr Migration kMigrations[] = {
    {1,
     // One row per record; members keep the fields that are looked up or
     // counted as columns and the rest of their JSON in `doc`.
     "CREATE TABLE networks ("
     "  nwid TEXT PRIMARY KEY NOT NULL,"
     "  revision INTEGER NOT NULL,"
     "  doc TEXT NOT NULL) WITHOUT ROWID;"
     "CREATE TABLE members ("
     "  nwid TEXT NOT NULL,"
     "  address INTEGER NOT NULL,"
     "  revision INTEGER NOT NULL,"
     "  authorized INTEGER NOT NULL,"
     "  active_bridge INTEGER NOT NULL,"
     "  identity TEXT,"
     "  doc TEXT NOT NULL,"
     "  PRIMARY KEY (nwid, address)) WITHOUT ROWID;"},
    {2,
     // The change journal, authorization times as columns (the controller
     // asks for the newest deauthorization of a network when it signs COMs),
     // and an index for counting authorized members without reading docs.
     "ALTER TABLE members ADD COLUMN last_authorized_time INTEGER NOT NULL DEFAULT 0;"
     "ALTER TABLE members ADD COLUMN last_deauthorized_time INTEGER NOT NULL DEFAULT 0;"
     "UPDATE members SET"
     "  last_authorized_time = coalesce(json_extract(doc, '$.lastAuthorizedTime'), 0),"
     "  last_deauthorized_time = coalesce(json_extract(doc, '$.lastDeauthorizedTime'), 0),"
     "  doc = json_remove(doc, '$.lastAuthorizedTime', '$.lastDeauthorizedTime');"
     "CREATE INDEX members_authorized ON members (nwid, authorized);"
     "CREATE TABLE changes ("
     "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
     "  nwid TEXT NOT NULL,"
     "  address INTEGER,"
     "  op INTEGER NOT NULL,"
     "  revision INTEGER NOT NULL);"},
    {3,
     // Member counts kept by triggers: counting 100,000 index entries took
     // ~20 ms, and the API reports the counts with every network. Puts are
     // upserts (an UPDATE), so the update trigger sees authorization flips.
     "CREATE TABLE member_counts ("
     "  nwid TEXT PRIMARY KEY NOT NULL,"
     "  total INTEGER NOT NULL,"
     "  authorized INTEGER NOT NULL) WITHOUT ROWID;"
     "INSERT INTO member_counts"
     "  SELECT nwid, count(*), sum(authorized != 0) FROM members GROUP BY nwid;"
     "CREATE TRIGGER members_count_insert AFTER INSERT ON members BEGIN"
     "  INSERT INTO member_counts VALUES (NEW.nwid, 1, NEW.authorized != 0)"
     "    ON CONFLICT (nwid) DO UPDATE SET total = total + 1,"
     "      authorized = authorized + (NEW.authorized != 0);"
     "END;"
     "CREATE TRIGGER members_count_delete AFTER DELETE ON members BEGIN"
     "  UPDATE member_counts SET total = total - 1,"
     "    authorized = authorized - (OLD.authorized != 0) WHERE nwid = OLD.nwid;"
     "END;"
     "CREATE TRIGGER members_count_update AFTER UPDATE OF authorized ON members BEGIN"
     "  UPDATE member_counts SET"
     "    authorized = authorized - (OLD.authorized != 0) + (NEW.authorized != 0)"
     "    WHERE nwid = NEW.nwid;"
     "END;"},
    {4,
     // Members seen online, so a restarted controller still sends
     // revocations to them (see store.hpp).
     "CREATE TABLE online_members ("
     "  nwid TEXT NOT NULL,"
     "  address INTEGER NOT NULL,"
     "  last_seen INTEGER NOT NULL,"
     "  PRIMARY KEY (nwid, address)) WITHOUT ROWID;"
     "CREATE INDEX online_members_seen ON online_members (last_seen);"},
};

bool current_version(Db& db, int* version, std::string* err) {
  if (!db.exec("CREATE TABLE IF NOT EXISTS schema_migrations ("
               "  version INTEGER PRIMARY KEY NOT NULL,"
               "  applied_ms INTEGER NOT NULL)",
               err))
    return false;
  Stmt s;
  if (!s.prepare(db.get(), "SELECT coalesce(max(version), 0) FROM schema_migrations", err))
    return false;
  if (s.step() != SQLITE_ROW) {
    if (err) *err = db.message();
    return false;
  }
  *version = int(s.column_int(0));
  return true;
}

}  // namespace

bool migrate(Db& db, int target, int* version, std::string* err) {
  int have = 0;
  if (!current_version(db, &have, err)) return false;
  if (have > kSchemaLatest) {
    if (err)
      *err = "controller database has schema version " + std::to_string(have) +
             ", newer than this flatnet knows (" + std::to_string(kSchemaLatest) + ")";
    return false;
  }
  for (const Migration& m : kMigrations) {
    if (m.version <= have || m.version > target) continue;
    std::string e;
    if (!db.exec("BEGIN IMMEDIATE", &e)) {
      if (err) *err = "schema migration " + std::to_string(m.version) + ": " + e;
      return false;
    }
    Stmt rec;
    bool ok = db.exec(m.sql, &e) &&
              rec.prepare(db.get(), "INSERT INTO schema_migrations VALUES (?, ?)", &e);
    if (ok) {
      const auto now = std::chrono::system_clock::now().time_since_epoch();
      rec.bind(1, int64_t(m.version));
      rec.bind(2, int64_t(std::chrono::duration_cast<std::chrono::milliseconds>(now).count()));
      ok = rec.step() == SQLITE_DONE || (e = db.message(), false);
    }
    if (!ok || !db.exec("COMMIT", &e)) {
      db.exec("ROLLBACK", nullptr);
      if (err) *err = "schema migration " + std::to_string(m.version) + ": " + e;
      return false;
    }
    have = m.version;
  }
  *version = have;
  return true;
}

}  // namespace flatnet::control::controller::store::sqlite
