// Signed config chunks: splitting and signing, the exact layout, and the
// member's reassembler (any order, duplicates, overlaps, bounds, forged
// chunks, three concurrent updates, the chunk-count limit).
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "dataplane/wire/config_chunk.hpp"
#include "tests/unit/wire/vl2_ids.hpp"

using namespace flatnet;
using namespace flatnet::wire;
using namespace flatnet::wire::testing;
using Result = ConfigAssembler::Result;

namespace {

std::vector<uint8_t> text(size_t n, uint8_t seed = 1) {
  std::vector<uint8_t> t(n);
  for (size_t i = 0; i < n; ++i) t[i] = uint8_t('a' + (i * 7 + seed) % 26);
  return t;
}

}  // namespace

TEST(ConfigChunk, LayoutAndSignature) {
  const auto dict = text(100);
  const auto chunks = make_config_chunks(test_nwid(), dict, 0x1122334455667788ULL, controller_id(),
                                         kConfigChunkFlagFastPropagate);
  ASSERT_EQ(chunks.size(), 1u);
  const auto& p = chunks[0];
  ASSERT_EQ(p.size(), kConfigChunkOverhead + dict.size());
  ConfigChunk c;
  ASSERT_EQ(parse_config_chunk(p, c), ChunkStatus::kOk);
  EXPECT_EQ(c.network_id, test_nwid());
  EXPECT_TRUE(std::equal(c.data.begin(), c.data.end(), dict.begin(), dict.end()));
  EXPECT_EQ(c.flags, kConfigChunkFlagFastPropagate);
  EXPECT_EQ(c.update_id, 0x1122334455667788ULL);
  EXPECT_EQ(c.total_length, 100u);
  EXPECT_EQ(c.index, 0u);
  EXPECT_EQ(c.signed_bytes.size(), 8u + 2 + 100 + 1 + 8 + 4 + 4);
  EXPECT_EQ(p[c.signed_bytes.size()], 1);  // signature type
  EXPECT_EQ(p[c.signed_bytes.size() + 2], 96);
  EXPECT_TRUE(controller_id().verify(c.signed_bytes, c.signature));
  // Refusals: update ID 0, empty or oversized text, no private key.
  EXPECT_TRUE(make_config_chunks(1, dict, 0, controller_id()).empty());
  EXPECT_TRUE(make_config_chunks(1, {}, 1, controller_id()).empty());
  EXPECT_TRUE(make_config_chunks(1, text(kNetworkConfigDictCapacity), 1, controller_id()).empty());
  EXPECT_TRUE(make_config_chunks(1, dict, 1, *crypto::Identity::from_string(controller_id().to_string(false))).empty());
  EXPECT_TRUE(make_config_chunks(1, dict, 1, controller_id(), 0, 0).empty());
}

TEST(ConfigChunk, ParseStatuses) {
  const auto p = make_config_chunks(test_nwid(), text(50), 7, controller_id())[0];
  ConfigChunk c;
  for (size_t n = 0; n < p.size(); ++n) {
    const auto s = parse_config_chunk(std::span<const uint8_t>(p.data(), n), c);
    EXPECT_NE(s, ChunkStatus::kOk) << n;
    if (n == 10 + 50) {
      EXPECT_EQ(s, ChunkStatus::kLegacyUnsigned);
    }
  }
  auto bad = p;
  bad[10 + 50 + 1 + 8 + 3] = 49;  // total 49 < index + C
  EXPECT_EQ(parse_config_chunk(bad, c), ChunkStatus::kBadBounds);
  bad = p;
  // total = capacity (needs room for stock's NUL): refused.
  const size_t at = 10 + 50 + 1 + 8;
  bad[at] = uint8_t(kNetworkConfigDictCapacity >> 24);
  bad[at + 1] = uint8_t(kNetworkConfigDictCapacity >> 16);
  bad[at + 2] = uint8_t(kNetworkConfigDictCapacity >> 8);
  bad[at + 3] = uint8_t(kNetworkConfigDictCapacity);
  EXPECT_EQ(parse_config_chunk(bad, c), ChunkStatus::kBadBounds);
  bad = p;
  bad[10 + 50 + 17] = 2;
  EXPECT_EQ(parse_config_chunk(bad, c), ChunkStatus::kBadSignatureType);
  bad = p;
  bad[10 + 50 + 19] = 95;
  EXPECT_EQ(parse_config_chunk(bad, c), ChunkStatus::kBadSignatureType);
  for (int s = 0; s <= int(ChunkStatus::kBadSignatureType); ++s) EXPECT_STRNE(to_string(ChunkStatus(s)), "?");
  for (int r = 0; r <= int(Result::kTooManyChunks); ++r) EXPECT_STRNE(to_string(Result(r)), "?");
}

