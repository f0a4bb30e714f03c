// flatnetd's kernel UDP backend on loopback: datagrams both ways with their
// source (one sent with a per-datagram TTL of 2, one with the default; the
// TTL itself is not read back here), bad bind addresses, bursts through
// every combination of batching, GSO and GRO (whole, in order, and the
// offloads used where on; IPv6 too), and a flood from one source cut by the ingress
// limits and counted in flatnetd's /metrics.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include "control/service/backend.hpp"
#include "control/service/daemon.hpp"
#include "tests/unit/control/harness.hpp"

namespace flatnet::control::service {
namespace {

// Polls `b` until one datagram arrives or ~2 s pass.
bool receive_one(Backend& b, PhysicalPath* from, std::vector<uint8_t>* bytes) {
  BackendEvents ev;
  bool got = false;
  ev.datagram = [&](const PhysicalPath& f, std::span<const uint8_t> d) {
    *from = f;
    bytes->assign(d.begin(), d.end());
    got = true;
  };
  for (int i = 0; i < 40 && !got; ++i) {
    b.wait(50);
    b.poll(ev, 16);
  }
  return got;
}

TEST(ServiceUdp, DatagramsBothWaysWithTheirSource) {
  std::string err;
  auto x = make_udp_backend("127.0.0.1:39111", &err);
  auto y = make_udp_backend("127.0.0.1:39112", &err);
  if (!x || !y) GTEST_SKIP() << "loopback ports 39111/39112 busy: " << err;
  const uint8_t lo[4] = {127, 0, 0, 1};
  SendDatagram d{PhysicalPath{0, wire::InetAddress::v4(lo, 39112)}, {1, 2, 3, 4}, 2};
  ASSERT_TRUE(x->send(d));  // TTL 2: the hole-punch form
  PhysicalPath from;
  std::vector<uint8_t> bytes;
  ASSERT_TRUE(receive_one(*y, &from, &bytes));
  EXPECT_EQ(bytes, d.bytes);
  EXPECT_EQ(from.remote, wire::InetAddress::v4(lo, 39111));
  // Default TTL again, and the other direction.
  SendDatagram back{from, std::vector<uint8_t>(1400, 0x5a), 0};
  ASSERT_TRUE(y->send(back));
  EXPECT_EQ(y->flush(), 0u);  // sends are batched: queued until a flush, poll or wait
  ASSERT_TRUE(receive_one(*x, &from, &bytes));
  EXPECT_EQ(bytes.size(), 1400u);
  EXPECT_EQ(from.remote, wire::InetAddress::v4(lo, 39112));
  // Nothing more: poll returns 0 and wait is bounded.
  BackendEvents ev;
  ev.datagram = [](const PhysicalPath&, std::span<const uint8_t>) { FAIL(); };
  auto t0 = std::chrono::steady_clock::now();
  x->wait(30);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
  EXPECT_EQ(x->poll(ev, 16), 0u);
  // A null destination is refused, not sent.
  EXPECT_FALSE(x->send(SendDatagram{PhysicalPath{}, {1}, 0}));
}

TEST(ServiceUdp, BadBindAddressesAreRefusedWithAReason) {
  std::string err;
  EXPECT_EQ(make_udp_backend("nonsense", &err), nullptr);
  EXPECT_NE(err.find("nonsense"), std::string::npos) << err;
  EXPECT_EQ(make_udp_backend("203.0.113.7:9993", &err), nullptr);  // not ours: bind fails
  EXPECT_NE(err.find("cannot bind"), std::string::npos) << err;
  auto v6 = make_udp_backend("[::1]:0", &err);
  if (!v6) GTEST_SKIP() << "no IPv6 loopback: " << err;
}

uint64_t counter(Backend& b, const std::string& name) {
  for (const auto& [n, v] : b.dataplane_counters())
    if (n == name) return v;
  ADD_FAILURE() << "no counter " << name;
  return 0;
}

// 200 datagrams in four bursts of 50: runs of equal size (the even split of
// large frames) with a shorter one now and then, each stamped with its
// index, through each option on its own and all together. Everything
// arrives, in order and intact; GSO and GRO were used exactly where on
// (loopback hands a GSO send to a GRO socket still coalesced).
TEST(ServiceUdp, BurstsArriveWholeAndInOrderWithEachOption) {
  struct Case {
    UdpOptions opt;
    const char* name;
  };
  const Case cases[] = {{{1, false, false}, "one per call"},
                        {{32, false, false}, "batch"},
                        {{32, true, false}, "batch+gso"},
                        {{32, false, true}, "batch+gro"},
                        {{1, true, true}, "gso+gro"},
                        {{32, true, true}, "all"}};
  const uint8_t lo[4] = {127, 0, 0, 1};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::string err;
    auto x = make_udp_backend("127.0.0.1:39115", &err, {}, c.opt);
    auto y = make_udp_backend("127.0.0.1:39116", &err, {}, c.opt);
    if (!x || !y) GTEST_SKIP() << "loopback ports 39115/39116 busy: " << err;
    std::vector<std::vector<uint8_t>> got;
    BackendEvents ev;
    ev.datagram = [&](const PhysicalPath& from, std::span<const uint8_t> d) {
      EXPECT_EQ(from.remote, wire::InetAddress::v4(lo, 39115));
      got.emplace_back(d.begin(), d.end());
    };
    std::vector<std::vector<uint8_t>> sent;
    for (int burst = 0; burst < 4; ++burst) {
      for (int k = 0; k < 50; ++k) {
        const size_t i = sent.size();
        std::vector<uint8_t> d(i % 10 == 9 ? 700 : 1422, uint8_t(i * 7));
        d[0] = uint8_t(i), d[1] = uint8_t(i >> 8);
        ASSERT_TRUE(x->send(SendDatagram{PhysicalPath{0, wire::InetAddress::v4(lo, 39116)}, d, 0}));
        sent.push_back(std::move(d));
      }
      EXPECT_EQ(x->flush(), 0u);
      for (int i = 0; i < 100 && got.size() < sent.size(); ++i) {
        y->wait(20);
        y->poll(ev, 256);
      }
      ASSERT_EQ(got.size(), sent.size());
    }
    EXPECT_EQ(got, sent);
    EXPECT_EQ(counter(*x, "udp_tx_datagrams"), 200u);
    EXPECT_EQ(counter(*y, "udp_rx_datagrams"), 200u);
    EXPECT_EQ(counter(*x, "udp_tx_errors"), 0u);
    const uint64_t calls = counter(*x, "udp_tx_calls");
    if (c.opt.batch == 1 && !c.opt.gso) {
      EXPECT_EQ(calls, 200u);
    } else {
      EXPECT_LE(calls, 40u);
    }
    EXPECT_EQ(counter(*x, "udp_tx_gso_datagrams") > 0, c.opt.gso);
    EXPECT_EQ(counter(*y, "udp_rx_gro_datagrams") > 0, c.opt.gso && c.opt.gro);
    if (c.opt.gso && c.opt.gro) EXPECT_LT(counter(*y, "udp_rx_calls"), 40u);
  }
}

// The same over IPv6 loopback with everything on: GSO runs and GRO cutting
// work for IPv6 sockets too (skipped where there is no ::1).
TEST(ServiceUdp, BurstOverIpv6WithGsoAndGro) {
  std::string err;
  auto x = make_udp_backend("[::1]:39117", &err);
  auto y = make_udp_backend("[::1]:39118", &err);
  if (!x || !y) GTEST_SKIP() << "no IPv6 loopback or ports busy: " << err;
  uint8_t lo6[16] = {};
  lo6[15] = 1;
  std::vector<std::vector<uint8_t>> sent, got;
  for (size_t i = 0; i < 40; ++i) {
    std::vector<uint8_t> d(i == 39 ? 300 : 1427, uint8_t(i));
    ASSERT_TRUE(x->send(SendDatagram{PhysicalPath{0, wire::InetAddress::v6(lo6, 39118)}, d, 0}));
    sent.push_back(std::move(d));
  }
  EXPECT_EQ(x->flush(), 0u);
  BackendEvents ev;
  ev.datagram = [&](const PhysicalPath& from, std::span<const uint8_t> d) {
    EXPECT_EQ(from.remote, wire::InetAddress::v6(lo6, 39117));
    got.emplace_back(d.begin(), d.end());
  };
  for (int i = 0; i < 100 && got.size() < sent.size(); ++i) {
    y->wait(20);
    y->poll(ev, 256);
  }
  EXPECT_EQ(got, sent);
  EXPECT_EQ(counter(*x, "udp_tx_gso_datagrams"), 40u);
  EXPECT_EQ(counter(*y, "udp_rx_gro_datagrams"), 40u);
}

// One source floods a flatnetd on a kernel socket: past its burst it is
// dropped before the core, and /metrics shows the drops under the data
// plane's name. (1 datagram/s and a burst of 10, so that however slowly
// this machine sends 100 datagrams, at most a few more than 10 get in.)
TEST(ServiceUdp, FloodFromOneSourceIsCutAndCountedInMetrics) {
  IngressLimits limits;
  limits.source_pps = 1;
  limits.source_burst = 10;
  std::string err;
  auto backend = make_udp_backend("127.0.0.1:39113", &err, limits);
  if (!backend) GTEST_SKIP() << "loopback port 39113 busy: " << err;
  const auto dir = std::filesystem::temp_directory_path() /
                   ("flatnet-udp-flood-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  test::WorldKey k = test::world_key();
  Home h;
  h.dir = dir.string();
  h.identity = test::parse_identity(test::kIdentityA);
  // The root's endpoint is on loopback where nothing listens: the HELLOs
  // flatnetd sends go nowhere else.
  const uint8_t lo[4] = {127, 0, 0, 1};
  h.planet = test::make_world(wire::WorldType::kPlanet, 4242, 1000,
                              {{test::root_identity(), wire::InetAddress::v4(lo, 39114)}}, k, k);
  Daemon d(h, std::move(backend), DaemonOptions{h.dir, LogLevel::kError, {}});
  std::atomic<bool> stop{false};
  std::thread loop([&] { d.run(stop); });

  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(39113);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::vector<uint8_t> junk(64, 0x42);
  for (int i = 0; i < 100; ++i)
    ASSERT_EQ(::sendto(fd, junk.data(), junk.size(), 0, reinterpret_cast<sockaddr*>(&to),
                       sizeof to),
              ssize_t(junk.size()));
  ::close(fd);
  auto dropped = [&] {
    for (const MetricSample& m : d.metrics())
      if (m.name == "flatnet_dataplane_drop_punt_source_limited_total") return uint64_t(m.value);
    return uint64_t(0);
  };
  uint64_t n = 0;
  for (int i = 0; i < 300 && (n = dropped()) < 80; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  stop = true;
  loop.join();
  std::filesystem::remove_all(dir);
  EXPECT_GE(n, 80u);
  EXPECT_LE(n, 90u);  // the burst of 10 got through
}

}  // namespace
}  // namespace flatnet::control::service
