// Dictionary text codec: stock's escaping, lookup and number forms, and
// every status path.
#include <gtest/gtest.h>

#include <string>

#include "dataplane/wire/config_request.hpp"
#include "dataplane/wire/dictionary.hpp"

using namespace flatnet::wire;

namespace {

std::vector<uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }

std::string encode(const Dictionary& d) {
  std::vector<uint8_t> out;
  EXPECT_EQ(encode_dictionary(d, out), DictStatus::kOk);
  return {out.begin(), out.end()};
}

}  // namespace

TEST(Dictionary, SpecExampleBytes) {
  // Spec §10.2's example, binary value 00 0a 0d 5c 3d 41 ff 01.
  Dictionary d;
  d.add_u64("nwid", 0x8056c2e21c000001ULL);
  d.add("n", "my net");
  d.add_bool("eb", true);
  const uint8_t bin[] = {0x00, 0x0a, 0x0d, 0x5c, 0x3d, 0x41, 0xff, 0x01};
  d.add("B", std::span<const uint8_t>(bin));
  EXPECT_EQ(encode(d), std::string("nwid=8056c2e21c000001\nn=my net\neb=1\nB=\\0\\n\\r\\\\\\eA\xff\x01"));
  Dictionary back;
  const std::string text = encode(d);
  ASSERT_EQ(parse_dictionary(bytes(text), back), DictStatus::kOk);
  EXPECT_EQ(back, d);
  const auto b = back.get_bytes("B");
  EXPECT_TRUE(std::equal(b.begin(), b.end(), std::begin(bin), std::end(bin)));
}

TEST(Dictionary, EveryByteValueRoundTrips) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(char(i));
  Dictionary d;
  d.add("x", all);
  d.add("y", "");
  const std::string text = encode(d);
  for (char c : text.substr(0, text.find("\ny="))) {
    EXPECT_NE(c, '\0');
    EXPECT_NE(c, '\r');
  }
  Dictionary back;
  ASSERT_EQ(parse_dictionary(bytes(text), back), DictStatus::kOk);
  EXPECT_EQ(*back.get("x"), all);
  EXPECT_EQ(*back.get("y"), "");
}

TEST(Dictionary, LookupRulesAsStock) {
  Dictionary d;
  // First entry wins; CR separates like LF; lines without '=' and empty
  // lines are skipped; '=' inside a value is kept; an unknown escape gives
  // the character; a trailing lone backslash is dropped.
  ASSERT_EQ(parse_dictionary(bytes("a=1\r\na=2\rnoeq\n\nb=x=y\nc=\\q\\\nd=\\"), d), DictStatus::kOk);
  EXPECT_EQ(*d.get("a"), "1");
  EXPECT_EQ(d.entries().size(), 5u);
  EXPECT_EQ(*d.get("b"), "x=y");
  EXPECT_EQ(*d.get("c"), "q");
  EXPECT_EQ(*d.get("d"), "");
  EXPECT_EQ(d.get("noeq"), nullptr);
  EXPECT_EQ(d.get("z"), nullptr);
  EXPECT_TRUE(d.get_bytes("z").empty());
  // A key that is a prefix of another does not match it.
  ASSERT_EQ(parse_dictionary(bytes("nwid=5"), d), DictStatus::kOk);
  EXPECT_EQ(d.get("n"), nullptr);
  ASSERT_EQ(parse_dictionary({}, d), DictStatus::kOk);
  EXPECT_TRUE(d.empty());
}

TEST(Dictionary, Numbers) {
  Dictionary d;
  ASSERT_EQ(parse_dictionary(bytes("a=000000000000001f\nb=0x1F\nc=  ff\nd=\ne=zz\nf=1ffffffffffffffff\n"
                                   "g=-0000000000000002\nh=12g4\nt=true\nT=T\no=1\nz=0\nn=no"),
                             d),
            DictStatus::kOk);
  EXPECT_EQ(d.get_u64("a"), 0x1fu);
  EXPECT_EQ(d.get_u64("b"), 0x1fu);
  EXPECT_EQ(d.get_u64("c"), 0xffu);
  EXPECT_EQ(d.get_u64("d", 7), 7u);  // empty: default, as stock (get >= 1)
  EXPECT_EQ(d.get_u64("e", 7), 0u);  // present but not hex: 0, as strtoull
  EXPECT_EQ(d.get_u64("f"), ~uint64_t(0));
  EXPECT_EQ(d.get_u64("h"), 0x12u);
  EXPECT_EQ(d.get_u64("missing", 9), 9u);
  EXPECT_EQ(d.get_i64("g"), -2);
  EXPECT_EQ(d.get_i64("a"), 31);
  EXPECT_EQ(d.get_i64("missing", -5), -5);
  EXPECT_TRUE(d.get_bool("t"));
  EXPECT_TRUE(d.get_bool("T"));
  EXPECT_TRUE(d.get_bool("o"));
  EXPECT_FALSE(d.get_bool("z", true));
  EXPECT_FALSE(d.get_bool("n", true));
  EXPECT_FALSE(d.get_bool("d", true));  // present and empty: false
  EXPECT_TRUE(d.get_bool("missing", true));

  Dictionary w;
  w.add_u64("u", 0xaf0);
  w.add_i64("p", 5);
  w.add_i64("m", -2);
  w.add_address("id", 0xc989c90153ULL);
  w.add_address("big", 0xffc989c90153ULL);  // only the low 40 bits
  w.add_bool("f", false);
  EXPECT_EQ(encode(w),
            "u=0000000000000af0\np=0000000000000005\nm=-0000000000000002\nid=c989c90153\n"
            "big=c989c90153\nf=0");
}

