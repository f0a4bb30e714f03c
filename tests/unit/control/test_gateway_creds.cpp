// control/service/gateway_host's credentials feed (h-gwrules): a gateway
// member on a network whose controller issues tags and a capability hands
// the reconciler its own tags and capabilities (key 0) and, once a member
// has presented its credentials, that member's verified ones -- as the
// CREDS_CHUNK blob the data plane decodes. Certificates of ownership too:
// ours (outbound) and the member's (inbound), and the NDP-emulated prefixes.
#include <gtest/gtest.h>

#include "control/service/gateway_host.hpp"
#include "dataplane/wire/bytes.hpp"
#include "dataplane/wire/rules.hpp"
#include "tests/unit/vl2/member_harness.hpp"

namespace flatnet::control::vl2::test {
namespace {

TEST(GatewayCredentials, OursAndTheMembersVerifiedOnes) {
  MemberNet t;
  using T = wire::RuleType;
  const wire::Rule tag_eq = tags_equal(5, 42);
  auto& net = t.ctl.nets[t.nwid];
  net.capabilities[1] = {tag_eq, wire::Rule::action(T::kActionAccept)};
  net.tags[5] = 42;
  t.join("a");
  t.join("b");
  t.drain("b");
  // A talks to B: its credentials (COM, tags, capability) reach B, which verifies them.
  t.tap("a", ether(t.mac(t.b), t.mac(t.a), 0x0800, std::vector<uint8_t>(40, 0x45)));
  t.drain("b");

  ASSERT_EQ(t.status("b"), NetworkStatus::kOk);
  ASSERT_NE(t.mb->network_state(t.nwid), nullptr);
  ASSERT_TRUE(t.mb->network_state(t.nwid)->config.has_value());
  const boundary::Vl2Desired d = service::GatewayHost::desired(t.nwid, *t.mb, t.core("b"));
  std::vector<uint8_t> cap_rules;
  wire::Writer w(cap_rules);
  const std::vector<wire::Rule> cap = {tag_eq, wire::Rule::action(T::kActionAccept)};
  wire::write_rules(w, cap);
  ipc::vl2::Credentials want;
  want.tags = {{5, 42}};
  want.caps.push_back({0, cap_rules});
  ASSERT_EQ(d.settings.nwid, t.nwid) << "no config at the gateway member";
  ASSERT_TRUE(d.creds.count(0)) << d.creds.size() << " creds, " << d.members.size() << " members";
  EXPECT_EQ(d.creds.at(0), want);
  ASSERT_TRUE(d.members.count(t.a.address()));
  ASSERT_TRUE(d.creds.count(t.a.address()));
  EXPECT_EQ(d.creds.at(t.a.address()), want);
  // Every member with credentials is a member the data plane knows.
  for (const auto& [addr, c] : d.creds) EXPECT_TRUE(addr == 0 || d.members.count(addr)) << addr;
}

// What the certificates of ownership name reaches the data plane: the
// member's verified COO (an IPv4, an IPv6 and a MAC) in its credentials,
// ours in key 0 with the network's NDP-emulated RFC4193 prefix (our RFC4193
// address assigned, NDP emulation on).
TEST(GatewayCredentials, CertificatesOfOwnershipAndNdpPrefixes) {
  MemberNet t;
  auto& net = t.ctl.nets[t.nwid];
  net.flags |= wire::kConfigFlagNdpEmulation;
  auto entry = [](wire::CooThing type, std::initializer_list<uint8_t> v) {
    wire::CooEntry e;
    e.type = type;
    std::copy(v.begin(), v.end(), e.value.begin());
    return e;
  };
  net.owned[t.a.address()] = {entry(wire::CooThing::kIpv4, {10, 0, 0, 7}),
                              entry(wire::CooThing::kIpv6, {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7}),
                              entry(wire::CooThing::kMac, {0x02, 0x11, 0x22, 0x33, 0x44, 0x55})};
  wire::InetAddress rfc = port::rfc4193_address(t.nwid, t.b.address());
  rfc.port = 88;
  net.static_ips[t.b.address()] = {rfc};
  net.owned[t.b.address()] = {entry(wire::CooThing::kIpv4, {10, 0, 0, 8})};
  t.join("a");
  t.join("b");
  t.drain("b");
  t.tap("a", ether(t.mac(t.b), t.mac(t.a), 0x0800, std::vector<uint8_t>(40, 0x45)));
  t.drain("b");
  ASSERT_EQ(t.status("b"), NetworkStatus::kOk);

  boundary::Vl2Desired d = service::GatewayHost::desired(t.nwid, *t.mb, t.core("b"));
  ASSERT_TRUE(d.creds.count(t.a.address())) << d.creds.size() << " creds";
  const ipc::vl2::Credentials& a = d.creds.at(t.a.address());
  EXPECT_EQ(a.ips4, (std::vector<std::array<uint8_t, 4>>{{10, 0, 0, 7}}));
  ASSERT_EQ(a.ips6.size(), 1u);
  EXPECT_EQ(a.ips6[0][15], 7);
  EXPECT_EQ(a.macs, (std::vector<uint64_t>{0x021122334455ull}));
  EXPECT_FALSE(a.ndp_6plane || a.ndp_rfc4193);  // prefixes are ours only
  ASSERT_TRUE(d.creds.count(0));
  EXPECT_EQ(d.creds.at(0).ips4, (std::vector<std::array<uint8_t, 4>>{{10, 0, 0, 8}}));
  ASSERT_TRUE(d.creds.at(0).ndp_rfc4193.has_value());
  EXPECT_TRUE(std::equal(d.creds.at(0).ndp_rfc4193->begin(), d.creds.at(0).ndp_rfc4193->end(), rfc.ip.begin()));
  EXPECT_FALSE(d.creds.at(0).ndp_6plane.has_value());  // no 6PLANE address assigned
  // Every blob is one the data plane takes.
  for (const auto& [addr, c] : d.creds) EXPECT_FALSE(ipc::vl2::creds(t.nwid, addr, c).empty()) << addr;
}

}  // namespace
}  // namespace flatnet::control::vl2::test
