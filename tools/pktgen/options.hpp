// Everything flatnet-pktgen can be told on its command line (main.cpp parses
// it with CLI11; EAL arguments follow `--` and are not part of this).
#pragma once

#include <cstdint>
#include <string>

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

}  // namespace flatnet::pktgen
