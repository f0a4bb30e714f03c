// Bad input to every verb handler and to the receive path: each case is a
// counted drop with no reply, never a crash.
#include <gtest/gtest.h>

#include "tests/unit/control/harness.hpp"

namespace flatnet::control {
namespace {

using test::path_from;
using test::v4;

class ControlBadInput : public ::testing::Test {
 protected:
  void SetUp() override {
    Config c;
    c.identity = root;
    c.planet = test::make_planet(root, v4(10, 99, 0, 1));
    core = std::make_unique<Core>(c, now);
    Actions out;
    // a is known, with its version (so AES is in use toward it).
    core->receive(path_from(a_at), test::build_hello(a, root, 1, v4(10, 99, 0, 1)), now, out);
    ASSERT_EQ(core->metrics().peers_learned, 1u);
  }

  // Feeds one datagram from a's path; expects exactly one more `drop` and
  // nothing sent.
  void expect_drop(const std::vector<uint8_t>& d, Drop drop, const char* what) {
    SCOPED_TRACE(what);
    uint64_t before = core->metrics().drop(drop);
    Actions out;
    core->receive(path_from(a_at), d, ++now, out);
    EXPECT_EQ(core->metrics().drop(drop), before + 1) << kDropNames[size_t(drop)];
    EXPECT_TRUE(out.send.empty());
  }
  std::vector<uint8_t> from_a(wire::Verb v, std::vector<uint8_t> payload,
                              crypto::Suite s = crypto::Suite::kAesGmacSiv, uint8_t flags = 0) {
    return test::build_packet(a, root, v, payload, s, flags);
  }

