// Fragmentation and reassembly (spec §2.5-2.7, Appendix E.7).
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "dataplane/wire/fragment.hpp"

using namespace flatnet::wire;

namespace {

std::vector<uint8_t> make_packet(size_t len, uint64_t id, size_t mtu = kDefaultPhysMtu) {
  std::vector<uint8_t> p(len);
  std::mt19937 rng{uint32_t(id)};
  for (auto& b : p) b = uint8_t(rng());
  write_be64(p.data(), id);
  p[13] = 0x12;  // source must not look like a fragment indicator
  p[kIdxFlags] = 0x18;
  set_fragmented_flag(p.data(), p.size(), mtu);
  return p;
}

}  // namespace

TEST(WireFragment, SplitMatchesStockLayout) {
  // The captures' 2600-byte pings: 2628-byte IP packets in FRAME give a
  // 1432-byte head and one 1250-byte fragment (README section 3).
  auto p = make_packet(1432 + 1234, 0x0102030405060708ULL);
  EXPECT_TRUE(packet_fragmented(p.data()));
  auto d = split_packet(p);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].size(), 1432u);
  EXPECT_EQ(d[1].size(), 1250u);
  EXPECT_EQ(fragment_total(d[1].data()), 2u);
  EXPECT_EQ(fragment_number(d[1].data()), 1u);
  EXPECT_EQ(d[1][kFragIdxIndicator], 0xff);
  EXPECT_EQ(d[1][kFragIdxHops], 0);
  EXPECT_TRUE(std::equal(p.begin(), p.begin() + 13, d[1].begin()));
  auto small = make_packet(1432, 1);
  EXPECT_FALSE(packet_fragmented(small.data()));
  EXPECT_EQ(split_packet(small).size(), 1u);
}

TEST(WireFragment, SplitLimits) {
  // 7 datagrams at mtu 1432 hold 1432 + 6 * 1416 = 9928 bytes.
  EXPECT_EQ(split_packet(make_packet(9928, 2)).size(), 7u);
  EXPECT_TRUE(split_packet(make_packet(9929, 3)).empty());
  EXPECT_TRUE(split_packet(make_packet(27, 4)).empty());
  EXPECT_TRUE(split_packet(make_packet(100, 4), 16).empty());
}

// The even split: as many datagrams as stock's, all of one size but a
// shorter last, joined back to the same packet by the same reassembler
// (which, like stock, appends fragment payloads of any size to the head).
TEST(WireFragment, EvenSplitHasStocksCountEqualSizesAndJoinsBack) {
  for (size_t len : {size_t(1433), size_t(2666), size_t(2838), size_t(2839), size_t(5000),
                     size_t(9928)}) {
    SCOPED_TRACE(len);
    auto p = make_packet(len, 0x1000 + len);
    auto stock = split_packet(p);
    auto even = split_packet_even(p);
    ASSERT_EQ(even.size(), stock.size());
    ASSERT_GE(even.size(), 2u);
    for (size_t i = 1; i + 1 < even.size(); ++i) EXPECT_EQ(even[i].size(), even[0].size());
    EXPECT_LE(even.back().size(), even[0].size());
    EXPECT_GT(even.back().size(), kFragmentHeaderLength);
    EXPECT_LE(even[0].size(), kDefaultPhysMtu);
    for (size_t i = 1; i < even.size(); ++i) {
      EXPECT_EQ(fragment_total(even[i].data()), even.size());
      EXPECT_EQ(fragment_number(even[i].data()), i);
    }
    Reassembler r;
    std::vector<uint8_t> out;
    for (size_t i = even.size(); i-- > 0;) {  // last first: order does not matter
      auto res = r.add(1, even[i], 1000, &out);
      EXPECT_EQ(res, i == 0 ? ReassemblyResult::kComplete : ReassemblyResult::kPending);
    }
    EXPECT_EQ(out, p);
  }
  // A 2838-byte packet (a 2800-byte frame in FRAME): stock 1432 + 1422, even 1427 + 1427.
  auto two = split_packet_even(make_packet(2838, 5));
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0].size(), 1427u);
  EXPECT_EQ(two[1].size(), 1427u);
  // Unfragmented and refused ones as split_packet.
  EXPECT_EQ(split_packet_even(make_packet(1432, 6)).size(), 1u);
  EXPECT_TRUE(split_packet_even(make_packet(9929, 7)).empty());
  EXPECT_TRUE(split_packet_even(make_packet(27, 8)).empty());
}

