// Fixtures for the network's rules on the gateway's VL2 stages: tags,
// capabilities and certificates of ownership (installed through CREDS_CHUNK
// commands, as control sends them), and the TEE / WATCH / REDIRECT outputs -- frames in, the LAN's
// frames and the datagrams to members out (opened and checked byte for
// byte, EXT_FRAME flags as stock sets them), or one counted drop.
#include <map>

#include "dataplane/ipc/vl2_commands.hpp"
#include "tests/packet/vl2_fixture.hpp"

namespace flatnet::test {
namespace {

using wire::Rule;
using wire::RuleType;

struct Vl2Rules : Vl2Fixture {
  static Bytes bin(const std::vector<Rule>& rules) {
    Bytes b;
    wire::Writer w(b);
    wire::write_rules(w, rules);
    return b;
  }
  static Rule match(RuleType type) {
    Rule r;
    r.t = uint8_t(type);
    return r;
  }
  static Rule ethertype(uint16_t e) {
    Rule r = match(RuleType::kMatchEthertype);
    r.ethertype = e;
    return r;
  }
  static Rule tags_equal(uint32_t id, uint32_t v) {
    Rule r = match(RuleType::kMatchTagsEqual);
    r.tag_id = id;
    r.tag_value = v;
    return r;
  }
  static Rule forward(RuleType type, uint64_t to, uint16_t len = 0) {
    Rule r = Rule::action(type);
    r.address = to;
    r.fwd_length = len;
    return r;
  }
  static Rule accept() { return Rule::action(RuleType::kActionAccept); }
  void set_rules(const std::vector<Rule>& rules) { ASSERT_EQ(t->rules_set(kNw, bin(rules), false), FLATNET_IPC_OK); }
  // Installs credentials the way control does: CREDS_CHUNK commands applied in order.
  void set_creds(uint64_t addr, const std::vector<ipc::vl2::Tag>& tags, const std::vector<std::vector<Rule>>& caps) {
    ipc::vl2::Credentials c;
    c.tags = tags;
    uint32_t id = 1;
    for (const auto& k : caps) c.caps.push_back({id++, bin(k)});
    const auto cmds = ipc::vl2::creds(kNw, addr, c);
    ASSERT_FALSE(cmds.empty());
    for (const auto& cmd : cmds) ASSERT_EQ(t->apply(cmd), FLATNET_IPC_OK);
  }
  // The datagrams the stages sent to members (vl2_send puts them on w.tx).
  std::vector<Bytes> sent() {
    std::vector<Bytes> out;
    for (uint16_t i = 0; i < h.w.tx.n; ++i) out.push_back(bytes_of(h.w.tx.pkts[i]));
    if (h.w.tx.n) rte_pktmbuf_free_bulk(h.w.tx.pkts, h.w.tx.n);
    h.w.tx.n = 0;
    return out;
  }
  // An EXT_FRAME's flags and its frame (MACs, type, payload) from an opened packet.
  static uint8_t ext_flags(const Bytes& p) { return p[wire::kIdxPayload + 8]; }
  static Bytes ext_data(const Bytes& p) { return Bytes(p.begin() + wire::kIdxPayload + 23, p.end()); }
  Bytes from_a(const Bytes& data, uint16_t type = 0x0800) {
    return vl1(kA, 0x06, frame_payload(data, type), crypto::Suite::kSalsa2012Poly1305);
  }
  const uint64_t lan_host = 0x06aabbccdd01ull;
  const uint64_t our_mac = v2::mac_from_address(kSelf, kNw);
  const uint64_t mac_a = v2::mac_from_address(kA, kNw);
};

// MATCH_TAGS_EQUAL against our tag and the sender's; a sender whose tag
// differs falls to its capabilities (inbound: the sender's), which accept
// ARP only; a member that presented nothing has neither.
TEST_F(Vl2Rules, TagsAndTheSendersCapabilitiesInbound) {
  set_rules({tags_equal(1, 5), accept()});
  set_creds(0, {{1, 5}}, {});
  set_creds(kA, {{1, 5}}, {});
  set_creds(kB, {{1, 6}}, {{ethertype(0x0806), accept()}});
  auto o = decap({from_a(kIpData), vl1(kB, 0x06, frame_payload(kIpData), crypto::Suite::kAesGmacSiv),
                  vl1(kB, 0x06, frame_payload(Bytes(28, 1), 0x0806), crypto::Suite::kAesGmacSiv),
                  vl1(kBridge, 0x06, frame_payload(kIpData), crypto::Suite::kSalsa2012Poly1305)});
  ASSERT_EQ(o.lan.size(), 2u) << h.drop_reason();
  EXPECT_EQ(o.lan[0], eth_frame(our_mac, mac_a, 0x0800, kIpData));
  EXPECT_EQ(o.lan[1], eth_frame(our_mac, v2::mac_from_address(kB, kNw), 0x0806, Bytes(28, 1)));
  EXPECT_EQ(h.drops(Drop::vl2_rules), 2u);  // B's IPv4 (tag 6, capability ARP only), the bridge's (no tags)
  // Deleting B's credentials: its ARP has no capability any more.
  ASSERT_EQ(t->apply(ipc::vl2::creds_delete(kNw, kB)), FLATNET_IPC_OK);
  h.counters = CoreCounters{};
  o = decap({vl1(kB, 0x06, frame_payload(Bytes(28, 1), 0x0806), crypto::Suite::kAesGmacSiv)});
  EXPECT_EQ(o.lan.size(), 0u);
  EXPECT_EQ(h.drops(Drop::vl2_rules), 1u);
  EXPECT_EQ(t->creds_count(), 1u);  // A's
}

// Outbound our own capabilities decide what the base table leaves: IPv4 to
// members passes by our capability, ARP to a member has none and is dropped.
TEST_F(Vl2Rules, OurCapabilitiesOutbound) {
  set_rules({ethertype(0x86dd), accept()});
  set_creds(0, {}, {{ethertype(0x0806), Rule::action(RuleType::kActionDrop)}, {ethertype(0x0800), accept()}});
  auto out = encap({eth_frame(mac_a, lan_host, 0x0800, kIpData), eth_frame(mac_a, lan_host, 0x0806, Bytes(28, 0))});
  ASSERT_EQ(out.size(), 1u) << h.drop_reason();
  uint64_t to = 0;
  Bytes p = open(out[0], &to);
  EXPECT_EQ(to, kA);
  EXPECT_EQ(ext_data(p), kIpData);
  EXPECT_EQ(h.drops(Drop::vl2_rules), 1u);
}

// TEE inbound: the frame reaches the LAN and its first 20 payload bytes go
// to the bridge as EXT_FRAME flags 0x08 with the frame's MACs and type.
TEST_F(Vl2Rules, TeeInboundCopiesToTheTarget) {
  set_rules({forward(RuleType::kActionTee, kBridge, 20), accept()});
  auto o = decap({from_a(kIpData)});
  ASSERT_EQ(o.lan.size(), 1u) << h.drop_reason();
  EXPECT_EQ(o.lan[0], eth_frame(our_mac, mac_a, 0x0800, kIpData));
  auto out = sent();
  ASSERT_EQ(out.size(), 1u);
  uint64_t to = 0;
  Bytes p = open(out[0], &to);
  EXPECT_EQ(to, kBridge);
  EXPECT_EQ(p[wire::kIdxVerb] & 0x1f, 0x07);
  EXPECT_EQ(Bytes(p.begin() + wire::kIdxPayload, p.end()),
            ext_payload(our_mac, mac_a, Bytes(kIpData.begin(), kIpData.begin() + 20), 0x08));
  EXPECT_EQ(h.counters.vl2_rules_copies, 1u);
  EXPECT_EQ(h.drops_total(), 0u);
}

// WATCH outbound: the frame goes to its member and a whole copy to B with
// flags 0x16 (0x10 asks B for an OK, as stock's WATCH does); the base
// table's copy and the accepting capability's are both sent.
TEST_F(Vl2Rules, WatchOutboundAndACapabilitysCopy) {
  set_rules({forward(RuleType::kActionWatch, kB)});  // no accept: a capability decides
  set_creds(0, {}, {{forward(RuleType::kActionTee, kBridge, 4), accept()}});
  auto out = encap({eth_frame(mac_a, lan_host, 0x0800, kIpData)});
  ASSERT_EQ(out.size(), 3u) << h.drop_reason();
  std::map<uint64_t, Bytes> by_to;
  for (const Bytes& d : out) {
    uint64_t to = 0;
    Bytes p = open(d, &to);
    by_to[to] = p;
  }
  ASSERT_EQ(by_to.size(), 3u);
  EXPECT_EQ(ext_flags(by_to[kB]), 0x16);
  EXPECT_EQ(ext_data(by_to[kB]), kIpData);
  EXPECT_EQ(ext_flags(by_to[kBridge]), 0x02);
  EXPECT_EQ(ext_data(by_to[kBridge]), Bytes(kIpData.begin(), kIpData.begin() + 4));
  EXPECT_EQ(ext_flags(by_to[kA]), 0x00);
  EXPECT_EQ(ext_data(by_to[kA]), kIpData);
  EXPECT_EQ(h.counters.vl2_rules_copies, 2u);
}

// REDIRECT: inbound the frame does not reach the LAN but goes whole to B as
// EXT_FRAME 0x0a; outbound it goes to B (0x04) instead of A. A target with
// no key is counted, nothing sent.
TEST_F(Vl2Rules, RedirectBothWays) {
  set_rules({forward(RuleType::kActionRedirect, kB), accept()});
  auto o = decap({from_a(kIpData)});
  EXPECT_EQ(o.lan.size(), 0u);
  auto out = sent();
  ASSERT_EQ(out.size(), 1u) << h.drop_reason();
  uint64_t to = 0;
  Bytes p = open(out[0], &to);
  EXPECT_EQ(to, kB);
  EXPECT_EQ(Bytes(p.begin() + wire::kIdxPayload, p.end()), ext_payload(our_mac, mac_a, kIpData, 0x0a));
  EXPECT_EQ(h.counters.vl2_rules_redirects, 1u);
  EXPECT_EQ(h.drops_total(), 0u);

  out = encap({eth_frame(mac_a, lan_host, 0x0800, kIpData)});
  ASSERT_EQ(out.size(), 1u) << h.drop_reason();
  p = open(out[0], &to);
  EXPECT_EQ(to, kB);
  EXPECT_EQ(Bytes(p.begin() + wire::kIdxPayload, p.end()), ext_payload(mac_a, lan_host, kIpData, 0x04));
  EXPECT_EQ(h.counters.vl2_encap_unicast, 0u);

  set_rules({forward(RuleType::kActionRedirect, 0x0f0f0f0f0f), accept()});  // nobody we have a key for
  h.counters = CoreCounters{};
  EXPECT_EQ(encap({eth_frame(mac_a, lan_host, 0x0800, kIpData)}).size(), 0u);
  EXPECT_EQ(h.drop_reason(), "vl2_no_key");
}

// A TEE naming us inbound super-accepts at once: the frame reaches the LAN
// even though the table would drop it next, and nothing is copied.
TEST_F(Vl2Rules, TeeToUsSuperAccepts) {
  set_rules({forward(RuleType::kActionTee, kSelf), Rule::action(RuleType::kActionDrop)});
  auto o = decap({from_a(kIpData)});
  EXPECT_EQ(o.lan.size(), 1u) << h.drop_reason();
  EXPECT_EQ(sent().size(), 0u);
}

// CREDS_CHUNK pieces out of order or for an unknown network are refused;
// a network's deletion takes its credentials with it.
TEST_F(Vl2Rules, CredentialsCommandsRefuseBadPieces) {
  ipc::vl2::Credentials c;
  for (uint32_t i = 1; i <= 10; ++i) c.tags.push_back({i, i});
  auto cmds = ipc::vl2::creds(kNw, kA, c);
  ASSERT_GE(cmds.size(), 2u);
  EXPECT_EQ(t->apply(cmds[1]), FLATNET_IPC_E_BAD_ARGUMENT);  // no piece 0 first
  for (const auto& cmd : cmds) EXPECT_EQ(t->apply(cmd), FLATNET_IPC_OK);
  EXPECT_NE(t->creds(t->network(kNw)->slot, kA), nullptr);
  EXPECT_EQ(t->apply(ipc::vl2::creds(0x1234, kA, c)[0]), FLATNET_IPC_E_NOT_FOUND);
  EXPECT_EQ(t->apply(ipc::vl2::creds_delete(kNw, kB)), FLATNET_IPC_E_NOT_FOUND);
  ASSERT_EQ(t->network_remove(kNw), FLATNET_IPC_OK);
  EXPECT_EQ(t->creds_count(), 0u);
}

}  // namespace
}  // namespace flatnet::test

