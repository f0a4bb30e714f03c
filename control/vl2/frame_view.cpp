#include "control/vl2/frame_view.hpp"

#include <algorithm>

namespace flatnet::vl2 {

bool parse_ethernet(std::span<const uint8_t> frame, FrameView& out, VlanMode mode) {
  if (frame.size() < 14) return false;
  out = FrameView{};
  std::copy_n(frame.begin(), 6, out.dest.begin());
  std::copy_n(frame.begin() + 6, 6, out.source.begin());
  out.ethertype = uint16_t((frame[12] << 8) | frame[13]);
  size_t header = 14;
  if (mode == VlanMode::kParseTag && out.ethertype == kEthertypeVlan) {
    if (frame.size() < 18) return false;
    const uint16_t tci = uint16_t((frame[14] << 8) | frame[15]);
    out.vlan_pcp = uint8_t(tci >> 13);
    out.vlan_dei = uint8_t((tci >> 12) & 1);
    out.vlan_id = uint16_t(tci & 0x0fff);
    out.ethertype = uint16_t((frame[16] << 8) | frame[17]);
    header = 18;
  }
  out.payload = frame.subspan(header);
  return true;
}

bool ipv6_upper_layer(std::span<const uint8_t> ip, uint32_t& offset, uint8_t& protocol) {
  if (ip.size() < 40) return false;
  size_t p = 40;
  uint8_t next = ip[6];
  while (p <= ip.size()) {
    switch (next) {
      case 0:    // hop-by-hop options
      case 43:   // routing
      case 60:   // destination options
      case 135:  // mobility
        // An extension header needs its first 8 bytes in the packet.
        if (p + 8 > ip.size()) return false;
        next = ip[p];
        p += size_t(ip[p + 1]) * 8 + 8;
        break;
      default:
        // Fragments (44) and IPsec (50, 51) end the walk too: stock cannot
        // see past them either. The upper header may be empty (p == size).
        offset = uint32_t(p);
        protocol = next;
        return true;
    }
  }
  return false;  // an extension header claims more than the packet holds
}

}  // namespace flatnet::vl2
