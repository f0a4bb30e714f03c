// Identities and a signature made by stock zerotier-idtool 1.14.1
// ($FLATNET_VECTORS/zerotier-1.14.1/identities): they parse, validate,
// print back byte-for-byte (no trailing newline) and the signature matches.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "crypto/identity.hpp"
#include "tests/unit/crypto/appendix_b.hpp"

namespace flatnet::crypto {
namespace {

namespace fs = std::filesystem;

// The identities folder, or empty after failing (CI) / skipping (elsewhere).
fs::path vectors_dir() {
  const char* env = std::getenv("FLATNET_VECTORS");
  fs::path dir = fs::path(env ? env : "") / "zerotier-1.14.1" / "identities";
  if (env && fs::is_directory(dir)) return dir;
  return {};
}

#define REQUIRE_VECTORS(dir)                                                            \
  const fs::path dir = vectors_dir();                                                   \
  if (dir.empty()) {                                                                    \
    const char* ci = std::getenv("CI");                                                 \
    if (ci && std::string(ci) == "true")                                                \
      FAIL() << "FLATNET_VECTORS/zerotier-1.14.1/identities missing (CI=true)";         \
    GTEST_SKIP() << "stock vectors not found: set FLATNET_VECTORS to the vectors folder"; \
  }

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::span<const uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

TEST(CryptoStockIdentities, ParseValidateAndPrintIdentically) {
  REQUIRE_VECTORS(dir);
  const char* expect_addr[] = {"c08a587dbd", "1437911f08", "dbda089d03"};
  for (int i = 1; i <= 3; ++i) {
    const std::string n = "id" + std::to_string(i);
    const std::string secret_text = slurp(dir / (n + ".secret"));
    const std::string public_text = slurp(dir / (n + ".public"));
    std::string err;
    auto sec = Identity::from_string(secret_text, &err);
    ASSERT_TRUE(sec) << n << ": " << err;
    auto pub = Identity::from_string(public_text, &err);
    ASSERT_TRUE(pub) << n << ": " << err;
    EXPECT_EQ(sec->address_string(), expect_addr[i - 1]);
    EXPECT_TRUE(*sec == *pub);
    EXPECT_TRUE(sec->locally_validate()) << n;
    EXPECT_TRUE(pub->locally_validate()) << n;
    // zerotier-idtool writes exactly what to_string produces.
    EXPECT_EQ(sec->to_string(true), secret_text) << n;
    EXPECT_EQ(sec->to_string(false), public_text) << n;
    EXPECT_EQ(pub->to_string(true), public_text) << n;
  }
}

TEST(CryptoStockIdentities, IdtoolSignatureVerifiesAndIsReproduced) {
  REQUIRE_VECTORS(dir);
  const std::string msg = slurp(dir / "message.txt");
  const std::string sig_hex = slurp(dir / "message.txt.id1.sig");
  ASSERT_EQ(sig_hex.size(), 192u);
  const auto sig = test::unhex(sig_hex);
  auto id1 = Identity::from_string(slurp(dir / "id1.secret"));
  auto id2 = Identity::from_string(slurp(dir / "id2.public"));
  ASSERT_TRUE(id1 && id2);
  EXPECT_TRUE(id1->verify(bytes(msg), sig));
  EXPECT_FALSE(id2->verify(bytes(msg), sig));
  EXPECT_EQ(test::hex(id1->sign(bytes(msg))), sig_hex);  // Ed25519 is deterministic
  std::string changed = msg;
  changed[0] ^= 0x20;
  EXPECT_FALSE(id1->verify(bytes(changed), sig));
}

}  // namespace
}  // namespace flatnet::crypto
