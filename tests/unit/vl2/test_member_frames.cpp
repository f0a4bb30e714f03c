// Unicast frames through real Cores (spec §4.7, §4.8, §10.6, §10.7, §10.9):
// A <-> B both ways, the membership gate and the NEED_MEMBERSHIP_CERTIFICATE
// exchange, rules, bridging with EXT_FRAME, revocations, and bad input.
#include "dataplane/wire/network_credentials.hpp"
#include "tests/unit/vl2/member_harness.hpp"

namespace flatnet::control::vl2::test {
namespace {

std::vector<uint8_t> ping_payload() {
  return {0x45, 0, 0, 28, 0, 1, 0, 0, 64, 1, 0, 0, 10, 1, 2, 3, 10, 1, 2, 4,
          8, 0, 0, 0, 0, 1, 0, 1};
}

struct Joined : MemberNet {
  Joined() {
    join("a");
    join("b");
    EXPECT_EQ(status("a"), NetworkStatus::kOk);
    EXPECT_EQ(status("b"), NetworkStatus::kOk);
    drain("a");
    drain("b");
  }
};

TEST(Vl2MemberFrames, UnicastBothWays) {
  Joined t;
  const auto ab = ether(t.mac(t.b), t.mac(t.a), 0x0800, ping_payload());
  t.tap("a", ab);
  auto got = t.drain("b");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].nwid, t.nwid);
  EXPECT_EQ(got[0].frame, ab);
  EXPECT_EQ(t.ma->counters().counted(Vl2Count::credentials_pushed), 1u);
  EXPECT_TRUE(t.mb->admits(t.nwid, t.a.address()));
  const auto ba = ether(t.mac(t.a), t.mac(t.b), 0x0800, ping_payload());
  t.tap("b", ba);
  got = t.drain("a");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].frame, ba);
  // The second frame A sends needs no second push.
  t.tap("a", ab);
  EXPECT_EQ(t.drain("b").size(), 1u);
  EXPECT_EQ(t.ma->counters().counted(Vl2Count::credentials_pushed), 1u);
  EXPECT_EQ(t.mb->counters().counted(Vl2Count::rx_frames), 2u);
}

TEST(Vl2MemberFrames, TapFramesWeMayNotSendAreDrops) {
  Joined t;
  // Not our source MAC (and we are no bridge).
  t.tap("a", ether(t.mac(t.b), 0x32aabbccddeeULL, 0x0800, ping_payload()));
  EXPECT_EQ(t.ma->counters().dropped(Vl2Drop::bad_source_mac), 1u);
  // Over the MTU.
  t.tap("a", ether(t.mac(t.b), t.mac(t.a), 0x0800, std::vector<uint8_t>(2801, 0)));
  EXPECT_EQ(t.ma->counters().dropped(Vl2Drop::oversize), 1u);
  // Runt, and a network we did not join.
  t.tap("a", {1, 2, 3});
  EXPECT_EQ(t.ma->counters().dropped(Vl2Drop::malformed), 1u);
  t.tap("a", ether(t.mac(t.b), t.mac(t.a), 0x0800, ping_payload()), 0x1234);
  EXPECT_EQ(t.ma->counters().dropped(Vl2Drop::unknown_network), 1u);
  EXPECT_TRUE(t.drain("b").empty());
}

TEST(Vl2MemberFrames, NonMemberFrameIsHeldAskedAndDropped) {
  Joined t;
  // C is no member: its FRAME to B gets ERROR(NEED_MEMBERSHIP_CERTIFICATE).
  Actions out;
  t.core("c").send_to(t.b.address(), wire::Verb::kFrame,
                      encode_frame(t.nwid, 0x0800, ping_payload()), t.now, out);
  t.net.pump("c", out, t.now);
  EXPECT_TRUE(t.drain("b").empty());
  EXPECT_EQ(t.mb->counters().counted(Vl2Count::credentials_requested), 1u);
  EXPECT_EQ(t.mb->counters().counted(Vl2Count::frames_held), 1u);
  t.now += kHoldMs;
  t.run("b");
  EXPECT_EQ(t.mb->counters().dropped(Vl2Drop::not_member), 1u);
}

TEST(Vl2MemberFrames, NeedMembershipCertificateExchangeDeliversTheHeldFrame) {
  Joined t;
  const auto ab = ether(t.mac(t.b), t.mac(t.a), 0x0800, ping_payload());
  t.tap("a", ab);
  ASSERT_EQ(t.drain("b").size(), 1u);
  // B restarts its member and forgets A's COM; A does not know.
  t.mb = std::make_unique<Member>(t.core("b"));
  t.core("b").set_member(t.mb.get());
  t.now += 2000;
  t.join("b");
  t.drain("b");
  t.tap("a", ab);
  // B asked, A pushed, B delivered the held frame.
  EXPECT_EQ(t.mb->counters().counted(Vl2Count::credentials_requested), 1u);
  EXPECT_EQ(t.ma->counters().counted(Vl2Count::credentials_pushed), 2u);
  auto got = t.drain("b");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].frame, ab);
  EXPECT_EQ(t.mb->counters().dropped(Vl2Drop::not_member), 0u);
}

