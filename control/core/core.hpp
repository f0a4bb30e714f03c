// The control process's protocol core: an I/O-free state machine in the
// shape of ZeroTier's node core. It is fed datagrams (with the local socket
// and remote physical address they arrived on), data-plane events and `now`
// (milliseconds on any monotonic clock), and answers with Actions: datagrams
// to send, peer-table commands for the data plane, log lines, and the time
// by which it wants run_background() called again.
//
// What it does (spec §4, §7, §8): answers HELLO (verifying new identities
// under a global budget, a bounded queue and per-source buckets), WHOIS
// (including for its own address, Appendix E.2), ECHO, and keeps the
// multicast directory (MULTICAST_LIKE / MULTICAST_GATHER); introduces relayed
// pairs with RENDEZVOUS under a per-pair gate and a global budget; keeps the
// peer table within its capacity and forgets silent peers. As a leaf it can
// HELLO and WHOIS its upstreams, act on their RENDEZVOUS, take planet and
// moon updates from their OK(HELLO), and orbit/deorbit moons at run time.
//
// Single-threaded: one caller at a time. Nothing here blocks or allocates
// without bound; every refusal is counted in metrics().
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <span>
#include <vector>

#include "control/core/actions.hpp"
#include "control/core/metrics.hpp"
#include "control/core/multicast.hpp"
#include "control/core/packet.hpp"
#include "control/core/peer_table.hpp"
#include "control/core/rate_limit.hpp"
#include "control/core/verbs.hpp"
#include "crypto/identity.hpp"
#include "dataplane/wire/fragment.hpp"
#include "dataplane/wire/world.hpp"

namespace flatnet::control {

// Every number a root under attack depends on. Defaults are discussed in
// docs/control.md; the timers are stock's (spec §11.2).
struct Limits {
  size_t peer_capacity = 131072;        // ~2 KiB each (docs/control.md): ~260 MiB
  size_t max_paths_per_peer = 4;          // stock allows 64; a root needs v4 + v6 + a spare
  // New identities: X25519 agreement + 2 MiB memory-hard check, both costly.
  // 10-20 ms of one core each (docs/control.md): 25/s bounds a flood to a
  // quarter to half a core. Known identities never pay again.
  uint32_t identity_checks_per_second = 25;   // global budget (burst = one second's worth)
  size_t identity_queue = 256;                // HELLOs waiting for the budget
  uint64_t identity_queue_timeout_ms = 5000;  // ZT_RECEIVE_QUEUE_TIMEOUT
  uint64_t identity_source_interval_ms = 2000;  // per /32 or /64 (stock: 2000 per bucket)
  uint32_t identity_source_burst = 2;
  size_t identity_source_slots = 16384;
  // Introductions.
  uint32_t rendezvous_per_second = 1000;     // global budget of RENDEZVOUS packets
  uint64_t unite_interval_ms = 30000;        // ZT_MIN_UNITE_INTERVAL, per unordered pair
  uint64_t unite_forget_ms = 240000;
  size_t unite_pairs = 131072;
  // Services.
  uint64_t echo_interval_ms = 166;           // per path
  size_t whois_max_answers = 128;            // identities per OK(WHOIS) (fits in 10024 bytes)
  // Roots ask a sibling root for addresses they do not know (spec §7.4).
  uint32_t whois_forward_per_second = 100;   // global budget
  uint64_t whois_forward_interval_ms = 500;  // ZT_WHOIS_RETRY_DELAY, per address
  size_t whois_forward_addresses = 16384;    // addresses remembered for that interval
  // Multicast directory (roots only).
  size_t multicast_subscriptions = 262144;   // total (network, group, member) entries
  size_t multicast_per_member = 1024;        // per announcing peer
  uint64_t multicast_expire_ms = 600000;     // ZT_MULTICAST_LIKE_EXPIRE
  size_t gather_max_answers = 255;           // members per OK(MULTICAST_GATHER), as root.cpp
  uint32_t gather_per_second = 10;           // per peer (a leaf gathers per group it sends to)
  uint32_t gather_burst = 20;
  // Timers.
  uint64_t peer_timeout_ms = 500000;         // ZT_PEER_ACTIVITY_TIMEOUT
  uint64_t path_timeout_ms = 243000;         // ZT_PEER_PATH_EXPIRATION
  uint64_t housekeeping_ms = 30000;          // ZT_HOUSEKEEPING_PERIOD
  uint64_t confirm_path_interval_ms = 1000;  // HELLO to an unconfirmed path, per peer
  // Logs on per-packet paths.
  uint32_t log_lines_per_second = 20;
};

struct Config {
  crypto::Identity identity;                 // ours, with its private key
  wire::World planet;                        // may be null (type kNull)
  std::vector<wire::World> moons;
  // Reported in HELLO/OK(HELLO). Protocol 12 and the software version of the
  // reference (1.14.1): clients key behaviour off both (cipher choice, and
  // a 1.1.0 quirk in §8.2), and we behave as that version on the wire.
  Version version{wire::kProtoVersion, 1, 14, 1};
  Limits limits;
  // A root without a data plane relays in software: a packet for a known
  // peer goes on to its best path with its hop count bumped, never
  // decrypted, and the pair is introduced (RENDEZVOUS). Off when a data
  // plane relays (it never punts packets for others).
  bool relay = false;
  // Our own addresses (the bound socket), pushed to peers in
  // PUSH_DIRECT_PATHS with the external addresses our upstreams report.
  std::vector<wire::InetAddress> direct_addresses;
};

class Core {
 public:
  // Agrees keys with every other root of the planet/moons (they become
  // upstreams). `now` starts the timers.
  Core(Config cfg, uint64_t now);

