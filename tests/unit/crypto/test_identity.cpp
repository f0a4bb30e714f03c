// Identities: Appendix B.1/B.2 known answers, text and binary round trips,
// and rejection of malformed input with a reason.
#include <gtest/gtest.h>

#include <sodium.h>

#include <cstring>
#include <memory>

#include "crypto/identity.hpp"
#include "crypto/memory_hard_hash.hpp"
#include "tests/unit/crypto/appendix_b.hpp"

namespace flatnet::crypto {
namespace {

using test::hex;
using test::parse;
using test::unhex;

TEST(CryptoIdentity, B1IdentitiesValidateAndKeysAreConsistent) {
  for (auto text : {test::kIdentityA, test::kIdentityB}) {
    Identity id = parse(text);
    ASSERT_TRUE(id.has_private());
    // X25519 public of the secret and Ed25519 public of the seed.
    uint8_t x[32], ed[32], sk[64];
    ASSERT_EQ(crypto_scalarmult_base(x, id.private_key().data()), 0);
    crypto_sign_seed_keypair(ed, sk, id.private_key().data() + 32);
    EXPECT_EQ(0, std::memcmp(x, id.public_key().data(), 32));
    EXPECT_EQ(0, std::memcmp(ed, id.public_key().data() + 32, 32));
    EXPECT_TRUE(id.locally_validate());
    EXPECT_EQ(id.to_string(true), text);
  }
  EXPECT_EQ(parse(test::kIdentityA).address_string(), "36885e5e08");
  EXPECT_EQ(parse(test::kIdentityB).address(), 0xf07ab477c4ULL);
}

TEST(CryptoIdentity, B2MemoryHardHash) {
  auto pubv = unhex(test::kB2Public);
  PublicKey pub;
  std::memcpy(pub.data(), pubv.data(), 64);

  uint8_t d0[64];
  crypto_hash_sha512(d0, pub.data(), pub.size());
  EXPECT_EQ(hex(d0, 64), test::kB2InitialDigest);

  // The scratch's first block is keystream block 0 XOR zeros.
  std::unique_ptr<uint8_t[]> scratch(new uint8_t[kMemoryHardScratch]);
  uint8_t digest[64];
  memory_hard_hash(pub, digest, scratch.get());
  EXPECT_EQ(hex(digest, 64), test::kB2FinalDigest);
  uint8_t ks0[64] = {};
  crypto_stream_salsa20(ks0, 64, d0 + 32, d0);
  EXPECT_EQ(hex(ks0, 64), test::kB2Block0);

  uint8_t digest2[64];
  memory_hard_hash(pub, digest2);  // the allocating overload agrees
  EXPECT_EQ(0, std::memcmp(digest, digest2, 64));
  EXPECT_EQ(memory_hard_digest_address(digest), 0xcafe9efeb9ULL);

  auto id = Identity::from_string("cafe9efeb9:0:" + std::string(test::kB2Public));
  ASSERT_TRUE(id);
  EXPECT_FALSE(id->has_private());
  EXPECT_TRUE(id->locally_validate());
}

TEST(CryptoIdentity, ValidateRejectsWrongAddressAndMismatchedKeys) {
  // Public key of A under B's address: digest names a different address.
  std::string a(test::kIdentityA);
  auto wrong_addr = Identity::from_string("f07ab477c4" + a.substr(10, 3 + 128));
  ASSERT_TRUE(wrong_addr);
  EXPECT_FALSE(wrong_addr->locally_validate());

  // A's public with B's private: keys inconsistent.
  std::string b(test::kIdentityB);
  auto mixed = Identity::from_string(a.substr(0, 10 + 3 + 128) + b.substr(10 + 3 + 128));
  ASSERT_TRUE(mixed);
  EXPECT_FALSE(mixed->locally_validate());

  // One flipped public-key bit.
  std::string flipped = a.substr(0, 10 + 3 + 128);
  flipped[20] = flipped[20] == '0' ? '1' : '0';
  auto f = Identity::from_string(flipped);
  ASSERT_TRUE(f);
  EXPECT_FALSE(f->locally_validate());
}

TEST(CryptoIdentity, GenerateRoundTrip) {
  // Two generations (each ~15 memory-hard hashes, well under a second each).
  for (int i = 0; i < 2; ++i) {
    Identity id = Identity::generate();
    ASSERT_TRUE(id.has_private());
    EXPECT_FALSE(is_reserved_address(id.address()));
    EXPECT_TRUE(id.locally_validate());

    const std::string secret = id.to_string(true);
    const std::string pub = id.to_string(false);
    EXPECT_EQ(secret.size(), 10u + 3 + 128 + 1 + 128);
    EXPECT_EQ(pub.size(), 10u + 3 + 128);
    EXPECT_EQ(secret.find('\n'), std::string::npos);
    EXPECT_EQ(secret.rfind(pub, 0), 0u);
    for (char c : secret) EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == ':');

    auto back = Identity::from_string(secret);
    ASSERT_TRUE(back);
    EXPECT_TRUE(*back == id);
    EXPECT_TRUE(back->has_private());
    EXPECT_EQ(0, std::memcmp(back->private_key().data(), id.private_key().data(), 64));
    EXPECT_TRUE(back->locally_validate());
    auto back_pub = Identity::from_string(pub);
    ASSERT_TRUE(back_pub);
    EXPECT_FALSE(back_pub->has_private());
    EXPECT_TRUE(back_pub->locally_validate());
  }
}

TEST(CryptoIdentity, TextAcceptsWhitespaceAndUpperCase) {
  std::string a(test::kIdentityA);
  auto id = Identity::from_string("  \n" + a + "\n\r\t");
  ASSERT_TRUE(id);
  EXPECT_EQ(id->to_string(true), a);
  std::string upper = a;
  for (char& c : upper)
    if (c >= 'a' && c <= 'f') c = char(c - 'a' + 'A');
  auto u = Identity::from_string(upper);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->to_string(true), a);  // printed back in lower case
}

