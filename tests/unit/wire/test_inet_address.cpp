// InetAddress wire form (spec §5.1, Appendix B.8) and text form.
#include <gtest/gtest.h>

#include <algorithm>

#include "dataplane/wire/inet_address.hpp"

using namespace flatnet::wire;

namespace {

std::string hex(const std::vector<uint8_t>& v) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (uint8_t b : v) { s += d[b >> 4]; s += d[b & 15]; }
  return s;
}

std::vector<uint8_t> ser(const InetAddress& a) {
  std::vector<uint8_t> out;
  Writer w(out);
  write_inet_address(w, a);
  return out;
}

}  // namespace

TEST(WireInetAddress, AppendixB8Serializations) {
  auto v4 = InetAddress::from_string("192.0.2.10/9993");
  ASSERT_TRUE(v4);
  EXPECT_EQ(hex(ser(*v4)), "04c000020a2709");
  auto v6 = InetAddress::from_string("2001:db8::1/9993");
  ASSERT_TRUE(v6);
  EXPECT_EQ(hex(ser(*v6)), "0620010db80000000000000000000000012709");
  EXPECT_EQ(hex(ser(InetAddress{})), "00");
  EXPECT_EQ(v4->wire_size(), 7u);
  EXPECT_EQ(v6->wire_size(), 19u);
}

TEST(WireInetAddress, ReadBackEveryFamily) {
  for (const char* s : {"192.0.2.10/9993", "2001:db8::1/9993", "10.99.0.1/0", "fd99::1/9993"}) {
    auto a = InetAddress::from_string(s);
    ASSERT_TRUE(a) << s;
    auto bytes = ser(*a);
    Reader r(bytes);
    InetAddress b;
    EXPECT_EQ(read_inet_address(r, b), InetStatus::kOk);
    EXPECT_EQ(b, *a);
    EXPECT_EQ(b.to_string(), s);
    EXPECT_EQ(r.remaining(), 0u);
  }
}

TEST(WireInetAddress, ReservedTypesAreSkipped) {
  // type 1 (6 bytes), type 2 (6 bytes), type 3 (u16 len + data), then IPv4.
  const std::vector<uint8_t> d = {1, 1, 2, 3, 4, 5, 6,  2, 1, 2, 3, 4, 5, 6,
                                  3, 0, 2, 0xaa, 0xbb,  4, 10, 0, 0, 1, 0x27, 0x09};
  Reader r(d);
  InetAddress a;
  EXPECT_EQ(read_inet_address(r, a), InetStatus::kSkipped);
  EXPECT_TRUE(a.is_null());
  EXPECT_EQ(read_inet_address(r, a), InetStatus::kSkipped);
  EXPECT_EQ(read_inet_address(r, a), InetStatus::kSkipped);
  EXPECT_TRUE(a.is_null());
  EXPECT_EQ(read_inet_address(r, a), InetStatus::kOk);
  EXPECT_EQ(a.to_string(), "10.0.0.1/9993");
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(WireInetAddress, TruncationAndBadTypeRejected) {
  const std::vector<uint8_t> full = {6, 0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x27, 9};
  for (size_t n = 0; n < full.size(); ++n) {
    Reader r(full.data(), n);
    InetAddress a;
    EXPECT_EQ(read_inet_address(r, a), InetStatus::kTruncated) << n;
    EXPECT_FALSE(r.ok());
  }
  const std::vector<uint8_t> reserved3 = {3, 0xff, 0xff, 1, 2};  // claims 65535 bytes
  Reader r3(reserved3);
  InetAddress a;
  EXPECT_EQ(read_inet_address(r3, a), InetStatus::kTruncated);
  for (uint8_t t : {5, 7, 0x40, 0xff}) {
    const std::vector<uint8_t> d = {t, 0, 0, 0, 0, 0, 0};
    Reader r(d);
    EXPECT_EQ(read_inet_address(r, a), InetStatus::kBadType) << int(t);
    EXPECT_FALSE(r.ok());
  }
}

TEST(WireInetAddress, TextParsingRejectsGarbage) {
  for (const char* s : {"", "/9993", "1.2.3.4/", "1.2.3.4/65536", "1.2.3.4/99a", "1.2.3/1",
                        "hello/1", "::g/1", "1.2.3.4/123456"})
    EXPECT_FALSE(InetAddress::from_string(s)) << s;
  auto bare = InetAddress::from_string("10.1.2.3");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->port, 0);
}

TEST(WireInetAddress, StockSortOrder) {
  // IPv4 before IPv6; within a family the port decides first, compared as
  // the stock code does (network-order bytes read as a little-endian int):
  // port 256 (0x0100 -> raw 0x0001) sorts before port 1 (raw 0x0100).
  std::vector<InetAddress> v = {*InetAddress::from_string("fd99::1/9993"),
                                *InetAddress::from_string("10.0.0.2/1"),
                                *InetAddress::from_string("10.0.0.1/256"),
                                *InetAddress::from_string("10.99.0.1/9993")};
  std::sort(v.begin(), v.end());
  EXPECT_EQ(v[0].to_string(), "10.0.0.1/256");
  EXPECT_EQ(v[1].to_string(), "10.0.0.2/1");
  EXPECT_EQ(v[2].to_string(), "10.99.0.1/9993");
  EXPECT_EQ(v[3].to_string(), "fd99::1/9993");
  // Same port: IPv4 s_addr read little-endian, so the LAST octet dominates.
  auto a = *InetAddress::from_string("1.0.0.2/9993");
  auto b = *InetAddress::from_string("2.0.0.1/9993");
  EXPECT_TRUE(b < a);
  EXPECT_FALSE(a < b);
}
