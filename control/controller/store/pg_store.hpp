// The scale-out controller store: one PostgreSQL database shared by several
// flatnetd instances (API instances that write, the controller that serves
// members and follows the journal). Same guarantees as the SQLite store:
// every change is one transaction, nothing of a refused or failed call is
// stored, revisions count as stock's FileDB counts them, and the journal
// entry is written in the change's transaction. Besides:
//  - every writing transaction first takes one advisory lock (pg_schema.hpp)
//    so journal seqs are given in commit order and a read-modify-write of a
//    revision never races another instance's;
//  - a writing transaction that journaled something sends NOTIFY on
//    kChannel before committing; PostgreSQL delivers it on commit, and only
//    then, to every listening feed (open_feed);
//  - a connection that broke (server restart, network) is reset on the
//    next call; the call that found it broken fails with kError.
// See docs/controller-store.md.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "control/controller/store/pg_util.hpp"
#include "control/controller/store/record_rows.hpp"
#include "control/controller/store/store.hpp"

namespace flatnet::control::controller::store {

class PgStore final : public Store {
 public:
  // `conninfo`: postgresql://... or a libpq key=value string. Connects and
  // migrates to the latest schema. nullptr + *err.
  static std::unique_ptr<PgStore> open(const std::string& conninfo, std::string* err);
  ~PgStore() override;

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
  // A feed on its own connection that LISTENs on kChannel: its wait_fd is
  // that connection's socket.
  std::unique_ptr<ChangeFeed> open_feed(uint64_t since, std::string* err) override;
  Status put_online(const std::vector<OnlineRecord>& ms, std::string* err) override;
  Status list_online(uint64_t nwid, int64_t seen_since_ms, std::vector<OnlineRecord>& out,
                     std::string* err) override;
  Status expire_online(int64_t seen_before_ms, std::string* err) override;

 private:
  PgStore() = default;
  PGconn* c() const { return conn_.get(); }
  Status connected(std::string* err);  // resets a broken connection
  // The transaction steps write_transaction (write_transaction.hpp) runs.
  template <class Db, class Change>
  friend Status write_transaction(Db&, std::string*, Change&&);
  Status begin_write(std::string* err);
  Status commit(std::string* err);
  void rollback();
  Status fail(std::string* err, const std::string& what, const pg::Result& r);
  // Row `i` of a result whose columns are, in order: address, revision,
  // authorized, active_bridge, identity, last_authorized_time,
  // last_deauthorized_time, doc, nwid (every member SELECT here and in
  // pg_store_bulk.cpp).
  static MemberRow member_row(const pg::Result& r, int i);
  Status put_network_locked(const Network& n, bool keep_revision, PutResult* res,
                            std::string* err);
  Status put_member_locked(const Member& m, bool keep_revision, PutResult* res,
                           std::string* err);
  // Many members in a few statements per chunk (pg_store_bulk.cpp): the
  // same result as put_member_locked for each in turn.
  Status put_members_locked(const std::vector<Member>& ms, bool keep_revision, std::string* err);
  Status put_member_chunk(std::vector<MemberRow>& rows, bool keep_revision, std::string* err);
  void maybe_trim(uint64_t added);
  bool journal(const std::string& nwid, std::optional<uint64_t> address, ChangeOp op,
               uint64_t revision, std::string* err);

  std::mutex mu_;  // serializes every call; one connection
  std::string conninfo_;
  pg::Conn conn_;
  int version_ = 0;
  // Inside a writing transaction: the seq the next journal entry gets, and
  // whether one was written (then the commit notifies).
  uint64_t next_seq_ = 0;
  bool journaled_ = false;
  uint64_t journal_writes_ = 0;
};

// The journal as both PgStore and its feed read it (they hold different
// connections).
Status pg_changes_since(PGconn* c, uint64_t since, std::size_t limit, ChangeBatch& out,
                        std::string* err);

}  // namespace flatnet::control::controller::store
