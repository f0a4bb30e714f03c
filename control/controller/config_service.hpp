// The controller role of flatnetd (issue 11; spec §10.1-10.12): answers
// NETWORK_CONFIG_REQUEST for the networks whose IDs start with our address,
// from the store, as stock 1.14.1's EmbeddedNetworkController does --
// ERROR(OBJ_NOT_FOUND) for an unknown network, ERROR(NETWORK_ACCESS_DENIED)
// for a member that is not authorized (its record is created on its first
// request), else OK(NETWORK_CONFIG_REQUEST) carrying the signed config in
// chunks. run() follows the store's journal: a member deauthorized or
// deleted is revoked at once to the network's online members, and a
// changed network or member is pushed to the online members it concerns
// as NETWORK_CONFIG (rate-limited). Single-threaded: the daemon's loop
// calls it with the core's lock held.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "control/controller/network_index.hpp"
#include "control/controller/online.hpp"
#include "control/controller/store/store.hpp"
#include "control/core/vl2_hook.hpp"

namespace flatnet::control::controller {

// Config pushes after a change, at most this many per second (each costs a
// few signatures); revocations are not limited.
inline constexpr uint64_t kPushesPerSecond = 2000;
// Journal entries read per run().
inline constexpr std::size_t kJournalBatch = 1000;
// Loading a network's index (network_index.hpp): pages a request may load
// before it is deferred, and pages each run() loads while one is deferred.
// A network of 3,000 members is answered at once; 100,000 take 20 turns
// of the loop of ~50 ms each rather than one of seconds.
inline constexpr unsigned kIndexPagesPerRequest = 3;
inline constexpr unsigned kIndexPagesPerRun = 5;
// Requests waiting for an index, at most (one per member; more are dropped
// and counted, and the member asks again).
inline constexpr std::size_t kMaxDeferred = 16384;

struct ControllerCounters {
  uint64_t requests = 0;          // NETWORK_CONFIG_REQUEST received (ours, well formed)
  uint64_t rate_limited = 0;      // ignored: same member within 1,000 ms
  uint64_t online_full = 0;       // ignored: a new member while the online table is full
  uint64_t malformed = 0;         // payload did not decode
  uint64_t not_ours = 0;          // network of another controller: ignored as stock
  uint64_t configs_sent = 0;      // answers and pushes with a config
  uint64_t pushes = 0;            // of which pushes (NETWORK_CONFIG)
  uint64_t not_found = 0;         // ERROR(OBJ_NOT_FOUND)
  uint64_t access_denied = 0;     // ERROR(NETWORK_ACCESS_DENIED)
  uint64_t revocations_sent = 0;  // NETWORK_CREDENTIALS packets carrying a revocation
  uint64_t deferred = 0;          // requests answered later, once the network's index loaded
  uint64_t deferred_dropped = 0;  // not deferred: too many waiting
  uint64_t store_errors = 0;      // the store failed; nothing answered
  uint64_t sign_errors = 0;
  uint64_t journal_gaps = 0;
};

class ConfigService final : public Vl2Handler {
 public:
  using WallClock = std::function<int64_t()>;  // ms since the epoch
  ConfigService(Vl1Link& vl1, store::Store& store, WallClock wall);

  void packet(const Vl2Packet& pk, uint64_t now, Actions& out) override;
  // Follows the journal (at most kJournalBatch entries) and sends
  // revocations and pushes; true if more journal is waiting (call again
  // soon). Queued pushes drain at kPushesPerSecond across calls.
  bool run(uint64_t now, Actions& out);

  uint64_t address() const;
  const ControllerCounters& counters() const { return c_; }
  std::size_t online_count() const { return online_.size(); }

 private:
  // Builds and sends the answer for one member: `request_id` 0 is a push.
  void answer(uint64_t nwid, const crypto::Identity& id, const wire::Dictionary& metadata,
              uint64_t request_id, uint64_t now, Actions& out);
  // record_hash of a network, cached per revision (the journal drops an
  // entry when the network changes).
  uint64_t network_hash(const Network& n);
  void send_error(uint64_t nwid, uint64_t to, uint64_t request_id, uint8_t code, uint64_t now,
                  Actions& out);
  bool send_config(const wire::NetworkConfig& nc, uint64_t to, uint64_t request_id, uint64_t now,
                   Actions& out);
  void answer_deferred(uint64_t now, Actions& out);
  // push.cpp
  void on_change(const store::Change& ch, uint64_t now, Actions& out);
  void revoke(uint64_t nwid, uint64_t target, uint64_t now, Actions& out);
  bool network_gone(uint64_t nwid);  // not in the store (cached for one run)
  void queue_push(uint64_t nwid, uint64_t address);
  void send_pushes(uint64_t now, Actions& out);

  Vl1Link& vl1_;
  store::Store& store_;
  WallClock wall_;
  OnlineMembers online_;
  NetworkIndex index_;
  ControllerCounters c_;
  std::map<uint64_t, std::pair<uint64_t, uint64_t>> net_hash_;  // nwid -> (revision, hash)
  // Requests waiting for their network's index: (nwid, address) -> the
  // request's packet ID (identity and metadata are in online_).
  std::map<std::pair<uint64_t, uint64_t>, uint64_t> deferred_;

  // Journal following (push.cpp).
  bool journal_started_ = false;
  uint64_t journal_seq_ = 0;
  std::map<std::pair<uint64_t, uint64_t>, int64_t> revoked_;  // -> lastDeauthorizedTime revoked
  std::map<uint64_t, bool> gone_;
  std::deque<std::pair<uint64_t, uint64_t>> push_queue_;
  std::set<std::pair<uint64_t, uint64_t>> push_queued_;
  double push_budget_ = double(kPushesPerSecond);  // a full bucket to start
  uint64_t last_run_ = 0;
  uint64_t next_prune_ = 0;
};

}  // namespace flatnet::control::controller
