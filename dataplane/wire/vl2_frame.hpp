// The VL2 frame verbs' payload layouts (spec §4.7 FRAME, §4.8 EXT_FRAME,
// §4.15 MULTICAST_FRAME) and a member's Ethernet MAC (§5.2), header-only for
// the data plane's fast path. A MAC is held as a uint64_t with its six bytes
// most significant first in the low 48 bits (byte 0's bit 0 = multicast),
// the same form control/port/addressing uses.
#pragma once

#include <cstddef>
#include <cstdint>

namespace flatnet::wire::vl2 {

inline constexpr uint64_t kMacMask = 0xffffffffffffull;
inline constexpr uint64_t kBroadcastMac = kMacMask;

// FRAME payload: nwid(8) ethertype(2) data.
inline constexpr size_t kFrameHeader = 10;
// EXT_FRAME payload: nwid(8) flags(1) [COM] dst(6) src(6) ethertype(2) data.
inline constexpr size_t kExtFrameHeader = 23;  // without a COM
inline constexpr uint8_t kExtFlagCom = 0x01;
inline constexpr uint8_t kExtFlagAck = 0x10;
// MULTICAST_FRAME payload: nwid(8) flags(1) [COM] [limit(4)] [src(6)] dst(6) adi(4) ethertype(2) data.
inline constexpr uint8_t kMcFlagCom = 0x01;
inline constexpr uint8_t kMcFlagLimit = 0x02;
inline constexpr uint8_t kMcFlagSource = 0x04;
inline constexpr uint8_t kMcFlagReplicate = 0x08;
inline constexpr size_t kMulticastMaxData = 10000;  // receivers accept at most this much

inline uint64_t read_mac(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 6; ++i) v = (v << 8) | p[i];
  return v;
}
inline void write_mac(uint8_t* p, uint64_t m) {
  for (int i = 5; i >= 0; --i) {
    p[i] = uint8_t(m);
    m >>= 8;
  }
}
inline bool mac_is_multicast(uint64_t m) { return (m >> 40) & 1; }

// §5.2: the first byte of every member MAC on nwid.
inline uint8_t first_octet_for_network(uint64_t nwid) {
  uint8_t f = uint8_t((nwid & 0xfe) | 0x02);
  return f == 0x52 ? 0x32 : f;
}
inline uint64_t mac_from_address(uint64_t addr, uint64_t nwid) {
  uint64_t m = uint64_t(first_octet_for_network(nwid)) << 40;
  for (int i = 0; i < 5; ++i) {
    uint8_t a = uint8_t(addr >> (8 * (4 - i)));
    uint8_t n = uint8_t(nwid >> (8 * (i + 1)));
    m |= uint64_t(uint8_t(a ^ n)) << (8 * (4 - i));
  }
  return m;
}
inline uint64_t address_from_mac(uint64_t mac, uint64_t nwid) {
  uint64_t a = 0;
  for (int i = 0; i < 5; ++i) {
    uint8_t b = uint8_t(mac >> (8 * (4 - i)));
    a |= uint64_t(uint8_t(b ^ uint8_t(nwid >> (8 * (i + 1))))) << (8 * (4 - i));
  }
  return a;
}
inline bool mac_is_member(uint64_t mac, uint64_t nwid) {
  return uint8_t(mac >> 40) == first_octet_for_network(nwid);
}

// §5.3: the multicast group's ADI an Ethernet frame goes to: an IPv4 ARP
// request's target address for ff:ff:ff:ff:ff:ff, else 0. frame = the whole
// Ethernet frame (14-byte header first).
inline uint32_t multicast_adi(uint64_t dst, uint16_t ethertype, const uint8_t* l3, size_t l3_len) {
  if (dst != kBroadcastMac || ethertype != 0x0806 || l3_len < 28) return 0;
  if (l3[2] != 0x08 || l3[3] != 0x00 || l3[4] != 6 || l3[5] != 4 || l3[7] != 1) return 0;
  return uint32_t(l3[24]) << 24 | uint32_t(l3[25]) << 16 | uint32_t(l3[26]) << 8 | l3[27];
}

}  // namespace flatnet::wire::vl2
