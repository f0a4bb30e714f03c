// The gateway's rule evaluator (dataplane/fastpath/vl2_rules.cpp, on the
// compiled tables and credentials of dataplane/tables/vl2_rules) against the
// member's (control/vl2/rules_engine): random rule tables with capabilities
// and tags, and many frames (random and edge cases: short IP headers, IPv6
// extension headers, ports 0, tagged frames, broadcast), both directions,
// with and without the peer's membership. Every verdict, redirect target,
// copy (target, length, watch) and accepting capability must agree.
// Capabilities and tags go through the CREDS_CHUNK blob (ipc::vl2::creds_blob
// -> tables::vl2::decode_creds) as control sends them. Pure: no EAL.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

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
                                                 {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, {0x33, 0x33, 0, 0, 0, 1}};
    return m[u(4)];
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
    // Every match type 24..51, the tag matches (44..50) more often.
    const auto type = coin(30) ? RuleType(44 + u(7)) : RuleType(24 + u(28));
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
                        (coin(10) ? 0x1800000000000000ull : 0);
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
    const uint16_t et = ethertype();
    f[12] = uint8_t(et >> 8);
    f[13] = uint8_t(et);
    size_t len = coin(15) ? u(48) : 20 + u(140);
    Bytes p(len);
    for (auto& b : p) b = uint8_t(r());
    if (et == 0x0800 && len >= 20) {
      p[0] = uint8_t(0x40 | (coin(85) ? 5 : u(16)));  // IHL 5 mostly, sometimes anything
      p[9] = coin(80) ? uint8_t(coin() ? 6 : (coin() ? 17 : 1)) : uint8_t(r());
      if (coin(70)) p[12] = p[16] = 10;
      if (len >= 24 && coin(30)) p[20] = p[21] = 0;  // port 0
    } else if (et == 0x86dd && len >= 40) {
      static const uint8_t nh[] = {6, 17, 58, 0, 43, 60, 135, 44};
      p[6] = nh[u(8)];
      if (len >= 48) {
        p[40] = coin() ? 6 : 17;
        p[41] = uint8_t(u(3));
      }
      if (coin(70)) p[8] = p[24] = 10;
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

ipc::vl2::Credentials as_creds(const std::vector<vl2::TagValue>& tags, const std::vector<std::vector<Rule>>& caps) {
  ipc::vl2::Credentials c;
  for (const auto& t : tags) c.tags.push_back({t.id, t.value});
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
  tables::vl2::CompiledCreds ours, theirs;
  for (uint64_t seed = 1; seed <= 500; ++seed) {
    Gen g(seed);
    const bool unsupported = g.coin();
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
        ASSERT_TRUE(tables::vl2::decode_creds(ipc::vl2::creds_blob(as_creds(our_tags, our_caps)), &ours));
        ASSERT_TRUE(tables::vl2::decode_creds(ipc::vl2::creds_blob(as_creds(peer_tags, peer_caps)), &theirs));
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
      const vl2::FilterResult want = vl2::evaluate(in, base, inbound ? peer_spans : our_spans);

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
  std::printf("%zu tables, %zu frames: drop %zu accept %zu super-accept %zu redirect %zu, %zu copies, %zu by a capability\n",
              tables_n, frames, verdicts[0], verdicts[1], verdicts[2], verdicts[3], copies, by_cap);
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

}  // namespace
}  // namespace flatnet::test
