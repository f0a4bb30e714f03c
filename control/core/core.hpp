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

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <vector>

#include "control/core/actions.hpp"
#include "control/core/config.hpp"
#include "control/core/identity_gate.hpp"
#include "control/core/metrics.hpp"
#include "control/core/outbox.hpp"
#include "control/core/packet.hpp"
#include "control/core/peer_table.hpp"
#include "control/core/peers.hpp"
#include "control/core/rate_limit.hpp"
#include "control/core/role.hpp"
#include "control/core/sender.hpp"
#include "control/core/timers.hpp"
#include "control/core/verbs.hpp"
#include "control/core/vl2_hook.hpp"
#include "control/core/worlds.hpp"
#include "crypto/identity.hpp"
#include "dataplane/wire/fragment.hpp"
#include "dataplane/wire/world.hpp"

namespace flatnet::control {

// The facade: owns the modules (peers, sender, worlds, the role chosen at
// construction, the timers) and runs the receive path common to both
// roles -- framing, authentication, HELLO and its new-identity gate, OK
// handling, WHOIS and ECHO -- handing role-specific work to the role.
class Core final : public Vl1Link {
 public:
  // Agrees keys with every other root of the planet/moons (they become
  // upstreams). `now` starts the timers. The role is chosen here, once: a
  // root if the planet or a moon lists our identity, else a leaf (a later
  // world update does not change it).
  Core(Config cfg, uint64_t now);
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;

  // ---- inputs ----
  void receive(const PhysicalPath& from, std::span<const uint8_t> datagram, uint64_t now,
               Actions& out);
  // A burst of datagrams (a recvmmsg/GRO batch), handled as receive() would
  // one by one, in order, except that with Config::burst_crypto the packets
  // from known peers (cipher 1 and 3; fragments joined first) are
  // dearmored together by crypto/mb before any is dispatched. Without it,
  // receive() per datagram.
  void receive_burst(std::span<const ReceivedDatagram> burst, uint64_t now, Actions& out);
  // Armors and appends to `out` what send_to() queued for a burst
  // (Config::burst_crypto). Every input above does it before it returns; a
  // caller that calls send_to() from outside the core (the member reading
  // its taps) calls this before carrying out `out`.
  void flush_sends(Actions& out) { sender_.flush(out); }
  // The data plane relayed a packet head from `source` to `dest` (an event it
  // sends to control): introduce them to each other (roots).
  void relayed_pair(uint64_t source, uint64_t dest, uint64_t now, Actions& out);
  // Timers (timers.hpp lists them all). Call by next_deadline.
  void run_background(uint64_t now, Actions& out);
  // The data plane (re)started with an empty table: re-announce every peer
  // that has a path (one kPeerUpsert each) and the sibling root.
  void resync(uint64_t now, Actions& out);

  // ---- things a leaf (or a test) asks for ----
  // Full HELLO to a known peer (upstreams are known from the start).
  bool send_hello(uint64_t to, const PhysicalPath& path, uint64_t now, Actions& out);
  // WHOIS `address` to the upstream `root`, over the path we use for it.
  bool send_whois(uint64_t root, uint64_t address, uint64_t now, Actions& out);
  // ECHO with `payload` to a known peer over its live direct path or, with
  // none, through an upstream that has one (the root relays it). The
  // answer comes back in Actions::echo_replies. Returns the packet ID (what
  // the OK quotes), 0 if the peer is unknown or nothing can reach it.
  uint64_t send_echo(uint64_t to, std::span<const uint8_t> payload, uint64_t now, Actions& out);

  // ---- VL2 (vl2_hook.hpp) ----
  // Who gets the VL2 verbs; nullptr = nobody (not owned; must outlive the
  // core or be reset first).
  void set_member(Vl2Handler* h) { member_ = h; }
  void set_controller(Vl2Handler* h) { controller_ = h; }
  // Sends `verb` with `payload` (after the verb byte) to `to`: over its live
  // direct path, else relayed by the freshest upstream, else a stale direct
  // path; sealed with the peer's suite and fragmented to the physical MTU.
  // An unknown `to` is asked of an upstream and the packet held (outbox.hpp)
  // until it is learned or kHeldMs pass. Returns the packet ID it has (or
  // will have) on the wire, 0 if it was dropped (counted); with
  // Config::burst_crypto a frame waits for flush_sends() and, under suite 3,
  // the ID returned is its IV (the SIV replaces it on the wire; nobody
  // quotes a frame's ID back).
  // Sending to ourselves is delivered in process (Vl1Link::send_to).
  uint64_t send_to(uint64_t to, wire::Verb verb, std::span<const uint8_t> payload, uint64_t now,
                   Actions& out) override;
  uint64_t send_parts_to(uint64_t to, wire::Verb verb, std::span<const uint8_t> head,
                         std::span<const uint8_t> body, uint64_t now, Actions& out) override;
  // The identity of a peer we know (ourselves included), or nullptr. Valid
  // until the next call into the core.
  const crypto::Identity* identity_of(uint64_t address) const override;
  void want_identity(uint64_t address, uint64_t now, Actions& out) override;
  // True if `to` is known and a packet to it would leave directly (not relayed).
  bool direct_path_to(uint64_t to, uint64_t now) const override;
  std::optional<uint32_t> direct_latency(uint64_t to, uint64_t now) const override;
  const crypto::Identity& self() const override { return cfg_.identity; }
  // True if a packet to `to` would leave now: a path to it or a root to
  // relay it (and, for a peer we do not know, to look it up). False right
  // after a start, before a root answered our HELLO, when a send to a peer
  // restored from the peers cache ends in Drop::outbox_no_route.
  bool can_send_to(uint64_t to, uint64_t now) const;

