// The data plane's peer table as a reconciled state (issue 9 §1): control
// says what it WANTS the table to hold (the core's TableCommands, taken as
// idempotent desired-state updates), and this unit drives the data plane
// there and learns what it has CONFIRMED. No I/O: commands leave through a
// sink the caller gives (the command ring; false = full, try again next
// turn) and the data plane's events are fed back in.
//
//   want_upsert / want_delete / want_sibling      (from core Actions.table)
//          │
//          ▼
//   desired table  ──pump()──▶ PEER_UPSERT/DELETE, SET_CONFIG, then NOP+F_ACK
//   (address → path,           (only as the ring takes them; repeated updates
//    per-entry state)           of one address coalesce while queued)
//          ▲
//          └── on_event(): RESULT (failure: retry with backoff / drop; barrier:
//              everything before it is applied), RESYNC dump (reconcile),
//              UNKNOWN_DEST (re-upsert a wanted address), PATH_EXPIRED
//              (unconfirmed; re-sent when traffic asks for it: UNKNOWN_DEST,
//              a punted packet from the peer over its path (on_heard), or
//              the core wanting it again, even with the same path)
//
// Confirmation: the data plane applies commands in order and answers every
// failure with a RESULT, a success only with F_ACK. So after a batch we send
// one NOP with F_ACK (a barrier); when its RESULT comes back, every command
// before it that did not fail is in the table. A barrier not answered in
// kBarrierTimeoutMs (its RESULT lost, the data plane gone) makes its batch
// pending again: upserts and deletes are idempotent, sending twice is safe.
// The data plane's event ring can be full, though, and a lost failure
// RESULT or PATH_EXPIRED would then read as success. So the barrier's RESULT
// carries in `count` how many RESULT/PATH_EXPIRED events the data plane
// failed to queue since the previous barrier; count > 0 means "table state
// unknown": nothing is confirmed and the table is read again with a RESYNC
// dump, exactly as on attach (flatnet_boundary_barrier_lost_events). A data
// plane from before this sends the command type there, NOP = 0.
//
// Attach: every wanted entry becomes "unknown" and a RESYNC dump is asked
// for; at RESYNC_END what the dump shows with the wanted path is confirmed,
// anything else wanted is sent again, and dumped peers control does not want
// are deleted -- but only once the caller says the desired table is complete
// (desired_complete(): the peers cache restored) and a grace period has
// passed, so a restarting control does not delete what it has not re-learned
// yet. A dump that is incomplete (BEGIN/END counts disagree with the PEER
// events seen, or it stalls) re-sends everything wanted instead.
//
// Single-threaded. Memory: one entry per wanted address plus the dump being
// read (both bounded by the data plane's and core's table capacities), and
// at most kWindow commands in flight.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <queue>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "dataplane/ipc/abi.h"
#include "dataplane/ipc/phys_addr.hpp"

