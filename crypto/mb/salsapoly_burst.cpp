// Suites 0 and 1 (spec §3.2) over a burst: per-packet mangled keys, the
// Salsa20/12 keystream (stream kernel for the bulk of similar-length
// packets, block kernel for everything else), then Poly1305 with one lane
// per packet.
//
// Armor:   keystream blocks 0..n of every packet (block 0's first half is
//          the Poly1305 key; blocks 1.. encrypt bytes 27..), then the MACs.
// Dearmor: block 0 of every packet, the MACs, and only for packets whose
//          MAC matched, blocks 1.. (a forged packet is never decrypted).
#include <algorithm>
#include <cstring>

#include "crypto/mb/internal.hpp"
#include "crypto/mb/kernels.hpp"

namespace flatnet::crypto::mb::detail {
namespace {

constexpr size_t kHeader = 27;  // MAC covers and cipher encrypts bytes 27..end
constexpr size_t kBatch = 64;   // packets per pass; bounds the scratch below

inline uint32_t le32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// The per-packet Salsa20 input words: mangled key (spec §3.2) and nonce.
struct PacketKey {
  uint32_t key[8];
  uint32_t nonce[2];
};

void mangle(const uint8_t* key48, const uint8_t* pkt, uint32_t len, PacketKey& out) {
  uint8_t mk[32];
  for (int i = 0; i < 18; ++i) mk[i] = key48[i] ^ pkt[i];
  mk[18] = key48[18] ^ (pkt[18] & 0xf8);  // hop count is not authenticated
  mk[19] = key48[19] ^ uint8_t(len);
  mk[20] = key48[20] ^ uint8_t(len >> 8);
  std::memcpy(mk + 21, key48 + 21, 11);
  for (int w = 0; w < 8; ++w) out.key[w] = le32(mk + 4 * w);
  out.nonce[0] = le32(pkt);
  out.nonce[1] = le32(pkt + 4);
}

// Packs keystream blocks into kernel lanes; when every lane is taken, runs
// the kernel, which applies each block where it belongs.
class BlockFeeder {
 public:
  explicit BlockFeeder(const Kernels& k) : k_(k) {
    for (unsigned l = 0; l < kMaxSalsaLanes; ++l) {
      state_[0 * kMaxSalsaLanes + l] = 0x61707865;  // "expand 32-byte k"
      state_[5 * kMaxSalsaLanes + l] = 0x3320646e;
      state_[10 * kMaxSalsaLanes + l] = 0x79622d32;
      state_[15 * kMaxSalsaLanes + l] = 0x6b206574;
    }
  }

  // Block `counter` of `pk`'s keystream: copied to dst (n bytes) if `copy`,
  // else XORed onto dst[0..n).
  void add(const PacketKey& pk, uint32_t counter, uint8_t* dst, uint32_t n, bool copy) {
    const unsigned l = used_;
    uint32_t* s = state_ + l;
    constexpr unsigned L = kMaxSalsaLanes;
    for (int w = 0; w < 4; ++w) s[(1 + w) * L] = pk.key[w];
    for (int w = 0; w < 4; ++w) s[(11 + w) * L] = pk.key[4 + w];
    s[6 * L] = pk.nonce[0];
    s[7 * L] = pk.nonce[1];
    s[8 * L] = counter;
    s[9 * L] = 0;
    dest_[l] = {dst, n, copy ? 1u : 0u};
    if (++used_ == k_.salsa_lanes) flush();
  }

  void flush() {
    if (used_ == 0) return;
    k_.salsa(state_, dest_, used_);
    used_ = 0;
  }

