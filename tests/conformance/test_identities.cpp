// Stock identities: every identity file of the vectors parses, validates
// (memory-hard check), prints back byte for byte; the stock signature of
// message.txt verifies and ours is identical (Ed25519 is deterministic).
#include <gtest/gtest.h>

#include "crypto/identity.hpp"
#include "tests/conformance/run_tool.hpp"
#include "tests/conformance/vectors.hpp"

using namespace flatnet;
using namespace flatnet::conformance;
namespace fs = std::filesystem;

namespace {

std::vector<fs::path> identity_files(const fs::path& v) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(v / "identities")) {
    const auto ext = e.path().extension();
    if (ext == ".public" || ext == ".secret") out.push_back(e.path());
  }
  for (const auto& t : fs::directory_iterator(v)) {
    if (!t.is_directory() || t.path().filename().string().rfind("testnet-", 0) != 0) continue;
    if (!fs::is_directory(t.path() / "nodes")) continue;
    for (const auto& n : fs::directory_iterator(t.path() / "nodes"))
      for (const char* f : {"identity.public", "identity.secret"})
        if (fs::exists(n.path() / f)) out.push_back(n.path() / f);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST(ConformanceIdentity, EveryStockIdentityValidatesAndRoundTrips) {
  FLATNET_REQUIRE_VECTORS(V);
  const auto files = identity_files(V);
  size_t secrets = 0, publics = 0;
  for (const auto& f : files) {
    SCOPED_TRACE(f.string());
    const std::string text = read_text(f);
    std::string err;
    auto id = crypto::Identity::from_string(text, &err);
    ASSERT_TRUE(id) << err;
    EXPECT_TRUE(id->locally_validate());
    const bool secret = f.extension() == ".secret";
    EXPECT_EQ(id->has_private(), secret);
    EXPECT_EQ(id->to_string(secret), text);  // stock files: no trailing newline
    if (secret) {
      ++secrets;
      // getpublic == the .public file next to it
      const auto pub = fs::path(f).replace_extension(".public");
      ASSERT_TRUE(fs::exists(pub));
      EXPECT_EQ(id->to_string(false), read_text(pub));
    } else {
      ++publics;
    }
    // binary form round trip
    std::vector<uint8_t> bin;
    id->append_binary(bin, secret);
    size_t used = 0;
    auto back = crypto::Identity::from_binary(bin, &used);
    ASSERT_TRUE(back);
    EXPECT_EQ(used, bin.size());
    EXPECT_EQ(*back, *id);
  }
  // 3 in identities/ + 3 nodes in each of the 6 testnets.
  EXPECT_EQ(secrets, 21u);
  EXPECT_EQ(publics, 21u);
  RecordProperty("identity_files", int(files.size()));
}

TEST(ConformanceIdentity, MessageSignature) {
  FLATNET_REQUIRE_VECTORS(V);
  const auto dir = V / "identities";
  auto id1 = crypto::Identity::from_string(read_text(dir / "id1.secret"));
  auto id1pub = crypto::Identity::from_string(read_text(dir / "id1.public"));
  auto id2 = crypto::Identity::from_string(read_text(dir / "id2.public"));
  ASSERT_TRUE(id1 && id1pub && id2);
  const auto msg = read_bytes(dir / "message.txt");
  std::string sighex = read_text(dir / "message.txt.id1.sig");
  while (!sighex.empty() && isspace(static_cast<unsigned char>(sighex.back()))) sighex.pop_back();
  ASSERT_EQ(sighex.size(), 192u);
  std::vector<uint8_t> sig;
  for (size_t i = 0; i < sighex.size(); i += 2)
    sig.push_back(uint8_t(std::stoul(sighex.substr(i, 2), nullptr, 16)));
  EXPECT_TRUE(id1pub->verify(msg, sig));
  EXPECT_FALSE(id2->verify(msg, sig));
  auto bad = sig;
  bad[10] ^= 1;
  EXPECT_FALSE(id1pub->verify(msg, bad));
  auto badmsg = msg;
  badmsg.push_back('x');
  EXPECT_FALSE(id1pub->verify(badmsg, sig));
  const auto ours = id1->sign(msg);
  EXPECT_TRUE(std::equal(ours.begin(), ours.end(), sig.begin()));
}

TEST(ConformanceIdentity, IdtoolCommandLine) {
  FLATNET_REQUIRE_VECTORS(V);
  if (!std::getenv("FLATNET_IDTOOL")) GTEST_SKIP() << "FLATNET_IDTOOL not set (run via meson test)";
  const auto dir = V / "identities";
  const std::string sec = shell_quote((dir / "id1.secret").string());
  const std::string pub = shell_quote((dir / "id1.public").string());
  const std::string msg = shell_quote((dir / "message.txt").string());
  const std::string sigf = shell_quote((dir / "message.txt.id1.sig").string());

  auto r = run_idtool("validate " + sec);
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, (dir / "id1.secret").string() + " is a valid identity\n");
  r = run_idtool("getpublic " + sec);
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, read_text(dir / "id1.public"));
  r = run_idtool("sign " + sec + " " + msg);
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, read_text(dir / "message.txt.id1.sig"));
  r = run_idtool("sign " + pub + " " + msg);
  EXPECT_EQ(r.status, 1);  // no private key
  r = run_idtool("verify " + pub + " " + msg + " " + shell_quote(read_text(dir / "message.txt.id1.sig")));
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, (dir / "message.txt").string() + " signature valid\n");
  r = run_idtool("verify " + pub + " " + msg + " " + sigf);  // signature given as a file
  EXPECT_EQ(r.status, 0);
  r = run_idtool("verify " + shell_quote((dir / "id2.public").string()) + " " + msg + " " + sigf);
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "");
  // Literal identity on the command line (stock: > 32 chars and ':' at 10).
  r = run_idtool("validate " + shell_quote(read_text(dir / "id2.public")));
  EXPECT_EQ(r.status, 0);
  // A tampered identity fails the memory-hard check.
  std::string t = read_text(dir / "id2.public");
  t[20] = t[20] == '0' ? '1' : '0';
  r = run_idtool("validate " + shell_quote(t));
  EXPECT_EQ(r.status, 1);
  r = run_idtool("bogus");
  EXPECT_EQ(r.status, 1);
  r = run_idtool("");
  EXPECT_EQ(r.status, 1);
}

