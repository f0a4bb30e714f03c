// The virtio_net_hdr that precedes each frame on a tap opened with
// IFF_VNET_HDR (virtio spec 5.1.6; Linux include/uapi/linux/virtio_net.h),
// little-endian:
//
//   off size field
//   0   1    flags        1 NEEDS_CSUM: checksum from csum_start to the end,
//                         store at csum_start + csum_offset (the field holds
//                         the pseudo-header sum); 2 DATA_VALID (rx: verified)
//   1   1    gso_type     0 none, 1 TCPv4, 3 UDP (UFO), 4 TCPv6, 5 UDP_L4
//                         (USO); 0x80 ECN bit
//   2   2    hdr_len      bytes of Ethernet + IP + L4 headers
//   4   2    gso_size     payload bytes per segment
//   6   2    csum_start
//   8   2    csum_offset
//
// With TUNSETOFFLOAD granting TSO, the kernel hands a TCP flow over as
// super-frames of up to 64 KiB; gso_split() cuts one into wire-size frames
// with finished checksums, for a peer that cannot take the super-frame.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "control/port/tap.hpp"

namespace flatnet::control::port {

inline constexpr size_t kVnetHdrLen = 10;

inline constexpr uint8_t kVnetNeedsCsum = 1;
inline constexpr uint8_t kVnetDataValid = 2;

inline constexpr uint8_t kGsoNone = 0;
inline constexpr uint8_t kGsoTcpV4 = 1;
inline constexpr uint8_t kGsoUdp = 3;
inline constexpr uint8_t kGsoTcpV6 = 4;
inline constexpr uint8_t kGsoUdpL4 = 5;
inline constexpr uint8_t kGsoEcn = 0x80;

struct VnetHdr {
  uint8_t flags = 0;
  uint8_t gso_type = kGsoNone;
  uint16_t hdr_len = 0;
  uint16_t gso_size = 0;
  uint16_t csum_start = 0;
  uint16_t csum_offset = 0;
};

// False when fewer than kVnetHdrLen bytes are given.
bool parse_vnet_hdr(const uint8_t* p, size_t len, VnetHdr* out);
void build_vnet_hdr(const VnetHdr& h, uint8_t out[kVnetHdrLen]);

enum class GsoError : uint8_t {
  kNone = 0,
  kMalformed,    // offsets or headers outside the frame, not IPv4/IPv6 TCP/UDP
  kUnsupported,  // UFO (IP fragmentation) and unknown gso types
  kNoRoom,       // not enough slots, or a slot too small
};
const char* to_string(GsoError e);

// For a frame without GSO whose header says NEEDS_CSUM: finishes the
// checksum in place. True also when there is nothing to do.
bool complete_checksum(const VnetHdr& h, uint8_t* frame, size_t len);

// Cuts a GSO super-frame (TCPv4, TCPv6, UDP_L4; one 802.1Q tag allowed)
// into frames of at most gso_size payload bytes each, headers copied and
// fixed (IPv4 length, id + i and header checksum; IPv6 payload length; TCP
// sequence, FIN/PSH on the last only, CWR on the first only; UDP length),
// every L4 checksum computed in full. Output goes to `out` (frames without
// a vnet header). A frame without GSO is copied to out[0] with its checksum
// completed. Returns the number of frames; 0 and *err on failure.
size_t gso_split(const VnetHdr& h, const uint8_t* frame, size_t len, std::span<FrameSlot> out,
                 GsoError* err);

}  // namespace flatnet::control::port
