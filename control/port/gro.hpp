// Write-side GRO for a tap opened with IFF_VNET_HDR: the frames the member
// hands to the kernel in one burst are coalesced, per TCP flow, into
// super-frames of up to 64 KiB written with a virtio_net_hdr (GSO_TCPV4 or
// GSO_TCPV6, gso_size, NEEDS_CSUM), so the kernel's TCP receive runs once
// per super-frame instead of once per frame -- what wireguard-go's tun GRO
// does for Tailscale. The receiving tap write was 53 % of the receiver's
// time (docs/bench-member.md §3.2).
//
// A frame joins the flow's open super-frame only when Linux's own GRO would
// merge it (tcp_gro_receive, inet_gro_receive): same Ethernet header, IPv4
// without options or fragmentation (same TOS, TTL, DF; a consecutive IP id
// when DF is clear) or IPv6 without extension headers (same traffic class,
// flow label, hop limit), same addresses and ports, the next sequence
// number, same ack, window, data offset and option bytes, flags ACK (PSH
// allowed on the last), a payload of at most the first's size after
// segments of exactly that size (a shorter one ends the super-frame), IP
// and TCP checksums correct (a frame with a bad checksum goes as it is, so
// the kernel still drops it), and the result at most 64 KiB of IP packet.
// Everything else -- ARP, UDP, SYN/FIN/RST, IP options, fragments, VLAN
// tags -- goes as it is behind an empty vnet header, and ends its flow's
// open super-frame, so no flow is reordered (frames of different flows may
// be, which the kernel's GRO does too).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "control/port/tap.hpp"

namespace flatnet::control::port {

struct GroCounters {
  uint64_t in = 0;            // frames given
  uint64_t out = 0;           // writes produced (super-frames + frames as they are)
  uint64_t super_frames = 0;  // writes of two or more frames
  uint64_t merged = 0;        // frames that went into a super-frame
  uint64_t bad_checksum = 0;  // TCP frames left alone for a wrong IP/TCP checksum
};

class TapGro {
 public:
  // IPv4 total length / IPv6 payload length limit of one super-frame.
  static constexpr size_t kMaxIpLen = 65535;
  // Open super-frames tracked at once (flows in one burst beyond this still
  // go out, in order, just not merged).
  static constexpr size_t kMaxOpen = 64;

  // Coalesces `in` (plain Ethernet frames, in the member's order) into
  // `out`: each view is a vnet header followed by a frame, in memory owned
  // here and valid until the next call. Frames longer than 64 KiB + 18 are
  // passed as they are too (the kernel then refuses them).
  void coalesce(std::span<const FrameView> in, std::vector<FrameView>* out);

  const GroCounters& counters() const { return c_; }
  // Frames in out[i] of the last call (1, or a super-frame's count).
  uint32_t frames_of(size_t i) const { return items_[i].count; }

 private:
  // One input frame as parsed: offsets into it, and whether it may merge.
  struct Seg {
    const uint8_t* f = nullptr;
    uint32_t len = 0;
    bool tcp = false;        // IPv4/IPv6 TCP with readable ports: has a flow
    bool candidate = false;  // may start or join a super-frame
    bool v6 = false;
    uint16_t l3 = 0, l4 = 0, hdrs = 0;  // IP, TCP and payload offsets
    uint32_t payload = 0;
    uint32_t seq = 0;
    uint8_t flags = 0;       // TCP flags
  };
  // One output write: a frame as it is, or a super-frame of `count` frames
  // linked through next_ from `head`.
  struct Item {
    uint32_t head = 0, tail = 0, count = 1;
    uint32_t payload = 0;   // sum of the frames' payloads
    uint32_t gso_size = 0;  // the first frame's payload
    bool open = false;      // may take more
  };
  bool same_flow(const Seg& a, const Seg& b) const;
  bool can_join(const Item& it, const Seg& s) const;
  size_t emit(const Item& it, uint8_t* at) const;

  std::vector<Seg> segs_;
  std::vector<uint32_t> next_;
  std::vector<Item> items_;
  std::vector<uint32_t> open_;  // indexes into items_ of open super-frames
  std::vector<uint8_t> buf_;
  GroCounters c_;
};

}  // namespace flatnet::control::port