  // ---- upkeep ----
  // HELLO every upstream on every stable endpoint of its world (spec §7.8:
  // at start and then about every 60 s) using `local_socket`, and, as a
  // leaf, keep every other peer's direct paths alive with a HELLO. The
  // caller calls it on its own timer (kLeafHelloIntervalMs).
  void hello_upstreams(int64_t local_socket, uint64_t now, Actions& out);
  static constexpr uint64_t kLeafHelloIntervalMs = timers::kLeafHelloIntervalMs;
  // A peer remembered from a previous run (the peers cache): its identity
  // and last direct path. It is added without the memory-hard check (we
  // checked it when we learned it) and announced to the data plane, so a
  // restarted root answers it at once. False if known, invalid or no room.
  bool restore_peer(const crypto::Identity& id, const PhysicalPath& path, uint64_t now,
                    Actions& out);
  const std::vector<uint64_t>& upstreams() const override { return peers_.upstreams(); }
  const Config& config() const { return cfg_; }

  // ---- worlds: planet updates and moons (worlds.hpp, spec §6.3, §6.4) ----
  // Worlds arrive in OK(HELLO) from upstreams and moon seeds: a newer planet
  // signed by the current planet's update key, a newer signed revision of an
  // orbited moon, or a wanted moon that lists its seed as a root. An accepted
  // world is used at once (its roots become upstreams, roots no longer
  // listed stop being upstreams, new roots are greeted) and reported in
  // Actions::worlds_learned for the caller to persist.
  using OrbitResult = control::OrbitResult;
  using MoonSeed = control::MoonSeed;
  static const char* to_string(OrbitResult r) { return control::to_string(r); }
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
  const std::vector<MoonSeed>& moon_seeds() const { return worlds_.seeds(); }
  static constexpr size_t kMaxMoonSeeds = Worlds::kMaxMoonSeeds;
  static constexpr uint64_t kMoonSeedRetryMs = timers::kMoonSeedRetryMs;

  // ---- state ----
  uint64_t address() const { return cfg_.identity.address(); }
  bool am_root() const { return role_->is_root(); }
  const Metrics& metrics() const { return m_; }
  const PeerTable& peers() const { return peers_.table(); }
  size_t identity_queue_depth() const { return identity_gate_.depth(); }
  size_t multicast_subscriptions() const { return role_->multicast_subscriptions(); }
  // Where our upstreams see us (OK(HELLO) external address), newest last.
  const std::vector<wire::InetAddress>& surface_addresses() const { return role_->surface(); }
  // Leaf path timers (timers.hpp).
  static constexpr uint64_t kPathHeartbeatMs = timers::kPathHeartbeatMs;
  static constexpr uint64_t kPathAliveMs = Path::kAliveMs;  // defined with Path::alive()
  static_assert(kPathAliveMs == kPathHeartbeatMs + 5000);
  static constexpr uint64_t kPathCheckMs = timers::kPathCheckMs;
  static constexpr uint64_t kPushIntervalMs = timers::kPushIntervalMs;
  static constexpr uint64_t kPushIntervalHavePathMs = timers::kPushIntervalHavePathMs;
  static constexpr uint64_t kPushCutoffMs = timers::kPushCutoffMs;
  static constexpr uint32_t kPushCutoffLimit = timers::kPushCutoffLimit;
  static constexpr unsigned kPushMaxPerScopeAndFamily = timers::kPushMaxPerScopeAndFamily;
  static constexpr size_t kHeldMax = timers::kHeldMax;
  static constexpr uint64_t kHeldMs = timers::kHeldMs;
  uint64_t next_deadline(uint64_t now);
  // The direct path we use for `p` (Peers::path_to: by quality for a leaf,
  // the most recently heard for a root). nullptr if the peer has no path.
  const Path* preferred_path(const Peer& p, uint64_t now) const { return peers_.path_to(p, now); }

