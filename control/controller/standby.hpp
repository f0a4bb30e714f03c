// What a controller needs around ConfigService to run as one of several
// flatnetd with the same identity on one PostgreSQL database, only one of
// which leads (store/pg_leadership.hpp; docs/controller-store.md):
//  - StandbyGate, the handler the core gets: it passes requests to the
//    service only while we lead, and drops them silently otherwise (a
//    standby says nothing on the network); while leading it notes who
//    asked, and flush_online() writes those sightings to the store's
//    online set, so a controller that takes over knows whom to revoke to;
//  - revoke_on_takeover(): the revocations a new leader owes, for members
//    the journal's newest entries removed or deauthorized (the old leader
//    may have died before sending them), sent to the members the store saw
//    online. Sending a revocation twice is harmless; missing one is not.
// The SQLite controller uses the gate too (always leading), so its online
// set survives a restart.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "control/controller/store/store.hpp"
#include "control/core/vl2_hook.hpp"

namespace flatnet::control::controller {

class StandbyGate final : public Vl2Handler {
 public:
  using WallClock = std::function<int64_t()>;  // ms since the epoch
  StandbyGate(Vl2Handler* inner, WallClock wall) : inner_(inner), wall_(std::move(wall)) {}

  // Requests pass only while leading and with a service behind (a standby
  // may make its service only when it takes over, so that the service's
  // journal follower starts there).
  void set_inner(Vl2Handler* inner) { inner_ = inner; }
  void set_leader(bool yes) { leader_ = yes; }
  bool leader() const { return leader_; }
  void packet(const Vl2Packet& pk, uint64_t now, Actions& out) override;

  // Writes the sightings noted since the last flush (one transaction) and
  // forgets them; kept for the next flush if the store fails.
  store::Status flush_online(store::Store& s, std::string* err);
  std::size_t pending() const { return pending_.size(); }
  uint64_t dropped() const { return dropped_; }  // requests ignored as a standby

 private:
  Vl2Handler* inner_;
  WallClock wall_;
  bool leader_ = false;
  uint64_t dropped_ = 0;
  std::map<std::pair<uint64_t, uint64_t>, int64_t> pending_;  // (nwid, address) -> seen
};

struct TakeoverCounts {
  uint64_t entries = 0;      // journal entries read
  uint64_t targets = 0;      // members revoked
  uint64_t revocations = 0;  // NETWORK_CREDENTIALS packets sent
  uint64_t errors = 0;       // store or signing failures (the rest still went out)
};

// Journal entries a new leader looks back over: far more than the changes
// of the seconds a takeover takes, and bounded work (one member read each).
inline constexpr std::size_t kTakeoverWindow = 10'000;

// Revocations for these journal entries: each member of our networks they
// delete, or leave deauthorized, revoked to the network's members the store
// saw online within `online_ms` (the role's kOnlineMs). `wall_ms` stamps
// them.
TakeoverCounts revoke_for_changes(store::Store& s, Vl1Link& vl1,
                                  const std::vector<store::Change>& changes, int64_t wall_ms,
                                  int64_t online_ms, uint64_t now, Actions& out);
// The same for the journal's newest `window` entries: what a new leader
// owes for changes the old one may have died before acting on.
TakeoverCounts revoke_on_takeover(store::Store& s, Vl1Link& vl1, std::size_t window,
                                  int64_t wall_ms, int64_t online_ms, uint64_t now,
                                  Actions& out);

}  // namespace flatnet::control::controller
