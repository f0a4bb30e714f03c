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
  const uint64_t answered = t.core("b").metrics().echo_answered;  // the root's challenge
  t.core("b").receive(path_from(t.root_at), r.send[0].bytes, t.now, b);
  EXPECT_EQ(t.core("b").metrics().echo_answered, answered + 1);
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

// ---- path quality (spec §8.4) -------------------------------------------------------

TEST(ControlCorePaths, PathQualityIsLatencyTimesScopeFactorPlusSilenceWhenDead) {
  Path q;
  q.phys = path_from(v4(10, 1, 2, 3));  // PRIVATE: x1
  q.last_receive = 100000;
  EXPECT_EQ(q.latency, Path::kLatencyUnknown);
  EXPECT_EQ(q.quality(100000), 0xffffu);  // alive, unmeasured
  q.add_latency_sample(30);                // the first sample is taken as is
  EXPECT_EQ(q.latency, 30u);
  q.add_latency_sample(10);                // later ones are averaged in
  EXPECT_EQ(q.latency, 20u);
  q.add_latency_sample(1000000);           // capped at 0xffff before averaging
  EXPECT_EQ(q.latency, (20u + 0xffffu) / 2);
  q.latency = 20;
  EXPECT_EQ(q.quality(100000 + Path::kAliveMs - 1), 20u);
  // Dead: latency + 0xffff + the silence, capped at 140 s.
  EXPECT_EQ(q.quality(100000 + Path::kAliveMs), 20u + 0xffff + Path::kAliveMs);
  EXPECT_EQ(q.quality(100000 + 500000), 20u + 0xffff + 140000);
  q.phys = path_from(v4(93, 184, 216, 34));  // GLOBAL: x4
  EXPECT_EQ(q.quality(100000), 80u);
  q.phys = path_from(v4(6, 1, 2, 3));  // PSEUDOPRIVATE: x5
  EXPECT_EQ(q.quality(100000), 100u);
}

// A learns a direct path to B at `via`: its HELLO, sent at `sent`, reaches B,
// and B's answer comes back to A on `via` at `answered`, so the path is
// timed at answered - sent.
void learn_path(Net& t, const wire::InetAddress& via, uint64_t sent, uint64_t answered) {
  Actions h;
  ASSERT_TRUE(t.core("a").send_hello(t.b.address(), path_from(via), sent, h));
  ASSERT_EQ(h.send.size(), 1u);
  Actions r;
  t.core("b").receive(path_from(t.a_at), h.send[0].bytes, sent, r);
  ASSERT_FALSE(r.send.empty());
  for (const SendDatagram& d : r.send) {
    Actions x;
    t.core("a").receive(path_from(via), d.bytes, answered, x);
  }
}

// A knows B (WHOIS through the root); no direct path yet.
void introduce(Net& t) {
  t.hello_roots("a");
  t.hello_roots("b");
  t.whois("a", t.b.address());
}

const Path* path_to(Net& t, const wire::InetAddress& at) {
  const Peer* b = t.core("a").peers().find(t.b.address());
  for (const Path& q : b->paths)
    if (q.phys.remote == at) return &q;
  return nullptr;
}

// Where A's next ECHO for B goes at `now`.
wire::InetAddress echo_goes_to(Net& t, uint64_t now) {
  Actions e;
  const uint8_t p[4] = {1, 2, 3, 4};
  EXPECT_NE(t.core("a").send_echo(t.b.address(), p, now, e), 0u);
  return e.send.empty() ? wire::InetAddress{} : e.send[0].path.remote;
}

TEST(ControlCorePaths, LowerLatencyPathWinsOverAMoreRecentlyHeardOne) {
  Net t;
  introduce(t);
  const wire::InetAddress fast = t.b_at, slow = v4(10, 99, 0, 13);
  learn_path(t, fast, t.now, t.now + 5);
  learn_path(t, slow, t.now + 10, t.now + 50);
  ASSERT_NE(path_to(t, fast), nullptr);
  ASSERT_NE(path_to(t, slow), nullptr);
  EXPECT_EQ(path_to(t, fast)->latency, 5u);
  EXPECT_EQ(path_to(t, slow)->latency, 40u);
  const Peer* b = t.core("a").peers().find(t.b.address());
  EXPECT_EQ(b->best_path()->phys.remote, slow) << "slow is the most recently heard";
  EXPECT_EQ(t.core("a").preferred_path(*b, t.now + 60)->phys.remote, fast);
  EXPECT_EQ(echo_goes_to(t, t.now + 60), fast);
  // Later round trips are averaged in: 15 ms now makes it (5 + 15) / 2.
  learn_path(t, fast, t.now + 70, t.now + 85);
  EXPECT_EQ(path_to(t, fast)->latency, 10u);
  // An answer that came through a relay (hops > 0) times nothing and
  // teaches no path.
  t.net.relays.insert("root");
  Actions h;
  ASSERT_TRUE(t.core("a").send_hello(t.b.address(), path_from(t.root_at), t.now + 90, h));
  t.net.pump("a", h, t.now + 200);
  EXPECT_EQ(path_to(t, t.root_at), nullptr);
  EXPECT_EQ(path_to(t, fast)->latency, 10u);
  EXPECT_EQ(path_to(t, slow)->latency, 40u);
}

