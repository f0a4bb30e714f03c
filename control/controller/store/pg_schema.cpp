#include "control/controller/store/pg_schema.hpp"

#include <chrono>

#include "control/controller/store/pg_util.hpp"

namespace flatnet::control::controller::store::pg {

namespace {

struct Migration {
  int version;
  const char* sql;
};

// Never edit an entry once released: add a new one. The layout is the
// SQLite store's (record_rows.hpp): network IDs as 16-hex-digit text (they
// do not fit a signed bigint, and text sorts in numeric order), member
// addresses (40 bits) as bigint, documents as text, not jsonb, so a stored
// document reads back byte for byte and "nothing changed" is a string
// comparison.
constexpr Migration kMigrations[] = {
    {1,
     "CREATE TABLE networks ("
     "  nwid text PRIMARY KEY,"
     "  revision bigint NOT NULL,"
     "  doc text NOT NULL);"
     "CREATE TABLE members ("
     "  nwid text NOT NULL,"
     "  address bigint NOT NULL,"
     "  revision bigint NOT NULL,"
     "  authorized boolean NOT NULL,"
     "  active_bridge boolean NOT NULL,"
     "  identity text,"
     "  last_authorized_time bigint NOT NULL,"
     "  last_deauthorized_time bigint NOT NULL,"
     "  doc text NOT NULL,"
     "  PRIMARY KEY (nwid, address));"
     "CREATE INDEX members_authorized ON members (nwid, authorized);"
     // Counts kept by a trigger, as in SQLite's schema v3: the API reports
     // them with every network, and counting 100,000 rows per request is
     // too slow.
     "CREATE TABLE member_counts ("
     "  nwid text PRIMARY KEY,"
     "  total bigint NOT NULL,"
     "  authorized bigint NOT NULL);"
     "CREATE FUNCTION flatnet_member_counts() RETURNS trigger LANGUAGE plpgsql AS $$"
     " BEGIN"
     "  IF TG_OP = 'INSERT' THEN"
     "    INSERT INTO member_counts VALUES (NEW.nwid, 1, NEW.authorized::int)"
     "      ON CONFLICT (nwid) DO UPDATE SET total = member_counts.total + 1,"
     "        authorized = member_counts.authorized + NEW.authorized::int;"
     "  ELSIF TG_OP = 'DELETE' THEN"
     "    UPDATE member_counts SET total = total - 1,"
     "      authorized = authorized - OLD.authorized::int WHERE nwid = OLD.nwid;"
     "  ELSE"
     "    UPDATE member_counts SET"
     "      authorized = authorized - OLD.authorized::int + NEW.authorized::int"
     "      WHERE nwid = NEW.nwid;"
     "  END IF;"
     "  RETURN NULL;"
     " END $$;"
     "CREATE TRIGGER members_count AFTER INSERT OR DELETE OR UPDATE OF authorized ON members"
     "  FOR EACH ROW EXECUTE FUNCTION flatnet_member_counts();"
     // The journal. seq is given by the writer under the journal lock
     // (max + 1), not by a sequence: a sequence hands out numbers in
     // statement order, not commit order, and skips on rollback, so a
     // reader following `seq > n` could miss a slower transaction's entry.
     "CREATE TABLE changes ("
     "  seq bigint PRIMARY KEY,"
     "  nwid text NOT NULL,"
     "  address bigint,"
     "  op smallint NOT NULL,"
     "  revision bigint NOT NULL);"},
    {2,
     // Members seen online, so a standby that takes over (or a restarted
     // controller) still sends revocations to them (store.hpp).
     "CREATE TABLE online_members ("
     "  nwid text NOT NULL,"
     "  address bigint NOT NULL,"
     "  last_seen bigint NOT NULL,"
     "  PRIMARY KEY (nwid, address));"
     "CREATE INDEX online_members_seen ON online_members (last_seen);"},
};

bool current_version(PGconn* c, int* version, std::string* err) {
  if (!exec_ok(c,
               "CREATE TABLE IF NOT EXISTS schema_migrations ("
               "  version integer PRIMARY KEY,"
               "  applied_ms bigint NOT NULL)",
               err))
    return false;
  Result r = exec(c, "SELECT coalesce(max(version), 0) FROM schema_migrations");
  if (!r.ok() || r.rows() != 1) {
    if (err) *err = r.error();
    return false;
  }
  *version = int(r.int64(0, 0));
  return true;
}

bool migrate_locked(PGconn* c, int target, int* version, std::string* err) {
  int have = 0;
  if (!current_version(c, &have, err)) return false;
  if (have > kSchemaLatest) {
    if (err)
      *err = "controller database has schema version " + std::to_string(have) +
             ", newer than this flatnet knows (" + std::to_string(kSchemaLatest) + ")";
    return false;
  }
  for (const Migration& m : kMigrations) {
    if (m.version <= have || m.version > target) continue;
    std::string e;
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    const int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(now).count();
    bool ok = exec_ok(c, "BEGIN", &e) && exec_ok(c, m.sql, &e);
    if (ok) {
      Result r = exec(c, "INSERT INTO schema_migrations VALUES ($1, $2)",
                      Params().add(m.version).add(ms));
      ok = r.ok() || (e = r.error(), false);
    }
    if (!ok || !exec_ok(c, "COMMIT", &e)) {
      exec_ok(c, "ROLLBACK", nullptr);
      if (err) *err = "schema migration " + std::to_string(m.version) + ": " + e;
      return false;
    }
    have = m.version;
  }
  *version = have;
  return true;
}

}  // namespace

bool migrate(PGconn* c, int target, int* version, std::string* err) {
  Result lock = exec(c, "SELECT pg_advisory_lock($1, $2)",
                     Params().add(kLockSpace).add(kLockMigrate));
  if (!lock.ok()) {
    if (err) *err = "schema lock: " + lock.error();
    return false;
  }
  bool ok = migrate_locked(c, target, version, err);
  exec(c, "SELECT pg_advisory_unlock($1, $2)", Params().add(kLockSpace).add(kLockMigrate));
  return ok;
}

}  // namespace flatnet::control::controller::store::pg
