// Multicast directory. See multicast.hpp.
#include "control/core/multicast.hpp"

#include <sodium.h>

#include <algorithm>

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
  if (it == groups_.end()) return out;
  for (const Member& m : it->second) {
    if (now >= m.last + expire_ms_) continue;
    ++*total;
    if (m.address != exclude) out.push_back(m.address);
  }
  // Random order, so gathers spread load over the group (spec §4.14).
  for (size_t i = out.size(); i > 1; --i)
    std::swap(out[i - 1], out[randombytes_uniform(uint32_t(i))]);
  if (out.size() > limit) out.resize(limit);
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
