// LZ4 payload compression of VL1 packets (spec §2.4).
//
// The payload (bytes 28.. of a packet, after the verb byte) is one LZ4 raw
// block: no frame, no size prefix. Bit 0x80 of the verb byte says it is
// compressed. Compression happens before armor, decompression after dearmor.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "dataplane/wire/vl1.hpp"

namespace flatnet::wire {

// Largest payload a decompressor may produce: a packet is at most 10024
// bytes, 28 of which are the header.
inline constexpr size_t kMaxDecompressedPayload = kMaxPacketLength - kPacketHeaderLength;
// Payloads this short are sent as they are.
inline constexpr size_t kCompressMinPayload = 64;

// Raw LZ4 block helpers. Both return the number of bytes written, or 0 on
// failure (compress: output does not fit; decompress: malformed input or
// output larger than out.size()).
size_t lz4_compress(std::span<const uint8_t> in, std::span<uint8_t> out);
size_t lz4_decompress(std::span<const uint8_t> in, std::span<uint8_t> out);

// Compresses packet[28..len) in place the way a stock sender does: only if
// the payload is longer than 64 bytes and the result strictly shorter; then
// sets 0x80 in the verb byte and updates len. Returns true if it did.
// `packet` must hold at least len bytes; len >= 28.
bool compress_packet(uint8_t* packet, size_t& len);

enum class DecompressStatus : uint8_t {
  kNotCompressed = 0,  // flag clear: nothing to do
  kOk,                 // payload replaced, flag cleared, len updated
  kFailed,             // malformed or too large: drop the packet
};

// Undoes compress_packet on a dearmored packet. `capacity` is the size of the
// buffer behind `packet`: `len` must not exceed it (kFailed otherwise), and
// the result must fit in it (and in 10024 bytes).
DecompressStatus decompress_packet(uint8_t* packet, size_t& len, size_t capacity);

}  // namespace flatnet::wire