TEST(Dictionary, Limits) {
  Dictionary d;
  // Capacity counts stock's terminating NUL: capacity - 1 bytes fit.
  const std::string fits = "k=" + std::string(kMetadataDictCapacity - 3, 'v');
  EXPECT_EQ(parse_dictionary(bytes(fits), d, kMetadataDictCapacity), DictStatus::kOk);
  EXPECT_EQ(parse_dictionary(bytes(fits + "v"), d, kMetadataDictCapacity), DictStatus::kTooLong);
  EXPECT_EQ(parse_dictionary(bytes("a"), d, 0), DictStatus::kTooLong);
  EXPECT_EQ(parse_dictionary(bytes(std::string("a=b\0c", 5)), d), DictStatus::kEmbeddedNul);
  std::string many;
  for (size_t i = 0; i <= kDictionaryMaxEntries; ++i) many += "k=\n";
  EXPECT_EQ(parse_dictionary(bytes(many), d), DictStatus::kTooManyEntries);
  many.resize(many.size() - 3);
  EXPECT_EQ(parse_dictionary(bytes(many), d), DictStatus::kOk);
  EXPECT_EQ(d.entries().size(), kDictionaryMaxEntries);

  // Encoding: capacity (escapes count double), bad keys; output untouched.
  Dictionary e;
  e.add("k", std::string(kMetadataDictCapacity / 2, '='));
  std::vector<uint8_t> out = {1, 2};
  EXPECT_EQ(encode_dictionary(e, out, kMetadataDictCapacity), DictStatus::kTooLong);
  EXPECT_EQ(out, (std::vector<uint8_t>{1, 2}));
  for (const char* bad : {"", "a=b", "a\nb", "a\rb"}) {
    Dictionary k;
    k.add(bad, "v");
    EXPECT_EQ(encode_dictionary(k, out), DictStatus::kBadKey) << bad;
  }
  Dictionary nul;
  nul.add(std::string_view("a\0b", 3), "v");
  EXPECT_EQ(encode_dictionary(nul, out), DictStatus::kBadKey);
  for (auto s : {DictStatus::kOk, DictStatus::kTooLong, DictStatus::kEmbeddedNul,
                 DictStatus::kTooManyEntries, DictStatus::kBadKey})
    EXPECT_STRNE(to_string(s), "?");
}

TEST(ConfigRequest, RoundTripAndStatuses) {
  ConfigRequest q;
  q.network_id = 0xee420f0cda000001ULL;
  q.metadata = stock_request_metadata(1, 14, 1, "linux/x86_64");
  q.have_revision = 3;
  q.have_timestamp = 4;
  std::vector<uint8_t> b;
  ASSERT_TRUE(encode_config_request(q, b));
  EXPECT_EQ(b.size(), 8u + 2 + 263 + 16);  // stock 1.14.1 metadata is 263 bytes
  ConfigRequest back;
  ASSERT_EQ(decode_config_request(b, back), RequestStatus::kOk);
  EXPECT_EQ(back, q);
  // Older members stop after the metadata: revision and timestamp read 0.
  ASSERT_EQ(decode_config_request(std::span<const uint8_t>(b.data(), b.size() - 16), back), RequestStatus::kOk);
  EXPECT_EQ(back.have_revision, 0u);
  EXPECT_EQ(back.metadata, q.metadata);
  EXPECT_EQ(decode_config_request(std::span<const uint8_t>(b.data(), 20), back), RequestStatus::kTruncated);
  std::vector<uint8_t> nul = {0, 0, 0, 0, 0, 0, 0, 1, 0, 3, 'a', '=', 0};
  EXPECT_EQ(decode_config_request(nul, back), RequestStatus::kBadMetadata);
  ConfigRequest big = q;
  big.metadata.add("x", std::string(kMetadataDictCapacity, 'y'));
  std::vector<uint8_t> o;
  EXPECT_FALSE(encode_config_request(big, o));
  for (auto s : {RequestStatus::kOk, RequestStatus::kTruncated, RequestStatus::kBadMetadata})
    EXPECT_STRNE(to_string(s), "?");
}