// The overload that keeps the packet's buffer for the head makes the same
// datagrams, for every size and at a small MTU (stock's split then).
TEST(WireFragment, EvenSplitOfAMovedBufferMakesTheSameDatagrams) {
  for (size_t mtu : {size_t(kDefaultPhysMtu), size_t(100), size_t(40)})
    for (size_t len : {size_t(27), size_t(28), size_t(100), size_t(1432), size_t(1433),
                       size_t(2838), size_t(5000), size_t(9928), size_t(9929)}) {
      SCOPED_TRACE(std::to_string(mtu) + " " + std::to_string(len));
      auto p = make_packet(len, 0x2000 + len);
      auto copied = split_packet_even(std::span<const uint8_t>(p), mtu);
      auto moved = split_packet_even(std::vector<uint8_t>(p), mtu);
      EXPECT_EQ(moved, copied);
    }
}

TEST(WireFragment, JoinInAnyOrder) {
  auto p = make_packet(5000, 0xabcdef);
  auto d = split_packet(p);
  ASSERT_EQ(d.size(), 4u);
  std::vector<size_t> order = {0, 1, 2, 3};
  size_t perms = 0;
  do {
    Reassembler r;
    std::vector<uint8_t> out;
    for (size_t i = 0; i < order.size(); ++i) {
      auto res = r.add(9, d[order[i]], 100, &out);
      if (i + 1 < order.size())
        ASSERT_EQ(res, ReassemblyResult::kPending);
      else
        ASSERT_EQ(res, ReassemblyResult::kComplete);
    }
    EXPECT_EQ(out, p);
    EXPECT_EQ(r.in_use(), 0u);
    ++perms;
  } while (std::next_permutation(order.begin(), order.end()));
  EXPECT_EQ(perms, 24u);
}

TEST(WireFragment, DuplicatesIgnored) {
  auto p = make_packet(3000, 77);
  auto d = split_packet(p);
  ASSERT_EQ(d.size(), 3u);
  Reassembler r;
  std::vector<uint8_t> out;
  EXPECT_EQ(r.add(1, d[1], 0, &out), ReassemblyResult::kPending);
  EXPECT_EQ(r.add(1, d[1], 0, &out), ReassemblyResult::kDuplicate);
  EXPECT_EQ(r.add(1, d[0], 0, &out), ReassemblyResult::kPending);
  EXPECT_EQ(r.add(1, d[0], 0, &out), ReassemblyResult::kDuplicate);
  EXPECT_EQ(r.add(1, d[2], 0, &out), ReassemblyResult::kComplete);
  EXPECT_EQ(out, p);
  EXPECT_EQ(r.counters().duplicates, 2u);
}

TEST(WireFragment, BadTotalsAndNumbersRejected) {
  auto p = make_packet(3000, 5);
  auto d = split_packet(p);
  Reassembler r;
  std::vector<uint8_t> out;
  auto with_no = [&](uint8_t v) { auto f = d[1]; f[kFragIdxNo] = v; return f; };
  for (uint8_t v : {0x10, 0x11, 0x80, 0x81, 0xf1, 0x00, 0x22, 0x33, 0x20, 0x30, 0x3f})
    EXPECT_EQ(r.add_fragment(1, with_no(v), 0, &out), ReassemblyResult::kBadFragment)
        << std::hex << int(v);
  EXPECT_EQ(r.in_use(), 0u);  // rejected fragments take no slot
  // A fragment naming a different total than an earlier one.
  EXPECT_EQ(r.add_fragment(1, with_no(0x31), 0, &out), ReassemblyResult::kPending);
  EXPECT_EQ(r.add_fragment(1, with_no(0x42), 0, &out), ReassemblyResult::kTotalMismatch);
  // Runts and non-fragments.
  std::vector<uint8_t> runt(d[1].begin(), d[1].begin() + 16);
  EXPECT_EQ(r.add_fragment(1, runt, 0, &out), ReassemblyResult::kBadFragment);
  auto notind = d[1];
  notind[kFragIdxIndicator] = 0;
  EXPECT_EQ(r.add_fragment(1, notind, 0, &out), ReassemblyResult::kBadFragment);
  auto whole = make_packet(100, 6);
  EXPECT_EQ(r.add(1, whole, 0, &out), ReassemblyResult::kNotFragmented);
  EXPECT_EQ(r.add(1, std::vector<uint8_t>(20, 0), 0, &out), ReassemblyResult::kBadFragment);
}

