#include "tools/pktgen/pcap_source.hpp"

#include <pcap/pcap.h>

#include <cstring>

namespace flatnet::pktgen {

namespace {
constexpr int kLinkEthernet = 1;    // DLT_EN10MB
constexpr int kLinkLinuxSll = 113;  // DLT_LINUX_SLL
constexpr size_t kSllLen = 16;
}  // namespace

std::string pcap_load(const std::string& path, size_t max_frames, size_t max_len,
                      PcapFrames& out) {
  char err[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_open_offline(path.c_str(), err);
  if (!p) return "pcap " + path + ": " + err;
  const int link = pcap_datalink(p);
  if (link != kLinkEthernet && link != kLinkLinuxSll) {
    pcap_close(p);
    return "pcap " + path + ": link type " + std::to_string(link) +
           " is neither Ethernet nor Linux cooked";
  }
  pcap_pkthdr* h;
  const u_char* d;
  int rc;
  while (out.frames.size() < max_frames && (rc = pcap_next_ex(p, &h, &d)) >= 0) {
    if (rc == 0) continue;
    if (h->caplen < h->len) { ++out.skipped; continue; }
    std::vector<uint8_t> f;
    if (link == kLinkEthernet) {
      f.assign(d, d + h->caplen);
    } else {
      if (h->caplen < kSllLen) { ++out.skipped; continue; }
      // Cooked: 16-byte header whose last two bytes are the EtherType.
      f.resize(14 + h->caplen - kSllLen);
      std::memset(f.data(), 0, 12);
      f[12] = d[14];
      f[13] = d[15];
      std::memcpy(f.data() + 14, d + kSllLen, h->caplen - kSllLen);
    }
    if (f.size() < 14 || f.size() > max_len) { ++out.skipped; continue; }
    out.frames.push_back(std::move(f));
  }
  pcap_close(p);
  if (out.frames.empty()) return "pcap " + path + ": no usable frames";
  return "";
}

bool pcap_rewrite(std::vector<uint8_t>& f, const Mac& src_mac, const Mac& dst_mac,
                  uint32_t dst_ip, uint16_t dst_port) {
  if (f.size() < kOuterLen || f[12] != 0x08 || f[13] != 0x00) return false;
  uint8_t* ip = f.data() + kEthLen;
  size_t ihl = size_t(ip[0] & 0x0f) * 4;
  if ((ip[0] >> 4) != 4 || ip[9] != 17 || ihl < kIpv4Len || f.size() < kEthLen + ihl + kUdpLen)
    return false;
  std::memcpy(f.data(), dst_mac.data(), 6);
  std::memcpy(f.data() + 6, src_mac.data(), 6);
  ip[16] = uint8_t(dst_ip >> 24); ip[17] = uint8_t(dst_ip >> 16);
  ip[18] = uint8_t(dst_ip >> 8);  ip[19] = uint8_t(dst_ip);
  // Checksum over the whole (possibly optioned) header.
  ip[10] = ip[11] = 0;
  uint32_t sum = 0;
  for (size_t i = 0; i < ihl; i += 2) sum += uint32_t(ip[i] << 8 | ip[i + 1]);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  ip[10] = uint8_t(~sum >> 8); ip[11] = uint8_t(~sum);
  uint8_t* udp = ip + ihl;
  udp[2] = uint8_t(dst_port >> 8); udp[3] = uint8_t(dst_port);
  udp[6] = udp[7] = 0;
  return true;
}

}  // namespace flatnet::pktgen