  // ---- inputs ----
  void receive(const PhysicalPath& from, std::span<const uint8_t> datagram, uint64_t now,
               Actions& out);
  // The data plane relayed a packet head from `source` to `dest` (an event it
  // sends to control): introduce them to each other.
  void relayed_pair(uint64_t source, uint64_t dest, uint64_t now, Actions& out);
  // Timers: the identity queue, path and peer expiry. Call by next_deadline.
  void run_background(uint64_t now, Actions& out);
  // The data plane (re)started with an empty table: re-announce every peer
  // that has a path (one kPeerUpsert each).
  void resync(uint64_t now, Actions& out);

  // ---- things a leaf (or a test) asks for ----
  // Full HELLO to a known peer (upstreams are known from the start).
  bool send_hello(uint64_t to, const PhysicalPath& path, uint64_t now, Actions& out);
  // WHOIS `address` to the upstream `root`, over its best path.
  bool send_whois(uint64_t root, uint64_t address, uint64_t now, Actions& out);
  // ECHO with `payload` to a known peer over its best direct path or, with
  // none, through an upstream that has one (the root relays it). The
  // answer comes back in Actions::echo_replies. Returns the packet ID (what
  // the OK quotes), 0 if the peer is unknown or nothing can reach it.
  uint64_t send_echo(uint64_t to, std::span<const uint8_t> payload, uint64_t now, Actions& out);

  // ---- leaf upkeep (core_leaf.cpp) ----
  // HELLO every upstream on every stable endpoint of its world (spec §7.8:
  // at start and then about every 60 s) using `local_socket`, and, as a
  // leaf, keep every other peer's direct paths alive with a HELLO. The
  // caller calls it on its own timer (kLeafHelloIntervalMs).
  void hello_upstreams(int64_t local_socket, uint64_t now, Actions& out);
  static constexpr uint64_t kLeafHelloIntervalMs = 60000;
  // A peer remembered from a previous run (the peers cache): its identity
  // and last direct path. It is added without the memory-hard check (we
  // checked it when we learned it) and announced to the data plane, so a
  // restarted root answers it at once. False if known, invalid or no room.
  bool restore_peer(const crypto::Identity& id, const PhysicalPath& path, uint64_t now,
                    Actions& out);
  const std::vector<uint64_t>& upstreams() const { return upstreams_; }
  const Config& config() const { return cfg_; }

