// What a kernel-socket flatnetd (a leaf, or a root relaying in software) does
// with datagrams before the core sees them: the data plane's punt limits
// (docs/dataplane.md "Under attack"), so a root is as hard to flood on
// either backend. Same policy and counter names; the buckets are control's
// own (control/core/rate_limit.hpp), the data plane's code is not used.
//
//  1. Known? A packet head whose VL1 source is a peer the core announced
//     (its kPeerUpsert table commands, what the data plane's table gets) AND
//     whose physical source is that peer's announced path; or a fragment
//     from such a path (a fragment names no source, but its IP:port is the
//     same evidence a head gives -- a head's source address is public, so
//     checking it adds nothing a spoofer lacks); or a relayed head (hops >
//     0) from such a path (a root passing on a peer we reach only through
//     it). Beacons and runts, and
//     fragments from any other path, are unknown. Known datagrams are
//     counted `punted_known`.
//  2. Per-source gate, unknown only: source_pps / source_burst per /32 IPv4
//     or /64 IPv6 (SourceGate) -> `drop_punt_source_limited`.
//  3. Global bucket: global_pps / global_burst. Unknown sources may only
//     use unknown_share % of the burst -- they are refused while the bucket
//     holds less than the rest -> `drop_punt_global_limited`. Known peers
//     take a token when there is one but are never refused: on a kernel
//     socket the core is the data path (a member's frames, a software
//     root's relaying), which the data plane forwards without punting, so
//     capping it would cap the member's throughput (docs/bench-member.md);
//     their traffic still drains the bucket before unknown sources get any.
// The data plane's fourth step, a reserve of punt-ring slots, has no
// counterpart: the socket buffer belongs to the kernel.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "control/core/actions.hpp"
#include "control/core/rate_limit.hpp"
#include "dataplane/wire/inet_address.hpp"

namespace flatnet::control::service {

// Defaults are the data plane's (PoliceConfig). pps 0 = that limit off.
// SourceGate counts in whole ms, so a per-source rate above 1,000/s acts
// as 1,000/s.
struct IngressLimits {
  unsigned source_pps = 100;
  unsigned source_burst = 200;
  unsigned source_slots = 4096;
  unsigned global_pps = 20000;
  unsigned global_burst = 2000;
  unsigned unknown_share = 50;          // % of the global burst unknown sources may use
  size_t known_capacity = size_t(1) << 20;  // announced peers remembered; beyond: unknown
};

class IngressLimiter {
 public:
  explicit IngressLimiter(const IngressLimits& limits = {});

  // The core's table commands (the data plane's view of who is where).
  void table(const TableCommand& c);
  // True: hand the datagram to the core. False: dropped and counted.
  bool admit(const wire::InetAddress& from, std::span<const uint8_t> d, uint64_t now_ms);

  struct Counters {
    uint64_t punted_known = 0;
    uint64_t drop_punt_source_limited = 0;
    uint64_t drop_punt_global_limited = 0;
  };
  const Counters& counters() const { return c_; }
  // As (name, value), the names the data plane uses for the same counts.
  std::vector<std::pair<std::string, uint64_t>> named_counters() const;
  size_t known_peers() const { return known_.size(); }
  // Per-source buckets two prefixes had to share (a hash collision).
  uint64_t shared_source_slots() const { return source_.shared_slots(); }

 private:
  bool known(const wire::InetAddress& from, std::span<const uint8_t> d) const;

  IngressLimits limits_;
  SourceGate source_;
  TokenBucket global_;
  uint32_t unknown_reserve_;  // tokens unknown sources must leave in global_
  struct PathHash {
    size_t operator()(const wire::InetAddress& a) const;
  };
  std::unordered_map<uint64_t, wire::InetAddress> known_;  // address -> announced path
  // The announced paths, with how many known peers announced each (the
  // fragments' test).
  std::unordered_map<wire::InetAddress, uint32_t, PathHash> known_paths_;
  Counters c_;
};

}  // namespace flatnet::control::service
