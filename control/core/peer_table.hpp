// The control core's peer table: address -> identity, agreed keys, the
// peer's reported version, its physical paths and its role.
//
// Capacity is fixed at construction. When a new peer needs a place and the
// table is full, one peer is evicted: first the least recently heard of the
// peers that never completed a HELLO with us (learned from WHOIS answers,
// say), then the least recently heard of the rest. Upstreams (roots of our
// planet and moons) are never evicted or forgotten. Both eviction orders are
// kept as intrusive LRU lists, so eviction and "forget the silent" are O(1)
// per peer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <unordered_map>
#include <vector>

#include "control/core/actions.hpp"
#include "crypto/mb/burst.hpp"
#include "control/core/verbs.hpp"
#include "crypto/armor.hpp"
#include "crypto/identity.hpp"

namespace flatnet::control {

enum class PeerRole : uint8_t { kLeaf = 0, kPlanetRoot, kMoonRoot };

struct Path {
  PhysicalPath phys;
  uint64_t last_receive = 0;
  uint64_t last_send = 0;
  uint64_t last_echo_reply = 0;   // ECHO answers are limited per path
  // Round trip in ms of our HELLOs answered directly on this path (spec
  // §4.2): the first sample as measured, each later one averaged with the
  // value so far. kLatencyUnknown until the first.
  uint32_t latency = kLatencyUnknown;
  // The path answered a round trip of ours (an OK quoting a HELLO or ECHO
  // we sent to exactly this address): replies to it may be larger than the
  // requests that caused them. Until then a spoofed source could aim them.
  bool confirmed = false;
  uint64_t challenge_id = 0;      // packet ID of the last ECHO sent to confirm it
  uint64_t challenge_sent = 0;    // and when

  static constexpr uint32_t kLatencyUnknown = 0xffff;
  // Heard within this: alive (stock's ZT_PATH_HEARTBEAT_PERIOD + 5 s).
  static constexpr uint64_t kAliveMs = 19000;
  // Silence counted in the quality of a dead path is capped here (10 heartbeats).
  static constexpr uint64_t kQualityMaxSilenceMs = 140000;

  bool alive(uint64_t now) const { return now < last_receive + kAliveMs; }
  void add_latency_sample(uint64_t rtt_ms);
  // Spec §8.4, lower is better: the latency while alive, else the latency +
  // 0xffff + the silence (capped), times 8 - IP scope (PRIVATE x1 ... NONE x8).
  uint64_t quality(uint64_t now) const;
};

struct Peer {
  crypto::Identity identity;
  std::unique_ptr<crypto::PeerKeys> keys;
  PeerRole role = PeerRole::kLeaf;
  bool hello_done = false;        // an authenticated HELLO (or OK(HELLO)) was seen
  bool version_known = false;     // decides cipher 1 vs 3 (spec §3.1)
  Version version;
  uint64_t last_hello_timestamp = 0;  // the peer's own clock, to refuse replays
  uint64_t created = 0;
  uint64_t last_receive = 0;          // any authenticated packet
  uint64_t last_confirm_hello = 0;    // HELLO sent to confirm a new path
  uint64_t last_echo_reply = 0;       // ECHO answered on a path not (yet) in `paths`
  std::vector<Path> paths;            // at most PeerTable::max_paths()
  uint64_t push_window_start = 0;     // PUSH_DIRECT_PATHS acted on: window and count
  uint32_t pushes_in_window = 0;
  uint64_t last_push_sent = 0;
  bool announced = false;             // a kPeerUpsert is in force for `announced_path`
  uint64_t gather_tat = 0;            // MULTICAST_GATHER rate (GCRA theoretical arrival time)
  // The part of a WHOIS not answered because its path was unconfirmed: sent
  // once that path answers our challenge. One list per peer: later requests
  // merge into it (Core::defer_whois), bounded by whois_max_answers;
  // allocated only while one waits, so other peers pay 8 bytes.
  struct DeferredWhois {
    uint64_t in_re = 0;               // the WHOIS's packet ID
    PhysicalPath path;
    std::vector<uint64_t> addresses;
  };
  std::unique_ptr<DeferredWhois> whois_deferred;
  PhysicalPath announced_path;

