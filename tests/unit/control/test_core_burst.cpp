// crypto/mb bursts in the core (Config::burst_crypto): packets armored in a
// burst are byte for byte those PacketBuilder::seal makes, and a core that
// dearmors its receive bursts together hands its member the same frames in
// the same order, and counts the same failures, as one that opens each
// packet on its own -- for suites 1 and 3, several peers in one burst,
// fragmented packets and forged MACs among good ones.
#include <gtest/gtest.h>

#include "tests/unit/control/harness.hpp"

namespace flatnet::control {
namespace {

using test::keys_between;
using test::parse_identity;

struct Recorder : Vl2Handler {
  struct Seen {
    uint64_t source;
    wire::Verb verb;
    uint64_t packet_id;
    std::vector<uint8_t> payload;
    bool operator==(const Seen&) const = default;
  };
  std::vector<Seen> seen;
  void packet(const Vl2Packet& pk, uint64_t, Actions&) override {
    seen.push_back({pk.source, pk.verb, pk.packet_id, {pk.payload.begin(), pk.payload.end()}});
  }
};

std::vector<uint8_t> pattern(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = uint8_t(seed + i * 7);
  return v;
}

TEST(ControlCoreBurst, ArmorPacketsMatchesSealForEverySuiteAndPeer) {
  const crypto::Identity a = parse_identity(test::kIdentityA);
  const crypto::Identity b = parse_identity(test::kIdentityB);
  const crypto::Identity c = test::bogus_identity(0x1122334455ULL);
  const crypto::Identity* peers[] = {&b, &c};
  std::vector<std::unique_ptr<crypto::PeerKeys>> keys;
  std::vector<std::shared_ptr<const crypto::mb::PeerKeyset>> sets;
  for (const crypto::Identity* p : peers) {
    keys.push_back(keys_between(a, *p));
    sets.push_back(std::make_shared<const crypto::mb::PeerKeyset>(keys.back()->key48()));
  }
  const crypto::Suite suites[] = {crypto::Suite::kPoly1305, crypto::Suite::kSalsa2012Poly1305,
                                  crypto::Suite::kAesGmacSiv};
  const size_t sizes[] = {0, 1, 60, 1372, 1404, 1405, 2800, 4000};
  std::vector<std::vector<std::vector<uint8_t>>> single;
  std::vector<Unsealed> burst;
  unsigned n = 0;
  for (size_t size : sizes)
    for (crypto::Suite suite : suites)
      for (size_t k = 0; k < 2; ++k, ++n) {
        const uint64_t id = random_packet_id();
        const auto payload = pattern(size, uint8_t(n));
        PacketBuilder one(peers[k]->address(), a.address(), wire::Verb::kFrame, id);
        one.payload().bytes(payload);
        single.push_back(one.seal(*keys[k], suite));
        PacketBuilder two(peers[k]->address(), a.address(), wire::Verb::kFrame, id);
        two.payload().bytes(payload);
        burst.push_back(Unsealed{two.take_unsealed(), sets[k], suite, wire::kDefaultPhysMtu});
      }
  armor_packets(burst);
  ASSERT_EQ(single.size(), burst.size());
  for (size_t i = 0; i < burst.size(); ++i) {
    const auto datagrams = split_sealed(std::move(burst[i].bytes), burst[i].mtu);
    ASSERT_FALSE(datagrams.empty());
    EXPECT_EQ(datagrams, single[i]) << "packet " << i;
  }
}

// Two cores with one identity, one opening packets one by one and one in
// bursts, fed the same datagrams.
struct Pair {
  crypto::Identity me = parse_identity(test::kIdentityB);
  crypto::Identity a = parse_identity(test::kIdentityA);  // HELLOs us: suite 3
  crypto::Identity c = test::bogus_identity(0x1122334455ULL);  // restored: suite 1
  wire::InetAddress a_at = test::v4(10, 98, 0, 1), c_at = test::v4(10, 98, 0, 2);
  uint64_t now = 1000000;
  std::unique_ptr<Core> single, burst;
  Recorder seen_single, seen_burst;