// A gateway's control shows its credentials to a member without sending it a
// frame (its fast path sends the frames): once, then not again until the
// re-push interval; nothing for a network it did not join.
TEST(Vl2MemberFrames, PresentCredentialsWithoutAFrame) {
  Joined t;
  EXPECT_FALSE(t.mb->admits(t.nwid, t.a.address()));
  Actions out;
  EXPECT_TRUE(t.ma->present_credentials(t.nwid, t.b.address(), t.now, out));
  t.net.pump("a", out, t.now);
  EXPECT_TRUE(t.mb->admits(t.nwid, t.a.address()));
  EXPECT_EQ(t.ma->counters().counted(Vl2Count::credentials_pushed), 1u);
  Actions again;
  EXPECT_TRUE(t.ma->present_credentials(t.nwid, t.b.address(), t.now + 1000, again));
  t.net.pump("a", again, t.now + 1000);
  EXPECT_EQ(t.ma->counters().counted(Vl2Count::credentials_pushed), 1u);
  Actions none;
  EXPECT_FALSE(t.ma->present_credentials(0x1234, t.b.address(), t.now, none));
}

TEST(Vl2MemberFrames, PublicNetworkAcceptsWithoutCom) {
  MemberNet t;
  t.ctl.nets[t.nwid].is_public = true;
  t.join("b");
  Actions out;
  t.core("c").send_to(t.b.address(), wire::Verb::kFrame,
                      encode_frame(t.nwid, 0x0800, ping_payload()), t.now, out);
  t.net.pump("c", out, t.now);
  EXPECT_EQ(t.drain("b").size(), 1u);
}

TEST(Vl2MemberFrames, RuleDropsTcp22BothWays) {
  MemberNet t;
  using T = wire::RuleType;
  wire::Rule proto;
  proto.t = uint8_t(T::kMatchIpProtocol);
  proto.ip_protocol = 6;
  wire::Rule port;
  port.t = uint8_t(T::kMatchIpDestPortRange);
  port.range = {22, 22};
  t.ctl.nets[t.nwid].rules = {proto, port, wire::Rule::action(T::kActionDrop),
                              wire::Rule::action(T::kActionAccept)};
  t.join("a");
  t.join("b");
  t.drain("b");
  t.tap("a", ether(t.mac(t.b), t.mac(t.a), 0x0800, tcp_syn(22)));
  EXPECT_TRUE(t.drain("b").empty());
  EXPECT_EQ(t.ma->counters().dropped(Vl2Drop::rules), 1u);
  t.tap("a", ether(t.mac(t.b), t.mac(t.a), 0x0800, tcp_syn(80)));
  EXPECT_EQ(t.drain("b").size(), 1u);
  // Inbound too: a FRAME to port 22 sent around A's rules is dropped at B.
  Actions out;
  t.core("a").send_to(t.b.address(), wire::Verb::kFrame, encode_frame(t.nwid, 0x0800, tcp_syn(22)),
                      t.now, out);
  t.net.pump("a", out, t.now);
  EXPECT_TRUE(t.drain("b").empty());
  EXPECT_EQ(t.mb->counters().dropped(Vl2Drop::rules), 1u);
}

