// A view of one Ethernet frame as the rule evaluator sees it: the two MACs,
// the ethertype, the 802.1Q fields and the Ethernet payload (stock's
// frameData/frameLen: the bytes after the Ethernet header). No copies.
#pragma once

#include <array>
#include <cstdint>
#include <span>

namespace flatnet::vl2 {

using Mac = std::array<uint8_t, 6>;

inline constexpr uint16_t kEthertypeIpv4 = 0x0800;
inline constexpr uint16_t kEthertypeArp = 0x0806;
inline constexpr uint16_t kEthertypeIpv6 = 0x86dd;
inline constexpr uint16_t kEthertypeVlan = 0x8100;

struct FrameView {
  Mac source{};
  Mac dest{};
  uint16_t ethertype = 0;
  // 802.1Q fields; 0 when the frame is untagged or the tag is left in the
  // payload (stock mode, see parse_ethernet).
  uint16_t vlan_id = 0;
  uint8_t vlan_pcp = 0;
  uint8_t vlan_dei = 0;
  std::span<const uint8_t> payload;
};

enum class VlanMode : uint8_t {
  // As stock 1.14.1: the tap hands over the outer ethertype (0x8100 for a
  // tagged frame) and the tag stays in the payload; VLAN id/PCP/DEI are 0.
  kStock,
  // The tag is parsed into the VLAN fields and the inner ethertype and
  // payload are used (a bridge port that carries tagged frames).
  kParseTag,
};

// Splits a whole Ethernet frame (dest MAC, source MAC, ethertype, payload).
// Returns false when it is shorter than an Ethernet header (14 bytes, or 18
// for a tag parsed in kParseTag mode).
bool parse_ethernet(std::span<const uint8_t> frame, FrameView& out,
                    VlanMode mode = VlanMode::kStock);

// Walks an IPv6 packet's extension headers as stock does (hop-by-hop,
// routing, destination options and mobility are skipped; anything else is
// the upper protocol, whose header starts at `offset` and may be empty).
// Returns false for a packet under 40 bytes or an extension header that
// does not fit.
bool ipv6_upper_layer(std::span<const uint8_t> ip, uint32_t& offset, uint8_t& protocol);

inline bool is_multicast(const Mac& m) { return (m[0] & 1) != 0; }
inline bool is_broadcast(const Mac& m) {
  return m == Mac{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
}

}  // namespace flatnet::vl2
