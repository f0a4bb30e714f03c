// Frames read from a pcap file (libpcap) for replay.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tools/pktgen/frame.hpp"

namespace flatnet::pktgen {

struct PcapFrames {
  std::vector<std::vector<uint8_t>> frames;
  uint64_t skipped = 0;  // truncated captures or frames over max_len
};

// Loads at most max_frames Ethernet frames (link type EN10MB; Linux cooked
// captures get an Ethernet header made from their protocol field). Returns an
// error message or "".
std::string pcap_load(const std::string& path, size_t max_frames, size_t max_len,
                      PcapFrames& out);

// Points an IPv4/UDP frame at dst_mac / dst_ip:dst_port from src_mac, fixing
// the IPv4 checksum and clearing the UDP checksum. False if f is not IPv4/UDP.
bool pcap_rewrite(std::vector<uint8_t>& f, const Mac& src_mac, const Mac& dst_mac,
                  uint32_t dst_ip, uint16_t dst_port);

}  // namespace flatnet::pktgen
