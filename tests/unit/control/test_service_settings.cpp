// flatnetd settings: local.conf, the flatnet JSON config, precedence, and
// the home directory (identity and token created 0600, stock identity
// files used as they are, planet required). Files that must not be lost:
// an identity.secret or authtoken.secret that cannot be read (EACCES for
// the user flatnetd runs as, a directory, a fifo), is truncated or has a
// bit flipped stops the start with a message and is left exactly as it was.
#include <gtest/gtest.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

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

TEST(ServiceSettings, ControllerIsOnByDefaultAndOffWithASetting) {
  SettingsLayer conf, cli;
  std::string err;
  EXPECT_TRUE(merge({}).controller);
  EXPECT_EQ(merge({}).controller_db, "");
  ASSERT_TRUE(parse_flatnet_config(R"({"controller":false,"controllerDb":"/x/c.db"})", conf, &err));
  EXPECT_FALSE(merge({&cli, &conf}).controller);
  EXPECT_EQ(merge({&cli, &conf}).controller_db, "/x/c.db");
  cli.controller = true;
  EXPECT_TRUE(merge({&cli, &conf}).controller);
  EXPECT_FALSE(parse_flatnet_config(R"({"controller":"no"})", conf, &err));
  EXPECT_NE(err.find("controller"), std::string::npos) << err;
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

// The whole file as bytes and its inode: "left exactly as it was".
struct Snapshot {
  std::string bytes;
  ino_t inode = 0;
  bool operator==(const Snapshot&) const = default;
};
Snapshot snapshot(const std::filesystem::path& p) {
  Snapshot s;
  struct stat st {};
  if (::lstat(p.c_str(), &st) == 0) s.inode = st.st_ino;
  read_file(p, s.bytes);
  return s;
}

// The reproduced bug: flatnetd running as a user whose home is writable but
// whose identity.secret it cannot read (root-owned 0600) made a new identity
// and renamed it over the old one. Tests run as root, whom file modes do not
// stop, so the load runs in a child that has dropped to `nobody`.
TEST_F(HomeDir, IdentitySecretUnreadableForOurUserStopsTheStartAndIsKept) {
  write_planet();
  ASSERT_TRUE(write_file_atomic(dir_ / "identity.secret", test::kIdentityA, 0600));
  const Snapshot before = snapshot(dir_ / "identity.secret");
  std::string err;
  Home h;
  bool ok;
  if (::geteuid() != 0) {
    ASSERT_EQ(::chmod((dir_ / "identity.secret").c_str(), 0), 0);
    ok = load_home(dir_, "", h, nullptr, &err);
  } else {
    const passwd* nobody = ::getpwnam("nobody");
    if (!nobody || nobody->pw_uid == 0) GTEST_SKIP() << "no unprivileged user 'nobody'";
    // The home is the unprivileged user's, the secret stays root's 0600.
    ASSERT_EQ(::chown(dir_.c_str(), nobody->pw_uid, nobody->pw_gid), 0);
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      std::string msg;
      if (::setgroups(0, nullptr) != 0 ||
          ::setresgid(nobody->pw_gid, nobody->pw_gid, nobody->pw_gid) != 0 ||
          ::setresuid(nobody->pw_uid, nobody->pw_uid, nobody->pw_uid) != 0) {
        msg = "S cannot drop privileges";
      } else {
        Home child;
        std::string e;
        msg = load_home(dir_, "", child, nullptr, &e) ? "T" : "F" + e;
      }
      (void)!::write(fds[1], msg.data(), msg.size());
      ::_exit(0);
    }
    ::close(fds[1]);
    std::string msg;
    char buf[512];
    for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) msg.append(buf, size_t(n));
    ::close(fds[0]);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_FALSE(msg.empty());
    if (msg[0] == 'S') GTEST_SKIP() << msg.substr(2);
    ok = msg[0] == 'T';
    err = msg.substr(1);
  }
  EXPECT_FALSE(ok) << "started with an identity.secret it cannot read";
  EXPECT_NE(err.find("identity.secret"), std::string::npos) << err;
  EXPECT_NE(err.find(std::strerror(EACCES)), std::string::npos) << err;
  EXPECT_NE(err.find("not starting"), std::string::npos) << err;
  EXPECT_TRUE(snapshot(dir_ / "identity.secret") == before) << "identity.secret was replaced";
  EXPECT_FALSE(std::filesystem::exists(dir_ / "identity.public"));
}

// Errors every user sees, root included: identity.secret is a directory
// (EISDIR) or a fifo (refused without blocking on it).
TEST_F(HomeDir, IdentitySecretThatIsNotAFileStopsTheStart) {
  write_planet();
  const auto secret = dir_ / "identity.secret";
  std::filesystem::create_directory(secret);
  Home h;
  std::string err;
  EXPECT_FALSE(load_home(dir_, "", h, nullptr, &err));
  EXPECT_NE(err.find(std::strerror(EISDIR)), std::string::npos) << err;
  EXPECT_TRUE(std::filesystem::is_directory(secret));
  std::filesystem::remove(secret);
  ASSERT_EQ(::mkfifo(secret.c_str(), 0600), 0);
  EXPECT_FALSE(load_home(dir_, "", h, nullptr, &err));
  EXPECT_NE(err.find("identity.secret"), std::string::npos) << err;
  EXPECT_NE(err.find(std::strerror(EINVAL)), std::string::npos) << err;
  EXPECT_TRUE(std::filesystem::is_fifo(secret));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "identity.public"));
}

