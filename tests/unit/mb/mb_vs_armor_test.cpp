// The burst engines against the single-packet reference, crypto::armor and
// crypto::dearmor (crypto/armor.hpp), byte for byte and verdict for
// verdict: every ISA path, every suite, every payload length 0..9996 in
// mixed bursts, and damaged packets.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>

#include "crypto/mb/burst.hpp"
#include "tests/unit/mb/ref.hpp"

namespace flatnet::crypto::mb {
namespace {

class MbVsArmor : public ::testing::TestWithParam<Isa> {
 protected:
  void SetUp() override {
    ASSERT_GE(sodium_init(), 0);
    ASSERT_TRUE(force_isa(GetParam()));
  }
  void TearDown() override { force_isa(Isa::kAuto); }
};

struct Peer {
  SharedKey raw;
  std::unique_ptr<crypto::PeerKeys> single;
  std::unique_ptr<PeerKeyset> burst;
};

std::vector<Peer> peers(std::mt19937_64& rng, int n) {
  std::vector<Peer> v(n);
  for (auto& p : v) {
    p.raw = test::random_key(rng);
    p.single = std::make_unique<crypto::PeerKeys>(p.raw);
    p.burst = std::make_unique<PeerKeyset>(p.raw);
  }
  return v;
}

void compare_all_lengths(Suite suite, uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto ps = peers(rng, 5);
  std::vector<size_t> lens;
  for (size_t len = 0; len <= 9996; ++len) lens.push_back(len);
  std::shuffle(lens.begin(), lens.end(), rng);
  size_t next = 0;
  while (next < lens.size()) {
    const size_t burst = 1 + rng() % 40;
    std::vector<std::vector<uint8_t>> got, want;
    std::vector<int> who;
    for (size_t i = 0; i < burst && next < lens.size(); ++i) {
      got.push_back(test::random_packet(rng, lens[next++]));
      who.push_back(int(rng() % ps.size()));
    }
    want = got;
    std::vector<Packet> pk;
    for (size_t i = 0; i < got.size(); ++i) {
      crypto::armor(want[i], *ps[who[i]].single, suite);
      pk.push_back({got[i].data(), uint32_t(got[i].size()), ps[who[i]].burst.get()});
    }
    armor_burst(pk, suite);
    for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], want[i]) << "len " << got[i].size();
    // Damage a third of them (never only the hop bits), then open both ways.
    for (size_t i = 0; i < got.size(); i += 3) {
      size_t byte;
      do byte = rng() % got[i].size(); while (byte == 18);
      got[i][byte] ^= uint8_t(1u << (rng() % 8));
      want[i] = got[i];
    }
    std::vector<DearmorResult> v(pk.size());
    uint8_t ivs[40][8] = {};
    dearmor_burst(pk, v.data(), ivs);
    for (size_t i = 0; i < got.size(); ++i) {
      uint8_t iv[8] = {};
      const DearmorResult r = crypto::dearmor(want[i], *ps[who[i]].single, iv);
      ASSERT_EQ(v[i], r) << "len " << got[i].size();
      ASSERT_EQ(got[i], want[i]) << "len " << got[i].size();
      if (r == DearmorResult::kOk && suite == Suite::kAesGmacSiv) {
        ASSERT_EQ(0, std::memcmp(iv, ivs[i], 8));
      }
    }
  }
}

TEST_P(MbVsArmor, Suite0EveryLength) { compare_all_lengths(Suite::kPoly1305, 40); }
TEST_P(MbVsArmor, Suite1EveryLength) { compare_all_lengths(Suite::kSalsa2012Poly1305, 41); }
TEST_P(MbVsArmor, Suite3EveryLength) { compare_all_lengths(Suite::kAesGmacSiv, 43); }

INSTANTIATE_TEST_SUITE_P(AllIsas, MbVsArmor, ::testing::ValuesIn(test::all_isas()),
                         [](const auto& info) { return std::string(to_string(info.param)); });

}  // namespace
}  // namespace flatnet::crypto::mb
