// Worlds (spec §6): the planet and moons we hold, the moons we wait for
// (orbit through a seed), updates taken from OK(HELLO), and the upstream
// set they define (every root of them other than us). The one writer of
// Config::planet and Config::moons.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "control/core/actions.hpp"
#include "control/core/config.hpp"
#include "control/core/metrics.hpp"
#include "control/core/peers.hpp"
#include "control/core/timers.hpp"
#include "control/core/verbs.hpp"

namespace flatnet::control {

class Sender;

enum class OrbitResult : uint8_t {
  kJoined = 0,  // the moon is held (now, or already)
  kWaiting,     // seed recorded: the moon is being fetched from it
  kNoSeed,      // seed 0 and the moon is not held: nothing to fetch it from
  kBadSeed,     // the seed is our own address
  kTooMany,     // kMaxMoonSeeds waiting, or kHelloMaxMoons moons + seeds
  kNotAMoon,    // orbit(World) given a planet
};
const char* to_string(OrbitResult r);

struct MoonSeed {
  uint64_t world_id = 0;
  uint64_t seed = 0;
  uint64_t next_try = 0;
  uint64_t backoff = 0;
};

class Worlds {
 public:
  static constexpr size_t kMaxMoonSeeds = 16;

  Worlds(Config& cfg, Peers& peers, Sender& sender, Metrics& m);

  // Whether our planet or a moon lists our identity as a root: decides, once,
  // whether this core is a root (spec §7.1).
  static bool lists_us(const Config& cfg);
  // Every root of the planet and the moons other than ourselves is an
  // upstream (planet roles first). New roots get keys agreed; peers that are
  // no longer roots become leaves (they keep their keys and paths and age
  // out like any leaf).
  void set_upstreams(uint64_t now, Actions& out);

  // The worlds of an OK(HELLO) answering a HELLO we sent. Only upstreams and
  // moon seeds may update us (Topology::shouldAcceptWorldUpdateFrom). True
  // if a world was taken (the upstreams were recomputed, new roots greeted).
  bool take_worlds(Peer& p, const PhysicalPath& from, std::span<const uint8_t> worlds,
                   uint64_t now, Actions& out);
  // Core::orbit / deorbit (see core.hpp). `changed` is set when the
  // upstreams were recomputed.
  OrbitResult orbit(uint64_t world_id, uint64_t seed, uint64_t now, Actions& out);
  OrbitResult orbit(const wire::World& moon, uint64_t now, Actions& out, bool* changed);
  bool deorbit(uint64_t world_id, uint64_t now, Actions& out, bool* changed);
  // A peer was learned (OK(WHOIS)): if it is a seed we wait for, ask it now.
  void learned(uint64_t address, uint64_t now, Actions& out);
  // Seeds whose retry is due are asked again; next_seed_try() is the earliest.
  void seek_moons(uint64_t now, Actions& out);
  uint64_t next_seed_try() const;
  const std::vector<MoonSeed>& seeds() const { return seeds_; }

  // HELLO every root on every stable endpoint of its world (spec §7.8).
  void hello_roots(int64_t local_socket, uint64_t now, Actions& out);
  // The planet and moon fields of a HELLO we send (stock's moon list: held
  // moons with their timestamps, then waited-for moons with timestamp 0).
  void hello_fields(Hello& h) const;
  // The worlds to put in the OK answering `h`: ours where it holds older.
  std::vector<uint8_t> worlds_for(const Hello& h, Metrics& m) const;
  // Where a root's data plane sends packets for destinations it has no path
  // to: another root of the world it serves (its planet, else the first
  // moon listing it), at that root's first stable endpoint that is an
  // address at all (a world may list a null one; it is never sent).
  std::optional<TableCommand> sibling() const;

 private:
  bool take_world(const wire::World& w, uint64_t from, uint64_t now, Actions& out);
  void try_seed(MoonSeed& s, uint64_t now, Actions& out);

  Config& cfg_;
  Peers& peers_;
  Sender& sender_;
  Metrics& m_;
  std::vector<MoonSeed> seeds_;  // moons wanted (orbit with a seed), not yet held
};

}  // namespace flatnet::control
