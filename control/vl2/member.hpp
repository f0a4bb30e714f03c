// The VL2 member (spec §4.7-§4.15, §9, §10), I/O-free like the core: the
// core hands it authenticated VL2 packets (Core::set_member), the host
// hands it tap frames, subscriptions and the clock; it sends through
// Vl1Link::send_to and leaves tap frames and events for drain().
//
// It is thin on purpose: each concern lives in its own file --
// config_fetch.cpp (requests, chunks, status), credentials.cpp (COMs,
// capabilities, tags, revocations, the gate), member_frames.cpp (unicast
// FRAME / EXT_FRAME both ways, rules), member_multicast.cpp (LIKE, GATHER,
// MULTICAST_FRAME), with the wire forms in frame_codec.* and the per-peer
// record in membership.*. docs/vl2-member.md has the timers and drops.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "control/core/metrics.hpp"
#include "control/core/vl2_hook.hpp"
#include "control/vl2/frame_view.hpp"
#include "control/vl2/member_counters.hpp"
#include "control/vl2/member_types.hpp"
#include "control/vl2/network.hpp"
#include "control/vl2/rules_engine.hpp"

namespace flatnet::control::vl2 {

class Member final : public Vl2Handler {
 public:
  explicit Member(Vl1Link& vl1);

  void packet(const Vl2Packet&, uint64_t now, Actions& out) override;

  // Joins (or keeps) `nwid` and asks its controller for a config at once
  // (an ad-hoc network is configured locally). False if already joined.
  bool join(uint64_t nwid, const LocalSettings&, uint64_t now, Actions& out);
  bool leave(uint64_t nwid, uint64_t now, Actions& out);
  // A saved networks.d/<nwid>.conf: joined with that config (status OK),
  // refreshed at the next check as stock. False if it does not decode or
  // is not ours (the network is still joined, requesting).
  bool restore(uint64_t nwid, std::span<const uint8_t> config_bytes, uint64_t now);
  bool set_settings(uint64_t nwid, const LocalSettings&);
  // The host could not open or configure the network's tap: the status is
  // PORT_ERROR until cleared (stock's _portError). False if not joined.
  bool set_port_error(uint64_t nwid, bool error);
  void from_tap(uint64_t nwid, std::span<const uint8_t> frame, uint64_t now, Actions& out);
  // The tap's groups (control/port/subscriptions); the broadcast group is
  // added here when the config enables broadcast.
  void set_subscriptions(uint64_t nwid, std::vector<MulticastGroup> groups, uint64_t now,
                         Actions& out);
  void run(uint64_t now, Actions& out);  // timers
  // When run() next has work; UINT64_MAX with no network joined.
  uint64_t next_deadline() const;
  std::vector<NetworkInfo> networks() const;
  std::optional<NetworkInfo> network(uint64_t nwid) const;
  void drain(MemberOutput& out);  // tap frames and events since the last call
  std::vector<CounterSample> metrics() const;

  // For tests and the host's diagnostics.
  const MemberCounters& counters() const { return counters_; }
  // True if `peer` passes the membership gate on `nwid` now.
  bool admits(uint64_t nwid, uint64_t peer) const;
  // Where a learned bridged MAC lives (0 if unknown).
  uint64_t bridge_for(uint64_t nwid, uint64_t mac) const;
  // The subscribers known for a group (multicast tests).
  size_t known_subscribers(uint64_t nwid, const MulticastGroup& g) const;
  // Asks `peer` for its credentials on `nwid` (ERROR NEED_MEMBERSHIP_
  // CERTIFICATE, as a frame from an unadmitted sender does). For a gateway's
  // control after a restart: its fast path drops frames to and from peers
  // control has not admitted, so none reaches the member to ask. False if
  // not joined or there is nothing to ask for (a public network).
  bool request_credentials(uint64_t nwid, uint64_t peer, uint64_t now, Actions& out);
  // Sends MULTICAST_GATHER for `g` (a bridge's control: a group LAN hosts
  // send to, so its subscribers are known before they talked to us). The
  // caller limits how often; false if not joined, no config or multicast off.
  bool gather(uint64_t nwid, const MulticastGroup& g, uint64_t now, Actions& out);
  // Shows `peer` our credentials on `nwid` unless they were pushed since
  // the last config update and within the re-push interval (stock pushes
  // them with the frames it sends). For a gateway's control: its fast path
  // sends the frames, so without this a member never admits the gateway,
  // never LIKEs it, and LAN multicast (ARP) finds no subscriber. False if
  // not joined or there is nothing to show.
  bool present_credentials(uint64_t nwid, uint64_t peer, uint64_t now, Actions& out);
  // A joined network's state, read-only (nullptr if not joined): a
  // gateway's control (control/service/gateway_host) installs its members,
  // bridge routes and subscribers in the data plane's VL2 tables.
  const Network* network_state(uint64_t nwid) const { return find(nwid); }

