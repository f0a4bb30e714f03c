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

// Writes the fixed parts of a frame (everything but PacketFields) into
// tmpl, which must hold frame_len(p) bytes. Payload filler is a fixed pattern.
void build_template(const FrameParams& p, uint8_t* tmpl);

// Fills the per-packet fields of a frame copied from the template, including
// the IPv4 header checksum.
void patch_frame(uint8_t* f, const PacketFields& v);

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
