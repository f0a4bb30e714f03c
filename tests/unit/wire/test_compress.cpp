// LZ4 payload compression (spec §2.4): thresholds, flags, limits, bad input.
#include <gtest/gtest.h>

#include <random>

#include "dataplane/wire/compress.hpp"

using namespace flatnet::wire;

namespace {

std::vector<uint8_t> packet(size_t payload, bool random, uint8_t verb = 0x0b) {
  std::vector<uint8_t> p(kPacketHeaderLength + payload, 0);
  for (size_t i = 0; i < 27; ++i) p[i] = uint8_t(i + 1);
  p[kIdxVerb] = verb;
  std::mt19937 rng(7);
  for (size_t i = 0; i < payload; ++i)
    p[kPacketHeaderLength + i] = random ? uint8_t(rng()) : uint8_t("abcdefgh"[i % 8]);
  return p;
}

}  // namespace

TEST(WireCompress, RoundTripSetsAndClearsFlag) {
  auto p = packet(1000, false);
  const auto orig = p;
  size_t len = p.size();
  ASSERT_TRUE(compress_packet(p.data(), len));
  EXPECT_LT(len, orig.size());
  EXPECT_EQ(p[kIdxVerb], 0x8b);
  EXPECT_TRUE(std::equal(orig.begin(), orig.begin() + 27, p.begin()));  // header untouched
  p.resize(kMaxPacketLength);
  ASSERT_EQ(decompress_packet(p.data(), len, p.size()), DecompressStatus::kOk);
  p.resize(len);
  EXPECT_EQ(p, orig);
}

TEST(WireCompress, ShortOrIncompressiblePayloadLeftAlone) {
  for (size_t n : {0, 1, 63, 64}) {
    auto p = packet(n, false);
    size_t len = p.size();
    EXPECT_FALSE(compress_packet(p.data(), len)) << n;
    EXPECT_EQ(len, p.size());
    EXPECT_EQ(p[kIdxVerb], 0x0b);
  }
  auto r = packet(1400, true);
  const auto orig = r;
  size_t len = r.size();
  EXPECT_FALSE(compress_packet(r.data(), len));
  EXPECT_EQ(r, orig);
  auto ok = packet(65, false);  // 65 > 64: compressible repeated text
  len = ok.size();
  EXPECT_TRUE(compress_packet(ok.data(), len));
}

TEST(WireCompress, NotCompressedIsNoop) {
  auto p = packet(100, false);
  size_t len = p.size();
  EXPECT_EQ(decompress_packet(p.data(), len, p.size()), DecompressStatus::kNotCompressed);
  EXPECT_EQ(len, p.size());
}

TEST(WireCompress, GarbageAndEmptyRejected) {
  auto p = packet(40, true, 0x8b);
  size_t len = p.size();
  std::vector<uint8_t> buf = p;
  buf.resize(kMaxPacketLength);
  EXPECT_EQ(decompress_packet(buf.data(), len, buf.size()), DecompressStatus::kFailed);
  auto empty = packet(0, false, 0x8b);
  len = empty.size();
  EXPECT_EQ(decompress_packet(empty.data(), len, empty.size()), DecompressStatus::kFailed);
  size_t shortlen = 10;
  EXPECT_EQ(decompress_packet(empty.data(), shortlen, empty.size()), DecompressStatus::kFailed);
}

TEST(WireCompress, DecompressionBombBounded) {
  // 20000 zero bytes compress to a few dozen; the result would exceed the
  // 9996-byte payload limit, so decompression must fail, not overflow.
  std::vector<uint8_t> zeros(20000, 0), block(30000, 0);
  const size_t n = lz4_compress(zeros, block);
  ASSERT_GT(n, 0u);
  std::vector<uint8_t> p(kPacketHeaderLength + n);
  p[kIdxVerb] = 0x86;
  std::copy(block.begin(), block.begin() + n, p.begin() + kPacketHeaderLength);
  size_t len = p.size();
  p.resize(kMaxPacketLength + 100);
  EXPECT_EQ(decompress_packet(p.data(), len, p.size()), DecompressStatus::kFailed);
  // Exactly the limit still works.
  std::vector<uint8_t> atlimit(kMaxDecompressedPayload, 0);
  const size_t m = lz4_compress(atlimit, block);
  ASSERT_GT(m, 0u);
  std::vector<uint8_t> q(kMaxPacketLength, 0);
  q[kIdxVerb] = 0x86;
  std::copy(block.begin(), block.begin() + m, q.begin() + kPacketHeaderLength);
  len = kPacketHeaderLength + m;
  EXPECT_EQ(decompress_packet(q.data(), len, q.size()), DecompressStatus::kOk);
  EXPECT_EQ(len, kMaxPacketLength);
  // A smaller caller buffer is honoured.
  len = kPacketHeaderLength + m;
  std::vector<uint8_t> q2(q.begin(), q.begin() + 2000);
  q2[kIdxVerb] = 0x86;
  std::copy(block.begin(), block.begin() + m, q2.begin() + kPacketHeaderLength);
  EXPECT_EQ(decompress_packet(q2.data(), len, q2.size()), DecompressStatus::kFailed);
}

TEST(WireCompress, RawHelpersRejectTinyOutput) {
  std::vector<uint8_t> in(500, 'x'), out(4);
  EXPECT_EQ(lz4_compress(in, out), 0u);
  std::vector<uint8_t> ok(600);
  const size_t n = lz4_compress(in, ok);
  ASSERT_GT(n, 0u);
  std::vector<uint8_t> small(499);
  EXPECT_EQ(lz4_decompress({ok.data(), n}, small), 0u);
  std::vector<uint8_t> exact(500);
  EXPECT_EQ(lz4_decompress({ok.data(), n}, exact), 500u);
  EXPECT_EQ(lz4_decompress({}, exact), 0u);
}

TEST(WireCompress, LengthBeyondTheBufferIsRefused) {
  // A caller that hands a length larger than the buffer behind it gets a
  // failure, not a read past the buffer's end (ASan would see one).
  auto p = packet(1000, false);
  size_t len = p.size();
  ASSERT_TRUE(compress_packet(p.data(), len));
  std::vector<uint8_t> buf(p.begin(), p.begin() + len);
  size_t claimed = buf.size() + 1;
  EXPECT_EQ(decompress_packet(buf.data(), claimed, buf.size()), DecompressStatus::kFailed);
  EXPECT_EQ(claimed, buf.size() + 1);
  size_t exact = buf.size();
  buf.resize(kMaxPacketLength);
  EXPECT_EQ(decompress_packet(buf.data(), exact, buf.size()), DecompressStatus::kOk);
}
