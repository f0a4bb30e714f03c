// Each ISA's lane kernels against libsodium, lane by lane: Salsa20/12
// blocks (crypto_core_salsa2012) and Poly1305 (crypto_onetimeauth_poly1305)
// with random keys, nonces, counters and message lengths, plus the
// all-ones messages that exercise every carry.
#include <gtest/gtest.h>
#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <vector>

#include "crypto/mb/burst.hpp"
#include "crypto/mb/kernels.hpp"

namespace flatnet::crypto::mb::detail {
namespace {

struct SalsaCase {
  const char* name;
  Isa isa;
  SalsaBlocksFn fn;
  unsigned lanes;
};

const SalsaCase kSalsa[] = {
    {"scalar", Isa::kScalar, salsa2012_blocks_scalar, 1},
    {"avx2", Isa::kAvx2, salsa2012_blocks_avx2, 8},
    {"avx512", Isa::kAvx512, salsa2012_blocks_avx512, 16},
};

TEST(MbKernels, Salsa2012BlocksMatchLibsodium) {
  ASSERT_EQ(sodium_init() >= 0, true);
  std::mt19937_64 rng(1);
  for (const auto& c : kSalsa) {
    if (!isa_supported(c.isa)) {
      std::printf("skipping %s: CPU lacks it\n", c.name);
      continue;
    }
    SCOPED_TRACE(c.name);
    for (int round = 0; round < 200; ++round) {
      alignas(64) uint32_t state[16 * kMaxSalsaLanes];
      // Each lane: copy (the Poly1305-key case), full XOR, or a short XOR
      // into a buffer with guard bytes, which must stay untouched.
      uint8_t buf[kMaxSalsaLanes][64 + 16];
      uint8_t before[kMaxSalsaLanes][64 + 16];
      BlockDest dest[kMaxSalsaLanes];
      const unsigned n = round % 3 == 0 ? c.lanes : 1 + unsigned(rng() % c.lanes);
      uint8_t key[kMaxSalsaLanes][32], in16[kMaxSalsaLanes][16];
      for (unsigned l = 0; l < c.lanes; ++l) {
        for (auto& b : key[l]) b = uint8_t(rng());
        for (auto& b : in16[l]) b = uint8_t(rng());
        if (round % 2) std::memset(in16[l] + 12, 0, 4);  // small counters too
        const uint32_t cst[4] = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574};
        uint32_t w[16];
        w[0] = cst[0]; w[5] = cst[1]; w[10] = cst[2]; w[15] = cst[3];
        for (int i = 0; i < 4; ++i) std::memcpy(&w[1 + i], key[l] + 4 * i, 4);
        for (int i = 0; i < 4; ++i) std::memcpy(&w[11 + i], key[l] + 16 + 4 * i, 4);
        for (int i = 0; i < 4; ++i) std::memcpy(&w[6 + i], in16[l] + 4 * i, 4);
        for (int i = 0; i < 16; ++i) state[i * kMaxSalsaLanes + l] = w[i];
      }
      for (unsigned l = 0; l < c.lanes; ++l) {
        for (auto& b : buf[l]) b = uint8_t(rng());
        std::memcpy(before[l], buf[l], sizeof buf[l]);
        const unsigned kind = unsigned(rng() % 3);
        const uint32_t len = kind == 1 ? 64 : 1 + uint32_t(rng() % 64);
        dest[l] = {buf[l] + 8, len, kind == 0 ? 1u : 0u};
      }
      c.fn(state, dest, n);
      for (unsigned l = 0; l < c.lanes; ++l) {
        uint8_t want[64 + 16];
        std::memcpy(want, before[l], sizeof want);
        if (l < n) {
          uint8_t ks[64];
          crypto_core_salsa2012(ks, in16[l], key[l], nullptr);
          for (uint32_t i = 0; i < dest[l].n; ++i)
            want[8 + i] = dest[l].copy ? ks[i] : uint8_t(want[8 + i] ^ ks[i]);
        }
        ASSERT_EQ(0, std::memcmp(want, buf[l], sizeof want)) << "lane " << l << " of " << n << " round " << round;
      }
    }
  }
}

TEST(MbKernels, Salsa2012StreamMatchesLibsodium) {
  ASSERT_EQ(sodium_init() >= 0, true);
  std::mt19937_64 rng(3);
  const struct {
    const char* name;
    Isa isa;
    SalsaStreamFn fn;
    unsigned lanes;
  } cases[] = {{"avx2", Isa::kAvx2, salsa2012_stream_avx2, 8},
               {"avx512", Isa::kAvx512, salsa2012_stream_avx512, 16}};
  for (const auto& c : cases) {
    if (!isa_supported(c.isa)) {
      std::printf("skipping %s: CPU lacks it\n", c.name);
      continue;
    }
    SCOPED_TRACE(c.name);
    for (unsigned iters : {0u, 1u, 2u, 7u, 40u}) {
      alignas(64) uint32_t state[16 * kMaxSalsaLanes] = {};
      uint8_t key[kMaxSalsaLanes][32], nonce[kMaxSalsaLanes][8];
      uint32_t ctr0[kMaxSalsaLanes];
      std::vector<uint8_t> buf[kMaxSalsaLanes], before[kMaxSalsaLanes];
      uint8_t* dst[kMaxSalsaLanes];
      for (unsigned l = 0; l < c.lanes; ++l) {
        for (auto& b : key[l]) b = uint8_t(rng());
        for (auto& b : nonce[l]) b = uint8_t(rng());
        ctr0[l] = uint32_t(rng() % 1000);
        const uint32_t w0[4] = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574};
        state[0 * kMaxSalsaLanes + l] = w0[0];
        state[5 * kMaxSalsaLanes + l] = w0[1];
        state[10 * kMaxSalsaLanes + l] = w0[2];
        state[15 * kMaxSalsaLanes + l] = w0[3];
        for (int i = 0; i < 4; ++i) std::memcpy(&state[(1 + i) * kMaxSalsaLanes + l], key[l] + 4 * i, 4);
        for (int i = 0; i < 4; ++i) std::memcpy(&state[(11 + i) * kMaxSalsaLanes + l], key[l] + 16 + 4 * i, 4);
        for (int i = 0; i < 2; ++i) std::memcpy(&state[(6 + i) * kMaxSalsaLanes + l], nonce[l] + 4 * i, 4);
        state[8 * kMaxSalsaLanes + l] = ctr0[l];
        buf[l].resize(64 * iters + 32);  // 16 guard bytes each side
        for (auto& b : buf[l]) b = uint8_t(rng());
        before[l] = buf[l];
        dst[l] = buf[l].data() + 16;
      }
      c.fn(state, dst, iters);
      for (unsigned l = 0; l < c.lanes; ++l) {
        std::vector<uint8_t> want = before[l];
        for (unsigned i = 0; i < iters; ++i) {
          uint8_t in16[16] = {}, ks[64];
          std::memcpy(in16, nonce[l], 8);
          const uint32_t ctr = ctr0[l] + i;
          std::memcpy(in16 + 8, &ctr, 4);
          crypto_core_salsa2012(ks, in16, key[l], nullptr);
          for (int b = 0; b < 64; ++b) want[16 + 64 * i + b] ^= ks[b];
        }
        ASSERT_EQ(want, buf[l]) << "lane " << l << " iters " << iters;
      }
    }
  }
}

