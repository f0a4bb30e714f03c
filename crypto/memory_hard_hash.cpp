// The memory-hard hash that binds a ZeroTier address to its public key
// (spec §1.3). One Salsa20/20 stream, keyed from SHA-512(public key), first
// fills 2 MiB sequentially, then drives 131,072 data-dependent swaps between
// the scratch and the digest, each followed by XORing one more keystream
// block into the digest.
#include "crypto/memory_hard_hash.hpp"

#include <cstring>
#include <memory>

#include <sodium.h>

namespace flatnet::crypto {
namespace {

constexpr size_t kWords = kMemoryHardScratch / 8;       // 262,144 8-byte words
constexpr uint64_t kPhase1Blocks = kMemoryHardScratch / 64;  // 32,768
constexpr size_t kBatchBlocks = 256;  // keystream generated 16 KiB at a time

inline uint64_t load_be64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

void memory_hard_hash(const PublicKey& pub, uint8_t digest[64], uint8_t* g) {
  crypto_hash_sha512(digest, pub.data(), pub.size());

  // Key and nonce come from the initial digest and stay fixed even though
  // the digest changes below, so keep private copies.
  // Everything here derives from the public key: nothing needs wiping.
  uint8_t key[32];
  uint8_t nonce[8];
  std::memcpy(key, digest, 32);
  std::memcpy(nonce, digest + 32, 8);

  // Phase 1: G = keystream, then a running XOR of each block into the next
  // (G[i] = KS[i] ^ G[i-1]) which is the "CBC-like" fill of the spec.
  crypto_stream_salsa20(g, kMemoryHardScratch, nonce, key);
  for (size_t i = 64; i < kMemoryHardScratch; i += 8) {
    uint64_t a, b;
    std::memcpy(&a, g + i, 8);
    std::memcpy(&b, g + i - 64, 8);
    a ^= b;
    std::memcpy(g + i, &a, 8);
  }

  // Phase 2: swaps, each followed by one keystream block XORed into D. The
  // stream continues at block 32,768; generate it in batches.
  alignas(64) uint8_t ks[kBatchBlocks * 64];
  uint64_t next_block = kPhase1Blocks;
  size_t ks_left = 0;
  const uint8_t* ksp = ks;
  for (size_t k = 0; k < kWords;) {
    const size_t idx1 = size_t(load_be64(g + 8 * k) % 8);
    ++k;
    const size_t idx2 = size_t(load_be64(g + 8 * k) % kWords);
    ++k;
    uint8_t tmp[8];
    std::memcpy(tmp, g + 8 * idx2, 8);
    std::memcpy(g + 8 * idx2, digest + 8 * idx1, 8);
    std::memcpy(digest + 8 * idx1, tmp, 8);

    if (ks_left == 0) {
      std::memset(ks, 0, sizeof ks);
      crypto_stream_salsa20_xor_ic(ks, ks, sizeof ks, nonce, next_block, key);
      next_block += kBatchBlocks;
      ks_left = kBatchBlocks;
      ksp = ks;
    }
    for (int i = 0; i < 64; ++i) digest[i] ^= ksp[i];
    ksp += 64;
    --ks_left;
  }
}

void memory_hard_hash(const PublicKey& pub, uint8_t digest[64]) {
  // 2 MiB is too much for the stack.
  std::unique_ptr<uint8_t[]> scratch(new uint8_t[kMemoryHardScratch]);
  memory_hard_hash(pub, digest, scratch.get());
}

uint64_t memory_hard_digest_address(const uint8_t digest[64]) {
  if (digest[0] >= 17) return 0;
  uint64_t a = 0;
  for (int i = 59; i < 64; ++i) a = (a << 8) | digest[i];
  return a;
}

}  // namespace flatnet::crypto
