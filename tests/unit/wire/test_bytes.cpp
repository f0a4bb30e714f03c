// Reader/Writer: big-endian fields, sticky failure at the bounds; hex names.
#include <gtest/gtest.h>

#include "dataplane/wire/bytes.hpp"
#include "dataplane/wire/hex.hpp"

using flatnet::wire::Reader;
using flatnet::wire::Writer;

TEST(WireBytes, RoundTripAllWidths) {
  std::vector<uint8_t> buf;
  Writer w(buf);
  w.u8(0xab);
  w.u16(0x1234);
  w.u32(0xdeadbeef);
  w.u40(0x0102030405ULL);
  w.u64(0x1122334455667788ULL);
  ASSERT_TRUE(w.ok());
  ASSERT_EQ(buf.size(), 1u + 2 + 4 + 5 + 8);
  EXPECT_EQ(buf[1], 0x12);  // big-endian on the wire
  Reader r(buf);
  EXPECT_EQ(r.u8(), 0xab);
  EXPECT_EQ(r.u16(), 0x1234);
  EXPECT_EQ(r.u32(), 0xdeadbeefu);
  EXPECT_EQ(r.u40(), 0x0102030405ULL);
  EXPECT_EQ(r.u64(), 0x1122334455667788ULL);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(WireBytes, ReaderFailsAtBoundAndStaysFailed) {
  const uint8_t d[3] = {1, 2, 3};
  Reader r(d, sizeof d);
  EXPECT_EQ(r.u16(), 0x0102);
  EXPECT_EQ(r.u16(), 0);  // only one byte left
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.u8(), 0);   // sticky: even though a byte is left
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_TRUE(r.view(1).empty());
}

TEST(WireBytes, ReaderHugeSkipDoesNotWrap) {
  const uint8_t d[4] = {};
  Reader r(d, sizeof d);
  r.skip(2);
  EXPECT_FALSE(r.skip(SIZE_MAX));
  EXPECT_FALSE(r.ok());
  uint8_t out[4] = {9, 9, 9, 9};
  Reader r2(d, 2);
  EXPECT_FALSE(r2.bytes(out, 4));
  EXPECT_EQ(out[0], 0);  // zero-filled on failure
}

TEST(WireBytes, WriterRespectsLimit) {
  std::vector<uint8_t> buf;
  Writer w(buf, 5);
  w.u32(1);
  EXPECT_TRUE(w.ok());
  w.u16(2);
  EXPECT_FALSE(w.ok());
  EXPECT_EQ(buf.size(), 4u);
  w.u8(3);  // sticky
  EXPECT_EQ(buf.size(), 4u);
}

TEST(WireHex, AddressAndIdDigits) {
  EXPECT_EQ(flatnet::wire::hex_address(0x89e92ceee5ULL), "89e92ceee5");
  EXPECT_EQ(flatnet::wire::hex_address(0x1ULL), "0000000001");
  EXPECT_EQ(flatnet::wire::hex_address(0xff89e92ceee5ULL), "89e92ceee5");  // 40 bits only
  EXPECT_EQ(flatnet::wire::hex_id(0xee420f0cda000001ULL), "ee420f0cda000001");
  EXPECT_EQ(flatnet::wire::hex_id(42), "000000000000002a");
}
