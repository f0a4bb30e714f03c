// IPv6 NDP emulation (spec §10.10): a neighbor solicitation for a member's
// 6PLANE or RFC4193 address is answered on our tap with the member's MAC,
// and nothing goes on the wire; and addresses NDP emulation derives count
// as owned by a peer (SENDER_IP_AUTHENTICATED) as stock's _isV6NDPEmulated.
#include "control/vl2/ndp_emulation.hpp"
#include "tests/unit/vl2/fake_link.hpp"
#include "tests/unit/vl2/member_harness.hpp"

namespace flatnet::control::vl2::test {
namespace {

// An ICMPv6 neighbor solicitation from `src_ip` for `target`.
std::vector<uint8_t> solicitation(uint64_t src_mac, const wire::InetAddress& src_ip,
                                  const wire::InetAddress& target) {
  std::vector<uint8_t> p{0x60, 0, 0, 0, 0, 32, 0x3a, 255};
  p.insert(p.end(), src_ip.ip.begin(), src_ip.ip.end());
  // Solicited-node group ff02::1:ffXX:XXXX.
  std::vector<uint8_t> dst{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff,
                           target.ip[13], target.ip[14], target.ip[15]};
  p.insert(p.end(), dst.begin(), dst.end());
  std::vector<uint8_t> ns{135, 0, 0, 0, 0, 0, 0, 0};
  ns.insert(ns.end(), target.ip.begin(), target.ip.end());
  ns.insert(ns.end(), {1, 1});
  for (int i = 5; i >= 0; --i) ns.push_back(uint8_t(src_mac >> (8 * i)));
  p.insert(p.end(), ns.begin(), ns.end());
  const uint64_t group = 0x3333ff000000ULL | uint64_t(target.ip[13]) << 16 |
                         uint64_t(target.ip[14]) << 8 | target.ip[15];
  return ether(group, src_mac, 0x86dd, p);
}

// The one's-complement sum over the pseudo-header and ICMPv6 body is 0xffff
// when the checksum is right.
bool checksum_ok(const std::vector<uint8_t>& frame) {
  const uint8_t* ip = frame.data() + 14;
  const size_t len = size_t(ip[4]) << 8 | ip[5];
  uint32_t sum = 0;
  for (size_t i = 8; i < 40; i += 2) sum += uint32_t(ip[i]) << 8 | ip[i + 1];
  sum += uint32_t(len) + 58;
  for (size_t i = 0; i + 1 < len; i += 2) sum += uint32_t(ip[40 + i]) << 8 | ip[40 + i + 1];
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return sum == 0xffff;
}

struct Ndp {
  FakeLink link{control::test::parse_identity(control::test::kIdentityA)};
  Member m{link};
  uint64_t self = link.me.address();
  uint64_t now = 1'000'000;
  std::vector<uint8_t> ask(uint64_t nwid, const wire::InetAddress& mine,
                           const wire::InetAddress& target) {
    Actions out;
    m.from_tap(nwid, solicitation(port::member_mac(self, nwid), mine, target), now, out);
    MemberOutput o;
    m.drain(o);
    return o.to_tap.empty() ? std::vector<uint8_t>{} : o.to_tap.back().frame;
  }
};

TEST(Vl2MemberNdp, SixplaneSolicitationIsAnsweredLocally) {
  Ndp t;
  const uint64_t nwid = 0xff0a000000000001ULL;  // ad-hoc: 6PLANE, NDP emulation
  Actions out;
  ASSERT_TRUE(t.m.join(nwid, {}, t.now, out));
  const uint64_t peer = 0x1234567890ULL;
  const auto mine = port::sixplane_address(nwid, t.self);
  const auto target = port::sixplane_address(nwid, peer);
  t.link.sent.clear();
  const auto na = t.ask(nwid, mine, target);
  ASSERT_EQ(na.size(), 14u + 40 + 32);
  EXPECT_EQ(port::mac_from_bytes(na.data()), port::member_mac(t.self, nwid));
  EXPECT_EQ(port::mac_from_bytes(na.data() + 6), port::member_mac(peer, nwid));
  EXPECT_EQ(na[14 + 40], 136);
  EXPECT_TRUE(std::equal(target.ip.begin(), target.ip.end(), na.begin() + 14 + 8));
  EXPECT_TRUE(checksum_ok(na));
  EXPECT_TRUE(t.link.sent.empty());
  EXPECT_EQ(t.m.counters().counted(Vl2Count::ndp_answered), 1u);
  // Our own address is not answered (it goes out as a multicast instead).
  EXPECT_TRUE(t.ask(nwid, mine, mine).empty());
  EXPECT_EQ(t.m.counters().counted(Vl2Count::ndp_answered), 1u);
}

TEST(Vl2MemberNdp, Rfc4193SolicitationIsAnsweredAndOthersAreNot) {
  Ndp t;
  const uint64_t nwid = controller_identity().address() << 24 | 7;
  t.link.known.emplace(controller_identity().address(), controller_identity());
  TestController ctl;
  ctl.nets[nwid].flags = wire::kConfigFlagNdpEmulation;
  auto cfg = ctl.config_for(nwid, t.link.me, t.now);
  const auto mine = port::rfc4193_address(nwid, t.self);
  cfg.static_ips.push_back(mine);
  std::vector<uint8_t> bytes;
  ASSERT_EQ(wire::encode_network_config(cfg, bytes), wire::ConfigStatus::kOk);
  ASSERT_TRUE(t.m.restore(nwid, bytes, t.now));
  const uint64_t peer = 0x0abcdef012ULL;
  const auto na = t.ask(nwid, mine, port::rfc4193_address(nwid, peer));
  ASSERT_FALSE(na.empty());
  EXPECT_EQ(port::mac_from_bytes(na.data() + 6), port::member_mac(peer, nwid));
  EXPECT_TRUE(checksum_ok(na));
  // An address outside our /88 is none of NDP emulation's business.
  const uint8_t other[16] = {0xfd, 1, 2, 3, 4, 5, 6, 7, 8, 0x99, 0x93, 1, 2, 3, 4, 5};
  EXPECT_TRUE(t.ask(nwid, mine, wire::InetAddress::v6(other, 0)).empty());
}

// A UDP/IPv6 packet from `src` to `dst`.
std::vector<uint8_t> udp6(const wire::InetAddress& src, const wire::InetAddress& dst) {
  std::vector<uint8_t> p{0x60, 0, 0, 0, 0, 8, 17, 64};
  p.insert(p.end(), src.ip.begin(), src.ip.end());
  p.insert(p.end(), dst.ip.begin(), dst.ip.end());
  p.insert(p.end(), {0x30, 0x39, 0x30, 0x39, 0, 8, 0, 0});
  return p;
}

// Rules that accept only frames whose sender owns its IP address.
struct Owned : Ndp {
  uint64_t nwid = controller_identity().address() << 24 | 9;
  uint64_t peer = 0x0abcdef012ULL;
  explicit Owned(uint64_t flags, bool assign_rfc4193) {
    link.known.emplace(controller_identity().address(), controller_identity());
    TestController ctl;
    auto& n = ctl.nets[nwid];
    n.is_public = true;
    n.flags = flags;
    wire::Rule authenticated;
    authenticated.t = uint8_t(wire::RuleType::kMatchCharacteristics) | wire::kRuleNot;
    authenticated.characteristics = ::flatnet::vl2::kCharSenderIpAuthenticated;
    n.rules = {authenticated, wire::Rule::action(wire::RuleType::kActionDrop),
               wire::Rule::action(wire::RuleType::kActionAccept)};
    auto cfg = ctl.config_for(nwid, link.me, now);
    if (assign_rfc4193) cfg.static_ips.push_back(port::rfc4193_address(nwid, self));
    std::vector<uint8_t> bytes;
    EXPECT_EQ(wire::encode_network_config(cfg, bytes), wire::ConfigStatus::kOk);
    EXPECT_TRUE(m.restore(nwid, bytes, now));
  }
  // A FRAME from `peer` with an IPv6 source `src`: delivered?
  bool delivered_from(const wire::InetAddress& src) {
    Actions out;
    const auto payload =
        encode_frame(nwid, 0x86dd, udp6(src, port::rfc4193_address(nwid, self)));
    m.packet(request(peer, nullptr, wire::Verb::kFrame, payload), now, out);
    MemberOutput o;
    m.drain(o);
    return !o.to_tap.empty();
  }
};

TEST(Vl2MemberNdp, EmulatedAddressesCountAsOwnedByAPeer) {
  Owned t(wire::kConfigFlagNdpEmulation, true);
  // In our RFC4193 /88: owned, though no COO names it.
  EXPECT_TRUE(t.delivered_from(port::rfc4193_address(t.nwid, t.peer)));
  // Stock compares the prefix only, not the address inside it.
  EXPECT_TRUE(t.delivered_from(port::rfc4193_address(t.nwid, 0x0102030405ULL)));
  // Another network's /88 and a 6PLANE address we were not assigned: not.
  EXPECT_FALSE(t.delivered_from(port::rfc4193_address(t.nwid ^ 1, t.peer)));
  EXPECT_FALSE(t.delivered_from(port::sixplane_address(t.nwid, t.peer)));
  EXPECT_EQ(t.m.counters().dropped(Vl2Drop::rules), 2u);
  // Our own outbound frames are judged by our COOs only, as stock.
  Actions out;
  t.m.from_tap(t.nwid,
               ether(port::member_mac(t.peer, t.nwid), port::member_mac(t.self, t.nwid), 0x86dd,
                     udp6(port::rfc4193_address(t.nwid, t.self),
                          port::rfc4193_address(t.nwid, t.peer))),
               t.now, out);
  EXPECT_EQ(t.m.counters().dropped(Vl2Drop::rules), 3u);
}

TEST(Vl2MemberNdp, NoEmulationOrNoRfc4193AddressMeansNoOwnership) {
  Owned off(0, true);
  EXPECT_FALSE(off.delivered_from(port::rfc4193_address(off.nwid, off.peer)));
  Owned unassigned(wire::kConfigFlagNdpEmulation, false);
  EXPECT_FALSE(unassigned.delivered_from(port::rfc4193_address(unassigned.nwid, unassigned.peer)));
}

TEST(Vl2MemberNdp, SixplaneAddressesCountAsOwnedOnASixplaneNetwork) {
  Ndp t;
  const uint64_t nwid = 0xff0a000000000001ULL;  // ad-hoc: 6PLANE, NDP emulation
  Actions out;
  ASSERT_TRUE(t.m.join(nwid, {}, t.now, out));
  ASSERT_NE(t.m.network(nwid)->config, std::nullopt);
  const auto cfg = *t.m.network(nwid)->config;
  const auto theirs = port::sixplane_address(nwid, 0x1234567890ULL);
  EXPECT_TRUE(ndp_emulated_owner(cfg, theirs.ip));
  EXPECT_FALSE(ndp_emulated_owner(cfg, port::sixplane_address(nwid ^ 0x10000, 1).ip));
  EXPECT_FALSE(ndp_emulated_owner(cfg, std::span<const uint8_t>(theirs.ip).first(4)));
}

}  // namespace
}  // namespace flatnet::control::vl2::test
