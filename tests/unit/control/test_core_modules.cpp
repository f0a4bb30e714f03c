// The control core's modules on their own, without the Core facade: the
// peers module (one way to learn a peer, announce/forget, the path
// choice), the timers, the new-identity gate, and each role's own behaviour.
#include <gtest/gtest.h>

#include <set>

#include "control/core/identity_gate.hpp"
#include "control/core/leaf_role.hpp"
#include "control/core/packet.hpp"
#include "control/core/peers.hpp"
#include "control/core/root_role.hpp"
#include "control/core/sender.hpp"
#include "control/core/timers.hpp"
#include "control/core/worlds.hpp"
#include "tests/unit/control/harness.hpp"

namespace flatnet::control {
namespace {

using test::path_from;
using test::v4;

// The modules wired as Core wires them.
struct Modules {
  explicit Modules(PathChoice choice, Limits l = {}) : cfg(make_cfg(l)), peers(cfg.identity, cfg.limits, choice, m) {}
  static Config make_cfg(Limits l) {
    Config c;
    c.identity = test::root_identity();
    c.limits = l;
    return c;
  }
  Config cfg;
  Metrics m;
  Peers peers;
  Sender sender{cfg, peers, worlds, m};
  Worlds worlds{cfg, peers, sender, m};
};

crypto::Identity leaf(uint64_t address) { return test::bogus_identity(address); }

TEST(Peers, LearnEvictsAndTellsTheDataPlane) {
  Limits l;
  l.peer_capacity = 2;
  Modules t(PathChoice::kMostRecent, l);
  Actions out;
  for (uint64_t a = 1; a <= 3; ++a) ASSERT_NE(t.peers.learn(leaf(0x1000000000ULL + a), PeerRole::kLeaf, 10 * a, out), nullptr);
  EXPECT_EQ(t.m.peers_learned, 3u);
  EXPECT_EQ(t.m.key_agreements, 3u);
  EXPECT_EQ(t.m.peers_evicted, 1u);
  ASSERT_EQ(out.table.size(), 1u);
  EXPECT_EQ(out.table[0], (TableCommand{TableOp::kPeerDelete, 0x1000000001ULL, {}}));
  EXPECT_EQ(t.peers.find(0x1000000001ULL), nullptr);
}

TEST(Peers, AnnounceOnlyWhenThePathChangesAndForgetDeletes) {
  Modules t(PathChoice::kMostRecent);
  Actions out;
  Peer* p = t.peers.learn(leaf(0x2000000001ULL), PeerRole::kLeaf, 1, out);
  ASSERT_NE(p, nullptr);
  const PhysicalPath x = path_from(v4(198, 51, 100, 1)), y = path_from(v4(198, 51, 100, 2));
  t.peers.heard_on(*p, x, 10, out);
  t.peers.heard_on(*p, x, 20, out);  // same path: nothing new
  t.peers.heard_on(*p, y, 30, out);  // most recent is y now
  ASSERT_EQ(out.table.size(), 2u);
  EXPECT_EQ(out.table[0], (TableCommand{TableOp::kPeerUpsert, 0x2000000001ULL, x}));
  EXPECT_EQ(out.table[1], (TableCommand{TableOp::kPeerUpsert, 0x2000000001ULL, y}));
  out.clear();
  t.peers.announce_all(40, out);  // a restarted data plane hears it again
  ASSERT_EQ(out.table.size(), 1u);
  out.clear();
  t.peers.forget(0x2000000001ULL, out);
  ASSERT_EQ(out.table.size(), 1u);
  EXPECT_EQ(out.table[0].op, TableOp::kPeerDelete);
}

TEST(Peers, PathChoiceIsTheRolesOne) {
  // Two paths: a private one answering slowly, heard long ago; a public
  // one heard last. A root takes the most recent; a leaf takes the live
  // path of best quality.
  for (PathChoice c : {PathChoice::kMostRecent, PathChoice::kQuality}) {
    Modules t(c);
    Actions out;
    Peer* p = t.peers.learn(leaf(0x3000000001ULL), PeerRole::kLeaf, 1, out);
    ASSERT_NE(p, nullptr);
    const PhysicalPath priv = path_from(v4(10, 0, 0, 5)), pub = path_from(v4(198, 51, 100, 5));
    t.peers.heard_on(*p, priv, 1000, out);
    t.peers.heard_on(*p, pub, 2000, out);
    for (Path& q : p->paths) q.add_latency_sample(q.phys == priv ? 20 : 40);
    const Path* chosen = t.peers.path_to(*p, 3000);
    ASSERT_NE(chosen, nullptr);
    EXPECT_EQ(chosen->phys, c == PathChoice::kMostRecent ? pub : priv);
    // Long silent: no live path; a leaf's route then goes through nobody
    // (no upstream here) and falls back to a stale direct path.
    EXPECT_EQ(t.peers.live_path(*p, 2000 + Path::kAliveMs), nullptr);
    EXPECT_NE(t.peers.route(*p, 2000 + Path::kAliveMs), nullptr);
  }
}

TEST(Peers, UpstreamsAreLearnedDemotedAndNeverCountAgainstCapacity) {
  Limits l;
  l.peer_capacity = 1;
  Modules t(PathChoice::kQuality, l);
  Actions out;
  const crypto::Identity a = test::parse_identity(test::kIdentityA);
  const crypto::Identity b = test::parse_identity(test::kIdentityB);
  t.peers.set_upstreams({{&a, PeerRole::kPlanetRoot}, {&b, PeerRole::kMoonRoot}}, 1, out);
  EXPECT_EQ(t.peers.upstreams(), (std::vector<uint64_t>{a.address(), b.address()}));
  EXPECT_EQ(t.m.peers_learned, 0u);  // upstreams are configured, not learned
  ASSERT_NE(t.peers.learn(leaf(0x4000000001ULL), PeerRole::kLeaf, 2, out), nullptr);
  EXPECT_EQ(t.m.peers_evicted, 0u);
  // b stops being a root: it is a leaf again, and over capacity one goes.
  t.peers.set_upstreams({{&a, PeerRole::kPlanetRoot}}, 3, out);
  EXPECT_EQ(t.peers.upstreams(), (std::vector<uint64_t>{a.address()}));
  EXPECT_EQ(t.m.peers_evicted, 1u);
  EXPECT_EQ(t.peers.table().evictable(), 1u);
}

TEST(Peers, ExpireDropsSilentPathsThenPeers) {
  Modules t(PathChoice::kMostRecent);
  Actions out;
  Peer* p = t.peers.learn(leaf(0x5000000001ULL), PeerRole::kLeaf, 0, out);
  ASSERT_NE(p, nullptr);
  t.peers.heard_on(*p, path_from(v4(198, 51, 100, 9)), 0, out);
  out.clear();
  t.peers.expire(t.cfg.limits.path_timeout_ms, out);
  EXPECT_EQ(t.m.paths_expired, 1u);
  ASSERT_EQ(out.table.size(), 1u);
  EXPECT_EQ(out.table[0].op, TableOp::kPeerDelete);
  t.peers.expire(t.cfg.limits.peer_timeout_ms, out);
  EXPECT_EQ(t.m.peers_forgotten, 1u);
  EXPECT_EQ(t.peers.find(0x5000000001ULL), nullptr);
}

TEST(Timers, NextIsTheEarliestArmed) {
  Timers t;
  EXPECT_EQ(t.next(), Timers::kNever);
  t.arm(Timer::kHousekeeping, 500);
  t.arm(Timer::kPathCheck, 300);
  EXPECT_EQ(t.next(), 300u);
  EXPECT_FALSE(t.due(Timer::kPathCheck, 299));
  EXPECT_TRUE(t.due(Timer::kPathCheck, 300));
  t.arm(Timer::kPathCheck, 900);
  EXPECT_EQ(t.next(), 500u);
}

TEST(IdentityGate, SourceBucketThenBudgetThenBoundedQueue) {
  Limits l;
  l.identity_checks_per_second = 2;  // burst 2
  l.identity_queue = 2;
  l.identity_source_burst = 1;
  Metrics m;
  IdentityGate g(l, m);
  auto hello = [](uint8_t tag) { return std::vector<uint8_t>(40, tag); };
  uint64_t now = 1000;
  std::vector<uint8_t> p;
  // Two sources within the budget: checked at once.
  p = hello(1);
  EXPECT_TRUE(g.admit(path_from(v4(198, 18, 0, 1)), p, now));
  p = hello(2);
  EXPECT_TRUE(g.admit(path_from(v4(198, 18, 0, 2)), p, now));
  // The same source again: its bucket is empty.
  p = hello(3);
  EXPECT_FALSE(g.admit(path_from(v4(198, 18, 0, 1)), p, now));
  EXPECT_EQ(m.drop(Drop::identity_source_limited), 1u);
  // Budget spent: two wait, the third is refused.
  for (uint8_t i = 4; i <= 6; ++i) {
    p = hello(i);
    EXPECT_FALSE(g.admit(path_from(v4(198, 18, 0, i)), p, now));
  }
  EXPECT_EQ(g.depth(), 2u);
  EXPECT_EQ(m.identity_queued, 2u);
  EXPECT_EQ(m.drop(Drop::identity_queue_full), 1u);
  EXPECT_EQ(g.next_deadline(now), now + 500);  // the next token
  // Half a second later one token: the oldest goes, in order.
  auto ready = g.due(now + 500);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].packet, hello(4));
  EXPECT_EQ(ready[0].from.remote, v4(198, 18, 0, 4));
  // The other times out unchecked.
  EXPECT_TRUE(g.due(now + l.identity_queue_timeout_ms).empty());
  EXPECT_EQ(m.drop(Drop::identity_queue_expired), 1u);
  EXPECT_EQ(g.depth(), 0u);
  EXPECT_EQ(g.next_deadline(now), Timers::kNever);
}

