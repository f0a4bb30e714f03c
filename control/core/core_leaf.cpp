// Leaf upkeep: the HELLOs a leaf sends on its own timer (spec §7.8, §8.3),
// and peers restored from a previous run's cache.
#include "control/core/core.hpp"

namespace flatnet::control {

void Core::hello_upstreams(int64_t local_socket, uint64_t now, Actions& out) {
  auto hello_world = [&](const wire::World& w) {
    for (const wire::WorldRoot& r : w.roots) {
      if (r.identity.address() == address()) continue;
      for (const wire::InetAddress& ep : r.endpoints)
        send_hello(r.identity.address(), PhysicalPath{local_socket, ep}, now, out);
    }
  };
  if (!cfg_.planet.is_null()) hello_world(cfg_.planet);
  for (const wire::World& m : cfg_.moons) hello_world(m);
  if (!am_root_) {
    // Direct paths to other leaves die without traffic (path_timeout_ms):
    // a HELLO per path keeps them, and its OK refreshes them.
    std::vector<std::pair<uint64_t, PhysicalPath>> todo;
    peers_.for_each([&](Peer& p) {
      if (p.is_upstream() || !p.hello_done) return;
      for (const Path& q : p.paths) todo.emplace_back(p.identity.address(), q.phys);
    });
    for (auto& [a, phys] : todo) send_hello(a, phys, now, out);
  }
  finish(now, out);
}

bool Core::restore_peer(const crypto::Identity& id, const PhysicalPath& path, uint64_t now,
                        Actions& out) {
  if (id.address() == address() || peers_.find(id.address())) return false;
  crypto::SharedKey key;
  if (!cfg_.identity.agree(id, key)) {
    count(Drop::identity_invalid);
    return false;
  }
  ++m_.key_agreements;
  std::vector<uint64_t> evicted;
  Peer* p = peers_.insert(id, std::make_unique<crypto::PeerKeys>(key), PeerRole::kLeaf, now,
                          &evicted);
  for (uint64_t a : evicted) {
    ++m_.peers_evicted;
    out.table.push_back(TableCommand{TableOp::kPeerDelete, a, {}});
  }
  if (!p) {
    count(Drop::peer_table_full);
    return false;
  }
  ++m_.peers_learned;
  if (!path.remote.is_null() && peers_.path_received(*p, path, now)) announce(*p, out);
  finish(now, out);
  return true;
}

}  // namespace flatnet::control
