// Paths: a root relaying in software (Config::relay), and a leaf's upkeep of
// its paths -- heartbeats, a live path before a stale one, PUSH_DIRECT_PATHS
// in both directions, and the external address its upstreams report.
#include <gtest/gtest.h>

#include "tests/unit/control/harness.hpp"

namespace flatnet::control {
namespace {

using test::path_from;
using test::v4;

using Net = test::Testnet;

// The root again, with software relaying on (as flatnetd --udp runs it).
void relaying_root(Net& t) {
  Config c;
  c.identity = t.root;
  c.planet = t.planet;
  c.relay = true;
  t.net.add("root", c, t.root_at, t.now);
}

// A's ECHO for B, built by A's core with no direct path: it goes to the root.
std::vector<uint8_t> echo_a_to_b(Net& t) {
  Actions out;
  const uint8_t p[4] = {1, 2, 3, 4};
  EXPECT_NE(t.core("a").send_echo(t.b.address(), p, t.now, out), 0u);
  EXPECT_EQ(out.send.size(), 1u);
  EXPECT_EQ(out.send[0].path.remote, t.root_at);
  return out.send.empty() ? std::vector<uint8_t>{} : out.send[0].bytes;
}

TEST(ControlCorePaths, RootRelaysInSoftwareAndIntroducesThePair) {
  Net t;
  relaying_root(t);
  t.hello_roots("a");
  t.hello_roots("b");
  t.whois("a", t.b.address());
  t.whois("b", t.a.address());
  auto pkt = echo_a_to_b(t);
  ASSERT_FALSE(pkt.empty());
  Actions r;
  t.core("root").receive(path_from(t.a_at), pkt, t.now, r);
  // The packet to B with hops 1, byte for byte otherwise, and RENDEZVOUS to both.
  ASSERT_GE(r.send.size(), 3u);
  EXPECT_EQ(r.send[0].path.remote, t.b_at);
  auto expect = pkt;
  wire::packet_increment_hops(expect.data());
  EXPECT_EQ(r.send[0].bytes, expect);
  EXPECT_EQ(t.core("root").metrics().relayed, 1u);
  EXPECT_EQ(t.core("root").metrics().rendezvous_sent, 2u);
  // B can open it: the relay never touched the armor.
  Actions b;
  t.core("b").receive(path_from(t.root_at), r.send[0].bytes, t.now, b);
  EXPECT_EQ(t.core("b").metrics().echo_answered, 1u);
}

TEST(ControlCorePaths, SoftwareRelayRefusalsAreCounted) {
  Net t;
  relaying_root(t);
  t.hello_roots("a");
  t.hello_roots("b");
  t.whois("a", t.b.address());
  auto pkt = echo_a_to_b(t);
  ASSERT_FALSE(pkt.empty());
  Actions r;
  auto capped = pkt;
  capped[wire::kIdxFlags] = uint8_t((capped[wire::kIdxFlags] & ~wire::kFlagsHopsMask) | 3);
  t.core("root").receive(path_from(t.a_at), capped, t.now, r);
  EXPECT_EQ(t.core("root").metrics().drop(Drop::relay_hop_limit), 1u);
  // Back toward where it came from: refused.
  t.core("root").receive(path_from(t.b_at), pkt, t.now, r);
  EXPECT_EQ(t.core("root").metrics().drop(Drop::relay_loop), 1u);
  // Unknown destination.
  auto unknown = pkt;
  wire::write_addr40(unknown.data() + wire::kIdxDest, 0x0102030405ULL);
  t.core("root").receive(path_from(t.a_at), unknown, t.now, r);
  EXPECT_EQ(t.core("root").metrics().drop(Drop::relay_no_path), 1u);
  EXPECT_TRUE(r.send.empty());
  EXPECT_EQ(t.core("root").metrics().relayed, 0u);
  // A root without Config::relay (a data plane relays) does not relay.
  Net u;
  u.hello_roots("a");
  u.hello_roots("b");
  Actions r2;
  u.core("root").receive(path_from(u.a_at), pkt, u.now, r2);
  EXPECT_TRUE(r2.send.empty());
  EXPECT_EQ(u.core("root").metrics().drop(Drop::not_for_us), 1u);
}

TEST(ControlCorePaths, IdlePathsGetAHeartbeatEvery14s) {
  Net t;
  t.hello_roots("a");
  Actions out;
  // The first check beats the new path once (the HELLO went out before the
  // path was known); the next, 5 s later, finds it used recently.
  t.core("a").run_background(t.now + Core::kPathCheckMs, out);
  t.net.pump("a", out, t.now + Core::kPathCheckMs);
  const uint64_t first = t.core("a").metrics().heartbeats_sent;
  EXPECT_LE(first, 1u);
  t.core("a").run_background(t.now + 2 * Core::kPathCheckMs, out);
  EXPECT_TRUE(out.send.empty());
  EXPECT_EQ(t.core("a").metrics().heartbeats_sent, first);
  const uint64_t later = t.now + Core::kPathCheckMs + Core::kPathHeartbeatMs;
  t.core("a").run_background(later, out);
  EXPECT_EQ(t.core("a").metrics().heartbeats_sent, first + 1);
  ASSERT_EQ(out.send.size(), 1u);
  EXPECT_EQ(out.send[0].path.remote, t.root_at);
  // The root answers it (an ECHO), which refreshes the path.
  t.net.pump("a", out, later);
  const Peer* root = t.core("a").peers().find(t.root.address());
  ASSERT_NE(root->best_path(), nullptr);
  EXPECT_EQ(root->best_path()->last_receive, later);
}

TEST(ControlCorePaths, StaleDirectPathGivesWayToTheRoot) {
  Net t;
  t.hello_roots("a");
  t.hello_roots("b");
  t.whois("a", t.b.address());
  // A direct path A -> B, learned by a HELLO round trip.
  Actions h;
  ASSERT_TRUE(t.core("a").send_hello(t.b.address(), path_from(t.b_at), t.now, h));
  t.net.pump("a", h, t.now);
  const uint8_t p[4] = {1, 2, 3, 4};
  Actions e;
  ASSERT_NE(t.core("a").send_echo(t.b.address(), p, t.now, e), 0u);
  EXPECT_EQ(e.send[0].path.remote, t.b_at);
  // B falls silent; the root keeps answering A.
  const uint64_t later = t.now + Core::kPathAliveMs + 1000;
  t.hello_roots("a");  // at t.now: refresh the root too
  Actions k;
  ASSERT_NE(t.core("a").send_echo(t.root.address(), p, later, k), 0u);
  t.net.pump("a", k, later);
  Actions e2;
  ASSERT_NE(t.core("a").send_echo(t.b.address(), p, later, e2), 0u);
  EXPECT_EQ(e2.send[0].path.remote, t.root_at) << "a stale direct path should give way";
}

TEST(ControlCorePaths, PushedAddressesAreTriedWithinTheLimits) {
  Net t;
  t.hello_roots("a");
  t.hello_roots("b");
  t.whois("a", t.b.address());
  t.whois("b", t.a.address());
  // B tells A where else it may be reached.
  PushDirectPaths pd;
  pd.paths.push_back(PushedPath{0, v4(10, 99, 0, 99)});
  pd.paths.push_back(PushedPath{0, v4(127, 0, 0, 1)});  // unusable: skipped
  pd.paths.push_back(PushedPath{1, v4(10, 99, 0, 98)});  // "forget this path": skipped
  auto pkt = test::build_packet(t.b, t.a, wire::Verb::kPushDirectPaths,
                                [&] {
                                  std::vector<uint8_t> v;
                                  wire::Writer w(v);
                                  encode_push_direct_paths(pd, w);
                                  return v;
                                }(),
                                crypto::Suite::kSalsa2012Poly1305);
  wire::packet_increment_hops(pkt.data());  // relayed by the root (hops are outside the MAC)
  Actions out;
  t.core("a").receive(path_from(t.root_at), pkt, t.now, out);
  ASSERT_EQ(out.send.size(), 1u);
  EXPECT_EQ(out.send[0].path.remote, v4(10, 99, 0, 99));
  EXPECT_EQ(t.core("a").metrics().push_direct_paths_tried, 1u);
  // Eight pushes per 30 s are acted on; the ninth is counted and ignored.
  for (int i = 0; i < 8; ++i) {
    Actions more;
    t.core("a").receive(path_from(t.root_at), pkt, t.now + 1 + i, more);
  }
  EXPECT_EQ(t.core("a").metrics().push_direct_paths_received, 8u);
  EXPECT_EQ(t.core("a").metrics().push_direct_paths_limited, 1u);
  // Garbage is a counted drop.
  auto bad = test::build_packet(t.b, t.a, wire::Verb::kPushDirectPaths,
                                std::vector<uint8_t>{0, 5, 0}, crypto::Suite::kSalsa2012Poly1305);
  wire::packet_increment_hops(bad.data());
  const uint64_t malformed = t.core("a").metrics().drop(Drop::malformed);
  Actions x;
  t.core("a").receive(path_from(t.root_at), bad, t.now + 40000, x);
  EXPECT_EQ(t.core("a").metrics().drop(Drop::malformed), malformed + 1);
}

TEST(ControlCorePaths, LeafPushesItsAddressesAndWhereTheRootSeesIt) {
  Net t;
  Config c;
  c.identity = t.a;
  c.planet = t.planet;
  c.direct_addresses = {t.a_at};
  t.net.add("a", c, t.a_at, t.now);
  t.hello_roots("a");
  // The root reported where it saw A: a surface address.
  ASSERT_EQ(t.core("a").surface_addresses().size(), 1u);
  EXPECT_EQ(t.core("a").surface_addresses()[0], t.a_at);
  t.hello_roots("b");
  t.whois("a", t.b.address());
  // B becomes a peer A has talked to (HELLO answered through the root).
  Actions h;
  ASSERT_TRUE(t.core("a").send_hello(t.b.address(), path_from(t.root_at), t.now, h));
  t.net.relays.insert("root");
  t.net.pump("a", h, t.now);
  Actions out;
  t.core("a").run_background(t.now + Core::kPathCheckMs, out);
  EXPECT_EQ(t.core("a").metrics().push_direct_paths_sent, 1u);
  // B, reached only through the root, gets it there; it HELLOs A's address.
  t.net.pump("a", out, t.now + Core::kPathCheckMs);
  EXPECT_EQ(t.core("b").metrics().push_direct_paths_received, 1u);
}

}  // namespace
}  // namespace flatnet::control
