// What the fast-path stages of one worker need: the port's own addresses,
// the switches control may flip, the neighbour table, the hooks to the
// control boundary (path lookup, punt, events), this worker's counters and
// its transmit buffer. Each stage reads only the members it uses.
#pragma once

#include <rte_byteorder.h>
#include <rte_mbuf.h>

#include <atomic>
#include <cstdint>

#include "dataplane/fastpath/addr.hpp"
#include "dataplane/fastpath/counters.hpp"
#include "dataplane/fastpath/neighbor.hpp"
#include "dataplane/fastpath/police.hpp"

namespace flatnet::fastpath {

inline constexpr uint16_t kBurst = 32;

struct Vl2Port;  // vl2.hpp: the LAN port of a gateway

// The owned underlay port: fixed after start-up.
struct Underlay {
  uint16_t port_id = 0;
  Mac mac;
  IpAddr ip4, gw4;   // family kNone when absent
  unsigned prefix4 = 32;
  IpAddr ip6, gw6;
  unsigned prefix6 = 128;
  IpAddr ip6_ll;     // link-local, derived from the MAC (EUI-64)
  uint16_t udp_port = 9993;  // primary: relayed and injected packets leave from it
  uint16_t secondary_port = 0;  // also accepted on receive; 0 = none (spec 11.3)
  uint16_t mtu = 1500;  // IP MTU of the port
  // Verify non-zero IPv4 UDP checksums in software when the port did not.
  // Kernel peers on veths send unfinished ones unless tx offload is off.
  bool verify_udp4_csum = true;
};

// The UDP destination ports that are ours, in network order, read once per
// burst: a datagram is ours when its port equals either. Without a secondary
// port both are the primary.
struct OurPorts {
  uint16_t a = 0, b = 0;
  // Branch-free: the product of the two differences is zero iff one of them
  // is (16 x 16 bits fit in 32), so the caller's test stays the only branch
  // however the traffic mixes the two ports (written as two compares, GCC
  // branches on each).
  bool has(uint16_t port_be) const { return uint32_t(port_be ^ a) * uint32_t(port_be ^ b) == 0; }
};
inline OurPorts our_ports(const Underlay& u) {
  return {rte_cpu_to_be_16(u.udp_port), rte_cpu_to_be_16(u.secondary_port ? u.secondary_port : u.udp_port)};
}

// Run-time switches. Workers load them once per burst; the main lcore stores
// them when control says so. Relaxed: a burst that still sees the old value
// is harmless.
struct Switches {
  std::atomic<bool> relay{true};
  std::atomic<uint64_t> self_address{0};  // our 40-bit VL1 address, 0 = unknown
};

// A destination's physical path, as the relay needs it: the fast path's
// compact IP:port (+ DPDK port); why it is not wire::InetAddress is in
// addr.hpp. Converted from the ABI only in runtime/control_bridge.cpp.
struct PathView {
  Family family;
  uint16_t port;      // UDP port, host order
  uint16_t tx_port;   // DPDK port to send on (only the underlay port today)
  uint8_t ip[16];
};

struct PuntInfo {
  IpAddr src;        // physical source
  uint16_t src_port; // host order
  uint16_t rx_port;  // DPDK port it arrived on
  uint64_t time_ns = 0;  // CLOCK_MONOTONIC, read once per punted burst
};

// The boundary to control, bound by the runtime (or by a test). One indirect
// call per burst for lookups; punts and events are off the relay path.
struct ControlHooks {
  void* ctx = nullptr;
  // found[i] = lookup of addrs[i] succeeded, filling paths[i].
  void (*lookup)(void* ctx, const uint64_t* addrs, unsigned n, PathView* paths,
                 bool* found) = nullptr;
  // The sibling root unknown destinations go to; false = none configured.
  bool (*sibling)(void* ctx, PathView* out) = nullptr;
  // Copies a VL1 datagram to control; false when it could not (ring full).
  bool (*punt)(void* ctx, unsigned worker, const uint8_t* data, uint16_t len,
               const PuntInfo& info) = nullptr;
  // True if `addr` is a known peer whose path is the packet's physical source
  // (address, family and UDP port); refreshes that path's last receive.
  // Called for each punted packet head before the punt limits.
  bool (*known_peer)(void* ctx, unsigned worker, uint64_t addr, const PuntInfo& info) = nullptr;
  // The worker's punt ring: slots in use (queued or held by control) of
  // *slots. false = unknown (no reserve for known peers is applied).
  bool (*punt_fill)(void* ctx, unsigned worker, unsigned* used, unsigned* slots) = nullptr;
  // Rate-limited notices; false when the event ring was full. from = the
  // packet's physical source; count = packets of the pair relayed since its
  // last report (this one included).
  bool (*unknown_dest)(void* ctx, unsigned worker, uint64_t dst, uint64_t src,
                       const PuntInfo& from) = nullptr;
  bool (*relaying_pair)(void* ctx, unsigned worker, uint64_t src, uint64_t dst,
                        uint32_t count) = nullptr;
  // A gateway's LAN and a multicast group (vl2_groups.cpp): kind is
  // FLATNET_IPC_VL2_GROUP_JOINED or _SENT; false when the event ring was full.
  bool (*lan_group)(void* ctx, unsigned worker, uint64_t nwid, uint64_t mac, uint32_t adi,
                    uint32_t kind) = nullptr;
  // A gateway's LAN bridged twice (vl2_loop.hpp): a frame with source MAC
  // `mac` looped between the LAN and the network through `bridge` (a
  // bridge or member); at most once per second per network and LAN port.
  // false when the ring was full.
  bool (*lan_loop)(void* ctx, unsigned worker, uint64_t nwid, uint64_t mac, uint64_t bridge) = nullptr;
  // Called once per poll, between bursts: the worker holds no table pointer.
  void (*quiescent)(void* ctx, unsigned worker) = nullptr;
  // Around idle sleeps: the worker reads no table while asleep.
  void (*sleeping)(void* ctx, unsigned worker, bool asleep) = nullptr;
};

// Recently reported relayed (src,dst) pairs: a small direct-mapped table so
// control hears about each pair about once per interval, not per packet.
struct PairFilter {
  static constexpr unsigned kSlots = 1024;
  struct alignas(32) Slot {
    uint64_t lo = 0;    // smaller address of the unordered pair
    uint64_t hi = 0;
    uint64_t when = 0;  // TSC of the last report
    uint32_t count = 0; // packets relayed since then, not yet reported
  };
  Slot slot[kSlots];    // one cache line touched per relayed head
  uint64_t interval = 0;  // TSC cycles
};

// Unknown-destination events: a token bucket per worker, kept in TSC cycles
// of credit (one event costs `cost` cycles; credit is capped at `cap`).
struct EventBucket {
  uint64_t credit = 0, cost = 0, cap = 0, last = 0;
  bool take(uint64_t now) {
    credit += now - last;
    last = now;
    if (credit > cap) credit = cap;
    if (credit < cost) return false;
    credit -= cost;
    return true;
  }
};

struct TxBuffer {
  static constexpr unsigned kCap = 4 * kBurst;
  rte_mbuf* pkts[kCap];
  uint16_t n = 0;
};

struct Worker {
  unsigned id = 0;
  const Underlay* u = nullptr;
  const Switches* sw = nullptr;
  NeighborTable* neigh = nullptr;
  rte_mempool* pool = nullptr;  // for replies and ARP/ND requests
  const ControlHooks* hooks = nullptr;
  CoreCounters* c = nullptr;
  uint64_t hz = 0;
  uint64_t now = 0;  // TSC at the start of the burst

  TxBuffer tx;
  // One-entry next-hop cache (VPP style): valid while gen == neigh generation.
  IpAddr last_nh;
  Mac last_mac;
  uint32_t last_gen = ~0u;

  PairFilter pairs;
  EventBucket pair_events;     // caps RELAY_PAIR reports after de-duplication
  EventBucket unknown_events;

  Police police;               // punt and relay limits; all off until police_init

  // A gateway's worker: packets to us go through vl2_decap before the punt,
  // and the poll loop feeds the LAN port's frames to vl2_encap. nullptr on a
  // root (no LAN port).
  Vl2Port* vl2 = nullptr;
};

// Sets up the per-worker rate limits from the clock rate.
void worker_init(Worker& w, uint64_t hz, double pair_interval_s = 1.0,
                 unsigned unknown_events_per_s = 100, unsigned pair_events_per_s = 1000);
// Arms the attack limits of w (police.hpp) at w.hz; after worker_init.
inline void police_init(Worker& w, const PoliceConfig& c, uint64_t seed = 0) {
  police_init(w.police, c, w.hz, seed);
}

}  // namespace flatnet::fastpath
