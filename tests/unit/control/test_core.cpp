// The control core end to end: a root and two leaves (in-memory cores)
// exchanging datagrams through a fake network; HELLO floods against the
// per-source and global limits; capacity, eviction and timeouts.
#include <gtest/gtest.h>

#include <set>
#include <tuple>

#include "tests/unit/control/harness.hpp"

namespace flatnet::control {
namespace {

using test::FakeNet;
using test::parse_identity;
using test::path_from;
using test::v4;

using test::Testnet;

TEST(ControlCore, MetricSamplesNameEveryCounterOnce) {
  Testnet t;
  t.hello("a");
  auto samples = metric_samples(t.core("root").metrics());
  std::set<std::string> names;
  for (const auto& s : samples) {
    EXPECT_TRUE(names.insert(s.name).second) << s.name;
    EXPECT_EQ(s.name.rfind("flatnet_control_", 0), 0u);
    EXPECT_NE(std::string(s.help), "");
  }
  // 42 counters (4 of them the crypto/mb bursts) + every drop reason + the
  // verbs seen (HELLO, and the OK answering the root's challenge of the new path).
  EXPECT_EQ(samples.size(), 42u + size_t(Drop::kCount) + 2);
  auto find = [&](const std::string& n) {
    for (const auto& s : samples)
      if (s.name == n) return s.value;
    return uint64_t(~0ULL);
  };
  EXPECT_EQ(find("flatnet_control_hello_answered"), 1u);
  EXPECT_EQ(find("flatnet_control_rx_verb_1"), 1u);
  EXPECT_EQ(find("flatnet_control_drop_bad_mac"), 0u);
}

TEST(ControlCore, RolesFromThePlanet) {
  Testnet t;
  EXPECT_TRUE(t.core("root").am_root());
  EXPECT_FALSE(t.core("a").am_root());
  const Peer* up = t.core("a").peers().find(t.root.address());
  ASSERT_NE(up, nullptr);
  EXPECT_TRUE(up->is_upstream());
  EXPECT_EQ(t.core("root").peers().size(), 0u);
}

TEST(ControlCore, HelloIsAnsweredCipher1FirstThenCipher3) {
  Testnet t;
  t.hello("a");
  const Metrics& m = t.core("root").metrics();
  EXPECT_EQ(m.peers_learned, 1u);
  EXPECT_EQ(m.identity_checks, 1u);
  EXPECT_EQ(m.hello_answered, 1u);
  // HELLO, OK(HELLO), the root's ECHO challenging the new path, its OK.
  ASSERT_EQ(t.net.log.size(), 4u);
  EXPECT_EQ(wire::packet_cipher(t.net.log[0].bytes.data()), wire::Cipher::kPoly1305None);
  EXPECT_EQ(wire::packet_cipher(t.net.log[1].bytes.data()), wire::Cipher::kSalsa2012Poly1305);
  EXPECT_TRUE(t.net.log[1].bytes[wire::kIdxFlags] & wire::kFlagLegacyEncrypted);

  // The OK parses as the spec says: echoed timestamp, our version, a's address.
  auto ok = test::open_from(t.a, t.root, t.net.log[1].bytes);
  ASSERT_FALSE(ok.empty());
  EXPECT_EQ(packet_verb(ok.data()), wire::Verb::kOk);
  OkHello oh;
  ASSERT_EQ(decode_ok_hello(packet_payload(ok), oh), DecodeStatus::kOk);
  EXPECT_EQ(oh.re.in_re_verb, wire::Verb::kHello);
  EXPECT_EQ(oh.re.in_re_packet_id, wire::packet_id(t.net.log[0].bytes.data()));
  EXPECT_EQ(oh.timestamp, t.now);
  EXPECT_EQ(oh.version.proto, 12);
  EXPECT_EQ(oh.external, t.a_at);
  EXPECT_TRUE(oh.worlds.empty());  // same planet, same timestamp

  // The leaf took the root's version and path from the OK.
  const Peer* up = t.core("a").peers().find(t.root.address());
  ASSERT_TRUE(up->version_known);
  ASSERT_NE(up->best_path(), nullptr);
  EXPECT_EQ(up->best_path()->phys.remote, t.root_at);

  // The root told the data plane where a is.
  ASSERT_EQ(t.net.table["root"].size(), 1u);
  EXPECT_EQ(t.net.table["root"][0],
            (TableCommand{TableOp::kPeerUpsert, t.a.address(), path_from(t.a_at)}));

  // Second HELLO: the version is known now, so AES-GMAC-SIV; no new identity work.
  t.now += 60000;
  t.hello("a");
  EXPECT_EQ(wire::packet_cipher(t.net.log[3].bytes.data()), wire::Cipher::kAesGmacSiv);
  EXPECT_EQ(m.identity_checks, 1u);
  EXPECT_EQ(m.key_agreements, 1u);
  EXPECT_EQ(m.hello_answered, 2u);
  EXPECT_EQ(t.net.table["root"].size(), 1u);  // same path: no new command
}

TEST(ControlCore, OlderPlanetGetsTheRootsPlanet) {
  Testnet t;
  Actions out;
  auto hello = test::build_hello(t.a, t.root, 5, t.root_at, t.planet.id, t.planet.timestamp - 1);
  t.core("root").receive(path_from(t.a_at), hello, t.now, out);
  ASSERT_EQ(out.send.size(), 2u);  // OK(HELLO), then the path challenge
  auto ok = test::open_from(t.a, t.root, out.send[0].bytes);
  OkHello oh;
  ASSERT_EQ(decode_ok_hello(packet_payload(ok), oh), DecodeStatus::kOk);
  std::vector<uint8_t> planet_bytes;
  ASSERT_TRUE(wire::serialize_world(t.planet, planet_bytes));
  EXPECT_EQ(oh.worlds, planet_bytes);
  EXPECT_EQ(t.core("root").metrics().worlds_sent, 1u);
  // A newer or foreign planet gets nothing.
  out.clear();
  hello = test::build_hello(t.a, t.root, 6, t.root_at, 149604618, 1);
  t.core("root").receive(path_from(t.a_at), hello, t.now, out);
  ASSERT_EQ(out.send.size(), 1u);
  ok = test::open_from(t.a, t.root, out.send[0].bytes);
  ASSERT_EQ(decode_ok_hello(packet_payload(ok), oh), DecodeStatus::kOk);
  EXPECT_TRUE(oh.worlds.empty());
}

TEST(ControlCore, TwoLeavesMeetThroughTheRoot) {
  Testnet t;
  t.hello("a");
  t.hello("b");
  // Each asks the root who the other is, and who the root is (Appendix E.2).
  t.whois("a", t.b.address());
  t.whois("b", t.a.address());
  t.whois("a", t.root.address());
  const Metrics& rm = t.core("root").metrics();
  EXPECT_EQ(rm.whois_answered, 3u);
  ASSERT_NE(t.core("a").peers().find(t.b.address()), nullptr);
  ASSERT_NE(t.core("b").peers().find(t.a.address()), nullptr);
  EXPECT_EQ(t.core("a").metrics().peers_learned, 1u);

  // The data plane reports a relayed pair; the root introduces them.
  Actions out;
  t.core("root").relayed_pair(t.a.address(), t.b.address(), t.now, out);
  EXPECT_EQ(out.send.size(), 2u);
  EXPECT_EQ(rm.rendezvous_sent, 2u);
  t.net.pump("root", out, t.now);
  EXPECT_EQ(t.core("a").metrics().rendezvous_received, 1u);
  EXPECT_EQ(t.core("b").metrics().rendezvous_received, 1u);

  // Both punched (4-byte TTL-2 junk) and HELLOed each other directly; each
  // OK taught the HELLO's sender the direct path.
  const Peer* ab = t.core("a").peers().find(t.b.address());
  const Peer* ba = t.core("b").peers().find(t.a.address());
  ASSERT_NE(ab->best_path(), nullptr);
  ASSERT_NE(ba->best_path(), nullptr);
  EXPECT_EQ(ab->best_path()->phys.remote, t.b_at);
  EXPECT_EQ(ba->best_path()->phys.remote, t.a_at);
  EXPECT_TRUE(ab->version_known);
  size_t junk = 0;
  for (auto& s : t.net.log) junk += s.bytes.size() == 4;
  EXPECT_EQ(junk, 2u);

  // Another relayed packet within 30 s: no new introduction.
  out.clear();
  t.core("root").relayed_pair(t.b.address(), t.a.address(), t.now + 29999, out);
  EXPECT_TRUE(out.send.empty());
  EXPECT_EQ(rm.rendezvous_pair_limited, 1u);
  t.core("root").relayed_pair(t.b.address(), t.a.address(), t.now + 30000, out);
  EXPECT_EQ(out.send.size(), 2u);
  // Unknown pair member: nothing sent, counted.
  out.clear();
  t.core("root").relayed_pair(t.a.address(), 0x0102030405ULL, t.now, out);
  EXPECT_TRUE(out.send.empty());
  EXPECT_EQ(rm.rendezvous_no_path, 1u);
}

TEST(ControlCore, RendezvousPrefersTheMostPrivateScopeBothShare) {
  Testnet t;
  Core& root = t.core("root");
  // a is heard from a private and a global address, b from a global one only.
  auto a_global = v4(8, 1, 1, 11, 40000), b_global = v4(9, 1, 1, 12, 40001);
  Actions out;
  root.receive(path_from(t.a_at), test::build_hello(t.a, t.root, 1, t.root_at), t.now, out);
  root.receive(path_from(a_global), test::build_hello(t.a, t.root, 2, t.root_at), t.now + 1, out);
  root.receive(path_from(b_global), test::build_hello(t.b, t.root, 1, t.root_at), t.now + 2, out);
  root.receive(path_from(t.b_at), test::build_hello(t.b, t.root, 2, t.root_at), t.now + 3, out);
  root.receive(path_from(b_global), test::build_hello(t.b, t.root, 3, t.root_at), t.now + 4, out);
  // b's most recent path is global, but both share the private scope: use it.
  out.clear();
  root.relayed_pair(t.a.address(), t.b.address(), t.now + 5, out);
  ASSERT_EQ(out.send.size(), 2u);
  EXPECT_EQ(out.send[0].path.remote, t.a_at);
  EXPECT_EQ(out.send[1].path.remote, t.b_at);
  auto r = test::open_from(t.a, t.root, out.send[0].bytes);
  Rendezvous rv;
  ASSERT_EQ(decode_rendezvous(packet_payload(r), rv), DecodeStatus::kOk);
  EXPECT_EQ(rv.with, t.b.address());
  EXPECT_EQ(rv.at, t.b_at);
}

TEST(ControlCore, RendezvousToAnUnusableAddressIsRefused) {
  Testnet t;
  t.hello("a");
  t.hello("b");
  t.whois("a", t.b.address());
  std::vector<uint8_t> p;
  wire::Writer w(p);
  encode_rendezvous(Rendezvous{0, t.b.address(), v4(127, 0, 0, 1)}, w);
  Actions out;
  t.core("a").receive(path_from(t.root_at),
                      test::build_packet(t.root, t.a, wire::Verb::kRendezvous, p,
                                         crypto::Suite::kAesGmacSiv),
                      t.now, out);
  EXPECT_TRUE(out.send.empty());
  EXPECT_EQ(t.core("a").metrics().drop(Drop::unusable_address), 1u);
  EXPECT_EQ(t.core("a").metrics().rendezvous_received, 0u);
}

TEST(ControlCore, RendezvousGlobalBudget) {
  Limits l;
  l.rendezvous_per_second = 2;  // one introduction (two packets) per second
  Testnet t(l);
  static const crypto::Identity c = crypto::Identity::generate();
  Config cc;
  cc.identity = c;
  cc.planet = t.planet;
  auto c_at = v4(10, 99, 0, 13);
  t.net.add("c", cc, c_at, t.now);
  t.hello("a");
  t.hello("b");
  t.hello("c");
  Core& root = t.core("root");
  Actions out;
  root.relayed_pair(t.a.address(), t.b.address(), t.now, out);
  EXPECT_EQ(out.send.size(), 2u);
  // A second pair in the same instant: over budget, refused and counted,
  // and its pair gate stays open for when the budget allows.
  root.relayed_pair(t.a.address(), c.address(), t.now, out);
  EXPECT_EQ(out.send.size(), 2u);
  EXPECT_EQ(root.metrics().rendezvous_budget_limited, 1u);
  root.relayed_pair(t.a.address(), c.address(), t.now + 1000, out);
  EXPECT_EQ(out.send.size(), 4u);
  EXPECT_EQ(root.metrics().rendezvous_pair_limited, 0u);
  EXPECT_EQ(root.metrics().rendezvous_sent, 4u);
}

TEST(ControlCore, EchoAnsweredAndRateLimitedPerPath) {
  Testnet t;
  t.hello("a");
  const uint8_t ping[] = {'p', 'i', 'n', 'g'};
  for (uint64_t dt : {0, 100, 166}) {
    Actions out;
    ASSERT_TRUE(t.core("a").send_echo(t.root.address(), ping, t.now + dt, out));
    t.net.pump("a", out, t.now + dt);
  }
  const Metrics& m = t.core("root").metrics();
  EXPECT_EQ(m.echo_answered, 2u);
  EXPECT_EQ(m.drop(Drop::echo_limited), 1u);
  auto ok = test::open_from(t.a, t.root, t.net.log.back().bytes);
  ReplyHeader re;
  ASSERT_EQ(decode_reply_header(packet_payload(ok), re), DecodeStatus::kOk);
  EXPECT_EQ(re.in_re_verb, wire::Verb::kEcho);
  auto payload = packet_payload(ok).subspan(kReplyHeaderLength);
  EXPECT_EQ(std::vector<uint8_t>(payload.begin(), payload.end()),
            std::vector<uint8_t>(std::begin(ping), std::end(ping)));
}

TEST(ControlCore, HelloFloodFromOneSourceIsCappedOthersGetThrough) {
  Testnet t;
  Core& root = t.core("root");
  auto flooder = v4(203, 0, 113, 5, 40000);
  for (int i = 0; i < 200; ++i) {
    auto bogus = test::bogus_identity(0x1100000000ULL + uint64_t(i));
    auto h = test::build_hello(bogus, t.root, uint64_t(i), t.root_at);
    Actions out;
    root.receive(path_from(flooder), h, t.now, out);
    EXPECT_TRUE(out.send.empty());
  }
  const Metrics& m = root.metrics();
  // Per-source burst of 2: two costly checks, the other 198 refused cheaply.
  EXPECT_EQ(m.key_agreements, 2u);
  EXPECT_EQ(m.identity_checks, 2u);
  EXPECT_EQ(m.drop(Drop::identity_invalid), 2u);
  EXPECT_EQ(m.drop(Drop::identity_source_limited), 198u);
  EXPECT_EQ(root.identity_queue_depth(), 0u);
  EXPECT_EQ(root.peers().size(), 0u);

  // Meanwhile a real leaf from another address gets in at once.
  t.hello("a");
  EXPECT_EQ(m.peers_learned, 1u);
  EXPECT_NE(root.peers().find(t.a.address()), nullptr);

  // The flooding /32 earns one more check per 2 s.
  auto bogus = test::bogus_identity(0x1200000000ULL);
  Actions out;
  root.receive(path_from(flooder), test::build_hello(bogus, t.root, 1, t.root_at), t.now + 1999, out);
  EXPECT_EQ(m.drop(Drop::identity_source_limited), 199u);
  root.receive(path_from(flooder), test::build_hello(bogus, t.root, 2, t.root_at), t.now + 2000, out);
  EXPECT_EQ(m.identity_checks, 4u);  // a's, and this one
}

TEST(ControlCore, GlobalIdentityBudgetQueuesAndExpires) {
  Limits l;
  l.identity_checks_per_second = 5;
  l.identity_queue = 10;
  Testnet t(l);
  Core& root = t.core("root");
  for (int i = 0; i < 100; ++i) {
    auto bogus = test::bogus_identity(0x1300000000ULL + uint64_t(i));
    auto h = test::build_hello(bogus, t.root, 1, t.root_at);
    Actions out;
    root.receive(path_from(v4(198, 18, uint8_t(i / 250), uint8_t(i % 250 + 1))), h, t.now, out);
    if (i == 99) {
      EXPECT_EQ(out.next_deadline, t.now + 200);  // the next token
    }
  }
  const Metrics& m = root.metrics();
  EXPECT_EQ(m.key_agreements, 5u);  // the burst
  EXPECT_EQ(m.identity_queued, 10u);
  EXPECT_EQ(root.identity_queue_depth(), 10u);
  EXPECT_EQ(m.drop(Drop::identity_queue_full), 85u);

  Actions out;
  root.run_background(t.now + 1000, out);  // five more tokens
  EXPECT_EQ(m.key_agreements, 10u);
  EXPECT_EQ(root.identity_queue_depth(), 5u);
  root.run_background(t.now + 6000, out);  // the rest waited too long
  EXPECT_EQ(m.drop(Drop::identity_queue_expired), 5u);
  EXPECT_EQ(root.identity_queue_depth(), 0u);
  EXPECT_EQ(m.key_agreements, 10u);
}

TEST(ControlCore, QueuedGenuineHelloIsAnsweredWhenTheBudgetAllows) {
  Limits l;
  l.identity_checks_per_second = 1;
  Testnet t(l);
  Core& root = t.core("root");
  Actions out;
  root.receive(path_from(v4(198, 18, 0, 1)),
               test::build_hello(test::bogus_identity(0x1400000000ULL), t.root, 1, t.root_at),
               t.now, out);
  // a's HELLO has to wait for the next token.
  auto h = test::build_hello(t.a, t.root, 7, t.root_at);
  root.receive(path_from(t.a_at), h, t.now, out);
  EXPECT_TRUE(out.send.empty());
  EXPECT_EQ(root.identity_queue_depth(), 1u);
  EXPECT_EQ(out.next_deadline, t.now + 1000);
  out.clear();
  root.run_background(t.now + 1000, out);
  ASSERT_EQ(out.send.size(), 2u);  // OK(HELLO) and the path challenge
  EXPECT_EQ(out.send[0].path.remote, t.a_at);
  EXPECT_EQ(root.metrics().peers_learned, 1u);
}

TEST(ControlCore, PeerCapacityEvictsAndTellsTheDataPlane) {
  Limits l;
  l.peer_capacity = 1;
  Testnet t(l);
  t.hello("a");
  t.hello("b");
  Core& root = t.core("root");
  EXPECT_EQ(root.peers().size(), 1u);
  EXPECT_EQ(root.peers().find(t.a.address()), nullptr);
  EXPECT_NE(root.peers().find(t.b.address()), nullptr);
  EXPECT_EQ(root.metrics().peers_evicted, 1u);
  auto& cmds = t.net.table["root"];
  ASSERT_EQ(cmds.size(), 3u);
  EXPECT_EQ(cmds[1].op, TableOp::kPeerDelete);
  EXPECT_EQ(cmds[1].address, t.a.address());
  EXPECT_EQ(cmds[2].op, TableOp::kPeerUpsert);
  EXPECT_EQ(cmds[2].address, t.b.address());
}

TEST(ControlCore, ResyncReannouncesEveryPeerWithAPath) {
  Testnet t;
  t.hello("a");
  t.hello("b");
  Actions out;
  t.core("root").resync(t.now, out);
  ASSERT_EQ(out.table.size(), 2u);
  std::set<uint64_t> seen;
  for (const auto& c : out.table) {
    EXPECT_EQ(c.op, TableOp::kPeerUpsert);
    seen.insert(c.address);
  }
  EXPECT_EQ(seen, (std::set<uint64_t>{t.a.address(), t.b.address()}));
  // Nothing changed since: a further HELLO on the same path adds no command.
  t.now += 1000;
  t.hello("a");
  EXPECT_EQ(t.net.table["root"].size(), 2u);
}

TEST(ControlCore, SilentPathsAndPeersAreForgotten) {
  Testnet t;
  t.hello("a");
  Core& root = t.core("root");
  Actions out;
  root.run_background(t.now + 100000, out);
  EXPECT_TRUE(out.table.empty());
  root.run_background(t.now + 243000, out);
  ASSERT_EQ(out.table.size(), 1u);  // the only path expired: the data plane forgets a
  EXPECT_EQ(out.table[0].op, TableOp::kPeerDelete);
  EXPECT_EQ(root.metrics().paths_expired, 1u);
  EXPECT_NE(root.peers().find(t.a.address()), nullptr);
  out.clear();
  root.run_background(t.now + 500000, out);
  EXPECT_EQ(root.peers().find(t.a.address()), nullptr);
  EXPECT_EQ(root.metrics().peers_forgotten, 1u);
  EXPECT_TRUE(out.table.empty());  // already deleted with its path
  EXPECT_LE(out.next_deadline, t.now + 500000 + 30000);
  EXPECT_GT(out.next_deadline, t.now + 500000);
}

TEST(ControlCore, IdentityCollisionIsAnsweredNotAdopted) {
  Testnet t;
  t.hello("a");
  Core& root = t.core("root");
  auto impostor = test::bogus_identity(t.a.address());
  Actions out;
  root.receive(path_from(v4(192, 0, 2, 66)), test::build_hello(impostor, t.root, 99, t.root_at),
               t.now, out);
  ASSERT_EQ(out.send.size(), 1u);
  EXPECT_EQ(wire::packet_cipher(out.send[0].bytes.data()), wire::Cipher::kSalsa2012Poly1305);
  auto err = test::open_from(impostor, t.root, out.send[0].bytes);
  ASSERT_FALSE(err.empty());
  Error e;
  ASSERT_EQ(decode_error(packet_payload(err), e), DecodeStatus::kOk);
  EXPECT_EQ(e.code, ErrorCode::kIdentityCollision);
  EXPECT_EQ(root.metrics().drop(Drop::identity_collision), 1u);
  EXPECT_TRUE(root.peers().find(t.a.address())->identity == t.a);
}

TEST(ControlCore, ReplayedOlderHelloDoesNotMoveThePath) {
  Testnet t;
  Core& root = t.core("root");
  auto first = test::build_hello(t.a, t.root, 100, t.root_at);
  auto second = test::build_hello(t.a, t.root, 200, t.root_at);
  Actions out;
  root.receive(path_from(t.a_at), first, t.now, out);
  root.receive(path_from(t.a_at), second, t.now + 1, out);
  EXPECT_EQ(out.send.size(), 3u);  // two OK(HELLO), one path challenge
  out.clear();
  root.receive(path_from(v4(192, 0, 2, 99)), first, t.now + 2, out);
  EXPECT_TRUE(out.send.empty());
  EXPECT_EQ(root.metrics().drop(Drop::hello_stale), 1u);
  EXPECT_EQ(root.peers().find(t.a.address())->best_path()->phys.remote, t.a_at);
}

TEST(ControlCore, ReplayedLatestHelloFromElsewhereMustProveThePath) {
  Testnet t;
  Core& root = t.core("root");
  auto latest = test::build_hello(t.a, t.root, 100, t.root_at);
  Actions out;
  root.receive(path_from(t.a_at), latest, t.now, out);
  ASSERT_EQ(out.table.size(), 1u);
  out.clear();
  auto elsewhere = v4(192, 0, 2, 99);
  root.receive(path_from(elsewhere), latest, t.now + 1, out);
  // Answered (as stock would), plus a HELLO to confirm the address, but the
  // data plane's path for a does not move.
  ASSERT_EQ(out.send.size(), 2u);
  EXPECT_EQ(wire::packet_cipher(out.send[1].bytes.data()), wire::Cipher::kPoly1305None);
  EXPECT_TRUE(out.table.empty());
  EXPECT_EQ(root.peers().find(t.a.address())->best_path()->phys.remote, t.a_at);
  // A newer HELLO from a new address is believed at once.
  out.clear();
  root.receive(path_from(elsewhere), test::build_hello(t.a, t.root, 101, t.root_at), t.now + 2, out);
  ASSERT_EQ(out.table.size(), 1u);
  EXPECT_EQ(out.table[0].path.remote, elsewhere);
}

TEST(ControlCore, NewPathIsConfirmedByHelloBeforeUse) {
  Testnet t;
  t.hello("a");
  Core& root = t.core("root");
  // a's NAT mapping changes: an authenticated packet from a new port.
  auto moved = v4(10, 99, 0, 11, 40001);
  auto nop = test::build_packet(t.a, t.root, wire::Verb::kNop, {}, crypto::Suite::kAesGmacSiv);
  Actions out;
  root.receive(path_from(moved), nop, t.now + 10, out);
  ASSERT_EQ(out.send.size(), 1u);  // a HELLO to the new address
  EXPECT_EQ(out.send[0].path.remote, moved);
  EXPECT_TRUE(out.table.empty());  // not believed yet
  EXPECT_EQ(root.peers().find(t.a.address())->best_path()->phys.remote, t.a_at);
  // The OK(HELLO) coming back from there proves it.
  auto hello = out.send[0].bytes;
  Actions aout;
  t.core("a").receive(path_from(t.root_at), hello, t.now + 11, aout);
  ASSERT_EQ(aout.send.size(), 1u);
  out.clear();
  root.receive(path_from(moved), aout.send[0].bytes, t.now + 12, out);
  ASSERT_EQ(out.table.size(), 1u);
  EXPECT_EQ(out.table[0], (TableCommand{TableOp::kPeerUpsert, t.a.address(), path_from(moved)}));
}

TEST(ControlCore, RootAsksASiblingRootForUnknownAddresses) {
  // A planet with two roots; a talks to root 1 only, b to root 2 only.
  FakeNet net;
  uint64_t now = 1000000;
  static const crypto::Identity root2 = crypto::Identity::generate();
  const crypto::Identity& root1 = test::root_identity();
  auto a = parse_identity(test::kIdentityA), b = parse_identity(test::kIdentityB);
  auto r1_at = v4(10, 99, 0, 1), r2_at = v4(10, 99, 0, 2), a_at = v4(10, 99, 0, 11),
       b_at = v4(10, 99, 0, 12);
  wire::World planet = test::make_planet(root1, r1_at);
  wire::WorldRoot second;
  second.identity = root2;
  second.endpoints.push_back(r2_at);
  planet.roots.push_back(second);
  Config c;
  c.planet = planet;
  for (auto [name, id, at] : {std::tuple{"r1", root1, r1_at}, std::tuple{"r2", root2, r2_at},
                              std::tuple{"a", a, a_at}, std::tuple{"b", b, b_at}}) {
    c.identity = id;
    net.add(name, c, at, now);
  }
  ASSERT_TRUE(net["r2"].core->am_root());
  auto hello = [&](const char* from, const crypto::Identity& to, const wire::InetAddress& at) {
    Actions out;
    ASSERT_TRUE(net[from].core->send_hello(to.address(), path_from(at), now, out));
    net.pump(from, out, now);
  };
  hello("r1", root2, r2_at);  // the siblings find each other (the glue will do this)
  hello("a", root1, r1_at);
  hello("b", root2, r2_at);
  Core& r1 = *net["r1"].core;
  Actions out;
  ASSERT_TRUE(net["a"].core->send_whois(root1.address(), b.address(), now, out));
  net.pump("a", out, now);
  EXPECT_EQ(r1.metrics().whois_unknown, 1u);
  EXPECT_EQ(r1.metrics().whois_forwarded, 1u);
  EXPECT_NE(r1.peers().find(b.address()), nullptr);  // learned from root 2
  EXPECT_EQ(net["a"].core->peers().find(b.address()), nullptr);
  // a's retry is answered.
  out.clear();
  now += 500;
  ASSERT_TRUE(net["a"].core->send_whois(root1.address(), b.address(), now, out));
  net.pump("a", out, now);
  EXPECT_NE(net["a"].core->peers().find(b.address()), nullptr);
  // Unknown everywhere: asked once per 500 ms per address, not per request.
  for (int i = 0; i < 3; ++i) {
    out.clear();
    ASSERT_TRUE(net["a"].core->send_whois(root1.address(), 0x0102030405ULL, now, out));
    net.pump("a", out, now);
  }
  EXPECT_EQ(r1.metrics().whois_forwarded, 2u);
  EXPECT_EQ(r1.metrics().whois_forward_limited, 2u);
}

TEST(ControlCore, MulticastDirectoryOnTheRoot) {
  Limits l;
  l.multicast_per_member = 3;
  Testnet t(l);
  t.hello("a");
  t.hello("b");
  Core& root = t.core("root");
  const uint64_t nwid = 0xee420f0cda000001ULL;
  const MulticastGroup bcast{0xffffffffffffULL, 0};
  auto like = [&](const crypto::Identity& who, const wire::InetAddress& at,
                  std::vector<MulticastLikeEntry> e, uint64_t when) {
    std::vector<uint8_t> p;
    wire::Writer w(p);
    encode_multicast_like(MulticastLike{std::move(e)}, w);
    Actions out;
    root.receive(path_from(at), test::build_packet(who, t.root, wire::Verb::kMulticastLike, p,
                                                   crypto::Suite::kAesGmacSiv),
                 when, out);
    EXPECT_TRUE(out.send.empty());
  };
  auto gather = [&](const crypto::Identity& who, const wire::InetAddress& at, uint64_t when) {
    std::vector<uint8_t> p;
    wire::Writer w(p);
    encode_multicast_gather(MulticastGather{nwid, 0, bcast, 16, {}}, w);
    Actions out;
    root.receive(path_from(at), test::build_packet(who, t.root, wire::Verb::kMulticastGather, p,
                                                   crypto::Suite::kAesGmacSiv),
                 when, out);
    OkMulticastGather ok;
    if (out.send.size() != 1) return ok;
    auto plain = test::open_from(who, t.root, out.send[0].bytes);
    EXPECT_EQ(decode_ok_multicast_gather(packet_payload(plain), ok), DecodeStatus::kOk);
    return ok;
  };
  like(t.a, t.a_at, {{nwid, bcast}}, t.now);
  like(t.b, t.b_at, {{nwid, bcast}}, t.now);
  EXPECT_EQ(root.multicast_subscriptions(), 2u);
  // b asks: gets a (never itself), and the group's size.
  auto ok = gather(t.b, t.b_at, t.now + 1);
  EXPECT_EQ(ok.members, std::vector<uint64_t>{t.a.address()});
  EXPECT_EQ(ok.total_known, 2u);
  EXPECT_EQ(ok.network_id, nwid);
  // Per-member cap: a may hold 3 subscriptions.
  like(t.a, t.a_at, {{nwid, {1, 1}}, {nwid, {2, 2}}, {nwid, {3, 3}}}, t.now + 2);
  EXPECT_EQ(root.multicast_subscriptions(), 4u);
  EXPECT_EQ(root.metrics().drop(Drop::multicast_full), 1u);
  // After 600 s without a LIKE, a is gone; b's refresh keeps b.
  like(t.b, t.b_at, {{nwid, bcast}}, t.now + 300000);
  ok = gather(t.b, t.b_at, t.now + 600001);
  EXPECT_TRUE(ok.members.empty());  // no reply: nobody but b
  Actions out;
  root.run_background(t.now + 600001, out);
  EXPECT_EQ(root.multicast_subscriptions(), 3u);  // a's later LIKEs are younger
  root.run_background(t.now + 600002 + 30000, out);
  EXPECT_EQ(root.multicast_subscriptions(), 1u);
  EXPECT_EQ(root.metrics().gathers_answered, 1u);
}

}  // namespace
}  // namespace flatnet::control