TEST_F(HomeDir, AuthtokenThatCannotBeReadStopsTheStart) {
  write_planet();
  ASSERT_TRUE(write_file_atomic(dir_ / "identity.secret", test::kIdentityA, 0600));
  std::filesystem::create_directory(dir_ / "authtoken.secret");
  Home h;
  std::string err;
  EXPECT_FALSE(load_home(dir_, "", h, nullptr, &err));
  EXPECT_NE(err.find("authtoken.secret"), std::string::npos) << err;
  EXPECT_NE(err.find(std::strerror(EISDIR)), std::string::npos) << err;
  EXPECT_TRUE(std::filesystem::is_directory(dir_ / "authtoken.secret"));
}

// Cut short anywhere -- empty, inside the address, the public key, the
// private key, exactly after the public key (a public identity) -- the
// file is refused with a message and left as it was.
TEST_F(HomeDir, TruncatedIdentitySecretIsRefusedAndKept) {
  write_planet();
  const std::string full = test::kIdentityA;
  ASSERT_GT(full.size(), 200u);
  for (size_t len : {size_t(0), size_t(5), size_t(11), size_t(100), size_t(141), size_t(142),
                     size_t(200), full.size() - 1}) {
    SCOPED_TRACE("length " + std::to_string(len));
    ASSERT_TRUE(write_file_atomic(dir_ / "identity.secret", full.substr(0, len), 0600));
    const Snapshot before = snapshot(dir_ / "identity.secret");
    Home h;
    std::string err;
    EXPECT_FALSE(load_home(dir_, "", h, nullptr, &err));
    EXPECT_NE(err.find("identity.secret"), std::string::npos) << err;
    EXPECT_NE(err.find("not replacing it"), std::string::npos) << err;
    EXPECT_FALSE(h.identity_created);
    EXPECT_TRUE(snapshot(dir_ / "identity.secret") == before);
  }
  EXPECT_FALSE(std::filesystem::exists(dir_ / "identity.public"));
}

// One bit flipped where the parser cannot see it (a hex digit stays a hex
// digit): in the address, the public key, the private key. The full check
// finds each and says which part is wrong; a flip that breaks the syntax
// (the ':') is refused by the parser.
TEST_F(HomeDir, BitFlippedIdentitySecretIsRefusedAndKept) {
  write_planet();
  const std::string full = test::kIdentityA;
  auto is_hex = [](char c) { return std::isxdigit(uint8_t(c)) && !std::isupper(uint8_t(c)); };
  struct Case {
    size_t at;
    const char* says;
  } cases[] = {{3, "memory-hard hash"}, {40, "memory-hard hash"}, {200, "private key does not match"},
               {10, "identity: "}};
  for (const Case& c : cases) {
    SCOPED_TRACE("byte " + std::to_string(c.at));
    std::string text = full;
    for (int bit = 0; bit < 4; ++bit) {
      text[c.at] = char(full[c.at] ^ (1 << bit));
      if (full[c.at] == ':' || is_hex(text[c.at])) break;
    }
    ASSERT_NE(text, full);
    ASSERT_TRUE(write_file_atomic(dir_ / "identity.secret", text, 0600));
    const Snapshot before = snapshot(dir_ / "identity.secret");
    Home h;
    std::string err;
    EXPECT_FALSE(load_home(dir_, "", h, nullptr, &err));
    EXPECT_NE(err.find("identity.secret"), std::string::npos) << err;
    EXPECT_NE(err.find(c.says), std::string::npos) << err;
    EXPECT_TRUE(snapshot(dir_ / "identity.secret") == before);
  }
}

// identity.public is written when missing; one that disagrees with
// identity.secret is reported and left alone.
TEST_F(HomeDir, IdentityPublicThatDiffersIsReportedNotOverwritten) {
  write_planet();
  ASSERT_TRUE(write_file_atomic(dir_ / "identity.secret", test::kIdentityA, 0600));
  Home h;
  std::string err;
  std::vector<std::string> notes;
  ASSERT_TRUE(load_home(dir_, "", h, &notes, &err)) << err;
  std::string pub;
  ASSERT_TRUE(read_file(dir_ / "identity.public", pub));
  EXPECT_EQ(pub, h.identity.to_string(false));
  EXPECT_TRUE(notes.empty());
  const std::string other = test::parse_identity(test::kIdentityB).to_string(false);
  ASSERT_TRUE(write_file_atomic(dir_ / "identity.public", other, 0644));
  Home again;
  notes.clear();
  ASSERT_TRUE(load_home(dir_, "", again, &notes, &err)) << err;
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("does not match"), std::string::npos) << notes[0];
  ASSERT_TRUE(read_file(dir_ / "identity.public", pub));
  EXPECT_EQ(pub, other);
}

TEST(ServiceSettings, CheckSecretIdentityNamesWhatIsWrong) {
  crypto::Identity id;
  std::string err;
  EXPECT_TRUE(check_secret_identity(std::string(test::kIdentityA) + "\n", id, &err)) << err;
  EXPECT_EQ(id.address_string(), "36885e5e08");
  const std::string pub = test::parse_identity(test::kIdentityA).to_string(false);
  EXPECT_FALSE(check_secret_identity(pub, id, &err));
  EXPECT_NE(err.find("no private key"), std::string::npos) << err;
  EXPECT_FALSE(check_secret_identity("", id, &err));
  EXPECT_NE(err.find("empty"), std::string::npos) << err;
}

}  // namespace
}  // namespace flatnet::control::service
