// Stock planet and moon files: decode, re-serialize to identical bytes,
// signatures verify, the update rule accepts planet-new over planet-old, and
// our genmoon reproduces stock files byte for byte from their timestamps.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "dataplane/wire/world.hpp"
#include "tests/conformance/run_tool.hpp"
#include "tests/conformance/vectors.hpp"

using namespace flatnet;
using namespace flatnet::conformance;
using namespace flatnet::wire;
namespace fs = std::filesystem;

namespace {

std::vector<fs::path> world_files(const fs::path& v) {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(v)) {
    if (!e.is_regular_file()) continue;
    const auto name = e.path().filename().string();
    if (e.path().extension() == ".moon" || name == "planet" ||
        (e.path().extension() == ".bin" && name.find("planet") != std::string::npos))
      out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

struct KeyPair {
  crypto::PublicKey pub{};
  crypto::PrivateKey priv;
};

// <vectors>/world/*.c25519: 64-byte public || 64-byte private.
KeyPair load_c25519(const fs::path& p) {
  KeyPair k;
  const auto b = read_bytes(p);
  EXPECT_EQ(b.size(), 128u) << p;
  if (b.size() == 128) {
    std::copy(b.begin(), b.begin() + 64, k.pub.begin());
    std::copy(b.begin() + 64, b.end(), k.priv.bytes.begin());
  }
  return k;
}

std::string hex(const uint8_t* p, size_t n) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) { s += d[p[i] >> 4]; s += d[p[i] & 15]; }
  return s;
}

World load(const fs::path& p) {
  World w;
  const auto bin = read_bytes(p);
  size_t used = 0;
  EXPECT_EQ(deserialize_world(bin, w, &used), WorldStatus::kOk) << p;
  EXPECT_EQ(used, bin.size()) << p;
  return w;
}

}  // namespace

TEST(ConformanceWorld, EveryStockWorldRoundTripsAndVerifies) {
  FLATNET_REQUIRE_VECTORS(V);
  const auto files = world_files(V);
  const KeyPair key = load_c25519(V / "world" / "current.c25519");
  size_t planets = 0, moons = 0, earth = 0;
  for (const auto& f : files) {
    SCOPED_TRACE(f.string());
    const auto bin = read_bytes(f);
    World w;
    size_t used = 0;
    ASSERT_EQ(deserialize_world(bin, w, &used), WorldStatus::kOk);
    EXPECT_EQ(used, bin.size());
    std::vector<uint8_t> again;
    ASSERT_TRUE(serialize_world(w, again));
    EXPECT_EQ(again, bin);
    // First revisions are signed by the key they name for the next one.
    EXPECT_TRUE(world_verify(w, w.updates_must_be_signed_by));
    if (w.type == WorldType::kPlanet && w.id == kWorldIdEarth) {
      // testnet-moon's nodes kept the built-in Earth planet (Appendix A).
      ++earth;
      EXPECT_EQ(bin.size(), 570u);
      EXPECT_EQ(w.roots.size(), 4u);
      EXPECT_EQ(w.timestamp, 1644592324813u);
      for (const auto& r : w.roots) EXPECT_TRUE(r.identity.locally_validate());
      continue;
    }
    if (w.type == WorldType::kPlanet) {
      ++planets;
      EXPECT_EQ(w.id, 42424242u);
      EXPECT_EQ(w.updates_must_be_signed_by, key.pub);
      EXPECT_TRUE(world_verify(w, key.pub));
    } else {
      ++moons;
      EXPECT_EQ(w.id, 0x359e3db032u);
      EXPECT_TRUE(w.moon_dictionary.empty());
    }
    ASSERT_FALSE(w.roots.empty());
    EXPECT_EQ(w.roots[0].identity.address(), 0x359e3db032u);
    EXPECT_TRUE(w.roots[0].identity.locally_validate());
  }
  // world/planet.bin, 3 in testnet-worldupdate/ + testnet-ipv6/ world/,
  // 15 node planets, 3 node Earth planets (testnet-moon); world/ +
  // testnet-moon/world + 3 moons.d moons.
  EXPECT_EQ(planets, 19u);
  EXPECT_EQ(earth, 3u);
  EXPECT_EQ(moons, 5u);
}