  crypto::Identity root = test::root_identity();
  crypto::Identity a = test::parse_identity(test::kIdentityA);
  wire::InetAddress a_at = v4(10, 99, 0, 11);
  uint64_t now = 5000;
  std::unique_ptr<Core> core;
};

TEST_F(ControlBadInput, MalformedPayloadPerVerb) {
  using V = wire::Verb;
  struct Case {
    V verb;
    std::vector<uint8_t> payload;
    const char* what;
  };
  const std::vector<Case> cases = {
      {V::kWhois, {}, "WHOIS empty"},
      {V::kWhois, {1, 2, 3, 4, 5, 6, 7}, "WHOIS partial address"},
      {V::kRendezvous, {0, 1, 2, 3}, "RENDEZVOUS truncated"},
      {V::kRendezvous, {0, 1, 2, 3, 4, 5, 0x27, 0x09, 5, 1, 2, 3, 4, 5}, "RENDEZVOUS length 5"},
      {V::kRendezvous, {0, 1, 2, 3, 4, 5, 0, 0, 4, 1, 2, 3, 4}, "RENDEZVOUS port 0"},
      {V::kMulticastLike, std::vector<uint8_t>(20, 1), "MULTICAST_LIKE partial record"},
      {V::kMulticastGather, std::vector<uint8_t>(10, 1), "MULTICAST_GATHER truncated"},
      {V::kMulticastGather, {0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9},
       "MULTICAST_GATHER COM flag without COM"},
      {V::kPushDirectPaths, {0xff, 0xff}, "PUSH_DIRECT_PATHS oversized count"},
      {V::kPushDirectPaths, {0, 1, 0, 0, 0, 4, 6, 10, 0}, "PUSH_DIRECT_PATHS truncated record"},
      {V::kPushDirectPaths, {0, 1, 0, 0xff, 0xff}, "PUSH_DIRECT_PATHS extension past end"},
      {V::kError, {1, 2, 3}, "ERROR truncated"},
      {V::kOk, {1, 2, 3, 4, 5}, "OK truncated header"},
      {V::kOk, {1, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0}, "OK(HELLO) truncated"},
      {V::kOk, {1, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 1, 12, 1, 14, 0, 1, 8},
       "OK(HELLO) bad address type"},
      {V::kOk, {4, 0, 0, 0, 0, 0, 0, 0, 9, 1, 2, 3}, "OK(WHOIS) truncated identity"},
      {V::kOk, {4, 0, 0, 0, 0, 0, 0, 0, 9}, "OK(WHOIS) without identity"},
      {V::kNetworkConfigRequest, {1, 2, 3}, "NETWORK_CONFIG_REQUEST without network ID"},
  };
  for (const Case& c : cases) expect_drop(from_a(c.verb, c.payload), Drop::malformed, c.what);
}

TEST_F(ControlBadInput, RefusedForPolicy) {
  // A well-formed OK(HELLO) answering nothing we sent.
  OkHello ok;
  ok.re = ReplyHeader{wire::Verb::kHello, 12345};
  ok.version = Version{12, 1, 14, 1};
  std::vector<uint8_t> p;
  wire::Writer w(p);
  encode_ok_hello(ok, w);
  expect_drop(from_a(wire::Verb::kOk, p), Drop::unexpected_ok, "unexpected OK(HELLO)");
  // A well-formed OK(WHOIS) and RENDEZVOUS from a leaf (not an upstream).
  OkWhois ow;
  ow.re = ReplyHeader{wire::Verb::kWhois, 1};
  ow.identities = {a};
  p.clear();
  wire::Writer w2(p);
  encode_ok_whois(ow, w2);
  expect_drop(from_a(wire::Verb::kOk, p), Drop::not_upstream, "OK(WHOIS) from a leaf");
  p.clear();
  wire::Writer w3(p);
  encode_rendezvous(Rendezvous{0, a.address(), v4(1, 2, 3, 4)}, w3);
  expect_drop(from_a(wire::Verb::kRendezvous, p), Drop::not_upstream, "RENDEZVOUS from a leaf");
  // An ECHO whose OK would exceed the packet limit.
  expect_drop(from_a(wire::Verb::kEcho, std::vector<uint8_t>(wire::kMaxPacketLength - 30, 7)),
              Drop::reply_too_large, "oversized ECHO");
}

TEST_F(ControlBadInput, MalformedHello) {
  auto good = test::build_hello(a, root, 50, v4(10, 99, 0, 1));
  // Truncated inside the identity (MAC recomputed: the parser must refuse).
  auto keys = test::keys_between(a, root);
  auto reseal = [&](std::vector<uint8_t> pkt) {
    crypto::armor(pkt, *keys, crypto::Suite::kPoly1305);
    return pkt;
  };
  std::vector<uint8_t> t(good.begin(), good.begin() + 28 + 40);
  expect_drop(reseal(t), Drop::malformed, "HELLO truncated identity");
  auto v = good;
  v[28] = 3;
  expect_drop(reseal(v), Drop::hello_version, "HELLO protocol 3");
  auto bad_addr = good;
  bad_addr[28 + 84] = 9;
  expect_drop(reseal(bad_addr), Drop::malformed, "HELLO bad InetAddress type");
  auto mismatch = good;
  wire::write_addr40(mismatch.data() + wire::kIdxSource, 0x0102030405ULL);
  expect_drop(reseal(mismatch), Drop::hello_address_mismatch, "HELLO source != identity");
  auto badmac = good;
  badmac[40] ^= 1;
  expect_drop(badmac, Drop::bad_mac, "HELLO bad MAC (known identity)");
}

TEST_F(ControlBadInput, ArmorAndFraming) {
  auto good = from_a(wire::Verb::kNop, {1, 2, 3});
  auto flip = good;
  flip.back() ^= 0x80;
  expect_drop(flip, Drop::bad_mac, "payload bit flipped");
  auto c2 = good;
  c2[wire::kIdxFlags] = uint8_t((c2[wire::kIdxFlags] & ~wire::kFlagsCipherMask) | (2 << 3));
  expect_drop(c2, Drop::bad_cipher, "cipher 2 (trusted path)");
  auto c5 = good;
  c5[wire::kIdxFlags] = uint8_t((c5[wire::kIdxFlags] & ~wire::kFlagsCipherMask) | (5 << 3));
  expect_drop(c5, Drop::bad_cipher, "cipher 5");
  expect_drop(std::vector<uint8_t>(good.begin(), good.begin() + 20), Drop::runt, "20 bytes");
  expect_drop(std::vector<uint8_t>(good.begin(), good.begin() + 13), Drop::beacon, "beacon");
  expect_drop(from_a(wire::Verb::kMulticastLike, std::vector<uint8_t>(40, 0xff),
                     crypto::Suite::kSalsa2012Poly1305, wire::kVerbFlagCompressed),
              Drop::decompress, "garbage LZ4");
  auto other = good;
  wire::write_addr40(other.data() + wire::kIdxDest, 0x0102030405ULL);
  expect_drop(other, Drop::not_for_us, "not for us");
  auto stranger = test::bogus_identity(0x0a0b0c0d0eULL);
  expect_drop(test::build_packet(stranger, root, wire::Verb::kNop, {}, crypto::Suite::kPoly1305),
              Drop::unknown_sender, "unknown sender");
  auto self = good;
  wire::write_addr40(self.data() + wire::kIdxSource, root.address());
  expect_drop(self, Drop::from_self, "from ourselves");
  // A fragment to us naming 9 pieces.
  std::vector<uint8_t> frag(40, 0);
  wire::write_addr40(frag.data() + wire::kFragIdxDest, root.address());
  frag[wire::kFragIdxIndicator] = wire::kFragmentIndicator;
  frag[wire::kFragIdxNo] = 0x91;
  expect_drop(frag, Drop::fragment, "fragment total 9");
}

TEST_F(ControlBadInput, NetworkConfigRequestIsRefusedAsUnsupported) {
  std::vector<uint8_t> req = {0xee, 0x42, 0x0f, 0x0c, 0xda, 0, 0, 1, 0, 0};
  auto pkt = from_a(wire::Verb::kNetworkConfigRequest, req);
  Actions out;
  core->receive(path_from(a_at), pkt, ++now, out);
  ASSERT_EQ(out.send.size(), 1u);
  auto plain = test::open_from(a, root, out.send[0].bytes);
  Error e;
  ASSERT_EQ(decode_error(packet_payload(plain), e), DecodeStatus::kOk);
  EXPECT_EQ(e.re.in_re_verb, wire::Verb::kNetworkConfigRequest);
  EXPECT_EQ(e.re.in_re_packet_id, wire::packet_id(pkt.data()));
  EXPECT_EQ(e.code, ErrorCode::kUnsupportedOperation);
  EXPECT_EQ(e.detail, std::vector<uint8_t>(req.begin(), req.begin() + 8));
}

TEST_F(ControlBadInput, UnknownVerbsAreAcceptedSilently) {
  for (uint8_t v : {0x0f, 0x11, 0x15, 0x1f}) {
    Actions out;
    core->receive(path_from(a_at), from_a(wire::Verb(v), {1, 2, 3}), ++now, out);
    EXPECT_TRUE(out.send.empty());
    EXPECT_EQ(core->metrics().rx_verb[v], 1u);
  }
  uint64_t total = 0;
  for (uint64_t d : core->metrics().drops) total += d;
  EXPECT_EQ(total, 0u);
}

// A FRAME or NETWORK_CREDENTIALS to a node with no VL2 member: no reply,
// counted (vl2_hook.hpp).
TEST_F(ControlBadInput, Vl2VerbsWithoutAMemberAreCounted) {
  for (uint8_t v : {0x06, 0x07, 0x0a, 0x0c, 0x0e}) {
    Actions out;
    core->receive(path_from(a_at), from_a(wire::Verb(v), {1, 2, 3}), ++now, out);
    EXPECT_TRUE(out.send.empty());
  }
  EXPECT_EQ(core->metrics().drop(Drop::no_vl2_handler), 5u);
}

}  // namespace
}  // namespace flatnet::control
