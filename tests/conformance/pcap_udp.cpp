// libpcap reader for the conformance captures.
#include "tests/conformance/pcap_udp.hpp"

#include <arpa/inet.h>
#include <pcap/pcap.h>

#include <cstring>

namespace flatnet::conformance {

std::string UdpDatagram::endpoint_string(bool source) const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(ipv6 ? AF_INET6 : AF_INET, (source ? src : dst).data(), buf, sizeof buf);
  return std::string(buf) + "/" + std::to_string(source ? sport : dport);
}

uint64_t UdpDatagram::path_key() const {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a
  auto mix = [&](uint8_t b) { h = (h ^ b) * 1099511628211ULL; };
  mix(ipv6);
  for (uint8_t b : src) mix(b);
  for (uint8_t b : dst) mix(b);
  mix(uint8_t(sport >> 8)); mix(uint8_t(sport));
  mix(uint8_t(dport >> 8)); mix(uint8_t(dport));
  return h;
}

namespace {

// Returns true and fills d if frame is Ethernet/IP/UDP.
bool parse_frame(const uint8_t* p, size_t n, UdpDatagram& d) {
  if (n < 14) return false;
  uint16_t et = uint16_t(p[12] << 8 | p[13]);
  size_t off = 14;
  if (et == 0x8100 && n >= 18) {  // one VLAN tag
    et = uint16_t(p[16] << 8 | p[17]);
    off = 18;
  }
  const uint8_t* udp = nullptr;
  size_t avail = 0;
  if (et == 0x0800) {
    if (n < off + 20) return false;
    const uint8_t* ip = p + off;
    const size_t ihl = size_t(ip[0] & 15) * 4;
    const uint16_t frag = uint16_t((ip[6] << 8 | ip[7]) & 0x3fff);  // MF or offset
    if ((ip[0] >> 4) != 4 || ihl < 20 || ip[9] != 17 || frag != 0) return false;
    const size_t total = size_t(ip[2] << 8 | ip[3]);
    if (n < off + ihl + 8 || total < ihl + 8) return false;
    d.ipv6 = false;
    std::memcpy(d.src.data(), ip + 12, 4);
    std::memcpy(d.dst.data(), ip + 16, 4);
    udp = ip + ihl;
    avail = std::min(n - off - ihl, total - ihl);
  } else if (et == 0x86dd) {
    if (n < off + 40) return false;
    const uint8_t* ip = p + off;
    if ((ip[0] >> 4) != 6 || ip[6] != 17) return false;  // no extension headers expected
    const size_t plen = size_t(ip[4] << 8 | ip[5]);
    if (n < off + 40 + 8) return false;
    d.ipv6 = true;
    std::memcpy(d.src.data(), ip + 8, 16);
    std::memcpy(d.dst.data(), ip + 24, 16);
    udp = ip + 40;
    avail = std::min(n - off - 40, plen);
  } else {
    return false;
  }
  const size_t ulen = size_t(udp[4] << 8 | udp[5]);
  if (ulen < 8 || ulen > avail) return false;
  d.sport = uint16_t(udp[0] << 8 | udp[1]);
  d.dport = uint16_t(udp[2] << 8 | udp[3]);
  d.payload.assign(udp + 8, udp + ulen);
  return true;
}

}  // namespace

PcapSummary read_pcap_udp(const std::string& path) {
  PcapSummary s;
  char err[PCAP_ERRBUF_SIZE] = {};
  pcap_t* pc = pcap_open_offline(path.c_str(), err);
  if (!pc) {
    s.error = err;
    return s;
  }
  if (pcap_datalink(pc) != DLT_EN10MB) {
    s.error = "unexpected link type " + std::to_string(pcap_datalink(pc));
    pcap_close(pc);
    return s;
  }
  pcap_pkthdr* h = nullptr;
  const u_char* data = nullptr;
  // Bounded: the captures hold a few hundred frames; refuse absurd files.
  for (size_t i = 0; i < 1000000; ++i) {
    const int rc = pcap_next_ex(pc, &h, &data);
    if (rc != 1) {
      if (rc == PCAP_ERROR) s.error = pcap_geterr(pc);
      break;
    }
    ++s.frames;
    UdpDatagram d;
    d.frame_no = s.frames;
    if (parse_frame(data, h->caplen, d))
      s.udp.push_back(std::move(d));
    else
      ++s.non_udp;
  }
  pcap_close(pc);
  return s;
}

}  // namespace flatnet::conformance
