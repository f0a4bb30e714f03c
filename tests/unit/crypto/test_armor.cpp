// Packet armor: Appendix B.4 for suites 0, 1 and 3, B.5 (HELLO tail field
// plus MAC), round trips at random sizes, and every rejection path.
#include <gtest/gtest.h>

#include <sodium.h>

#include <chrono>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include "crypto/armor.hpp"
#include "tests/unit/crypto/appendix_b.hpp"

namespace flatnet::crypto {
namespace {

using test::hex;
using test::unhex;

const PeerKeys& b4_keys() {
  static PeerKeys keys(test::key_of(test::kB3K));
  return keys;
}

struct Case {
  Suite suite;
  std::string_view expect;
};
const Case kB4[] = {
    {Suite::kPoly1305, test::kB4Cipher0},
    {Suite::kSalsa2012Poly1305, test::kB4Cipher1},
    {Suite::kAesGmacSiv, test::kB4Cipher3},
};

TEST(CryptoArmor, B4ExactBytesAllSuites) {
  for (const auto& c : kB4) {
    auto pkt = unhex(test::kB4Plain);
    ASSERT_EQ(pkt.size(), 43u);
    armor(pkt, b4_keys(), c.suite);
    EXPECT_EQ(hex(pkt), c.expect) << "suite " << int(c.suite);
  }
}

TEST(CryptoArmor, B4DearmorsBackAndRecoversIv) {
  const auto plain = unhex(test::kB4Plain);
  for (const auto& c : kB4) {
    auto pkt = unhex(c.expect);
    uint8_t iv[8] = {};
    ASSERT_EQ(dearmor(pkt, b4_keys(), iv), DearmorResult::kOk) << int(c.suite);
    // Verb and payload are back; the header keeps its armored fields.
    EXPECT_EQ(hex(pkt.data() + 27, 16), hex(plain.data() + 27, 16));
    if (c.suite == Suite::kAesGmacSiv) {
      EXPECT_EQ(hex(iv, 8), "0102030405060708");
    }
  }
}

TEST(CryptoArmor, B4HopBitsDoNotMatter) {
  for (const auto& c : kB4) {
    for (uint8_t hops = 1; hops < 8; ++hops) {
      auto pkt = unhex(c.expect);
      pkt[18] = uint8_t((pkt[18] & 0xf8) | hops);
      EXPECT_EQ(dearmor(pkt, b4_keys()), DearmorResult::kOk) << int(c.suite) << " " << int(hops);
    }
  }
}

TEST(CryptoArmor, SuiteFlagsBits) {
  for (const auto& c : kB4) {
    auto pkt = unhex(test::kB4Plain);
    pkt[18] = 0x40 | 0x80 | 0x38;  // FRAGMENTED, stale legacy bit, stale cipher
    armor(pkt, b4_keys(), c.suite);
    const uint8_t cipher = uint8_t(c.suite);
    EXPECT_EQ(pkt[18], uint8_t(0x40 | (cipher << 3) | (cipher == 1 ? 0x80 : 0)));
    EXPECT_EQ(dearmor(pkt, b4_keys()), DearmorResult::kOk);
  }
}

// B.5: HELLO assembled from its listed fields; the moon count is encrypted
// with hello_crypt_field, then the packet gets cipher 0.
TEST(CryptoArmor, B5HelloCryptFieldAndMac) {
  const std::string a_pub =
      "9832f96f77a2cb3d30ae891617cb090fdc90842e2ec9914442d30b46b591ad673a4ac1d165f80a89f766a738f97a"
      "e523e835388859ba6945c245b68d9333c786";
  const std::string head = "0102030405060708f07ab477c436885e5e0800" "0000000000000000";
  const std::string body = std::string("01") + "0c010e0001" + "0000018f00000000" + "36885e5e0800" +
                           a_pub + "00" + "04c000020a2709" + "0000000008eac90a" +
                           "0000017ee95760cd";
  auto pkt = unhex(head + body + "0000");
  ASSERT_EQ(pkt.size(), 137u);
  const size_t moons_at = pkt.size() - 2;
  SharedKey k = test::key_of(test::kB3K);
  hello_crypt_field(k, pkt, moons_at);
  EXPECT_EQ(hex(pkt.data() + moons_at, 2), "8893");
  armor(pkt, b4_keys(), Suite::kPoly1305);
  EXPECT_EQ(hex(pkt.data() + 19, 8), "4ff0f1af7682f8a9");
  EXPECT_EQ(hex(pkt.data() + 27, pkt.size() - 27), body + "8893");

  // Receiver: MAC first, then the same XOR undoes the field.
  ASSERT_EQ(dearmor(pkt, b4_keys()), DearmorResult::kOk);
  hello_crypt_field(k, pkt, moons_at);
  EXPECT_EQ(hex(pkt.data() + moons_at, 2), "0000");
  // The nonce ignores the low 3 bits of the last ID byte.
  auto other = unhex(head + body + "0000");
  other[7] = 0x0f;
  hello_crypt_field(k, other, moons_at);
  EXPECT_EQ(hex(other.data() + moons_at, 2), "8893");
  // A start at or past the end touches nothing.
  auto same = other;
  hello_crypt_field(k, same, same.size());
  EXPECT_EQ(same, other);
}

TEST(CryptoArmor, MangleKeyMasksHopsAndUsesLength) {
  SharedKey k = test::key_of(test::kB3K);
  auto pkt = unhex(test::kB4Plain);
  uint8_t a[32], b[32];
  salsa_mangle_key(k.data(), pkt.data(), pkt.size(), a);
  pkt[18] |= 0x07;
  salsa_mangle_key(k.data(), pkt.data(), pkt.size(), b);
  EXPECT_EQ(0, std::memcmp(a, b, 32));
  salsa_mangle_key(k.data(), pkt.data(), 0x1234, b);
  EXPECT_EQ(b[19], uint8_t(k[19] ^ 0x34));
  EXPECT_EQ(b[20], uint8_t(k[20] ^ 0x12));
  EXPECT_EQ(0, std::memcmp(a + 21, k.data() + 21, 11));
  for (int i = 0; i < 18; ++i) EXPECT_EQ(a[i], uint8_t(k[i] ^ pkt[i]));
}

std::vector<uint8_t> random_packet(std::mt19937& rng, size_t len) {
  std::vector<uint8_t> p(len);
  randombytes_buf(p.data(), p.size());
  p[18] = uint8_t(rng() & 0x40);  // maybe FRAGMENTED, hops 0
  return p;
}

TEST(CryptoArmor, RoundTripRandomSizesEverySuite) {
  std::mt19937 rng(12345);
  std::uniform_int_distribution<size_t> size(28, 10024);
  Identity a = test::parse(test::kIdentityA), b = test::parse(test::kIdentityB);
  SharedKey k;
  ASSERT_TRUE(a.agree(b, k));
  PeerKeys keys(k);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  for (Suite s : {Suite::kPoly1305, Suite::kSalsa2012Poly1305, Suite::kAesGmacSiv}) {
    std::vector<size_t> sizes = {28, 29, 43, 44, 59, 60, 91, 92, 1400, 2800, 10024};
    for (int i = 0; i < 200; ++i) sizes.push_back(size(rng));
    for (size_t len : sizes) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline);
      auto pkt = random_packet(rng, len);
      const auto plain = pkt;
      armor(pkt, keys, s);
      if (s != Suite::kPoly1305 && len > 36) {  // 9+ payload bytes: ciphertext differs
        EXPECT_NE(0, std::memcmp(pkt.data() + 27, plain.data() + 27, len - 27));
      }
      uint8_t iv[8];
      ASSERT_EQ(dearmor(pkt, keys, iv), DearmorResult::kOk) << int(s) << " " << len;
      EXPECT_EQ(0, std::memcmp(pkt.data() + 27, plain.data() + 27, len - 27)) << len;
      EXPECT_EQ(0, std::memcmp(pkt.data() + 8, plain.data() + 8, 10));
      if (s == Suite::kAesGmacSiv) {
        EXPECT_EQ(0, std::memcmp(iv, plain.data(), 8));
      } else {
        EXPECT_EQ(0, std::memcmp(pkt.data(), plain.data(), 8));
      }
    }
  }
}