 private:
  const Kernels& k_;
  unsigned used_ = 0;
  alignas(64) uint32_t state_[16 * kMaxSalsaLanes];
  BlockDest dest_[kMaxSalsaLanes];
};

// Blocks 1.. of the keystream of packets sel[0..n) (slots into pk), over
// bytes 27..end. Packets are sorted by length and taken a full set of
// lanes at a time through the stream kernel for as many whole blocks as the
// shortest of the set has; every block left over (tails, the longer
// packets' extra blocks, sets that do not fill the lanes) goes through the
// block kernel, which packs them densely.
void payload_keystream(const Kernels& k, BlockFeeder& f, const Packet* pkts, const uint16_t* idx,
                       const PacketKey* pk, const uint16_t* sel, size_t n) {
  uint32_t done[kBatch] = {};  // whole blocks already applied, per entry of sel
  const unsigned L = k.stream_lanes;
  if (L != 0 && n >= L) {
    uint32_t full[kBatch];
    uint16_t order[kBatch];
    for (size_t i = 0; i < n; ++i) {
      full[i] = (pkts[idx[sel[i]]].len - kHeader) / 64;
      order[i] = uint16_t(i);
    }
    std::sort(order, order + n, [&](uint16_t a, uint16_t b) { return full[a] > full[b]; });
    alignas(64) uint32_t state[16 * kMaxSalsaLanes];
    uint8_t* dst[kMaxSalsaLanes];
    for (size_t g = 0; g + L <= n; g += L) {
      const uint32_t iters = full[order[g + L - 1]];
      if (iters < 2) break;  // sorted: the rest are no longer
      for (unsigned l = 0; l < L; ++l) {
        const uint16_t e = order[g + l];
        const PacketKey& key = pk[sel[e]];
        uint32_t* st = state + l;
        constexpr unsigned S = kMaxSalsaLanes;
        st[0 * S] = 0x61707865;
        st[5 * S] = 0x3320646e;
        st[10 * S] = 0x79622d32;
        st[15 * S] = 0x6b206574;
        for (int w = 0; w < 4; ++w) st[(1 + w) * S] = key.key[w];
        for (int w = 0; w < 4; ++w) st[(11 + w) * S] = key.key[4 + w];
        st[6 * S] = key.nonce[0];
        st[7 * S] = key.nonce[1];
        st[8 * S] = 1;  // block 0 is the Poly1305 key
        st[9 * S] = 0;
        dst[l] = pkts[idx[sel[e]]].data + kHeader;
        done[e] = iters;
      }
      k.stream(state, dst, iters);
    }
  }
  for (size_t i = 0; i < n; ++i) {
    const Packet& p = pkts[idx[sel[i]]];
    const uint32_t body = p.len - kHeader;
    for (uint32_t off = 64 * done[i], c = done[i] + 1; off < body; off += 64, ++c)
      f.add(pk[sel[i]], c, p.data + kHeader + off, std::min<uint32_t>(64, body - off), false);
  }
}

// MACs of packets sel[0..n) over bytes 27..end with their one-time keys.
void macs(const Kernels& k, const Packet* pkts, const uint16_t* sel, size_t n,
          const uint8_t (*polykey)[32], const uint16_t* keyslot, uint8_t (*tags)[16]) {
  PolyLane lanes[kMaxPolyLanes];
  for (size_t i = 0; i < n; i += k.poly_lanes) {
    const unsigned m = unsigned(std::min<size_t>(k.poly_lanes, n - i));
    for (unsigned j = 0; j < m; ++j) {
      const Packet& p = pkts[sel[i + j]];
      lanes[j] = {p.data + kHeader, p.len - kHeader, polykey[keyslot[i + j]]};
    }
    // One or two messages would leave most lanes idle: spread each long
    // one over all lanes instead, or give a short one to libsodium.
    if (m <= 2 && k.poly_lanes > 1) {
      for (unsigned j = 0; j < m; ++j) {
        if (k.poly_single != nullptr && lanes[j].len >= kPolySingleMin)
          k.poly_single(lanes[j].msg, lanes[j].len, lanes[j].key, tags[i + j]);
        else
          poly1305_lanes_scalar(&lanes[j], 1, tags + i + j);
      }
      continue;
    }
    k.poly(lanes, m, tags + i);
  }
}

}  // namespace

void salsapoly_armor(const Packet* pkts, const uint16_t* idx, size_t n, Suite suite) {
  const Kernels& k = kernels();
  const bool encrypt = suite == Suite::kSalsa2012Poly1305;
  BlockFeeder feeder(k);
  PacketKey pk[kBatch];
  alignas(16) uint8_t polykey[kBatch][32];
  uint8_t tags[kBatch][16];
  uint16_t slot[kBatch];
  for (size_t base = 0; base < n; base += kBatch) {
    const size_t m = std::min(kBatch, n - base);
    for (size_t i = 0; i < m; ++i) {
      const Packet& p = pkts[idx[base + i]];
      uint8_t& flags = p.data[18];
      flags = uint8_t((flags & 0x47) | (uint8_t(suite) << 3) | (encrypt ? 0x80 : 0));
      mangle(p.keys->key48(), p.data, p.len, pk[i]);
      feeder.add(pk[i], 0, polykey[i], 32, true);
      slot[i] = uint16_t(i);
    }
    if (encrypt) payload_keystream(k, feeder, pkts, idx + base, pk, slot, m);
    feeder.flush();
    macs(k, pkts, idx + base, m, polykey, slot, tags);
    for (size_t i = 0; i < m; ++i) std::memcpy(pkts[idx[base + i]].data + 19, tags[i], 8);
  }
}

void salsapoly_dearmor(const Packet* pkts, const uint16_t* idx, size_t n,
                       DearmorResult* verdicts) {
  const Kernels& k = kernels();
  BlockFeeder feeder(k);
  PacketKey pk[kBatch];
  alignas(16) uint8_t polykey[kBatch][32];
  uint8_t tags[kBatch][16];
  uint16_t slot[kBatch];
  for (size_t base = 0; base < n; base += kBatch) {
    const size_t m = std::min(kBatch, n - base);
    for (size_t i = 0; i < m; ++i) {
      const Packet& p = pkts[idx[base + i]];
      mangle(p.keys->key48(), p.data, p.len, pk[i]);
      feeder.add(pk[i], 0, polykey[i], 32, true);
      slot[i] = uint16_t(i);
    }
    feeder.flush();
    macs(k, pkts, idx + base, m, polykey, slot, tags);
    uint16_t decrypt[kBatch];
    size_t nd = 0;
    for (size_t i = 0; i < m; ++i) {
      const uint16_t j = idx[base + i];
      const Packet& p = pkts[j];
      if (!tag8_equal(tags[i], p.data + 19)) {
        verdicts[j] = DearmorResult::kBadMac;  // never decrypted
        continue;
      }
      verdicts[j] = DearmorResult::kOk;
      if (((p.data[18] >> 3) & 7) == 1) decrypt[nd++] = uint16_t(i);
    }
    payload_keystream(k, feeder, pkts, idx + base, pk, decrypt, nd);
    feeder.flush();
  }
}

}  // namespace flatnet::crypto::mb::detail
