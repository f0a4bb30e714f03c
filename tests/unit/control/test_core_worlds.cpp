// Worlds in the control core: a moon fetched from its seed (WHOIS through
// the planet root, HELLO relayed by it, the moon in the seed's OK(HELLO)),
// its root becoming an upstream and deorbit undoing it; planet updates
// taken when newer and signed, refused otherwise; worlds from peers that
// are neither upstreams nor seeds refused. Every refusal is a counted drop.
#include <gtest/gtest.h>

#include <algorithm>

#include "tests/unit/control/harness.hpp"

namespace flatnet::control {
namespace {

using test::path_from;
using test::v4;

bool has(const std::vector<uint64_t>& v, uint64_t x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// The moon list of a HELLO `from` -> `to` (decrypted as the receiver does).
std::vector<HelloMoon> hello_moons(const crypto::Identity& from, const crypto::Identity& to,
                                   std::vector<uint8_t> hello) {
  Hello h;
  size_t tail = 0;
  EXPECT_EQ(decode_hello(packet_payload(hello), h, &tail), DecodeStatus::kOk);
  if (tail == 0) return {};
  crypto::hello_crypt_field(test::keys_between(to, from)->key48(), hello,
                            wire::kIdxPayload + tail);
  EXPECT_EQ(decode_hello_moons(packet_payload(hello), tail, h), DecodeStatus::kOk);
  return h.moons;
}

// Generating an identity costs ~15 memory-hard hashes: one moon root for
// every test.
const crypto::Identity& moon_root_identity() {
  static const crypto::Identity id = crypto::Identity::generate();
  return id;
}

// The Testnet (planet root + leaves A and B) plus a moon root "moon" that
// is a leaf of the planet and the only root of its moon. The planet root
// relays, as its data plane would.
struct MoonNet : test::Testnet {
  crypto::Identity mr = moon_root_identity();
  wire::InetAddress mr_at = v4(10, 99, 0, 21);
  test::WorldKey key = test::world_key();
  wire::World moon = test::make_world(wire::WorldType::kMoon, mr.address(), 5000, {{mr, mr_at}},
                                      key, key);

  MoonNet() {
    Config c;
    c.identity = mr;
    c.planet = planet;
    c.moons.push_back(moon);
    net.add("moon", c, mr_at, now);
    net.relays.insert("root");
  }
};

TEST(ControlCoreWorlds, OrbitThroughASeedFetchesTheMoonAndDeorbitLeavesIt) {
  MoonNet t;
  ASSERT_TRUE(t.core("moon").am_root());
  t.hello_roots("moon");  // the planet root learns the moon root
  t.hello_roots("a");
  Actions out;
  EXPECT_EQ(t.core("a").orbit(t.moon.id, t.mr.address(), t.now, out), Core::OrbitResult::kWaiting);
  ASSERT_EQ(t.core("a").moon_seeds().size(), 1u);
  // The seed is unknown: WHOIS through the planet root first.
  ASSERT_EQ(out.send.size(), 1u);
  EXPECT_EQ(out.send[0].path.remote, t.root_at);
  // Meanwhile every HELLO lists the wanted moon with timestamp 0 (stock).
  Actions w;
  t.core("a").hello_upstreams(0, t.now, w);
  ASSERT_EQ(w.send.size(), 1u);
  EXPECT_EQ(hello_moons(t.a, t.root, w.send[0].bytes),
            (std::vector<HelloMoon>{{127, t.moon.id, 0}}));
  t.net.pump("a", out, t.now);

  // OK(WHOIS) -> HELLO to the seed relayed by the root -> OK(HELLO) with the
  // moon -> the moon's root greeted on its stable endpoint.
  const Core& a = t.core("a");
  ASSERT_EQ(a.config().moons.size(), 1u);
  EXPECT_EQ(a.config().moons[0].id, t.moon.id);
  EXPECT_EQ(a.config().moons[0].timestamp, t.moon.timestamp);
  EXPECT_TRUE(a.moon_seeds().empty());
  EXPECT_EQ(a.metrics().worlds_accepted, 1u);
  ASSERT_EQ(t.net.worlds["a"].size(), 1u);  // reported for the caller to persist
  EXPECT_EQ(t.net.worlds["a"][0].id, t.moon.id);
  EXPECT_EQ(t.core("moon").metrics().worlds_sent, 1u);
  EXPECT_TRUE(has(a.upstreams(), t.mr.address()));
  EXPECT_TRUE(has(a.upstreams(), t.root.address()));
  const Peer* m = a.peers().find(t.mr.address());
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->role, PeerRole::kMoonRoot);
  ASSERT_NE(m->best_path(), nullptr);  // the greeting's OK proved the direct path
  EXPECT_EQ(m->best_path()->phys.remote, t.mr_at);
  EXPECT_FALSE(a.am_root());

  // HELLOs now list the moon with its timestamp; upkeep greets both roots.
  Actions h;
  t.core("a").hello_upstreams(0, t.now, h);
  ASSERT_EQ(h.send.size(), 2u);
  EXPECT_EQ(hello_moons(t.a, t.root, h.send[0].bytes),
            (std::vector<HelloMoon>{{127, t.moon.id, t.moon.timestamp}}));

  // Orbiting it again changes nothing.
  Actions again;
  EXPECT_EQ(t.core("a").orbit(t.moon.id, t.mr.address(), t.now, again), Core::OrbitResult::kJoined);
  EXPECT_TRUE(a.moon_seeds().empty());

  Actions d;
  EXPECT_TRUE(t.core("a").deorbit(t.moon.id, t.now, d));
  EXPECT_TRUE(a.config().moons.empty());
  EXPECT_FALSE(has(a.upstreams(), t.mr.address()));
  ASSERT_NE(a.peers().find(t.mr.address()), nullptr);  // a leaf now, ages out like one
  EXPECT_EQ(a.peers().find(t.mr.address())->role, PeerRole::kLeaf);
  // No moon in HELLOs any more; the former root only gets the keepalive
  // HELLO every leaf with a direct path gets.
  Actions h2;
  t.core("a").hello_upstreams(0, t.now, h2);
  ASSERT_EQ(h2.send.size(), 2u);
  for (const SendDatagram& s : h2.send)
    EXPECT_TRUE(hello_moons(t.a, s.path.remote == t.mr_at ? t.mr : t.root, s.bytes).empty());
  Actions d2;
  EXPECT_FALSE(t.core("a").deorbit(t.moon.id, t.now, d2));
}

TEST(ControlCoreWorlds, WaitingOrbitIsRetriedWithBackoffUntilTheSeedIsFound) {
  MoonNet t;
  t.hello_roots("a");  // the moon root has not said HELLO: the planet root does not know it
  Actions out;
  ASSERT_EQ(t.core("a").orbit(t.moon.id, t.mr.address(), t.now, out), Core::OrbitResult::kWaiting);
  t.net.pump("a", out, t.now);
  EXPECT_TRUE(t.core("a").config().moons.empty());
  EXPECT_EQ(t.core("a").next_deadline(t.now), t.now + Core::kMoonSeedRetryMs);
  // Retries at 2 s, then 4 s later, ...: each one a WHOIS to the root.
  Actions r;
  t.core("a").run_background(t.now + 2000, r);
  ASSERT_EQ(r.send.size(), 1u);
  EXPECT_EQ(t.core("a").moon_seeds()[0].next_try, t.now + 2000 + 4000);
  EXPECT_LE(r.next_deadline, t.now + 2000 + 4000);
  r.clear();
  t.core("a").run_background(t.now + 3000, r);  // not due
  EXPECT_TRUE(r.send.empty());
  // The wait is bounded: never longer than the HELLO interval. (Within the
  // path timeout, so A still has a path to the root to ask through.)
  // (Path heartbeats to the root run on the same calls: count the retries
  // by the seed's schedule moving on.)
  uint64_t at = t.now + 6000;
  size_t asked = 0;
  while (at < t.now + 200000) {
    r.clear();
    const uint64_t due = t.core("a").moon_seeds()[0].next_try;
    t.core("a").run_background(at, r);
    asked += t.core("a").moon_seeds()[0].next_try != due;
    ASSERT_EQ(t.core("a").moon_seeds().size(), 1u);
    EXPECT_LE(t.core("a").moon_seeds()[0].next_try - at, Core::kLeafHelloIntervalMs);
    at = r.next_deadline;
  }
  EXPECT_EQ(asked, 6u);  // at 6, 14, 30, 62, 122 and 182 s
  // The moon root comes up; the next retry finds it and fetches the moon.
  t.now = t.core("a").moon_seeds()[0].next_try;
  t.hello_roots("a");
  t.hello_roots("moon");
  r.clear();
  t.core("a").run_background(t.now, r);
  t.net.pump("a", r, t.now);
  ASSERT_EQ(t.core("a").config().moons.size(), 1u);
  EXPECT_TRUE(t.core("a").moon_seeds().empty());
  EXPECT_TRUE(has(t.core("a").upstreams(), t.mr.address()));
}

TEST(ControlCoreWorlds, OrbitRefusals) {
  test::Testnet t;
  Core& a = t.core("a");
  Actions out;
  EXPECT_EQ(a.orbit(0x1122334455ULL, 0, t.now, out), Core::OrbitResult::kNoSeed);
  EXPECT_EQ(a.orbit(0x1122334455ULL, t.a.address(), t.now, out), Core::OrbitResult::kBadSeed);
  for (uint64_t i = 0; i < Core::kMaxMoonSeeds; ++i)
    EXPECT_EQ(a.orbit(0x1000 + i, 0x2000 + i, t.now, out), Core::OrbitResult::kWaiting);
  EXPECT_EQ(a.orbit(0x9999, 0x2000, t.now, out), Core::OrbitResult::kTooMany);
  // A second orbit of a waiting moon replaces its seed.
  EXPECT_EQ(a.orbit(0x1000, 0x3000, t.now, out), Core::OrbitResult::kWaiting);
  EXPECT_EQ(a.moon_seeds().size(), Core::kMaxMoonSeeds);
  EXPECT_EQ(a.moon_seeds()[0].seed, 0x3000u);
  // A planet is not a moon.
  EXPECT_EQ(a.orbit(t.planet, t.now, out), Core::OrbitResult::kNotAMoon);
  // deorbit stops waiting.
  EXPECT_TRUE(a.deorbit(0x1000, t.now, out));
  EXPECT_EQ(a.moon_seeds().size(), Core::kMaxMoonSeeds - 1);
}

TEST(ControlCoreWorlds, MoonFromAFileIsJoinedAndUpdatedOnlyByTheRule) {
  MoonNet t;
  Core& a = t.core("a");
  Actions out;
  ASSERT_EQ(a.orbit(t.moon.id, t.mr.address(), t.now, out), Core::OrbitResult::kWaiting);
  EXPECT_EQ(a.orbit(t.moon, t.now, out), Core::OrbitResult::kJoined);
  EXPECT_TRUE(a.moon_seeds().empty());  // held now: no longer waited for
  EXPECT_TRUE(has(a.upstreams(), t.mr.address()));
  EXPECT_EQ(a.peers().find(t.mr.address())->role, PeerRole::kMoonRoot);
  // An unsigned newer revision from a file is not taken; a signed one is.
  wire::World forged = test::make_world(wire::WorldType::kMoon, t.moon.id, 6000, {{t.mr, t.mr_at}},
                                        test::world_key(), t.key);
  EXPECT_EQ(a.orbit(forged, t.now, out), Core::OrbitResult::kJoined);
  EXPECT_EQ(a.config().moons[0].timestamp, 5000u);
  wire::World next = test::make_world(wire::WorldType::kMoon, t.moon.id, 6000, {{t.mr, t.mr_at}},
                                      t.key, t.key);
  EXPECT_EQ(a.orbit(next, t.now, out), Core::OrbitResult::kJoined);
  EXPECT_EQ(a.config().moons[0].timestamp, 6000u);
}

// A planet whose key we hold, so updates can be signed.
struct PlanetNet : test::Testnet {
  crypto::Identity root2 = moon_root_identity();
  wire::InetAddress root2_at = v4(10, 99, 0, 2);
  test::WorldKey k1 = test::world_key(), k2 = test::world_key();
  wire::World p1 = test::make_world(wire::WorldType::kPlanet, 42424242, 1000, {{root, root_at}},
                                    k1, k1);

