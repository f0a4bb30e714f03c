// The core under attack (issue 9 §3): WHOIS answers to a path that has not
// proved a round trip are no larger than the request; requested addresses
// are de-duplicated; MULTICAST_GATHER is rate-limited per peer and sampled
// in O(limit); oversized packets are counted drops; a null sibling
// endpoint is never sent to the data plane.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "control/core/multicast.hpp"
#include "tests/unit/control/harness.hpp"

namespace flatnet::control {
namespace {

using test::path_from;
using test::v4;

std::vector<uint8_t> whois_payload(const std::vector<uint64_t>& addresses) {
  std::vector<uint8_t> p;
  wire::Writer w(p);
  encode_whois(Whois{addresses}, w);
  return p;
}

// The identities of every OK(WHOIS) in `sends` (reassembled), opened as `me`.
std::vector<uint64_t> whois_answers(const crypto::Identity& me, const crypto::Identity& root,
                                    const std::vector<SendDatagram>& sends, size_t* bytes) {
  std::vector<uint64_t> got;
  std::vector<std::vector<uint8_t>> packets;
  wire::Reassembler r;
  for (const SendDatagram& d : sends) {
    if (bytes) *bytes += d.bytes.size();
    std::vector<uint8_t> whole;
    const uint8_t* p = d.bytes.data();
    auto kind = wire::classify(p, d.bytes.size());
    if (kind == wire::DatagramKind::kFragment) {
      if (r.add_fragment(1, d.bytes, 1, &whole) == wire::ReassemblyResult::kComplete)
        packets.push_back(whole);
    } else if (kind == wire::DatagramKind::kPacket && wire::packet_fragmented(p)) {
      if (r.add_head(1, d.bytes, 1, &whole) == wire::ReassemblyResult::kComplete)
        packets.push_back(whole);
    } else {
      packets.push_back(d.bytes);
    }
  }
  for (const auto& pkt : packets) {
    auto plain = test::open_from(me, root, pkt);
    if (plain.empty() || packet_verb(plain.data()) != wire::Verb::kOk) continue;
    OkWhois ok;
    if (decode_ok_whois(packet_payload(plain), ok) != DecodeStatus::kOk) continue;
    for (const auto& id : ok.identities) got.push_back(id.address());
  }
  return got;
}

TEST(ControlBounded, WhoisAfterHelloIsAnsweredWholeAndDeduplicated) {
  // A stock client HELLOs its root first; the root has the new path answer
  // an ECHO at once, so the WHOIS that follows gets every answer in one OK.
  test::Testnet t;
  t.hello("a");
  t.hello("b");
  Core& root = t.core("root");
  EXPECT_GE(root.metrics().paths_confirmed, 2u);
  EXPECT_GE(root.metrics().path_challenges, 2u);
  const auto req = test::build_packet(
      t.a, t.root, wire::Verb::kWhois,
      whois_payload({t.b.address(), t.root.address(), t.b.address(), t.root.address()}),
      crypto::Suite::kAesGmacSiv);
  Actions out;
  root.receive(path_from(t.a_at), req, t.now, out);
  ASSERT_EQ(out.send.size(), 1u);
  auto got = whois_answers(t.a, t.root, out.send, nullptr);
  std::sort(got.begin(), got.end());
  std::vector<uint64_t> want = {t.b.address(), t.root.address()};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(got, want);  // each once
  EXPECT_EQ(root.metrics().whois_deferred, 0u);
}

class UnconfirmedPath : public ::testing::Test {
 protected:
  void SetUp() override {
    Config c;
    c.identity = root;
    c.planet = test::make_planet(root, v4(10, 99, 0, 1));
    c.limits.whois_max_answers = max_answers;
    core = std::make_unique<Core>(c, now);
    // 100 peers the root knows (restored, as from its cache).
    for (uint64_t i = 0; i < 100; ++i) {
      known.push_back(test::bogus_identity(0x1000000000ULL + i));
      Actions a;
      ASSERT_TRUE(core->restore_peer(known.back(), path_from(v4(10, 1, 0, uint8_t(i + 1))), now, a));
    }
    // a HELLOs from a_at; the root answers and challenges the path. The
    // challenge is kept, unanswered, as a forged source address would.
    Actions out;
    core->receive(path_from(a_at), test::build_hello(a, root, 1, v4(10, 99, 0, 1)), now, out);
    for (const SendDatagram& d : out.send) {
      auto plain = test::open_from(a, root, d.bytes);
      if (!plain.empty() && packet_verb(plain.data()) == wire::Verb::kEcho)
        challenge_id = wire::packet_id(plain.data());
    }
    ASSERT_NE(challenge_id, 0u);
    ASSERT_EQ(core->metrics().paths_confirmed, 0u);
  }

