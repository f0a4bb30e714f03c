// The leaf role (spec §7.8, §8): packets from unknown senders held while
// their roots are asked who the sender is; direct paths kept alive with
// heartbeat ECHOs and HELLOs; our addresses pushed to peers
// (PUSH_DIRECT_PATHS) and theirs tried; the external ("surface")
// addresses our upstreams report. Timers are stock's (timers.hpp).
#pragma once

#include <deque>

#include "control/core/config.hpp"
#include "control/core/metrics.hpp"
#include "control/core/peers.hpp"
#include "control/core/role.hpp"
#include "control/core/sender.hpp"
#include "control/core/timers.hpp"

namespace flatnet::control {

class LeafRole final : public NodeRole {
 public:
  LeafRole(const Config& cfg, Peers& peers, Sender& sender, Metrics& m, uint64_t now);

  bool is_root() const override { return false; }
  void unknown_sender(const PhysicalPath& from, std::vector<uint8_t>& packet, uint64_t now,
                      Actions& out) override;
  std::vector<HeldPacket> release(uint64_t source) override;
  void not_for_us(const PhysicalPath&, std::span<const uint8_t>, bool, uint64_t,
                  Actions&) override {
    ++m_.drops[size_t(Drop::not_for_us)];
  }
  void hello_accepted(Peer&, const PhysicalPath&, uint64_t, Actions&) override {}
  void external_address(const Peer& from, const wire::InetAddress& external) override;
  // A leaf's multicast directory is network-layer work (VL2).
  void multicast_like(Peer&, const MulticastLike&, uint64_t) override {}
  void multicast_gather(Peer&, const PhysicalPath&, const MulticastGather&, uint64_t, uint64_t,
                        Actions&) override {}
  void push_direct_paths(Peer& p, const PhysicalPath& from, const PushDirectPaths& pd,
                         uint64_t now, Actions& out) override;
  // Introductions are a root's; a leaf has nobody to introduce.
  void relayed_pair(uint64_t, uint64_t, uint64_t, Actions&) override { ++m_.rendezvous_no_path; }
  void upkeep(uint64_t now, Actions& out) override;
  void run(uint64_t now, Actions& out) override;
  void housekeeping(uint64_t) override {}
  uint64_t next_deadline() const override;
  void worlds_changed(Actions&) override {}
  size_t multicast_subscriptions() const override { return 0; }
  const std::vector<wire::InetAddress>& surface() const override { return surface_; }

 private:
  void keep_paths_alive(uint64_t now, Actions& out);
  void push_our_paths(uint64_t now, Actions& out);

  const Config& cfg_;
  Peers& peers_;
  Sender& sender_;
  Metrics& m_;
  std::deque<HeldPacket> held_;
  std::vector<wire::InetAddress> surface_;  // external addresses, newest last
  Timers timers_;                           // kPathCheck
};

}  // namespace flatnet::control
