// Where the core hands over the verbs of the virtual Ethernet layer (spec
// §4.7-§4.15, §9, §10) and how VL2 code sends on VL1. The core keeps VL1:
// it authenticates a packet, refreshes its sender's paths and then, for a
// VL2 verb, calls one of two handlers set on it (Core::set_member,
// Core::set_controller). Neither handler sees a datagram, a key or a path
// choice; both send through Core::send_to, which picks the path (live
// direct, else relayed by an upstream), seals and fragments, and holds a
// packet for an unknown destination while an upstream is asked (WHOIS).
//
// The member (control/vl2) gets FRAME, EXT_FRAME, MULTICAST_FRAME,
// NETWORK_CREDENTIALS, NETWORK_CONFIG, MULTICAST_LIKE (a leaf; a root's
// directory still takes them too), and every OK and ERROR answering one
// of those or NETWORK_CONFIG_REQUEST / MULTICAST_GATHER. The controller
// (control/controller) gets NETWORK_CONFIG_REQUEST; without one the core
// answers ERROR(UNSUPPORTED_OPERATION) as a stock node without a
// controller does.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "control/core/actions.hpp"
#include "dataplane/wire/vl1.hpp"

namespace flatnet::crypto {
class Identity;
}

namespace flatnet::control {

struct Vl2Packet {
  enum class Kind : uint8_t {
    kRequest = 0,  // a VL2 verb sent to us: `verb`, `payload` after the verb byte
    kOk,           // OK answering our `in_re_verb`; `payload` after the 9-byte in-re header
    kError,        // ERROR answering our `in_re_verb`; `error_code`, `payload` = its detail
  };
  Kind kind = Kind::kRequest;
  uint64_t source = 0;            // the authenticated sender's address
  const crypto::Identity* identity = nullptr;  // its identity (valid during the call)
  wire::Verb verb = wire::Verb::kNop;          // as on the wire (kOk/kError for replies)
  wire::Verb in_re_verb = wire::Verb::kNop;    // replies only
  uint64_t in_re_packet_id = 0;                // replies only
  uint8_t error_code = 0;                      // kError only (control/core/verbs.hpp ErrorCode)
  uint64_t packet_id = 0;         // this packet's ID (what a reply to it quotes)
  unsigned hops = 0;              // > 0: it came through a relay
  PhysicalPath from;              // the physical path it arrived on
  std::span<const uint8_t> payload;
};

// What VL2 code may ask of VL1 (the core implements it): its own
// identity, the identities of peers it knows, the roots, and sending.
class Vl1Link {
 public:
  virtual ~Vl1Link() = default;
  virtual const crypto::Identity& self() const = 0;  // with its secret key
  // See Core::send_to. Sending to ourselves is delivered at once, in
  // process, to our own member or controller (a node that is the
  // controller of a network it is a member of talks to itself so, as stock
  // does), with Vl2Packet::hops 0 and an empty `from`.
  virtual uint64_t send_to(uint64_t to, wire::Verb verb, std::span<const uint8_t> payload,
                           uint64_t now, Actions& out) = 0;
  // The same with the payload in two parts, `head` then `body` (a FRAME's
  // network ID and ethertype, then the frame as read from the tap), so the
  // frame is copied once, into the packet. By default joined and sent.
  virtual uint64_t send_parts_to(uint64_t to, wire::Verb verb, std::span<const uint8_t> head,
                                 std::span<const uint8_t> body, uint64_t now, Actions& out) {
    std::vector<uint8_t> joined(head.begin(), head.end());
    joined.insert(joined.end(), body.begin(), body.end());
    return send_to(to, verb, joined, now, out);
  }
  // A known peer's identity (ours included), nullptr if unknown.
  virtual const crypto::Identity* identity_of(uint64_t address) const = 0;
  // Asks an upstream for `address`'s identity (WHOIS), bounded per address.
  virtual void want_identity(uint64_t address, uint64_t now, Actions& out) = 0;
  // The roots of our planet and moons, in preference order.
  virtual const std::vector<uint64_t>& upstreams() const = 0;
  // True if `to` is known and reachable directly (not through a root).
  virtual bool direct_path_to(uint64_t to, uint64_t now) const = 0;
  // The measured round trip (ms) of the direct path a packet to `to` would
  // take, if `to` was heard from within 500 s (stock's Peer::isAlive);
  // nullopt without such a path or before its first measurement. A member
  // picks the designated multicast replicator by it (spec §9.2 step 1).
  virtual std::optional<uint32_t> direct_latency(uint64_t to, uint64_t now) const = 0;
};

class Vl2Handler {
 public:
  virtual ~Vl2Handler() = default;
  // One authenticated packet. `out` takes what the handler sends through
  // Core::send_to during the call. Must not call into the core's receive
  // path (it may call send_to and the lookups).
  virtual void packet(const Vl2Packet& pk, uint64_t now, Actions& out) = 0;
};

}  // namespace flatnet::control
