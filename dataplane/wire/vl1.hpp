// VL1 datagram layout: the packet header, the fragment header, the flags
// byte and the verb byte (ZeroTier 1.x, protocol 12; spec §2, §4.0).
//
// This header is the single description of the VL1 wire format. The data
// plane, the control process and the tools all include it; nothing else
// may restate these offsets. It is header-only and depends on nothing but
// the standard library, so the fast path can use it without pulling in
// crypto.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace flatnet::wire {

// ---- sizes and limits (spec §2.3, §11.1) ---------------------------------
inline constexpr size_t kAddressLength = 5;
inline constexpr size_t kPacketHeaderLength = 28;   // ZT_PROTO_MIN_PACKET_LENGTH
inline constexpr size_t kFragmentHeaderLength = 16; // ZT_PROTO_MIN_FRAGMENT_LENGTH
inline constexpr size_t kBeaconLength = 13;
inline constexpr size_t kMaxPacketLength = 10024;   // ZT_PROTO_MAX_PACKET_LENGTH
inline constexpr size_t kMaxFragments = 7;          // head + 6 fragments
inline constexpr size_t kDefaultPhysMtu = 1432;
inline constexpr size_t kMinPhysMtu = 1400;
inline constexpr size_t kMaxPhysMtu = 10324;
inline constexpr unsigned kMaxHops = 7;             // width of the hop field
inline constexpr unsigned kRelayMaxHops = 3;        // relay only while hops < 3
inline constexpr uint8_t kProtoVersion = 12;
inline constexpr uint8_t kProtoVersionMin = 4;
inline constexpr uint16_t kDefaultPort = 9993;

// ---- packet header offsets (spec §2.1) -----------------------------------
inline constexpr size_t kIdxPacketId = 0;   // 8 bytes, also the cipher IV
inline constexpr size_t kIdxDest = 8;       // addr40
inline constexpr size_t kIdxSource = 13;    // addr40
inline constexpr size_t kIdxFlags = 18;     // F F C C C H H H
inline constexpr size_t kIdxMac = 19;       // 8 bytes
inline constexpr size_t kIdxVerb = 27;      // encrypted with the payload
inline constexpr size_t kIdxPayload = 28;

// ---- fragment header offsets (spec §2.6) ---------------------------------
inline constexpr size_t kFragIdxPacketId = 0;
inline constexpr size_t kFragIdxDest = 8;
inline constexpr size_t kFragIdxIndicator = 13;  // 0xff
inline constexpr size_t kFragIdxNo = 14;         // total << 4 | fragment number
inline constexpr size_t kFragIdxHops = 15;
inline constexpr size_t kFragIdxPayload = 16;
inline constexpr uint8_t kFragmentIndicator = 0xff;

// ---- flags byte 18 --------------------------------------------------------
inline constexpr uint8_t kFlagLegacyEncrypted = 0x80; // set iff cipher == 1 (senders)
inline constexpr uint8_t kFlagFragmented = 0x40;
inline constexpr uint8_t kFlagsCipherMask = 0x38;
inline constexpr uint8_t kFlagsHopsMask = 0x07;

// Cipher suites carried in bits 5..3 of byte 18 (spec §3.1).
enum class Cipher : uint8_t {
  kPoly1305None = 0,        // authenticated, not encrypted (HELLO)
  kSalsa2012Poly1305 = 1,
  kTrustedPath = 2,         // out of scope: dropped on receive
  kAesGmacSiv = 3,
};

// ---- verb byte 27 ---------------------------------------------------------
inline constexpr uint8_t kVerbMask = 0x1f;
inline constexpr uint8_t kVerbFlagCompressed = 0x80;

enum class Verb : uint8_t {
  kNop = 0x00,
  kHello = 0x01,
  kError = 0x02,
  kOk = 0x03,
  kWhois = 0x04,
  kRendezvous = 0x05,
  kFrame = 0x06,
  kExtFrame = 0x07,
  kEcho = 0x08,
  kMulticastLike = 0x09,
  kNetworkCredentials = 0x0a,
  kNetworkConfigRequest = 0x0b,
  kNetworkConfig = 0x0c,
  kMulticastGather = 0x0d,
  kMulticastFrame = 0x0e,
  kPushDirectPaths = 0x10,
  kAck = 0x12,
  kQosMeasurement = 0x13,
  kUserMessage = 0x14,
  kRemoteTrace = 0x15,
  kPathNegotiationRequest = 0x16,
};

// ---- 40-bit addresses -----------------------------------------------------
// An address travels most significant byte first; in memory we keep it in the
// low 40 bits of a uint64_t.
inline constexpr uint64_t kAddressMask = 0xffffffffffULL;