TEST(ConformanceWorld, PlanetFields) {
  FLATNET_REQUIRE_VECTORS(V);
  World p = load(V / "world" / "planet.bin");
  EXPECT_EQ(p.type, WorldType::kPlanet);
  EXPECT_EQ(p.timestamp, 1795567005000u);
  ASSERT_EQ(p.roots.size(), 1u);
  ASSERT_EQ(p.roots[0].endpoints.size(), 1u);
  EXPECT_EQ(p.roots[0].endpoints[0].to_string(), "10.99.0.1/9993");
  World d = load(V / "testnet-ipv6" / "world" / "planet-dualstack.bin");
  ASSERT_EQ(d.roots.size(), 1u);
  ASSERT_EQ(d.roots[0].endpoints.size(), 2u);
  EXPECT_EQ(d.roots[0].endpoints[0].to_string(), "10.99.0.1/9993");
  EXPECT_EQ(d.roots[0].endpoints[1].to_string(), "fd99::1/9993");
  World m = load(V / "world" / "000000359e3db032.moon");
  EXPECT_EQ(m.type, WorldType::kMoon);
  EXPECT_EQ(m.timestamp, 1795567372370u);
}

TEST(ConformanceWorld, UpdateRuleOnStockPlanets) {
  FLATNET_REQUIRE_VECTORS(V);
  const auto dir = V / "testnet-worldupdate";
  World old_p = load(dir / "world" / "planet-old.bin");
  World new_p = load(dir / "world" / "planet-new.bin");
  EXPECT_TRUE(should_be_replaced_by(old_p, new_p));
  EXPECT_FALSE(should_be_replaced_by(new_p, old_p));  // older
  EXPECT_FALSE(should_be_replaced_by(new_p, new_p));  // not newer
  World forged = new_p;
  forged.timestamp += 1;  // signature no longer covers it
  EXPECT_FALSE(should_be_replaced_by(old_p, forged));
  World other_id = new_p;
  other_id.id = kWorldIdEarth;
  EXPECT_FALSE(should_be_replaced_by(old_p, other_id));
  // Both leaves saved planet-new after the run.
  for (const char* n : {"a", "b", "root"})
    EXPECT_EQ(read_bytes(dir / "nodes" / n / "planet"), read_bytes(dir / "world" / "planet-new.bin")) << n;
}

TEST(ConformanceWorld, CorruptStockWorldsRejected) {
  FLATNET_REQUIRE_VECTORS(V);
  for (const char* f : {"planet.bin", "000000359e3db032.moon"}) {
    SCOPED_TRACE(f);
    const auto bin = read_bytes(V / "world" / f);
    for (size_t n = 0; n < bin.size(); ++n) {
      World w;
      EXPECT_NE(deserialize_world({bin.data(), n}, w), WorldStatus::kOk) << n;
    }
    // Any single bit flipped anywhere: either it no longer parses, or the
    // signature no longer verifies with the original key.
    World orig = load(V / "world" / f);
    size_t rejected = 0;
    for (size_t i = 0; i < bin.size(); ++i) {
      auto b = bin;
      b[i] ^= uint8_t(1u << (i % 8));
      World w;
      if (deserialize_world(b, w) != WorldStatus::kOk ||
          !world_verify(w, orig.updates_must_be_signed_by))
        ++rejected;
    }
    EXPECT_EQ(rejected, bin.size());
  }
}