  Pair() {
    single = make(false);
    burst = make(true);
    single->set_member(&seen_single);
    burst->set_member(&seen_burst);
  }
  std::unique_ptr<Core> make(bool burst_crypto) {
    Config cfg;
    cfg.identity = me;
    cfg.burst_crypto = burst_crypto;
    auto core = std::make_unique<Core>(cfg, now);
    Actions out;
    EXPECT_TRUE(core->restore_peer(a, PhysicalPath{0, a_at}, now, out));
    EXPECT_TRUE(core->restore_peer(c, PhysicalPath{0, c_at}, now, out));
    // A HELLO from `a` tells the core a's version (protocol 12: suite 3).
    core->receive(PhysicalPath{0, a_at}, test::build_hello(a, me, now, a_at), now, out);
    return core;
  }
  void feed(const std::vector<ReceivedDatagram>& d) {
    Actions o1, o2;
    for (const ReceivedDatagram& x : d) single->receive(x.from, x.bytes, now, o1);
    burst->receive_burst(d, now, o2);
  }
};

TEST(ControlCoreBurst, ReceiveBurstDeliversWhatReceiveDelivers) {
  Pair t;
  ASSERT_NE(t.burst->peers().find(t.a.address()), nullptr);
  auto ka = keys_between(t.a, t.me), kc = keys_between(t.c, t.me);
  // Mixed peers and suites, some fragmented (2,800-byte frames), every
  // fifth packet forged (one payload bit flipped after armor).
  std::vector<std::vector<uint8_t>> wire;
  std::vector<PhysicalPath> from;
  unsigned forged = 0;
  for (unsigned i = 0; i < 40; ++i) {
    const bool to_a = i % 3 != 0;
    const crypto::Identity& src = to_a ? t.a : t.c;
    const crypto::Suite suite = i % 2 ? crypto::Suite::kAesGmacSiv
                                      : crypto::Suite::kSalsa2012Poly1305;
    PacketBuilder b(t.me.address(), src.address(), wire::Verb::kFrame, random_packet_id());
    b.payload().bytes(pattern(i % 4 == 0 ? 2800 : 100 + 37 * i, uint8_t(i)));
    auto d = b.seal(to_a ? *ka : *kc, suite);
    if (i % 5 == 4) {
      d[0][wire::kIdxPayload + 3] ^= 0x10;
      ++forged;
    }
    for (auto& x : d) {
      wire.push_back(std::move(x));
      from.push_back(PhysicalPath{0, to_a ? t.a_at : t.c_at});
    }
  }
  std::vector<ReceivedDatagram> burst;
  for (size_t i = 0; i < wire.size(); ++i) burst.push_back({from[i], wire[i]});
  t.feed(burst);
  EXPECT_EQ(t.seen_single.seen.size(), 40u - forged);
  EXPECT_EQ(t.seen_burst.seen, t.seen_single.seen);
  EXPECT_EQ(t.burst->metrics().drop(Drop::bad_mac), forged);
  EXPECT_EQ(t.single->metrics().drop(Drop::bad_mac), forged);
  EXPECT_EQ(t.burst->metrics().rx_burst_packets, 40u);
  EXPECT_EQ(t.single->metrics().rx_burst_packets, 0u);
}

TEST(ControlCoreBurst, UnknownSendersAndHellosInABurstTakeTheSinglePath) {
  Pair t;
  auto ka = keys_between(t.a, t.me);
  const crypto::Identity stranger = test::bogus_identity(0x2233445566ULL);
  auto ks = keys_between(stranger, t.me);
  std::vector<std::vector<uint8_t>> wire = {
      test::build_packet(t.a, t.me, wire::Verb::kFrame, pattern(64, 1),
                         crypto::Suite::kAesGmacSiv),
      test::build_packet(stranger, t.me, wire::Verb::kFrame, pattern(64, 2),
                         crypto::Suite::kSalsa2012Poly1305),
      test::build_hello(t.a, t.me, t.now + 1, t.a_at),
      test::build_packet(t.a, t.me, wire::Verb::kFrame, pattern(64, 3),
                         crypto::Suite::kSalsa2012Poly1305),
  };
  std::vector<ReceivedDatagram> burst;
  for (auto& w : wire) burst.push_back({PhysicalPath{0, t.a_at}, w});
  t.feed(burst);
  ASSERT_EQ(t.seen_single.seen.size(), 2u);
  EXPECT_EQ(t.seen_burst.seen, t.seen_single.seen);
  EXPECT_EQ(t.burst->metrics().rx_burst_packets, 2u);
  EXPECT_EQ(t.burst->metrics().rx_verb[size_t(wire::Verb::kHello)],
            t.single->metrics().rx_verb[size_t(wire::Verb::kHello)]);
}

// The sending side: frames queued by send_to leave at flush_sends as one
// burst, in order, and a peer opens them (single or burst) to the frames sent.
TEST(ControlCoreBurst, SentBurstOpensToTheFramesSentInOrder) {
  Pair t;
  // The receiving ends: cores for a and c that know us.
  auto receiver = [&](const crypto::Identity& id, bool burst_crypto) {
    Config cfg;
    cfg.identity = id;
    cfg.burst_crypto = burst_crypto;
    auto core = std::make_unique<Core>(cfg, t.now);
    Actions out;
    EXPECT_TRUE(core->restore_peer(t.me, PhysicalPath{0, test::v4(10, 98, 0, 9)}, t.now, out));
    return core;
  };
  // c's identity is bogus but restore_peer does not check it; its core
  // only needs the key.
  auto at_a = receiver(t.a, true), at_c = receiver(t.c, false);
  Recorder ra, rc;
  at_a->set_member(&ra);
  at_c->set_member(&rc);
  Actions out;
  std::vector<std::vector<uint8_t>> to_a, to_c;
  for (unsigned i = 0; i < 24; ++i) {
    const bool a = i % 2 == 0;
    auto f = pattern(i % 6 == 0 ? 2800 : 200 + 50 * i, uint8_t(i));
    EXPECT_NE(t.burst->send_to(a ? t.a.address() : t.c.address(), wire::Verb::kFrame, f, t.now,
                               out), 0u);
    (a ? to_a : to_c).push_back(std::move(f));
  }
  EXPECT_TRUE(out.send.empty());  // queued for the burst
  t.burst->flush_sends(out);
  EXPECT_EQ(t.burst->metrics().tx_burst_packets, 24u);
  std::vector<ReceivedDatagram> for_a;
  Actions ignored;
  for (const SendDatagram& d : out.send) {
    if (wire::classify(d.bytes.data(), d.bytes.size()) == wire::DatagramKind::kPacket) {
      EXPECT_EQ(wire::packet_cipher(d.bytes.data()), d.path.remote == t.a_at
                                                         ? wire::Cipher::kAesGmacSiv
                                                         : wire::Cipher::kSalsa2012Poly1305);
    }
    if (d.path.remote == t.a_at)
      for_a.push_back({PhysicalPath{0, test::v4(10, 98, 0, 9)}, d.bytes});
    else
      at_c->receive(PhysicalPath{0, test::v4(10, 98, 0, 9)}, d.bytes, t.now, ignored);
  }
  at_a->receive_burst(for_a, t.now, ignored);
  ASSERT_EQ(ra.seen.size(), to_a.size());
  ASSERT_EQ(rc.seen.size(), to_c.size());
  for (size_t i = 0; i < to_a.size(); ++i) EXPECT_EQ(ra.seen[i].payload, to_a[i]);
  for (size_t i = 0; i < to_c.size(); ++i) EXPECT_EQ(rc.seen[i].payload, to_c[i]);
  // a speaks protocol 12 (its HELLO): suite 3; c is unknown: suite 1.
  EXPECT_EQ(at_a->metrics().rx_burst_packets, to_a.size());
}

// A reply the core must know the wire ID of (suite 3 replaces it with the
// SIV) is sealed at once, after what is queued: order is kept.
TEST(ControlCoreBurst, ImmediatePacketFlushesTheQueueFirst) {
  Pair t;
  Actions out;
  const auto f = pattern(300, 9);
  t.burst->send_to(t.a.address(), wire::Verb::kFrame, f, t.now, out);
  EXPECT_TRUE(out.send.empty());
  t.burst->send_to(t.a.address(), wire::Verb::kNetworkConfigRequest, pattern(8, 1), t.now, out);
  ASSERT_EQ(out.send.size(), 2u);
  auto first = test::open_from(t.a, t.me, out.send[0].bytes);
  auto second = test::open_from(t.a, t.me, out.send[1].bytes);
  ASSERT_FALSE(first.empty());
  ASSERT_FALSE(second.empty());
  EXPECT_EQ(packet_verb(first.data()), wire::Verb::kFrame);
  EXPECT_EQ(packet_verb(second.data()), wire::Verb::kNetworkConfigRequest);
}

}  // namespace
}  // namespace flatnet::control
