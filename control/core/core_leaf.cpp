// Leaf upkeep: the HELLOs a leaf sends on its own timer (spec §7.8, §8.3),
// peers restored from a previous run's cache, and worlds: planet updates
// and moons taken from OK(HELLO), orbit/deorbit (spec §6.3, §6.4).
#include <algorithm>
#include <cstdio>
#include <string>

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

// ---- worlds ------------------------------------------------------------------------

namespace {

std::string hex16(uint64_t id) {
  char b[20];
  std::snprintf(b, sizeof b, "%016llx", static_cast<unsigned long long>(id));
  return b;
}

std::string hex10(uint64_t a) {
  char b[16];
  std::snprintf(b, sizeof b, "%010llx", static_cast<unsigned long long>(a));
  return b;
}

bool lists_root(const wire::World& w, uint64_t address) {
  return std::any_of(w.roots.begin(), w.roots.end(), [&](const wire::WorldRoot& r) {
    return r.identity.address() == address;
  });
}

}  // namespace

const char* Core::to_string(OrbitResult r) {
  switch (r) {
    case OrbitResult::kJoined: return "orbiting";
    case OrbitResult::kWaiting: return "waiting for the moon from its seed";
    case OrbitResult::kNoSeed: return "no seed given and the moon is not held";
    case OrbitResult::kBadSeed: return "the seed is this node";
    case OrbitResult::kTooMany: return "too many moons or moons waited for";
    case OrbitResult::kNotAMoon: return "the world is not a moon";
  }
  return "?";
}

// Every root of the planet and the moons other than ourselves is an upstream
// (planet roles first); a root that is one of them makes us a root. New
// roots get keys agreed; peers that are no longer roots become leaves (they
// keep their keys and paths and age out like any leaf).
void Core::set_upstreams(uint64_t now, Actions& out) {
  std::vector<std::pair<const crypto::Identity*, PeerRole>> want;
  bool root = false;
  auto take = [&](const wire::World& w, PeerRole role) {
    for (const wire::WorldRoot& r : w.roots) {
      if (r.identity == cfg_.identity) {
        root = true;
        continue;
      }
      const uint64_t a = r.identity.address();
      if (a == address() || std::any_of(want.begin(), want.end(), [&](const auto& x) {
            return x.first->address() == a;
          }))
        continue;
      want.emplace_back(&r.identity, role);
    }
  };
  if (!cfg_.planet.is_null()) take(cfg_.planet, PeerRole::kPlanetRoot);
  for (const wire::World& m : cfg_.moons) take(m, PeerRole::kMoonRoot);
  am_root_ = root;

  std::vector<uint64_t> next;
  for (const auto& [id, role] : want) {
    const uint64_t a = id->address();
    Peer* p = peers_.find(a);
    // A signed world names the identity; a peer we hold under that address
    // with another identity gives way.
    if (p && !(p->identity == *id)) {
      forget(a, out);
      p = nullptr;
    }
    if (p) {
      peers_.set_role(*p, role);
    } else {
      crypto::SharedKey key;
      if (!cfg_.identity.agree(*id, key)) continue;
      ++m_.key_agreements;
      p = peers_.insert(*id, std::make_unique<crypto::PeerKeys>(key), role, now, nullptr);
      if (!p) continue;
    }
    next.push_back(a);
  }
  for (uint64_t a : upstreams_)
    if (std::find(next.begin(), next.end(), a) == next.end())
      if (Peer* p = peers_.find(a)) peers_.set_role(*p, PeerRole::kLeaf);
  upstreams_ = std::move(next);
  std::vector<uint64_t> evicted;
  peers_.trim(&evicted);
  for (uint64_t a : evicted) {
    ++m_.peers_evicted;
    out.table.push_back(TableCommand{TableOp::kPeerDelete, a, {}});
  }
  announce_sibling(out);
}

