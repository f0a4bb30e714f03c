// LZ4 via liblz4 (LZ4_compress_default / LZ4_decompress_safe).
#include "dataplane/wire/compress.hpp"

#include <lz4.h>

#include <climits>
#include <cstring>

namespace flatnet::wire {

size_t lz4_compress(std::span<const uint8_t> in, std::span<uint8_t> out) {
  if (in.size() > size_t(LZ4_MAX_INPUT_SIZE) || out.size() > size_t(INT_MAX)) return 0;
  const int n = LZ4_compress_default(reinterpret_cast<const char*>(in.data()),
                                     reinterpret_cast<char*>(out.data()), int(in.size()),
                                     int(out.size()));
  return n > 0 ? size_t(n) : 0;
}

size_t lz4_decompress(std::span<const uint8_t> in, std::span<uint8_t> out) {
  if (in.empty() || in.size() > size_t(INT_MAX) || out.size() > size_t(INT_MAX)) return 0;
  const int n = LZ4_decompress_safe(reinterpret_cast<const char*>(in.data()),
                                    reinterpret_cast<char*>(out.data()), int(in.size()),
                                    int(out.size()));
  return n > 0 ? size_t(n) : 0;
}

bool compress_packet(uint8_t* packet, size_t& len) {
  if (len <= kPacketHeaderLength + kCompressMinPayload || len > kMaxPacketLength) return false;
  const size_t plen = len - kPacketHeaderLength;
  // Only a strictly shorter result is worth sending, so the output buffer
  // can be one byte smaller than the input: LZ4 fails when it does not fit.
  uint8_t buf[kMaxPacketLength];
  const size_t n = lz4_compress({packet + kPacketHeaderLength, plen}, {buf, plen - 1});
  if (n == 0 || n >= plen) return false;
  std::memcpy(packet + kPacketHeaderLength, buf, n);
  packet[kIdxVerb] |= kVerbFlagCompressed;
  len = kPacketHeaderLength + n;
  return true;
}

DecompressStatus decompress_packet(uint8_t* packet, size_t& len, size_t capacity) {
  // `len` bytes are read from a buffer of `capacity`: a length beyond the
  // buffer (an oversized datagram a caller forgot to refuse) is bad input,
  // never a read past its end.
  if (len < kPacketHeaderLength || len > capacity) return DecompressStatus::kFailed;
  if (!(packet[kIdxVerb] & kVerbFlagCompressed)) return DecompressStatus::kNotCompressed;
  size_t limit = kMaxDecompressedPayload;
  if (capacity - kPacketHeaderLength < limit) limit = capacity - kPacketHeaderLength;
  uint8_t buf[kMaxDecompressedPayload];
  const size_t n = lz4_decompress({packet + kPacketHeaderLength, len - kPacketHeaderLength},
                                  {buf, limit});
  if (n == 0) return DecompressStatus::kFailed;
  std::memcpy(packet + kPacketHeaderLength, buf, n);
  packet[kIdxVerb] &= uint8_t(~kVerbFlagCompressed);
  len = kPacketHeaderLength + n;
  return DecompressStatus::kOk;
}

}  // namespace flatnet::wire
