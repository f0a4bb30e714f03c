// Leaf behaviour of the control core: ECHO answers reported to the caller,
// ECHO through the root when there is no direct path, HELLO upkeep toward
// the roots and direct peers, WHOIS for unknown senders, and peers
// restored from a previous run's cache.
#include <gtest/gtest.h>

#include "tests/unit/control/harness.hpp"

namespace flatnet::control {
namespace {

using test::FakeNet;
using test::parse_identity;
using test::path_from;
using test::v4;

using Net = test::Testnet;

TEST(ControlCoreLeaf, HelloUpstreamsGreetsEveryRootEndpoint) {
  Net t;
  Actions out;
  t.core("a").hello_upstreams(0, t.now, out);
  ASSERT_EQ(out.send.size(), 1u);
  EXPECT_EQ(out.send[0].path.remote, t.root_at);
  EXPECT_EQ(packet_verb(out.send[0].bytes.data()), wire::Verb::kHello);
  // The OK(HELLO) teaches the leaf the root's path.
  EXPECT_EQ(t.core("a").peers().find(t.root.address())->best_path(), nullptr);
  t.net.pump("a", out, t.now);
  ASSERT_NE(t.core("a").peers().find(t.root.address())->best_path(), nullptr);
  // A root greets no one but its sibling roots (none here).
  Actions r;
  t.core("root").hello_upstreams(0, t.now, r);
  EXPECT_TRUE(r.send.empty());
}

TEST(ControlCoreLeaf, EchoAnswerIsReportedWithItsPacketId) {
  Net t;
  t.hello_roots("a");
  const std::vector<uint8_t> payload = {1, 2, 3, 4, 5, 6, 7, 8};
  Actions out;
  const uint64_t id = t.core("a").send_echo(t.root.address(), payload, t.now, out);
  ASSERT_NE(id, 0u);
  ASSERT_EQ(out.send.size(), 1u);
  Actions r;
  t.core("root").receive(path_from(t.a_at), out.send[0].bytes, t.now, r);
  ASSERT_EQ(r.send.size(), 1u);
  Actions back;
  t.core("a").receive(path_from(t.root_at), r.send[0].bytes, t.now, back);
  ASSERT_EQ(back.echo_replies.size(), 1u);
  EXPECT_EQ(back.echo_replies[0].from, t.root.address());
  EXPECT_EQ(back.echo_replies[0].in_re_packet_id, id);
  EXPECT_EQ(back.echo_replies[0].hops, 0u);
  EXPECT_EQ(back.echo_replies[0].payload, payload);
  // The same OK again: still expected (replies are matched by ID by the
  // caller), but an OK(ECHO) for an ID we never sent is dropped.
  auto forged = test::build_packet(t.root, t.a, wire::Verb::kOk,
                                   std::vector<uint8_t>{uint8_t(wire::Verb::kEcho), 0, 0, 0, 0, 0,
                                                        0, 0, 42},
                                   crypto::Suite::kSalsa2012Poly1305);
  Actions f;
  t.core("a").receive(path_from(t.root_at), forged, t.now, f);
  EXPECT_TRUE(f.echo_replies.empty());
  EXPECT_EQ(t.core("a").metrics().drop(Drop::unexpected_ok), 1u);
}

TEST(ControlCoreLeaf, EchoWithoutDirectPathGoesThroughTheRoot) {
  Net t;
  t.hello_roots("a");
  t.hello_roots("b");
  Actions out;
  ASSERT_TRUE(t.core("a").send_whois(t.root.address(), t.b.address(), t.now, out));
  t.net.pump("a", out, t.now);
  ASSERT_NE(t.core("a").peers().find(t.b.address()), nullptr);
  out.clear();
  const uint8_t p[4] = {9, 9, 9, 9};
  ASSERT_NE(t.core("a").send_echo(t.b.address(), p, t.now, out), 0u);
  ASSERT_EQ(out.send.size(), 1u);
  EXPECT_EQ(out.send[0].path.remote, t.root_at);
  EXPECT_EQ(wire::packet_dest(out.send[0].bytes.data()), t.b.address());
  // Unknown peer: nothing sent.
  out.clear();
  EXPECT_EQ(t.core("a").send_echo(0x0102030405ULL, p, t.now, out), 0u);
  EXPECT_TRUE(out.send.empty());
}

// Two roots in one planet: relayed traffic goes through the root heard from
// most recently, so when one root falls silent the next answer from the
// other moves relaying there.
TEST(ControlCoreLeaf, RelayedEchoFollowsTheRootHeardMostRecently) {
  Net t;
  const crypto::Identity root2 = crypto::Identity::generate();
  const wire::InetAddress root2_at = v4(10, 99, 0, 2);
  wire::World planet = test::make_planet(t.root, t.root_at);
  wire::WorldRoot r2;
  r2.identity = root2;
  r2.endpoints.push_back(root2_at);
  planet.roots.push_back(r2);
  crypto::PrivateKey priv;
  crypto::c25519_generate(planet.updates_must_be_signed_by, priv);
  wire::world_sign(planet, planet.updates_must_be_signed_by, priv);
  for (const auto& [name, id] : {std::pair<std::string, crypto::Identity>{"a", t.a}, {"b", t.b},
                                 {"root", t.root}, {"root2", root2}}) {
    Config c;
    c.identity = id;
    c.planet = planet;
    t.net.add(name, c, name == "a" ? t.a_at : name == "b" ? t.b_at
                                   : name == "root" ? t.root_at : root2_at, t.now);
  }
  t.hello_roots("a");  // both roots answer at t.now
  t.hello_roots("b");
  t.whois("a", t.b.address());
  ASSERT_NE(t.core("a").peers().find(t.b.address()), nullptr);
  const uint8_t p[4] = {9, 9, 9, 9};
  auto via = [&](uint64_t now) {
    Actions out;
    EXPECT_NE(t.core("a").send_echo(t.b.address(), p, now, out), 0u);
    EXPECT_EQ(out.send.size(), 1u);
    return out.send.empty() ? wire::InetAddress{} : out.send[0].path.remote;
  };
  // root2 answers an ECHO a second later: it is now the freshest.
  t.now += 1000;
  Actions e;
  ASSERT_NE(t.core("a").send_echo(root2.address(), p, t.now, e), 0u);
  ASSERT_EQ(e.send.size(), 1u);
  EXPECT_EQ(e.send[0].path.remote, root2_at);
  t.net.pump("a", e, t.now);
  EXPECT_EQ(via(t.now), root2_at);
  // root2 goes silent; the next HELLO round is answered by root only.
  t.now += Core::kLeafHelloIntervalMs;
  Actions h;
  t.core("a").hello_upstreams(0, t.now, h);
  ASSERT_EQ(h.send.size(), 2u);
  std::erase_if(h.send, [&](const SendDatagram& d) { return d.path.remote == root2_at; });
  t.net.pump("a", h, t.now);
  EXPECT_EQ(via(t.now), t.root_at);
}

TEST(ControlCoreLeaf, UnknownSenderIsAskedOfTheRootAndItsPacketHeld) {
  Net t;
  t.hello_roots("b");
  const uint8_t p[4] = {1, 2, 3, 4};
  auto pkt = test::build_packet(t.a, t.b, wire::Verb::kEcho, p, crypto::Suite::kSalsa2012Poly1305);
  wire::packet_increment_hops(pkt.data());  // relayed by the root
  Actions out;
  t.core("b").receive(path_from(t.root_at), pkt, t.now, out);
  EXPECT_EQ(t.core("b").metrics().held_for_whois, 1u);
  EXPECT_EQ(t.core("b").metrics().drop(Drop::unknown_sender), 0u);
  ASSERT_EQ(out.send.size(), 1u);
  EXPECT_EQ(out.send[0].path.remote, t.root_at);
  Actions again;
  t.core("b").receive(path_from(t.root_at), pkt, t.now + 100, again);
  EXPECT_TRUE(again.send.empty());
  EXPECT_EQ(t.core("b").metrics().whois_forward_limited, 1u);
  // The root (which knows A after its HELLO) answers; B then knows A and
  // decodes both held ECHOs: the first is answered, the second (same path,
  // within 166 ms) is limited.
  const uint64_t answered = t.core("b").metrics().echo_answered;  // the root's challenge
  t.hello_roots("a");
  t.net.pump("b", out, t.now + 200);
  EXPECT_NE(t.core("b").peers().find(t.a.address()), nullptr);
  EXPECT_EQ(t.core("b").metrics().held_released, 2u);
  EXPECT_EQ(t.core("b").metrics().echo_answered, answered + 1);
}

TEST(ControlCoreLeaf, HeldPacketsAreBoundedAndExpire) {
  Net t;
  t.hello_roots("b");
  const uint8_t p[4] = {1, 2, 3, 4};
  auto pkt = test::build_packet(t.a, t.b, wire::Verb::kEcho, p, crypto::Suite::kSalsa2012Poly1305);
  Actions out;
  for (size_t i = 0; i < Core::kHeldMax + 10; ++i)
    t.core("b").receive(path_from(t.root_at), pkt, t.now, out);
  EXPECT_EQ(t.core("b").metrics().held_for_whois, Core::kHeldMax + 10);
  EXPECT_EQ(t.core("b").metrics().drop(Drop::unknown_sender), 10u);  // oldest pushed out
  EXPECT_LE(t.core("b").next_deadline(t.now), t.now + Core::kHeldMs);
  Actions later;
  t.core("b").run_background(t.now + Core::kHeldMs, later);
  EXPECT_EQ(t.core("b").metrics().drop(Drop::unknown_sender), Core::kHeldMax + 10);
}

TEST(ControlCoreLeaf, RestoredPeerIsAnnouncedAndAnswered) {
  Net t;
  crypto::Identity pub_a = parse_identity(t.a.to_string(false));
  Actions out;
  ASSERT_TRUE(t.core("root").restore_peer(pub_a, path_from(t.a_at), t.now, out));
  ASSERT_EQ(out.table.size(), 1u);
  EXPECT_EQ(out.table[0].op, TableOp::kPeerUpsert);
  EXPECT_EQ(out.table[0].address, t.a.address());
  EXPECT_EQ(out.table[0].path.remote, t.a_at);
  // Known already: refused.
  Actions dup;
  EXPECT_FALSE(t.core("root").restore_peer(pub_a, path_from(t.a_at), t.now, dup));
  // A's ECHO (no HELLO since the restart) is answered.
  const uint8_t p[4] = {4, 3, 2, 1};
  auto echo = test::build_packet(t.a, t.root, wire::Verb::kEcho, p,
                                 crypto::Suite::kSalsa2012Poly1305);
  Actions r;
  t.core("root").receive(path_from(t.a_at), echo, t.now, r);
  EXPECT_EQ(r.send.size(), 1u);
  EXPECT_EQ(t.core("root").metrics().echo_answered, 1u);
  // And B's WHOIS for A is answered from the restored entry.
  t.hello_roots("b");
  Actions w;
  ASSERT_TRUE(t.core("b").send_whois(t.root.address(), t.a.address(), t.now, w));
  t.net.pump("b", w, t.now);
  EXPECT_NE(t.core("b").peers().find(t.a.address()), nullptr);
}

}  // namespace
}  // namespace flatnet::control
