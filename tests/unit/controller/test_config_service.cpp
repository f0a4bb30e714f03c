// The controller role over a real core: what a member gets for its
// NETWORK_CONFIG_REQUEST (config + COM + IP, errors as stock), the 1,000 ms
// floor, revocations and pushes from the journal, and the same addresses
// after a restart.
#include <gtest/gtest.h>

#include "tests/unit/controller/controller_net.hpp"

namespace flatnet::control::controller::testing {
namespace {

TEST(ControllerService, AuthorizedMemberGetsSignedConfigComAndAddress) {
  ControllerNet c;
  c.put(c.network());
  c.authorize(c.t.a.address());
  const uint64_t req = c.request();
  ASSERT_EQ(c.member.bad, 0u);
  ASSERT_EQ(c.member.configs.size(), 1u);
  ASSERT_TRUE(c.member.config_was_ok[0]);
  EXPECT_EQ(c.member.config_in_re[0], req);
  const wire::NetworkConfig& nc = c.member.configs[0];
  EXPECT_EQ(nc.network_id, c.nwid);
  EXPECT_EQ(nc.issued_to, c.t.a.address());
  EXPECT_EQ(nc.name, "ctl-test");
  EXPECT_EQ(nc.type, wire::NetworkType::kPrivate);
  EXPECT_EQ(nc.timestamp, uint64_t(c.wall));
  EXPECT_EQ(nc.credential_time_max_delta, 30u * 60 * 1000);
  EXPECT_TRUE(nc.broadcast_enabled());
  EXPECT_FALSE(nc.ndp_emulation());
  EXPECT_EQ(nc.mtu, 2800u);
  EXPECT_EQ(nc.multicast_limit, 32u);
  ASSERT_EQ(nc.rules.size(), 1u);  // stock's default rules: accept everything
  EXPECT_EQ(nc.rules[0].type(), wire::RuleType::kActionAccept);
  ASSERT_TRUE(nc.com.has_value());
  EXPECT_EQ(wire::com_verify(*nc.com, c.lookup()), wire::VerifyResult::kOk);
  EXPECT_EQ(nc.com->issued_to(), c.t.a.address());
  EXPECT_EQ(nc.com->network_id(), c.nwid);
  EXPECT_EQ(nc.com->timestamp(), uint64_t(c.wall));
  ASSERT_EQ(nc.routes.size(), 1u);
  EXPECT_EQ(nc.routes[0].target.to_string(), "10.147.17.0/24");
  ASSERT_EQ(nc.static_ips.size(), 1u);
  EXPECT_EQ(nc.static_ips[0].port, 24u);
  ASSERT_EQ(nc.coos.size(), 1u);
  EXPECT_EQ(wire::coo_verify(nc.coos[0], c.lookup()), wire::VerifyResult::kOk);
  // The address is persisted in the member's ipAssignments, and the
  // identity is bound.
  Member m;
  std::string err;
  ASSERT_EQ(c.store->get_member(c.nwid, c.t.a.address(), m, &err), store::Status::kOk);
  ASSERT_EQ(m.ip_assignments.size(), 1u);
  EXPECT_EQ(ip_string(nc.static_ips[0]), m.ip_assignments[0]);
  EXPECT_EQ(m.identity, c.t.a.to_string(false));
  EXPECT_EQ(m.v_major, 1);
  EXPECT_EQ(m.v_minor, 14);
  EXPECT_EQ(m.v_rev, 1);
}

TEST(ControllerService, UnauthorizedMemberIsDeniedAndRecorded) {
  ControllerNet c;
  c.put(c.network());
  c.request();
  EXPECT_TRUE(c.member.configs.empty());
  ASSERT_EQ(c.member.errors.size(), 1u);
  EXPECT_EQ(c.member.errors[0].code, uint8_t(ErrorCode::kNetworkAccessDenied));
  std::vector<uint8_t> nwid(8);
  wire::write_be64(nwid.data(), c.nwid);
  EXPECT_EQ(c.member.errors[0].detail, nwid);
  Member m;
  std::string err;
  ASSERT_EQ(c.store->get_member(c.nwid, c.t.a.address(), m, &err), store::Status::kOk);
  EXPECT_FALSE(m.authorized);
  EXPECT_EQ(m.identity, c.t.a.to_string(false));
  EXPECT_TRUE(m.ip_assignments.empty());
  EXPECT_EQ(c.svc->counters().access_denied, 1u);
}

TEST(ControllerService, UnknownNetworkIsNotFound) {
  ControllerNet c;
  c.request(c.nwid + 1);
  ASSERT_EQ(c.member.errors.size(), 1u);
  EXPECT_EQ(c.member.errors[0].code, uint8_t(ErrorCode::kObjNotFound));
  std::vector<uint8_t> nwid(8);
  wire::write_be64(nwid.data(), c.nwid + 1);
  EXPECT_EQ(c.member.errors[0].detail, nwid);
}

TEST(ControllerService, AnotherControllersNetworkIsIgnored) {
  ControllerNet c;
  c.request(0x1122334455000001ULL);
  EXPECT_TRUE(c.member.errors.empty());
  EXPECT_TRUE(c.member.configs.empty());
  EXPECT_EQ(c.svc->counters().not_ours, 1u);
}

TEST(ControllerService, PublicNetworkAdmitsAnyone) {
  ControllerNet c;
  Network n = c.network();
  n.is_private = false;
  c.put(n);
  c.request();
  ASSERT_EQ(c.member.configs.size(), 1u);
  EXPECT_EQ(c.member.configs[0].type, wire::NetworkType::kPublic);
  Member m;
  std::string err;
  ASSERT_EQ(c.store->get_member(c.nwid, c.t.a.address(), m, &err), store::Status::kOk);
  EXPECT_TRUE(m.authorized);
  EXPECT_EQ(m.last_authorized_credential_type, "public");
  EXPECT_EQ(m.last_authorized_time, c.wall);
}

TEST(ControllerService, RepeatWithinASecondIsIgnored) {
  ControllerNet c;
  c.put(c.network());
  c.authorize(c.t.a.address());
  c.request();
  c.t.now += 1000;
  c.request();
  EXPECT_EQ(c.member.configs.size(), 1u);
  EXPECT_EQ(c.svc->counters().rate_limited, 1u);
  c.t.now += 1;
  c.request();
  EXPECT_EQ(c.member.configs.size(), 2u);
}

TEST(ControllerService, OldMemberWithoutRulesEngineGetsAcceptAll) {
  ControllerNet c;
  c.put(c.network());
  c.authorize(c.t.a.address());
  c.request(0, 0);
  ASSERT_EQ(c.member.configs.size(), 1u);
  ASSERT_EQ(c.member.configs[0].rules.size(), 1u);
  EXPECT_EQ(c.member.configs[0].rules[0].type(), wire::RuleType::kActionAccept);
}

TEST(ControllerService, Rfc4193And6planeAreDerivedWithNdp) {
  ControllerNet c;
  Network n = c.network();
  n.v6_assign.rfc4193 = true;
  n.v6_assign.six_plane = true;
  c.put(n);
  c.authorize(c.t.a.address());
  c.request();
  ASSERT_EQ(c.member.configs.size(), 1u);
  const auto& nc = c.member.configs[0];
  EXPECT_TRUE(nc.ndp_emulation());
  ASSERT_EQ(nc.static_ips.size(), 3u);
  EXPECT_EQ(nc.static_ips[0].port, 88u);
  EXPECT_EQ(nc.static_ips[0].ip[0], 0xfd);
  EXPECT_EQ(nc.static_ips[1].port, 40u);
  EXPECT_EQ(nc.static_ips[1].ip[0], 0xfc);
}

TEST(ControllerService, BridgesDnsRoutesAndLimitsAreInTheConfig) {
  ControllerNet c;
  Network n = c.network();
  n.routes.push_back({"192.168.7.0/24", std::string("10.147.17.1")});
  n.routes.push_back({"fd00::/8", std::string("10.147.17.1")});  // via of another family: dropped
  n.dns = nlohmann::json::parse(R"({"domain":"ctl.test","servers":["10.147.17.53","bogus"]})");
  n.mtu = 100000;  // clamped as stock
  n.multicast_limit = 7;
  n.enable_broadcast = false;
  n.certificate_timeout_window_size = 1000;  // below stock's 5 min floor
  c.put(n);
  std::string err;
  Member bridge;
  bridge.nwid = c.nwid;
  bridge.address = 0x0123456789ULL;
  bridge.authorized = true;
  bridge.active_bridge = true;
  Member unauthorized_bridge = bridge;
  unauthorized_bridge.address = 0x0123456788ULL;
  unauthorized_bridge.authorized = false;
  ASSERT_EQ(c.store->put_members({bridge, unauthorized_bridge}, &err), store::Status::kOk);
  c.authorize(c.t.a.address());
  c.request();
  ASSERT_EQ(c.member.configs.size(), 1u);
  const auto& nc = c.member.configs[0];
  ASSERT_EQ(nc.specialists.size(), 1u);
  EXPECT_EQ(nc.specialists[0], wire::kSpecialistActiveBridge | 0x0123456789ULL);
  EXPECT_EQ(nc.dns.domain, "ctl.test");
  ASSERT_EQ(nc.dns.servers.size(), 1u);
  EXPECT_EQ(nc.dns.servers[0].to_string(), "10.147.17.53/0");
  ASSERT_EQ(nc.routes.size(), 3u);
  EXPECT_EQ(nc.routes[1].via.to_string(), "10.147.17.1/0");
  EXPECT_TRUE(nc.routes[2].via.is_null());
  EXPECT_EQ(nc.mtu, 10000u);
  EXPECT_EQ(nc.multicast_limit, 7u);
  EXPECT_FALSE(nc.broadcast_enabled());
  EXPECT_EQ(nc.credential_time_max_delta, 5u * 60 * 1000);
  EXPECT_EQ(nc.com->qualifiers[0].max_delta, 5u * 60 * 1000);
}

TEST(ControllerService, TagsCapabilitiesAndRulesAreCompiledAndSigned) {
  ControllerNet c;
  Network n = c.network();
  n.rules = nlohmann::json::parse(R"([
    {"type":"MATCH_ETHERTYPE","etherType":2048,"not":true,"or":false},
    {"type":"ACTION_DROP"},
    {"type":"MATCH_TAGS_EQUAL","id":7,"value":1},
    {"type":"INTEGER_RANGE","start":0,"end":5},
    {"type":"ACTION_ACCEPT"}])");
  n.capabilities = nlohmann::json::parse(
      R"([{"id":100,"default":true,"rules":[{"type":"ACTION_ACCEPT"}]}])");
  n.tags.push_back({7, 1});
  c.put(n);
  c.request();  // first request: private, denied; the member is new then
  c.authorize(c.t.a.address());
  c.t.now += 2000;
  c.request();
  ASSERT_EQ(c.member.bad, 0u);
  ASSERT_EQ(c.member.errors.size(), 1u);
  ASSERT_EQ(c.member.configs.size(), 1u);
  const auto& nc = c.member.configs[0];
  ASSERT_EQ(nc.rules.size(), 4u);  // INTEGER_RANGE skipped as stock skips it
  EXPECT_EQ(nc.rules[0].t, uint8_t(wire::kRuleNot | uint8_t(wire::RuleType::kMatchEthertype)));
  EXPECT_EQ(nc.rules[0].ethertype, 2048);
  EXPECT_EQ(nc.rules[2].tag_id, 7u);
  ASSERT_EQ(nc.tags.size(), 1u);
  EXPECT_EQ(nc.tags[0].value, 1u);
  EXPECT_EQ(wire::tag_verify(nc.tags[0], c.lookup()), wire::VerifyResult::kOk);
  // Default capabilities go to new members only (stock); A was created by
  // its first, denied request.
  EXPECT_TRUE(nc.capabilities.empty());
  Member m;
  std::string err;
  ASSERT_EQ(c.store->get_member(c.nwid, c.t.a.address(), m, &err), store::Status::kOk);
  ASSERT_EQ(m.tags.size(), 1u);  // the default tag is written into the record
  // A capability the member holds is issued and verifies.
  m.capabilities = {100};
  ASSERT_EQ(c.store->put_member(m, nullptr, &err), store::Status::kOk);
  c.t.now += 2000;
  c.request();
  ASSERT_EQ(c.member.configs.size(), 2u);
  ASSERT_EQ(c.member.configs[1].capabilities.size(), 1u);
  EXPECT_EQ(wire::capability_verify(c.member.configs[1].capabilities[0], c.lookup()),
            wire::VerifyResult::kOk);
}

TEST(ControllerService, DeauthorizeSendsRevocationInOneRun) {
  ControllerNet c;
  c.put(c.network());
  c.authorize(c.t.a.address());
  c.request();
  ASSERT_EQ(c.member.configs.size(), 1u);
  c.wall += 5000;
  c.authorize(c.t.a.address(), false);
  c.run();
  ASSERT_EQ(c.member.revocations.size(), 1u);
  const auto& r = c.member.revocations[0];
  EXPECT_EQ(r.target, c.t.a.address());
  EXPECT_EQ(r.network_id, c.nwid);
  EXPECT_EQ(r.threshold, uint64_t(c.wall));
  EXPECT_EQ(r.type, wire::CredentialType::kCom);
  EXPECT_TRUE(r.fast_propagate());
  EXPECT_EQ(wire::revocation_verify(r, c.lookup()), wire::VerifyResult::kOk);
  c.run();  // once only
  EXPECT_EQ(c.member.revocations.size(), 1u);
  // Its next request is denied.
  c.t.now += 2000;
  c.request();
  ASSERT_EQ(c.member.errors.size(), 1u);
  EXPECT_EQ(c.member.errors[0].code, uint8_t(ErrorCode::kNetworkAccessDenied));
}

TEST(ControllerService, DeletedMemberIsRevoked) {
  ControllerNet c;
  c.put(c.network());
  c.authorize(c.t.a.address());
  c.request();
  std::string err;
  ASSERT_EQ(c.store->delete_member(c.nwid, c.t.a.address(), &err), store::Status::kOk);
  c.run();
  ASSERT_EQ(c.member.revocations.size(), 1u);
  EXPECT_EQ(c.member.revocations[0].target, c.t.a.address());
}

TEST(ControllerService, DeletedNetworkRevokesItsMembers) {
  ControllerNet c;
  c.put(c.network());
  c.authorize(c.t.a.address());
  c.request();
  std::string err;
  ASSERT_EQ(c.store->delete_network(c.nwid, &err), store::Status::kOk);
  c.run();
  ASSERT_EQ(c.member.revocations.size(), 1u);
  EXPECT_EQ(c.member.revocations[0].target, c.t.a.address());
  c.t.now += 2000;
  c.request();
  ASSERT_EQ(c.member.errors.size(), 1u);
  EXPECT_EQ(c.member.errors[0].code, uint8_t(ErrorCode::kObjNotFound));
}

TEST(ControllerService, AuthorizingAnOnlineMemberPushesItsConfig) {
  ControllerNet c;
  c.put(c.network());
  c.request();  // denied; now online
  ASSERT_EQ(c.member.errors.size(), 1u);
  c.authorize(c.t.a.address());
  c.run();
  ASSERT_EQ(c.member.configs.size(), 1u);  // without waiting for its next request
  EXPECT_FALSE(c.member.config_was_ok[0]);
  EXPECT_EQ(c.member.configs[0].static_ips.size(), 1u);
}

TEST(ControllerService, NetworkChangeIsPushedToOnlineMembers) {
  ControllerNet c;
  Network n = c.network();
  c.put(n);
  c.authorize(c.t.a.address());
  c.request();
  ASSERT_EQ(c.member.configs.size(), 1u);
  c.run();  // our own member write after answering pushes nothing
  EXPECT_EQ(c.member.configs.size(), 1u);
  std::string err;
  ASSERT_EQ(c.store->get_network(c.nwid, n, &err), store::Status::kOk);
  n.name = "renamed";
  n.mtu = 1400;
  c.put(n);
  c.run();
  ASSERT_EQ(c.member.configs.size(), 2u);
  EXPECT_FALSE(c.member.config_was_ok[1]);  // NETWORK_CONFIG, not an answer
  EXPECT_EQ(c.member.configs[1].name, "renamed");
  EXPECT_EQ(c.member.configs[1].mtu, 1400u);
  EXPECT_EQ(c.member.configs[1].static_ips, c.member.configs[0].static_ips);
  EXPECT_EQ(c.svc->counters().pushes, 1u);
  // A member that went silent for the online window gets no push.
  c.t.now += kOnlineMs;
  n.name = "again";
  c.put(n);
  c.run();
  EXPECT_EQ(c.member.configs.size(), 2u);
}

// An import or restore keeps revisions as given: a changed record with the
// same revision is still a change.
TEST(ControllerService, ImportedChangeWithTheSameRevisionIsPushed) {
  ControllerNet c;
  c.put(c.network());
  c.authorize(c.t.a.address());
  c.request();
  ASSERT_EQ(c.member.configs.size(), 1u);
  Network n;
  std::string err;
  ASSERT_EQ(c.store->get_network(c.nwid, n, &err), store::Status::kOk);
  n.name = "restored";
  ASSERT_EQ(c.store->import_records({n}, {}, &err), store::Status::kOk);
  c.run();
  ASSERT_EQ(c.member.configs.size(), 2u);
  EXPECT_EQ(c.member.configs[1].name, "restored");
  ASSERT_EQ(c.store->import_records({n}, {}, &err), store::Status::kOk);  // same content again
  c.run();
  EXPECT_EQ(c.member.configs.size(), 2u);
}

// A network larger than one request may load is answered from run() once
// its index is loaded, quoting the request; the addresses others hold are
// known by then.
TEST(ControllerService, LargeNetworkRequestIsAnsweredOnceItsIndexIsLoaded) {
  ControllerNet c;
  c.put(c.network());
  std::vector<Member> others;
  for (uint64_t i = 0; i < kIndexPageMembers * (kIndexPagesPerRequest + 2); ++i) {
    Member m;
    m.nwid = c.nwid;
    m.address = 0x0100000000ULL + i;
    others.push_back(m);
  }
  // The address A would get first (10.147.17.x from its address) is held.
  others.back().ip_assignments = {"10.147.17." + std::to_string(1 + (c.t.a.address() & 0xffffffff) % 253)};
  std::string err;
  ASSERT_EQ(c.store->put_members(others, &err), store::Status::kOk) << err;
  c.authorize(c.t.a.address());
  const uint64_t req = c.request();
  EXPECT_TRUE(c.member.configs.empty());
  EXPECT_EQ(c.svc->counters().deferred, 1u);
  for (int i = 0; i < 10 && c.member.configs.empty(); ++i) c.run();
  ASSERT_EQ(c.member.configs.size(), 1u);
  EXPECT_TRUE(c.member.config_was_ok[0]);
  EXPECT_EQ(c.member.config_in_re[0], req);
  ASSERT_EQ(c.member.configs[0].static_ips.size(), 1u);
  EXPECT_NE(ip_string(c.member.configs[0].static_ips[0]), others.back().ip_assignments[0]);
}

TEST(ControllerService, RestartKeepsAddresses) {
  ControllerNet c;
  c.put(c.network());
  c.authorize(c.t.a.address());
  c.request();
  ASSERT_EQ(c.member.configs.size(), 1u);
  c.close();
  c.open();
  c.t.now += 2000;
  c.request();
  ASSERT_EQ(c.member.configs.size(), 2u);
  EXPECT_EQ(c.member.configs[1].static_ips, c.member.configs[0].static_ips);
}

// A node that is a member of its own network talks to itself in process.
TEST(ControllerService, OwnNodeRequestIsAnsweredInProcess) {
  ControllerNet c;
  Network n = c.network();
  n.is_private = false;
  c.put(n);
  MemberSide self(c.t.b);
  c.t.core("b").set_member(&self);
  wire::ConfigRequest r;
  r.network_id = c.nwid;
  r.metadata = wire::stock_request_metadata(1, 14, 1, "linux/x86_64");
  std::vector<uint8_t> payload;
  ASSERT_TRUE(wire::encode_config_request(r, payload));
  Actions out;
  c.t.core("b").send_to(c.t.b.address(), wire::Verb::kNetworkConfigRequest, payload, c.t.now, out);
  EXPECT_TRUE(out.send.empty());
  ASSERT_EQ(self.configs.size(), 1u);
  EXPECT_EQ(self.configs[0].issued_to, c.t.b.address());
}

}  // namespace
}  // namespace flatnet::control::controller::testing