TEST(CryptoArmor, FlippedBitsFailAndLeavePacketUnchanged) {
  std::mt19937 rng(777);
  PeerKeys keys(test::key_of(test::kB3K));
  for (Suite s : {Suite::kPoly1305, Suite::kSalsa2012Poly1305, Suite::kAesGmacSiv}) {
    for (size_t len : {size_t(28), size_t(43), size_t(1051), size_t(1052), size_t(1400)}) {
      auto good = random_packet(rng, len);
      armor(good, keys, s);
      // Every byte is authenticated except the 3 hop bits of byte 18: the ID
      // (or SIV half), addresses, flags, MAC, verb and payload. Flip the low
      // and the high bit of each; byte 18's high bit is the legacy flag.
      for (size_t i = 0; i < len; ++i) {
        for (uint8_t bit : {uint8_t(0x01), uint8_t(0x80)}) {
          if (i == 18 && bit == 0x01) continue;  // a hop bit
          auto bad = good;
          bad[i] ^= bit;
          const auto before = bad;
          EXPECT_EQ(dearmor(bad, keys), DearmorResult::kBadMac)
              << "suite " << int(s) << " len " << len << " byte " << i << " bit " << int(bit);
          EXPECT_EQ(bad, before) << "packet modified, suite " << int(s) << " byte " << i;
        }
      }
      // A flipped cipher bit selects another suite, which must not accept it.
      for (uint8_t bit : {uint8_t(0x08), uint8_t(0x10), uint8_t(0x20)}) {
        auto bad = good;
        bad[18] ^= bit;
        const auto before = bad;
        EXPECT_NE(dearmor(bad, keys), DearmorResult::kOk) << int(s) << " " << int(bit);
        EXPECT_EQ(bad, before);
      }
    }
  }
}

