// Underlay fixtures: ARP, ICMP echo, ND, ICMPv6 echo answered byte-exactly.
#include "tests/packet/harness.hpp"

namespace flatnet::test {
namespace {

const MacA kPeerMac{{0x02, 0, 0, 0, 0, 0x02}};
const MacA kBcast{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
const Ip4 kPeer4{{10, 0, 0, 2}};
const Ip6 kPeer6{{0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}};
const Ip6 kPeerLl{{0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}};

// Answered to the sender's MAC from the frame, but an unknown sender is not
// learned: anyone can send ARP with any sender address.
TEST(Arp, RequestFromUnknownSenderIsAnsweredNotLearned) {
  Harness h;
  auto out = h.run1(arp_frame(kBcast, kPeerMac, 1, kPeerMac, kPeer4, MacA{}, h.dp_ip4));
  ASSERT_EQ(out.size(), 1u) << h.drop_reason();
  EXPECT_EQ(out[0], arp_frame(kPeerMac, h.dp_mac, 2, h.dp_mac, h.dp_ip4, kPeerMac, kPeer4, 60));
  Mac m;
  EXPECT_FALSE(h.neigh->lookup(IpAddr::v4(kPeer4.b), &m));
  EXPECT_EQ(h.neigh->size(), 0u);
  EXPECT_EQ(h.counters.arp_replies, 1u);
  EXPECT_EQ(h.counters.arp_learned, 0u);
  EXPECT_EQ(h.drops_total(), 0u);
}

// A known neighbour's request refreshes it; ARP has no Override flag, so a
// new MAC replaces the old one (the neighbour moved).
TEST(Arp, RequestFromKnownNeighbourRefreshesIt) {
  Harness h;
  h.neigh->learn(IpAddr::v4(kPeer4.b), Mac{{0x02, 0, 0, 0, 0, 0x99}});
  auto out = h.run1(arp_frame(kBcast, kPeerMac, 1, kPeerMac, kPeer4, MacA{}, h.dp_ip4));
  ASSERT_EQ(out.size(), 1u) << h.drop_reason();
  Mac m;
  ASSERT_TRUE(h.neigh->lookup(IpAddr::v4(kPeer4.b), &m));
  EXPECT_EQ(0, std::memcmp(m.b, kPeerMac.b, 6));
  EXPECT_EQ(h.counters.arp_learned, 1u);
}

TEST(Arp, UnsolicitedReplyIsNotLearned) {
  Harness h;
  auto out = h.run1(arp_frame(h.dp_mac, kPeerMac, 2, kPeerMac, kPeer4, h.dp_mac, h.dp_ip4));
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(h.neigh->size(), 0u);
  EXPECT_EQ(h.drops(Drop::arp_unsolicited), 1u);
}

// 200 spoofed senders (requests and replies) against a table of 64 entries:
// nothing new is learned and the gateway's entry survives. Before, each
// sender took a slot and the oldest dynamic entry, the gateway, was evicted.
TEST(Arp, SpoofedSenderFloodLeavesGatewayIntact) {
  Harness h;
  const Ip4 kGw{{10, 0, 0, 1}};
  const MacA kGwMac{{0x02, 0, 0, 0, 0, 0x01}};
  h.neigh->learn(IpAddr::v4(kGw.b), Mac{{0x02, 0, 0, 0, 0, 0x01}});
  for (int i = 0; i < 200; ++i) {
    Ip4 s{{10, 1, uint8_t(i >> 8), uint8_t(i)}};
    MacA sm{{0x02, 0, 0, 1, uint8_t(i >> 8), uint8_t(i)}};
    uint16_t op = (i & 1) ? 2 : 1;
    auto out = h.run1(arp_frame(op == 1 ? kBcast : h.dp_mac, sm, op, sm, s, MacA{}, h.dp_ip4));
    EXPECT_EQ(out.size(), op == 1 ? 1u : 0u) << i;
  }
  EXPECT_EQ(h.neigh->size(), 1u);
  Mac m;
  ASSERT_TRUE(h.neigh->lookup(IpAddr::v4(kGw.b), &m));
  EXPECT_EQ(0, std::memcmp(m.b, kGwMac.b, 6));
  EXPECT_EQ(h.counters.arp_replies, 100u);
  EXPECT_EQ(h.counters.arp_learned, 0u);
  EXPECT_EQ(h.drops(Drop::arp_unsolicited), 100u);
}

TEST(Arp, SolicitedReplyIsLearnedAndReleasesHeldPacket) {
  Harness h;
  const Ip4 kNext{{10, 0, 0, 12}};
  const MacA kNextMac{{0x02, 0, 0, 0, 0, 0x0c}};
  h.add_path4(0x0b0b0b0b0b, kNext, 6000);
  Bytes vl1 = vl1_packet(0x0b0b0b0b0b, 0x0a0a0a0a0a, 0);
  auto out = h.run1(udp4_frame(h.dp_mac, kPeerMac, kPeer4, h.dp_ip4, 5000, 9993, vl1));
  ASSERT_EQ(out.size(), 1u) << h.drop_reason();  // our request
  ASSERT_EQ(h.neigh->pending(), 1u);
  EXPECT_TRUE(h.run1(arp_frame(h.dp_mac, kNextMac, 2, kNextMac, kNext, h.dp_mac, h.dp_ip4)).empty());
  Mac m;
  ASSERT_TRUE(h.neigh->lookup(IpAddr::v4(kNext.b), &m));
  EXPECT_EQ(0, std::memcmp(m.b, kNextMac.b, 6));
  EXPECT_EQ(h.counters.arp_learned, 1u);
  out = h.housekeeping();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(0, std::memcmp(out[0].data(), kNextMac.b, 6));  // the held packet, to the learned MAC
  EXPECT_EQ(h.neigh->pending(), 0u);
  EXPECT_EQ(h.drops_total(), 0u);
}

// RFC 5227 probe: sender 0.0.0.0. Answered (we defend our address), and
// nothing is learned for 0.0.0.0.
TEST(Arp, ProbeIsAnsweredNotLearned) {
  Harness h;
  auto out = h.run1(arp_frame(kBcast, kPeerMac, 1, kPeerMac, Ip4{}, MacA{}, h.dp_ip4));
  ASSERT_EQ(out.size(), 1u) << h.drop_reason();
  EXPECT_EQ(out[0], arp_frame(kPeerMac, h.dp_mac, 2, h.dp_mac, h.dp_ip4, kPeerMac, Ip4{}, 60));
  EXPECT_EQ(h.counters.arp_learned, 0u);
  EXPECT_EQ(h.neigh->size(), 0u);
}

TEST(Arp, PaddedRequestGetsMinimumSizeReply) {
  Harness h;
  auto out = h.run1(arp_frame(kBcast, kPeerMac, 1, kPeerMac, kPeer4, MacA{}, h.dp_ip4, 60));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].size(), 60u);
}

TEST(Icmp4, EchoRequestAnswered) {
  Harness h;
  Bytes req = icmp4_echo(8, 0x1234, 7, 56);
  Bytes rep = icmp4_echo(0, 0x1234, 7, 56);
  auto out = h.run1(cat({eth(h.dp_mac, kPeerMac, 0x0800), ip4(kPeer4, h.dp_ip4, 1, req.size(), 99, 0, 64), req}));
  ASSERT_EQ(out.size(), 1u) << h.drop_reason();
  EXPECT_EQ(out[0], cat({eth(kPeerMac, h.dp_mac, 0x0800), ip4(h.dp_ip4, kPeer4, 1, rep.size(), 99, 0, 64), rep}));
  EXPECT_EQ(h.counters.icmp4_echo_replies, 1u);
}

Bytes nd_frame(const MacA& dmac, const MacA& smac, const Ip6& s, const Ip6& d, const Bytes& msg) {
  return cat({eth(dmac, smac, 0x86dd), ip6(s, d, 58, msg.size(), 255), msg});
}

TEST(Nd, SolicitationForOurAddressAnswered) {
  Harness h;
  Ip6 sn{{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0, 0, 1}};
  MacA snmac{{0x33, 0x33, 0xff, 0, 0, 1}};
  Bytes ns = icmp6(kPeer6, sn, nd_msg(135, 0, h.dp_ip6, 1, &kPeerMac));
  auto out = h.run1(nd_frame(snmac, kPeerMac, kPeer6, sn, ns));
  ASSERT_EQ(out.size(), 1u) << h.drop_reason();
  Bytes na = icmp6(h.dp_ip6, kPeer6, nd_msg(136, 0x60, h.dp_ip6, 2, &h.dp_mac));
  EXPECT_EQ(out[0], nd_frame(kPeerMac, h.dp_mac, h.dp_ip6, kPeer6, na));
  // Answered, but a solicitation from an unknown neighbour creates no entry.
  Mac m;
  EXPECT_FALSE(h.neigh->lookup(IpAddr::v6(kPeer6.b), &m));
  EXPECT_EQ(h.neigh->size(), 0u);
  EXPECT_EQ(h.counters.nd_adverts, 1u);
  EXPECT_EQ(h.counters.nd_learned, 0u);
}

TEST(Nd, SolicitationRefreshesKnownNeighbour) {
  Harness h;
  h.neigh->learn(IpAddr::v6(kPeer6.b), Mac{{0x02, 0, 0, 0, 0, 0x02}});
  Bytes ns = icmp6(kPeer6, h.dp_ip6, nd_msg(135, 0, h.dp_ip6, 1, &kPeerMac));
  auto out = h.run1(nd_frame(h.dp_mac, kPeerMac, kPeer6, h.dp_ip6, ns));
  ASSERT_EQ(out.size(), 1u) << h.drop_reason();
  EXPECT_EQ(h.counters.nd_learned, 1u);
}

// An NS's source link-layer address never re-points a known neighbour (our
// simplification of RFC 4861 7.2.3): answered, entry unchanged.
TEST(Nd, SolicitationDoesNotRepointKnownNeighbour) {
  Harness h;
  const MacA kNewMac{{0x02, 0, 0, 0, 0, 0x22}};
  h.neigh->learn(IpAddr::v6(kPeer6.b), Mac{{0x02, 0, 0, 0, 0, 0x02}});
  Bytes ns = icmp6(kPeer6, h.dp_ip6, nd_msg(135, 0, h.dp_ip6, 1, &kNewMac));
  auto out = h.run1(nd_frame(h.dp_mac, kNewMac, kPeer6, h.dp_ip6, ns));
  ASSERT_EQ(out.size(), 1u) << h.drop_reason();
  Mac m;
  ASSERT_TRUE(h.neigh->lookup(IpAddr::v6(kPeer6.b), &m));
  EXPECT_EQ(0, std::memcmp(m.b, kPeerMac.b, 6));
  EXPECT_EQ(h.counters.nd_learned, 0u);
  EXPECT_EQ(h.drops_total(), 0u);
}

TEST(Nd, LinkLocalSolicitationAnswered) {
  Harness h;
  Bytes ns = icmp6(kPeerLl, h.dp_ll, nd_msg(135, 0, h.dp_ll, 1, &kPeerMac));
  auto out = h.run1(nd_frame(h.dp_mac, kPeerMac, kPeerLl, h.dp_ll, ns));
  ASSERT_EQ(out.size(), 1u) << h.drop_reason();
  Bytes na = icmp6(h.dp_ll, kPeerLl, nd_msg(136, 0x60, h.dp_ll, 2, &h.dp_mac));
  EXPECT_EQ(out[0], nd_frame(kPeerMac, h.dp_mac, h.dp_ll, kPeerLl, na));
}

TEST(Nd, UnsolicitedAdvertisementIsNotLearned) {
  Harness h;
  Bytes na = icmp6(kPeer6, h.dp_ip6, nd_msg(136, 0x60, kPeer6, 2, &kPeerMac));
  auto out = h.run1(nd_frame(h.dp_mac, kPeerMac, kPeer6, h.dp_ip6, na));
  EXPECT_TRUE(out.empty());
  Mac m;
  EXPECT_FALSE(h.neigh->lookup(IpAddr::v6(kPeer6.b), &m));
  EXPECT_EQ(h.neigh->size(), 0u);
  EXPECT_EQ(h.drops(Drop::nd_unsolicited), 1u);
}

// A flood of advertisements for addresses nobody asked about leaves the
// table empty, so it cannot evict the next hops the relay resolves.
TEST(Nd, AdvertisementFloodLeavesTableEmpty) {
  Harness h;
  for (int i = 0; i < 200; ++i) {
    Ip6 t = kPeer6;
    t.b[14] = uint8_t(i >> 8);
    t.b[15] = uint8_t(i);
    Bytes na = icmp6(t, h.dp_ip6, nd_msg(136, 0x60, t, 2, &kPeerMac));
    EXPECT_TRUE(h.run1(nd_frame(h.dp_mac, kPeerMac, t, h.dp_ip6, na)).empty());
  }
  EXPECT_EQ(h.neigh->size(), 0u);
  EXPECT_EQ(h.drops(Drop::nd_unsolicited), 200u);
}

TEST(Nd, SolicitedAdvertisementIsLearnedAndReleasesHeldPacket) {
  Harness h;
  h.add_path6(0x0b0b0b0b0b, kPeer6, 6000);
  Bytes vl1 = vl1_packet(0x0b0b0b0b0b, 0x0a0a0a0a0a, 0);
  const Ip6 kSrc{{0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9}};
  auto out = h.run1(udp6_frame(h.dp_mac, kPeerMac, kSrc, h.dp_ip6, 5000, 9993, vl1));
  ASSERT_EQ(out.size(), 1u) << h.drop_reason();  // our solicitation
  ASSERT_EQ(h.neigh->pending(), 1u);
  const MacA kNextMac{{0x02, 0, 0, 0, 0, 0x0b}};
  Bytes na = icmp6(kPeer6, h.dp_ip6, nd_msg(136, 0x60, kPeer6, 2, &kNextMac));
  EXPECT_TRUE(h.run1(nd_frame(h.dp_mac, kNextMac, kPeer6, h.dp_ip6, na)).empty());
  Mac m;
  ASSERT_TRUE(h.neigh->lookup(IpAddr::v6(kPeer6.b), &m));
  EXPECT_EQ(0, std::memcmp(m.b, kNextMac.b, 6));
  EXPECT_EQ(h.counters.nd_learned, 1u);
  out = h.housekeeping();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(0, std::memcmp(out[0].data(), kNextMac.b, 6));  // the held packet, to the learned MAC
  EXPECT_EQ(h.neigh->pending(), 0u);
  EXPECT_EQ(h.drops_total(), 0u);
}

TEST(Nd, AdvertisementUpdatesKnownNeighbour) {
  Harness h;
  h.neigh->learn(IpAddr::v6(kPeer6.b), Mac{{0x02, 0, 0, 0, 0, 0x02}});
  const MacA kMoved{{0x02, 0, 0, 0, 0, 0x33}};
  Bytes na = icmp6(kPeer6, h.dp_ip6, nd_msg(136, 0x20, kPeer6, 2, &kMoved));
  EXPECT_TRUE(h.run1(nd_frame(h.dp_mac, kMoved, kPeer6, h.dp_ip6, na)).empty());
  Mac m;
  ASSERT_TRUE(h.neigh->lookup(IpAddr::v6(kPeer6.b), &m));
  EXPECT_EQ(0, std::memcmp(m.b, kMoved.b, 6));
  EXPECT_EQ(h.drops_total(), 0u);
}

// RFC 4861 7.2.5: without Override, another MAC does not replace a known
// neighbour's (the test above, with Override, does).
TEST(Nd, AdvertisementWithoutOverrideDoesNotReplace) {
  Harness h;
  h.neigh->learn(IpAddr::v6(kPeer6.b), Mac{{0x02, 0, 0, 0, 0, 0x02}});
  const MacA kMoved{{0x02, 0, 0, 0, 0, 0x33}};
  Bytes na = icmp6(kPeer6, h.dp_ip6, nd_msg(136, 0x40, kPeer6, 2, &kMoved));
  EXPECT_TRUE(h.run1(nd_frame(h.dp_mac, kMoved, kPeer6, h.dp_ip6, na)).empty());
  Mac m;
  ASSERT_TRUE(h.neigh->lookup(IpAddr::v6(kPeer6.b), &m));
  EXPECT_EQ(0, std::memcmp(m.b, kPeerMac.b, 6));
  EXPECT_EQ(h.drops(Drop::nd_no_override), 1u);
  EXPECT_EQ(h.counters.nd_learned, 0u);
}

TEST(Nd, AdvertisementDoesNotReplaceStaticNeighbour) {
  Harness h;
  h.add_neighbor6(kPeer6, kPeerMac);
  const MacA kOther{{0x02, 0, 0, 0, 0, 0x44}};
  Bytes na = icmp6(kPeer6, h.dp_ip6, nd_msg(136, 0x20, kPeer6, 2, &kOther));
  EXPECT_TRUE(h.run1(nd_frame(h.dp_mac, kOther, kPeer6, h.dp_ip6, na)).empty());
  Mac m;
  ASSERT_TRUE(h.neigh->lookup(IpAddr::v6(kPeer6.b), &m));
  EXPECT_EQ(0, std::memcmp(m.b, kPeerMac.b, 6));
}

TEST(Nd, UnresolvedIp6NextHopSendsSolicitation) {
  Harness h;
  h.add_path6(0x0b0b0b0b0b, kPeer6, 6000);
  auto out = h.run1(udp6_frame(h.dp_mac, kPeerMac, Ip6{{0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9}},
                               h.dp_ip6, 5000, 9993, vl1_packet(0x0b0b0b0b0b, 0x0a0a0a0a0a, 0)));
  ASSERT_EQ(out.size(), 1u) << h.drop_reason();
  Ip6 sn{{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0, 0, 2}};
  MacA snmac{{0x33, 0x33, 0xff, 0, 0, 2}};
  Bytes ns = icmp6(h.dp_ip6, sn, nd_msg(135, 0, kPeer6, 1, &h.dp_mac));
  EXPECT_EQ(out[0], nd_frame(snmac, h.dp_mac, h.dp_ip6, sn, ns));
  EXPECT_EQ(h.neigh->pending(), 1u);
}

TEST(Icmp6, EchoRequestAnswered) {
  Harness h;
  Bytes req = {128, 0, 0, 0, 0x12, 0x34, 0, 1, 'p', 'i', 'n', 'g'};
  Bytes rep = req;
  rep[0] = 129;
  auto out = h.run1(cat({eth(h.dp_mac, kPeerMac, 0x86dd), ip6(kPeer6, h.dp_ip6, 58, req.size()),
                         icmp6(kPeer6, h.dp_ip6, req)}));
  ASSERT_EQ(out.size(), 1u) << h.drop_reason();
  EXPECT_EQ(out[0], cat({eth(kPeerMac, h.dp_mac, 0x86dd), ip6(h.dp_ip6, kPeer6, 58, rep.size()),
                         icmp6(h.dp_ip6, kPeer6, rep)}));
  EXPECT_EQ(h.counters.icmp6_echo_replies, 1u);
}

}  // namespace
}  // namespace flatnet::test
