// Multicast directory. See multicast.hpp.
#include "control/core/multicast.hpp"

#include <sodium.h>

#include <algorithm>
#include <climits>
#include <cstdint>

namespace flatnet::control {

MulticastDirectory::MulticastDirectory(size_t max_subscriptions, size_t max_per_member,
                                       uint64_t expire_ms)
    : max_(max_subscriptions), max_per_member_(max_per_member), expire_ms_(expire_ms) {}

MulticastDirectory::Like MulticastDirectory::like(uint64_t network_id, const MulticastGroup& g,
                                                  uint64_t member, uint64_t now) {
  Key k{network_id, g.mac, g.adi};
  auto it = groups_.find(k);
  if (it != groups_.end()) {
    for (Member& m : it->second)
      if (m.address == member) {
        m.last = std::max(m.last, now);
        return Like::kRefreshed;
      }
  }
  if (count_ >= max_) return Like::kFull;
  uint32_t& mine = per_member_[member];
  if (mine >= max_per_member_) return Like::kMemberFull;
  ++mine;
  ++count_;
  groups_[k].push_back(Member{member, now});
  return Like::kStored;
}

std::vector<uint64_t> MulticastDirectory::gather(uint64_t network_id, const MulticastGroup& g,
                                                 uint64_t exclude, size_t limit, uint64_t now,
                                                 uint32_t* total) const {
  std::vector<uint64_t> out;
  *total = 0;
  auto it = groups_.find(Key{network_id, g.mac, g.adi});
  if (it == groups_.end() || limit == 0) return out;
  const std::vector<Member>& v = it->second;
  // The total counts members not yet removed by expire() (at most one
  // housekeeping period late), so it costs nothing to compute.
  *total = uint32_t(std::min<size_t>(v.size(), UINT32_MAX));
  // A uniform random sample without copying or shuffling the group (spec
  // §4.14 wants gathers spread over it): a partial Fisher-Yates over the
  // indices 0..n-1, with the few swapped positions kept in a small map, so
  // the work is O(limit) whatever the group's size. Draws that land on the
  // requester or on an expired member are skipped; the number of draws is
  // bounded too.
  const size_t n = v.size();
  std::unordered_map<size_t, size_t> swapped;
  swapped.reserve(std::min(n, 2 * limit + 2));
  auto at = [&](size_t i) {
    auto s = swapped.find(i);
    return s == swapped.end() ? i : s->second;
  };
  const size_t draws = std::min(n, 2 * limit + 2);
  out.reserve(std::min(n, limit));
  for (size_t i = 0; i < draws && out.size() < limit; ++i) {
    const size_t j = i + randombytes_uniform(uint32_t(std::min<size_t>(n - i, UINT32_MAX)));
    const size_t pick = at(j);
    swapped[j] = at(i);
    const Member& m = v[pick];
    if (m.address == exclude || now >= m.last + expire_ms_) continue;
    out.push_back(m.address);
  }
  return out;
}

void MulticastDirectory::expire(uint64_t now) {
  for (auto it = groups_.begin(); it != groups_.end();) {
    auto& v = it->second;
    for (auto m = v.begin(); m != v.end();) {
      if (now >= m->last + expire_ms_) {
        auto pm = per_member_.find(m->address);
        if (pm != per_member_.end() && --pm->second == 0) per_member_.erase(pm);
        --count_;
        m = v.erase(m);
      } else {
        ++m;
      }
    }
    it = v.empty() ? groups_.erase(it) : std::next(it);
  }
}

}  // namespace flatnet::control