// PeerKeys is shared read-only between threads; each thread has its own
// ipsec-mb manager. Four threads armor the same inputs and must all produce
// what one thread produces.
TEST(CryptoArmor, ThreadsShareKeysSafely) {
  PeerKeys keys(test::key_of(test::kB3K));
  std::mt19937 rng(99);
  std::vector<std::vector<uint8_t>> inputs;
  for (int i = 0; i < 300; ++i) inputs.push_back(random_packet(rng, 28 + rng() % 3000));
  auto run = [&](std::vector<std::vector<uint8_t>>& out) {
    for (const auto& in : inputs) {
      for (Suite s : {Suite::kPoly1305, Suite::kSalsa2012Poly1305, Suite::kAesGmacSiv}) {
        auto p = in;
        armor(p, keys, s);
        auto q = p;
        if (dearmor(q, keys) != DearmorResult::kOk) q.clear();
        out.push_back(std::move(p));
        out.push_back(std::move(q));
      }
    }
  };
  std::vector<std::vector<uint8_t>> expect;
  run(expect);
  std::vector<std::vector<std::vector<uint8_t>>> got(4);
  std::vector<std::thread> threads;
  for (auto& g : got) threads.emplace_back([&run, &g] { run(g); });
  for (auto& t : threads) t.join();
  for (const auto& g : got) EXPECT_TRUE(g == expect);
}

TEST(CryptoArmor, TooShortAndUnsupportedCiphers) {
  PeerKeys keys(test::key_of(test::kB3K));
  for (size_t len = 0; len < 28; ++len) {
    std::vector<uint8_t> p(len, 0);
    EXPECT_EQ(dearmor(p, keys), DearmorResult::kTooShort);
    armor(p, keys, Suite::kAesGmacSiv);  // a no-op, not a crash
    EXPECT_EQ(p, std::vector<uint8_t>(len, 0));
  }
  EXPECT_EQ(dearmor(std::span<uint8_t>(), keys), DearmorResult::kTooShort);
  for (uint8_t cipher : {2, 4, 5, 6, 7}) {
    auto p = unhex(test::kB4Plain);
    p[18] = uint8_t(cipher << 3);
    const auto before = p;
    EXPECT_EQ(dearmor(p, keys), DearmorResult::kUnsupportedCipher) << int(cipher);
    EXPECT_EQ(p, before);
  }
  EXPECT_STREQ(to_string(DearmorResult::kOk), "ok");
  EXPECT_NE(std::string(to_string(DearmorResult::kBadMac)).find("authentication"),
            std::string::npos);
  EXPECT_NE(std::string(to_string(DearmorResult::kUnsupportedCipher)).find("cipher"),
            std::string::npos);
  EXPECT_NE(std::string(to_string(DearmorResult::kTooShort)).find("28"), std::string::npos);
}

TEST(CryptoArmor, WrongKeyFails) {
  PeerKeys right(test::key_of(test::kB3K));
  SharedKey other_key = test::key_of(test::kB3K);
  other_key[47] ^= 1;  // only the last byte differs: still a different AES key
  PeerKeys wrong(other_key);
  for (const auto& c : kB4) {
    auto pkt = unhex(c.expect);
    const auto before = pkt;
    const DearmorResult r = dearmor(pkt, wrong);
    if (c.suite == Suite::kAesGmacSiv) {
      EXPECT_EQ(r, DearmorResult::kBadMac);
    } else {
      // Suites 0/1 use only K[0..31]: a change in byte 47 is invisible to them.
      EXPECT_EQ(r, DearmorResult::kOk);
    }
    if (r != DearmorResult::kOk) {
      EXPECT_EQ(pkt, before);
    }
  }
  SharedKey k2 = test::key_of(test::kB3K);
  k2[0] ^= 1;
  PeerKeys wrong2(k2);
  for (const auto& c : kB4) {
    auto pkt = unhex(c.expect);
    EXPECT_EQ(dearmor(pkt, wrong2), DearmorResult::kBadMac) << int(c.suite);
  }
}

}  // namespace
}  // namespace flatnet::crypto
