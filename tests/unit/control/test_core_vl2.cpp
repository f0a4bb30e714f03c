// The core's VL2 hook (control/core/vl2_hook.hpp): VL2 verbs reach the member
// or the controller handler with their sender authenticated, replies reach
// the member with their in-re fields, and Core::send_to holds a packet for
// an unknown peer until an upstream names it.
#include <gtest/gtest.h>

#include "tests/unit/control/harness.hpp"

namespace flatnet::control {
namespace {

using Net = test::Testnet;

struct Recorder : Vl2Handler {
  struct Seen {
    Vl2Packet::Kind kind;
    uint64_t source;
    wire::Verb verb, in_re_verb;
    uint64_t in_re_packet_id, packet_id;
    uint8_t error_code;
    std::vector<uint8_t> payload;
  };
  std::vector<Seen> seen;
  void packet(const Vl2Packet& pk, uint64_t, Actions&) override {
    ASSERT_NE(pk.identity, nullptr);
    EXPECT_EQ(pk.identity->address(), pk.source);
    seen.push_back({pk.kind, pk.source, pk.verb, pk.in_re_verb, pk.in_re_packet_id, pk.packet_id,
                    pk.error_code, {pk.payload.begin(), pk.payload.end()}});
  }
};

TEST(ControlCoreVl2, SendToUnknownPeerIsHeldUntilTheRootNamesIt) {
  Net t;
  t.net.relays.insert("root");  // as its data plane would
  t.hello_roots("a");
  t.hello_roots("b");
  Recorder member_b;
  t.core("b").set_member(&member_b);
  const std::vector<uint8_t> frame(1000, 0x5a);
  Actions out;
  ASSERT_EQ(t.core("a").peers().find(t.b.address()), nullptr);
  const uint64_t id = t.core("a").send_to(t.b.address(), wire::Verb::kFrame, frame, t.now, out);
  EXPECT_NE(id, 0u);
  EXPECT_EQ(t.core("a").metrics().outbox_held, 1u);
  t.net.pump("a", out, t.now);  // WHOIS, its answer, then the held FRAME (relayed by the root)
  ASSERT_EQ(member_b.seen.size(), 1u);
  EXPECT_EQ(member_b.seen[0].kind, Vl2Packet::Kind::kRequest);
  EXPECT_EQ(member_b.seen[0].verb, wire::Verb::kFrame);
  EXPECT_EQ(member_b.seen[0].source, t.a.address());
  EXPECT_EQ(member_b.seen[0].packet_id, id);
  EXPECT_EQ(member_b.seen[0].payload, frame);
  EXPECT_EQ(t.core("a").metrics().vl2_sent, 1u);
}

// What a member picks a designated multicast replicator by: the measured
// round trip of a direct path to a peer heard within 500 s, else nothing.
TEST(ControlCoreVl2, DirectLatencyIsThatOfALivePeersMeasuredPath) {
  Net t;
  EXPECT_EQ(t.core("a").direct_latency(t.root.address(), t.now), std::nullopt);  // unknown
  t.hello_roots("a");  // answered: one round trip measured
  const auto l = t.core("a").direct_latency(t.root.address(), t.now);
  ASSERT_TRUE(l.has_value());
  EXPECT_LT(*l, 0xffffu);
  EXPECT_EQ(t.core("a").direct_latency(t.b.address(), t.now), std::nullopt);
  // Silent for ZT_PEER_ACTIVITY_TIMEOUT: not alive any more.
  EXPECT_EQ(t.core("a").direct_latency(t.root.address(), t.now + 500'000), std::nullopt);
}

TEST(ControlCoreVl2, HeldPacketExpiresWhenNobodyNamesThePeer) {
  Net t;
  t.hello_roots("a");
  const uint8_t p[3] = {1, 2, 3};
  Actions out;
  EXPECT_NE(t.core("a").send_to(0x0102030405ULL, wire::Verb::kFrame, p, t.now, out), 0u);
  Actions later;
  t.core("a").run_background(t.now + timers::kHeldMs + 1, later);
  EXPECT_EQ(t.core("a").metrics().drop(Drop::outbox_expired), 1u);
}

// A node that is the controller of a network it is a member of: the request
// and its answer never leave the process.
TEST(ControlCoreVl2, SendingToOurselvesIsDeliveredInProcess) {
  Net t;
  struct Answering : Vl2Handler {
    Vl1Link* vl1 = nullptr;
    uint64_t asked = 0;
    void packet(const Vl2Packet& pk, uint64_t now, Actions& out) override {
      asked = pk.packet_id;
      std::vector<uint8_t> ok = {uint8_t(wire::Verb::kNetworkConfigRequest)};
      ok.resize(9);
      wire::write_be64(ok.data() + 1, pk.packet_id);
      ok.push_back(0x77);
      vl1->send_to(pk.source, wire::Verb::kOk, ok, now, out);
    }
  } controller;
  controller.vl1 = &t.core("a");
  Recorder member;
  t.core("a").set_controller(&controller);
  t.core("a").set_member(&member);
  const uint8_t req[8] = {0x36, 0x88, 0x5e, 0x5e, 0x08, 0, 0, 1};
  Actions out;
  const uint64_t id =
      t.core("a").send_to(t.a.address(), wire::Verb::kNetworkConfigRequest, req, t.now, out);
  EXPECT_TRUE(out.send.empty());
  EXPECT_EQ(controller.asked, id);
  ASSERT_EQ(member.seen.size(), 1u);
  EXPECT_EQ(member.seen[0].kind, Vl2Packet::Kind::kOk);
  EXPECT_EQ(member.seen[0].in_re_packet_id, id);
  EXPECT_EQ(member.seen[0].payload, std::vector<uint8_t>{0x77});
}

TEST(ControlCoreVl2, ConfigRequestGoesToTheControllerAndItsOkToTheMember) {
  Net t;
  t.net.relays.insert("root");
  t.hello_roots("a");
  t.hello_roots("b");
  t.whois("a", t.b.address());
  t.whois("b", t.a.address());
  Recorder member_a, controller_b;
  t.core("a").set_member(&member_a);
  t.core("b").set_controller(&controller_b);
  const uint64_t nwid = t.b.address() << 24 | 0x000001;
  std::vector<uint8_t> req(8);
  wire::write_be64(req.data(), nwid);
  Actions out;
  const uint64_t req_id =
      t.core("a").send_to(t.b.address(), wire::Verb::kNetworkConfigRequest, req, t.now, out);
  t.net.pump("a", out, t.now);
  ASSERT_EQ(controller_b.seen.size(), 1u);
  EXPECT_EQ(controller_b.seen[0].verb, wire::Verb::kNetworkConfigRequest);
  EXPECT_EQ(controller_b.seen[0].packet_id, req_id);
  EXPECT_EQ(controller_b.seen[0].payload, req);
  // B answers with OK(NETWORK_CONFIG_REQUEST) + a chunk; A's member sees the chunk.
  std::vector<uint8_t> ok = {uint8_t(wire::Verb::kNetworkConfigRequest)};
  ok.resize(9);
  wire::write_be64(ok.data() + 1, req_id);
  ok.insert(ok.end(), {0xaa, 0xbb});
  Actions reply;
  t.core("b").send_to(t.a.address(), wire::Verb::kOk, ok, t.now, reply);
  t.net.pump("b", reply, t.now);
  ASSERT_EQ(member_a.seen.size(), 1u);
  EXPECT_EQ(member_a.seen[0].kind, Vl2Packet::Kind::kOk);
  EXPECT_EQ(member_a.seen[0].in_re_verb, wire::Verb::kNetworkConfigRequest);
  EXPECT_EQ(member_a.seen[0].in_re_packet_id, req_id);
  EXPECT_EQ(member_a.seen[0].payload, (std::vector<uint8_t>{0xaa, 0xbb}));
  // An ERROR(NETWORK_ACCESS_DENIED) reaches the member with its code and detail.
  Error e;
  e.re = ReplyHeader{wire::Verb::kNetworkConfigRequest, req_id};
  e.code = ErrorCode::kNetworkAccessDenied;
  e.detail = req;
  std::vector<uint8_t> eb;
  wire::Writer w(eb);
  encode_error(e, w);
  Actions err;
  t.core("b").send_to(t.a.address(), wire::Verb::kError, eb, t.now, err);
  t.net.pump("b", err, t.now);
  ASSERT_EQ(member_a.seen.size(), 2u);
  EXPECT_EQ(member_a.seen[1].kind, Vl2Packet::Kind::kError);
  EXPECT_EQ(member_a.seen[1].error_code, uint8_t(ErrorCode::kNetworkAccessDenied));
  EXPECT_EQ(member_a.seen[1].payload, req);
}

TEST(ControlCoreVl2, WithoutHandlersVl2VerbsAreCountedAndConfigRequestsRefused) {
  Net t;
  t.net.relays.insert("root");
  t.hello_roots("a");
  t.hello_roots("b");
  t.whois("a", t.b.address());
  const uint8_t p[8] = {0, 0, 0, 0, 0, 0, 0, 1};
  Actions out;
  t.core("a").send_to(t.b.address(), wire::Verb::kFrame, p, t.now, out);
  t.net.pump("a", out, t.now);
  EXPECT_EQ(t.core("b").metrics().drop(Drop::no_vl2_handler), 1u);
}

}  // namespace
}  // namespace flatnet::control