inline uint64_t read_addr40(const uint8_t* p) {
  return (uint64_t(p[0]) << 32) | (uint64_t(p[1]) << 24) | (uint64_t(p[2]) << 16) |
         (uint64_t(p[3]) << 8) | uint64_t(p[4]);
}

inline void write_addr40(uint8_t* p, uint64_t a) {
  p[0] = uint8_t(a >> 32);
  p[1] = uint8_t(a >> 24);
  p[2] = uint8_t(a >> 16);
  p[3] = uint8_t(a >> 8);
  p[4] = uint8_t(a);
}

// Reserved: zero, or a first byte of 0xff (that byte marks fragments, §1.2).
inline constexpr bool address_is_reserved(uint64_t a) {
  return a == 0 || (a >> 32) == 0xff;
}

inline uint64_t read_be64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

inline void write_be64(uint8_t* p, uint64_t v) {
  for (int i = 7; i >= 0; --i) { p[i] = uint8_t(v); v >>= 8; }
}

// ---- datagram classification (spec §2.7) ----------------------------------
enum class DatagramKind : uint8_t {
  kRunt,      // shorter than any valid form: ignored
  kBeacon,    // legacy 13-byte LAN beacon
  kFragment,  // continuation fragment (byte 13 == 0xff)
  kPacket,    // packet head or whole packet
};

inline DatagramKind classify(const uint8_t* d, size_t len) {
  if (len == kBeaconLength) return DatagramKind::kBeacon;
  if (len > kFragmentHeaderLength && d[kFragIdxIndicator] == kFragmentIndicator)
    return DatagramKind::kFragment;
  if (len >= kPacketHeaderLength) return DatagramKind::kPacket;
  return DatagramKind::kRunt;
}

// ---- packet header accessors ----------------------------------------------
inline uint64_t packet_id(const uint8_t* p) { return read_be64(p + kIdxPacketId); }
inline uint64_t packet_dest(const uint8_t* p) { return read_addr40(p + kIdxDest); }
inline uint64_t packet_source(const uint8_t* p) { return read_addr40(p + kIdxSource); }
inline Cipher packet_cipher(const uint8_t* p) {
  return Cipher((p[kIdxFlags] & kFlagsCipherMask) >> 3);
}
inline unsigned packet_hops(const uint8_t* p) { return p[kIdxFlags] & kFlagsHopsMask; }
inline bool packet_fragmented(const uint8_t* p) { return p[kIdxFlags] & kFlagFragmented; }

// Sets the cipher bits the way a 1.14.1 sender does: the legacy 0x80 bit is
// set for Salsa20/12 and cleared for everything else.
inline void packet_set_cipher(uint8_t* p, Cipher c) {
  uint8_t b = p[kIdxFlags] & uint8_t(~(kFlagsCipherMask | kFlagLegacyEncrypted));
  b |= uint8_t(uint8_t(c) << 3);
  if (c == Cipher::kSalsa2012Poly1305) b |= kFlagLegacyEncrypted;
  p[kIdxFlags] = b;
}

// The hop field is the only part of a packet a relay may change; both MAC
// schemes mask it, so incrementing never breaks authentication (spec §3.6).
inline void packet_increment_hops(uint8_t* p) {
  uint8_t b = p[kIdxFlags];
  p[kIdxFlags] = uint8_t((b & 0xf8) | ((b + 1) & 0x07));
}

// ---- fragment header accessors ----------------------------------------------
inline uint64_t fragment_packet_id(const uint8_t* f) { return read_be64(f + kFragIdxPacketId); }
inline uint64_t fragment_dest(const uint8_t* f) { return read_addr40(f + kFragIdxDest); }
inline unsigned fragment_total(const uint8_t* f) { return f[kFragIdxNo] >> 4; }
inline unsigned fragment_number(const uint8_t* f) { return f[kFragIdxNo] & 0x0f; }
inline unsigned fragment_hops(const uint8_t* f) { return f[kFragIdxHops] & kFlagsHopsMask; }
inline void fragment_increment_hops(uint8_t* f) {
  f[kFragIdxHops] = uint8_t((f[kFragIdxHops] + 1) & 0x07);
}

// A fragment a receiver accepts: 2 <= total <= 7 and 1 <= number < total.
inline bool fragment_numbers_valid(const uint8_t* f) {
  unsigned total = fragment_total(f), no = fragment_number(f);
  return total >= 2 && total <= kMaxFragments && no >= 1 && no < total;
}

static_assert(kIdxPayload == kPacketHeaderLength);
static_assert(kIdxVerb + 1 == kIdxPayload);
static_assert(kIdxMac + 8 == kIdxVerb);
static_assert(kFragIdxPayload == kFragmentHeaderLength);

}  // namespace flatnet::wire