  // ---- worlds: planet updates and moons (core_leaf.cpp, spec §6.3, §6.4) ----
  // Worlds arrive in OK(HELLO) from upstreams and moon seeds: a newer planet
  // signed by the current planet's update key, a newer signed revision of an
  // orbited moon, or a wanted moon that lists its seed as a root. An accepted
  // world is used at once (its roots become upstreams, roots no longer
  // listed stop being upstreams, new roots are greeted) and reported in
  // Actions::worlds_learned for the caller to persist.
  enum class OrbitResult : uint8_t {
    kJoined = 0,  // the moon is held (now, or already)
    kWaiting,     // seed recorded: the moon is being fetched from it
    kNoSeed,      // seed 0 and the moon is not held: nothing to fetch it from
    kBadSeed,     // the seed is our own address
    kTooMany,     // kMaxMoonSeeds waiting, or kHelloMaxMoons moons + seeds
    kNotAMoon,    // orbit(World) given a planet
  };
  static const char* to_string(OrbitResult r);
  // Orbit moon `world_id` through the root `seed` (stock Node::orbit without
  // a cached .moon): the seed is asked for through a root (WHOIS) if
  // unknown, then sent a HELLO (direct, or relayed by a root) listing the
  // moon with timestamp 0; its OK(HELLO) carries the moon. Retried every
  // 2 s, doubling up to kLeafHelloIntervalMs, until the moon arrives or
  // deorbit(). A second orbit for the same moon replaces its seed.
  OrbitResult orbit(uint64_t world_id, uint64_t seed, uint64_t now, Actions& out);
  // A moon we already have the bytes of (a .moon file): taken as is if not
  // orbited (as stock takes its cache), by the update rule if orbited.
  OrbitResult orbit(const wire::World& moon, uint64_t now, Actions& out);
  // Leaves moon `world_id` (its roots stop being upstreams) or stops waiting
  // for it. False if neither orbited nor waited for.
  bool deorbit(uint64_t world_id, uint64_t now, Actions& out);
  struct MoonSeed {
    uint64_t world_id = 0;
    uint64_t seed = 0;
    uint64_t next_try = 0;
    uint64_t backoff = 0;
  };
  const std::vector<MoonSeed>& moon_seeds() const { return seeds_; }
  static constexpr size_t kMaxMoonSeeds = 16;
  static constexpr uint64_t kMoonSeedRetryMs = 2000;

  // ---- state ----
  uint64_t address() const { return cfg_.identity.address(); }
  bool am_root() const { return am_root_; }
  const Metrics& metrics() const { return m_; }
  const PeerTable& peers() const { return peers_; }
  size_t identity_queue_depth() const { return queue_.size(); }
  size_t multicast_subscriptions() const { return multicast_.size(); }
  // Where our upstreams see us (OK(HELLO) external address), newest last.
  const std::vector<wire::InetAddress>& surface_addresses() const { return surface_; }
  // Leaf path timers (stock: ZT_PATH_HEARTBEAT_PERIOD, alive = heartbeat + 5 s,
  // ZT_PING_CHECK_INVERVAL, ZT_DIRECT_PATH_PUSH_INTERVAL[_HAVEPATH],
  // ZT_PUSH_DIRECT_PATHS_CUTOFF_TIME/_LIMIT, _MAX_PER_SCOPE_AND_FAMILY).
  static constexpr uint64_t kPathHeartbeatMs = 14000;
  static constexpr uint64_t kPathAliveMs = Path::kAliveMs;  // defined with Path::alive()
  static_assert(kPathAliveMs == kPathHeartbeatMs + 5000);
  static constexpr uint64_t kPathCheckMs = 5000;
  static constexpr uint64_t kPushIntervalMs = 15000;
  static constexpr uint64_t kPushIntervalHavePathMs = 120000;
  static constexpr uint64_t kPushCutoffMs = 30000;
  static constexpr uint32_t kPushCutoffLimit = 8;
  static constexpr unsigned kPushMaxPerScopeAndFamily = 8;
  // Packets from unknown senders wait for a WHOIS answer (leaves; stock's
  // ZT_RECEIVE_QUEUE_TIMEOUT), at most this many in all.
  static constexpr size_t kHeldMax = 64;
  static constexpr uint64_t kHeldMs = 5000;
  uint64_t next_deadline(uint64_t now);
  // The direct path we use for `p` (core_paths.cpp): a leaf takes the live
  // path (heard within 19 s) of best quality (spec §8.4: latency from our
  // HELLOs answered on it, times 8 - IP scope), else the best of those heard
  // within path_timeout_ms, else the most recently heard; a root keeps the
  // most recently heard (it times no paths toward its leaves). nullptr
  // if the peer has no path.
  const Path* preferred_path(const Peer& p, uint64_t now) const;

