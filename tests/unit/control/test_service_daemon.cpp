// flatnetd's Daemon over a fake backend wired to in-memory cores (a planet
// root that relays, and a moon root): a planet update from the root is
// written to <home>/planet; orbit through a seed is listed as waiting, then
// the fetched moon is written to moons.d/<16-hex id>.moon; deorbit removes
// it; orbit from a .moon already in moons.d needs no seed; refusals carry
// a sentence. `online` comes from the root's authenticated answer, never
// from datagrams that only name the root as their source.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include <sodium.h>

#include "control/service/daemon.hpp"
#include "dataplane/wire/vl1.hpp"
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

// ---- online ------------------------------------------------------------------------

// `online` needs authenticated root traffic: the real root's OK(HELLO)
// makes a leaf online.
TEST_F(DaemonWorlds, OnlineOnceTheRootAnswered) {
  test::WorldKey k = test::world_key();
  const wire::World p1 =
      test::make_world(wire::WorldType::kPlanet, 4242, 1000, {{root_, root_at_}}, k, k);
  Config c;
  c.identity = root_;
  c.planet = p1;
  net_.add("root", c, root_at_, mono_ms());
  start(p1);
  EXPECT_TRUE(eventually([&] { return daemon_->node().online; }));
}

// A backend that, every turn, hands the daemon datagrams naming the root
// as their source -- from the root's own address and from elsewhere -- with
// a MAC nobody computed: what anyone on the Internet can send.
class ForgingBackend final : public Backend {
 public:
  ForgingBackend(uint64_t me, uint64_t root, wire::InetAddress root_at)
      : me_(me), root_(root), root_at_(root_at) {}
  unsigned poll(const BackendEvents& ev, unsigned) override {
    std::vector<uint8_t> d(64);
    randombytes_buf(d.data(), d.size());
    wire::write_addr40(d.data() + wire::kIdxDest, me_);
    wire::write_addr40(d.data() + wire::kIdxSource, root_);
    d[wire::kIdxFlags] = uint8_t(1 << 3);  // cipher 1 (Salsa20/12 + Poly1305), no hops
    ev.datagram(PhysicalPath{0, forged_ % 2 ? root_at_ : test::v4(203, 0, 113, 9)}, d);
    forged_.fetch_add(1);
    return 1;
  }
  bool send(const SendDatagram&) override { return true; }
  bool table(const TableCommand&) override { return true; }
  void wait(int) override { std::this_thread::sleep_for(std::chrono::milliseconds(1)); }
  int64_t local_socket() const override { return 0; }
  uint16_t port() const override { return 9993; }
  std::string describe() const override { return "forging"; }
  std::atomic<unsigned> forged_{0};

 private:
  uint64_t me_, root_;
  wire::InetAddress root_at_;
};

TEST(DaemonOnline, DatagramsThatOnlyNameTheRootDoNotMakeItOnline) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("flatnet-daemon-online-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  test::WorldKey k = test::world_key();
  const crypto::Identity root = test::root_identity();
  const wire::InetAddress root_at = v4(10, 96, 0, 1);
  Home h;
  h.dir = dir.string();
  h.identity = test::parse_identity(test::kIdentityA);
  h.planet = test::make_world(wire::WorldType::kPlanet, 4242, 1000, {{root, root_at}}, k, k);
  auto b = std::make_unique<ForgingBackend>(h.identity.address(), root.address(), root_at);
  ForgingBackend* forging = b.get();
  Daemon d(h, std::move(b), DaemonOptions{h.dir, LogLevel::kError, {}});
  std::atomic<bool> stop{false};
  std::thread loop([&] { d.run(stop); });
  for (int i = 0; i < 500 && forging->forged_ < 200; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  const bool online = d.node().online;
  const unsigned forged = forging->forged_;
  uint64_t bad_mac = 0;
  for (const MetricSample& m : d.metrics())
    if (m.name == "flatnet_control_drop_bad_mac_total") bad_mac = uint64_t(m.value);
  stop = true;
  loop.join();
  std::filesystem::remove_all(dir);
  ASSERT_GE(forged, 200u);
  EXPECT_FALSE(online) << forged << " forged datagrams made the node look online";
  EXPECT_GT(bad_mac, 0u) << "the forged datagrams did not reach the core's MAC check";
}

// ---- the peers cache at start-up --------------------------------------------------

// Records the table updates per loop turn and when the desired table is
// declared complete.
class RecordingBackend final : public Backend {
 public:
  unsigned poll(const BackendEvents&, unsigned) override {
    max_per_turn = std::max(max_per_turn.load(), this_turn);
    this_turn = 0;
    return 0;
  }
  void wait(int) override { std::this_thread::sleep_for(std::chrono::milliseconds(1)); }
  bool send(const SendDatagram&) override { return true; }
  bool table(const TableCommand& c) override {
    if (c.op == TableOp::kPeerUpsert) {
      ++upserts;
      ++this_turn;
    }
    return true;
  }
  void table_complete(uint64_t) override { complete = true; }
  int64_t local_socket() const override { return 0; }
  uint16_t port() const override { return 9993; }
  std::string describe() const override { return "recording"; }

  std::atomic<unsigned> upserts{0}, max_per_turn{0};
  std::atomic<bool> complete{false};
  unsigned this_turn = 0;  // loop thread only
};

// 1000 cached peers (synthetic identities: the cache is trusted, see
// peers_cache.hpp) come back a bounded batch per loop turn, each announced
// to the data plane, and then the backend hears the desired table is complete.
TEST(DaemonPeersCache, RestoredInBatchesThenTheTableIsComplete) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                    ("flatnet-daemon-cache-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "peers.d");
  constexpr unsigned kPeers = 1000;
  std::mt19937_64 rng(42);  // public keys of no-one
  for (unsigned i = 0; i < kPeers; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "%010llx", 0x2100000000ull + i);
    std::string key;
    for (int b = 0; b < 64; ++b) {
      char h[3];
      std::snprintf(h, sizeof h, "%02x", unsigned(rng() & 0xff));
      key += h;
    }
    std::ofstream(dir / "peers.d" / (std::string(name) + ".peer"))
        << name << ":0:" << key << "\n10.96." << (i >> 8) << "." << (i & 255) << "/9993\n";
  }
  test::WorldKey k = test::world_key();
  Home h;
  h.dir = dir.string();
  h.identity = test::parse_identity(test::kIdentityA);
  h.planet = test::make_world(wire::WorldType::kPlanet, 4242, 1000,
                              {{test::root_identity(), v4(10, 97, 0, 1)}}, k, k);
  auto b = std::make_unique<RecordingBackend>();
  RecordingBackend* rb = b.get();
  Daemon d(h, std::move(b), DaemonOptions{h.dir, LogLevel::kError, {}});
  d.load_peers_cache();
  std::atomic<bool> stop{false};
  std::thread loop([&] { d.run(stop); });
  for (int i = 0; i < 1000 && !rb->complete; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_TRUE(rb->complete);
  EXPECT_EQ(rb->upserts.load(), kPeers);
  EXPECT_LE(rb->max_per_turn.load(), 256u);  // kRestorePerTurn
  EXPECT_EQ(d.peers().size(), kPeers + 1);    // and the planet's root
  stop = true;
  loop.join();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace flatnet::control::service