namespace flatnet::control::boundary {

// Counters and gauges for /metrics (flatnet_boundary_*).
struct ReconcilerStats {
  // gauges
  uint64_t desired = 0;     // addresses control wants in the table
  uint64_t confirmed = 0;   // of those, known to be there (barrier or dump)
  uint64_t pending = 0;     // queued to be sent (not yet on the ring)
  uint64_t in_flight = 0;   // on the ring, not yet confirmed
  uint64_t expired = 0;     // aged out by the data plane; sent again on UNKNOWN_DEST
  uint64_t backoff = 0;     // refused with TABLE_FULL/BUSY, waiting to retry
  uint64_t rejected = 0;    // refused with BAD_ARGUMENT: not sent again
  // The data plane's own settings as its last dump reported them (CONFIG
  // events; control has no say over these: its config file owns them).
  uint64_t dp_relay = 0;
  uint64_t dp_path_max_idle_ms = 0;
  // counters
  uint64_t commands_sent = 0;
  uint64_t ring_full = 0;         // pump() stopped because the ring was full
  uint64_t coalesced = 0;         // updates merged into one still queued
  uint64_t retries = 0;           // commands sent again (backoff, barrier timeout, resync)
  uint64_t failures_table_full = 0;
  uint64_t failures_bad_argument = 0;
  uint64_t failures_other = 0;
  uint64_t barrier_timeouts = 0;
  uint64_t dumps = 0;             // RESYNC dumps reconciled
  uint64_t dumps_incomplete = 0;  // of those, incomplete: everything re-sent
  uint64_t dump_stale_deleted = 0;  // dumped peers control did not want, deleted
  uint64_t unknown_dest_resent = 0; // UNKNOWN_DEST for a wanted address: re-upserted
  uint64_t unknown_dest_unwanted = 0;  // UNKNOWN_DEST for an address control does not know
  uint64_t expired_resent = 0;    // an aged-out peer wanted again by the core: re-upserted
  uint64_t heard_resent = 0;      // a punted packet from an aged-out peer: re-upserted
  uint64_t barrier_lost_events = 0;  // a barrier said events were lost: table read again
  uint64_t path_expired = 0;
  uint64_t config_corrected = 0;  // the dump's sibling root differed: sent again
};

class TableReconciler {
 public:
  // The command ring: true = queued, false = full (nothing was queued).
  using Sink = std::function<bool(const flatnet_ipc_command&)>;
  // One line for the log (at most kLogLines per kLogWindowMs).
  using Logger = std::function<void(const std::string&)>;

  static constexpr unsigned kWindow = 1024;          // commands in flight at most
  static constexpr unsigned kBarrierEvery = 256;     // commands per barrier
  static constexpr uint64_t kBarrierTimeoutMs = 5000;
  static constexpr uint64_t kDumpStallMs = 3000;     // no dump event this long: incomplete
  static constexpr uint64_t kBackoffMinMs = 1000;
  static constexpr uint64_t kBackoffMaxMs = 30000;
  static constexpr uint64_t kUnknownResendMs = 1000; // per address
  // Dumped peers control does not want are deleted this long after the
  // desired table is complete (a leaf HELLOs its roots every 60 s).
  static constexpr uint64_t kStaleGraceMs = 90000;
  static constexpr unsigned kLogLines = 10;
  static constexpr uint64_t kLogWindowMs = 60000;

  explicit TableReconciler(Logger log = {});

  // ---- desired state (from the core's TableCommands) -------------------
  void want_upsert(uint64_t addr, const flatnet_ipc_phys_addr& path);
  void want_delete(uint64_t addr);
  // The world's sibling root; nullopt clears it.
  void want_sibling(const std::optional<flatnet_ipc_phys_addr>& path);
  // The caller has fed everything it knows (e.g. the peers cache is
  // restored): from now + grace, dumped peers it does not want are deleted.
  void desired_complete(uint64_t now);

  // ---- the data plane ----------------------------------------------------
  // A (new) data plane is attached: nothing is confirmed any more; a dump
  // is asked for on the next pump().
  void attached(uint64_t now);
  void detached();
  // Every event from the data plane except RELAY_PAIR (the caller feeds
  // those to the core). Returns true at the end of a dump this unit asked
  // for (RESYNC_END), so the caller can tell the core "re-attached".
  bool on_event(const flatnet_ipc_event& e, uint64_t now);
  // True once after each dump this unit asked for has been reconciled
  // (complete, incomplete or stalled): the caller may re-feed the core's
  // desired state (core.resync); repeated wants cost nothing.
  bool take_dump_done() {
    const bool d = dump_done_;
    dump_done_ = false;
    return d;
  }
  // The addresses the last dump showed (the sibling aside), once: a
  // restarted gateway control re-meets the peers its data plane still
  // serves with them (GatewayHost::remeet). Empty until a dump ended.
  std::vector<uint64_t> take_dumped() { return std::exchange(dumped_, {}); }
  // A punted packet from VL1 address `addr` arrived over physical `path`.
  // If that peer aged out of the data plane (PATH_EXPIRED) and `path` is
  // the one control wants for it, it is sent again (rate-limited per
  // address); true if it was. One hash lookup: cheap enough per punt.
  bool on_heard(uint64_t addr, const flatnet_ipc_phys_addr& path, uint64_t now);
  // Sends what the ring takes; returns how many commands were queued.
  unsigned pump(uint64_t now, const Sink& sink);
  // True while there is something pump() could send now.
  bool busy(uint64_t now) const;

