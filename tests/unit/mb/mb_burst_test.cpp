// The burst API on every ISA path: spec Appendix B.4 known answers, every
// payload length 0..9996 (mixed lengths within each burst, a distinct
// random key per packet) against independent single-packet references,
// and the failure cases (forged bytes, hop bits, short, bad cipher).
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>

#include "crypto/mb/aes_block.hpp"
#include "crypto/mb/burst.hpp"
#include "tests/unit/mb/ref.hpp"

namespace flatnet::crypto::mb {
namespace {

using test::all_isas;

class MbBurst : public ::testing::TestWithParam<Isa> {
 protected:
  void SetUp() override {
    ASSERT_GE(sodium_init(), 0);
    ASSERT_TRUE(force_isa(GetParam()));
  }
  void TearDown() override { force_isa(Isa::kAuto); }
};

// Spec B.3/B.4: K (A <-> B) and the 43-byte ECHO packet in each suite.
const char* kKey = "7fda449e2be5f3ef550ab5135fa0ecb96e5a53e11ce510b3c3c1679e5e13568f3f986d47dbfb5471d53fb1568baf0a94";
const char* kPlain = "0102030405060708 f07ab477c4 36885e5e08 00 0000000000000000 0868656c6c6f2c207a65726f74696572";
const struct {
  Suite suite;
  const char* wire;
} kB4[] = {
    {Suite::kPoly1305, "0102030405060708 f07ab477c4 36885e5e08 00 df52b42f4fe31bd9 0868656c6c6f2c207a65726f74696572"},
    {Suite::kSalsa2012Poly1305, "0102030405060708 f07ab477c4 36885e5e08 88 1e302787180d6fa9 b000b041813291d3873bc49bbc4098af"},
    {Suite::kAesGmacSiv, "d76a1e7e3b7bb39e f07ab477c4 36885e5e08 18 69b838d21c4f171a 1067f59cdd202dce03e2cac15948bddd"},
};

SharedKey key_from_hex(const char* hex) {
  SharedKey k;
  const auto v = test::from_hex(hex);
  std::memcpy(k.data(), v.data(), 48);
  return k;
}

TEST_P(MbBurst, AppendixB4KnownAnswers) {
  const PeerKeyset keys(key_from_hex(kKey));
  for (const auto& c : kB4) {
    SCOPED_TRACE(int(c.suite));
    const auto want = test::from_hex(c.wire);
    // Several copies in one burst so SIMD lanes beyond the first are used.
    std::vector<std::vector<uint8_t>> bufs(19, test::from_hex(kPlain));
    std::vector<Packet> pk;
    for (auto& b : bufs) pk.push_back({b.data(), uint32_t(b.size()), &keys});
    armor_burst(pk, c.suite);
    for (auto& b : bufs) ASSERT_EQ(b, want);
    std::vector<DearmorResult> v(pk.size());
    uint8_t ivs[19][8] = {};
    dearmor_burst(pk, v.data(), ivs);
    auto plain = test::from_hex(kPlain);
    plain[18] = want[18];
    if (c.suite == Suite::kAesGmacSiv) {  // ID and MAC fields stay as on the wire
      std::memcpy(plain.data(), want.data(), 8);
      std::memcpy(plain.data() + 19, want.data() + 19, 8);
    } else {
      std::memcpy(plain.data() + 19, want.data() + 19, 8);
    }
    for (size_t i = 0; i < pk.size(); ++i) {
      ASSERT_EQ(v[i], DearmorResult::kOk) << i;
      ASSERT_EQ(bufs[i], plain);
      if (c.suite == Suite::kAesGmacSiv) {
        ASSERT_EQ(0, std::memcmp(ivs[i], "\x01\x02\x03\x04\x05\x06\x07\x08", 8));
      }
    }
  }
}

// Every payload length 0..9996 in bursts of up to 37 packets of different
// lengths and keys; armor against the reference, dearmor back.
void every_length(Suite suite, size_t step, uint64_t seed) {
  std::mt19937_64 rng(seed);
  constexpr size_t kMaxPayload = 9996;
  std::vector<std::unique_ptr<PeerKeyset>> keysets;
  std::vector<SharedKey> raw;
  for (int i = 0; i < 8; ++i) {
    raw.push_back(test::random_key(rng));
    keysets.push_back(std::make_unique<PeerKeyset>(raw.back()));
  }
  // Every length exactly once, in random order, cut into random bursts.
  std::vector<size_t> lens;
  for (size_t len = 0; len <= kMaxPayload; len += step) lens.push_back(len);
  std::shuffle(lens.begin(), lens.end(), rng);
  size_t next = 0;
  while (next < lens.size()) {
    const size_t burst = 1 + rng() % 37;
    std::vector<std::vector<uint8_t>> plain, got, want;
    std::vector<Packet> pk;
    std::vector<int> who;
    for (size_t i = 0; i < burst && next < lens.size(); ++i) {
      plain.push_back(test::random_packet(rng, lens[next++]));
      who.push_back(int(rng() % keysets.size()));
    }
    for (size_t i = 0; i < plain.size(); ++i) {
      got.push_back(plain[i]);
      want.push_back(plain[i]);
      if (suite == Suite::kAesGmacSiv)
        test::ref_armor_siv(want[i], raw[who[i]]);
      else
        test::ref_armor_salsa(want[i], raw[who[i]], suite == Suite::kSalsa2012Poly1305);
    }
    for (size_t i = 0; i < got.size(); ++i)
      pk.push_back({got[i].data(), uint32_t(got[i].size()), keysets[who[i]].get()});
    armor_burst(pk, suite);
    for (size_t i = 0; i < got.size(); ++i)
      ASSERT_EQ(got[i], want[i]) << "payload " << got[i].size() - 28;
    std::vector<DearmorResult> v(pk.size(), DearmorResult::kTooShort);
    dearmor_burst(pk, v.data());
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_EQ(v[i], DearmorResult::kOk) << "payload " << got[i].size() - 28;
      ASSERT_EQ(0, std::memcmp(got[i].data() + 27, plain[i].data() + 27, got[i].size() - 27));
    }
  }
}

TEST_P(MbBurst, EveryLengthSuite0) { every_length(Suite::kPoly1305, 1, 10); }
TEST_P(MbBurst, EveryLengthSuite1) { every_length(Suite::kSalsa2012Poly1305, 1, 11); }
// Suite 3 runs on ipsec-mb whatever the ISA setting; run it anyway so a
// change in the split of mixed bursts cannot hide.
TEST_P(MbBurst, EveryLengthSuite3) { every_length(Suite::kAesGmacSiv, 1, 13); }

// Suite 3's SIV block through ipsec-mb ECB jobs (the path for CPUs without
// AES-NI) gives the same bytes as the AES-NI path.
TEST_P(MbBurst, Suite3EcbJobFallback) {
  detail::force_ecb_jobs(true);
  every_length(Suite::kAesGmacSiv, 7, 14);
  detail::force_ecb_jobs(false);
}

// Forgeries: any changed bit outside the hop field fails and leaves the
// packet exactly as received; hop bits alone do not matter.
TEST_P(MbBurst, TamperedPacketsRejectedUntouched) {
  std::mt19937_64 rng(20);
  const SharedKey k = test::random_key(rng);
  const PeerKeyset keys(k);
  for (Suite suite : {Suite::kPoly1305, Suite::kSalsa2012Poly1305, Suite::kAesGmacSiv}) {
    SCOPED_TRACE(int(suite));
    std::vector<std::vector<uint8_t>> bufs;
    std::vector<Packet> pk;
    for (int i = 0; i < 40; ++i) bufs.push_back(test::random_packet(rng, rng() % 300));
    for (auto& b : bufs) pk.push_back({b.data(), uint32_t(b.size()), &keys});
    armor_burst(pk, suite);
    auto sent = bufs;
    for (size_t i = 0; i < bufs.size(); ++i) {
      if (i % 4 == 3) {
        bufs[i][18] ^= uint8_t(1 + rng() % 7);  // hops: still valid
        sent[i] = bufs[i];
        continue;
      }
      size_t byte;
      do byte = rng() % bufs[i].size(); while (byte == 18);
      bufs[i][byte] ^= uint8_t(1u << (rng() % 8));
      sent[i] = bufs[i];
    }
    std::vector<DearmorResult> v(pk.size());
    dearmor_burst(pk, v.data());
    for (size_t i = 0; i < bufs.size(); ++i) {
      if (i % 4 == 3) {
        EXPECT_EQ(v[i], DearmorResult::kOk) << i;
      } else {
        EXPECT_EQ(v[i], DearmorResult::kBadMac) << i;
        EXPECT_EQ(bufs[i], sent[i]) << i;
      }
    }
  }
}

TEST_P(MbBurst, ShortAndUnsupportedCipherAndMixedSuites) {
  std::mt19937_64 rng(21);
  const PeerKeyset keys(test::random_key(rng));
  std::vector<std::vector<uint8_t>> bufs;
  for (int i = 0; i < 12; ++i) bufs.push_back(test::random_packet(rng, 20 + i));
  const Suite suites[3] = {Suite::kPoly1305, Suite::kSalsa2012Poly1305, Suite::kAesGmacSiv};
  for (int i = 0; i < 12; ++i) {
    Packet p{bufs[i].data(), uint32_t(bufs[i].size()), &keys};
    armor_burst({&p, 1}, suites[i % 3]);
  }
  bufs[4].resize(27);
  bufs[5][18] = uint8_t((bufs[5][18] & 0xc7) | (2 << 3));
  bufs[7][18] = uint8_t((bufs[7][18] & 0xc7) | (5 << 3));
  bufs[9].resize(0);
  const auto before = bufs;
  std::vector<Packet> pk;
  for (auto& b : bufs) pk.push_back({b.data(), uint32_t(b.size()), &keys});
  std::vector<DearmorResult> v(pk.size());
  dearmor_burst(pk, v.data());
  for (int i = 0; i < 12; ++i) {
    if (i == 4 || i == 9) {
      EXPECT_EQ(v[i], DearmorResult::kTooShort);
    } else if (i == 5 || i == 7) {
      EXPECT_EQ(v[i], DearmorResult::kUnsupportedCipher);
      EXPECT_EQ(bufs[i], before[i]);
    } else {
      EXPECT_EQ(v[i], DearmorResult::kOk) << i;
    }
  }
}

TEST_P(MbBurst, ArmorWithUnknownSuiteChangesNothing) {
  std::mt19937_64 rng(22);
  const PeerKeyset keys(test::random_key(rng));
  auto b = test::random_packet(rng, 100);
  const auto before = b;
  Packet p{b.data(), uint32_t(b.size()), &keys};
  for (int s : {2, 4, 7}) armor_burst({&p, 1}, Suite(s));
  EXPECT_EQ(b, before);
}

INSTANTIATE_TEST_SUITE_P(AllIsas, MbBurst, ::testing::ValuesIn(all_isas()),
                         [](const auto& info) { return std::string(to_string(info.param)); });

}  // namespace
}  // namespace flatnet::crypto::mb
