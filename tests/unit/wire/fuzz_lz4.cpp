// libFuzzer target: LZ4 payload decompression of a packet buffer, with the
// compressed flag forced on. Must never write past the buffer.
#include <cstdlib>
#include <cstring>
#include <vector>

#include "dataplane/wire/compress.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace flatnet::wire;
  if (size > kMaxPacketLength - kPacketHeaderLength) return 0;
  std::vector<uint8_t> p(kPacketHeaderLength + size);
  p[kIdxVerb] = 0x80 | 0x06;
  std::memcpy(p.data() + kPacketHeaderLength, data, size);
  size_t len = p.size();
  // Exact-size buffer first (a heap overflow shows up under ASan), then the
  // full packet capacity.
  (void)decompress_packet(p.data(), len, p.size());
  p.resize(kMaxPacketLength);
  p[kIdxVerb] = 0x86;
  std::memcpy(p.data() + kPacketHeaderLength, data, size);
  len = kPacketHeaderLength + size;
  if (decompress_packet(p.data(), len, p.size()) == DecompressStatus::kOk) {
    if (len > kMaxPacketLength) std::abort();
    // Whatever decompresses must compress and come back the same.
    std::vector<uint8_t> plain(p.begin(), p.begin() + len);
    size_t clen = len;
    std::vector<uint8_t> q = plain;
    if (compress_packet(q.data(), clen)) {
      q.resize(kMaxPacketLength);
      if (decompress_packet(q.data(), clen, q.size()) != DecompressStatus::kOk) std::abort();
      q.resize(clen);
      if (q != plain) std::abort();
    }
  }
  return 0;
}
