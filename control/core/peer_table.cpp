// Peer table with capacity and two-class LRU eviction. See peer_table.hpp.
#include "control/core/peer_table.hpp"

#include <algorithm>
#include <cstring>
#include <iterator>

#include "control/core/ip_scope.hpp"

namespace flatnet::control {

const std::shared_ptr<const crypto::mb::PeerKeyset>& Peer::burst_keyset() {
  if (!burst_keys_ ||
      std::memcmp(burst_keys_->key48(), keys->key48().data(), crypto::kSharedKeySize) != 0)
    burst_keys_ = std::make_shared<const crypto::mb::PeerKeyset>(keys->key48());
  return burst_keys_;
}

const Path* Peer::best_path(wire::InetAddress::Family family) const {
  const Path* best = nullptr;
  for (const Path& p : paths) {
    if (family != wire::InetAddress::Family::kNull && p.phys.remote.family != family) continue;
    if (!best || p.last_receive >= best->last_receive) best = &p;
  }
  return best;
}

void Path::add_latency_sample(uint64_t rtt_ms) {
  const auto sample = uint32_t(std::min<uint64_t>(rtt_ms, kLatencyUnknown));
  latency = latency < kLatencyUnknown ? (latency + sample) / 2 : sample;
}

uint64_t Path::quality(uint64_t now) const {
  uint64_t q = latency;
  if (!alive(now)) q += kLatencyUnknown + std::min(now - last_receive, kQualityMaxSilenceMs);
  return q * (8 - (unsigned(ip_scope(phys.remote)) & 7));
}

const Path* Peer::quality_path(uint64_t now, uint64_t window) const {
  const Path* best = nullptr;
  uint64_t best_q = 0;
  for (const Path& p : paths) {
    if (now >= p.last_receive + window) continue;
    const uint64_t q = p.quality(now);
    if (!best || q <= best_q) best = &p, best_q = q;
  }
  return best;
}

PeerTable::PeerTable(size_t capacity, size_t max_paths)
    : capacity_(std::max<size_t>(capacity, 1)), max_paths_(std::max<size_t>(max_paths, 1)) {
  peers_.reserve(std::min<size_t>(capacity_, 1 << 16));
}

Peer* PeerTable::find(uint64_t address) {
  auto it = peers_.find(address);
  return it == peers_.end() ? nullptr : &it->second;
}

const Peer* PeerTable::find(uint64_t address) const {
  auto it = peers_.find(address);
  return it == peers_.end() ? nullptr : &it->second;
}

void PeerTable::unlink(Peer& p) {
  if (!p.in_lru_) return;
  list_for(p).erase(p.lru_);
  p.in_lru_ = false;
}

bool PeerTable::evict_one(std::vector<uint64_t>* evicted) {
  std::list<uint64_t>& victims = !unproven_.empty() ? unproven_ : heard_;
  if (victims.empty()) return false;
  uint64_t a = victims.front();
  erase(a);
  if (evicted) evicted->push_back(a);
  return true;
}

Peer* PeerTable::insert(crypto::Identity id, std::unique_ptr<crypto::PeerKeys> keys,
                        PeerRole role, uint64_t now, std::vector<uint64_t>* evicted) {
  // Upstreams are configured, never evicted, and do not count against the
  // capacity meant for the public.
  if (role == PeerRole::kLeaf && evictable() >= capacity_ && !evict_one(evicted)) return nullptr;
  uint64_t a = id.address();
  auto [it, fresh] = peers_.try_emplace(a);
  Peer& p = it->second;
  p.identity = std::move(id);
  p.keys = std::move(keys);
  p.role = role;
  p.created = now;
  p.last_receive = now;
  if (role == PeerRole::kLeaf) {
    std::list<uint64_t>& l = list_for(p);
    p.lru_ = l.insert(l.end(), a);
    p.in_lru_ = true;
  }
  return &p;
}

void PeerTable::erase(uint64_t address) {
  auto it = peers_.find(address);
  if (it == peers_.end()) return;
  unlink(it->second);
  peers_.erase(it);
}

void PeerTable::set_role(Peer& p, PeerRole role) {
  if (p.role == role) return;
  p.role = role;
  if (role != PeerRole::kLeaf) {
    unlink(p);
  } else if (!p.in_lru_) {
    // Keep the list ordered by last receive (collect_silent relies on it):
    // a former upstream may have been silent for a while. Rare, so a walk.
    std::list<uint64_t>& l = list_for(p);
    auto at = l.end();
    while (at != l.begin()) {
      const Peer* q = find(*std::prev(at));
      if (q && q->last_receive <= p.last_receive) break;
      --at;
    }
    p.lru_ = l.insert(at, p.identity.address());
    p.in_lru_ = true;
  }
}

void PeerTable::trim(std::vector<uint64_t>* evicted) {
  while (evictable() > capacity_ && evict_one(evicted)) {
  }
}

void PeerTable::heard(Peer& p, uint64_t now) {
  p.last_receive = std::max(p.last_receive, now);
  if (!p.in_lru_) return;
  std::list<uint64_t>& l = list_for(p);
  l.splice(l.end(), l, p.lru_);
}

void PeerTable::mark_hello_done(Peer& p, uint64_t now) {
  if (!p.hello_done) {
    bool linked = p.in_lru_;
    unlink(p);
    p.hello_done = true;
    if (linked) {
      p.lru_ = heard_.insert(heard_.end(), p.identity.address());
      p.in_lru_ = true;
    }
  }
  heard(p, now);
}

bool PeerTable::path_received(Peer& p, const PhysicalPath& phys, uint64_t now) {
  const Path* before = p.best_path();
  PhysicalPath old = before ? before->phys : PhysicalPath{};
  bool had = before != nullptr;
  auto it = std::find_if(p.paths.begin(), p.paths.end(),
                         [&](const Path& q) { return q.phys == phys; });
  if (it != p.paths.end()) {
    it->last_receive = std::max(it->last_receive, now);
  } else if (p.paths.size() < max_paths_) {
    p.paths.push_back(Path{phys, now, 0, 0});
  } else {
    auto oldest = std::min_element(p.paths.begin(), p.paths.end(), [](const Path& x, const Path& y) {
      return x.last_receive < y.last_receive;
    });
    *oldest = Path{phys, now, 0, 0};
  }
  const Path* after = p.best_path();
  return !had || !(after->phys == old);
}

size_t PeerTable::expire_paths(Peer& p, uint64_t now, uint64_t timeout) {
  size_t before = p.paths.size();
  std::erase_if(p.paths, [&](const Path& q) { return now >= q.last_receive + timeout; });
  return before - p.paths.size();
}

void PeerTable::collect_silent(uint64_t now, uint64_t timeout, std::vector<uint64_t>& out) const {
  // Each list is ordered by last receive, so walk from the front until the
  // first peer that is still active.
  for (const std::list<uint64_t>* l : {&unproven_, &heard_}) {
    for (uint64_t a : *l) {
      const Peer* p = find(a);
      if (!p || now < p->last_receive + timeout) break;
      out.push_back(a);
    }
  }
}

}  // namespace flatnet::control
