// libFuzzer target: dearmor() on arbitrary bytes under the Appendix B.3 key.
// Whatever the input, it must return one of its results without crashing;
// a rejected packet must come back byte-for-byte unchanged, and an accepted
// one must re-armor to the input (the input is then a genuine packet).
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "crypto/armor.hpp"

namespace {

const flatnet::crypto::PeerKeys& keys() {
  static const flatnet::crypto::PeerKeys k([] {
    // Appendix B.3 K (A <-> B).
    static const uint8_t kK[48] = {
        0x7f, 0xda, 0x44, 0x9e, 0x2b, 0xe5, 0xf3, 0xef, 0x55, 0x0a, 0xb5, 0x13, 0x5f, 0xa0, 0xec, 0xb9,
        0x6e, 0x5a, 0x53, 0xe1, 0x1c, 0xe5, 0x10, 0xb3, 0xc3, 0xc1, 0x67, 0x9e, 0x5e, 0x13, 0x56, 0x8f,
        0x3f, 0x98, 0x6d, 0x47, 0xdb, 0xfb, 0x54, 0x71, 0xd5, 0x3f, 0xb1, 0x56, 0x8b, 0xaf, 0x0a, 0x94};
    flatnet::crypto::SharedKey s;
    std::memcpy(s.data(), kK, 48);
    return s;
  }());
  return k;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace flatnet::crypto;
  if (size > 16384) return 0;
  std::vector<uint8_t> pkt(data, data + size);
  uint8_t iv[8];
  const DearmorResult r = dearmor(pkt, keys(), iv);
  if (r != DearmorResult::kOk) {
    // std::equal, not memcmp: for an empty input pkt.data() is null, and
    // memcmp(nullptr, ..., 0) is undefined (UBSan's nonnull-attribute).
    if (!std::equal(pkt.begin(), pkt.end(), data, data + size)) std::abort();
    return 0;
  }
  const uint8_t cipher = (data[18] >> 3) & 7;
  if ((data[18] & 7) != 0) return 0;  // relayed: the sender armored with hops 0
  if (cipher == 3) std::memcpy(pkt.data(), iv, 8);
  armor(pkt, keys(), Suite(cipher));
  if (std::memcmp(pkt.data(), data, size) != 0) std::abort();
  return 0;
}