TEST(ConformanceIdentity, IdtoolGenerateAndErrors) {
  // Not vector-based, but needs the built tool: generate writes stock-format
  // files that validate; bad arguments give stock's messages and exit codes.
  if (!std::getenv("FLATNET_IDTOOL")) GTEST_SKIP() << "FLATNET_IDTOOL not set (run via meson test)";
  const fs::path tmp = fs::temp_directory_path() / ("flatnet-idtool-" + std::to_string(getpid()));
  fs::create_directories(tmp);
  auto r = run_idtool("generate id.secret id.public", tmp.string());
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "id.secret written\nid.public written\n");
  const std::string sec = read_text(tmp / "id.secret"), pub = read_text(tmp / "id.public");
  auto id = crypto::Identity::from_string(sec);
  ASSERT_TRUE(id);
  EXPECT_TRUE(id->has_private());
  EXPECT_TRUE(id->locally_validate());
  EXPECT_EQ(id->to_string(false), pub);
  EXPECT_EQ(sec.back() != '\n', true);  // stock writes no newline
  EXPECT_EQ(fs::status(tmp / "id.secret").permissions() & fs::perms::others_read, fs::perms::none);
  r = run_idtool("generate", tmp.string());
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(crypto::Identity::from_string(r.out).has_value());

  r = run_idtool("validate " + shell_quote((tmp / "missing").string()));
  EXPECT_EQ(r.status, 1);
  r = run_idtool("getpublic " + shell_quote((tmp / "missing").string()));
  EXPECT_EQ(r.status, 1);
  r = run_idtool("sign id.secret missing.txt", tmp.string());
  EXPECT_EQ(r.status, 1);
  r = run_idtool("verify id.public");  // too few arguments: help, exit 1
  EXPECT_EQ(r.status, 1);
  r = run_idtool("initmoon");          // stock quirk: help, exit 0
  EXPECT_EQ(r.status, 0);
  r = run_idtool("initmoon " + shell_quote((tmp / "missing").string()));
  EXPECT_EQ(r.status, 1);

  // genmoon error paths
  auto genmoon = [&](const std::string& json) {
    { std::ofstream(tmp / "m.json") << json; }
    return run_idtool("genmoon m.json --timestamp 1", tmp.string());
  };
  const std::string k64(128, 'a');
  const std::string keys = "\"signingKey\":\"" + k64 + "\",\"signingKey_SECRET\":\"" + k64 +
                           "\",\"updatesMustBeSignedBy\":\"" + k64 + "\"";
  EXPECT_EQ(genmoon("{\"id\":\"0\",\"worldType\":\"moon\"," + keys + "}").status, 1);
  EXPECT_EQ(genmoon("{\"id\":\"abc\",\"worldType\":\"star\"," + keys + "}").status, 1);
  EXPECT_EQ(genmoon("not json").status, 1);
  EXPECT_EQ(genmoon("{\"id\":\"abc\",\"worldType\":\"moon\",\"signingKey\":\"00\"}").status, 1);
  EXPECT_EQ(genmoon("{\"id\":\"abc\",\"worldType\":\"moon\"," + keys +
                    ",\"roots\":[{\"identity\":\"" + pub + "\",\"stableEndpoints\":[\"nonsense\"]}]}")
                .status,
            1);
  r = genmoon("{\"id\":\"abc\",\"worldType\":\"moon\"," + keys + ",\"roots\":[{\"identity\":\"" + pub +
              "\",\"stableEndpoints\":[\"10.0.0.1/9993\"]}]}");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "wrote 0000000000000abc.moon (signed world with timestamp 1)\n");
  fs::remove_all(tmp);
}