 private:
  struct Ctx {
    uint64_t now;
    Actions& out;
  };
  uint64_t self() const;
  Network* find(uint64_t nwid);
  const Network* find(uint64_t nwid) const;
  NetworkInfo info(const Network& n) const;
  NetworkStatus status(const Network& n) const;
  void status_changed(const Network& n, NetworkStatus before);
  void send(uint64_t to, wire::Verb verb, std::span<const uint8_t> payload, Ctx& c);

  // config_fetch.cpp
  void request_config(Network& n, Ctx& c);
  void on_config_chunk(const Vl2Packet& pk, bool pushed, Ctx& c);
  void on_controller_error(const Vl2Packet& pk, Ctx& c);
  bool apply_config(Network& n, wire::NetworkConfig cfg, std::vector<uint8_t> bytes,
                    uint64_t now);

  // credentials.cpp
  bool gate(const Network& n, uint64_t peer, const crypto::Identity* id) const;
  // The gate for a frame from pk.source; a peer that passes gets a record
  // (stock: even on a public network), so it hears our LIKEs and pushes.
  bool pass_gate(Network& n, const Vl2Packet& pk, Ctx& c);
  Membership& membership(Network& n, uint64_t peer, uint64_t now);
  void push_credentials(Network& n, uint64_t peer, Ctx& c);
  void push_credentials_if_needed(Network& n, uint64_t peer, Ctx& c);
  void on_credentials(const Vl2Packet& pk, Ctx& c);
  // A COM from NETWORK_CREDENTIALS or inline in a frame: verified, stored.
  AddResult add_com(Network& n, const wire::CertificateOfMembership& com, Ctx& c);
  void on_need_credentials(const Vl2Packet& pk, Ctx& c);
  // Gate failed: ask for credentials and hold the frame.
  void hold(Network& n, const Vl2Packet& pk, Ctx& c);
  void replay_held(uint64_t peer, Ctx& c);

  // member_frames.cpp
  void on_frame(const Vl2Packet& pk, Ctx& c);
  void on_ext_frame(const Vl2Packet& pk, Ctx& c);
  void learn_bridge_route(Network& n, uint64_t mac, uint64_t bridge);
  void unicast_from_tap(Network& n, const ::flatnet::vl2::FrameView& f, uint64_t dest_mac,
                        uint64_t src_mac, Ctx& c);
  // Inbound rules then the tap; false if dropped.
  bool deliver(Network& n, uint64_t peer, uint64_t dest_mac, uint64_t src_mac,
               uint16_t ethertype, std::span<const uint8_t> data, bool multicast, Ctx& c);
  ::flatnet::vl2::FilterResult filter(Network& n, ::flatnet::vl2::Direction dir, uint64_t peer,
                                      const ::flatnet::vl2::FrameView& f);
  void send_rule_copies(Network& n, const ::flatnet::vl2::FilterResult& r, bool inbound,
                        uint64_t dest_mac, uint64_t src_mac, uint16_t ethertype,
                        std::span<const uint8_t> data, Ctx& c);

  // member_multicast.cpp
  void multicast_from_tap(Network& n, const ::flatnet::vl2::FrameView& f, uint64_t src_mac,
                          Ctx& c);
  // True if a designated multicast replicator took the frame (one copy).
  bool send_to_replicator(Network& n, const MulticastGroup& g, uint64_t src_mac,
                          uint16_t ethertype, std::span<const uint8_t> data, Ctx& c);
  void send_multicast(Network& n, const MulticastGroup& g, uint64_t source_mac,
                      uint16_t ethertype, std::span<const uint8_t> data, uint64_t origin,
                      Ctx& c);
  void send_multicast_copy(Network& n, uint64_t to, const PendingMulticast& m, Ctx& c);
  void send_gather(Network& n, const MulticastGroup& g, uint32_t limit, Ctx& c);
  void on_unwanted_multicast(const Vl2Packet& pk, Ctx& c);
  void on_multicast_frame(const Vl2Packet& pk, Ctx& c);
  void on_multicast_like(const Vl2Packet& pk, Ctx& c);
  void on_gather_result(const Vl2Packet& pk, Ctx& c);
  std::vector<uint64_t> like_targets(Network& n, uint64_t now) const;
  void announce(Network& n, Ctx& c);
  // Recomputes our groups (tap + broadcast when enabled); new ones are
  // queued and go out at once with announce_added (stock: a new group is
  // announced immediately, not at the next 60 s round).
  void update_groups(Network& n);
  void announce_added(Network& n, Ctx& c);
  void expire_multicast(Network& n, uint64_t now);

  Vl1Link& vl1_;
  std::map<uint64_t, Network> networks_;
  std::unordered_map<uint64_t, uint64_t> credentials_seen_;  // peer -> last processed
  MemberOutput pending_;
  MemberCounters counters_;
  ::flatnet::vl2::SeededRandom rule_random_;
  std::mt19937_64 rng_;
};

}  // namespace flatnet::control::vl2
