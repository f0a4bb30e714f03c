// What the controller (issue 11) needs from its database, whatever the
// backend: records by key, members of a network in pages, counts, a
// change journal so a controller that did not make a change (another API
// instance, a restore, an import) can learn of it, a feed that wakes the
// controller when the journal grows, and the set of members seen online (so
// a restarted or standby controller knows whom to send revocations).
// SQLite implements it (sqlite_store.hpp), and PostgreSQL (pg_store.hpp)
// with LISTEN/NOTIFY behind the feed. open_store.hpp picks one from a path
// or a connection string.
//
// Every call that changes something is one transaction: it is entirely
// stored (and durable, see the backend) when it returns kOk, and nothing of
// it is stored otherwise. Calls are serialized inside the store; any thread
// may call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "control/controller/member.hpp"
#include "control/controller/network.hpp"

namespace flatnet::control::controller::store {

enum class Status {
  kOk,
  kNotFound,   // the record (or, for a member put, its network) does not exist
  kInvalid,    // the record was refused (bad field, over a limit); nothing stored
  kError,      // the database failed; nothing stored
};
const char* status_name(Status s);

struct PutResult {
  // false when the record equalled the stored one apart from its revision;
  // then nothing was written and `revision` is the stored one (stock's
  // FileDB::save skips such a save the same way).
  bool changed = false;
  uint64_t revision = 0;  // the revision now stored
};

struct MemberPage {
  std::vector<Member> members;  // ascending address
  // Pass as `after` for the next page; nullopt when this page is the last.
  std::optional<uint64_t> next_after;
};

struct MemberCounts {
  uint64_t total = 0;
  uint64_t authorized = 0;
};

enum class ChangeOp : uint8_t { kPut = 1, kDelete = 2 };

// One journal entry per changed record, in commit order. A network delete
// writes one entry for the network and one per member it removed, so a
// controller learns whom to send revocations.
struct Change {
  uint64_t seq = 0;
  uint64_t nwid = 0;
  std::optional<uint64_t> address;  // nullopt: the network record itself
  ChangeOp op = ChangeOp::kPut;
  uint64_t revision = 0;            // of the record after a put, before a delete
};

struct ChangeBatch {
  std::vector<Change> changes;
  // The journal no longer holds entries right after the `since` asked for
  // (they were trimmed), or `since` is beyond its newest entry (restored
  // from an older backup); the caller must reload what it caches.
  bool gap = false;
};

// A member that asked its controller for a config lately: the controller
// sends revocations to these when a member is deauthorized or deleted.
struct OnlineRecord {
  uint64_t nwid = 0;
  uint64_t address = 0;
  int64_t last_seen_ms = 0;  // wall clock, ms since the epoch
  bool operator==(const OnlineRecord&) const = default;
};

// Follows the journal for the controller that serves members: drain() gives
// the entries after the last one it gave. wait_fd() is a descriptor that
// becomes readable when another writer committed changes (PostgreSQL:
// LISTEN/NOTIFY on the feed's own connection), so a daemon polls it with its
// other descriptors and drains only when woken; -1 when the backend has no
// such signal (SQLite: the controller drains on its own timer and after its
// own writes). The descriptor may change after a drain (the feed reconnected
// after losing its connection): read it again after every drain.
class ChangeFeed {
 public:
  virtual ~ChangeFeed() = default;
  virtual int wait_fd() const = 0;
  // At most `limit` entries, oldest first; consumes the wake-up. On a gap
  // (see ChangeBatch) the caller reloads, and the feed goes on after the
  // newest entry it returned, or from the journal's newest when it returned
  // none.
  virtual Status drain(std::size_t limit, ChangeBatch& out, std::string* err) = 0;
  // The seq of the newest entry drained (or the `since` it was opened at).
  virtual uint64_t last_seen() const = 0;
  // Takes the pending wake-ups without reading the journal: true when some
  // arrived (or the feed cannot tell: no signal, or its connection was
  // lost and is being restored) -- then the journal may have grown.
  virtual bool signalled() { return true; }
};

class Store {
 public:
  virtual ~Store() = default;

  virtual Status get_network(uint64_t nwid, Network& out, std::string* err) = 0;
  // Creates or replaces. The stored revision becomes the old stored
  // revision + 1 (or the given record's + 1 when new), as stock counts.
  virtual Status put_network(const Network& n, PutResult* res, std::string* err) = 0;
  // Removes the network and all its members.
  virtual Status delete_network(uint64_t nwid, std::string* err) = 0;
  virtual Status list_networks(std::vector<uint64_t>& out, std::string* err) = 0;

  virtual Status get_member(uint64_t nwid, uint64_t address, Member& out, std::string* err) = 0;
  // kNotFound when the member's network does not exist. Revision as for
  // put_network.
  virtual Status put_member(const Member& m, PutResult* res, std::string* err) = 0;
  // Several members in one transaction (all or none), each counted as
  // put_member would; for bulk changes such as imports and benchmarks.
  virtual Status put_members(const std::vector<Member>& ms, std::string* err) = 0;
  virtual Status delete_member(uint64_t nwid, uint64_t address, std::string* err) = 0;
  // Members with address > `after` (0 = from the start), at most `limit`.
  virtual Status list_members(uint64_t nwid, uint64_t after, std::size_t limit, MemberPage& out,
                              std::string* err) = 0;
  virtual Status count_members(uint64_t nwid, MemberCounts& out, std::string* err) = 0;

  // Stores records exactly as given, revisions included (restoring a stock
  // controller.d, not an edit), replacing any with the same keys; one
  // transaction. Members' networks must be among `networks` or stored.
  virtual Status import_records(const std::vector<Network>& networks,
                                const std::vector<Member>& members, std::string* err) = 0;

  // The sequence number of the newest journal entry (0 if none).
  virtual Status last_change(uint64_t& seq, std::string* err) = 0;
  // Entries with seq > `since`, oldest first, at most `limit`.
  virtual Status changes_since(uint64_t since, std::size_t limit, ChangeBatch& out,
                               std::string* err) = 0;
  // A feed of the journal after `since`. The default follows changes_since
  // and has no wait descriptor; PostgreSQL's listens for NOTIFY.
  virtual std::unique_ptr<ChangeFeed> open_feed(uint64_t since, std::string* err);

  // Online members. Not journaled: they are the serving controller's own
  // state, kept here so a standby or restarted controller inherits them.
  // Upserts; a member's last_seen_ms only moves forward. One transaction.
  virtual Status put_online(const std::vector<OnlineRecord>& ms, std::string* err) = 0;
  // The network's online members seen at or after `seen_since_ms`,
  // ascending address.
  virtual Status list_online(uint64_t nwid, int64_t seen_since_ms,
                             std::vector<OnlineRecord>& out, std::string* err) = 0;
  // Forgets members last seen before `seen_before_ms` (all networks).
  virtual Status expire_online(int64_t seen_before_ms, std::string* err) = 0;
};

}  // namespace flatnet::control::controller::store
