#include "control/vl2/multicast_select.hpp"

#include <algorithm>
#include <unordered_set>

namespace flatnet::control::vl2 {

// ---- RecentPeers ------------------------------------------------------------

RecentPeers::RecentPeers(size_t capacity, uint64_t max_age_ms)
    : capacity_(capacity), max_age_ms_(max_age_ms) {
  index_.reserve(capacity);
}

void RecentPeers::touch(uint64_t peer, uint64_t now) {
  if (capacity_ == 0) return;
  auto it = index_.find(peer);
  if (it != index_.end()) {
    it->second->last = now;
    order_.splice(order_.begin(), order_, it->second);
    return;
  }
  // A flood of distinct peers only recycles the least recent entry.
  if (order_.size() >= capacity_) {
    index_.erase(order_.back().peer);
    order_.pop_back();
  }
  order_.push_front(Entry{peer, now});
  index_.emplace(peer, order_.begin());
}

void RecentPeers::expire(uint64_t now) {
  while (!order_.empty() && now > order_.back().last && now - order_.back().last > max_age_ms_) {
    index_.erase(order_.back().peer);
    order_.pop_back();
  }
}

// ---- Subscriptions ----------------------------------------------------------

Subscriptions::Subscriptions(size_t max_groups, size_t max_per_group, uint64_t expire_ms)
    : max_groups_(max_groups), max_per_group_(max_per_group), expire_ms_(expire_ms) {}

Subscriptions::Add Subscriptions::add(const MulticastGroup& g, uint64_t member, uint64_t self,
                                      uint64_t now) {
  if (member == self) return Add::kSelf;
  auto git = groups_.find(g);
  if (git == groups_.end()) {
    if (groups_.size() >= max_groups_) return Add::kTooManyGroups;
    git = groups_.emplace(g, Group{}).first;
  }
  Group& grp = git->second;
  auto mit = grp.index.find(member);
  if (mit != grp.index.end()) {
    grp.members[mit->second].last = now;
    return Add::kRefreshed;
  }
  if (grp.members.size() >= max_per_group_) return Add::kGroupFull;
  grp.index.emplace(member, uint32_t(grp.members.size()));
  grp.members.push_back(Member{member, now});
  ++count_;
  return Add::kStored;
}

bool Subscriptions::remove(const MulticastGroup& g, uint64_t member) {
  auto git = groups_.find(g);
  if (git == groups_.end()) return false;
  Group& grp = git->second;
  auto mit = grp.index.find(member);
  if (mit == grp.index.end()) return false;
  // The last member takes the freed slot (the order carries no meaning:
  // recipients are drawn at random).
  const uint32_t at = mit->second;
  grp.index.erase(mit);
  if (at + 1 != grp.members.size()) {
    grp.members[at] = grp.members.back();
    grp.index[grp.members[at].address] = at;
  }
  grp.members.pop_back();
  --count_;
  return true;
}

const Subscriptions::Group* Subscriptions::find(const MulticastGroup& g) const {
  auto it = groups_.find(g);
  return it == groups_.end() ? nullptr : &it->second;
}

size_t Subscriptions::known(const MulticastGroup& g) const {
  const Group* grp = find(g);
  return grp ? grp->members.size() : 0;
}

GatherPlan Subscriptions::plan_gather(const MulticastGroup& g, size_t limit, uint64_t now) {
  GatherPlan plan;
  if (limit == 0) return plan;  // multicast disabled by the config
  const size_t have = known(g);
  if (have >= limit) {
    plan.gather_limit = 1;
    return plan;
  }
  plan.gather_limit = uint32_t(std::min<size_t>(limit - have + 1, UINT32_MAX));
  // The group's state exists only once a member is stored; a group with no
  // known member is always gathered (stock: members empty -> gather). The
  // time of the gather is kept only for groups we store, so an unknown group
  // cannot grow the table.
  auto it = groups_.find(g);
  if (it == groups_.end()) {
    plan.explicit_gather = true;
    return plan;
  }
  Group& grp = it->second;
  if (have == 0 || !grp.gathered || now - grp.last_explicit_gather >= kMulticastExplicitGatherDelayMs) {
    grp.gathered = true;
    grp.last_explicit_gather = now;
    plan.explicit_gather = true;
  }
  return plan;
}

void Subscriptions::expire(uint64_t now) {
  for (auto it = groups_.begin(); it != groups_.end();) {
    Group& grp = it->second;
    size_t w = 0;
    for (size_t r = 0; r < grp.members.size(); ++r) {
      // A LIKE stamped after `now` (a caller's clock step) counts as fresh.
      const uint64_t last = grp.members[r].last;
      if (last >= now || now - last < expire_ms_) grp.members[w++] = grp.members[r];
    }
    count_ -= grp.members.size() - w;
    grp.members.resize(w);
    grp.index.clear();
    for (size_t i = 0; i < w; ++i) grp.index.emplace(grp.members[i].address, uint32_t(i));
    // An emptied group keeps its gather time only while that still matters.
    if (w == 0 && (!grp.gathered || now - grp.last_explicit_gather >= kMulticastExplicitGatherDelayMs)) {
      it = groups_.erase(it);
    } else {
      ++it;
    }
  }
}

// ---- select_recipients ------------------------------------------------------

std::vector<uint64_t> select_recipients(const SelectInput& in, std::mt19937_64& rng) {
  std::vector<uint64_t> out;
  if (in.limit == 0) return out;
  out.reserve(in.limit);
  // Chosen so far: at most `limit` entries, so the set stays small.
  std::unordered_set<uint64_t> chosen;
  chosen.reserve(in.limit * 2);
  auto excluded = [&](uint64_t a) { return a == in.self || (in.origin && a == in.origin) || chosen.count(a); };
  auto take = [&](uint64_t a) {
    out.push_back(a);
    chosen.insert(a);
  };

  // 1. Active bridges, always and first.
  for (uint64_t b : in.bridges) {
    if (out.size() >= in.limit) return out;
    if (!excluded(b)) take(b);
  }
  const Subscriptions::Group* g = in.group;
  if (!g || g->members.empty() || out.size() >= in.limit) return out;

  // 2. Up to half of what is left to the subscribers we talked to last.
  if (in.recent) {
    const size_t social = (in.limit - out.size()) / 2;
    size_t picked = 0;
    if (social > 0) {
      in.recent->for_each_recent(in.now, [&](uint64_t peer) {
        if (g->contains(peer) && !excluded(peer)) {
          take(peer);
          ++picked;
        }
        return picked < social;
      });
    }
  }

  // 3. The rest uniformly at random among the other subscribers: a partial
  // Fisher-Yates over the indices 0..n-1 where only the swapped slots are
  // stored, so each draw is O(1) and the group is never copied. At most
  // out.size() + 2 members are skipped, so there are at most limit + 2
  // draws.
  const size_t n = g->members.size();
  std::unordered_map<size_t, size_t> swapped;
  swapped.reserve(in.limit * 2 + 4);
  auto slot = [&](size_t i) {
    auto it = swapped.find(i);
    return it == swapped.end() ? i : it->second;
  };
  for (size_t i = 0; i < n && out.size() < in.limit; ++i) {
    std::uniform_int_distribution<size_t> pick(i, n - 1);
    const size_t j = pick(rng);
    const size_t vj = slot(j);
    swapped[j] = slot(i);
    const uint64_t a = g->members[vj].address;
    if (!excluded(a)) take(a);
  }
  return out;
}

}  // namespace flatnet::control::vl2