 private:
  struct QueuedHello {
    PhysicalPath from;
    std::vector<uint8_t> packet;
    uint64_t at = 0;
  };

  // receive path (core.cpp)
  void decode(const PhysicalPath& from, std::vector<uint8_t>& packet, uint64_t now, Actions& out);
  // `wire_len`: the request's size as it arrived (before decompression),
  // what a reply to an unconfirmed path may not exceed.
  void dispatch(Peer& p, const PhysicalPath& from, std::vector<uint8_t>& packet, size_t wire_len,
                uint64_t now, Actions& out);
  void on_ok(Peer& p, const PhysicalPath& from, std::span<const uint8_t> payload, unsigned hops,
             uint64_t now, Actions& out);

  // HELLO and identity work (core_hello.cpp)
  void on_hello(const PhysicalPath& from, std::vector<uint8_t>& packet, bool authenticated,
                uint64_t now, Actions& out);
  void check_new_identity(const PhysicalPath& from, std::vector<uint8_t>& packet, uint64_t now,
                          Actions& out);
  void accept_hello(Peer& p, const Hello& h, size_t tail, const PhysicalPath& from,
                    std::vector<uint8_t>& packet, uint64_t now, Actions& out);
  void answer_collision(const crypto::Identity& id, std::unique_ptr<crypto::PeerKeys> keys,
                        const PhysicalPath& from, uint64_t in_re, uint64_t now, Actions& out);
  std::vector<uint8_t> worlds_for(const Hello& h);
  void drain_identity_queue(uint64_t now, Actions& out);

  // services (core_services.cpp)
  void on_whois(Peer& p, const PhysicalPath& from, std::span<const uint8_t> payload,
                std::vector<uint8_t>& packet, size_t wire_len, uint64_t now, Actions& out);
  // OK(WHOIS) to `to` quoting `in_re` with the identities of `addresses`
  // while the packet stays within `budget` bytes; the addresses that did
  // not fit go to *rest. Unknown addresses are forwarded if `forward`.
  void answer_whois(Peer& p, const PhysicalPath& to, uint64_t in_re,
                    const std::vector<uint64_t>& addresses, size_t budget, bool forward,
                    uint64_t now, Actions& out, std::vector<uint64_t>* rest);
  // Path confirmation (a round trip proves the address is the peer's).
  bool path_confirmed(const Peer& p, const PhysicalPath& from) const;
  void challenge_path(Peer& p, const PhysicalPath& from, uint64_t now, Actions& out);
  void confirm_path(Peer& p, const PhysicalPath& from, uint64_t now, Actions& out);
  void forward_whois(uint64_t address, uint64_t requester, uint64_t now, Actions& out);
  const Peer* freshest_upstream(uint64_t except) const;
  void on_echo(Peer& p, const PhysicalPath& from, std::span<const uint8_t> payload,
               std::vector<uint8_t>& packet, uint64_t now, Actions& out);
  void on_multicast_like(Peer& p, std::span<const uint8_t> payload, uint64_t now);
  void on_multicast_gather(Peer& p, const PhysicalPath& from, std::span<const uint8_t> payload,
                           std::vector<uint8_t>& packet, uint64_t now, Actions& out);
  void on_rendezvous(Peer& p, const PhysicalPath& from, std::span<const uint8_t> payload,
                     uint64_t now, Actions& out);
  void housekeeping(uint64_t now, Actions& out);

