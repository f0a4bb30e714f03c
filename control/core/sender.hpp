// What the core sends on its own account: sealing a packet toward a peer
// into Actions, the requests we make (HELLO, WHOIS, ECHO) and the replies
// we expect to them (spec §2.2: only OKs answering something we sent are
// acted upon), WHOIS asked of an upstream under a budget, and log lines
// under theirs. Shared by the services and both roles.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "control/core/actions.hpp"
#include "control/core/config.hpp"
#include "control/core/metrics.hpp"
#include "control/core/packet.hpp"
#include "control/core/peers.hpp"
#include "control/core/rate_limit.hpp"

namespace flatnet::control {

class Worlds;

class Sender {
 public:
  Sender(const Config& cfg, Peers& peers, const Worlds& worlds, Metrics& m);

  // Seals and queues `b` toward `p` on `path`; returns the packet ID as it
  // went on the wire (what an OK will quote), or 0 if the packet broke a
  // size limit (counted).
  uint64_t send(Peer& p, PacketBuilder& b, const PhysicalPath& path, crypto::Suite suite,
                uint64_t now, Actions& out);
  // A reply of `verb` to `p` with the peer's suite.
  uint64_t send(Peer& p, PacketBuilder& b, const PhysicalPath& path, uint64_t now, Actions& out) {
    return send(p, b, path, p.suite(), now, out);
  }
  // Queues `b` toward `p` on `path` unarmored, for flush() to armor with the
  // other packets of this turn in one burst (crypto/mb). Returns the packet
  // ID as built: the wire ID for suites 0/1; for suite 3 the SIV replaces
  // it, so callers that must know what an OK will quote use send(). 0 if
  // the packet broke a size limit (counted).
  uint64_t queue(Peer& p, PacketBuilder& b, const PhysicalPath& path, crypto::Suite suite,
                 uint64_t now);
  // Armors what queue() holds (one armor_burst per suite), fragments it and
  // appends the datagrams to `out`, in the order queued. send() flushes
  // first, so packets leave in the order they were made.
  void flush(Actions& out);
  bool queued() const { return !pending_.empty(); }

  // ---- requests ----
  // Full HELLO to a known peer on `path` (spec §4.2).
  bool hello(uint64_t to, const PhysicalPath& path, uint64_t now, Actions& out);
  // WHOIS `address` to the upstream `root`, over the path we use for it.
  bool whois(uint64_t root, uint64_t address, uint64_t now, Actions& out);
  // ECHO with `payload` to `to` over Peers::route. Returns the packet ID.
  uint64_t echo(uint64_t to, std::span<const uint8_t> payload, uint64_t now, Actions& out);
  // ECHO on `path` (a heartbeat or a path challenge). Returns the packet ID.
  uint64_t echo_on(Peer& p, const PhysicalPath& path, uint64_t now, Actions& out);
  // An ECHO to a known, unconfirmed path of `p`: its OK quoting the random
  // packet ID (Path::challenge_id) can only come from whoever receives at
  // that address. At most one per confirm_path_interval_ms per path (stock
  // answers one ECHO per second per peer). Unknown paths are confirmed by
  // the HELLO Core::dispatch sends them instead.
  void challenge(Peer& p, const PhysicalPath& path, uint64_t now, Actions& out);
  // Ask an upstream about `address` for `requester` (0: ourselves): a root
  // asks a sibling root of its planet or moons about an address it does not
  // know (the requester's retry 500 ms later then finds it); a leaf asks its
  // roots about an unknown sender. Bounded per address and globally, since
  // any known peer (or any packet, for a leaf) can make us ask.
  void ask_upstream(uint64_t address, uint64_t requester, uint64_t now, Actions& out);

  // ---- replies we expect ----
  struct Expect {
    uint64_t id = 0;
    wire::Verb verb = wire::Verb::kNop;
    PhysicalPath to;  // where it went: an OK from there (hops 0) confirms that path
  };
  // The request `packet_id` of `verb` we sent, or nullptr.
  const Expect* expected(uint64_t packet_id, wire::Verb verb) const;

  void log(Actions& out, LogLevel level, uint64_t now, std::string text);
  void expire(uint64_t now) { whois_forward_gate_.expire(now); }

 private:
  void expect(uint64_t packet_id, wire::Verb verb, const PhysicalPath& to);

  const Config& cfg_;
  Peers& peers_;
  const Worlds& worlds_;
  Metrics& m_;
  TokenBucket log_budget_;
  TokenBucket whois_forward_budget_;
  PairGate whois_forward_gate_;  // keyed (address, 0): one forward per address per interval
  // A small ring; the control core sends few requests.
  std::array<Expect, 128> expect_{};
  size_t expect_next_ = 0;
  // queue()'d packets and where each goes (parallel vectors; they keep
  // their capacity from turn to turn).
  std::vector<Unsealed> pending_;
  std::vector<PhysicalPath> pending_to_;
};

}  // namespace flatnet::control