TEST(LeafRole, HoldsPacketsOfUnknownSendersBoundedAndReleasesThem) {
  Modules t(PathChoice::kQuality);
  LeafRole leaf_role(t.cfg, t.peers, t.sender, t.m, 0);
  Actions out;
  for (size_t i = 0; i < timers::kHeldMax + 3; ++i) {
    std::vector<uint8_t> pkt(40, 0);
    wire::write_addr40(pkt.data() + wire::kIdxSource, i % 2 ? 0x0a00000001ULL : 0x0a00000002ULL);
    leaf_role.unknown_sender(path_from(v4(10, 0, 0, 1)), pkt, 100, out);
  }
  EXPECT_EQ(t.m.held_for_whois, timers::kHeldMax + 3);
  EXPECT_EQ(t.m.drop(Drop::unknown_sender), 3u);  // the oldest made room
  // The path check (armed at construction) comes before the held packets' expiry.
  EXPECT_EQ(leaf_role.next_deadline(), std::min(timers::kPathCheckMs, 100 + timers::kHeldMs));
  // Packets 3..66 are held; the odd ones are from ...01.
  const auto mine = leaf_role.release(0x0a00000001ULL);
  EXPECT_EQ(mine.size(), 32u);
  EXPECT_TRUE(leaf_role.release(0x0a00000001ULL).empty());
  // The rest expire with their timer.
  leaf_role.run(100 + timers::kHeldMs, out);
  EXPECT_TRUE(leaf_role.release(0x0a00000002ULL).empty());
}

