// What differs between a root and a leaf, as one interface chosen once
// when the core is built (RootRole if our planet or a moon lists us as a
// root, else LeafRole): the core's receive path and timers call the role
// instead of branching on "am I a root" (the VPP habit of choosing the
// variant outside the loop). VL2 membership is meant to sit beside these as
// its own module, not inside them.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "control/core/actions.hpp"
#include "control/core/peer_table.hpp"
#include "control/core/verbs.hpp"

namespace flatnet::control {

// A packet from a sender we did not know, held until a WHOIS answers.
struct HeldPacket {
  uint64_t source = 0;
  PhysicalPath from;
  std::vector<uint8_t> packet;
  uint64_t at = 0;
};

class NodeRole {
 public:
  virtual ~NodeRole() = default;
  virtual bool is_root() const = 0;

  // ---- the receive path ----
  // A packet other than HELLO from an address we do not know.
  virtual void unknown_sender(const PhysicalPath& from, std::vector<uint8_t>& packet,
                              uint64_t now, Actions& out) = 0;
  // The packets unknown_sender held for `source`, now known, oldest first.
  virtual std::vector<HeldPacket> release(uint64_t source) = 0;
  // A packet or fragment addressed to another node.
  virtual void not_for_us(const PhysicalPath& from, std::span<const uint8_t> datagram,
                          bool fragment, uint64_t now, Actions& out) = 0;
  // A HELLO from `p` was accepted on direct path `from` (one of its paths).
  virtual void hello_accepted(Peer& p, const PhysicalPath& from, uint64_t now,
                              Actions& out) = 0;
  // An upstream's OK(HELLO), received directly, says where it sees us.
  virtual void external_address(const Peer& from, const wire::InetAddress& external) = 0;
  virtual void multicast_like(Peer& p, const MulticastLike& m, uint64_t now) = 0;
  virtual void multicast_gather(Peer& p, const PhysicalPath& from, const MulticastGather& g,
                                uint64_t in_re, uint64_t now, Actions& out) = 0;
  virtual void push_direct_paths(Peer& p, const PhysicalPath& from, const PushDirectPaths& pd,
                                 uint64_t now, Actions& out) = 0;

  // ---- events and timers ----
  // The data plane relayed a packet head from `a` to `b`.
  virtual void relayed_pair(uint64_t a, uint64_t b, uint64_t now, Actions& out) = 0;
  // Core::hello_upstreams, beyond HELLOing the roots.
  virtual void upkeep(uint64_t now, Actions& out) = 0;
  // Called from run_background; housekeeping() with the core's housekeeping.
  virtual void run(uint64_t now, Actions& out) = 0;
  virtual void housekeeping(uint64_t now) = 0;
  virtual uint64_t next_deadline() const = 0;
  // Our worlds changed, or the data plane restarted empty.
  virtual void worlds_changed(Actions& out) = 0;

  // ---- state ----
  virtual size_t multicast_subscriptions() const = 0;
  virtual const std::vector<wire::InetAddress>& surface() const = 0;
};

}  // namespace flatnet::control
