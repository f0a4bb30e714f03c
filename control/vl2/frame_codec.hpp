// The payloads of the three frame verbs (spec §4.7 FRAME, §4.8 EXT_FRAME,
// §4.15 MULTICAST_FRAME) and their OK replies, as views and builders. No
// policy here: the member decides what to send and what to accept.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "control/core/verbs.hpp"
#include "dataplane/wire/com.hpp"

namespace flatnet::control::vl2 {

// EXT_FRAME flags (stock's sends; receivers only act on COM and ACK).
inline constexpr uint8_t kExtFlagCom = 0x01;
inline constexpr uint8_t kExtFlagTee = 0x02;
inline constexpr uint8_t kExtFlagRedirect = 0x04;
inline constexpr uint8_t kExtFlagWatch = 0x16;
inline constexpr uint8_t kExtFlagAck = 0x10;
// MULTICAST_FRAME flags.
inline constexpr uint8_t kMcFlagCom = 0x01;
inline constexpr uint8_t kMcFlagGatherLimit = 0x02;
inline constexpr uint8_t kMcFlagSourceMac = 0x04;
inline constexpr uint8_t kMcFlagReplicate = 0x08;
// Stock never accepts an Ethernet payload above ZT_MAX_MTU.
inline constexpr size_t kMaxFramePayload = 10000;

struct FrameMsg {  // FRAME
  uint64_t nwid = 0;
  uint16_t ethertype = 0;
  std::span<const uint8_t> payload;
};
bool decode_frame(std::span<const uint8_t> in, FrameMsg& out);
std::vector<uint8_t> encode_frame(uint64_t nwid, uint16_t ethertype, std::span<const uint8_t> data);

struct ExtFrameMsg {  // EXT_FRAME
  uint64_t nwid = 0;
  uint8_t flags = 0;
  std::optional<wire::CertificateOfMembership> com;  // deprecated inline COM
  uint64_t dest = 0, source = 0;                      // MACs, 48 bits
  uint16_t ethertype = 0;
  std::span<const uint8_t> payload;
};
bool decode_ext_frame(std::span<const uint8_t> in, ExtFrameMsg& out);
std::vector<uint8_t> encode_ext_frame(uint64_t nwid, uint8_t flags, uint64_t dest, uint64_t source,
                                      uint16_t ethertype, std::span<const uint8_t> data);

struct MulticastFrameMsg {  // MULTICAST_FRAME
  uint64_t nwid = 0;
  uint8_t flags = 0;
  std::optional<wire::CertificateOfMembership> com;
  uint32_t gather_limit = 0;  // with kMcFlagGatherLimit
  uint64_t source = 0;        // with kMcFlagSourceMac, else 0
  MulticastGroup group;
  uint16_t ethertype = 0;
  std::span<const uint8_t> payload;
};
bool decode_multicast_frame(std::span<const uint8_t> in, MulticastFrameMsg& out);
// `source` 0: the receiver derives it from our address (no 0x04 flag).
// `replicate`: flag 0x08, for a designated multicast replicator (§9.4).
std::vector<uint8_t> encode_multicast_frame(uint64_t nwid, uint32_t gather_limit, uint64_t source,
                                            const MulticastGroup& g, uint16_t ethertype,
                                            std::span<const uint8_t> data,
                                            bool replicate = false);

// Gather results, as in OK(MULTICAST_GATHER) and OK(MULTICAST_FRAME): the
// group and the member addresses (totalKnown is informative only).
struct GatherResult {
  uint64_t nwid = 0;
  MulticastGroup group;
  std::vector<uint64_t> members;
};
// OK(MULTICAST_GATHER) after the in-re header.
bool decode_ok_gather(std::span<const uint8_t> in, GatherResult& out);
// OK(MULTICAST_FRAME) after the in-re header (flags byte, optional COM).
bool decode_ok_multicast_frame(std::span<const uint8_t> in, GatherResult& out);
// OK(MULTICAST_FRAME) body with results (flags 0x02), after the in-re header.
std::vector<uint8_t> encode_ok_multicast_frame(uint64_t nwid, const MulticastGroup& g,
                                               uint32_t total_known,
                                               std::span<const uint64_t> members);

// A whole OK/ERROR payload: the 9-byte in-re header, then `body`.
std::vector<uint8_t> reply_payload(wire::Verb in_re, uint64_t packet_id,
                                   std::span<const uint8_t> body);
std::vector<uint8_t> error_payload(wire::Verb in_re, uint64_t packet_id, ErrorCode code,
                                   uint64_t nwid);

}  // namespace flatnet::control::vl2
