// A restarted gateway control re-meets the peers its data plane still
// serves (control/service/gateway_host remeet, docs/gateway.md "A restarted
// control") over real Cores: a member the core has never heard of is looked
// up through the root, asked for its credentials through the root's relay
// and admitted; a peer that is no member stays out (the sweep removes it);
// the work per scan is bounded and the list is forgotten after kRemeetMs.
#include "control/service/gateway_host.hpp"
#include "tests/unit/vl2/member_harness.hpp"

namespace flatnet::control::vl2::test {
namespace {

using service::GatewayHost;

// A is the restarted gateway: its core has never met B, a member.
TEST(GatewayRemeet, UnknownMemberIsLookedUpAskedAndAdmitted) {
  MemberNet t;
  t.join("a");
  t.join("b");
  ASSERT_EQ(t.core("a").peers().find(t.b.address()), nullptr);
  ASSERT_FALSE(t.ma->admits(t.nwid, t.b.address()));
  GatewayHost g;
  Actions out;
  g.solicit(t.nwid, *t.ma, t.core("a"), t.now, out);  // the peers A knows (the controller)
  t.net.pump("a", out, t.now);
  t.now += GatewayHost::kSolicitScanMs;
  // The dump holds B, the root (an upstream: not asked) and an address
  // nobody knows (its WHOIS goes unanswered; the request expires, counted).
  g.remeet({t.b.address(), t.root.address(), 0x12345678aaull}, t.now);
  const uint64_t asked = t.ma->counters().counted(Vl2Count::credentials_requested);
  out = Actions{};
  g.solicit(t.nwid, *t.ma, t.core("a"), t.now, out);
  t.net.pump("a", out, t.now);
  // B and the unknown one, and the controller again: what was asked before
  // the attach (the dump) may have been lost, so it is asked again.
  EXPECT_EQ(t.ma->counters().counted(Vl2Count::credentials_requested) - asked, 3u);
  EXPECT_NE(t.core("a").peers().find(t.b.address()), nullptr);  // WHOIS answered
  EXPECT_EQ(t.core("a").metrics().drops[size_t(Drop::outbox_no_route)], 0u);
  EXPECT_TRUE(t.ma->admits(t.nwid, t.b.address()));  // B showed its credentials
  // Admitted: dropped from the list at the next scan; the unknown one stays
  // (asked again after kSolicitMs) until kRemeetMs.
  Actions later;
  g.solicit(t.nwid, *t.ma, t.core("a"), t.now + GatewayHost::kSolicitScanMs, later);
  EXPECT_EQ(g.remeeting(), 1u);
  g.solicit(t.nwid, *t.ma, t.core("a"), t.now + GatewayHost::kRemeetMs, later);
  EXPECT_EQ(g.remeeting(), 0u);
}

// B is known to the root but not in the network (never joined: no COM), as
// a member the controller deauthorized while control was away has no valid
// one: asked, it does not get admitted, so the sweep still removes it.
TEST(GatewayRemeet, PeerWithoutCredentialsIsNotAdmitted) {
  MemberNet t;
  t.join("a");
  t.hello_roots("b");
  GatewayHost g;
  g.remeet({t.b.address()}, t.now);
  Actions out;
  g.solicit(t.nwid, *t.ma, t.core("a"), t.now, out);
  t.net.pump("a", out, t.now);
  EXPECT_NE(t.core("a").peers().find(t.b.address()), nullptr);
  EXPECT_FALSE(t.ma->admits(t.nwid, t.b.address()));
  EXPECT_EQ(g.remeeting(), 1u);
}

// 100 dumped addresses: at most kMaxRemeetPerScan asked per scan, none
// twice within kSolicitMs (unknown addresses: each a WHOIS, so the WHOIS
// in flight are bounded by the same figure).
TEST(GatewayRemeet, BoundedPerScanAndPerPeer) {
  MemberNet t;
  t.join("a");
  GatewayHost g;
  Actions out;
  g.solicit(t.nwid, *t.ma, t.core("a"), t.now, out);  // the peers A knows (the controller)
  t.now += GatewayHost::kSolicitScanMs;
  std::vector<uint64_t> dumped;
  for (uint64_t i = 0; i < 100; ++i) dumped.push_back(0x2000000000ull + i);
  dumped.push_back(dumped.front());  // duplicates count once
  g.remeet(dumped, t.now);
  EXPECT_EQ(g.remeeting(), 100u);
  auto asked = [&] { return t.ma->counters().counted(Vl2Count::credentials_requested); };
  uint64_t before = asked();
  g.solicit(t.nwid, *t.ma, t.core("a"), t.now, out);
  EXPECT_EQ(asked() - before, GatewayHost::kMaxRemeetPerScan + 1);  // and the controller again
  before = asked();
  g.solicit(t.nwid, *t.ma, t.core("a"), t.now + 1, out);  // not a scan yet
  EXPECT_EQ(asked() - before, 0u);
  uint64_t at = t.now;
  uint64_t total = 0;
  for (int i = 1; i <= 4; ++i) {  // 3 more scans finish the 100, the 4th asks nothing
    at += GatewayHost::kSolicitScanMs;
    before = asked();
    g.solicit(t.nwid, *t.ma, t.core("a"), at, out);
    total += asked() - before;
  }
  EXPECT_EQ(total, 100u - GatewayHost::kMaxRemeetPerScan);
}

}  // namespace
}  // namespace flatnet::control::vl2::test
