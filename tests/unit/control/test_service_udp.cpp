// flatnetd's kernel UDP backend on loopback: datagrams both ways with their
// source (one sent with a per-datagram TTL of 2, one with the default; the
// TTL itself is not read back here), and bad bind addresses.
#include <gtest/gtest.h>

#include <chrono>

#include "control/service/backend.hpp"

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

}  // namespace
}  // namespace flatnet::control::service
