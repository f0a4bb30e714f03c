// Worlds: planet updates and moons (spec §6.3, §6.4). See worlds.hpp.
#include "control/core/worlds.hpp"

#include <algorithm>
#include <string>

#include "control/core/sender.hpp"
#include "dataplane/wire/hex.hpp"

namespace flatnet::control {

namespace {

bool lists_root(const wire::World& w, uint64_t address) {
  return std::any_of(w.roots.begin(), w.roots.end(), [&](const wire::WorldRoot& r) {
    return r.identity.address() == address;
  });
}

}  // namespace

const char* to_string(OrbitResult r) {
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

Worlds::Worlds(Config& cfg, Peers& peers, Sender& sender, Metrics& m)
    : cfg_(cfg), peers_(peers), sender_(sender), m_(m) {}

bool Worlds::lists_us(const Config& cfg) {
  auto in = [&](const wire::World& w) {
    return std::any_of(w.roots.begin(), w.roots.end(),
                       [&](const wire::WorldRoot& r) { return r.identity == cfg.identity; });
  };
  if (!cfg.planet.is_null() && in(cfg.planet)) return true;
  return std::any_of(cfg.moons.begin(), cfg.moons.end(), in);
}

void Worlds::set_upstreams(uint64_t now, Actions& out) {
  std::vector<std::pair<const crypto::Identity*, PeerRole>> want;
  const uint64_t self = cfg_.identity.address();
  auto take = [&](const wire::World& w, PeerRole role) {
    for (const wire::WorldRoot& r : w.roots) {
      const uint64_t a = r.identity.address();
      if (r.identity == cfg_.identity || a == self ||
          std::any_of(want.begin(), want.end(),
                      [&](const auto& x) { return x.first->address() == a; }))
        continue;
      want.emplace_back(&r.identity, role);
    }
  };
  if (!cfg_.planet.is_null()) take(cfg_.planet, PeerRole::kPlanetRoot);
  for (const wire::World& m : cfg_.moons) take(m, PeerRole::kMoonRoot);
  peers_.set_upstreams(want, now, out);
}

std::optional<TableCommand> Worlds::sibling() const {
  struct Sibling {
    uint64_t address = 0;
    const wire::InetAddress* at = nullptr;
  };
  auto find_in = [&](const wire::World& w) -> Sibling {
    const bool ours = std::any_of(w.roots.begin(), w.roots.end(), [&](const wire::WorldRoot& r) {
      return r.identity == cfg_.identity;
    });
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
  if (!s.at) return std::nullopt;
  return TableCommand{TableOp::kSiblingRoot, s.address, PhysicalPath{0, *s.at}};
}

void Worlds::hello_roots(int64_t local_socket, uint64_t now, Actions& out) {
  auto hello_world = [&](const wire::World& w) {
    for (const wire::WorldRoot& r : w.roots) {
      if (r.identity.address() == cfg_.identity.address()) continue;
      for (const wire::InetAddress& ep : r.endpoints)
        sender_.hello(r.identity.address(), PhysicalPath{local_socket, ep}, now, out);
    }
  };
  if (!cfg_.planet.is_null()) hello_world(cfg_.planet);
  for (const wire::World& m : cfg_.moons) hello_world(m);
}

void Worlds::hello_fields(Hello& h) const {
  if (!cfg_.planet.is_null()) {
    h.has_planet = true;
    h.planet_id = cfg_.planet.id;
    h.planet_timestamp = cfg_.planet.timestamp;
  }
  for (const wire::World& m : cfg_.moons)
    h.moons.push_back(HelloMoon{uint8_t(wire::WorldType::kMoon), m.id, m.timestamp});
  for (const MoonSeed& s : seeds_)
    h.moons.push_back(HelloMoon{uint8_t(wire::WorldType::kMoon), s.world_id, 0});
}

std::vector<uint8_t> Worlds::worlds_for(const Hello& h, Metrics& m) const {
  std::vector<uint8_t> w;
  // OK(HELLO) must stay one packet: leave room for its 28 + 9 + 35 bytes.
  const size_t room = wire::kMaxPacketLength - 128;
  auto add = [&](const wire::World& world) {
    std::vector<uint8_t> bytes;
    if (!wire::serialize_world(world, bytes) || w.size() + bytes.size() > room) return;
    w.insert(w.end(), bytes.begin(), bytes.end());
    ++m.worlds_sent;
  };
  const wire::World& planet = cfg_.planet;
  if (h.has_planet && !planet.is_null() && h.planet_id == planet.id &&
      h.planet_timestamp < planet.timestamp)
    add(planet);
  for (const HelloMoon& hm : h.moons)
    for (const wire::World& moon : cfg_.moons)
      if (hm.id == moon.id && hm.timestamp < moon.timestamp) add(moon);
  return w;
}

bool Worlds::take_worlds(Peer& p, const PhysicalPath& from, std::span<const uint8_t> worlds,
                         uint64_t now, Actions& out) {
  if (worlds.empty()) return false;
  const uint64_t sender = p.identity.address();
  if (!p.is_upstream() && std::none_of(seeds_.begin(), seeds_.end(), [&](const MoonSeed& s) {
        return s.seed == sender;
      })) {
    ++m_.drops[size_t(Drop::world_not_upstream)];
    return false;
  }
  const std::vector<uint64_t> before = peers_.upstreams();
  bool changed = false;
  size_t off = 0;
  while (off < worlds.size()) {
    wire::World w;
    size_t used = 0;
    if (wire::deserialize_world(worlds.subspan(off), w, &used) != wire::WorldStatus::kOk ||
        used == 0) {
      ++m_.drops[size_t(Drop::world_malformed)];
      break;
    }
    off += used;
    changed |= take_world(w, sender, now, out);
  }
  if (!changed) return false;
  set_upstreams(now, out);
  // Greet the new roots on their stable endpoints now rather than at the
  // next HELLO round, over the socket the world came in on.
  const std::vector<uint64_t>& after = peers_.upstreams();
  auto greet = [&](const wire::World& w) {
    for (const wire::WorldRoot& r : w.roots) {
      const uint64_t a = r.identity.address();
      if (std::find(before.begin(), before.end(), a) != before.end() ||
          std::find(after.begin(), after.end(), a) == after.end())
        continue;
      for (const wire::InetAddress& ep : r.endpoints)
        if (!ep.is_null()) sender_.hello(a, PhysicalPath{from.local_socket, ep}, now, out);
    }
  };
  if (!cfg_.planet.is_null()) greet(cfg_.planet);
  for (const wire::World& m : cfg_.moons) greet(m);
  return true;
}

// One world from an upstream or seed `from`: the planet by the update rule
// (same ID, newer, signed by the current planet's updatesMustBeSignedBy),
// an orbited moon the same way, a wanted moon if it lists its seed as a
// root. A planet is never adopted when we hold none.
bool Worlds::take_world(const wire::World& w, uint64_t from, uint64_t now, Actions& out) {
  wire::World* current = nullptr;
  if (w.type == wire::WorldType::kPlanet) {
    if (!cfg_.planet.is_null() && w.id == cfg_.planet.id) current = &cfg_.planet;
  } else {
    for (wire::World& m : cfg_.moons)
      if (m.id == w.id) current = &m;
  }
  if (current) {
    if (w.timestamp <= current->timestamp) {
      ++m_.drops[size_t(Drop::world_not_newer)];
      return false;
    }
    if (!wire::world_verify(w, current->updates_must_be_signed_by)) {
      ++m_.drops[size_t(Drop::world_bad_signature)];
      return false;
    }
    *current = w;
  } else {
    auto s = std::find_if(seeds_.begin(), seeds_.end(),
                          [&](const MoonSeed& x) { return x.world_id == w.id; });
    if (w.type != wire::WorldType::kMoon || s == seeds_.end() || !lists_root(w, s->seed)) {
      ++m_.drops[size_t(Drop::world_unwanted)];
      return false;
    }
    seeds_.erase(s);
    cfg_.moons.push_back(w);
  }
  ++m_.worlds_accepted;
  out.worlds_learned.push_back(w);
  sender_.log(out, LogLevel::kInfo, now,
              std::string(w.type == wire::WorldType::kPlanet ? "planet " : "moon ") + wire::hex_id(w.id) +
                  " timestamp " + std::to_string(w.timestamp) + " taken from " + wire::hex_address(from));
  return true;
}

OrbitResult Worlds::orbit(uint64_t world_id, uint64_t seed, uint64_t now, Actions& out) {
  if (std::any_of(cfg_.moons.begin(), cfg_.moons.end(),
                  [&](const wire::World& m) { return m.id == world_id; }))
    return OrbitResult::kJoined;
  if (seed == 0) return OrbitResult::kNoSeed;
  if (seed == cfg_.identity.address()) return OrbitResult::kBadSeed;
  auto s = std::find_if(seeds_.begin(), seeds_.end(),
                        [&](const MoonSeed& x) { return x.world_id == world_id; });
  if (s == seeds_.end()) {
    if (seeds_.size() >= kMaxMoonSeeds || cfg_.moons.size() + seeds_.size() >= kHelloMaxMoons)
      return OrbitResult::kTooMany;
    seeds_.push_back(MoonSeed{world_id, seed, now, timers::kMoonSeedRetryMs});
    s = seeds_.end() - 1;
  } else {
    *s = MoonSeed{world_id, seed, now, timers::kMoonSeedRetryMs};
  }
  try_seed(*s, now, out);
  return OrbitResult::kWaiting;
}

OrbitResult Worlds::orbit(const wire::World& moon, uint64_t now, Actions& out, bool* changed) {
  *changed = false;
  if (moon.type != wire::WorldType::kMoon) return OrbitResult::kNotAMoon;
  auto held = std::find_if(cfg_.moons.begin(), cfg_.moons.end(),
                           [&](const wire::World& m) { return m.id == moon.id; });
  if (held != cfg_.moons.end()) {
    // Already orbited: only a proper update replaces it.
    if (!wire::should_be_replaced_by(*held, moon)) return OrbitResult::kJoined;
    *held = moon;
  } else {
    std::erase_if(seeds_, [&](const MoonSeed& s) { return s.world_id == moon.id; });
    if (cfg_.moons.size() + seeds_.size() >= kHelloMaxMoons) return OrbitResult::kTooMany;
    cfg_.moons.push_back(moon);
  }
  set_upstreams(now, out);
  *changed = true;
  return OrbitResult::kJoined;
}

bool Worlds::deorbit(uint64_t world_id, uint64_t now, Actions& out, bool* changed) {
  const size_t moons =
      std::erase_if(cfg_.moons, [&](const wire::World& m) { return m.id == world_id; });
  const size_t seeds =
      std::erase_if(seeds_, [&](const MoonSeed& s) { return s.world_id == world_id; });
  *changed = moons != 0;
  if (moons) set_upstreams(now, out);
  return moons + seeds != 0;
}

void Worlds::learned(uint64_t address, uint64_t now, Actions& out) {
  for (MoonSeed& s : seeds_)
    if (s.seed == address) try_seed(s, now, out);
}

// Ask a seed for its moon: WHOIS it through a root while it is unknown (the
// OK(WHOIS) handler comes back here through learned()), then HELLO it --
// over its own direct path, or through the root heard most recently, which
// relays it.
void Worlds::try_seed(MoonSeed& s, uint64_t now, Actions& out) {
  s.next_try = now + s.backoff;
  s.backoff = std::min(s.backoff * 2, timers::kLeafHelloIntervalMs);
  const Peer* p = peers_.find(s.seed);
  if (!p) {
    if (const Peer* up = peers_.freshest_upstream(s.seed))
      sender_.whois(up->identity.address(), s.seed, now, out);
    return;
  }
  const Path* path = peers_.path_to(*p, now);
  if (!path) {
    const Peer* up = peers_.freshest_upstream(s.seed);
    if (!up) return;
    path = peers_.path_to(*up, now);
    if (!path) return;
  }
  const PhysicalPath via = path->phys;
  sender_.hello(s.seed, via, now, out);
}

void Worlds::seek_moons(uint64_t now, Actions& out) {
  for (MoonSeed& s : seeds_)
    if (now >= s.next_try) try_seed(s, now, out);
}

uint64_t Worlds::next_seed_try() const {
  uint64_t t = Timers::kNever;
  for (const MoonSeed& s : seeds_) t = std::min(t, s.next_try);
  return t;
}

}  // namespace flatnet::control