  crypto::Identity root = test::root_identity();
  crypto::Identity a = test::parse_identity(test::kIdentityA);
  wire::InetAddress a_at = v4(10, 99, 0, 11);
  uint64_t now = 5000;
  std::unique_ptr<Core> core;
  std::vector<crypto::Identity> known;
  uint64_t challenge_id = 0;
  size_t max_answers = Config{}.limits.whois_max_answers;

  // WHOIS for `asked` from a_at; the addresses answered at once.
  std::vector<uint64_t> ask(const std::vector<uint64_t>& asked) {
    Actions out;
    core->receive(path_from(a_at),
                  test::build_packet(a, root, wire::Verb::kWhois, whois_payload(asked),
                                     crypto::Suite::kAesGmacSiv),
                  ++now, out);
    return whois_answers(a, root, out.send, nullptr);
  }
  // a_at answers the challenge; the addresses then answered.
  std::vector<uint64_t> confirm() {
    std::vector<uint8_t> ok;
    wire::Writer w(ok);
    encode_reply_header(ReplyHeader{wire::Verb::kEcho, challenge_id}, w);
    Actions after;
    core->receive(path_from(a_at),
                  test::build_packet(a, root, wire::Verb::kOk, ok, crypto::Suite::kAesGmacSiv),
                  ++now, after);
    return whois_answers(a, root, after.send, nullptr);
  }
};

// A second WHOIS before the path is confirmed adds to what waits (it used to
// replace the first one's remaining addresses, which were then never sent).
TEST_F(UnconfirmedPath, ASecondWhoisMergesIntoWhatWaits) {
  std::vector<uint64_t> first_asked, second_asked;
  for (size_t i = 0; i < 60; ++i) first_asked.push_back(known[i].address());
  for (size_t i = 40; i < 100; ++i) second_asked.push_back(known[i].address());
  auto got = ask(first_asked);
  auto got2 = ask(second_asked);
  got.insert(got.end(), got2.begin(), got2.end());
  const auto later = confirm();
  EXPECT_EQ(std::set<uint64_t>(later.begin(), later.end()).size(), later.size())
      << "each address once in what waited";
  EXPECT_LE(core->metrics().whois_deferred, 100u);
  got.insert(got.end(), later.begin(), later.end());
  std::set<uint64_t> all(got.begin(), got.end());
  EXPECT_EQ(all.size(), 100u) << "both requests answered whole";
}

class UnconfirmedPathFewAnswers : public UnconfirmedPath {
 protected:
  UnconfirmedPathFewAnswers() { max_answers = 10; }
};

// What waits is bounded by whois_max_answers however many requests merge
// into it, and the first request's addresses keep their places.
TEST_F(UnconfirmedPathFewAnswers, MergedWhoisIsBoundedByTheAnswerCap) {
  std::vector<uint64_t> first_asked, second_asked;
  for (size_t i = 0; i < 50; ++i) first_asked.push_back(known[i].address());
  for (size_t i = 50; i < 100; ++i) second_asked.push_back(known[i].address());
  ask(first_asked);
  ask(second_asked);
  EXPECT_LE(core->metrics().whois_deferred, 10u);
  const auto later = confirm();
  EXPECT_EQ(later.size(), 10u);
  for (uint64_t x : later)
    EXPECT_NE(std::find(first_asked.begin(), first_asked.end(), x), first_asked.end());
}

TEST_F(UnconfirmedPath, RepliesNoLargerThanTheRequestUntilConfirmed) {
  std::vector<uint64_t> asked;
  for (const auto& id : known) asked.push_back(id.address());
  const auto req = test::build_packet(a, root, wire::Verb::kWhois, whois_payload(asked),
                                      crypto::Suite::kAesGmacSiv);
  Actions out;
  core->receive(path_from(a_at), req, ++now, out);
  size_t bytes = 0;
  auto first = whois_answers(a, root, out.send, &bytes);
  EXPECT_LE(bytes, req.size());
  EXPECT_LT(first.size(), 100u);
  EXPECT_GT(first.size(), 0u);  // 528 bytes of request buy a few identities
  EXPECT_EQ(core->metrics().whois_deferred, 100u - first.size());

  // The path answers the challenge (an OK(ECHO) quoting it): the rest follows.
  std::vector<uint8_t> ok;
  wire::Writer w(ok);
  encode_reply_header(ReplyHeader{wire::Verb::kEcho, challenge_id}, w);
  Actions after;
  core->receive(path_from(a_at),
                test::build_packet(a, root, wire::Verb::kOk, ok, crypto::Suite::kAesGmacSiv),
                ++now, after);
  EXPECT_EQ(core->metrics().paths_confirmed, 1u);
  auto rest = whois_answers(a, root, after.send, nullptr);
  std::set<uint64_t> all(first.begin(), first.end());
  all.insert(rest.begin(), rest.end());
  EXPECT_EQ(all.size(), 100u);
  EXPECT_EQ(first.size() + rest.size(), 100u);

  // Now confirmed: the same request is answered whole at once.
  Actions again;
  core->receive(path_from(a_at),
                test::build_packet(a, root, wire::Verb::kWhois, whois_payload(asked),
                                   crypto::Suite::kAesGmacSiv),
                ++now, again);
  EXPECT_EQ(whois_answers(a, root, again.send, nullptr).size(), 100u);
}

TEST_F(UnconfirmedPath, AStockClientsFirstWhoisRacingItsEchoAnswerIsAnsweredInOneRoundTrip) {
  // A stock client sends its WHOIS once OK(HELLO) is in; the root's ECHO
  // came with it and the client answers at once, so the WHOIS and the
  // OK(ECHO) race. Either way every answer is out within that round trip
  // (10 ms here), far inside a second, with no timer involved.
  const uint64_t t0 = now;
  const auto req = test::build_packet(a, root, wire::Verb::kWhois,
                                      whois_payload({known[0].address(), known[1].address(),
                                                     root.address(), known[0].address()}),
                                      crypto::Suite::kAesGmacSiv);
  Actions first;
  core->receive(path_from(a_at), req, now += 10, first);
  std::vector<uint8_t> ok;
  wire::Writer w(ok);
  encode_reply_header(ReplyHeader{wire::Verb::kEcho, challenge_id}, w);
  Actions second;
  core->receive(path_from(a_at),
                test::build_packet(a, root, wire::Verb::kOk, ok, crypto::Suite::kAesGmacSiv),
                now, second);
  auto got = whois_answers(a, root, first.send, nullptr);
  auto rest = whois_answers(a, root, second.send, nullptr);
  got.insert(got.end(), rest.begin(), rest.end());
  std::sort(got.begin(), got.end());
  std::vector<uint64_t> want = {known[0].address(), known[1].address(), root.address()};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(got, want);
  EXPECT_LT(now - t0, 1000u);
}

TEST_F(UnconfirmedPath, ARelayedWhoisGetsWhatFitsAndNothingIsHeldBack) {
  std::vector<uint64_t> asked;
  for (size_t i = 0; i < 20; ++i) asked.push_back(known[i].address());
  auto req = test::build_packet(a, root, wire::Verb::kWhois, whois_payload(asked),
                                crypto::Suite::kAesGmacSiv);
  wire::packet_increment_hops(req.data());  // relayed by another root
  Actions out;
  core->receive(path_from(v4(10, 99, 0, 2)), req, ++now, out);
  size_t bytes = 0;
  const auto got = whois_answers(a, root, out.send, &bytes);
  EXPECT_LE(bytes, req.size());
  EXPECT_GT(got.size(), 0u);
  EXPECT_EQ(core->metrics().whois_deferred, 0u);
  EXPECT_EQ(core->metrics().path_challenges, 1u);  // only the one from a's HELLO
}

TEST_F(UnconfirmedPath, AForgedAnswerFromElsewhereConfirmsNothing) {
  const auto req = test::build_packet(a, root, wire::Verb::kWhois,
                                      whois_payload({known[0].address()}),
                                      crypto::Suite::kAesGmacSiv);
  Actions out;
  core->receive(path_from(a_at), req, ++now, out);
  // One identity (71 bytes) does not fit in a 33-byte request's budget.
  EXPECT_TRUE(whois_answers(a, root, out.send, nullptr).empty());
  // The challenge's ID quoted from another address, or a wrong ID from the
  // right one: the path stays unconfirmed and nothing more is sent.
  for (auto [at, id] : {std::pair{v4(10, 99, 0, 99), challenge_id},
                        std::pair{a_at, challenge_id + 1}}) {
    std::vector<uint8_t> ok;
    wire::Writer w(ok);
    encode_reply_header(ReplyHeader{wire::Verb::kEcho, id}, w);
    Actions after;
    core->receive(path_from(at),
                  test::build_packet(a, root, wire::Verb::kOk, ok, crypto::Suite::kAesGmacSiv),
                  ++now, after);
    EXPECT_TRUE(whois_answers(a, root, after.send, nullptr).empty());
  }
  EXPECT_EQ(core->metrics().paths_confirmed, 0u);
}

TEST(ControlBounded, GatherIsRateLimitedPerPeer) {
  test::Testnet t;
  t.hello("a");
  t.hello("b");
  Core& root = t.core("root");
  const uint64_t nwid = 0xee420f0cda000001ULL;
  const MulticastGroup bcast{0xffffffffffffULL, 0};
  std::vector<uint8_t> like;
  wire::Writer lw(like);
  encode_multicast_like(MulticastLike{{{nwid, bcast}}}, lw);
  Actions out;
  root.receive(path_from(t.a_at),
               test::build_packet(t.a, t.root, wire::Verb::kMulticastLike, like,
                                  crypto::Suite::kAesGmacSiv),
               t.now, out);
  std::vector<uint8_t> g;
  wire::Writer gw(g);
  encode_multicast_gather(MulticastGather{nwid, 0, bcast, 16, {}}, gw);
  auto gather = [&](uint64_t when) {
    Actions o;
    root.receive(path_from(t.b_at),
                 test::build_packet(t.b, t.root, wire::Verb::kMulticastGather, g,
                                    crypto::Suite::kAesGmacSiv),
                 when, o);
    return o.send.size();
  };
  const Limits l;
  for (uint32_t i = 0; i < l.gather_burst; ++i) EXPECT_EQ(gather(t.now), 1u) << i;
  EXPECT_EQ(gather(t.now), 0u);
  EXPECT_EQ(root.metrics().drop(Drop::gather_limited), 1u);
  // One interval later, one more.
  EXPECT_EQ(gather(t.now + 1000 / l.gather_per_second), 1u);
  EXPECT_EQ(gather(t.now + 1000 / l.gather_per_second), 0u);
  EXPECT_EQ(root.metrics().gathers_answered, l.gather_burst + 1);
}

TEST(MulticastDirectory, GatherSamplesWithoutDuplicatesOrTheRequester) {
  MulticastDirectory d(100000, 10, 600000);
  const uint64_t nwid = 1;
  const MulticastGroup grp{0xffffffffffffULL, 0};
  for (uint64_t m = 1; m <= 1000; ++m) d.like(nwid, grp, m, 100);
  std::set<uint64_t> seen;
  for (int i = 0; i < 200; ++i) {
    uint32_t total = 0;
    auto got = d.gather(nwid, grp, 7, 16, 200, &total);
    EXPECT_EQ(total, 1000u);
    ASSERT_EQ(got.size(), 16u);
    std::set<uint64_t> once(got.begin(), got.end());
    EXPECT_EQ(once.size(), got.size());
    EXPECT_EQ(once.count(7), 0u);
    for (uint64_t m : got) EXPECT_TRUE(m >= 1 && m <= 1000);
    seen.insert(got.begin(), got.end());
  }
  // 3200 draws from 1000: a sampler stuck on a window would see far fewer
  // (a uniform one misses fewer than 50 with overwhelming probability).
  EXPECT_GT(seen.size(), 900u);
}

TEST(MulticastDirectory, GatherOfASmallGroupReturnsEveryLiveMember) {
  MulticastDirectory d(100, 10, 1000);
  const MulticastGroup grp{0x01005e000001ULL, 0};
  for (uint64_t m = 1; m <= 5; ++m) d.like(9, grp, m, m == 3 ? 0 : 900);
  uint32_t total = 0;
  auto got = d.gather(9, grp, 1, 255, 1500, &total);  // member 3 expired at 1000
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<uint64_t>{2, 4, 5}));
  EXPECT_TRUE(d.gather(9, grp, 1, 0, 1500, &total).empty());
  EXPECT_TRUE(d.gather(8, grp, 1, 10, 1500, &total).empty());
  EXPECT_EQ(total, 0u);
}