namespace flatnet::test {
namespace {

// An EXT_FRAME with a foreign source from a member that is not a bridge is
// dropped -- unless the rules super-accept it (we are a TEE target), which
// stock lets past its bridging checks.
TEST_F(Vl2Rules, SuperAcceptPassesTheBridgingCheck) {
  const Bytes ext = ext_payload(our_mac, 0x06aabbccdd77ull, kIpData);
  auto o = decap({vl1(kA, 0x07, ext, crypto::Suite::kSalsa2012Poly1305)});
  EXPECT_EQ(o.lan.size(), 0u);
  EXPECT_EQ(h.drop_reason(), "vl2_foreign_source");
  set_rules({forward(RuleType::kActionTee, kSelf)});
  h.counters = CoreCounters{};
  o = decap({vl1(kA, 0x07, ext, crypto::Suite::kSalsa2012Poly1305)});
  ASSERT_EQ(o.lan.size(), 1u) << h.drop_reason();
  EXPECT_EQ(o.lan[0], eth_frame(our_mac, 0x06aabbccdd77ull, 0x0800, kIpData));
}

}  // namespace
}  // namespace flatnet::test

namespace flatnet::test {
namespace {

// SENDER_IP/MAC_AUTHENTICATED (what certificates of ownership say, carried
// in the CREDS_CHUNK blob): rules that let through only frames whose
// sender owns its source.
struct Vl2Owned : Vl2Rules {
  static Rule authenticated(uint64_t bits) {
    Rule r = match(RuleType::kMatchCharacteristics);
    r.characteristics = bits;
    return r;
  }
  static constexpr uint64_t kIp = 0x1000000000000000ull, kMac = 0x0800000000000000ull;
  void set_owned(uint64_t addr, const ipc::vl2::Credentials& c) {
    const auto cmds = ipc::vl2::creds(kNw, addr, c);
    ASSERT_FALSE(cmds.empty());
    for (const auto& cmd : cmds) ASSERT_EQ(t->apply(cmd), FLATNET_IPC_OK);
  }
  // An IPv4 header (and 20 bytes of UDP-ish payload) from `src`.
  static Bytes ip4(uint8_t last) {
    Bytes b(40, 0);
    b[0] = 0x45;
    b[9] = 17;
    const uint8_t src[4] = {10, 0, 0, last}, dst[4] = {10, 0, 0, 99};
    std::copy(src, src + 4, b.begin() + 12);
    std::copy(dst, dst + 4, b.begin() + 16);
    return b;
  }
};

// Inbound, the sender's certificates decide: A owns 10.0.0.1, so its frame
// from there reaches the LAN and one from 10.0.0.2 is dropped; B owns
// nothing, so its frame from 10.0.0.1 is dropped too. An IPv6 source in the
// network's RFC4193 /88 counts as owned by anyone (NDP emulation, our
// prefix), one outside it does not.
TEST_F(Vl2Owned, SenderIpAuthenticatedInbound) {
  set_rules({authenticated(kIp), accept()});
  ipc::vl2::Credentials a;
  a.ips4 = {{10, 0, 0, 1}};
  set_owned(kA, a);
  ipc::vl2::Credentials ours;
  ours.ndp_rfc4193 = std::array<uint8_t, 11>{0xfd, 1, 2, 3, 4, 5, 6, 7, 8, 0x99, 0x93};
  set_owned(0, ours);
  Bytes v6(48, 0);
  v6[0] = 0x60;
  v6[6] = 17;
  std::copy(ours.ndp_rfc4193->begin(), ours.ndp_rfc4193->end(), v6.begin() + 8);
  v6[23] = 0x42;  // ...:9993:xxxx:xxxx:42, some member's address
  Bytes v6_foreign = v6;
  v6_foreign[9] ^= 1;  // another network's /88
  auto o = decap({from_a(ip4(1)), from_a(ip4(2)),
                  vl1(kB, 0x06, frame_payload(ip4(1)), crypto::Suite::kAesGmacSiv),
                  vl1(kB, 0x06, frame_payload(v6, 0x86dd), crypto::Suite::kAesGmacSiv),
                  vl1(kB, 0x06, frame_payload(v6_foreign, 0x86dd), crypto::Suite::kAesGmacSiv)});
  ASSERT_EQ(o.lan.size(), 2u) << h.drop_reason();
  EXPECT_EQ(o.lan[0], eth_frame(our_mac, mac_a, 0x0800, ip4(1)));
  EXPECT_EQ(o.lan[1], eth_frame(our_mac, v2::mac_from_address(kB, kNw), 0x86dd, v6));
  EXPECT_EQ(h.drops(Drop::vl2_rules), 3u);  // A from .2, B from .1, B from another /88
  // A's certificate revoked (control deletes its credentials): its own address is no longer proven.
  ASSERT_EQ(t->apply(ipc::vl2::creds_delete(kNw, kA)), FLATNET_IPC_OK);
  h.counters = CoreCounters{};
  o = decap({from_a(ip4(1))});
  EXPECT_EQ(o.lan.size(), 0u);
  EXPECT_EQ(h.drop_reason(), "vl2_rules");
}

// Outbound, our own certificates decide (as stock's): a LAN host whose MAC
// our certificate names is let out, another is dropped; a rule that asks
// for neither bit never looks.
TEST_F(Vl2Owned, SenderMacAuthenticatedOutbound) {
  set_rules({authenticated(kMac), accept()});
  ipc::vl2::Credentials ours;
  ours.macs = {lan_host};
  set_owned(0, ours);
  auto out = encap({eth_frame(mac_a, lan_host, 0x0800, ip4(7)), eth_frame(mac_a, lan_host + 1, 0x0800, ip4(7))});
  ASSERT_EQ(out.size(), 1u) << h.drop_reason();
  uint64_t to = 0;
  Bytes p = open(out[0], &to);
  EXPECT_EQ(to, kA);
  EXPECT_EQ(ext_data(p), ip4(7));
  EXPECT_EQ(h.drops(Drop::vl2_rules), 1u);
}

}  // namespace
}  // namespace flatnet::test
