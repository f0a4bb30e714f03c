// The embedded controller store: one SQLite database in the home directory
// (kDefaultFileName), in WAL mode with synchronous=FULL, so a change is on
// disk when its call returns and kill -9 (or power loss) loses no
// acknowledged change. Created 0600 (SQLite gives the -wal and -shm files
// the database's mode). See README.md and docs/controller.md.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "control/controller/store/sqlite_schema.hpp"
#include "control/controller/store/sqlite_util.hpp"
#include "control/controller/store/store.hpp"

namespace flatnet::control::controller::store {

inline constexpr const char* kDefaultFileName = "controller.db";

class SqliteStore final : public Store {
 public:
  struct Options {
    // true: synchronous=FULL, every commit synced to disk before the call
    // returns (survives power loss). false: synchronous=NORMAL, which in WAL
    // mode still survives kill -9 of the process (the commit is in the
    // kernel's page cache) but may lose the last commits on power loss; it
    // saves one fsync per change (docs/bench-controller.md).
    bool power_safe = true;
  };
  // Opens (creating if missing) and migrates to the latest schema.
  // nullptr + *err.
  static std::unique_ptr<SqliteStore> open(const std::string& path, std::string* err,
                                           Options opt);
  static std::unique_ptr<SqliteStore> open(const std::string& path, std::string* err) {
    return open(path, err, Options{});
  }
  ~SqliteStore() override;

  int schema_version() const { return version_; }

  Status get_network(uint64_t nwid, Network& out, std::string* err) override;
  Status put_network(const Network& n, PutResult* res, std::string* err) override;
  Status delete_network(uint64_t nwid, std::string* err) override;
  Status list_networks(std::vector<uint64_t>& out, std::string* err) override;
  Status get_member(uint64_t nwid, uint64_t address, Member& out, std::string* err) override;
  Status put_member(const Member& m, PutResult* res, std::string* err) override;
  Status put_members(const std::vector<Member>& ms, std::string* err) override;
  Status delete_member(uint64_t nwid, uint64_t address, std::string* err) override;
  Status list_members(uint64_t nwid, uint64_t after, std::size_t limit, MemberPage& out,
                      std::string* err) override;
  Status count_members(uint64_t nwid, MemberCounts& out, std::string* err) override;
  Status import_records(const std::vector<Network>& networks, const std::vector<Member>& members,
                        std::string* err) override;
  Status last_change(uint64_t& seq, std::string* err) override;
  Status changes_since(uint64_t since, std::size_t limit, ChangeBatch& out,
                       std::string* err) override;
  Status put_online(const std::vector<OnlineRecord>& ms, std::string* err) override;
  Status list_online(uint64_t nwid, int64_t seen_since_ms, std::vector<OnlineRecord>& out,
                     std::string* err) override;
  Status expire_online(int64_t seen_before_ms, std::string* err) override;

  // A consistent copy of the whole database (SQLite's online backup API)
  // into a new file, created 0600. Other calls of this store wait for it
  // (it copies all pages in one step); other processes can still read.
  Status backup_to(const std::string& path, std::string* err);
  // Replaces the whole content with a backup's, then migrates it if the
  // backup is older. A controller reloads what it caches afterwards: the
  // journal is the backup's.
  Status restore_from(const std::string& path, std::string* err);

 private:
  SqliteStore() = default;
  bool prepare_all(std::string* err);
  // The transaction steps write_transaction (write_transaction.hpp) runs.
  template <class Db, class Change>
  friend Status write_transaction(Db&, std::string*, Change&&);
  Status begin_write(std::string* err);
  Status commit(std::string* err);
  void rollback();
  bool network_exists(const std::string& nwid, Status* st, std::string* err);
  Status read_member(Member& out, std::string* err);  // from members_get_'s current row
  Status put_member_locked(const Member& m, bool keep_revision, PutResult* res, std::string* err);
  Status put_network_locked(const Network& n, bool keep_revision, PutResult* res,
                            std::string* err);
  bool journal(const std::string& nwid, std::optional<uint64_t> address, ChangeOp op,
               uint64_t revision, std::string* err);
  void trim_journal();
  Status db_error(std::string* err, const std::string& what);

  std::mutex mu_;  // serializes every call; one connection
  std::string path_;
  sqlite::Db db_;
  int version_ = 0;
  uint64_t journal_writes_ = 0;
  sqlite::Stmt network_get_, network_put_, network_delete_, network_list_;
  sqlite::Stmt member_get_, member_put_, member_delete_, member_page_, member_count_;
  sqlite::Stmt members_of_network_, members_delete_all_, counts_delete_;
  sqlite::Stmt change_put_, change_last_, change_first_, change_since_, change_trim_;
  sqlite::Stmt online_put_, online_list_, online_expire_;
};

}  // namespace flatnet::control::controller::store