TEST(WireFragment, OversizeAssemblyRejected) {
  // Head of 10000 bytes plus a 100-byte fragment exceeds 10024.
  auto p = make_packet(10100, 8, 10000);
  auto d = split_packet(p, 10000);
  ASSERT_EQ(d.size(), 2u);
  Reassembler r;
  std::vector<uint8_t> out;
  EXPECT_EQ(r.add(1, d[0], 0, &out), ReassemblyResult::kPending);
  EXPECT_EQ(r.add(1, d[1], 0, &out), ReassemblyResult::kTooLong);
  EXPECT_EQ(r.in_use(), 0u);
}

TEST(WireFragment, PathsKeptApart) {
  // A relayed packet keeps its ID on both legs (Appendix E.7).
  auto p = make_packet(3000, 0x55);
  auto d = split_packet(p);
  Reassembler r;
  std::vector<uint8_t> out;
  EXPECT_EQ(r.add(1, d[0], 0, &out), ReassemblyResult::kPending);
  EXPECT_EQ(r.add(2, d[0], 0, &out), ReassemblyResult::kPending);
  EXPECT_EQ(r.add(1, d[1], 0, &out), ReassemblyResult::kPending);
  EXPECT_EQ(r.add(2, d[1], 0, &out), ReassemblyResult::kPending);
  EXPECT_EQ(r.add(2, d[2], 0, &out), ReassemblyResult::kComplete);
  EXPECT_EQ(out, p);
  EXPECT_EQ(r.add(1, d[2], 0, &out), ReassemblyResult::kComplete);
  EXPECT_EQ(out, p);
}

TEST(WireFragment, SlotExhaustionEvictsOldest) {
  Reassembler r;
  std::vector<std::vector<std::vector<uint8_t>>> pk;
  std::vector<uint8_t> out;
  for (uint64_t i = 0; i < Reassembler::kSlots + 1; ++i) {
    pk.push_back(split_packet(make_packet(2000, 1000 + i)));
    EXPECT_EQ(r.add(1, pk.back()[0], i, &out), ReassemblyResult::kPending);
  }
  EXPECT_EQ(r.in_use(), Reassembler::kSlots);
  EXPECT_EQ(r.counters().evicted, 1u);
  // Packet 0 was evicted: its fragment starts a fresh, incomplete slot.
  EXPECT_EQ(r.add(1, pk[0][1], 40, &out), ReassemblyResult::kPending);
  // Packet 5 is still there.
  EXPECT_EQ(r.add(1, pk[5][1], 40, &out), ReassemblyResult::kComplete);
}

TEST(WireFragment, Timeout) {
  Reassembler r(1000);
  auto d = split_packet(make_packet(2000, 9));
  std::vector<uint8_t> out;
  EXPECT_EQ(r.add(1, d[0], 1000, &out), ReassemblyResult::kPending);
  EXPECT_EQ(r.expire(1500), 0u);
  EXPECT_EQ(r.expire(2001), 1u);
  EXPECT_EQ(r.in_use(), 0u);
  // A late fragment no longer completes the packet.
  EXPECT_EQ(r.add(1, d[1], 2002, &out), ReassemblyResult::kPending);
  // And a stale slot is also dropped when looked at, without expire().
  EXPECT_EQ(r.add(1, d[0], 4000, &out), ReassemblyResult::kPending);
  EXPECT_EQ(r.counters().timed_out, 2u);
}
