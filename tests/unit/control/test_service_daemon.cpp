// flatnetd's Daemon over a fake backend wired to in-memory cores (a planet
// root that relays, and a moon root): a planet update from the root is
// written to <home>/planet; orbit through a seed is listed as waiting, then
// the fetched moon is written to moons.d/<16-hex id>.moon; deorbit removes
// it; orbit from a .moon already in moons.d needs no seed; refusals carry
// a sentence.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include "control/service/daemon.hpp"
#include "tests/unit/control/harness.hpp"

namespace flatnet::control::service {
namespace {

using test::v4;

// The daemon's datagrams go into a FakeNet; what the net sends to the
// daemon's address comes back through poll(). Every call but wait() runs
// under the daemon's mutex, so the net is used by one thread at a time.
class NetBackend final : public Backend {
 public:
  NetBackend(test::FakeNet& net, const wire::InetAddress& me) : net_(net), me_(me) {}
  unsigned poll(const BackendEvents& ev, unsigned budget) override {
    unsigned n = 0;
    while (n < budget && !net_.outside.empty()) {
      test::FakeNet::Seen s = std::move(net_.outside.front());
      net_.outside.erase(net_.outside.begin());
      if (!(s.to == me_)) continue;
      ev.datagram(PhysicalPath{0, s.from}, s.bytes);
      ++n;
    }
    return n;
  }
  bool send(const SendDatagram& d) override {
    net_.pump_from(me_, {d}, mono_ms());
    return true;
  }
  bool table(const TableCommand&) override { return true; }
  void wait(int ms) override { std::this_thread::sleep_for(std::chrono::milliseconds(std::min(ms, 5))); }
  int64_t local_socket() const override { return 0; }
  uint16_t port() const override { return me_.port; }
  std::string describe() const override { return "fake net"; }