 private:
  // receive path (core.cpp)
  // Framing and reassembly: true if `whole` now holds a packet for us.
  bool assemble(const PhysicalPath& from, std::span<const uint8_t> datagram, uint64_t now,
                Actions& out, std::vector<uint8_t>& whole);
  // The packets of a receive burst (receive_burst), dearmored together.
  struct Staged {
    PhysicalPath from;
    std::vector<uint8_t> packet;
    std::shared_ptr<const crypto::mb::PeerKeyset> keys;  // null: the single path
  };
  void open_burst(uint64_t now, Actions& out);
  void open_staged(Staged& s, crypto::DearmorResult verdict, uint64_t now, Actions& out);
  void decode(const PhysicalPath& from, std::vector<uint8_t>& packet, uint64_t now, Actions& out);
  // `wire_len`: the request's size as it arrived (before decompression),
  // what a reply to an unconfirmed path may not exceed.
  void dispatch(Peer& p, const PhysicalPath& from, std::vector<uint8_t>& packet, size_t wire_len,
                uint64_t now, Actions& out);
  void on_ok(Peer& p, const PhysicalPath& from, std::span<const uint8_t> payload, unsigned hops,
             uint64_t now, Actions& out);
  void on_ok_whois(Peer& p, std::span<const uint8_t> payload, uint64_t now, Actions& out);

  // HELLO and identity work (core_hello.cpp)
  void on_hello(const PhysicalPath& from, std::vector<uint8_t>& packet, bool authenticated,
                uint64_t now, Actions& out);
  void check_new_identity(const PhysicalPath& from, std::vector<uint8_t>& packet, uint64_t now,
                          Actions& out);
  void accept_hello(Peer& p, const Hello& h, size_t tail, const PhysicalPath& from,
                    std::vector<uint8_t>& packet, uint64_t now, Actions& out);
  void answer_collision(const crypto::Identity& id, std::unique_ptr<crypto::PeerKeys> keys,
                        const PhysicalPath& from, uint64_t in_re, uint64_t now, Actions& out);
  void drain_identity_queue(uint64_t now, Actions& out);

  // services common to both roles (core_services.cpp)
  void on_whois(Peer& p, const PhysicalPath& from, std::span<const uint8_t> payload,
                std::vector<uint8_t>& packet, size_t wire_len, uint64_t now, Actions& out);
  // OK(WHOIS) to `to` quoting `in_re` with the identities of `addresses`
  // while the packet stays within `budget` bytes; the addresses that did
  // not fit go to *rest. Unknown addresses are asked of an upstream if
  // `forward`.
  void answer_whois(Peer& p, const PhysicalPath& to, uint64_t in_re,
                    const std::vector<uint64_t>& addresses, size_t budget, bool forward,
                    uint64_t now, Actions& out, std::vector<uint64_t>* rest);
  bool path_confirmed(const Peer& p, const PhysicalPath& from) const;
  // `from` answered a round trip of ours: mark it, and send what a WHOIS
  // deferred for it.
  void confirm_path(Peer& p, const PhysicalPath& from, uint64_t now, Actions& out);
  void on_echo(Peer& p, const PhysicalPath& from, std::span<const uint8_t> payload,
               std::vector<uint8_t>& packet, uint64_t now, Actions& out);
  void on_rendezvous(Peer& p, const PhysicalPath& from, std::span<const uint8_t> payload,
                     uint64_t now, Actions& out);
  void on_network_config_request(Peer& p, const PhysicalPath& from,
                                 std::span<const uint8_t> payload, uint64_t in_re, uint64_t now,
                                 Actions& out);

  // VL2 (core_vl2.cpp)
  void to_member(Vl2Packet& pk, uint64_t now, Actions& out);
  // `payload` is head then body (body may be empty).
  uint64_t seal_to(Peer& p, wire::Verb verb, uint64_t packet_id, std::span<const uint8_t> head,
                   std::span<const uint8_t> body, uint64_t now, Actions& out);
  void flush_outbox(uint64_t now, Actions& out);
  uint64_t deliver_locally(wire::Verb verb, std::span<const uint8_t> payload, uint64_t now,
                           Actions& out);

  void count(Drop d) { ++m_.drops[size_t(d)]; }
  void finish(uint64_t now, Actions& out) {
    if (!outbox_.empty()) flush_outbox(now, out);
    sender_.flush(out);
    out.next_deadline = next_deadline(now);
  }

  // Declaration order is construction order: modules take references to
  // the ones before them (and Sender/Worlds to each other).
  Config cfg_;
  Metrics m_;
  Peers peers_;
  Sender sender_;
  Worlds worlds_;
  std::unique_ptr<NodeRole> role_;
  Timers timers_;  // kHousekeeping
  wire::Reassembler reassembler_;
  IdentityGate identity_gate_;
  Outbox outbox_;
  Vl2Handler* member_ = nullptr;
  Vl2Handler* controller_ = nullptr;
  unsigned local_depth_ = 0;  // deliver_locally nesting
  // receive_burst's staging; kept to reuse their capacity.
  std::vector<Staged> staged_;
  std::vector<crypto::mb::Packet> rx_burst_;
  std::vector<crypto::DearmorResult> rx_verdicts_;
};

}  // namespace flatnet::control
