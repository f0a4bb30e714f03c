// Building an armored VL1 packet from a verb payload, and opening a received
// one (dearmor, then LZ4 if flagged). Thin glue over dataplane/wire (header,
// fragment flag, compression) and crypto/armor (ciphers); nothing here
// restates a wire offset.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "crypto/armor.hpp"
#include "crypto/mb/burst.hpp"
#include "dataplane/wire/bytes.hpp"
#include "dataplane/wire/vl1.hpp"

namespace flatnet::control {

// An outgoing packet under construction: the 28-byte header with the verb
// byte written, and a Writer for the payload. Finish with seal().
class PacketBuilder {
 public:
  // `payload_hint`: the payload's size if known, so the buffer is
  // allocated once (a FRAME's 2,800 bytes would otherwise move it).
  PacketBuilder(uint64_t dest, uint64_t source, wire::Verb verb, uint64_t packet_id,
                size_t payload_hint = 0);

  wire::Writer& payload() { return w_; }
  std::vector<uint8_t>& bytes() { return buf_; }
  // Offset of the first payload byte in bytes().
  static constexpr size_t kPayloadOffset = wire::kIdxPayload;

  // Sets the FRAGMENTED flag for `mtu` and armors with `suite`. Returns the
  // datagrams to send (head, then fragments, all of one size but a shorter
  // last: wire::split_packet_even), or an empty vector if the payload broke
  // the packet size limit.
  std::vector<std::vector<uint8_t>> seal(const crypto::PeerKeys& keys, crypto::Suite suite,
                                         size_t mtu = wire::kDefaultPhysMtu);
  // The same packet left unarmored, for armor_packets() to armor with
  // others in one burst: the FRAGMENTED flag set for `mtu` (it is
  // authenticated, so final now), the buffer moved out. Empty if the payload
  // broke the packet size limit.
  std::vector<uint8_t> take_unsealed(size_t mtu = wire::kDefaultPhysMtu);

 private:
  std::vector<uint8_t> buf_;
  wire::Writer w_;
};

// A packet waiting to be armored in a burst (PacketBuilder::take_unsealed).
// `keys` is the peer's burst key set, shared so that the peer may be
// forgotten before the burst is armored.
struct Unsealed {
  std::vector<uint8_t> bytes;
  std::shared_ptr<const crypto::mb::PeerKeyset> keys;
  crypto::Suite suite = crypto::Suite::kSalsa2012Poly1305;
  size_t mtu = wire::kDefaultPhysMtu;
};

// Armors every packet in place with crypto/mb's burst engine, one
// armor_burst per suite present, byte for byte what PacketBuilder::seal
// armors. Order is not changed.
void armor_packets(std::span<Unsealed> pkts);

// The datagrams of an armored packet (wire::split_packet_even), the
// buffer itself moved into the only one when it needs no split.
std::vector<std::vector<uint8_t>> split_sealed(std::vector<uint8_t>&& packet, size_t mtu);

// A fresh random packet ID (the cipher IV of suites 0/1; the SIV nonce of 3),
// from a per-thread pool filled by the CSPRNG in blocks.
uint64_t random_packet_id();

enum class OpenStatus : uint8_t {
  kOk = 0,
  kTooShort,
  kBadMac,
  kUnsupportedCipher,   // cipher 2 (trusted path) or 4..7
  kDecompressFailed,
};

// Dearmors `packet` in place with `keys`, then undoes LZ4 if the verb byte
// says so (the vector grows as needed, up to 10024 bytes). On kOk the verb
// byte has its compression bit cleared.
OpenStatus open_packet(std::vector<uint8_t>& packet, const crypto::PeerKeys& keys);
// The second half of open_packet for a packet dearmored elsewhere (a
// receive burst, crypto/mb): undoes LZ4 if the verb byte says so.
OpenStatus inflate_packet(std::vector<uint8_t>& packet);

inline wire::Verb packet_verb(const uint8_t* p) {
  return wire::Verb(p[wire::kIdxVerb] & wire::kVerbMask);
}
inline std::span<const uint8_t> packet_payload(const std::vector<uint8_t>& p) {
  return std::span<const uint8_t>(p).subspan(wire::kIdxPayload);
}

}  // namespace flatnet::control
