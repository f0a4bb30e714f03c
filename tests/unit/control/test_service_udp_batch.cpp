// The UDP backend's batching rules without a socket (udp_batch.hpp): which
// queued datagrams go as one GSO message, and how a GRO-coalesced buffer is
// cut back into the datagrams it holds.
#include <gtest/gtest.h>

#include <vector>

#include "control/service/udp_batch.hpp"

namespace flatnet::control::service {
namespace {

const uint8_t kA[4] = {10, 0, 0, 1};
const uint8_t kB[4] = {10, 0, 0, 2};

// Queues datagrams of the given sizes to `to`, each filled with its index.
void queue(TxQueue& q, const wire::InetAddress& to, std::vector<size_t> sizes) {
  for (size_t s : sizes) {
    std::vector<uint8_t> d(s, uint8_t(q.size()));
    ASSERT_TRUE(q.push(to, d));
  }
}

// The runs gso_run makes of the whole queue, as their lengths.
std::vector<size_t> runs(const TxQueue& q) {
  std::vector<size_t> out;
  for (size_t i = 0; i < q.size(); i += out.back()) out.push_back(gso_run(q, i));
  return out;
}

TEST(UdpBatch, EqualSizesToOneDestinationAreOneRun) {
  TxQueue q;
  queue(q, wire::InetAddress::v4(kA, 9993), {1400, 1400, 1400, 1400});
  EXPECT_EQ(runs(q), (std::vector<size_t>{4}));
}

TEST(UdpBatch, AShorterDatagramEndsTheRunALongerOneStartsANewOne) {
  TxQueue q;
  // Stock's split of two 2800-byte frames: head 1444 + tail; then again.
  queue(q, wire::InetAddress::v4(kA, 9993), {1444, 1400, 1444, 1400});
  EXPECT_EQ(runs(q), (std::vector<size_t>{2, 2}));
  TxQueue even;
  // The even split of the same frames: one run of four.
  queue(even, wire::InetAddress::v4(kA, 9993), {1422, 1422, 1422, 1422});
  EXPECT_EQ(runs(even), (std::vector<size_t>{4}));
  TxQueue grow;
  queue(grow, wire::InetAddress::v4(kA, 9993), {100, 200, 200});
  EXPECT_EQ(runs(grow), (std::vector<size_t>{1, 2}));
}

TEST(UdpBatch, ADifferentDestinationOrPortEndsTheRun) {
  TxQueue q;
  queue(q, wire::InetAddress::v4(kA, 9993), {500, 500});
  queue(q, wire::InetAddress::v4(kB, 9993), {500});
  queue(q, wire::InetAddress::v4(kB, 9994), {500, 500});
  EXPECT_EQ(runs(q), (std::vector<size_t>{2, 1, 2}));
}

TEST(UdpBatch, RunsStopAtTheKernelsSegmentAndByteLimits) {
  TxQueue q;
  queue(q, wire::InetAddress::v4(kA, 9993), std::vector<size_t>(100, 100));
  EXPECT_EQ(runs(q), (std::vector<size_t>{64, 36}));
  TxQueue big;
  // 1444 * 45 = 64,980 <= 65,507 < 1444 * 46.
  queue(big, wire::InetAddress::v4(kA, 9993), std::vector<size_t>(50, 1444));
  EXPECT_EQ(runs(big), (std::vector<size_t>{45, 5}));
}

TEST(UdpBatch, EmptyDatagramsGoAlone) {
  TxQueue q;
  queue(q, wire::InetAddress::v4(kA, 9993), {0, 0, 10, 0});
  EXPECT_EQ(runs(q), (std::vector<size_t>{1, 1, 1, 1}));
}

TEST(UdpBatch, QueueRefusesWhatDoesNotFitAndKeepsBytesInOrder) {
  TxQueue q;
  const auto to = wire::InetAddress::v4(kA, 9993);
  std::vector<uint8_t> huge(kMaxGsoBytes + 1, 1);
  EXPECT_FALSE(q.push(to, huge));
  for (size_t i = 0; i < TxQueue::kMaxDatagrams; ++i) {
    std::vector<uint8_t> d(3, uint8_t(i));
    ASSERT_TRUE(q.push(to, d));
  }
  std::vector<uint8_t> one(1, 0);
  EXPECT_FALSE(q.push(to, one));  // full by count
  EXPECT_EQ(q.bytes(7)[2], 7);
  q.clear();
  EXPECT_TRUE(q.empty());
  // Full by bytes: eight of 65,507 bytes are more than 512 KiB.
  std::vector<uint8_t> max(kMaxGsoBytes, 2);
  size_t n = 0;
  while (q.push(to, max)) ++n;
  EXPECT_EQ(n, TxQueue::kMaxBytes / kMaxGsoBytes);
}

std::vector<std::vector<uint8_t>> split(const std::vector<uint8_t>& buf, size_t segment) {
  std::vector<std::vector<uint8_t>> out;
  const size_t n = gro_split(buf, segment, [&](std::span<const uint8_t> d) {
    out.emplace_back(d.begin(), d.end());
  });
  EXPECT_EQ(n, out.size());
  return out;
}

TEST(UdpBatch, GroBufferIsCutBySegmentSizeWithAShorterLast) {
  std::vector<uint8_t> buf;
  for (int k = 0; k < 3; ++k) buf.insert(buf.end(), 1422, uint8_t(k));
  buf.insert(buf.end(), 100, 9);
  auto d = split(buf, 1422);
  ASSERT_EQ(d.size(), 4u);
  for (int k = 0; k < 3; ++k) EXPECT_EQ(d[size_t(k)], std::vector<uint8_t>(1422, uint8_t(k)));
  EXPECT_EQ(d[3], std::vector<uint8_t>(100, 9));
}

TEST(UdpBatch, NoGroSegmentOrOneAsLargeAsTheBufferIsOneDatagram) {
  std::vector<uint8_t> buf(1000, 5);
  EXPECT_EQ(split(buf, 0).size(), 1u);
  EXPECT_EQ(split(buf, 1000).size(), 1u);
  EXPECT_EQ(split(buf, 4000).size(), 1u);
  EXPECT_EQ(split({}, 0).size(), 1u);
  EXPECT_EQ(split(buf, 1).size(), 1000u);  // a hostile segment size of 1 is still bounded
}

}  // namespace
}  // namespace flatnet::control::service
