// The root role (spec §7): the multicast directory (LIKE/GATHER), software
// relay when no data plane relays, introductions of relayed pairs
// (RENDEZVOUS, spec §7.3) under a per-pair gate and a global budget, a
// challenge to every new leaf path, and the sibling root the data plane
// sends unknown destinations to. A root learns peers only from their
// HELLOs: packets from unknown senders are dropped.
#pragma once

#include "control/core/config.hpp"
#include "control/core/metrics.hpp"
#include "control/core/multicast.hpp"
#include "control/core/peers.hpp"
#include "control/core/rate_limit.hpp"
#include "control/core/role.hpp"
#include "control/core/sender.hpp"
#include "control/core/worlds.hpp"

namespace flatnet::control {

class RootRole final : public NodeRole {
 public:
  RootRole(const Config& cfg, Peers& peers, Sender& sender, const Worlds& worlds, Metrics& m);

  bool is_root() const override { return true; }
  void unknown_sender(const PhysicalPath& from, std::vector<uint8_t>& packet, uint64_t now,
                      Actions& out) override;
  std::vector<HeldPacket> release(uint64_t) override { return {}; }
  void not_for_us(const PhysicalPath& from, std::span<const uint8_t> datagram, bool fragment,
                  uint64_t now, Actions& out) override;
  void hello_accepted(Peer& p, const PhysicalPath& from, uint64_t now, Actions& out) override;
  void external_address(const Peer&, const wire::InetAddress&) override {}
  void multicast_like(Peer& p, const MulticastLike& m, uint64_t now) override;
  void multicast_gather(Peer& p, const PhysicalPath& from, const MulticastGather& g,
                        uint64_t in_re, uint64_t now, Actions& out) override;
  // A root reaches its leaves where their HELLOs come from.
  void push_direct_paths(Peer&, const PhysicalPath&, const PushDirectPaths&, uint64_t,
                         Actions&) override {}
  void relayed_pair(uint64_t a, uint64_t b, uint64_t now, Actions& out) override;
  // A root answers; its leaves keep their paths to it alive.
  void upkeep(uint64_t, Actions&) override {}
  void run(uint64_t, Actions&) override {}
  void housekeeping(uint64_t now) override;
  uint64_t next_deadline() const override { return Timers::kNever; }
  void worlds_changed(Actions& out) override;
  size_t multicast_subscriptions() const override { return multicast_.size(); }
  const std::vector<wire::InetAddress>& surface() const override { return none_; }

 private:
  const Config& cfg_;
  Peers& peers_;
  Sender& sender_;
  const Worlds& worlds_;
  Metrics& m_;
  MulticastDirectory multicast_;
  TokenBucket rendezvous_budget_;
  PairGate unite_;
  const std::vector<wire::InetAddress> none_;
};

}  // namespace flatnet::control
