// The kernel-socket backend's ingress limits (control/service/ingress_limit.*),
// on synthetic time: an unknown source is cut to its burst, then its rate;
// a /64 is one source, another /32 is not; a known peer (VL1 source AND
// announced path) skips the per-source gate; unknown sources leave the
// global bucket's reserve to known peers, and known peers are never
// refused by it (they drain it instead); fragments and relayed heads are
// known only from a known peer's path; the remembered peers are bounded. Every refusal is
// counted.
#include <gtest/gtest.h>

#include <vector>

#include "control/service/ingress_limit.hpp"
#include "dataplane/wire/vl1.hpp"

namespace flatnet::control::service {
namespace {

wire::InetAddress v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port = 9993) {
  const uint8_t ip[4] = {a, b, c, d};
  return wire::InetAddress::v4(ip, port);
}
wire::InetAddress v6(uint16_t host, uint16_t port = 9993) {
  uint8_t ip[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2};
  ip[14] = uint8_t(host >> 8);
  ip[15] = uint8_t(host);
  return wire::InetAddress::v6(ip, port);
}

// A packet head from VL1 address `src` (MAC and payload do not matter here).
std::vector<uint8_t> head(uint64_t src) {
  std::vector<uint8_t> d(64, 0x11);
  wire::write_addr40(d.data() + wire::kIdxDest, 0x0102030405ULL);
  wire::write_addr40(d.data() + wire::kIdxSource, src);
  d[wire::kIdxFlags] = 1 << 3;
  return d;
}

// Many slots, so the few sources of a test almost never share one; where
// one comparison depends on that, shared_source_slots() says if it happened.
IngressLimits limits() {
  IngressLimits l;
  l.source_slots = 1 << 16;
  return l;
}

unsigned admitted(IngressLimiter& g, const wire::InetAddress& from, const std::vector<uint8_t>& d,
                  unsigned n, uint64_t now) {
  unsigned ok = 0;
  for (unsigned i = 0; i < n; ++i) ok += g.admit(from, d, now);
  return ok;
}

TEST(IngressLimit, UnknownSourceGetsItsBurstThenItsRate) {
  IngressLimiter g(limits());
  const auto d = head(0x1111111111ULL);
  EXPECT_EQ(admitted(g, v4(198, 51, 100, 7), d, 1000, 1000), 200u);  // burst 200
  EXPECT_EQ(g.counters().drop_punt_source_limited, 800u);
  EXPECT_EQ(admitted(g, v4(198, 51, 100, 7, 4444), d, 10, 1000), 0u);  // another port: same /32
  EXPECT_EQ(admitted(g, v4(198, 51, 100, 7), d, 10, 1010), 1u);        // 100/s: one per 10 ms
  EXPECT_EQ(admitted(g, v4(198, 51, 100, 7), d, 10, 1100), 9u);
  EXPECT_EQ(g.counters().drop_punt_source_limited, 800u + 10 + 9 + 1);
  EXPECT_EQ(g.counters().drop_punt_global_limited, 0u);
  EXPECT_EQ(g.counters().punted_known, 0u);
  // Another /32 has its own bucket (unless the hash made them share one).
  const unsigned other = admitted(g, v4(198, 51, 100, 8), d, 10, 1100);
  if (g.shared_source_slots() == 0) EXPECT_EQ(other, 10u);
}

TEST(IngressLimit, AnIpv6Slash64IsOneSource) {
  IngressLimiter g(limits());
  const auto d = head(0x1111111111ULL);
  EXPECT_EQ(admitted(g, v6(1), d, 150, 5000), 150u);
  EXPECT_EQ(admitted(g, v6(2), d, 150, 5000), 50u);  // same /64: the rest of the burst
  EXPECT_EQ(g.counters().drop_punt_source_limited, 100u);
}

TEST(IngressLimit, KnownPeerSkipsTheSourceGateOnlyFromItsPath) {
  IngressLimiter g(limits());
  const uint64_t peer = 0x2222222222ULL;
  const auto at = v4(192, 0, 2, 10, 20000);
  g.table(TableCommand{TableOp::kPeerUpsert, peer, PhysicalPath{0, at}});
  EXPECT_EQ(g.known_peers(), 1u);
  // Exhaust the physical source's bucket with datagrams of someone else.
  EXPECT_EQ(admitted(g, at, head(0x3333333333ULL), 300, 1000), 200u);
  // The peer itself still gets through, and is counted as known.
  EXPECT_EQ(admitted(g, at, head(peer), 300, 1000), 300u);
  EXPECT_EQ(g.counters().punted_known, 300u);
  // Its address from another IP:port is not the peer: charged to that source.
  EXPECT_EQ(admitted(g, v4(192, 0, 2, 10, 20001), head(peer), 5, 1000), 0u);
  // A fragment names no source, but it came from the peer's path: known
  // (the second datagram of every large frame a member receives).
  std::vector<uint8_t> frag(40, 0);
  frag[wire::kFragIdxIndicator] = wire::kFragmentIndicator;
  EXPECT_EQ(admitted(g, at, frag, 300, 1000), 300u);
  EXPECT_EQ(g.counters().punted_known, 600u);
  // From the next port it is someone else's fragment: that source's bucket.
  EXPECT_EQ(admitted(g, v4(192, 0, 2, 10, 20001), frag, 5, 1000), 0u);
  // The path moved: the old one is no longer the peer's, for heads or fragments.
  const auto moved = v4(192, 0, 2, 11, 20000);
  g.table(TableCommand{TableOp::kPeerUpsert, peer, PhysicalPath{0, moved}});
  EXPECT_FALSE(g.admit(at, head(peer), 1000));
  EXPECT_FALSE(g.admit(at, frag, 1000));
  EXPECT_TRUE(g.admit(moved, head(peer), 1000));
  EXPECT_TRUE(g.admit(moved, frag, 1000));
  // Forgotten: unknown again, from its own bucket.
  g.table(TableCommand{TableOp::kPeerDelete, peer, {}});
  EXPECT_EQ(g.known_peers(), 0u);
  const uint64_t known_before = g.counters().punted_known;
  EXPECT_TRUE(g.admit(moved, head(peer), 1000));
  EXPECT_TRUE(g.admit(moved, frag, 1000));
  EXPECT_EQ(g.counters().punted_known, known_before);
  // Two peers behind one path (a NAT): the path stays known until both go.
  const auto nat = v4(198, 51, 100, 1, 9993);
  g.table(TableCommand{TableOp::kPeerUpsert, 0x5555555555ULL, PhysicalPath{0, nat}});
  g.table(TableCommand{TableOp::kPeerUpsert, 0x6666666666ULL, PhysicalPath{0, nat}});
  g.table(TableCommand{TableOp::kPeerDelete, 0x5555555555ULL, {}});
  EXPECT_EQ(admitted(g, nat, frag, 300, 1000), 300u);
  g.table(TableCommand{TableOp::kPeerDelete, 0x6666666666ULL, {}});
  EXPECT_EQ(admitted(g, nat, frag, 300, 2000), 200u);  // its burst, then nothing at once
}

TEST(IngressLimit, RelayedHeadsFromAKnownPathAreKnown) {
  IngressLimiter g(limits());
  const uint64_t root = 0x2222222222ULL;
  const auto at = v4(192, 0, 2, 10, 9993);
  g.table(TableCommand{TableOp::kPeerUpsert, root, PhysicalPath{0, at}});
  // Another peer's head relayed to us by the root (hops 1), from the
  // root's path -- a peer we reach only through it: known, never limited.
  auto relayed = head(0x3333333333ULL);
  relayed[wire::kIdxFlags] |= 1;
  EXPECT_EQ(admitted(g, at, relayed, 300, 1000), 300u);
  EXPECT_EQ(g.counters().punted_known, 300u);
  // Not relayed (hops 0) from that path: someone else, the source's bucket.
  EXPECT_EQ(admitted(g, at, head(0x3333333333ULL), 300, 1000), 200u);
  // Relayed, from a path no peer announced: unknown.
  EXPECT_EQ(admitted(g, v4(192, 0, 2, 99, 9993), relayed, 300, 1000), 200u);
  EXPECT_EQ(g.counters().punted_known, 300u);
}

// Global bucket of 100 (1,000/s), unknown sources may use 50 %: 50 unknown
// datagrams pass (each from its own /32), then only known peers, who are
// never refused but drain the bucket, so unknown sources get nothing until
// it refills.
TEST(IngressLimit, UnknownSourcesLeaveTheReserveToKnownPeers) {
  IngressLimits l = limits();
  l.global_pps = 1000;
  l.global_burst = 100;
  l.unknown_share = 50;
  IngressLimiter g(l);
  const uint64_t peer = 0x2222222222ULL;
  const auto at = v4(192, 0, 2, 10);
  g.table(TableCommand{TableOp::kPeerUpsert, peer, PhysicalPath{0, at}});
  unsigned unknown_ok = 0;
  for (unsigned i = 0; i < 200; ++i)
    unknown_ok += g.admit(v4(203, 0, uint8_t(i >> 8), uint8_t(i)), head(0x4444444444ULL), 1000);
  EXPECT_EQ(unknown_ok, 50u);
  EXPECT_EQ(g.counters().drop_punt_global_limited, 150u);
  EXPECT_EQ(admitted(g, at, head(peer), 80, 1000), 80u);  // the reserve is the peer's, and more
  EXPECT_EQ(g.counters().drop_punt_global_limited, 150u);
  // The bucket is empty: an unknown source is refused even 40 ms later
  // (40 tokens back, under the reserve of 50).
  EXPECT_FALSE(g.admit(v4(203, 2, 0, 1), head(0x4444444444ULL), 1040));
  // 100 ms later 100 tokens are back: unknown sources again get the part
  // above the reserve.
  unknown_ok = 0;
  for (unsigned i = 0; i < 200; ++i)
    unknown_ok += g.admit(v4(203, 1, uint8_t(i >> 8), uint8_t(i)), head(0x4444444444ULL), 1100);
  EXPECT_EQ(unknown_ok, 50u);
}

TEST(IngressLimit, LimitsCanBeTurnedOffAndPeersAreBounded) {
  IngressLimits l = limits();
  l.source_pps = 0;
  l.global_pps = 0;
  l.known_capacity = 2;
  IngressLimiter g(l);
  EXPECT_EQ(admitted(g, v4(198, 51, 100, 7), head(1), 5000, 1000), 5000u);
  for (uint64_t a = 1; a <= 5; ++a)
    g.table(TableCommand{TableOp::kPeerUpsert, a, PhysicalPath{0, v4(10, 0, 0, uint8_t(a))}});
  EXPECT_EQ(g.known_peers(), 2u);
  g.table(TableCommand{TableOp::kSiblingRoot, 9, PhysicalPath{0, v4(10, 0, 0, 9)}});
  EXPECT_EQ(g.known_peers(), 2u);
  const auto names = g.named_counters();
  ASSERT_EQ(names.size(), 3u);
  EXPECT_EQ(names[0].first, "punted_known");
  EXPECT_EQ(names[1].first, "drop_punt_source_limited");
  EXPECT_EQ(names[2].first, "drop_punt_global_limited");
}

}  // namespace
}  // namespace flatnet::control::service
