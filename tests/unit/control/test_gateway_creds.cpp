// control/service/gateway_host's credentials feed (h-gwrules): a gateway
// member on a network whose controller issues tags and a capability hands
// the reconciler its own tags and capabilities (key 0) and, once a member
// has presented its credentials, that member's verified ones -- as the
// CREDS_CHUNK blob the data plane decodes.
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

}  // namespace
}  // namespace flatnet::control::vl2::test
