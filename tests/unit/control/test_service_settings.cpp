// flatnetd settings: local.conf, the flatnet JSON config, precedence, and
// the home directory (identity and token created 0600, stock identity
// files used as they are, planet required).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "control/service/settings.hpp"
#include "tests/unit/control/harness.hpp"

namespace flatnet::control::service {
namespace {

TEST(ServiceSettings, LocalConfKnownKeysAndUnknownReported) {
  SettingsLayer l;
  std::vector<std::string> unknown;
  std::string err;
  ASSERT_TRUE(parse_local_conf(
      R"({"settings":{"primaryPort":19993,"allowSecondaryPort":false,"portMappingEnabled":true},
          "physical":{}})",
      l, &unknown, &err))
      << err;
  EXPECT_EQ(l.primary_port, 19993);
  EXPECT_EQ(l.allow_secondary_port, false);
  ASSERT_EQ(unknown.size(), 2u);
  EXPECT_EQ(unknown[0], "physical");
  EXPECT_EQ(unknown[1], "settings.portMappingEnabled");
}

TEST(ServiceSettings, BadValuesNameTheKey) {
  SettingsLayer l;
  std::string err;
  EXPECT_FALSE(parse_local_conf(R"({"settings":{"primaryPort":"x"}})", l, nullptr, &err));
  EXPECT_NE(err.find("settings.primaryPort"), std::string::npos) << err;
  EXPECT_FALSE(parse_local_conf(R"({"settings":{"primaryPort":70000}})", l, nullptr, &err));
  EXPECT_FALSE(parse_local_conf("not json", l, nullptr, &err));
  EXPECT_FALSE(parse_flatnet_config(R"({"primaryPorts":1})", l, &err));
  EXPECT_NE(err.find("primaryPorts"), std::string::npos) << err;
  EXPECT_FALSE(parse_flatnet_config(R"({"logLevel":"loud"})", l, &err));
  EXPECT_NE(err.find("logLevel"), std::string::npos) << err;
  EXPECT_FALSE(parse_flatnet_config(R"({"allowSecondaryPort":1})", l, &err));
  EXPECT_NE(err.find("allowSecondaryPort"), std::string::npos) << err;
}

TEST(ServiceSettings, PrecedenceCommandLineConfigLocalConfDefaults) {
  SettingsLayer cli, conf, local;
  std::string err;
  ASSERT_TRUE(parse_local_conf(R"({"settings":{"primaryPort":1111,"allowSecondaryPort":true}})",
                               local, nullptr, &err));
  ASSERT_TRUE(parse_flatnet_config(R"({"primaryPort":2222,"logLevel":"warn"})", conf, &err));
  Settings s = merge({&cli, &conf, &local});
  EXPECT_EQ(s.primary_port, 2222);
  EXPECT_TRUE(s.allow_secondary_port);
  EXPECT_EQ(s.log_level, "warn");
  EXPECT_EQ(s.api_bind, "127.0.0.1");  // default
  cli.primary_port = 3333;
  EXPECT_EQ(merge({&cli, &conf, &local}).primary_port, 3333);
  EXPECT_EQ(merge({}).primary_port, 9993);
}

class HomeDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("flatnet-home-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void write_planet() {
    auto root = test::parse_identity(test::kIdentityB);
    wire::World w = test::make_planet(root, test::v4(10, 1, 2, 3));
    std::vector<uint8_t> bin;
    ASSERT_TRUE(wire::serialize_world(w, bin));
    ASSERT_TRUE(write_file_atomic(dir_ / "planet", std::string(bin.begin(), bin.end()), 0644));
  }
  static unsigned mode(const std::filesystem::path& p) {
    struct stat st {};
    ::stat(p.c_str(), &st);
    return st.st_mode & 0777;
  }
  std::filesystem::path dir_;
};

TEST_F(HomeDir, PlanetIsRequired) {
  Home h;
  std::string err;
  EXPECT_FALSE(load_home(dir_, "", h, nullptr, &err));
  EXPECT_NE(err.find("planet"), std::string::npos) << err;
}

TEST_F(HomeDir, StockIdentityFileIsUsedAsIs) {
  write_planet();
  ASSERT_TRUE(write_file_atomic(dir_ / "identity.secret", std::string(test::kIdentityA) + "\n",
                                0600));
  Home h;
  std::string err;
  ASSERT_TRUE(load_home(dir_, "", h, nullptr, &err)) << err;
  EXPECT_FALSE(h.identity_created);
  EXPECT_EQ(h.identity.address_string(), "36885e5e08");
  EXPECT_TRUE(h.identity.has_private());
  EXPECT_EQ(h.planet.type, wire::WorldType::kPlanet);
  // The token is created once, 0600, and kept.
  EXPECT_EQ(mode(dir_ / "authtoken.secret"), 0600u);
  ASSERT_FALSE(h.authtoken.empty());
  Home again;
  ASSERT_TRUE(load_home(dir_, "", again, nullptr, &err)) << err;
  EXPECT_EQ(again.authtoken, h.authtoken);
}

TEST_F(HomeDir, IdentityCreatedOnFirstStartWithSecretMode0600) {
  write_planet();
  Home h;
  std::string err;
  std::vector<std::string> notes;
  ASSERT_TRUE(load_home(dir_, "", h, &notes, &err)) << err;
  EXPECT_TRUE(h.identity_created);
  EXPECT_EQ(mode(dir_ / "identity.secret"), 0600u);
  std::string pub;
  ASSERT_TRUE(read_file(dir_ / "identity.public", pub));
  EXPECT_EQ(pub, h.identity.to_string(false));
  EXPECT_EQ(pub.find(h.identity.to_string(true).substr(pub.size())), std::string::npos);
  Home again;
  ASSERT_TRUE(load_home(dir_, "", again, nullptr, &err)) << err;
  EXPECT_FALSE(again.identity_created);
  EXPECT_EQ(again.identity.address(), h.identity.address());
}

TEST_F(HomeDir, BrokenIdentityAndBadMoonsAreReported) {
  write_planet();
  ASSERT_TRUE(write_file_atomic(dir_ / "identity.secret", "garbage", 0600));
  Home h;
  std::string err;
  EXPECT_FALSE(load_home(dir_, "", h, nullptr, &err));
  EXPECT_NE(err.find("identity.secret"), std::string::npos) << err;
  ASSERT_TRUE(write_file_atomic(dir_ / "identity.secret", test::kIdentityA, 0600));
  std::filesystem::create_directories(dir_ / "moons.d");
  ASSERT_TRUE(write_file_atomic(dir_ / "moons.d" / "0000000000000001.moon", "xx", 0644));
  std::vector<std::string> notes;
  ASSERT_TRUE(load_home(dir_, "", h, &notes, &err)) << err;
  EXPECT_TRUE(h.moons.empty());
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("skipping moon"), std::string::npos);
}

}  // namespace
}  // namespace flatnet::control::service
