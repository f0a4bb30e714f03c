// The peers module: the peer table and everything that decides about a
// peer as a whole -- the one way a peer is learned (keys agreed, inserted,
// evicted peers told to the data plane), what the data plane is told
// about it (announce/forget), the paths it is heard on, and the one path
// choice (which direct path we use for it; which way a packet we originate
// goes). Roles and services ask it; nothing else writes the table.
#pragma once

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "control/core/actions.hpp"
#include "control/core/config.hpp"
#include "control/core/metrics.hpp"
#include "control/core/peer_table.hpp"

namespace flatnet::control {

// How the direct path used for a peer is chosen; picked once, by role.
enum class PathChoice : uint8_t {
  // A root: the path heard from most recently (it times no paths toward
  // its leaves; they keep their paths to it alive).
  kMostRecent = 0,
  // A leaf: stock ranks paths by quality among those heard within 243 s and
  // would keep sending on a dead one for that long; here live paths (heard
  // within 19 s) come first -- a dead path then gives way to the root within
  // 19 s -- then those heard within path_timeout_ms, then the most recent.
  // Quality is latency x (8 - IP scope), spec §8.4.
  kQuality,
};

class Peers {
 public:
  Peers(const crypto::Identity& self, const Limits& limits, PathChoice choice, Metrics& m);

  Peer* find(uint64_t address) { return table_.find(address); }
  const Peer* find(uint64_t address) const { return table_.find(address); }
  const PeerTable& table() const { return table_; }
  template <typename F>
  void for_each(F&& f) {
    table_.for_each(std::forward<F>(f));
  }

  // ---- learning and forgetting ----
  // The one way a peer enters the table, with keys already agreed (a HELLO
  // needs them to check its MAC first). Evictions this causes become
  // kPeerDelete commands. A leaf counts as learned; nullptr (counted) if
  // no room.
  Peer* add(crypto::Identity id, std::unique_ptr<crypto::PeerKeys> keys, PeerRole role,
            uint64_t now, Actions& out);
  // Agrees keys with `id`, then add(). nullptr (counted) if the agreement fails.
  Peer* learn(const crypto::Identity& id, PeerRole role, uint64_t now, Actions& out);
  void forget(uint64_t address, Actions& out);
  // The roots of our worlds, in order: they become (or stay) upstreams with
  // these roles, are learned if new, and a peer held under one of their
  // addresses with another identity gives way. Former upstreams become
  // leaves.
  void set_upstreams(const std::vector<std::pair<const crypto::Identity*, PeerRole>>& want,
                     uint64_t now, Actions& out);
  const std::vector<uint64_t>& upstreams() const { return upstreams_; }

  // ---- paths ----
  // An authenticated packet from `p` (any path): refreshes its activity.
  void heard(Peer& p, uint64_t now) { table_.heard(p, now); }
  void mark_hello_done(Peer& p, uint64_t now) { table_.mark_hello_done(p, now); }
  // `p` was heard directly on `from` with proof the path is its (see
  // Core::dispatch): the path is added or refreshed and the data plane told
  // if the path used for it changed.
  void heard_on(Peer& p, const PhysicalPath& from, uint64_t now, Actions& out);
  // Tells the data plane the path we use for `p` (kPeerUpsert), or that
  // there is none (kPeerDelete), unless it already knows.
  void announce(Peer& p, uint64_t now, Actions& out);
  // The data plane (re)started empty: announce every peer again.
  void announce_all(uint64_t now, Actions& out);
  // Housekeeping: paths silent for path_timeout_ms and non-upstream peers
  // silent for peer_timeout_ms are dropped (and the data plane told).
  void expire(uint64_t now, Actions& out);

  // ---- the path choice ----
  // The direct path we use for `p` (per PathChoice), nullptr if none.
  const Path* path_to(const Peer& p, uint64_t now) const;
  // path_to if it is alive (heard within 19 s), else nullptr.
  const Path* live_path(const Peer& p, uint64_t now) const;
  // Where a packet we originate for `p` goes: its live direct path, else
  // through the upstream heard from most recently (it relays on the
  // destination address, hops 0 -> 1, as stock leaves do), else a stale
  // direct path. nullptr if nothing reaches it.
  const Path* route(const Peer& p, uint64_t now) const;
  // The upstream heard from most recently (any authenticated packet: OK to
  // our HELLOs every 60 s, ECHO answers, relayed traffic), skipping
  // `except`. A root that stops answering loses this within one HELLO
  // round, so relayed traffic fails over to a live root in at most 60 s
  // (stock weighs silence per 61 s too, Peer::relayQuality).
  const Peer* freshest_upstream(uint64_t except) const;

 private:
  const crypto::Identity& self_;
  const Limits& limits_;
  PathChoice choice_;
  Metrics& m_;
  PeerTable table_;
  std::vector<uint64_t> upstreams_;
};

}  // namespace flatnet::control