struct BadText {
  std::string text;
  std::string reason;  // a substring of the error
};

TEST(CryptoIdentity, TextRejectsMalformedWithReason) {
  const std::string a(test::kIdentityA);
  const std::string addr = a.substr(0, 10);
  const std::string pub = a.substr(13, 128);
  const std::string priv = a.substr(13 + 129);
  const std::vector<BadText> cases = {
      {"", "empty"},
      {"   \n", "empty"},
      {addr, "fewer than 3"},
      {addr + ":0", "fewer than 3"},
      {a + ":00", "more than 4"},
      {a + ":" + priv + ":" + priv, "more than 4"},
      {addr + ":1:" + pub, "type is not 0"},
      {addr + ":00:" + pub, "type is not 0"},
      {addr + "::" + pub, "type is not 0"},
      {"0000000000:0:" + pub, "reserved"},
      {"ff12345678:0:" + pub, "reserved"},
      {"36885e5e0:0:" + pub, "address"},
      {"36885e5e081:0:" + pub, "address"},
      {"36885e5e0g:0:" + pub, "address"},
      {addr + ":0:" + pub.substr(0, 126), "public key"},
      {addr + ":0:" + pub + "00", "public key"},
      {addr + ":0:" + pub.substr(0, 127) + "z", "public key"},
      {addr + ":0:" + pub.substr(0, 127), "public key"},
      {addr + ":0:" + pub + ":" + priv.substr(0, 64), "private key"},
      {addr + ":0:" + pub + ":" + priv + "0", "private key"},
      {addr + ":0:" + pub + ":", "private key"},
      {addr + ":0:" + pub.substr(0, 60) + " " + pub.substr(61), "public key"},
  };
  for (const auto& c : cases) {
    std::string err;
    auto id = Identity::from_string(c.text, &err);
    EXPECT_FALSE(id) << c.text;
    EXPECT_NE(err.find(c.reason), std::string::npos) << c.text << " -> " << err;
    EXPECT_EQ(err.find('\n'), std::string::npos);
  }
  // Every truncation of a valid secret identity is either rejected or (at
  // the field boundaries) parses as the public-only form.
  for (size_t n = 0; n < a.size(); ++n) {
    std::string err;
    auto id = Identity::from_string(a.substr(0, n), &err);
    if (id) {
      EXPECT_EQ(n, size_t(10 + 3 + 128)) << n;
    } else {
      EXPECT_FALSE(err.empty()) << n;
    }
  }
}

TEST(CryptoIdentity, BinaryRoundTripAndRejections) {
  Identity a = parse(test::kIdentityA);
  std::vector<uint8_t> pub, sec;
  a.append_binary(pub, false);
  a.append_binary(sec, true);
  ASSERT_EQ(pub.size(), kIdentityBinaryPublicSize);
  ASSERT_EQ(sec.size(), kIdentityBinaryPublicSize + 64);
  EXPECT_EQ(hex(pub.data(), 6), "36885e5e0800");
  EXPECT_EQ(pub[70], 0);
  EXPECT_EQ(sec[70], 64);

  size_t used = 0;
  pub.push_back(0xaa);  // trailing bytes are not consumed
  auto p = Identity::from_binary(pub, &used);
  ASSERT_TRUE(p);
  EXPECT_EQ(used, kIdentityBinaryPublicSize);
  EXPECT_TRUE(*p == a);
  EXPECT_FALSE(p->has_private());
  auto s = Identity::from_binary(sec, &used);
  ASSERT_TRUE(s);
  EXPECT_EQ(used, sec.size());
  EXPECT_EQ(s->to_string(true), a.to_string(true));

  std::string err;
  for (size_t n = 0; n < kIdentityBinaryPublicSize; ++n) {
    EXPECT_FALSE(Identity::from_binary(std::span(sec.data(), n), &used, &err)) << n;
    EXPECT_NE(err.find("shorter"), std::string::npos);
  }
  EXPECT_FALSE(Identity::from_binary(std::span(sec.data(), sec.size() - 1), &used, &err));
  EXPECT_NE(err.find("truncated"), std::string::npos);
  auto bad = sec;
  bad[5] = 1;
  EXPECT_FALSE(Identity::from_binary(bad, &used, &err));
  EXPECT_NE(err.find("type"), std::string::npos);
  bad = sec;
  bad[70] = 32;
  EXPECT_FALSE(Identity::from_binary(bad, &used, &err));
  EXPECT_NE(err.find("length byte"), std::string::npos);
  bad = sec;
  bad[0] = 0xff;
  EXPECT_FALSE(Identity::from_binary(bad, &used, &err));
  EXPECT_NE(err.find("reserved"), std::string::npos);
}

TEST(CryptoIdentity, PublicKeyHashMatchesB7Qualifiers) {
  // Spec B.7: qualifier values 3-6 are SHA-384(B.address || B.public)[0..31].
  auto h = parse(test::kIdentityB).public_key_hash();
  EXPECT_EQ(hex(h.data(), 32),
            "203bd1500a63c91bb923763fabb21c204d22074677ae10c60da051c5297f62b7");
}

}  // namespace
}  // namespace flatnet::crypto
