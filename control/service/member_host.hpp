// flatnetd as a VL2 member: owns the member (control/vl2) set on the core,
// one tap per joined network (control/port), and the network's files in
// the home (network_files.hpp). The daemon's loop calls it each turn:
//
//   poll_taps  frames the kernel sent on the taps -> Member::from_tap
//              (bounded per turn, read in bursts)
//   run        the member's timers; every kSubscriptionsMs the taps'
//              multicast groups -> Member::set_subscriptions, and the
//              managed addresses/routes re-checked
//   flush      what the member produced: frames -> their tap (in bursts;
//              with the tap offload, runs of a TCP flow as one GSO
//              super-frame each, control/port/gro), config events -> MTU,
//              managed addresses/routes, the .conf file; status events ->
//              link up (OK) or down (anything else)
//
// With tap_queues > 0 the tap's reads and writes happen on one I/O thread
// per queue (tap_io.hpp): poll_taps then drains their rings and flush
// queues each write on its flow's queue; everything else stays on the
// loop's thread.
//
// A tap is opened on join, named as stock names it (naming.hpp: devicemap,
// then zt<base32>), with the member's MAC (§5.2), MTU 2800 until a config
// says otherwise, link down until the network is OK; it is removed on leave
// and when the host goes away. A tap that cannot be made (no CAP_NET_ADMIN)
// leaves the network joined with status PORT_ERROR and portError set.
//
// Bridge mode: with a bridge name given, every tap is enslaved to that
// Linux bridge (LinkChange::master) once it exists, as stock's active
// bridges are used next to a LAN port.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "control/service/network_status.hpp"
#include "control/core/core.hpp"
#include "control/port/gro.hpp"
#include "control/port/managed.hpp"
#include "control/port/naming.hpp"
#include "control/port/netlink.hpp"
#include "control/port/tap.hpp"
#include "control/service/member_api.hpp"
#include "control/service/network_files.hpp"
#include "control/service/status.hpp"
#include "control/service/tap_io.hpp"

namespace flatnet::control::service {

struct MemberHostOptions {
  std::string home;
  std::string bridge;  // bridge mode: enslave taps to this Linux bridge ("" = off)
  // IFF_VNET_HDR with TSO4/TSO6 and checksum offload on the taps: the kernel
  // hands over TCP super-frames of up to 64 KiB (one read instead of ~20),
  // split here into frames of the network's MTU (control/port/vnet_hdr).
  // On by default in flatnetd (main.cpp); off here for hosts that build
  // options by hand (gateway host, tests).
  bool tap_offload = false;
  // With tap_offload: frames to a tap coalesced per TCP flow into
  // super-frames (control/port/gro), one write each; off, every frame is
  // written on its own behind an empty vnet header.
  bool tap_gro = true;
  // 0: the core's thread reads and writes the tap (one queue). N >= 1: the
  // tap opened with N queues (IFF_MULTI_QUEUE when N > 1), each read and
  // written by its own I/O thread (tap_io.hpp); frames to a tap go to the
  // queue of their flow (port::flow_queue).
  unsigned tap_queues = 0;
  // A gateway (docs/gateway.md): the network its data plane's LAN port
  // bridges gets no tap -- the data plane carries its frames.
  uint64_t bridged_network = 0;
  std::vector<uint64_t> bridged_vlan_networks;  // and its 802.1Q-mapped ones ("vlans")
  bool bridged(uint64_t nwid) const {
    return nwid == bridged_network ||
           std::find(bridged_vlan_networks.begin(), bridged_vlan_networks.end(), nwid) != bridged_vlan_networks.end();
  }
};

class MemberHost {
 public:
  using LogFn = std::function<void(LogLevel, const std::string&)>;
  static constexpr uint64_t kSubscriptionsMs = 5000;
  // Frames per tap read: a turn's whole budget of wire-size frames, so the
  // tap's queue is drained as fast as the socket side is (with 32 the 8
  // streams of iperf3 overflowed the queue: docs/bench-member.md). With the
  // vnet header each read slot holds a 64 KiB super-frame, so fewer.
  static constexpr unsigned kBurst = 256;
  static constexpr unsigned kSuperBurst = 16;
  // The taps' transmit queue (IFLA_TXQLEN) in frames: what the kernel may
  // hold for us between two reads. Linux's default of 1,000 overflowed
  // under bursts of TCP windows (dropped frames = retransmits).
  static constexpr uint32_t kTapTxQueueLen = 10000;

