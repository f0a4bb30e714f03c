// flatnetd's Daemon over a fake backend wired to in-memory cores (a planet
// root that relays, and a moon root): a planet update from the root is
// written to <home>/planet; orbit through a seed is listed as waiting, then
// the fetched moon is written to moons.d/<16-hex id>.moon; deorbit removes
// it; orbit from a .moon already in moons.d needs no seed; refusals carry
// a sentence.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
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
  // That OK(HELLO) timed the root's path: /peer shows a latency, not -1.
  int root_latency = -1;
  for (const PeerStatus& p : daemon_->peers())
    if (p.address == root_.address()) root_latency = p.latency_ms;
  EXPECT_GE(root_latency, 0);
  EXPECT_LT(root_latency, 0xffff);

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

// ---- StatusSource calls and the event loop ----------------------------------------

// A backend that makes the loop sleep for as long as the test wants: wait()
// blocks until release() (the loop idles, its mutex free), and, once stuck()
// is asked, poll() blocks too (a turn that does not end, mutex held).
class SleepyBackend final : public Backend {
 public:
  unsigned poll(const BackendEvents&, unsigned) override {
    std::unique_lock<std::mutex> g(m_);
    if (stick_) {
      in_poll_ = true;
      cv_.notify_all();
      cv_.wait_for(g, std::chrono::seconds(10), [&] { return released_; });
      in_poll_ = false;
    }
    return 0;
  }
  void wait(int) override {
    std::unique_lock<std::mutex> g(m_);
    if (released_) {  // the test is over: an ordinary short sleep
      g.unlock();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      return;
    }
    in_wait_ = true;
    cv_.notify_all();
    cv_.wait_for(g, std::chrono::seconds(10), [&] { return released_ || stick_; });
    in_wait_ = false;
    ++woken_;
  }
  bool send(const SendDatagram&) override { return true; }
  bool table(const TableCommand&) override { return true; }
  int64_t local_socket() const override { return 0; }
  uint16_t port() const override { return 9993; }
  std::string describe() const override { return "sleepy"; }

  bool wait_until(bool SleepyBackend::*flag) {
    std::unique_lock<std::mutex> g(m_);
    return cv_.wait_for(g, std::chrono::seconds(5), [&] { return this->*flag; });
  }
  void stuck() {
    std::lock_guard<std::mutex> g(m_);
    stick_ = true;
    cv_.notify_all();
  }
  void release() {
    std::lock_guard<std::mutex> g(m_);
    released_ = true;
    cv_.notify_all();
  }
  int woken() {
    std::lock_guard<std::mutex> g(m_);
    return woken_;
  }
  bool in_wait_ = false, in_poll_ = false;

 private:
  std::mutex m_;
  std::condition_variable cv_;
  bool stick_ = false, released_ = false;
  int woken_ = 0;
};

class DaemonLoop : public ::testing::Test {
 protected:
  void start(int api_wait_ms) {
    dir_ = std::filesystem::temp_directory_path() /
           ("flatnet-daemon-loop-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    test::WorldKey k = test::world_key();
    Home h;
    h.dir = dir_.string();
    h.identity = test::parse_identity(test::kIdentityA);
    h.planet = test::make_world(wire::WorldType::kPlanet, 4242, 1000,
                                {{test::root_identity(), v4(10, 97, 0, 1)}}, k, k);
    auto b = std::make_unique<SleepyBackend>();
    backend_ = b.get();
    DaemonOptions opt{h.dir, LogLevel::kError, {}};
    opt.api_wait_ms = api_wait_ms;
    daemon_ = std::make_unique<Daemon>(h, std::move(b), opt);
    loop_ = std::thread([this] { daemon_->run(stop_); });
  }
  void TearDown() override {
    stop_ = true;
    if (backend_) backend_->release();
    if (loop_.joinable()) loop_.join();
    daemon_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::filesystem::path dir_;
  SleepyBackend* backend_ = nullptr;
  std::unique_ptr<Daemon> daemon_;
  std::atomic<bool> stop_{false};
  std::thread loop_;
};

// The loop sleeps (here: until the test ends); API calls are answered
// meanwhile on the caller's thread, without waking it or waiting for its
// next turn.
TEST_F(DaemonLoop, CallsAreServedWhileTheLoopSleeps) {
  start(2000);
  ASSERT_TRUE(backend_->wait_until(&SleepyBackend::in_wait_));
  const int woken = backend_->woken();
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(daemon_->node().address, test::parse_identity(test::kIdentityA).address());
    EXPECT_EQ(daemon_->peers().size(), 1u);  // the planet's root
    EXPECT_FALSE(daemon_->metrics().empty());
    EXPECT_TRUE(daemon_->moons().empty());
  }
  EXPECT_EQ(backend_->woken(), woken) << "an API call needed the loop";
  EXPECT_TRUE(backend_->in_wait_);
}

// A turn that never ends (mutex held): calls give up after api_wait_ms with
// Unavailable (HTTP 503) instead of hanging their thread.
TEST_F(DaemonLoop, StuckLoopAnswersUnavailable) {
  start(100);
  ASSERT_TRUE(backend_->wait_until(&SleepyBackend::in_wait_));
  backend_->stuck();
  ASSERT_TRUE(backend_->wait_until(&SleepyBackend::in_poll_));
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_THROW(daemon_->node(), Unavailable);
  // It waited its api_wait_ms before giving up (a lower bound a correct
  // wait always meets); no upper bound: how late it woke is the machine's
  // load, and a call that never returns fails the test by its timeout.
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(100));
  EXPECT_THROW(daemon_->peers(), Unavailable);
  EXPECT_THROW(daemon_->metrics(), Unavailable);
  std::string err;
  EXPECT_THROW(daemon_->orbit(0x1122334455ULL, 0x5544332211ULL, &err), Unavailable);
  EXPECT_THROW(daemon_->ping(0x5544332211ULL, 1, 1000), Unavailable);
  // Once the turn ends, calls work again.
  backend_->release();
  EXPECT_EQ(daemon_->node().address, test::parse_identity(test::kIdentityA).address());
}

}  // namespace
}  // namespace flatnet::control::service