// A root tells its data plane where to send packets for destinations it
// has no path to: another root of the world it serves (its planet, else the
// first moon listing it), at that root's first stable endpoint that is an
// address at all (a world may list a null one; it is never sent).
void Core::announce_sibling(Actions& out) {
  if (!am_root_) return;
  struct Sibling {
    uint64_t address = 0;
    const wire::InetAddress* at = nullptr;
  };
  auto find_in = [&](const wire::World& w) -> Sibling {
    const bool ours = std::any_of(w.roots.begin(), w.roots.end(),
                                  [&](const wire::WorldRoot& r) { return r.identity == cfg_.identity; });
    if (!ours) return {};
    for (const wire::WorldRoot& r : w.roots) {
      if (r.identity == cfg_.identity) continue;
      for (const wire::InetAddress& ep : r.endpoints)
        if (!ep.is_null() && ep.port != 0) return Sibling{r.identity.address(), &ep};
    }
    return {};
  };
  Sibling s = cfg_.planet.is_null() ? Sibling{} : find_in(cfg_.planet);
  for (size_t i = 0; !s.at && i < cfg_.moons.size(); ++i) s = find_in(cfg_.moons[i]);
  // None in the world: leave alone whatever the data plane was configured with.
  if (s.at)
    out.table.push_back(TableCommand{TableOp::kSiblingRoot, s.address, PhysicalPath{0, *s.at}});
}

// Stock's HELLO moon list: the moons we hold with their timestamps, then
// the moons we wait for with timestamp 0 (so their seed sends them).
void Core::hello_moon_list(std::vector<HelloMoon>& moons) const {
  for (const wire::World& m : cfg_.moons)
    moons.push_back(HelloMoon{uint8_t(wire::WorldType::kMoon), m.id, m.timestamp});
  for (const MoonSeed& s : seeds_)
    moons.push_back(HelloMoon{uint8_t(wire::WorldType::kMoon), s.world_id, 0});
}

// The worlds of an OK(HELLO) answering a HELLO we sent. Only upstreams and
// moon seeds may update us (Topology::shouldAcceptWorldUpdateFrom).
void Core::take_worlds(Peer& p, const PhysicalPath& from, std::span<const uint8_t> worlds,
                       uint64_t now, Actions& out) {
  if (worlds.empty()) return;
  const uint64_t sender = p.identity.address();
  if (!p.is_upstream() && std::none_of(seeds_.begin(), seeds_.end(), [&](const MoonSeed& s) {
        return s.seed == sender;
      })) {
    count(Drop::world_not_upstream);
    return;
  }
  const std::vector<uint64_t> before = upstreams_;
  bool changed = false;
  size_t off = 0;
  while (off < worlds.size()) {
    wire::World w;
    size_t used = 0;
    if (wire::deserialize_world(worlds.subspan(off), w, &used) != wire::WorldStatus::kOk ||
        used == 0) {
      count(Drop::world_malformed);
      break;
    }
    off += used;
    changed |= take_world(w, sender, now, out);
  }
  if (!changed) return;
  set_upstreams(now, out);
  // Greet the new roots on their stable endpoints now rather than at the
  // next HELLO round, over the socket the world came in on.
  auto greet = [&](const wire::World& w) {
    for (const wire::WorldRoot& r : w.roots) {
      const uint64_t a = r.identity.address();
      if (std::find(before.begin(), before.end(), a) != before.end() ||
          std::find(upstreams_.begin(), upstreams_.end(), a) == upstreams_.end())
        continue;
      for (const wire::InetAddress& ep : r.endpoints)
        if (!ep.is_null()) send_hello(a, PhysicalPath{from.local_socket, ep}, now, out);
    }
  };
  if (!cfg_.planet.is_null()) greet(cfg_.planet);
  for (const wire::World& m : cfg_.moons) greet(m);
}

// One world from an upstream or seed `from`: the planet by the update rule
// (same ID, newer, signed by the current planet's updatesMustBeSignedBy),
// an orbited moon the same way, a wanted moon if it lists its seed as a
// root. A planet is never adopted when we hold none.
bool Core::take_world(const wire::World& w, uint64_t from, uint64_t now, Actions& out) {
  wire::World* current = nullptr;
  if (w.type == wire::WorldType::kPlanet) {
    if (!cfg_.planet.is_null() && w.id == cfg_.planet.id) current = &cfg_.planet;
  } else {
    for (wire::World& m : cfg_.moons)
      if (m.id == w.id) current = &m;
  }
  if (current) {
    if (w.timestamp <= current->timestamp) {
      count(Drop::world_not_newer);
      return false;
    }
    if (!wire::world_verify(w, current->updates_must_be_signed_by)) {
      count(Drop::world_bad_signature);
      return false;
    }
    *current = w;
  } else {
    auto s = std::find_if(seeds_.begin(), seeds_.end(),
                          [&](const MoonSeed& x) { return x.world_id == w.id; });
    if (w.type != wire::WorldType::kMoon || s == seeds_.end() || !lists_root(w, s->seed)) {
      count(Drop::world_unwanted);
      return false;
    }
    seeds_.erase(s);
    cfg_.moons.push_back(w);
  }
  ++m_.worlds_accepted;
  out.worlds_learned.push_back(w);
  log(out, LogLevel::kInfo, now,
      std::string(w.type == wire::WorldType::kPlanet ? "planet " : "moon ") + hex16(w.id) +
          " timestamp " + std::to_string(w.timestamp) + " taken from " + hex10(from));
  return true;
}