  bool is_upstream() const { return role != PeerRole::kLeaf; }
  // The key set of crypto/mb's burst engines for `keys`, made on first use
  // (a KBKDF and two AES expansions: only peers we exchange packets with
  // through a burst pay it) and again if `keys` changed. Shared: a packet
  // waiting in a burst keeps it alive if the peer is forgotten meanwhile.
  const std::shared_ptr<const crypto::mb::PeerKeyset>& burst_keyset();
  // Cipher suite for packets we originate to this peer.
  crypto::Suite suite() const {
    return version_known && version.proto >= 12 ? crypto::Suite::kAesGmacSiv
                                                : crypto::Suite::kSalsa2012Poly1305;
  }
  // Most recently heard path of `family` (kNull: any family), or nullptr.
  const Path* best_path(wire::InetAddress::Family family = wire::InetAddress::Family::kNull) const;
  // The path of lowest Path::quality among those heard within `window` ms
  // (ties: the later entry, as stock's Peer::getAppropriatePath), or nullptr.
  const Path* quality_path(uint64_t now, uint64_t window) const;

 private:
  friend class PeerTable;
  std::shared_ptr<const crypto::mb::PeerKeyset> burst_keys_;
  std::list<uint64_t>::iterator lru_;
  bool in_lru_ = false;
};

class PeerTable {
 public:
  PeerTable(size_t capacity, size_t max_paths);

  Peer* find(uint64_t address);
  const Peer* find(uint64_t address) const;

  // Adds a peer (the caller has checked it is absent). If the table is full,
  // evicts per the order above and appends the evicted address to *evicted.
  // Returns nullptr if nothing can be evicted (all upstreams).
  Peer* insert(crypto::Identity id, std::unique_ptr<crypto::PeerKeys> keys, PeerRole role,
               uint64_t now, std::vector<uint64_t>* evicted);
  void erase(uint64_t address);
  // A world update made `p` an upstream (leaves the eviction lists) or a
  // leaf again (joins them in last-receive order). A demotion can leave
  // the table over capacity; trim() then evicts per the order above.
  void set_role(Peer& p, PeerRole role);
  void trim(std::vector<uint64_t>* evicted);

  // An authenticated packet arrived from `p`: refresh its LRU position.
  void heard(Peer& p, uint64_t now);
  // The peer completed a HELLO: it moves to the "authenticated" eviction class.
  void mark_hello_done(Peer& p, uint64_t now);

  // Records a direct receive on `phys`; adds the path (replacing the least
  // recently heard when at max_paths). Returns true if the peer's most
  // recently heard path is now a different one than before.
  bool path_received(Peer& p, const PhysicalPath& phys, uint64_t now);
  // Drops paths silent for `timeout` ms; returns how many.
  size_t expire_paths(Peer& p, uint64_t now, uint64_t timeout);

  // Appends the addresses of non-upstream peers silent for `timeout` ms.
  void collect_silent(uint64_t now, uint64_t timeout, std::vector<uint64_t>& out) const;

  size_t size() const { return peers_.size(); }
  // Peers that count against the capacity (everything but upstreams).
  size_t evictable() const { return unproven_.size() + heard_.size(); }
  size_t capacity() const { return capacity_; }
  size_t max_paths() const { return max_paths_; }

  template <typename F>
  void for_each(F&& f) {
    for (auto& [a, p] : peers_) f(p);
  }
  template <typename F>
  void for_each(F&& f) const {
    for (const auto& [a, p] : peers_) f(p);
  }

 private:
  std::list<uint64_t>& list_for(const Peer& p) { return p.hello_done ? heard_ : unproven_; }
  void unlink(Peer& p);
  bool evict_one(std::vector<uint64_t>* evicted);

  std::unordered_map<uint64_t, Peer> peers_;
  std::list<uint64_t> unproven_;  // never completed a HELLO; front = least recently heard
  std::list<uint64_t> heard_;     // completed a HELLO; front = least recently heard
  size_t capacity_;
  size_t max_paths_;
};

}  // namespace flatnet::control