TEST(ControlBounded, OversizedUnfragmentedPacketIsACountedDrop) {
  const crypto::Identity root = test::root_identity();
  Config c;
  c.identity = root;
  c.relay = true;
  Core core(c, 1000);
  for (uint64_t dest : {root.address(), uint64_t(0x0102030405ULL)}) {
    std::vector<uint8_t> big(wire::kMaxPacketLength + 1, 0);
    wire::write_addr40(big.data() + wire::kIdxDest, dest);
    wire::write_addr40(big.data() + wire::kIdxSource, 0x0a0b0c0d0eULL);
    Actions out;
    core.receive(path_from(v4(10, 0, 0, 1)), big, 2000, out);
    EXPECT_TRUE(out.send.empty());
  }
  EXPECT_EQ(core.metrics().drop(Drop::oversize), 2u);
}

TEST(ControlBounded, OpenPacketRefusesAnOversizedCompressedPacket) {
  // open_packet is given what reassembly produced; one longer than the
  // protocol maximum is refused before decompression, not read past.
  const auto a = test::parse_identity(test::kIdentityA);
  const auto b = test::parse_identity(test::kIdentityB);
  auto keys = test::keys_between(a, b);
  std::vector<uint8_t> pkt(wire::kMaxPacketLength + 500, 0x41);
  wire::write_addr40(pkt.data() + wire::kIdxDest, b.address());
  wire::write_addr40(pkt.data() + wire::kIdxSource, a.address());
  pkt[wire::kIdxVerb] = uint8_t(wire::Verb::kNop) | wire::kVerbFlagCompressed;
  crypto::armor(pkt, *keys, crypto::Suite::kSalsa2012Poly1305);
  EXPECT_EQ(open_packet(pkt, *keys), OpenStatus::kDecompressFailed);
}