TEST(LeafRole, SurfaceAddressesOnlyFromUpstreams) {
  Modules t(PathChoice::kQuality);
  LeafRole leaf_role(t.cfg, t.peers, t.sender, t.m, 0);
  Actions out;
  const crypto::Identity a = test::parse_identity(test::kIdentityA);
  t.peers.set_upstreams({{&a, PeerRole::kPlanetRoot}}, 1, out);
  Peer* other = t.peers.learn(leaf(0x6000000001ULL), PeerRole::kLeaf, 1, out);
  ASSERT_NE(other, nullptr);
  leaf_role.external_address(*other, v4(203, 0, 113, 7));
  EXPECT_TRUE(leaf_role.surface().empty());
  leaf_role.external_address(*t.peers.find(a.address()), v4(203, 0, 113, 7));
  leaf_role.external_address(*t.peers.find(a.address()), v4(127, 0, 0, 1));  // unusable
  EXPECT_EQ(leaf_role.surface(), (std::vector<wire::InetAddress>{v4(203, 0, 113, 7)}));
}

TEST(RootRole, DropsUnknownSendersAndRelaysOnlyWhenAskedTo) {
  Modules t(PathChoice::kMostRecent);
  RootRole root_role(t.cfg, t.peers, t.sender, t.worlds, t.m);
  Actions out;
  std::vector<uint8_t> pkt(40, 0);
  root_role.unknown_sender(path_from(v4(10, 0, 0, 1)), pkt, 1, out);
  EXPECT_EQ(t.m.drop(Drop::unknown_sender), 1u);
  EXPECT_TRUE(root_role.release(0).empty());
  root_role.not_for_us(path_from(v4(10, 0, 0, 1)), pkt, false, 1, out);
  EXPECT_EQ(t.m.drop(Drop::not_for_us), 1u);  // Config::relay is off
  EXPECT_TRUE(out.send.empty());
  EXPECT_EQ(root_role.next_deadline(), Timers::kNever);
}

// Packet ids come from a pool refilled in blocks: across many refills none
// repeats and none is the pool's cleared zero (a 1-in-2^64 chance each).
TEST(PacketIds, FreshAcrossPoolRefills) {
  std::set<uint64_t> seen;
  for (int i = 0; i < 1000; ++i) {
    const uint64_t id = random_packet_id();
    EXPECT_NE(id, 0u);
    EXPECT_TRUE(seen.insert(id).second) << "id " << id << " repeated at " << i;
  }
}

}  // namespace
}  // namespace flatnet::control
