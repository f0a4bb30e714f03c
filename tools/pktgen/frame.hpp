// Building and reading the generator's frames: Ethernet / IPv4 / UDP / VL1.
//
// The VL1 part is a valid-looking packet head (dataplane/wire/vl1.hpp):
// random packet ID, destination and source addresses of synthetic peers,
// cipher Salsa20/12-Poly1305, hop count, 8 random "MAC" bytes and a random
// (encrypted-looking) verb. The first 16 payload bytes after the header carry
// a stamp the generator reads back: magic, destination peer index and the
// TSC at transmit time. A relay never looks past the header, so the stamp
// survives relaying and testpmd's io forwarding alike.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace flatnet::pktgen {

inline constexpr size_t kEthLen = 14;
inline constexpr size_t kIpv4Len = 20;
inline constexpr size_t kUdpLen = 8;
inline constexpr size_t kOuterLen = kEthLen + kIpv4Len + kUdpLen;  // 42
inline constexpr size_t kStampLen = 16;
inline constexpr uint32_t kStampMagic = 0x464e5047;  // "FNPG"

using Mac = std::array<uint8_t, 6>;

struct FrameParams {
  Mac src_mac{};
  Mac dst_mac{};
  uint32_t dst_ip = 0;      // data plane, host order
  uint16_t dst_port = 9993;
  size_t zt_len = 130;      // UDP payload length (the ZeroTier packet)
  uint8_t hops = 0;
};

// What varies per packet.
struct PacketFields {
  uint64_t packet_id;
  uint64_t dst_addr, src_addr;
  uint32_t src_ip;          // host order
  uint16_t src_port;
  uint64_t mac;             // the 8-byte MAC field
  uint8_t verb;
  uint32_t dst_index;       // stamped for the return check
  uint64_t tsc;             // stamped transmit time
};

// Frame length for a UDP payload of zt_len bytes.
inline size_t frame_len(const FrameParams& p) { return kOuterLen + p.zt_len; }

// Smallest and largest UDP payload the generator builds: the VL1 header plus
// the stamp, and what fits one standard Ethernet frame.
inline constexpr size_t kMinZtLen = 28 + kStampLen;
inline constexpr size_t kMaxZtLen = 1500 - kIpv4Len - kUdpLen;

// Bytes at the front of a frame that patch_frame() may leave stale: the
// generator copies only these from the template into a recycled buffer (the
// rest of every buffer already holds template filler, see gen.cpp).
inline constexpr size_t kHeadLen = kOuterLen + 28 + kStampLen;  // 86

// Writes the fixed parts of a frame (everything but PacketFields) into
// tmpl, which must hold frame_len(p) bytes. Payload filler is a fixed pattern.
// Returns the one's-complement sum of the IPv4 header without its source
// address and checksum, for patch_frame().
uint32_t build_template(const FrameParams& p, uint8_t* tmpl);

// Fills the per-packet fields of a frame copied from the template, including
// the IPv4 header checksum (from ip_sum, build_template()'s result). Inline:
// it runs for every packet sent.
inline void patch_frame(uint8_t* f, const PacketFields& v, uint32_t ip_sum) {
  uint8_t* ip = f + kEthLen;
  const uint32_t src_be = __builtin_bswap32(v.src_ip);
  std::memcpy(ip + 12, &src_be, 4);
  uint32_t sum = ip_sum + (v.src_ip >> 16) + (v.src_ip & 0xffff);
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  const uint16_t csum_be = __builtin_bswap16(uint16_t(~sum));
  std::memcpy(ip + 10, &csum_be, 2);
  const uint16_t sport_be = __builtin_bswap16(v.src_port);
  std::memcpy(f + kEthLen + kIpv4Len, &sport_be, 2);

  uint8_t* zt = f + kOuterLen;
  const uint64_t id_be = __builtin_bswap64(v.packet_id);
  std::memcpy(zt, &id_be, 8);                            // kIdxPacketId
  const uint64_t dst_be = __builtin_bswap64(v.dst_addr << 24);
  std::memcpy(zt + 8, &dst_be, 5);                       // kIdxDest, 40 bits
  const uint64_t src_be40 = __builtin_bswap64(v.src_addr << 24);
  std::memcpy(zt + 13, &src_be40, 5);                    // kIdxSource
  std::memcpy(zt + 19, &v.mac, 8);                       // kIdxMac
  zt[27] = v.verb;                                       // kIdxVerb
  uint8_t* st = zt + 28;                                 // kIdxPayload: the stamp
  const uint32_t di_be = __builtin_bswap32(v.dst_index);
  std::memcpy(st + 4, &di_be, 4);
  std::memcpy(st + 8, &v.tsc, 8);
}

// What came back.
enum class RxKind : uint8_t {
  kOurs,     // our stamp present
  kArpRequest,
  kOther,    // anything else (not IPv4/UDP, no stamp, truncated)
};

struct RxInfo {
  RxKind kind = RxKind::kOther;
  unsigned hops = 0;
  uint32_t dst_index = 0;
  uint64_t tsc = 0;
  uint32_t outer_dst_ip = 0;   // host order
  uint16_t outer_dst_port = 0;
};

RxInfo parse_frame(const uint8_t* f, size_t len);

// Turns an ARP request (frame f, len bytes) into a reply from mac, in place.
// Returns false when f is not an ARP request for IPv4 over Ethernet.
bool arp_reply_in_place(uint8_t* f, size_t len, const Mac& mac);

// RFC 1071 checksum over an IPv4 header with its checksum field zero.
uint16_t ipv4_checksum(const uint8_t* hdr);

bool parse_mac(const char* s, Mac& out);
bool parse_ipv4(const char* s, uint32_t& out);

}  // namespace flatnet::pktgen