 private:
  test::FakeNet& net_;
  wire::InetAddress me_;
};

const crypto::Identity& moon_root_identity() {
  static const crypto::Identity id = crypto::Identity::generate();
  return id;
}

class DaemonWorlds : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("flatnet-daemon-worlds-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    stop_ = true;
    if (loop_.joinable()) loop_.join();
    std::filesystem::remove_all(dir_);
  }
  void start(const wire::World& planet) {
    Home h;
    h.dir = dir_.string();
    h.identity = a_;
    h.planet = planet;
    net_.externals[a_.address()] = a_at_;
    daemon_ = std::make_unique<Daemon>(h, std::make_unique<NetBackend>(net_, a_at_),
                                       DaemonOptions{h.dir, LogLevel::kWarn, {}});
    loop_ = std::thread([this] { daemon_->run(stop_); });
  }
  template <typename F>
  bool eventually(F&& f) {
    for (int i = 0; i < 500; ++i) {
      if (f()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  std::filesystem::path dir_;
  test::FakeNet net_;
  crypto::Identity root_ = test::root_identity();
  crypto::Identity a_ = test::parse_identity(test::kIdentityA);
  crypto::Identity mr_ = moon_root_identity();
  wire::InetAddress root_at_ = v4(10, 98, 0, 1), a_at_ = v4(10, 98, 0, 11),
                    mr_at_ = v4(10, 98, 0, 21);
  std::unique_ptr<Daemon> daemon_;
  std::atomic<bool> stop_{false};
  std::thread loop_;
};

TEST_F(DaemonWorlds, PlanetUpdateAndFetchedMoonArePersistedDeorbitRemovesTheMoon) {
  test::WorldKey k1 = test::world_key(), k2 = test::world_key(), mk = test::world_key();
  const wire::World p1 =
      test::make_world(wire::WorldType::kPlanet, 4242, 1000, {{root_, root_at_}}, k1, k1);
  const wire::World p2 =
      test::make_world(wire::WorldType::kPlanet, 4242, 2000, {{root_, root_at_}}, k1, k2);
  const wire::World moon =
      test::make_world(wire::WorldType::kMoon, mr_.address(), 5000, {{mr_, mr_at_}}, mk, mk);
  const uint64_t now = mono_ms();
  Config c;
  c.identity = root_;
  c.planet = p2;
  net_.add("root", c, root_at_, now);
  net_.relays.insert("root");
  c.identity = mr_;
  c.moons.push_back(moon);
  test::Node& m = net_.add("moon", c, mr_at_, now);
  Actions hello;
  m.core->hello_upstreams(0, now, hello);
  net_.pump("moon", hello, now);  // the planet root now knows the moon root

  start(p1);
  // The first HELLO round brings p2; it is written where stock keeps it.
  ASSERT_TRUE(eventually([&] { return daemon_->node().planet_timestamp == 2000; }));
  wire::World saved;
  std::string why;
  ASSERT_TRUE(read_world_file((dir_ / "planet").string(), saved, &why)) << why;
  EXPECT_EQ(saved.timestamp, 2000u);

  std::string err;
  ASSERT_TRUE(daemon_->orbit(moon.id, mr_.address(), &err)) << err;
  char name[40];
  std::snprintf(name, sizeof name, "%016llx.moon", static_cast<unsigned long long>(moon.id));
  const auto file = dir_ / "moons.d" / name;
  ASSERT_TRUE(eventually([&] {
    auto ms = daemon_->moons();
    return ms.size() == 1 && !ms[0].waiting;
  }));
  auto ms = daemon_->moons();
  EXPECT_EQ(ms[0].id, moon.id);
  EXPECT_EQ(ms[0].seed, mr_.address());
  EXPECT_EQ(ms[0].timestamp, 5000u);
  ASSERT_EQ(ms[0].roots.size(), 1u);
  EXPECT_EQ(ms[0].roots[0], mr_.address());
  ASSERT_TRUE(eventually([&] { return std::filesystem::exists(file); }));
  ASSERT_TRUE(read_world_file(file.string(), saved, &why)) << why;
  EXPECT_EQ(saved.id, moon.id);
  EXPECT_EQ(saved.timestamp, 5000u);

  ASSERT_TRUE(daemon_->deorbit(moon.id, &err)) << err;
  EXPECT_TRUE(daemon_->moons().empty());
  EXPECT_FALSE(std::filesystem::exists(file));
  EXPECT_FALSE(daemon_->deorbit(moon.id, &err));
  EXPECT_NE(err.find("not orbiting"), std::string::npos) << err;

  // A .moon already in moons.d (under any name) is joined without a seed,
  // and deorbit removes it.
  std::vector<uint8_t> bytes;
  ASSERT_TRUE(wire::serialize_world(moon, bytes));
  const auto other = dir_ / "moons.d" / "mine.moon";
  ASSERT_TRUE(write_file_atomic(file.string(), std::string(bytes.begin(), bytes.end()), 0644));
  ASSERT_TRUE(write_file_atomic(other.string(), std::string(bytes.begin(), bytes.end()), 0644));
  ASSERT_TRUE(daemon_->orbit(moon.id, 0, &err)) << err;
  ms = daemon_->moons();
  ASSERT_EQ(ms.size(), 1u);
  EXPECT_FALSE(ms[0].waiting);
  EXPECT_EQ(ms[0].seed, 0u);
  ASSERT_TRUE(daemon_->deorbit(moon.id, &err)) << err;
  EXPECT_FALSE(std::filesystem::exists(file));
  EXPECT_FALSE(std::filesystem::exists(other));
}

TEST_F(DaemonWorlds, WaitingOrbitIsListedAndRefusalsSaySo) {
  test::WorldKey k = test::world_key();
  const wire::World p1 =
      test::make_world(wire::WorldType::kPlanet, 4242, 1000, {{root_, root_at_}}, k, k);
  start(p1);  // no root answers: the seed is never found
  std::string err;
  EXPECT_FALSE(daemon_->orbit(0x1122334455ULL, 0, &err));
  EXPECT_NE(err.find("moons.d"), std::string::npos) << err;
  EXPECT_FALSE(daemon_->orbit(0x1122334455ULL, a_.address(), &err));
  EXPECT_NE(err.find("seed"), std::string::npos) << err;
  ASSERT_TRUE(daemon_->orbit(0x1122334455ULL, 0x5544332211ULL, &err)) << err;
  auto ms = daemon_->moons();
  ASSERT_EQ(ms.size(), 1u);
  EXPECT_TRUE(ms[0].waiting);
  EXPECT_EQ(ms[0].id, 0x1122334455ULL);
  EXPECT_EQ(ms[0].seed, 0x5544332211ULL);
  EXPECT_TRUE(ms[0].roots.empty());
  ASSERT_TRUE(daemon_->deorbit(0x1122334455ULL, &err)) << err;
  EXPECT_TRUE(daemon_->moons().empty());
}

}  // namespace
}  // namespace flatnet::control::service