TEST(ConformanceWorld, GenmoonReproducesStockFiles) {
  FLATNET_REQUIRE_VECTORS(V);
  if (!std::getenv("FLATNET_IDTOOL")) GTEST_SKIP() << "FLATNET_IDTOOL not set (run via meson test)";
  const fs::path tmp = fs::temp_directory_path() / ("flatnet-genmoon-" + std::to_string(getpid()));
  fs::create_directories(tmp);

  // The stock moon from its JSON and timestamp.
  auto r = run_idtool("genmoon " + shell_quote((V / "world" / "moon.json").string()) +
                          " --timestamp 1795567372370",
                      tmp.string());
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "wrote 000000359e3db032.moon (signed world with timestamp 1795567372370)\n");
  EXPECT_EQ(read_bytes(tmp / "000000359e3db032.moon"), read_bytes(V / "world" / "000000359e3db032.moon"));

  // Each stock planet from a genmoon JSON with worldType "planet", the
  // current.c25519 key and the planet's timestamp. The endpoints are given
  // in reverse order: genmoon must sort them as stock does (IPv4 first).
  const KeyPair key = load_c25519(V / "world" / "current.c25519");
  for (const fs::path p : {V / "world" / "planet.bin", V / "testnet-worldupdate" / "world" / "planet-new.bin",
                           V / "testnet-ipv6" / "world" / "planet-dualstack.bin"}) {
    SCOPED_TRACE(p.string());
    World w = load(p);
    nlohmann::json j;
    j["objtype"] = "world";
    j["worldType"] = "planet";
    char idhex[17];
    std::snprintf(idhex, sizeof idhex, "%llx", (unsigned long long)w.id);
    j["id"] = idhex;
    j["signingKey"] = hex(key.pub.data(), 64);
    j["signingKey_SECRET"] = hex(key.priv.data(), 64);
    j["updatesMustBeSignedBy"] = hex(w.updates_must_be_signed_by.data(), 64);
    j["roots"] = nlohmann::json::array();
    for (const auto& root : w.roots) {
      nlohmann::json rj;
      rj["identity"] = root.identity.to_string(false);
      rj["stableEndpoints"] = nlohmann::json::array();
      for (auto it = root.endpoints.rbegin(); it != root.endpoints.rend(); ++it)
        rj["stableEndpoints"].push_back(it->to_string());
      j["roots"].push_back(rj);
    }
    const fs::path jf = tmp / "planet.json";
    { std::ofstream(jf) << j.dump(1); }
    r = run_idtool("genmoon " + shell_quote(jf.string()) + " --timestamp " + std::to_string(w.timestamp),
                   tmp.string());
    EXPECT_EQ(r.status, 0);
    char fn[32];
    std::snprintf(fn, sizeof fn, "%016llx.moon", (unsigned long long)w.id);
    EXPECT_EQ(read_bytes(tmp / fn), read_bytes(p));
  }

  // initmoon: the stock JSON shape (same keys as moon-init.json), a fresh
  // key pair, and genmoon accepts its output.
  r = run_idtool("initmoon " + shell_quote((V / "testnet-planet" / "nodes" / "root" / "identity.public").string()));
  EXPECT_EQ(r.status, 0);
  auto ours = nlohmann::json::parse(r.out, nullptr, false);
  auto stock = nlohmann::json::parse(read_text(V / "world" / "moon-init.json"), nullptr, false);
  ASSERT_TRUE(ours.is_object());
  for (auto& [k, v] : stock.items()) EXPECT_TRUE(ours.contains(k)) << k;
  EXPECT_EQ(ours.size(), stock.size());
  EXPECT_EQ(ours["id"], stock["id"]);
  EXPECT_EQ(ours["roots"], stock["roots"]);
  EXPECT_EQ(ours["signingKey"], ours["updatesMustBeSignedBy"]);
  EXPECT_NE(ours["signingKey"], stock["signingKey"]);  // fresh keys
  EXPECT_EQ(r.out.back(), '\n');
  EXPECT_EQ(r.out.substr(0, 3), "{\n ");  // stock indents by one space
  { std::ofstream(tmp / "init.json") << r.out; }
  r = run_idtool("genmoon init.json --timestamp 5", tmp.string());
  EXPECT_EQ(r.status, 0);
  World m = load(tmp / "000000359e3db032.moon");
  EXPECT_EQ(m.timestamp, 5u);
  EXPECT_TRUE(world_verify(m, m.updates_must_be_signed_by));
  fs::remove_all(tmp);
}