// The base table leaves IPv4 undecided; a capability accepts it. A's own
// capability lets it send; B accepts only because A presented it.
TEST(Vl2MemberFrames, CapabilitiesArePresentedAndEvaluated) {
  MemberNet t;
  using T = wire::RuleType;
  wire::Rule v6;
  v6.t = uint8_t(T::kMatchEthertype);
  v6.ethertype = 0x86dd;
  wire::Rule tag_eq;
  tag_eq.t = uint8_t(T::kMatchTagsEqual);
  tag_eq.tag_id = 5;
  tag_eq.tag_value = 42;  // both sides' tag 5 must be 42 (stock's TAGS_EQUAL)
  auto& net = t.ctl.nets[t.nwid];
  net.rules = {v6, wire::Rule::action(T::kActionAccept)};
  // Capability 1 accepts frames between members both tagged 5 = 42.
  net.capabilities[1] = {tag_eq, wire::Rule::action(T::kActionAccept)};
  net.tags[5] = 42;
  t.join("a");
  t.join("b");
  t.drain("b");
  const auto ab = ether(t.mac(t.b), t.mac(t.a), 0x0800, ping_payload());
  t.tap("a", ab);
  ASSERT_EQ(t.drain("b").size(), 1u);
  EXPECT_EQ(t.mb->counters().dropped(Vl2Drop::rules), 0u);
  // A member without the capability (config re-issued without it) cannot
  // send IPv4, and B drops what arrives without one.
  net.capabilities.clear();
  t.now += kConfigRefreshMs;
  t.run("a");
  t.tap("a", ab);
  EXPECT_EQ(t.ma->counters().dropped(Vl2Drop::rules), 1u);
  Member fresh(t.core("b"));
  t.core("b").set_member(&fresh);
  Actions out;
  fresh.join(t.nwid, {}, t.now, out);
  t.net.pump("b", out, t.now);
  t.core("a").send_to(t.b.address(), wire::Verb::kFrame, encode_frame(t.nwid, 0x0800, ping_payload()),
                      t.now, out);
  t.net.pump("a", out, t.now);
  // A's credentials (COM, no capability) reach the fresh member on request.
  EXPECT_EQ(fresh.counters().dropped(Vl2Drop::rules), 1u);
  t.core("b").set_member(t.mb.get());
}

TEST(Vl2MemberFrames, ExtFrameBehindABridge) {
  MemberNet t;
  t.ctl.nets[t.nwid].specialists = {wire::kSpecialistActiveBridge | t.b.address()};
  t.join("a");
  t.join("b");
  t.drain("a");
  t.drain("b");
  const uint64_t lan_host = 0x0edeadbeef01ULL;
  // A LAN host behind bridge B talks to A: EXT_FRAME, A learns the route.
  const auto from_lan = ether(t.mac(t.a), lan_host, 0x0800, ping_payload());
  t.tap("b", from_lan);
  auto got = t.drain("a");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].frame, from_lan);
  EXPECT_EQ(t.ma->bridge_for(t.nwid, lan_host), t.b.address());
  // A answers the LAN host: EXT_FRAME to B, which delivers it to its tap.
  const auto to_lan = ether(lan_host, t.mac(t.a), 0x0800, ping_payload());
  t.tap("a", to_lan);
  got = t.drain("b");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].frame, to_lan);
  // A is no bridge: it may not speak for a LAN host, and B refuses one from it.
  Actions out;
  t.core("a").send_to(t.b.address(), wire::Verb::kExtFrame,
                      encode_ext_frame(t.nwid, 0, t.mac(t.b), 0x0edeadbeef02ULL, 0x0800,
                                       ping_payload()),
                      t.now, out);
  t.net.pump("a", out, t.now);
  EXPECT_TRUE(t.drain("b").empty());
  EXPECT_EQ(t.mb->counters().dropped(Vl2Drop::not_bridge), 1u);
}

// A LAN host's locally administered MAC may start with the network's first
// octet, so it reads as a member's MAC; the route learned behind the bridge
// wins, else A's answer goes to an address nobody has.
TEST(Vl2MemberFrames, LanHostWithTheMembersFirstOctetGoesToItsBridge) {
  MemberNet t;
  t.ctl.nets[t.nwid].specialists = {wire::kSpecialistActiveBridge | t.b.address()};
  t.join("a");
  t.join("b");
  t.drain("a");
  t.drain("b");
  const uint64_t lan_host = (t.mac(t.a) & 0xff0000000000ULL) | 0x00deadbeef01ULL;
  ASSERT_TRUE(port::is_member_mac(lan_host, t.nwid));
  t.tap("b", ether(t.mac(t.a), lan_host, 0x0800, ping_payload()));
  ASSERT_EQ(t.drain("a").size(), 1u);
  ASSERT_EQ(t.ma->bridge_for(t.nwid, lan_host), t.b.address());
  const auto to_lan = ether(lan_host, t.mac(t.a), 0x0800, ping_payload());
  t.tap("a", to_lan);
  const auto got = t.drain("b");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].frame, to_lan);
}