  MemberHost(MemberHostOptions opt, Core& core, LogFn log);
  ~MemberHost();  // taps closed: their devices disappear
  MemberHost(const MemberHost&) = delete;
  MemberHost& operator=(const MemberHost&) = delete;

  vl2::Member& member() { return *member_; }

  // Joins every network of the home's networks.d, restoring its last config.
  void start(uint64_t now, Actions& out);
  // Joins `nwid` if not joined (writing its files), then applies `change`
  // (writing <nwid>.local.conf). false + *err when refused.
  bool join(uint64_t nwid, const NetworkSettingsChange& change, uint64_t now, Actions& out,
            std::string* err);
  // Leaves: the tap goes, and both files. false when not joined.
  bool leave(uint64_t nwid, uint64_t now, Actions& out);

  // Up to `budget` frames from the taps to the member; how many.
  unsigned poll_taps(uint64_t now, unsigned budget, Actions& out);
  void run(uint64_t now, Actions& out);
  void flush(uint64_t now);
  uint64_t next_deadline() const;
  // The taps' fds (with I/O threads: the eventfd they signal), for the
  // loop's wait.
  void tap_fds(std::vector<int>& out) const;

  std::vector<NetworkStatusView> views() const;
  std::optional<NetworkStatusView> view(uint64_t nwid) const;
  std::vector<MetricSample> metrics() const;

 private:
  struct Port {
    std::optional<port::Tap> tap;
    // --tap-queues: one I/O thread per queue; declared after `tap` so the
    // threads stop before the queues' fds close.
    std::vector<std::unique_ptr<TapQueueIo>> io;
    std::string name;
    int ifindex = 0;
    int error = 0;                 // errno of opening/configuring the tap
    bool up = false;
    unsigned mtu = 0;
    port::DesiredState applied;    // managed addresses/routes we put there
    std::vector<MulticastGroup> groups;  // last given to the member
    std::vector<wire::InetAddress> whitelist;
    uint64_t next_check = 0;
    uint64_t last_config_at = UINT64_MAX;
  };

  void open_port(uint64_t nwid, Port& p);
  void reconcile(uint64_t nwid, uint64_t now, bool config_event);
  void sync_managed(uint64_t nwid, Port& p, const vl2::NetworkInfo& info, uint64_t now);
  void check_subscriptions(uint64_t nwid, Port& p, const std::string* dev_mcast, uint64_t now,
                           Actions& out);
  NetworkStatusView make_view(const vl2::NetworkInfo& info, const Port* p) const;
  void log(LogLevel l, const std::string& s) { log_(l, s); }
  // One frame read from a tap (with its vnet header when tap_offload) to the member.
  void tap_frame(uint64_t nwid, const port::Tap& tap, const uint8_t* data, size_t len,
                 uint64_t now, Actions& out);
  size_t frame_cap() const;
  unsigned burst() const { return opt_.tap_offload ? kSuperBurst : kBurst; }

  MemberHostOptions opt_;
  Core& core_;
  LogFn log_;
  std::unique_ptr<vl2::Member> member_;
  std::unique_ptr<port::Netlink> nl_;
  std::string nl_error_;
  std::map<uint64_t, Port> ports_;
  port::DepartingTaps departing_taps_;  // taps of networks left, maybe not gone yet
  std::vector<uint8_t> rx_;        // burst() frames' worth of read buffer
  std::vector<uint8_t> split_;     // tap_offload: a super-frame cut into frames
  std::vector<uint8_t> tx_;        // tap_offload: frames behind their vnet header
  int notify_fd_ = -1;             // tap_queues: eventfd the I/O threads wake the loop with
  port::TapGro gro_;               // tap_offload + tap_gro: the writes' coalescer
  std::vector<port::FrameView> gro_out_;
  // Counters (/metrics).
  uint64_t tap_rx_ = 0, tap_tx_ = 0, tap_tx_dropped_ = 0, tap_rx_errors_ = 0, sync_errors_ = 0;
  uint64_t tap_rx_gso_ = 0, tap_rx_bad_gso_ = 0, tap_tx_ring_full_ = 0;
};

// Blocks up to `ms` until `backend_fd` or one of `fds` is readable.
void wait_for_input(int backend_fd, const std::vector<int>& fds, int ms);

}  // namespace flatnet::control::service
