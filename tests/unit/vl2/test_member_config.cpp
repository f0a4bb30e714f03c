// The member's config life (spec §4.12, §4.13, §10.1, §10.11): join, the
// request timers, status from the controller's answers, restore from
// networks.d, ad-hoc networks, and configs that must be refused.
#include "tests/unit/vl2/fake_link.hpp"
#include "tests/unit/vl2/member_harness.hpp"

namespace flatnet::control::vl2::test {
namespace {

TEST(Vl2MemberConfig, JoinRequestsThenOk) {
  MemberNet t;
  t.ctl.silent = true;
  t.join("a");
  EXPECT_EQ(t.status("a"), NetworkStatus::kRequestingConfiguration);
  EXPECT_EQ(t.ctl.requests, 1u);
  EXPECT_STREQ(to_string(t.status("a")), "REQUESTING_CONFIGURATION");
  t.ctl.silent = false;
  t.now += kConfigCheckMs;
  t.run("a");
  EXPECT_EQ(t.ctl.requests, 2u);
  ASSERT_EQ(t.status("a"), NetworkStatus::kOk);
  auto info = t.ma->network(t.nwid);
  ASSERT_TRUE(info && info->config);
  EXPECT_EQ(info->config->issued_to, t.a.address());
  EXPECT_EQ(info->mac, t.mac(t.a));
  EXPECT_FALSE(info->config_bytes.empty());
  EXPECT_EQ(info->config_received_at, t.now);
  MemberOutput o;
  t.ma->drain(o);
  bool saw_config = false;
  for (auto& e : o.events) saw_config |= e.kind == MemberEvent::Kind::kConfig;
  EXPECT_TRUE(saw_config);
  EXPECT_EQ(t.ma->counters().counted(Vl2Count::configs_applied), 1u);
}

TEST(Vl2MemberConfig, RequestTimersFollowStock) {
  MemberNet t;
  t.ctl.silent = true;
  t.join("a");
  EXPECT_EQ(t.ma->next_deadline(), t.now + kConfigCheckMs);
  t.now += kConfigCheckMs - 1;
  t.run("a");
  EXPECT_EQ(t.ctl.requests, 1u);  // not yet
  t.now += 1;
  t.run("a");
  EXPECT_EQ(t.ctl.requests, 2u);  // every 5 s while unconfigured
  t.ctl.silent = false;
  t.now += kConfigCheckMs;
  t.run("a");
  EXPECT_EQ(t.ctl.requests, 3u);
  ASSERT_EQ(t.status("a"), NetworkStatus::kOk);
  // Configured: the next request comes 60 s after the config, not before.
  for (int i = 0; i < 11; ++i) {
    t.now += kConfigCheckMs;
    t.run("a");
  }
  EXPECT_EQ(t.ctl.requests, 3u);
  t.now += kConfigCheckMs;
  t.run("a");
  EXPECT_EQ(t.ctl.requests, 4u);
}

TEST(Vl2MemberConfig, AccessDeniedAndNotFound) {
  MemberNet t;
  t.ctl.nets[t.nwid].authorized = {t.a.address()};
  t.join("b");
  EXPECT_EQ(t.status("b"), NetworkStatus::kAccessDenied);
  EXPECT_STREQ(to_string(t.status("b")), "ACCESS_DENIED");
  const uint64_t other = t.c.address() << 24 | 0x0000ff;
  t.join("a", other);
  EXPECT_EQ(t.status("a", other), NetworkStatus::kNotFound);
  // Authorized later: the next retry gets OK.
  t.ctl.nets[t.nwid].authorized.insert(t.b.address());
  t.now += kConfigCheckMs;
  t.run("b");
  EXPECT_EQ(t.status("b"), NetworkStatus::kOk);
  // The host reports tap trouble: PORT_ERROR until cleared.
  EXPECT_TRUE(t.mb->set_port_error(t.nwid, true));
  EXPECT_EQ(t.status("b"), NetworkStatus::kPortError);
  EXPECT_TRUE(t.mb->set_port_error(t.nwid, false));
  EXPECT_EQ(t.status("b"), NetworkStatus::kOk);
  // Leaving forgets the network.
  Actions out;
  EXPECT_TRUE(t.mb->leave(t.nwid, t.now, out));
  EXPECT_FALSE(t.mb->network(t.nwid).has_value());
}

TEST(Vl2MemberConfig, ErrorFromAnotherPeerIsIgnored) {
  MemberNet t;
  t.ctl.silent = true;
  t.join("a");
  Actions out;
  t.core("b").send_to(t.a.address(), wire::Verb::kError,
                      error_payload(wire::Verb::kNetworkConfigRequest, 1,
                                    ErrorCode::kNetworkAccessDenied, t.nwid),
                      t.now, out);
  t.net.pump("b", out, t.now);
  EXPECT_EQ(t.status("a"), NetworkStatus::kRequestingConfiguration);
  EXPECT_EQ(t.ma->counters().dropped(Vl2Drop::not_from_controller), 1u);
}

TEST(Vl2MemberConfig, RestoreFromSavedConfig) {
  MemberNet t;
  t.join("a");
  ASSERT_EQ(t.status("a"), NetworkStatus::kOk);
  const auto saved = t.ma->network(t.nwid)->config_bytes;
  Member fresh(t.core("a"));
  EXPECT_TRUE(fresh.restore(t.nwid, saved, t.now));
  EXPECT_EQ(fresh.network(t.nwid)->status, NetworkStatus::kOk);
  // Stock re-requests a restored config at the next check.
  Actions out;
  t.core("a").set_member(&fresh);
  fresh.run(t.now, out);
  t.net.pump("a", out, t.now);
  EXPECT_EQ(fresh.counters().counted(Vl2Count::config_requests), 1u);
  // Garbage or another member's config is refused.
  Member other(t.core("b"));
  EXPECT_FALSE(other.restore(t.nwid, saved, t.now));
  const std::vector<uint8_t> junk{'x', '=', 0, 'y'};
  EXPECT_FALSE(other.restore(t.nwid + 1, junk, t.now));
  t.core("a").set_member(t.ma.get());
}

TEST(Vl2MemberConfig, AdhocNetworksNeedNoController) {
  MemberNet t;
  const uint64_t v4net = 0xff0a000000000001ULL;  // ff 0a 0000000000 01
  t.join("a", v4net);
  ASSERT_EQ(t.status("a", v4net), NetworkStatus::kOk);
  auto cfg = *t.ma->network(v4net)->config;
  EXPECT_EQ(cfg.name, "adhoc-10.0.0.0");
  EXPECT_TRUE(cfg.is_public());
  EXPECT_EQ(cfg.multicast_limit, 1024u);
  EXPECT_EQ(t.ctl.requests, 0u);
  const uint64_t ports = 0xff00500050000000ULL;  // ports 0x0050..0x0050, IPv6 only
  t.join("a", ports);
  ASSERT_EQ(t.status("a", ports), NetworkStatus::kOk);
  EXPECT_EQ(t.ma->network(ports)->config->name, "adhoc-0050-0050");
  const uint64_t bad = 0xff00600050000000ULL;  // end < start
  t.join("a", bad);
  EXPECT_EQ(t.status("a", bad), NetworkStatus::kNotFound);
}

TEST(Vl2MemberConfig, BadSignatureIsCountedAndIgnored) {
  MemberNet t;
  t.ctl.tamper = [](std::vector<uint8_t>& chunk) { chunk.back() ^= 0x01; };
  t.join("a");
  EXPECT_EQ(t.status("a"), NetworkStatus::kRequestingConfiguration);
  EXPECT_GE(t.ma->counters().dropped(Vl2Drop::config_bad_signature), 1u);
}

TEST(Vl2MemberConfig, ForgedChunkFromAnotherSignerIsRefused) {
  MemberNet t;
  t.ctl.silent = true;
  t.join("a");
  // B signs a config for C's network and pushes it as NETWORK_CONFIG.
  wire::NetworkConfig cfg = t.ctl.config_for(t.nwid, t.a, t.now);
  std::vector<uint8_t> dict;
  ASSERT_EQ(wire::encode_network_config(cfg, dict), wire::ConfigStatus::kOk);
  auto chunks = wire::make_config_chunks(t.nwid, dict, 7, t.b);
  ASSERT_FALSE(chunks.empty());
  Actions out;
  t.core("b").send_to(t.a.address(), wire::Verb::kNetworkConfig, chunks[0], t.now, out);
  t.net.pump("b", out, t.now);
  EXPECT_EQ(t.status("a"), NetworkStatus::kRequestingConfiguration);
  EXPECT_EQ(t.ma->counters().dropped(Vl2Drop::config_bad_signature), 1u);
}

TEST(Vl2MemberConfig, MalformedDictionaryAndTruncatedChunksAreDrops) {
  MemberNet t;
  t.ctl.tamper_dict = [](std::vector<uint8_t>& d) { d.assign({'v', '=', '1', '\n'}); };
  t.join("a");
  EXPECT_EQ(t.status("a"), NetworkStatus::kRequestingConfiguration);
  EXPECT_EQ(t.ma->counters().dropped(Vl2Drop::config_bad_dictionary), 1u);
  t.ctl.tamper_dict = nullptr;
  t.ctl.tamper = [](std::vector<uint8_t>& chunk) { chunk.resize(chunk.size() / 2); };
  t.now += kConfigCheckMs;
  t.run("a");
  EXPECT_EQ(t.ma->counters().dropped(Vl2Drop::config_bad_chunk), 1u);
  EXPECT_EQ(t.status("a"), NetworkStatus::kRequestingConfiguration);
}

TEST(Vl2MemberConfig, PushedMultiChunkConfigIsAssembledAndAcknowledged) {
  MemberNet t;
  t.ctl.silent = true;
  t.join("a");
  auto chunks = t.ctl.chunks_for(t.nwid, t.a, t.now, 0, 200);
  ASSERT_GT(chunks.size(), 2u);
  Actions out;
  // Out of order, with a duplicate.
  t.core("c").send_to(t.a.address(), wire::Verb::kNetworkConfig, chunks.back(), t.now, out);
  t.core("c").send_to(t.a.address(), wire::Verb::kNetworkConfig, chunks.back(), t.now, out);
  for (size_t i = 0; i + 1 < chunks.size(); ++i)
    t.core("c").send_to(t.a.address(), wire::Verb::kNetworkConfig, chunks[i], t.now, out);
  t.net.pump("c", out, t.now);
  EXPECT_EQ(t.status("a"), NetworkStatus::kOk);
  EXPECT_EQ(t.ma->counters().dropped(Vl2Drop::config_bad_chunk), 1u);  // the duplicate
}

TEST(Vl2MemberConfig, ConfigForAnotherMemberIsRefused) {
  MemberNet t;
  t.ctl.silent = true;
  t.join("a");
  auto chunks = t.ctl.chunks_for(t.nwid, t.b, t.now);  // issued to B
  Actions out;
  for (auto& ch : chunks) t.core("c").send_to(t.a.address(), wire::Verb::kNetworkConfig, ch, t.now, out);
  t.net.pump("c", out, t.now);
  EXPECT_EQ(t.status("a"), NetworkStatus::kRequestingConfiguration);
  EXPECT_EQ(t.ma->counters().dropped(Vl2Drop::config_not_for_us), 1u);
}

// A pushed NETWORK_CONFIG is acknowledged with stock 1.14.1's OK(in-re
// ECHO, nwid, update ID); a fast-propagate chunk goes on to the members we
// know, not back to its source.
TEST(Vl2MemberConfig, PushedConfigIsAcknowledgedAndFastPropagated) {
  FakeLink link(control::test::parse_identity(control::test::kIdentityA));
  const crypto::Identity& ctl_id = controller_identity();
  link.known.emplace(ctl_id.address(), ctl_id);
  Member m(link);
  const uint64_t nwid = ctl_id.address() << 24 | 9;
  const uint64_t now = 2'000'000;
  Actions out;
  ASSERT_TRUE(m.join(nwid, {}, now, out));
  TestController ctl;
  ctl.nets[nwid].is_public = true;
  const crypto::Identity b = control::test::parse_identity(control::test::kIdentityB);
  auto chunks = ctl.chunks_for(nwid, link.me, now);
  ASSERT_EQ(chunks.size(), 1u);
  m.packet(request(ctl_id.address(), &ctl_id, wire::Verb::kNetworkConfig, chunks[0], 555), now,
           out);
  ASSERT_EQ(m.network(nwid)->status, NetworkStatus::kOk);
  ASSERT_FALSE(link.sent.empty());
  const auto& ack = link.sent.back();
  EXPECT_EQ(ack.to, ctl_id.address());
  EXPECT_EQ(ack.verb, wire::Verb::kOk);
  ASSERT_EQ(ack.payload.size(), 9u + 16);
  EXPECT_EQ(ack.payload[0], uint8_t(wire::Verb::kEcho));
  EXPECT_EQ(wire::read_be64(ack.payload.data() + 1), 555u);
  EXPECT_EQ(wire::read_be64(ack.payload.data() + 9), nwid);
  // A peer whose frame passed the gate has a record (public network too).
  const auto frame = encode_frame(nwid, 0x0800, std::vector<uint8_t>(30, 0));
  m.packet(request(b.address(), &b, wire::Verb::kFrame, frame), now, out);
  link.sent.clear();
  auto fast = ctl.chunks_for(nwid, link.me, now + 1, wire::kConfigChunkFlagFastPropagate);
  m.packet(request(ctl_id.address(), &ctl_id, wire::Verb::kNetworkConfig, fast[0]), now + 1, out);
  ASSERT_EQ(link.count(wire::Verb::kNetworkConfig), 1u);
  for (const auto& s : link.sent)
    if (s.verb == wire::Verb::kNetworkConfig) {
      EXPECT_EQ(s.to, b.address());
      EXPECT_EQ(s.payload, fast[0]);
    }
}

// A config over one datagram (two tags and a capability: a 1.5 KB chunk)
// reaches the member through the root as head + fragment.
TEST(Vl2MemberConfig, AConfigInTwoDatagramsThroughTheRoot) {
  MemberNet t;
  auto& net = t.ctl.nets[t.nwid];
  net.capabilities[1] = {tags_equal(5, 42), wire::Rule::action(wire::RuleType::kActionAccept)};
  net.tags[5] = 42;
  net.tags[6] = 7;
  ASSERT_GT(t.ctl.chunks_for(t.nwid, t.a, t.now).at(0).size(), size_t(1400));
  t.join("a");
  EXPECT_EQ(t.status("a"), NetworkStatus::kOk);
  ASSERT_TRUE(t.ma->network_state(t.nwid) && t.ma->network_state(t.nwid)->config);
  EXPECT_EQ(t.ma->network_state(t.nwid)->config->tags.size(), 2u);
}
}  // namespace
}  // namespace flatnet::control::vl2::test
