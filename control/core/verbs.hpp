// Payload codecs for the verbs a root speaks (spec §4): HELLO, OK(HELLO),
// ERROR, WHOIS, OK(WHOIS), RENDEZVOUS, ECHO, OK(ECHO), NOP,
// MULTICAST_LIKE, MULTICAST_GATHER, OK(MULTICAST_GATHER), PUSH_DIRECT_PATHS.
//
// A "payload" here is the bytes after the verb byte (packet offset 28 on),
// already dearmored and decompressed. Decoders are bounds-checked through
// wire::Reader, never throw, and return a status naming what was wrong, so a
// caller can count the drop by reason. Encoders append to a wire::Writer.
//
// The VL1 header itself lives in dataplane/wire/vl1.hpp, physical addresses
// in dataplane/wire/inet_address.hpp and worlds in dataplane/wire/world.hpp;
// these codecs only compose them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "crypto/identity.hpp"
#include "dataplane/wire/bytes.hpp"
#include "dataplane/wire/inet_address.hpp"
#include "dataplane/wire/vl1.hpp"

namespace flatnet::control {

enum class DecodeStatus : uint8_t {
  kOk = 0,
  kTruncated,     // a field runs past the end of the payload
  kBadAddress,    // InetAddress type outside 0..6 (spec §5.1)
  kBadIdentity,   // embedded identity does not parse
  kBadValue,      // a field holds a value the spec forbids (port 0, length 5, ...)
  kTooMany,       // a count exceeds what we accept (see the k*Max constants)
};

// Software version triple plus protocol version, as HELLO and OK(HELLO)
// carry them.
struct Version {
  uint8_t proto = wire::kProtoVersion;
  uint8_t major = 0;
  uint8_t minor = 0;
  uint16_t revision = 0;
};

// ---- HELLO (spec §4.2) -------------------------------------------------------

// One entry of the encrypted moon list at the end of a HELLO.
struct HelloMoon {
  uint8_t type = 127;
  uint64_t id = 0;
  uint64_t timestamp = 0;
  bool operator==(const HelloMoon&) const = default;
};

inline constexpr size_t kHelloMaxMoons = 64;  // more than any real node orbits

struct Hello {
  Version version;
  uint64_t timestamp = 0;
  crypto::Identity identity;
  wire::InetAddress destination;   // null when absent or sent as 0x00
  bool has_planet = false;
  uint64_t planet_id = 0;
  uint64_t planet_timestamp = 0;
  bool has_moons = false;          // the encrypted tail was present
  std::vector<HelloMoon> moons;
};

// Parses a HELLO payload up to and including the planet fields. *tail_offset
// receives the payload offset where the encrypted moon list starts, or 0 if
// the payload ends before it. The caller decrypts packet bytes from
// 28 + *tail_offset with crypto::hello_crypt_field and then calls
// decode_hello_moons on the same payload.
DecodeStatus decode_hello(std::span<const uint8_t> payload, Hello& out, size_t* tail_offset);
DecodeStatus decode_hello_moons(std::span<const uint8_t> payload, size_t tail_offset, Hello& out);
// Appends the payload; *tail_offset receives where the moon list begins so
// the caller can encrypt it once the packet ID is set. The moon list is
// written whenever has_planet is set (a stock sender always writes it).
void encode_hello(const Hello& h, wire::Writer& w, size_t* tail_offset);

// ---- OK / ERROR common header (spec §4.3, §4.4) --------------------------------

struct ReplyHeader {
  wire::Verb in_re_verb = wire::Verb::kNop;
  uint64_t in_re_packet_id = 0;
};
inline constexpr size_t kReplyHeaderLength = 9;

// Reads the 9-byte in-re header; the verb-specific rest follows at offset 9.
DecodeStatus decode_reply_header(std::span<const uint8_t> payload, ReplyHeader& out);
void encode_reply_header(const ReplyHeader& h, wire::Writer& w);

struct OkHello {
  ReplyHeader re;
  uint64_t timestamp = 0;            // the HELLO's, echoed
  Version version;
  wire::InetAddress external;        // the requester as seen by the responder
  std::vector<uint8_t> worlds;       // L bytes: zero or more serialized worlds
};
DecodeStatus decode_ok_hello(std::span<const uint8_t> payload, OkHello& out);
void encode_ok_hello(const OkHello& ok, wire::Writer& w);

enum class ErrorCode : uint8_t {
  kNone = 0x00,
  kInvalidRequest = 0x01,
  kBadProtocolVersion = 0x02,
  kObjNotFound = 0x03,
  kIdentityCollision = 0x04,
  kUnsupportedOperation = 0x05,
  kNeedMembershipCertificate = 0x06,
  kNetworkAccessDenied = 0x07,
  kUnwantedMulticast = 0x08,
  kNetworkAuthenticationRequired = 0x09,
};

struct Error {
  ReplyHeader re;
  ErrorCode code = ErrorCode::kNone;
  std::vector<uint8_t> detail;      // code-dependent payload, kept opaque
};
DecodeStatus decode_error(std::span<const uint8_t> payload, Error& out);
void encode_error(const Error& e, wire::Writer& w);

// ---- WHOIS (spec §4.5) --------------------------------------------------------

// A packet holds at most (10024 - 28) / 5 addresses; we accept them all.
struct Whois {
  std::vector<uint64_t> addresses;
};
DecodeStatus decode_whois(std::span<const uint8_t> payload, Whois& out);
void encode_whois(const Whois& q, wire::Writer& w);

struct OkWhois {
  ReplyHeader re;
  std::vector<crypto::Identity> identities;
};
DecodeStatus decode_ok_whois(std::span<const uint8_t> payload, OkWhois& out);
void encode_ok_whois(const OkWhois& ok, wire::Writer& w);

// ---- RENDEZVOUS (spec §4.6) ---------------------------------------------------

struct Rendezvous {
  uint8_t flags = 0;
  uint64_t with = 0;             // the peer reachable at `at`
  wire::InetAddress at;          // IPv4 or IPv6 with port != 0
};
DecodeStatus decode_rendezvous(std::span<const uint8_t> payload, Rendezvous& out);
// Returns false (and writes nothing) if `at` is not IPv4/IPv6.
bool encode_rendezvous(const Rendezvous& r, wire::Writer& w);

// ---- ECHO / OK(ECHO) (spec §4.9): the payload is opaque and echoed verbatim.

// ---- multicast (spec §4.10, §4.14) ---------------------------------------------

struct MulticastGroup {
  uint64_t mac = 0;     // 48 bits in the low bits
  uint32_t adi = 0;
  bool operator==(const MulticastGroup&) const = default;
};

struct MulticastLikeEntry {
  uint64_t network_id = 0;
  MulticastGroup group;
  bool operator==(const MulticastLikeEntry&) const = default;
};
inline constexpr size_t kMulticastLikeRecord = 18;

struct MulticastLike {
  std::vector<MulticastLikeEntry> entries;
};
// Trailing bytes shorter than one record make the payload kTruncated.
DecodeStatus decode_multicast_like(std::span<const uint8_t> payload, MulticastLike& out);
void encode_multicast_like(const MulticastLike& m, wire::Writer& w);

struct MulticastGather {
  uint64_t network_id = 0;
  uint8_t flags = 0;                  // 0x01: a COM follows
  MulticastGroup group;
  uint32_t limit = 0;
  std::vector<uint8_t> com;           // opaque; parsed by the network layer later
};
inline constexpr uint8_t kGatherFlagCom = 0x01;
DecodeStatus decode_multicast_gather(std::span<const uint8_t> payload, MulticastGather& out);
void encode_multicast_gather(const MulticastGather& g, wire::Writer& w);

struct OkMulticastGather {
  ReplyHeader re;
  uint64_t network_id = 0;
  MulticastGroup group;
  uint32_t total_known = 0;
  std::vector<uint64_t> members;      // count is a u16 on the wire
};
DecodeStatus decode_ok_multicast_gather(std::span<const uint8_t> payload, OkMulticastGather& out);
// Returns false if there are more than 65535 members.
bool encode_ok_multicast_gather(const OkMulticastGather& ok, wire::Writer& w);

// ---- PUSH_DIRECT_PATHS (spec §4.16) -------------------------------------------

inline constexpr uint8_t kPushFlagForget = 0x01;
inline constexpr uint8_t kPushFlagClusterRedirect = 0x02;
inline constexpr size_t kPushMaxRecords = 256;  // a 1200-byte push holds ~60

struct PushedPath {
  uint8_t flags = 0;
  wire::InetAddress address;
  bool operator==(const PushedPath&) const = default;
};
struct PushDirectPaths {
  std::vector<PushedPath> paths;   // records of unknown address types are skipped
  size_t skipped = 0;              // how many were
};
DecodeStatus decode_push_direct_paths(std::span<const uint8_t> payload, PushDirectPaths& out);
void encode_push_direct_paths(const PushDirectPaths& p, wire::Writer& w);

}  // namespace flatnet::control
