// The member's state stays bounded whatever peers send (spec-free: our
// limits, network.hpp): held frames, subscriptions from gather answers,
// learned bridge routes.
#include "tests/unit/vl2/fake_link.hpp"
#include "tests/unit/vl2/member_harness.hpp"

namespace flatnet::control::vl2::test {
namespace {

struct Configured {
  FakeLink link{control::test::parse_identity(control::test::kIdentityA)};
  const crypto::Identity& ctl_id = controller_identity();
  uint64_t nwid = ctl_id.address() << 24 | 0x55;
  uint64_t now = 3'000'000;
  Member m{link};
  explicit Configured(bool is_public, std::vector<uint64_t> specialists = {}) {
    link.known.emplace(ctl_id.address(), ctl_id);
    TestController ctl;
    ctl.nets[nwid].is_public = is_public;
    ctl.nets[nwid].specialists = std::move(specialists);
    std::vector<uint8_t> bytes;
    EXPECT_EQ(wire::encode_network_config(ctl.config_for(nwid, link.me, now), bytes),
              wire::ConfigStatus::kOk);
    EXPECT_TRUE(m.restore(nwid, bytes, now));
  }
};

TEST(Vl2MemberBounds, HeldFramesAreBounded) {
  Configured t(false);
  const crypto::Identity b = control::test::parse_identity(control::test::kIdentityB);
  const auto frame = encode_frame(t.nwid, 0x0800, std::vector<uint8_t>(100, 0));
  Actions out;
  for (int i = 0; i < 100; ++i) t.m.packet(request(b.address(), &b, wire::Verb::kFrame, frame), t.now, out);
  EXPECT_EQ(t.m.counters().counted(Vl2Count::frames_held), 100u);
  EXPECT_EQ(t.m.counters().dropped(Vl2Drop::held_full), 100u - kMaxHeld);
  EXPECT_EQ(t.link.count(wire::Verb::kError), 100u);
  t.m.run(t.now + kHoldMs, out);
  EXPECT_EQ(t.m.counters().dropped(Vl2Drop::not_member), kMaxHeld);
}

TEST(Vl2MemberBounds, GatherAnswersCannotGrowTheStoreWithoutBound) {
  Configured t(true);
  Actions out;
  for (uint32_t g = 0; g < kMaxGroups + 50; ++g) {
    std::vector<uint8_t> body;
    wire::Writer w(body);
    w.u64(t.nwid);
    for (int i = 5; i >= 0; --i) w.u8(uint8_t(0x01005e000000ULL >> (8 * i)));
    w.u32(g);
    const uint16_t n = g < 2 ? 5000 : 3;
    w.u32(n);
    w.u16(n);
    for (uint64_t a = 0; a < n; ++a) w.u40(0x4000000000ULL + a);
    t.m.packet(ok_reply(0x9900000001ULL, nullptr, wire::Verb::kMulticastGather, body), t.now, out);
  }
  EXPECT_EQ(t.m.known_subscribers(t.nwid, {0x01005e000000ULL, 0}), kMaxSubscribersPerGroup);
  EXPECT_EQ(t.m.known_subscribers(t.nwid, {0x01005e000000ULL, kMaxGroups + 10}), 0u);
}

TEST(Vl2MemberBounds, BridgeRoutesAreBounded) {
  const crypto::Identity b = control::test::parse_identity(control::test::kIdentityB);
  Configured t(true, {wire::kSpecialistActiveBridge | b.address()});
  const uint64_t our_mac = port::member_mac(t.link.me.address(), t.nwid);
  Actions out;
  for (uint64_t i = 0; i < kMaxBridgeRoutes + 100; ++i) {
    const auto f = encode_ext_frame(t.nwid, 0, our_mac, 0x0e0000000000ULL + i, 0x0800,
                                    std::vector<uint8_t>(20, 0));
    t.m.packet(request(b.address(), &b, wire::Verb::kExtFrame, f), t.now, out);
  }
  EXPECT_EQ(t.m.counters().counted(Vl2Count::bridge_routes_learned), kMaxBridgeRoutes + 100);
  size_t known = 0;
  for (uint64_t i = 0; i < kMaxBridgeRoutes + 100; ++i)
    known += t.m.bridge_for(t.nwid, 0x0e0000000000ULL + i) != 0;
  EXPECT_LE(known, kMaxBridgeRoutes);
  MemberOutput o;
  t.m.drain(o);
  EXPECT_EQ(o.to_tap.size(), kMaxBridgeRoutes + 100);
}

}  // namespace
}  // namespace flatnet::control::vl2::test
