// Everything flatnet-pktgen can be told on its command line (main.cpp parses
// it with CLI11; EAL arguments follow `--` and are not part of this).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tools/pktgen/frame.hpp"

namespace flatnet::pktgen {

struct Options {
  uint16_t port = 0;              // DPDK port id
  FrameParams frame;              // outer addresses, size, initial hops
  uint32_t peers = 100000;        // synthetic peers to draw addresses from
  uint64_t seed = 1;              // peer-set seed, shared with flatnet-tableload
  double zipf = 0;                // 0 = uniform destinations
  double rate_mpps = 0;           // 0 = as fast as the port takes them
  uint64_t count = 0;             // 0 = until the duration ends
  double duration = 5;            // seconds of measured sending
  double warmup = 0.5;            // seconds sent before measuring
  double drain = 0.2;             // seconds of receive-only after sending
  double link_wait = 15;          // seconds to wait for link up, and for a probe's return
  bool probe = true;              // before measuring, wait until sent packets come back
  unsigned burst = 32;
  unsigned ring_size = 1024;
  unsigned pool_size = 16383;
  std::string pcap;               // replay these frames instead of VL1 traffic
  bool pcap_rewrite = false;      // point replayed IPv4/UDP frames at --dst-ip:--dst-port
  uint64_t rng_seed = 0x5eed;     // per-packet randomness
};

// A sequence of measurements in one process, so the port connects once
// (a memif peer that reconnects for every run is fragile, and slow).
struct Plan {
  unsigned repeat = 1;            // runs at --rate (max rate when 0)
  bool ndr = false;               // then binary-search the no-drop rate
  unsigned ndr_runs = 1;          // independent searches
  unsigned ndr_steps = 8;
  double ndr_loss_pct = 0.01;     // "no drop": offered loss below this
  double ndr_max = 0;             // upper bound, Mpps; 0 = 1.05 x best max-rate tx
  std::vector<double> lat_fracs;  // then runs at these fractions of the no-drop rate
  unsigned lat_runs = 1;
};

}  // namespace flatnet::pktgen