TEST(ControlCorePaths, PrivateScopeBeatsGlobalAtEqualLatency) {
  Net t;
  introduce(t);
  const wire::InetAddress priv = t.b_at, global = v4(93, 184, 216, 34);
  learn_path(t, priv, t.now, t.now + 10);
  // The global path is later in the list and heard later, with the same
  // latency: x4 against x1, the private path stays.
  learn_path(t, global, t.now + 20, t.now + 30);
  const Peer* b = t.core("a").peers().find(t.b.address());
  ASSERT_EQ(b->paths.size(), 2u);
  EXPECT_EQ(b->paths[1].phys.remote, global);
  EXPECT_EQ(path_to(t, global)->latency, 10u);
  EXPECT_EQ(t.core("a").preferred_path(*b, t.now + 40)->phys.remote, priv);
  EXPECT_EQ(echo_goes_to(t, t.now + 40), priv);
  // A global path more than four times faster wins: 4 x 2 = 8 < 10. (Its
  // latency drops from 10 to (10 + 0) / 2 = 5, then (5 + 0) / 2 = 2.)
  learn_path(t, global, t.now + 50, t.now + 50);
  learn_path(t, global, t.now + 60, t.now + 60);
  EXPECT_EQ(path_to(t, global)->latency, 2u);
  EXPECT_EQ(echo_goes_to(t, t.now + 70), global);
}

TEST(ControlCorePaths, DeadPathLosesToAnAliveOne) {
  Net t;
  introduce(t);
  const wire::InetAddress fast = t.b_at, slow = v4(10, 99, 0, 13);
  learn_path(t, fast, t.now, t.now + 5);
  learn_path(t, slow, t.now + 10, t.now + 50);
  EXPECT_EQ(echo_goes_to(t, t.now + 60), fast);
  // Only the slow path keeps answering; 19 s after its last answer the fast
  // one is dead (latency + 0xffff + silence) and the slow one is used.
  learn_path(t, slow, t.now + 15000, t.now + 15040);
  const uint64_t later = t.now + 5 + Path::kAliveMs;
  const Peer* b = t.core("a").peers().find(t.b.address());
  EXPECT_FALSE(path_to(t, fast)->alive(later));
  EXPECT_TRUE(path_to(t, slow)->alive(later));
  EXPECT_GT(path_to(t, fast)->quality(later), path_to(t, slow)->quality(later));
  EXPECT_EQ(t.core("a").preferred_path(*b, later)->phys.remote, slow);
  EXPECT_EQ(echo_goes_to(t, later), slow);
}

TEST(ControlCorePaths, EqualQualityGoesToTheLaterPath) {
  Net t;
  introduce(t);
  const wire::InetAddress first = t.b_at, second = v4(10, 99, 0, 13);
  learn_path(t, first, t.now, t.now + 10);
  learn_path(t, second, t.now + 20, t.now + 30);
  // The first path is heard again (10 ms again): most recently heard, same
  // quality -- the later entry in the list still wins, as stock's <= does.
  learn_path(t, first, t.now + 40, t.now + 50);
  const Peer* b = t.core("a").peers().find(t.b.address());
  ASSERT_EQ(b->paths.size(), 2u);
  EXPECT_EQ(b->paths[0].phys.remote, first);
  EXPECT_EQ(b->paths[0].latency, b->paths[1].latency);
  EXPECT_EQ(b->best_path()->phys.remote, first);
  EXPECT_EQ(t.core("a").preferred_path(*b, t.now + 60)->phys.remote, second);
  EXPECT_EQ(echo_goes_to(t, t.now + 60), second);
}

TEST(ControlCorePaths, RootKeepsTheMostRecentlyHeardPath) {
  // A root measures no latency toward its leaves (it never HELLOs them):
  // its relay and table choice stays the most recently heard path.
  Net t;
  t.hello_roots("a");
  Core& root = t.core("root");
  const Peer* a = root.peers().find(t.a.address());
  ASSERT_NE(a, nullptr);
  ASSERT_NE(root.preferred_path(*a, t.now), nullptr);
  EXPECT_EQ(root.preferred_path(*a, t.now), a->best_path());
  EXPECT_EQ(a->best_path()->latency, Path::kLatencyUnknown);
}

}  // namespace
}  // namespace flatnet::control