TEST(ConfigChunk, ReassemblesInAnyOrder) {
  const auto dict = text(30000);
  auto chunks = make_config_chunks(test_nwid(), dict, 42, controller_id());
  ASSERT_EQ(chunks.size(), 4u);  // 9740 x 3 + 780
  std::mt19937 rng(5);
  for (int round = 0; round < 4; ++round) {
    if (round == 1) std::reverse(chunks.begin(), chunks.end());
    if (round > 1) std::shuffle(chunks.begin(), chunks.end(), rng);
    ConfigAssembler a(test_nwid());
    std::vector<uint8_t> out;
    uint64_t id = 0;
    for (size_t i = 0; i + 1 < chunks.size(); ++i) {
      EXPECT_EQ(a.add(chunks[i], controller_id(), &out), Result::kPending);
      EXPECT_EQ(a.add(chunks[i], controller_id(), &out), Result::kDuplicate);
    }
    EXPECT_EQ(a.in_progress(), 1u);
    ASSERT_EQ(a.add(chunks.back(), controller_id(), &out, &id), Result::kComplete);
    EXPECT_EQ(out, dict);
    EXPECT_EQ(id, 42u);
    EXPECT_EQ(a.in_progress(), 0u);
  }
}

TEST(ConfigChunk, Refusals) {
  const auto dict = text(20000);
  const auto chunks = make_config_chunks(test_nwid(), dict, 42, controller_id());
  ConfigAssembler a(test_nwid());
  std::vector<uint8_t> out;
  // Another network, a bad chunk, another signer, a flipped byte.
  ConfigAssembler elsewhere(test_nwid() + 1);
  EXPECT_EQ(elsewhere.add(chunks[0], controller_id(), &out), Result::kWrongNetwork);
  EXPECT_EQ(a.add(std::vector<uint8_t>{1, 2, 3}, controller_id(), &out), Result::kBadChunk);
  auto zero_id = chunks[0];
  std::fill(zero_id.begin() + 10 + 9740 + 1, zero_id.begin() + 10 + 9740 + 9, 0);
  EXPECT_EQ(a.add(zero_id, controller_id(), &out), Result::kBadChunk);
  EXPECT_EQ(a.add(chunks[0], other_id(), &out), Result::kBadSignature);
  auto flipped = chunks[0];
  flipped[100] ^= 1;
  EXPECT_EQ(a.add(flipped, controller_id(), &out), Result::kBadSignature);
  EXPECT_EQ(a.in_progress(), 0u);  // nothing stored for refused chunks
  // Overlap: a differently cut chunk of the same update.
  ASSERT_EQ(a.add(chunks[0], controller_id(), &out), Result::kPending);
  const auto recut = make_config_chunks(test_nwid(), dict, 42, controller_id(), 0, 5000);
  EXPECT_EQ(a.add(recut[1], controller_id(), &out), Result::kOverlap);
  // The same update ID with another total length.
  const auto other_total = make_config_chunks(test_nwid(), text(19000), 42, controller_id());
  EXPECT_EQ(a.add(other_total[1], controller_id(), &out), Result::kOverlap);
  ASSERT_EQ(a.add(chunks[1], controller_id(), &out), Result::kPending);
  ASSERT_EQ(a.add(chunks[2], controller_id(), &out), Result::kComplete);
  EXPECT_EQ(out, dict);
}

TEST(ConfigChunk, ThreeUpdatesAtATime) {
  ConfigAssembler a(test_nwid());
  std::vector<uint8_t> out;
  std::vector<std::vector<std::vector<uint8_t>>> u;
  for (uint64_t id = 1; id <= 4; ++id)
    u.push_back(make_config_chunks(test_nwid(), text(15000, uint8_t(id)), id, controller_id()));
  for (size_t i = 0; i < 3; ++i) ASSERT_EQ(a.add(u[i][0], controller_id(), &out), Result::kPending);
  EXPECT_EQ(a.in_progress(), kConfigMaxIncomingUpdates);
  ASSERT_EQ(a.add(u[1][1], controller_id(), &out), Result::kComplete);  // update 2 done
  EXPECT_EQ(out, text(15000, 2));
  ASSERT_EQ(a.add(u[3][0], controller_id(), &out), Result::kPending);  // takes the free slot
  // A fifth update evicts the least recently touched (update 1).
  const auto u5 = make_config_chunks(test_nwid(), text(15000, 5), 5, controller_id());
  ASSERT_EQ(a.add(u5[0], controller_id(), &out), Result::kPending);
  EXPECT_EQ(a.in_progress(), kConfigMaxIncomingUpdates);
  ASSERT_EQ(a.add(u[3][1], controller_id(), &out), Result::kComplete);
  EXPECT_EQ(out, text(15000, 4));
  // Update 1's second chunk now starts over, so it does not complete ...
  EXPECT_EQ(a.add(u[0][1], controller_id(), &out), Result::kPending);
  // ... while update 3, never evicted, still does.
  ASSERT_EQ(a.add(u[2][1], controller_id(), &out), Result::kComplete);
  EXPECT_EQ(out, text(15000, 3));
}

TEST(ConfigChunk, ChunkCountLimit) {
  // One-byte chunks: stock keeps at most kConfigMaxChunksPerUpdate per update.
  const size_t n = kConfigMaxChunksPerUpdate + 1;
  const auto chunks = make_config_chunks(test_nwid(), text(n), 9, controller_id(), 0, 1);
  ASSERT_EQ(chunks.size(), n);
  ConfigAssembler a(test_nwid());
  std::vector<uint8_t> out;
  for (size_t i = 0; i < n - 1; ++i) ASSERT_EQ(a.add(chunks[i], controller_id(), &out), Result::kPending);
  EXPECT_EQ(a.add(chunks[n - 1], controller_id(), &out), Result::kTooManyChunks);
}