TEST(ControlBounded, NullSiblingEndpointIsNeverSent) {
  const crypto::Identity root = test::root_identity();
  const crypto::Identity sib = test::parse_identity(test::kIdentityB);
  const test::WorldKey k = test::world_key();
  auto sibling_commands = [&](std::vector<wire::InetAddress> sib_endpoints) {
    wire::World w = test::make_world(wire::WorldType::kPlanet, 77, 1000,
                                     {{root, v4(10, 99, 0, 1)}, {sib, v4(10, 99, 0, 2)}}, k, k);
    w.roots[1].endpoints = std::move(sib_endpoints);
    wire::world_sign(w, k.pub, k.priv);
    Config c;
    c.identity = root;
    c.planet = w;
    Core core(c, 1000);
    Actions out;
    core.resync(1000, out);
    std::vector<TableCommand> s;
    for (const auto& t : out.table)
      if (t.op == TableOp::kSiblingRoot) s.push_back(t);
    return s;
  };
  EXPECT_TRUE(sibling_commands({wire::InetAddress{}}).empty());
  auto s = sibling_commands({wire::InetAddress{}, v4(10, 99, 0, 2)});
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].address, sib.address());
  EXPECT_EQ(s[0].path.remote, v4(10, 99, 0, 2));
}

}  // namespace
}  // namespace flatnet::control
