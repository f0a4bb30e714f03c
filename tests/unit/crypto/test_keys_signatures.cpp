// Key agreement, KBKDF and 96-byte signatures: Appendix B.3, B.6, B.7 and
// sign/verify round trips.
#include <gtest/gtest.h>

#include <sodium.h>

#include <cstring>
#include <string>

#include "crypto/armor.hpp"
#include "crypto/identity.hpp"
#include "tests/unit/crypto/appendix_b.hpp"

namespace flatnet::crypto {
namespace {

using test::hex;
using test::parse;
using test::unhex;

std::span<const uint8_t> bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

TEST(CryptoKeys, B3AgreementBothWays) {
  Identity a = parse(test::kIdentityA), b = parse(test::kIdentityB);
  SharedKey ab, ba;
  ASSERT_TRUE(a.agree(b, ab));
  ASSERT_TRUE(b.agree(a, ba));
  EXPECT_EQ(hex(ab), test::kB3K);
  EXPECT_EQ(hex(ba), test::kB3K);
}

TEST(CryptoKeys, B3Kbkdf) {
  SharedKey k = test::key_of(test::kB3K);
  uint8_t k0[48], k1[48];
  kbkdf_hmac_sha384(k, '0', k0);
  kbkdf_hmac_sha384(k, '1', k1);
  EXPECT_EQ(hex(k0, 48), test::kB3K0);
  EXPECT_EQ(hex(k1, 48), test::kB3K1);
}

TEST(CryptoKeys, AgreeNeedsPrivateAndRejectsDegenerateKey) {
  Identity a = parse(test::kIdentityA);
  auto b_pub = Identity::from_string(parse(test::kIdentityB).to_string(false));
  ASSERT_TRUE(b_pub);
  SharedKey out;
  EXPECT_FALSE(b_pub->agree(a, out));
  // An all-zero X25519 public key is of small order: the result is zero.
  std::string zero_x = "f07ab477c4:0:" + std::string(64, '0') +
                       std::string(test::kIdentityB).substr(13 + 64, 64);
  auto degenerate = Identity::from_string(zero_x);
  ASSERT_TRUE(degenerate);
  EXPECT_FALSE(a.agree(*degenerate, out));
}

TEST(CryptoSignature, B6ExactBytesAndVerify) {
  Identity a = parse(test::kIdentityA);
  Signature sig = a.sign(bytes(test::kB6Message));
  EXPECT_EQ(hex(sig), test::kB6Signature);
  EXPECT_TRUE(a.verify(bytes(test::kB6Message), sig));
  // The public-only identity verifies too.
  auto pub = Identity::from_string(a.to_string(false));
  ASSERT_TRUE(pub);
  EXPECT_TRUE(pub->verify(bytes(test::kB6Message), sig));
  // And the raw C25519 form is the same thing.
  EXPECT_EQ(hex(c25519_sign(a.private_key(), a.public_key(), bytes(test::kB6Message))),
            test::kB6Signature);
}

TEST(CryptoSignature, VerifyRejectsTampering) {
  Identity a = parse(test::kIdentityA), b = parse(test::kIdentityB);
  const auto msg = bytes(test::kB6Message);
  Signature sig = a.sign(msg);
  EXPECT_FALSE(b.verify(msg, sig));  // wrong key
  EXPECT_FALSE(a.verify(bytes("zerotier signature tesT"), sig));
  for (size_t i = 0; i < sig.size(); i += 7) {  // a flipped bit anywhere
    Signature bad = sig;
    bad[i] ^= 0x01;
    EXPECT_FALSE(a.verify(msg, bad)) << i;
  }
  // Only 96-byte signatures are accepted.
  EXPECT_FALSE(a.verify(msg, std::span(sig.data(), 95)));
  std::vector<uint8_t> longer(sig.begin(), sig.end());
  longer.push_back(0);
  EXPECT_FALSE(a.verify(msg, longer));
  EXPECT_FALSE(a.verify(msg, std::span<const uint8_t>()));
  // Without a private key sign() yields a signature that never verifies.
  auto pub = Identity::from_string(a.to_string(false));
  ASSERT_TRUE(pub);
  EXPECT_FALSE(pub->verify(msg, pub->sign(msg)));
}

TEST(CryptoSignature, RoundTripRandomMessagesAndKeys) {
  PublicKey pub;
  PrivateKey priv;
  c25519_generate(pub, priv);
  uint8_t x[32];
  ASSERT_EQ(crypto_scalarmult_base(x, priv.data()), 0);
  EXPECT_EQ(0, std::memcmp(x, pub.data(), 32));
  std::vector<uint8_t> msg;
  for (int len = 0; len < 600; len += 37) {
    msg.resize(len);
    if (!msg.empty()) randombytes_buf(msg.data(), msg.size());
    Signature s = c25519_sign(priv, pub, msg);
    EXPECT_TRUE(c25519_verify(pub, msg, s)) << len;
    if (len > 0) {
      msg[len / 2] ^= 0x80;
      EXPECT_FALSE(c25519_verify(pub, msg, s)) << len;
    }
  }
}

// B.7: the signed message is the Q qualifiers (24 bytes each) and nothing
// else (spec §10.5); the signer address follows, then 96 signature bytes.
TEST(CryptoSignature, B7CertificateOfMembershipVerifiesWithA) {
  auto com = unhex(test::kB7Com);
  ASSERT_EQ(com.size(), 272u);
  ASSERT_EQ(com[0], 1);
  const size_t q = size_t(com[1]) << 8 | com[2];
  ASSERT_EQ(q, 7u);
  const size_t signer_at = 3 + 24 * q;
  EXPECT_EQ(hex(com.data() + signer_at, 5), "36885e5e08");
  ASSERT_EQ(signer_at + 5 + 96, com.size());
  const std::span<const uint8_t> signed_part(com.data() + 3, 24 * q);
  const std::span<const uint8_t> sig(com.data() + signer_at + 5, 96);

  Identity a = parse(test::kIdentityA), b = parse(test::kIdentityB);
  EXPECT_TRUE(a.verify(signed_part, sig));
  EXPECT_FALSE(b.verify(signed_part, sig));
  // The signature is deterministic (Ed25519), so A re-signs it exactly.
  EXPECT_EQ(hex(a.sign(signed_part)), hex(sig.data(), sig.size()));
  com[3 + 24 + 10] ^= 1;  // tamper with a qualifier value
  EXPECT_FALSE(a.verify(signed_part, sig));
}

}  // namespace
}  // namespace flatnet::crypto