  // Root and leaf A on p1 (replacing the Testnet's nodes).
  PlanetNet() {
    Config c;
    c.identity = root;
    c.planet = p1;
    net.add("root", c, root_at, now);
    c.identity = a;
    net.add("a", c, a_at, now);
  }
  void root_serves(const wire::World& p) {
    Config c;
    c.identity = root;
    c.planet = p;
    net.add("root", c, root_at, now);
  }
};

TEST(ControlCorePlanetUpdate, NewerSignedPlanetIsTakenAndItsRootsFollow) {
  PlanetNet t;
  // Revision 2, signed with p1's update key, adds a second root.
  const wire::World p2 = test::make_world(wire::WorldType::kPlanet, 42424242, 2000,
                                          {{t.root, t.root_at}, {t.root2, t.root2_at}}, t.k1, t.k2);
  t.root_serves(p2);
  t.hello_roots("a");  // a's HELLO names p1's timestamp: the root answers with p2
  const Core& a = t.core("a");
  EXPECT_EQ(a.config().planet.timestamp, 2000u);
  EXPECT_EQ(a.metrics().worlds_accepted, 1u);
  ASSERT_EQ(t.net.worlds["a"].size(), 1u);
  EXPECT_EQ(t.net.worlds["a"][0].timestamp, 2000u);
  EXPECT_TRUE(has(a.upstreams(), t.root2.address()));
  EXPECT_EQ(a.peers().find(t.root2.address())->role, PeerRole::kPlanetRoot);
  // The new root was greeted at once on its stable endpoint.
  EXPECT_TRUE(std::any_of(t.net.outside.begin(), t.net.outside.end(),
                          [&](const auto& s) { return s.to == t.root2_at; }));

  // Revision 3 (signed with p2's key) drops the second root again.
  const wire::World p3 = test::make_world(wire::WorldType::kPlanet, 42424242, 3000,
                                          {{t.root, t.root_at}}, t.k2, t.k2);
  t.root_serves(p3);
  t.hello_roots("a");
  EXPECT_EQ(a.config().planet.timestamp, 3000u);
  EXPECT_FALSE(has(a.upstreams(), t.root2.address()));
  EXPECT_EQ(a.peers().find(t.root2.address())->role, PeerRole::kLeaf);
  EXPECT_EQ(a.metrics().worlds_accepted, 2u);
}

// An OK(HELLO) from `from` to `to` answering `hello` (a packet `to` sent),
// carrying `worlds` (serialized back to back, or raw bytes).
std::vector<uint8_t> ok_hello(const crypto::Identity& from, const crypto::Identity& to,
                              const std::vector<uint8_t>& hello, std::vector<uint8_t> worlds) {
  OkHello ok;
  ok.re = ReplyHeader{wire::Verb::kHello, wire::packet_id(hello.data())};
  ok.timestamp = 1;
  ok.version = Version{12, 1, 14, 1};
  ok.external = v4(10, 99, 0, 11);
  ok.worlds = std::move(worlds);
  std::vector<uint8_t> payload;
  wire::Writer w(payload);
  encode_ok_hello(ok, w);
  return test::build_packet(from, to, wire::Verb::kOk, payload,
                            crypto::Suite::kSalsa2012Poly1305);
}

std::vector<uint8_t> bytes_of(const wire::World& w) {
  std::vector<uint8_t> b;
  EXPECT_TRUE(wire::serialize_world(w, b));
  return b;
}

TEST(ControlCorePlanetUpdate, UnsignedOlderForeignOrMalformedWorldsAreCountedDrops) {
  PlanetNet t;
  Core& a = t.core("a");
  Actions h;
  ASSERT_TRUE(a.send_hello(t.root.address(), path_from(t.root_at), t.now, h));
  const std::vector<uint8_t> hello = h.send.at(0).bytes;
  auto feed = [&](const std::vector<uint8_t>& worlds) {
    Actions out;
    a.receive(path_from(t.root_at), ok_hello(t.root, t.a, hello, worlds), t.now, out);
    EXPECT_TRUE(out.worlds_learned.empty());
  };
  auto w = [&](uint64_t id, uint64_t ts, const test::WorldKey& sign,
               wire::WorldType type = wire::WorldType::kPlanet) {
    return bytes_of(test::make_world(type, id, ts, {{t.root, t.root_at}}, sign, sign));
  };
  feed(w(42424242, 2000, t.k2));  // newer, signed by a key that is not p1's update key
  EXPECT_EQ(a.metrics().drop(Drop::world_bad_signature), 1u);
  feed(w(42424242, 500, t.k1));   // older
  feed(w(42424242, 1000, t.k1));  // the same revision
  EXPECT_EQ(a.metrics().drop(Drop::world_not_newer), 2u);
  feed(w(149604618, 2000, t.k1));  // another planet ID
  feed(w(0x0102030405ULL, 2000, t.k1, wire::WorldType::kMoon));  // a moon nobody asked for
  EXPECT_EQ(a.metrics().drop(Drop::world_unwanted), 2u);
  // Truncated, a bad type, and a good world followed by garbage: the good one
  // before the garbage would be taken, so make it a refused one.
  std::vector<uint8_t> bad = w(42424242, 2000, t.k1);
  bad.resize(100);
  feed(bad);
  feed(std::vector<uint8_t>(200, 0x55));
  std::vector<uint8_t> tail = w(42424242, 900, t.k1);
  tail.push_back(0x01);
  feed(tail);
  EXPECT_EQ(a.metrics().drop(Drop::world_malformed), 3u);
  EXPECT_EQ(a.metrics().drop(Drop::world_not_newer), 3u);
  EXPECT_EQ(a.metrics().worlds_accepted, 0u);
  EXPECT_EQ(a.config().planet.timestamp, 1000u);
  EXPECT_EQ(a.upstreams().size(), 1u);
  // The same signed update in an OK nobody asked for is not even looked at.
  Actions out;
  std::vector<uint8_t> stray = hello;
  wire::write_be64(stray.data(), 0x1234);  // another packet ID
  a.receive(path_from(t.root_at), ok_hello(t.root, t.a, stray, w(42424242, 2000, t.k1)), t.now,
            out);
  EXPECT_EQ(a.metrics().drop(Drop::unexpected_ok), 1u);
  EXPECT_EQ(a.config().planet.timestamp, 1000u);
  // And then the real one is taken.
  Actions good;
  a.receive(path_from(t.root_at), ok_hello(t.root, t.a, hello, w(42424242, 2000, t.k1)), t.now,
            good);
  EXPECT_EQ(good.worlds_learned.size(), 1u);
  EXPECT_EQ(a.config().planet.timestamp, 2000u);
}

TEST(ControlCoreWorlds, MoonFromAPeerThatIsNeitherUpstreamNorSeedIsRefused) {
  MoonNet t;
  t.hello_roots("a");
  t.hello_roots("b");
  t.whois("a", t.b.address());
  Core& a = t.core("a");
  Actions out;
  ASSERT_EQ(a.orbit(t.moon.id, t.mr.address(), t.now, out), Core::OrbitResult::kWaiting);
  Actions h;
  ASSERT_TRUE(a.send_hello(t.b.address(), path_from(t.b_at), t.now, h));
  const std::vector<uint8_t> hello = h.send.at(0).bytes;
  Actions r;
  a.receive(path_from(t.b_at), ok_hello(t.b, t.a, hello, bytes_of(t.moon)), t.now, r);
  EXPECT_EQ(a.metrics().drop(Drop::world_not_upstream), 1u);
  EXPECT_TRUE(a.config().moons.empty());
  EXPECT_EQ(a.moon_seeds().size(), 1u);
  // B as the seed of another moon may answer, but a moon under that ID must
  // list B as a root.
  const uint64_t other = 0x0a0b0c0d0eULL;
  ASSERT_EQ(a.orbit(other, t.b.address(), t.now, out), Core::OrbitResult::kWaiting);
  const wire::World not_bs = test::make_world(wire::WorldType::kMoon, other, 7000,
                                              {{t.mr, t.mr_at}}, t.key, t.key);
  a.receive(path_from(t.b_at), ok_hello(t.b, t.a, hello, bytes_of(not_bs)), t.now, r);
  EXPECT_EQ(a.metrics().drop(Drop::world_unwanted), 1u);
  EXPECT_TRUE(a.config().moons.empty());
  EXPECT_FALSE(has(a.upstreams(), t.mr.address()));
  EXPECT_EQ(a.metrics().worlds_accepted, 0u);
}

}  // namespace
}  // namespace flatnet::control
