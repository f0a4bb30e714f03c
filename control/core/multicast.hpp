// The root's multicast directory (spec §7.7, §9.1): who announced which
// (network, group) with MULTICAST_LIKE, for answering MULTICAST_GATHER.
// Roots accept LIKEs from any authenticated peer, so the directory is
// bounded twice: a total number of subscriptions and a number per member.
// Subscriptions expire 600 s after their last LIKE (ZT_MULTICAST_LIKE_EXPIRE).
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "control/core/verbs.hpp"

namespace flatnet::control {

class MulticastDirectory {
 public:
  MulticastDirectory(size_t max_subscriptions, size_t max_per_member, uint64_t expire_ms);

  enum class Like : uint8_t { kStored, kRefreshed, kFull, kMemberFull };
  Like like(uint64_t network_id, const MulticastGroup& g, uint64_t member, uint64_t now);

  // Up to `limit` members of the group other than `exclude`, a uniform
  // random sample in random order, in O(limit) time whatever the group's
  // size; *total receives how many members the group has (including any
  // that expired since the last expire()).
  std::vector<uint64_t> gather(uint64_t network_id, const MulticastGroup& g, uint64_t exclude,
                               size_t limit, uint64_t now, uint32_t* total) const;

  void expire(uint64_t now);
  size_t size() const { return count_; }

 private:
  struct Key {
    uint64_t nwid;
    uint64_t mac;
    uint32_t adi;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const {
      uint64_t h = k.nwid * 0x9e3779b97f4a7c15ULL ^ k.mac * 0xbf58476d1ce4e5b9ULL ^ k.adi;
      return size_t(h ^ (h >> 29));
    }
  };
  struct Member {
    uint64_t address;
    uint64_t last;
  };
  std::unordered_map<Key, std::vector<Member>, KeyHash> groups_;
  std::unordered_map<uint64_t, uint32_t> per_member_;
  size_t count_ = 0;
  size_t max_;
  size_t max_per_member_;
  uint64_t expire_ms_;
};

}  // namespace flatnet::control