  ReconcilerStats stats() const;

 private:
  enum class State : uint8_t {
    kUnknown,    // attached, waiting for the dump to say
    kPending,    // in queue_, to be sent
    kInFlight,   // sent as `seq`, waiting for a barrier
    kConfirmed,
    kExpired,    // the data plane aged it out
    kBackoff,    // refused (TABLE_FULL, BUSY): retry at retry_at
    kRejected,   // refused (BAD_ARGUMENT...): not sent again for this path
  };
  struct Entry {
    flatnet_ipc_phys_addr path{};
    bool want = true;          // false: a delete is wanted
    State state = State::kPending;
    bool queued = false;       // in queue_
    uint8_t tries = 0;         // consecutive refusals (backoff exponent)
    uint32_t seq = 0;          // of the last command sent for it
    uint64_t retry_at = 0;
    uint64_t last_unknown = 0;
  };
  using Table = std::unordered_map<uint64_t, Entry>;
  struct Sent {
    uint32_t seq;
    uint64_t addr;             // kSiblingAddr for the sibling config
  };
  struct Barrier {
    uint32_t seq;
    uint64_t sent_at;
  };
  static constexpr uint64_t kSiblingAddr = ~0ull;  // not a 40-bit address

  void log(uint64_t now, const std::string& line);
  void enqueue(uint64_t addr, Entry& e);
  // Erases an entry, keeping the running counts (counts_, deletes_).
  Table::iterator erase(Table::iterator it);
  void set_state(Entry& e, State s);
  Entry* find(uint64_t addr);
  void on_result(const flatnet_ipc_event& e, uint64_t now);
  void resolve_barrier(uint32_t seq);
  void dump_end(bool complete);
  void delete_orphans();
  flatnet_ipc_command command_for(uint64_t addr, const Entry& e, uint32_t seq) const;
  uint32_t next_seq();

  Logger log_;
  uint64_t log_window_ = 0;
  unsigned log_lines_ = 0;
  Table table_;                                 // addr -> entry; kSiblingAddr = sibling
  uint64_t deletes_ = 0;                        // entries (not the sibling) with want = false
  std::deque<uint64_t> queue_;                  // addresses to send, each once
  std::deque<Sent> in_flight_;                  // in seq order
  std::deque<Barrier> barriers_;
  unsigned since_barrier_ = 0;                  // commands sent since the last barrier
  using Retry = std::pair<uint64_t, uint64_t>;  // (retry_at, addr)
  std::priority_queue<Retry, std::vector<Retry>, std::greater<Retry>> retry_;
  uint32_t seq_ = 0;
  uint64_t counts_[7] = {};                     // entries per State

  // Dump in progress (attach): RESYNC sent as dump_seq_.
  bool attached_ = false;
  bool want_dump_ = false;
  bool dumping_ = false;
  bool dump_begun_ = false;
  uint32_t dump_seq_ = 0;
  uint32_t dump_begin_count_ = 0;
  uint64_t dump_last_event_ = 0;
  std::unordered_map<uint64_t, flatnet_ipc_phys_addr> dump_;
  std::optional<flatnet_ipc_phys_addr> dump_sibling_;
  bool dump_sibling_seen_ = false;
  bool dump_done_ = false;
  std::vector<uint64_t> dumped_;  // the last dump's addresses, until taken

  // Dumped peers nobody wants yet, deleted once the desired table is complete.
  std::vector<uint64_t> orphans_;
  bool complete_ = false;
  uint64_t stale_after_ = UINT64_MAX;

  ReconcilerStats st_;
};

}  // namespace flatnet::control::boundary
