// libFuzzer target: burst dearmor on arbitrary packets, checked against the
// single-packet crypto::dearmor on every ISA path (differential). Any
// mismatch in verdict, bytes or recovered IV aborts.
//
// Input: key (48 bytes) | mode (1 byte) | packets, each as u16 little-endian
// length then that many bytes (at most 24 packets, 10,100 bytes each).
// mode bit 0: armor each packet first with suite (mode >> 1) & 3 (2 means 3),
// so that valid MACs are reached; bit 3: then flip the byte named by the
// packet's own byte 0 (mod length); bits 4..7 are unused.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <algorithm>
#include <cstring>
#include <array>
#include <memory>
#include <vector>

#include "crypto/armor.hpp"
#include "crypto/mb/burst.hpp"

namespace fc = flatnet::crypto;
namespace mb = flatnet::crypto::mb;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 49) return 0;
  fc::SharedKey key;
  std::memcpy(key.data(), data, 48);
  const uint8_t mode = data[48];
  data += 49;
  size -= 49;
  std::vector<std::vector<uint8_t>> pkts;
  while (size >= 2 && pkts.size() < 24) {
    const size_t len = std::min<size_t>(size_t(data[0] | data[1] << 8), 10100);
    data += 2;
    size -= 2;
    const size_t n = std::min(len, size);
    pkts.emplace_back(data, data + n);
    data += n;
    size -= n;
  }
  if (pkts.empty()) return 0;

  const fc::PeerKeys single(key);
  const mb::PeerKeyset burst(key);
  if (mode & 1) {
    const uint8_t s = (mode >> 1) & 3;
    const fc::Suite suite = s == 0 ? fc::Suite::kPoly1305
                            : s == 1 ? fc::Suite::kSalsa2012Poly1305
                                     : fc::Suite::kAesGmacSiv;
    for (auto& p : pkts) {
      if (p.size() < 28) continue;
      fc::armor(p, single, suite);
      if (mode & 8) p[p[0] % p.size()] ^= 0x01;
    }
  }

  // The reference, one packet at a time.
  std::vector<std::vector<uint8_t>> want = pkts;
  std::vector<fc::DearmorResult> want_v(pkts.size());
  std::vector<std::array<uint8_t, 8>> want_iv(pkts.size());
  for (size_t i = 0; i < pkts.size(); ++i) {
    want_iv[i] = {};
    want_v[i] = fc::dearmor(want[i], single, want_iv[i].data());
  }

  for (mb::Isa isa : {mb::Isa::kScalar, mb::Isa::kAvx2, mb::Isa::kAvx512}) {
    if (!mb::force_isa(isa)) continue;
    std::vector<std::vector<uint8_t>> got = pkts;
    std::vector<mb::Packet> pk;
    for (auto& p : got) pk.push_back({p.data(), uint32_t(p.size()), &burst});
    std::vector<fc::DearmorResult> v(pk.size());
    std::vector<uint8_t> ivs(8 * pk.size());
    mb::dearmor_burst(pk, v.data(), reinterpret_cast<uint8_t(*)[8]>(ivs.data()));
    for (size_t i = 0; i < pk.size(); ++i) {
      if (v[i] != want_v[i] || got[i] != want[i]) std::abort();
      if (v[i] == fc::DearmorResult::kOk && ((got[i][18] >> 3) & 7) == 3 &&
          std::memcmp(ivs.data() + 8 * i, want_iv[i].data(), 8) != 0)
        std::abort();
    }
  }
  mb::force_isa(mb::Isa::kAuto);
  return 0;
}