  // software relay (core.cpp)
  void relay(const PhysicalPath& from, std::span<const uint8_t> datagram, bool fragment,
             uint64_t now, Actions& out);
  void release_held(uint64_t source, uint64_t now, Actions& out);
  struct Held {
    uint64_t source = 0;
    PhysicalPath from;
    std::vector<uint8_t> packet;
    uint64_t at = 0;
  };
  std::deque<Held> held_;

  // leaf paths (core_paths.cpp)
  const Path* live_path(const Peer& p, uint64_t now) const;
  const Path* route(const Peer& p, uint64_t now) const;
  void keep_paths_alive(uint64_t now, Actions& out);
  void learn_surface(const Peer& from, const wire::InetAddress& external);
  void on_push_direct_paths(Peer& p, const PhysicalPath& from, std::span<const uint8_t> payload,
                            uint64_t now, Actions& out);
  void push_direct_paths(uint64_t now, Actions& out);

  // worlds (core_leaf.cpp)
  void set_upstreams(uint64_t now, Actions& out);
  void take_worlds(Peer& p, const PhysicalPath& from, std::span<const uint8_t> worlds,
                   uint64_t now, Actions& out);
  bool take_world(const wire::World& w, uint64_t from, uint64_t now, Actions& out);
  void hello_moon_list(std::vector<HelloMoon>& moons) const;
  void announce_sibling(Actions& out);
  void try_seed(MoonSeed& s, uint64_t now, Actions& out);
  void seek_moons(uint64_t now, Actions& out);

  // helpers (core.cpp)
  // Seals and queues `b` toward `p`; returns the packet ID as it went on the
  // wire (what an OK will quote), or 0 if the packet broke a size limit.
  uint64_t send(Peer& p, PacketBuilder& b, const PhysicalPath& path, crypto::Suite suite,
                uint64_t now, Actions& out);
  void announce(Peer& p, Actions& out);
  void forget(uint64_t address, Actions& out);
  void log(Actions& out, LogLevel level, uint64_t now, std::string text);
  void count(Drop d) { ++m_.drops[size_t(d)]; }
  struct Expect {
    uint64_t id = 0;
    wire::Verb verb = wire::Verb::kNop;
    PhysicalPath to;  // where it went: an OK from there (hops 0) confirms that path
  };
  void expect(uint64_t packet_id, wire::Verb verb, const PhysicalPath& to);
  // The request `packet_id` of `verb` we sent, or nullptr.
  const Expect* expected(uint64_t packet_id, wire::Verb verb) const;
  void finish(uint64_t now, Actions& out) { out.next_deadline = next_deadline(now); }

  Config cfg_;
  bool am_root_ = false;
  std::vector<uint64_t> upstreams_;  // the other roots of our planet and moons
  std::vector<MoonSeed> seeds_;      // moons wanted (orbit with a seed), not yet held
  std::vector<wire::InetAddress> surface_;  // external addresses (learn_surface)
  PeerTable peers_;
  Metrics m_;
  wire::Reassembler reassembler_;

  TokenBucket identity_budget_;
  SourceGate identity_sources_;
  std::deque<QueuedHello> queue_;
  TokenBucket rendezvous_budget_;
  PairGate unite_;
  TokenBucket log_budget_;
  TokenBucket whois_forward_budget_;
  PairGate whois_forward_gate_;  // keyed (address, 0): one forward per address per interval
  MulticastDirectory multicast_;
  uint64_t next_housekeeping_;
  uint64_t next_path_check_ = 0;  // heartbeats and address pushes (leaves)

  // Expected replies (spec §2.2): only OKs answering something we sent are
  // acted upon. A small ring; the control core sends few requests.
  std::array<Expect, 128> expect_{};
  size_t expect_next_ = 0;
};

}  // namespace flatnet::control
