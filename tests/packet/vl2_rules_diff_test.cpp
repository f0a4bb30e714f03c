// The gateway's rule evaluator (dataplane/fastpath/vl2_rules.cpp, on the
// compiled tables and credentials of dataplane/tables/vl2_rules) against the
// member's (control/vl2/rules_engine): random rule tables with capabilities
// and tags, and many frames (random and edge cases: short IP headers, IPv6
// extension headers, ports 0, tagged frames, broadcast), both directions,
// with and without the peer's membership. Every verdict, redirect target,
// copy (target, length, watch) and accepting capability must agree.
// Capabilities, tags and certificates of ownership go through the
// CREDS_CHUNK blob (ipc::vl2::creds_blob -> tables::vl2::decode_creds) as
// control sends them: the peer and we hold random COOs, the network may
// emulate NDP for its 6PLANE / RFC4193 prefixes, and frames come from owned
// and unowned IPv4 / IPv6 / ARP / neighbor-discovery sources and MACs, so
// SENDER_IP/MAC_AUTHENTICATED meet both answers. Pure: no EAL.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <vector>

#include "control/port/addressing.hpp"
#include "control/vl2/ndp_emulation.hpp"
#include "control/vl2/rules_engine.hpp"
#include "dataplane/fastpath/vl2.hpp"
#include "dataplane/ipc/vl2_commands.hpp"
#include "dataplane/tables/vl2_rules.hpp"
#include "dataplane/wire/bytes.hpp"

