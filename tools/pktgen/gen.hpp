// The generator loop: one lcore transmits bursts (at a set rate or as fast
// as the port accepts them) and, between bursts, receives what comes back,
// answers ARP, classifies returns and records latency.
#pragma once

#include "tools/pktgen/options.hpp"
#include "tools/pktgen/pcap_source.hpp"
#include "tools/pktgen/peers.hpp"
#include "tools/pktgen/port.hpp"
#include "tools/pktgen/stats.hpp"

namespace flatnet::pktgen {

// VL1 traffic to synthetic peers.
RunStats run_vl1(const Options& o, const Port& port, const std::vector<SyntheticPeer>& peers);

// Replay of pcap frames, round-robin.
RunStats run_pcap(const Options& o, const Port& port, const PcapFrames& frames);

}  // namespace flatnet::pktgen