Core::OrbitResult Core::orbit(uint64_t world_id, uint64_t seed, uint64_t now, Actions& out) {
  OrbitResult r = OrbitResult::kWaiting;
  if (std::any_of(cfg_.moons.begin(), cfg_.moons.end(),
                  [&](const wire::World& m) { return m.id == world_id; })) {
    r = OrbitResult::kJoined;
  } else if (seed == 0) {
    r = OrbitResult::kNoSeed;
  } else if (seed == address()) {
    r = OrbitResult::kBadSeed;
  } else {
    auto s = std::find_if(seeds_.begin(), seeds_.end(),
                          [&](const MoonSeed& x) { return x.world_id == world_id; });
    if (s == seeds_.end()) {
      if (seeds_.size() >= kMaxMoonSeeds || cfg_.moons.size() + seeds_.size() >= kHelloMaxMoons) {
        r = OrbitResult::kTooMany;
      } else {
        seeds_.push_back(MoonSeed{world_id, seed, now, kMoonSeedRetryMs});
        s = seeds_.end() - 1;
      }
    } else {
      *s = MoonSeed{world_id, seed, now, kMoonSeedRetryMs};
    }
    if (r == OrbitResult::kWaiting) try_seed(*s, now, out);
  }
  finish(now, out);
  return r;
}

Core::OrbitResult Core::orbit(const wire::World& moon, uint64_t now, Actions& out) {
  if (moon.type != wire::WorldType::kMoon) return OrbitResult::kNotAMoon;
  auto held = std::find_if(cfg_.moons.begin(), cfg_.moons.end(),
                           [&](const wire::World& m) { return m.id == moon.id; });
  if (held != cfg_.moons.end()) {
    // Already orbited: only a proper update replaces it.
    if (!wire::should_be_replaced_by(*held, moon)) {
      finish(now, out);
      return OrbitResult::kJoined;
    }
    *held = moon;
  } else {
    std::erase_if(seeds_, [&](const MoonSeed& s) { return s.world_id == moon.id; });
    if (cfg_.moons.size() + seeds_.size() >= kHelloMaxMoons) {
      finish(now, out);
      return OrbitResult::kTooMany;
    }
    cfg_.moons.push_back(moon);
  }
  set_upstreams(now, out);
  finish(now, out);
  return OrbitResult::kJoined;
}

bool Core::deorbit(uint64_t world_id, uint64_t now, Actions& out) {
  const size_t moons = std::erase_if(cfg_.moons, [&](const wire::World& m) {
    return m.id == world_id;
  });
  const size_t seeds = std::erase_if(seeds_, [&](const MoonSeed& s) {
    return s.world_id == world_id;
  });
  if (moons) set_upstreams(now, out);
  finish(now, out);
  return moons + seeds != 0;
}

// Ask a seed for its moon: WHOIS it through a root while it is unknown (the
// OK(WHOIS) handler comes back here), then HELLO it -- over its own direct
// path, or through the root heard most recently, which relays it.
void Core::try_seed(MoonSeed& s, uint64_t now, Actions& out) {
  s.next_try = now + s.backoff;
  s.backoff = std::min(s.backoff * 2, kLeafHelloIntervalMs);
  const Peer* p = peers_.find(s.seed);
  if (!p) {
    if (const Peer* up = freshest_upstream(s.seed)) send_whois(up->identity.address(), s.seed, now, out);
    return;
  }
  const Path* path = preferred_path(*p, now);
  if (!path) {
    const Peer* up = freshest_upstream(s.seed);
    if (!up) return;
    path = preferred_path(*up, now);
  }
  const PhysicalPath via = path->phys;
  send_hello(s.seed, via, now, out);
}

void Core::seek_moons(uint64_t now, Actions& out) {
  for (MoonSeed& s : seeds_)
    if (now >= s.next_try) try_seed(s, now, out);
}

}  // namespace flatnet::control