struct PolyCase {
  const char* name;
  Isa isa;
  PolyFn fn;
};

const PolyCase kPoly[] = {
    {"scalar", Isa::kScalar, poly1305_lanes_scalar},
    {"avx2", Isa::kAvx2, poly1305_lanes_avx2},
    {"avx512", Isa::kAvx512, poly1305_lanes_avx512},
};

void check_poly(const PolyCase& c, std::mt19937_64& rng, unsigned n, const size_t* lens, bool ones) {
  std::vector<uint8_t> msg[kMaxPolyLanes];
  uint8_t key[kMaxPolyLanes][32];
  PolyLane lanes[kMaxPolyLanes];
  for (unsigned l = 0; l < n; ++l) {
    msg[l].resize(lens[l] + 1);  // +1: a non-null pointer even for len 0
    for (auto& b : msg[l]) b = ones ? 0xff : uint8_t(rng());
    for (auto& b : key[l]) b = ones ? 0xff : uint8_t(rng());
    lanes[l] = {msg[l].data(), lens[l], key[l]};
  }
  uint8_t tags[kMaxPolyLanes][16];
  c.fn(lanes, n, tags);
  for (unsigned l = 0; l < n; ++l) {
    uint8_t want[16];
    crypto_onetimeauth_poly1305(want, msg[l].data(), lens[l], key[l]);
    ASSERT_EQ(0, std::memcmp(want, tags[l], 16)) << "lane " << l << " of " << n << " len " << lens[l];
  }
}

TEST(MbKernels, Poly1305SingleMatchesLibsodium) {
  if (!isa_supported(Isa::kAvx512)) GTEST_SKIP() << "CPU lacks AVX-512 IFMA";
  std::mt19937_64 rng(4);
  std::vector<uint8_t> msg(10100);
  for (size_t len = 0; len <= 10000; len += (len < 600 ? 1 : 1 + rng() % 50)) {
    for (auto& b : msg) b = uint8_t(rng());
    uint8_t key[32], got[16], want[16];
    for (auto& b : key) b = len % 7 == 0 ? 0xff : uint8_t(rng());
    if (len % 11 == 0) std::fill(msg.begin(), msg.end(), 0xff);
    poly1305_single_avx512(msg.data(), len, key, got);
    crypto_onetimeauth_poly1305(want, msg.data(), len, key);
    ASSERT_EQ(0, std::memcmp(want, got, 16)) << "len " << len;
  }
}

TEST(MbKernels, Poly1305LanesMatchLibsodium) {
  ASSERT_EQ(sodium_init() >= 0, true);
  std::mt19937_64 rng(2);
  for (const auto& c : kPoly) {
    if (!isa_supported(c.isa)) {
      std::printf("skipping %s: CPU lacks it\n", c.name);
      continue;
    }
    SCOPED_TRACE(c.name);
    // Every length 0..300 in every lane position, with mixed neighbours.
    for (size_t len = 0; len <= 300; ++len) {
      size_t lens[kMaxPolyLanes];
      for (unsigned l = 0; l < kMaxPolyLanes; ++l) lens[l] = (len + 37 * l) % 301;
      check_poly(c, rng, kMaxPolyLanes, lens, false);
      check_poly(c, rng, 1 + unsigned(len % kMaxPolyLanes), lens, len % 3 == 0);
    }
    // Long, unequal messages.
    for (int round = 0; round < 20; ++round) {
      size_t lens[kMaxPolyLanes];
      for (auto& l : lens) l = rng() % 10000;
      check_poly(c, rng, kMaxPolyLanes, lens, round % 2 == 0);
    }
  }
}

}  // namespace
}  // namespace flatnet::crypto::mb::detail