TEST(Vl2MemberFrames, ForgedComIsRefused) {
  Joined t;
  // C presents a COM for itself signed by B, not by the controller.
  wire::CertificateOfMembership com =
      wire::CertificateOfMembership::issue(t.now, wire::kDefaultCredentialTimeMaxDelta, t.nwid, t.c);
  ASSERT_TRUE(wire::com_sign(com, t.b));
  wire::NetworkCredentials nc;
  nc.coms.push_back(com);
  std::vector<uint8_t> payload;
  ASSERT_TRUE(wire::encode_network_credentials(nc, payload));
  Actions out;
  t.core("c").send_to(t.b.address(), wire::Verb::kNetworkCredentials, payload, t.now, out);
  t.core("c").send_to(t.b.address(), wire::Verb::kFrame,
                      encode_frame(t.nwid, 0x0800, ping_payload()), t.now, out);
  t.net.pump("c", out, t.now);
  EXPECT_EQ(t.mb->counters().dropped(Vl2Drop::credential_bad_signature), 1u);
  EXPECT_TRUE(t.drain("b").empty());
  EXPECT_FALSE(t.mb->admits(t.nwid, t.c.address()));
  // A garbage credentials payload is a counted drop too.
  t.now += 2000;
  const std::vector<uint8_t> junk{0x01, 0xff, 0xff};
  t.core("c").send_to(t.b.address(), wire::Verb::kNetworkCredentials, junk, t.now, out);
  t.net.pump("c", out, t.now);
  EXPECT_EQ(t.mb->counters().dropped(Vl2Drop::credential_malformed), 1u);
}

TEST(Vl2MemberFrames, RevocationCutsOffAtOnceAndIsForwarded) {
  Joined t;
  t.tap("a", ether(t.mac(t.b), t.mac(t.a), 0x0800, ping_payload()));
  t.tap("b", ether(t.mac(t.a), t.mac(t.b), 0x0800, ping_payload()));
  ASSERT_EQ(t.drain("b").size(), 1u);
  ASSERT_TRUE(t.mb->admits(t.nwid, t.a.address()));
  // The controller revokes A's COM and tells B (fast propagate).
  wire::Revocation rev;
  rev.id = 1;
  rev.network_id = t.nwid;
  rev.threshold = t.now;
  rev.flags = wire::kRevocationFlagFastPropagate;
  rev.target = t.a.address();
  rev.type = wire::CredentialType::kCom;
  ASSERT_TRUE(wire::revocation_sign(rev, t.c));
  wire::NetworkCredentials nc;
  nc.revocations.push_back(rev);
  std::vector<uint8_t> payload;
  ASSERT_TRUE(wire::encode_network_credentials(nc, payload));
  Actions out;
  t.core("c").send_to(t.b.address(), wire::Verb::kNetworkCredentials, payload, t.now, out);
  t.net.pump("c", out, t.now);
  EXPECT_EQ(t.mb->counters().counted(Vl2Count::revocations_applied), 1u);
  EXPECT_FALSE(t.mb->admits(t.nwid, t.a.address()));
  t.now += 2000;
  t.tap("a", ether(t.mac(t.b), t.mac(t.a), 0x0800, ping_payload()));
  EXPECT_TRUE(t.drain("b").empty());
  // A forged revocation (signed by B, not the controller) is refused by A.
  wire::Revocation forged = rev;
  forged.target = t.b.address();
  ASSERT_TRUE(wire::revocation_sign(forged, t.b));
  nc.revocations = {forged};
  payload.clear();
  ASSERT_TRUE(wire::encode_network_credentials(nc, payload));
  t.core("b").send_to(t.a.address(), wire::Verb::kNetworkCredentials, payload, t.now, out);
  t.net.pump("b", out, t.now);
  EXPECT_EQ(t.ma->counters().dropped(Vl2Drop::credential_bad_signature), 1u);
  EXPECT_TRUE(t.ma->admits(t.nwid, t.b.address()));
}

TEST(Vl2MemberFrames, MalformedAndOversizeFramesFromPeersAreDrops) {
  // A small MTU so the oversize frame still fits one unfragmented packet
  // (the fake network's root does not relay fragments).
  MemberNet t;
  t.ctl.nets[t.nwid].mtu = wire::kMinMtu;
  t.join("a");
  t.join("b");
  t.tap("a", ether(t.mac(t.b), t.mac(t.a), 0x0800, ping_payload()));
  t.drain("b");
  Actions out;
  const std::vector<uint8_t> shortp{1, 2, 3};
  t.core("a").send_to(t.b.address(), wire::Verb::kFrame, shortp, t.now, out);
  t.core("a").send_to(t.b.address(), wire::Verb::kExtFrame, shortp, t.now, out);
  t.core("a").send_to(t.b.address(), wire::Verb::kMulticastFrame, shortp, t.now, out);
  t.core("a").send_to(t.b.address(), wire::Verb::kFrame,
                      encode_frame(t.nwid, 0x0800, std::vector<uint8_t>(wire::kMinMtu + 1, 0)), t.now, out);
  t.net.pump("a", out, t.now);
  EXPECT_EQ(t.mb->counters().dropped(Vl2Drop::malformed), 3u);
  EXPECT_EQ(t.mb->counters().dropped(Vl2Drop::oversize), 1u);
  EXPECT_TRUE(t.drain("b").empty());
}

}  // namespace
}  // namespace flatnet::control::vl2::test
