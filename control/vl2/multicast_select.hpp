// The member's multicast sending side (spec §9.2), I/O-free: the store of
// who subscribed to which group, when to ask for more (MULTICAST_GATHER),
// and which subscribers get a copy of one multicast -- the "implicit social
// switching" order:
//   1. the network's active bridges, always (LAN hosts behind a bridge must
//      hear ARP), as stock does;
//   2. up to half of the remaining budget to the group's subscribers we
//      exchanged unicast frames with most recently (RecentPeers);
//   3. the rest uniformly at random from the remaining subscribers.
// Never the sender or the origin, never a duplicate, at most `limit` copies.
// Stock does 1 then 3 only; docs/vl2-multicast.md compares the two.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <random>
#include <span>
#include <unordered_map>
#include <vector>

#include "control/core/verbs.hpp"

namespace flatnet::control::vl2 {

// Stock's constants (node/Constants.hpp).
inline constexpr uint64_t kMulticastLikeExpireMs = 600'000;        // ZT_MULTICAST_LIKE_EXPIRE
inline constexpr uint64_t kMulticastExplicitGatherDelayMs = 60'000;  // ZT_MULTICAST_EXPLICIT_GATHER_DELAY
inline constexpr uint64_t kMulticastTransmitTimeoutMs = 5'000;     // ZT_MULTICAST_TRANSMIT_TIMEOUT

// Per network: the peers we most recently exchanged a unicast frame with.
// A bounded LRU (hash map + list): touch() is O(1), memory is at most
// `capacity` entries whatever the number of distinct peers, and entries
// older than `max_age_ms` are neither returned nor kept by expire().
class RecentPeers {
 public:
  RecentPeers(size_t capacity, uint64_t max_age_ms);

  // "We exchanged a unicast frame with `peer` at `now`."
  void touch(uint64_t peer, uint64_t now);
  // Calls f(peer) most recent first while f returns true, for entries not
  // older than max_age at `now`. At most capacity() steps.
  template <typename F>
  void for_each_recent(uint64_t now, F&& f) const {
    for (const Entry& e : order_) {
      if ((now > e.last && now - e.last > max_age_ms_) || !f(e.peer)) return;
    }
  }
  void expire(uint64_t now);
  size_t size() const { return order_.size(); }
  size_t capacity() const { return capacity_; }

 private:
  struct Entry {
    uint64_t peer;
    uint64_t last;
  };
  std::list<Entry> order_;  // front = most recent
  std::unordered_map<uint64_t, std::list<Entry>::iterator> index_;
  size_t capacity_;
  uint64_t max_age_ms_;
};

struct GroupHash {
  size_t operator()(const MulticastGroup& g) const {
    uint64_t h = g.mac * 0x9e3779b97f4a7c15ULL ^ g.adi;
    return size_t(h ^ (h >> 31));
  }
};

// What to gather for a group before (or while) sending to it (§9.2 step 3).
struct GatherPlan {
  bool explicit_gather = false;  // send MULTICAST_GATHER to roots/controller now
  uint32_t gather_limit = 0;     // its limit, and the implicit one in MULTICAST_FRAME
};

// Per network: group -> subscribers with the time of their last LIKE (or
// gather result). Bounded in groups and in members per group; entries expire
// kMulticastLikeExpireMs after their last refresh, as stock's clean().
class Subscriptions {
 public:
  Subscriptions(size_t max_groups, size_t max_per_group,
                uint64_t expire_ms = kMulticastLikeExpireMs);

  enum class Add : uint8_t { kStored, kRefreshed, kGroupFull, kTooManyGroups, kSelf };
  // `self` is never stored, even when a gather result names it (as stock).
  Add add(const MulticastGroup& g, uint64_t member, uint64_t self, uint64_t now);

  struct Member {
    uint64_t address;
    uint64_t last;
  };
  struct Group {
    std::vector<Member> members;
    std::unordered_map<uint64_t, uint32_t> index;  // address -> position in members
    uint64_t last_explicit_gather = 0;
    bool gathered = false;
    bool contains(uint64_t a) const { return index.count(a) != 0; }
  };
  // Forgets one subscriber of `g` (its ERROR(UNWANTED_MULTICAST), as
  // stock's Multicaster::remove); false if it was not held.
  bool remove(const MulticastGroup& g, uint64_t member);
  const Group* find(const MulticastGroup& g) const;
  size_t known(const MulticastGroup& g) const;

  // Stock's timing: when fewer than `limit` subscribers are known, an
  // explicit gather for limit - known + 1 if none is known or the last one
  // is kMulticastExplicitGatherDelayMs old (the time is recorded); with
  // enough known, no explicit gather and an implicit limit of 1 to keep the
  // list fresh.
  GatherPlan plan_gather(const MulticastGroup& g, size_t limit, uint64_t now);

  void expire(uint64_t now);
  // Every (group, subscriber) held, for a gateway's data-plane tables.
  template <class F>
  void for_each(F&& f) const {
    for (const auto& [g, grp] : groups_)
      for (const Member& m : grp.members) f(g, m.address);
  }
  size_t groups() const { return groups_.size(); }
  size_t subscriptions() const { return count_; }

 private:
  std::unordered_map<MulticastGroup, Group, GroupHash> groups_;
  size_t count_ = 0;
  size_t max_groups_;
  size_t max_per_group_;
  uint64_t expire_ms_;
};

struct SelectInput {
  size_t limit = 0;                     // the config's multicastLimit
  uint64_t self = 0;                    // never a recipient
  uint64_t origin = 0;                  // a replicated frame's sender; 0 if none
  uint64_t now = 0;                     // for the recency table's age limit
  std::span<const uint64_t> bridges;    // the network's active bridges, config order
  const Subscriptions::Group* group = nullptr;  // may be null: no known subscriber
  const RecentPeers* recent = nullptr;  // may be null: stock's order
};

// The recipients of one multicast in send order. Time O(limit + bridges +
// recent.capacity()), independent of the group's size: the random part is a
// partial Fisher-Yates over member indices with the swaps kept in a small
// map, not a shuffled copy of the group.
std::vector<uint64_t> select_recipients(const SelectInput& in, std::mt19937_64& rng);

}  // namespace flatnet::control::vl2