namespace flatnet::test {
namespace {

using wire::Rule;
using wire::RuleType;
using Bytes = std::vector<uint8_t>;

constexpr uint64_t kSelf = 0x1111111111, kPeer = 0x2222222222, kOther = 0x3333333333;
constexpr uint64_t kNwid = 0x8056c2e21c000001ull;

// Source addresses frames use and COOs name: a few of each kind, so that a
// random COO owns some of them and a random frame's source often is one.
const std::array<uint8_t, 4> kIps4[] = {{10, 0, 0, 1}, {10, 0, 0, 2}, {10, 0, 0, 3}, {192, 168, 1, 9}};
std::vector<std::array<uint8_t, 16>> ips6() {
  std::vector<std::array<uint8_t, 16>> v;
  for (uint64_t a : {kPeer, kOther}) {  // the network's 6PLANE and RFC4193 addresses
    const auto six = control::port::sixplane_address(kNwid, a).ip, rfc = control::port::rfc4193_address(kNwid, a).ip;
    std::array<uint8_t, 16> x;
    std::copy_n(six.begin(), 16, x.begin());
    v.push_back(x);
    std::copy_n(rfc.begin(), 16, x.begin());
    v.push_back(x);
  }
  const auto foreign = control::port::rfc4193_address(kNwid ^ 1, kPeer).ip;  // another network's /88
  std::array<uint8_t, 16> x;
  std::copy_n(foreign.begin(), 16, x.begin());
  v.push_back(x);
  v.push_back({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
  v.push_back({0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7});
  return v;
}
const std::vector<std::array<uint8_t, 16>> kIps6 = ips6();

struct Gen {
  std::mt19937_64 r;
  explicit Gen(uint64_t seed) : r(seed) {}
  uint64_t u(uint64_t n) { return n ? r() % n : 0; }
  bool coin(unsigned pct = 50) { return u(100) < pct; }

  uint64_t address() {
    static const uint64_t a[] = {kSelf, kPeer, kOther, 0x4444444444, 0xff00000000000000ull | kPeer};
    return a[u(5)];
  }
  std::array<uint8_t, 6> mac() {
    static const std::array<uint8_t, 6> m[] = {{0x02, 0, 0, 0, 0, 1}, {0x02, 0, 0, 0, 0, 2},
                                                 {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, {0x33, 0x33, 0, 0, 0, 1},
                                                 {0x02, 0, 0, 0, 0, 3}, {0x32, 0x11, 0x22, 0x33, 0x44, 0x55}};
    return m[u(6)];
  }

  // Up to 3 certificates of ownership of up to 5 things from the pools.
  std::vector<wire::CertificateOfOwnership> coos() {
    std::vector<wire::CertificateOfOwnership> v;
    for (uint64_t i = u(4); i > 0; --i) {
      wire::CertificateOfOwnership c;
      for (uint64_t k = u(6); k > 0; --k) {
        switch (u(3)) {
          case 0: c.add_ip(wire::InetAddress::v4(kIps4[u(4)].data(), 0)); break;
          case 1: c.add_ip(wire::InetAddress::v6(kIps6[u(kIps6.size())].data(), 0)); break;
          default: c.add_mac(mac()); break;
        }
      }
      v.push_back(std::move(c));
    }
    return v;
  }
  uint16_t ethertype() {
    static const uint16_t e[] = {0x0800, 0x86dd, 0x0806, 0x8100, 0x88cc};
    return coin(90) ? e[u(5)] : uint16_t(r());
  }

  Rule rule(bool allow_actions) {
    Rule x;
    static const RuleType actions[] = {RuleType::kActionDrop,    RuleType::kActionAccept, RuleType::kActionTee,
                                       RuleType::kActionWatch,   RuleType::kActionRedirect,
                                       RuleType::kActionBreak,   RuleType::kActionPriority};
    if (allow_actions && coin(35)) {
      x.t = uint8_t(actions[u(7)]);
      x.address = address();
      x.fwd_flags = uint32_t(u(4));
      x.fwd_length = uint16_t(coin() ? 0 : u(80));
      return x;
    }
    // Every match type 24..51, the tag matches (44..50) and CHARACTERISTICS
    // (the ownership bits) more often.
    const auto type = coin(30) ? RuleType(44 + u(7))
                      : coin(12) ? RuleType::kMatchCharacteristics
                                 : RuleType(24 + u(28));
    x.t = uint8_t(type) | (coin(15) ? wire::kRuleNot : 0) | (coin(20) ? wire::kRuleOr : 0);
    x.address = address() & (coin(90) ? 0xffffffffffull : ~0ull);
    x.vlan_id = uint16_t(coin() ? 0 : u(4096));
    x.vlan_pcp = uint8_t(coin() ? 0 : u(8));
    x.vlan_dei = uint8_t(u(2));
    x.mac = mac();
    for (auto& b : x.ip) b = uint8_t(coin(70) ? 10 : r());
    x.ip_mask = uint8_t(u(type == RuleType::kMatchIpv6Source || type == RuleType::kMatchIpv6Dest ? 140 : 40));
    if (coin() && x.ip_mask < 128) {  // a clean prefix, often
      for (unsigned i = 0; i < 16; ++i) {
        const unsigned have = x.ip_mask > i * 8 ? std::min(x.ip_mask - i * 8, 8u) : 0;
        x.ip[i] &= have ? uint8_t(0xff << (8 - have)) : 0;
      }
    }
    x.tos_mask = uint8_t(r());
    x.tos_range = {uint8_t(u(64)), uint8_t(u(256))};
    x.ip_protocol = coin() ? uint8_t(6 + 11 * u(2)) : uint8_t(u(256));
    x.ethertype = ethertype();
    x.icmp_type = uint8_t(u(4) ? u(4) : r());
    x.icmp_code = uint8_t(u(3));
    x.icmp_flags = uint8_t(u(2));
    x.range = {uint16_t(u(100)), uint16_t(u(4) ? u(2000) : 65535)};
    x.characteristics = (coin() ? 0x8000000000000000ull : 0) | (coin() ? 0x4000000000000000ull : 0) |
                        (coin() ? 0x2000000000000000ull : 0) | (coin() ? 0x02 : 0) | (coin() ? 0x10 : 0) |
                        (coin(30) ? 0x0800000000000000ull << u(3) : 0);  // MAC, IP or neither
    x.random_probability = uint32_t(r());
    x.tag_id = uint32_t(1 + u(3));
    x.tag_value = uint32_t(u(6));
    x.int_start = u(300);
    x.int_end = uint32_t(u(300));
    x.int_index = uint16_t(u(70));
    x.int_format = uint8_t(u(64) | (coin() ? 0x80 : 0));
    return x;
  }

  // A table, as it comes back from the wire (fields of other types cleared).
  std::vector<Rule> table(size_t n) {
    std::vector<Rule> t;
    for (size_t i = 0; i < n; ++i) t.push_back(rule(true));
    if (coin(60)) t.push_back(Rule::action(coin() ? RuleType::kActionAccept : RuleType::kActionDrop));
    Bytes bin;
    wire::Writer w(bin);
    wire::write_rules(w, t);
    std::vector<Rule> back;
    EXPECT_EQ(wire::decode_rules(bin, back), wire::RuleStatus::kOk);
    return back;
  }

  std::vector<vl2::TagValue> tags() {
    std::vector<vl2::TagValue> t;
    for (uint32_t id = 1; id <= 3; ++id)
      if (coin(70)) t.push_back({id, uint32_t(u(6))});
    return t;
  }

  Bytes frame() {
    Bytes f(14);
    const auto d = mac(), s = mac();
    std::memcpy(f.data(), d.data(), 6);
    std::memcpy(f.data() + 6, s.data(), 6);
    const uint16_t et = coin(20) ? 0x86dd : ethertype();  // IPv6 more often: NDP emulation's sources
    f[12] = uint8_t(et >> 8);
    f[13] = uint8_t(et);
    size_t len = coin(15) ? u(48) : 20 + u(140);
    Bytes p(len);
    for (auto& b : p) b = uint8_t(r());
    if (et == 0x0800 && len >= 20) {
      p[0] = uint8_t(0x40 | (coin(85) ? 5 : u(16)));  // IHL 5 mostly, sometimes anything
      p[9] = coin(80) ? uint8_t(coin() ? 6 : (coin() ? 17 : 1)) : uint8_t(r());
      if (coin(70)) p[12] = p[16] = 10;
      if (coin(60)) std::memcpy(&p[12], kIps4[u(4)].data(), 4);  // a source a COO may name
      if (len >= 24 && coin(30)) p[20] = p[21] = 0;  // port 0
    } else if (et == 0x86dd && len >= 40) {
      static const uint8_t nh[] = {6, 17, 58, 0, 43, 60, 135, 44};
      p[6] = nh[u(8)];
      if (len >= 48) {
        p[40] = coin() ? 6 : 17;
        p[41] = uint8_t(u(3));
      }
      if (coin(70)) p[8] = p[24] = 10;
      if (coin(75)) std::memcpy(&p[8], kIps6[u(kIps6.size())].data(), 16);
      if (len >= 64 && coin(25)) {  // neighbor solicitation / advertisement: the target counts
        p[6] = 58;
        p[40] = coin() ? 0x87 : 0x88;
        std::memcpy(&p[48], kIps6[u(kIps6.size())].data(), 16);
      }
    } else if (et == 0x0806 && len >= 28 && coin(70)) {
      std::memcpy(&p[14], kIps4[u(4)].data(), 4);  // ARP sender protocol address
    }
    f.insert(f.end(), p.begin(), p.end());
    return f;
  }
};

uint64_t mac64(const std::array<uint8_t, 6>& m) {
  uint64_t v = 0;
  for (uint8_t b : m) v = v << 8 | b;
  return v;
}

// The member's view of ownership, as control/vl2/member_frames' CooOwnership:
// any of the sender's COOs, and inbound the NDP-emulated prefixes. Counts
// its answers so the test knows both were reached.
struct TestOwnership final : vl2::Ownership {
  std::span<const wire::CertificateOfOwnership> coos;
  const wire::NetworkConfig* ndp = nullptr;
  mutable size_t yes = 0, no = 0, ndp_only = 0;
  bool owns_ip(std::span<const uint8_t> ip) const override {
    const wire::InetAddress a = ip.size() == 4 ? wire::InetAddress::v4(ip.data(), 0) : wire::InetAddress::v6(ip.data(), 0);
    const bool by_coo = std::any_of(coos.begin(), coos.end(), [&](const auto& c) { return c.owns_ip(a); });
    const bool r = by_coo || (ndp && control::vl2::ndp_emulated_owner(*ndp, ip));
    ++(r ? yes : no);
    ndp_only += r && !by_coo;
    return r;
  }
  bool owns_mac(const vl2::Mac& mac) const override {
    bool r = false;
    for (const auto& c : coos)
      for (const auto& t : c.things)
        r |= t.type == wire::CooThing::kMac && std::equal(mac.begin(), mac.end(), t.value.begin());
    ++(r ? yes : no);
    return r;
  }
};

ipc::vl2::Credentials as_creds(const std::vector<vl2::TagValue>& tags, const std::vector<std::vector<Rule>>& caps,
                               const std::vector<wire::CertificateOfOwnership>& coos = {},
                               const wire::NetworkConfig* ndp = nullptr) {
  ipc::vl2::Credentials c;
  for (const auto& t : tags) c.tags.push_back({t.id, t.value});
  for (const auto& coo : coos)
    for (const auto& t : coo.things) {
      if (t.type == wire::CooThing::kIpv4) c.ips4.push_back({t.value[0], t.value[1], t.value[2], t.value[3]});
      if (t.type == wire::CooThing::kIpv6) std::copy_n(t.value.begin(), 16, c.ips6.emplace_back().begin());
      if (t.type == wire::CooThing::kMac) c.macs.push_back(control::port::mac_from_bytes(t.value.data()));
    }
  c.sort_owned();
  if (ndp) {
    const control::vl2::NdpPrefixes p = control::vl2::ndp_prefixes(*ndp);
    c.ndp_6plane = p.sixplane;
    c.ndp_rfc4193 = p.rfc4193;
  }
  uint32_t id = 100;
  for (const auto& k : caps) {
    ipc::vl2::Capability cap;
    cap.id = id++;
    wire::Writer w(cap.rules);
    wire::write_rules(w, k);
    c.caps.push_back(std::move(cap));
  }
  return c;
}

const char* name(fastpath::RuleVerdict v) {
  switch (v) {
    case fastpath::RuleVerdict::kDrop: return "drop";
    case fastpath::RuleVerdict::kAccept: return "accept";
    case fastpath::RuleVerdict::kSuperAccept: return "super-accept";
    case fastpath::RuleVerdict::kRedirect: return "redirect";
  }
  return "?";
}

TEST(Vl2RulesDiff, FastPathAgreesWithTheMembersEvaluator) {
  size_t frames = 0, tables_n = 0, verdicts[4] = {}, copies = 0, by_cap = 0;
  std::vector<vl2::TagValue> our_tags, peer_tags;
  std::vector<wire::CertificateOfOwnership> our_coos, peer_coos;
  tables::vl2::CompiledCreds ours, theirs;
  size_t owned_yes = 0, owned_no = 0, owned_ndp = 0;
  for (uint64_t seed = 1; seed <= 500; ++seed) {
    Gen g(seed);
    const bool unsupported = g.coin();
    // Our config: NDP emulation or not, our 6PLANE / RFC4193 addresses assigned or not.
    wire::NetworkConfig cfg;
    cfg.network_id = kNwid;
    cfg.issued_to = kSelf;
    cfg.flags = g.coin(70) ? wire::kConfigFlagNdpEmulation : 0;
    if (g.coin(60)) cfg.static_ips.push_back(control::port::sixplane_address(kNwid, kSelf));
    if (g.coin(60)) cfg.static_ips.push_back(control::port::rfc4193_address(kNwid, kSelf));
    const std::vector<Rule> base = g.table(g.u(12));
    std::vector<std::vector<Rule>> our_caps, peer_caps;
    for (uint64_t i = g.u(4); i > 0; --i) our_caps.push_back(g.table(1 + g.u(8)));
    for (uint64_t i = g.u(4); i > 0; --i) peer_caps.push_back(g.table(1 + g.u(8)));
    auto compiled = std::make_unique<tables::vl2::CompiledRules>();
    ASSERT_TRUE(tables::vl2::compile_rules(base, unsupported, compiled.get()));
    ++tables_n;
    std::vector<std::span<const Rule>> our_spans(our_caps.begin(), our_caps.end());
    std::vector<std::span<const Rule>> peer_spans(peer_caps.begin(), peer_caps.end());

    for (int k = 0; k < 60; ++k) {
      // Tags change every few frames: a table's tag matches meet many values.
      if (k % 4 == 0) {
        our_tags = g.tags();
        peer_tags = g.tags();
        our_coos = g.coos();
        peer_coos = g.coos();
        ASSERT_TRUE(tables::vl2::decode_creds(ipc::vl2::creds_blob(as_creds(our_tags, our_caps, our_coos, &cfg)), &ours));
        ASSERT_TRUE(tables::vl2::decode_creds(ipc::vl2::creds_blob(as_creds(peer_tags, peer_caps, peer_coos)), &theirs));
      }
      const vl2::TagSet peer_set{peer_tags};
      const Bytes f = g.frame();
      vl2::FrameView fv;
      ASSERT_TRUE(vl2::parse_ethernet(f, fv));
      const bool inbound = g.coin();
      const bool known = inbound || g.coin(70);  // inbound the sender is always a member
      const uint64_t peer = !inbound && g.coin(20) ? 0 : kPeer;
      const uint64_t rnd_seed = 0x1234 + seed * 77 + uint64_t(k);

      vl2::SeededRandom rng(rnd_seed);
      vl2::FilterInput in;
      in.direction = inbound ? vl2::Direction::kInbound : vl2::Direction::kOutbound;
      in.self = kSelf;
      in.peer = peer;
      in.frame = &fv;
      in.local_tags = vl2::TagSet{our_tags};
      in.remote_tags = known && peer ? &peer_set : nullptr;
      in.random = &rng;
      in.unsupported_match_result = unsupported;
      // Ownership: outbound ours; inbound the sender's and the emulated prefixes.
      TestOwnership own;
      own.coos = inbound ? std::span<const wire::CertificateOfOwnership>(peer_coos) : our_coos;
      own.ndp = inbound ? &cfg : nullptr;
      in.ownership = &own;
      const vl2::FilterResult want = vl2::evaluate(in, base, inbound ? peer_spans : our_spans);
      owned_yes += own.yes;
      owned_no += own.no;
      owned_ndp += own.ndp_only;

      fastpath::RuleFrame rf;
      rf.inbound = inbound;
      rf.self = kSelf;
      rf.peer = peer;
      rf.mac_source = mac64(fv.source);
      rf.mac_dest = mac64(fv.dest);
      rf.ethertype = fv.ethertype;
      rf.payload = fv.payload.data();
      rf.payload_len = uint32_t(fv.payload.size());
      rf.local = &ours;
      rf.remote = known && peer ? &theirs : nullptr;
      // The member evaluator asks the sender's capabilities inbound even
      // without its tags; the gateway always knows an inbound sender.
      uint64_t rnd = rnd_seed;
      const fastpath::RuleResult got = fastpath::rules_evaluate(compiled.get(), rf, &rnd);

      ++frames;
      const auto wv = unsigned(want.verdict);
      SCOPED_TRACE(testing::Message() << "seed " << seed << " frame " << k << (inbound ? " in" : " out"));
      // Verdict enums are in the same order (drop, accept, super-accept, redirect).
      ASSERT_STREQ(name(got.verdict), vl2::to_string(want.verdict));
      ++verdicts[wv];
      ASSERT_EQ(got.capability, want.capability);
      by_cap += got.capability >= 0;
      if (want.verdict == vl2::Verdict::kDrop) continue;  // copies are not sent
      ASSERT_EQ(got.redirect_to, want.redirect_to);
      ASSERT_EQ(got.copy.to, want.copy.address);
      ASSERT_EQ(got.cap_copy.to, want.capability_copy.address);
      if (want.copy.address) {
        ASSERT_EQ(got.copy.len, want.copy.length);
        ASSERT_EQ(got.copy.watch, want.copy.watch);
        ++copies;
      }
      if (want.capability_copy.address) {
        ASSERT_EQ(got.cap_copy.len, want.capability_copy.length);
        ASSERT_EQ(got.cap_copy.watch, want.capability_copy.watch);
        ++copies;
      }
    }
  }
  // The generator must reach every outcome, or the comparison proves little.
  for (size_t v : verdicts) EXPECT_GT(v, 20u);
  EXPECT_GT(copies, 50u);
  EXPECT_GT(by_cap, 100u);
  EXPECT_GT(owned_yes, 500u);  // SENDER_*_AUTHENTICATED asked and answered both ways
  EXPECT_GT(owned_no, 500u);
  EXPECT_GT(owned_ndp, 100u);  // by NDP emulation alone
  std::printf("%zu tables, %zu frames: drop %zu accept %zu super-accept %zu redirect %zu, %zu copies, %zu by a capability, "
              "ownership owned %zu (by NDP emulation alone %zu) / not %zu\n",
              tables_n, frames, verdicts[0], verdicts[1], verdicts[2], verdicts[3], copies, by_cap, owned_yes, owned_ndp, owned_no);
}

// The credentials blob's bounds: unsorted tags, too many, a truncated
// capability and trailing bytes are refused.
TEST(Vl2RulesDiff, CredentialsBlobRefusesMalformed) {
  tables::vl2::CompiledCreds c;
  ipc::vl2::Credentials ok;
  ok.tags = {{1, 5}, {9, 7}};
  ok.caps.push_back({42, {0x01, 0x00}});
  Bytes b = ipc::vl2::creds_blob(ok);
  ASSERT_TRUE(tables::vl2::decode_creds(b, &c));
  EXPECT_EQ(c.n_tags, 2u);
  ASSERT_NE(c.tag(9), nullptr);
  EXPECT_EQ(*c.tag(9), 7u);
  EXPECT_EQ(c.tag(2), nullptr);
  ASSERT_EQ(c.n_caps, 1u);
  EXPECT_EQ(c.caps[0].id, 42u);
  EXPECT_EQ(c.caps[0].n, 1u);
  Bytes trailing = b;
  trailing.push_back(0);
  EXPECT_FALSE(tables::vl2::decode_creds(trailing, &c));
  EXPECT_FALSE(tables::vl2::decode_creds(Bytes(b.begin(), b.end() - 1), &c));
  ipc::vl2::Credentials unsorted;
  unsorted.tags = {{9, 1}, {1, 1}};
  EXPECT_FALSE(tables::vl2::decode_creds(ipc::vl2::creds_blob(unsorted), &c));
  ipc::vl2::Credentials many;
  for (uint32_t i = 0; i < 65; ++i) many.tags.push_back({i, 0});
  EXPECT_FALSE(tables::vl2::decode_creds(ipc::vl2::creds_blob(many), &c));
  EXPECT_TRUE(ipc::vl2::creds(1, 0, many).empty());
  ipc::vl2::Credentials bad_rules;
  bad_rules.caps.push_back({1, {0x25, 0x01}});  // truncated ETHERTYPE
  EXPECT_FALSE(tables::vl2::decode_creds(ipc::vl2::creds_blob(bad_rules), &c));
}

// The ownership section: round trip and lookups, an old blob (none) owns
// nothing, unsorted or duplicate lists, too many things, unknown NDP bits
// and bytes after the prefixes are refused -- by the builder (no commands,
// which the reconciler counts as creds_refused) and by the decoder.
TEST(Vl2RulesDiff, CredentialsOwnershipSection) {
  tables::vl2::CompiledCreds c;
  ipc::vl2::Credentials ok;
  ok.tags = {{1, 5}};
  ok.ips4 = {{10, 0, 0, 9}, {10, 0, 0, 1}};
  ok.ips6 = {kIps6[3], kIps6[0]};
  ok.macs = {0x020000000003, 0x020000000001};
  ok.sort_owned();
  ok.ndp_rfc4193 = std::array<uint8_t, 11>{};
  std::copy_n(kIps6[1].begin(), 11, ok.ndp_rfc4193->begin());
  const Bytes b = ipc::vl2::creds_blob(ok);
  ASSERT_TRUE(tables::vl2::decode_creds(b, &c));
  EXPECT_EQ(c.n_ips4, 2u);
  EXPECT_TRUE(c.owns_ip4(0x0a000009));
  EXPECT_FALSE(c.owns_ip4(0x0a000002));
  EXPECT_TRUE(c.owns_ip6(kIps6[3].data()));
  EXPECT_FALSE(c.owns_ip6(kIps6[2].data()));
  EXPECT_TRUE(c.owns_mac(0x020000000001));
  EXPECT_FALSE(c.owns_mac(0x020000000002));
  EXPECT_TRUE(c.ndp_emulated(kIps6[3].data()));   // kOther's RFC4193: the same /88
  EXPECT_FALSE(c.ndp_emulated(kIps6[2].data()));  // 6PLANE: not emulated here
  EXPECT_FALSE(c.ndp_emulated(kIps6[4].data()));  // another network's /88
  EXPECT_EQ(ipc::vl2::creds(1, 2, ok).size(), (b.size() + FLATNET_IPC_VL2_RULES_CHUNK - 1) / FLATNET_IPC_VL2_RULES_CHUNK);
  // Without owned things the blob is the old one and decodes to nothing owned.
  ipc::vl2::Credentials plain;
  plain.tags = ok.tags;
  ASSERT_TRUE(tables::vl2::decode_creds(ipc::vl2::creds_blob(plain), &c));
  EXPECT_EQ(c.n_ips4 + c.n_ips6 + c.n_macs + c.ndp, 0u);
  EXPECT_FALSE(c.owns_ip4(0x0a000009));
  Bytes extra = b;
  extra.push_back(0);
  EXPECT_FALSE(tables::vl2::decode_creds(extra, &c));
  EXPECT_FALSE(tables::vl2::decode_creds(Bytes(b.begin(), b.end() - 1), &c));
  Bytes bad_ndp = b;
  bad_ndp[bad_ndp.size() - 12] |= 0x04;  // the ndp byte: an unknown bit
  EXPECT_FALSE(tables::vl2::decode_creds(bad_ndp, &c));
  ipc::vl2::Credentials unsorted = ok;
  std::swap(unsorted.macs[0], unsorted.macs[1]);
  EXPECT_FALSE(tables::vl2::decode_creds(ipc::vl2::creds_blob(unsorted), &c));
  ipc::vl2::Credentials dup = ok;
  dup.ips4[1] = dup.ips4[0];
  EXPECT_FALSE(tables::vl2::decode_creds(ipc::vl2::creds_blob(dup), &c));
  ipc::vl2::Credentials many;
  for (unsigned i = 0; i <= FLATNET_IPC_VL2_CREDS_MAX_OWNED; ++i) many.ips4.push_back({10, 1, uint8_t(i >> 8), uint8_t(i)});
  EXPECT_TRUE(ipc::vl2::creds(1, 2, many).empty());
  EXPECT_FALSE(tables::vl2::decode_creds(ipc::vl2::creds_blob(many), &c));
  many.ips4.pop_back();
  EXPECT_FALSE(ipc::vl2::creds(1, 2, many).empty());
  EXPECT_TRUE(tables::vl2::decode_creds(ipc::vl2::creds_blob(many), &c));
  EXPECT_EQ(c.n_ips4, FLATNET_IPC_VL2_CREDS_MAX_OWNED);
}

}  // namespace
}  // namespace flatnet::test
