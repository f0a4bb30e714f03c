// The peers module. See peers.hpp.
#include "control/core/peers.hpp"

#include <algorithm>

namespace flatnet::control {

Peers::Peers(const crypto::Identity& self, const Limits& limits, PathChoice choice, Metrics& m)
    : self_(self),
      limits_(limits),
      choice_(choice),
      m_(m),
      table_(limits.peer_capacity, limits.max_paths_per_peer) {}

Peer* Peers::add(crypto::Identity id, std::unique_ptr<crypto::PeerKeys> keys, PeerRole role,
                 uint64_t now, Actions& out) {
  std::vector<uint64_t> evicted;
  Peer* p = table_.insert(std::move(id), std::move(keys), role, now, &evicted);
  for (uint64_t a : evicted) {
    ++m_.peers_evicted;
    out.table.push_back(TableCommand{TableOp::kPeerDelete, a, {}});
  }
  if (!p) {
    ++m_.drops[size_t(Drop::peer_table_full)];
    return nullptr;
  }
  if (role == PeerRole::kLeaf) ++m_.peers_learned;
  return p;
}

Peer* Peers::learn(const crypto::Identity& id, PeerRole role, uint64_t now, Actions& out) {
  crypto::SharedKey key;
  if (!self_.agree(id, key)) {
    ++m_.drops[size_t(Drop::identity_invalid)];
    return nullptr;
  }
  ++m_.key_agreements;
  return add(id, std::make_unique<crypto::PeerKeys>(key), role, now, out);
}

void Peers::forget(uint64_t address, Actions& out) {
  Peer* p = table_.find(address);
  if (!p) return;
  if (p->announced) out.table.push_back(TableCommand{TableOp::kPeerDelete, address, {}});
  table_.erase(address);
}

void Peers::set_upstreams(const std::vector<std::pair<const crypto::Identity*, PeerRole>>& want,
                          uint64_t now, Actions& out) {
  std::vector<uint64_t> next;
  for (const auto& [id, role] : want) {
    const uint64_t a = id->address();
    Peer* p = table_.find(a);
    // A signed world names the identity; a peer we hold under that address
    // with another identity gives way.
    if (p && !(p->identity == *id)) {
      forget(a, out);
      p = nullptr;
    }
    if (p)
      table_.set_role(*p, role);
    else
      p = learn(*id, role, now, out);
    if (p) next.push_back(a);
  }
  for (uint64_t a : upstreams_)
    if (std::find(next.begin(), next.end(), a) == next.end())
      if (Peer* p = table_.find(a)) table_.set_role(*p, PeerRole::kLeaf);
  upstreams_ = std::move(next);
  std::vector<uint64_t> evicted;
  table_.trim(&evicted);
  for (uint64_t a : evicted) {
    ++m_.peers_evicted;
    out.table.push_back(TableCommand{TableOp::kPeerDelete, a, {}});
  }
}

void Peers::heard_on(Peer& p, const PhysicalPath& from, uint64_t now, Actions& out) {
  table_.path_received(p, from, now);
  announce(p, now, out);
}

void Peers::announce(Peer& p, uint64_t now, Actions& out) {
  const Path* use = path_to(p, now);
  if (!use) {
    if (p.announced) out.table.push_back(TableCommand{TableOp::kPeerDelete, p.identity.address(), {}});
    p.announced = false;
    return;
  }
  if (p.announced && p.announced_path == use->phys) return;
  p.announced = true;
  p.announced_path = use->phys;
  out.table.push_back(TableCommand{TableOp::kPeerUpsert, p.identity.address(), use->phys});
}

void Peers::announce_all(uint64_t now, Actions& out) {
  table_.for_each([&](Peer& p) {
    p.announced = false;
    announce(p, now, out);
  });
}

void Peers::expire(uint64_t now, Actions& out) {
  table_.for_each([&](Peer& p) {
    const size_t n = table_.expire_paths(p, now, limits_.path_timeout_ms);
    if (n == 0) return;
    m_.paths_expired += n;
    announce(p, now, out);  // the next path, or a delete if none is left
  });
  std::vector<uint64_t> silent;
  table_.collect_silent(now, limits_.peer_timeout_ms, silent);
  for (uint64_t a : silent) {
    forget(a, out);
    ++m_.peers_forgotten;
  }
}

const Path* Peers::path_to(const Peer& p, uint64_t now) const {
  if (choice_ == PathChoice::kMostRecent) return p.best_path();
  if (const Path* q = p.quality_path(now, Path::kAliveMs)) return q;
  if (const Path* q = p.quality_path(now, limits_.path_timeout_ms)) return q;
  return p.best_path();
}

const Path* Peers::live_path(const Peer& p, uint64_t now) const {
  const Path* q = path_to(p, now);
  return q && q->alive(now) ? q : nullptr;
}

const Path* Peers::route(const Peer& p, uint64_t now) const {
  if (const Path* live = live_path(p, now)) return live;
  const Peer* up = p.is_upstream() ? nullptr : freshest_upstream(0);
  const Path* via = up ? path_to(*up, now) : nullptr;
  return via ? via : path_to(p, now);
}

const Peer* Peers::freshest_upstream(uint64_t except) const {
  const Peer* best = nullptr;
  const Path* best_path = nullptr;
  for (uint64_t u : upstreams_) {
    const Peer* q = table_.find(u);
    const Path* qp = q && u != except ? q->best_path() : nullptr;
    if (!qp) continue;
    if (!best || qp->last_receive > best_path->last_receive) best = q, best_path = qp;
  }
  return best;
}

}  // namespace flatnet::control
