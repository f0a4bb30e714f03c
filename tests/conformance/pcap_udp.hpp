// Reads the UDP datagrams out of a pcap file (libpcap), Ethernet link type,
// IPv4 and IPv6. Just enough parsing for the conformance suite: anything
// that is not an unfragmented UDP datagram is counted and passed over.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace flatnet::conformance {

struct UdpDatagram {
  size_t frame_no = 0;                // 1-based, as tcpdump numbers them
  bool ipv6 = false;
  std::array<uint8_t, 16> src{}, dst{};
  uint16_t sport = 0, dport = 0;
  std::vector<uint8_t> payload;

  std::string endpoint_string(bool source) const;
  // A 64-bit key for the (source, destination) physical path.
  uint64_t path_key() const;
};

struct PcapSummary {
  size_t frames = 0;
  size_t non_udp = 0;  // ARP, ICMP, IGMP, ND, IP fragments, ...
  std::vector<UdpDatagram> udp;
  std::string error;   // non-empty if the file could not be read
};

PcapSummary read_pcap_udp(const std::string& path);

}  // namespace flatnet::conformance
