// Fuzz target: the gateway's VL2 decap path (and, with bit 7 of byte 0, the
// encap path). Byte 0 picks the sender: bits 0-1 one of four peers (a
// member, a bridge, a non-member with a key, a peer without a key), bit 2
// suite 3 instead of 1, bit 3 leave the packet unarmored (the bytes as
// received, mostly failing authentication), bit 7 treat the rest as a LAN
// frame for vl2_encap, bit 4 set the FRAGMENTED flag before armor (a head
// that waits for fragments), bit 5 the rest is a raw fragment datagram
// (bytes 0.. as received, joined with earlier heads of the same id). Otherwise the rest is the VL1 packet from byte 27
// (verb and payload) that the target armors as the sender would, so the
// frame parsers behind the MAC check are reached. The rules TEE every frame,
// and credentials with capabilities that WATCH and REDIRECT and owned
// addresses (SENDER_*_AUTHENTICATED) are installed, so the rules' outputs
// and the ownership check are reached too. Invariant: every packet goes to the
// LAN, is punted, redirected, or is counted as a drop.
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "crypto/armor.hpp"
#include "dataplane/fastpath/vl2.hpp"
#include "dataplane/ipc/vl2_commands.hpp"
#include "dataplane/wire/rules.hpp"
#include "dataplane/wire/vl1.hpp"
#include "tests/packet/fuzz_eal.hpp"

using namespace flatnet::fastpath;
namespace tv = flatnet::tables::vl2;
namespace wire = flatnet::wire;

namespace {

constexpr uint64_t kNw = 0x8056c2e21c000001ull;
constexpr uint64_t kSelf = 0x1111111111;
constexpr uint64_t kPeers[4] = {0x0a0a0a0a0a, 0x0b0b0b0b0b, 0x0c0c0c0c0c, 0x0f0f0f0f0f};

flatnet::crypto::SharedKey key_for(uint64_t addr) {
  flatnet::crypto::SharedKey k;
  for (size_t i = 0; i < k.size(); ++i) k.data()[i] = uint8_t(addr * 7 + i);
  return k;
}

struct World {
  rte_mempool* pool = nullptr;
  Underlay u;
  Switches sw;
  ControlHooks hooks;
  CoreCounters c;
  NeighborTable* neigh = nullptr;
  Worker w;
  std::unique_ptr<tv::Vl2Tables> t;
  Vl2Port port;
  std::unique_ptr<flatnet::crypto::PeerKeys> keys[4];
};

World* world() {
  static World* g = [] {
    flatnet::test::fuzz_eal_init("flatnet-fuzz-vl2", "128");
    auto* x = new World;
    x->pool = make_pool("fuzz_vl2_pool", 1023, 0);
    if (!x->pool) std::abort();
    x->u.mac = Mac{{2, 0, 0, 0, 0, 1}};
    uint8_t ip4[4] = {10, 0, 0, 1};
    x->u.ip4 = IpAddr::v4(ip4);
    x->u.prefix4 = 24;
    x->sw.self_address = kSelf;
    NeighborTable::Limits lim;
    lim.capacity = 64;
    lim.pending_max = 16;
    x->neigh = new NeighborTable(lim, rte_get_tsc_hz());
    x->hooks.ctx = x;
    x->hooks.lookup = [](void*, const uint64_t* a, unsigned n, PathView* p, bool* f) {
      for (unsigned i = 0; i < n; ++i) {
        f[i] = a[i] != kPeers[2];
        p[i] = PathView{};
        p[i].family = Family::kV4;
        p[i].port = 9993;
        p[i].ip[0] = 10;
        p[i].ip[3] = uint8_t(a[i]);
      }
    };
    x->w.u = &x->u;
    x->w.sw = &x->sw;
    x->w.neigh = x->neigh;
    x->w.pool = x->pool;
    x->w.hooks = &x->hooks;
    x->w.c = &x->c;
    worker_init(x->w, rte_get_tsc_hz());

    auto* qs = static_cast<rte_rcu_qsbr*>(rte_zmalloc(nullptr, rte_rcu_qsbr_get_memsize(1), 64));
    if (!qs || rte_rcu_qsbr_init(qs, 1) != 0) std::abort();
    tv::Vl2Params p;
    p.name = "fuzzvl2";
    p.mac_capacity = 256;
    p.learn_ring_size = 64;
    std::string err;
    x->t = tv::Vl2Tables::create(p, qs, &err);
    if (!x->t) std::abort();
    tv::NetworkSettings s;
    s.nwid = kNw;
    s.mac_capacity = 64;
    x->t->network_set(s);
    x->t->member_set(kNw, kPeers[0], tv::MemberWord::kPresent | tv::MemberWord::kComValid);
    x->t->member_set(kNw, kPeers[1], tv::MemberWord::kPresent | tv::MemberWord::kComValid | tv::MemberWord::kBridge);
    for (int i = 0; i < 3; ++i) x->t->key_set(kPeers[i], key_for(kPeers[i]));
    x->t->subscriber_add(kNw, 0xffffffffffffull, 0, kPeers[0]);
    // Rules that reach most matches: each set drops a slice, the rest is accepted.
    {
      using wire::Rule;
      using wire::RuleType;
      std::vector<Rule> r;
      auto match = [&](RuleType t, auto&& fill) {
        Rule m;
        m.t = uint8_t(t);
        fill(m);
        r.push_back(m);
      };
      // A TEE of every frame's first 64 bytes to the bridge (rule outputs, vl2_forward).
      Rule tee = Rule::action(RuleType::kActionTee);
      tee.address = kPeers[1];
      tee.fwd_length = 64;
      r.push_back(tee);
      match(RuleType::kMatchIpv4Dest, [](Rule& m) { m.ip[0] = 10; m.ip[1] = 9; m.ip_mask = 16; });
      r.push_back(Rule::action(RuleType::kActionDrop));
      match(RuleType::kMatchIpDestPortRange, [](Rule& m) { m.range = {7, 9}; });
      match(RuleType::kMatchIcmp, [](Rule& m) { m.t |= wire::kRuleOr; m.icmp_type = 13; m.icmp_flags = 1; m.icmp_code = 0; });
      r.push_back(Rule::action(RuleType::kActionDrop));
      match(RuleType::kMatchIpv6Source, [](Rule& m) { m.ip[0] = 0xfd; m.ip_mask = 8; });
      // SYN, or a sender whose certificates of ownership do not cover its source.
      match(RuleType::kMatchCharacteristics, [](Rule& m) { m.characteristics = 0x2; });
      match(RuleType::kMatchCharacteristics, [](Rule& m) {
        m.t |= wire::kRuleOr | wire::kRuleNot;
        m.characteristics = 0x1800000000000000ull;
      });
      match(RuleType::kMatchIpTos, [](Rule& m) { m.t |= wire::kRuleNot; m.tos_mask = 0xfc; m.tos_range = {0, 0}; });
      r.push_back(Rule::action(RuleType::kActionDrop));
      match(RuleType::kMatchFrameSizeRange, [](Rule& m) { m.range = {1000, 1010}; });
      match(RuleType::kMatchRandom, [](Rule& m) { m.random_probability = 0x80000000u; });
      r.push_back(Rule::action(RuleType::kActionBreak));
      match(RuleType::kMatchTagsEqual, [](Rule& m) { m.tag_id = 1; });
      r.push_back(Rule::action(RuleType::kActionRedirect));
      match(RuleType::kMatchMacSource, [](Rule& m) { m.t |= wire::kRuleNot; m.mac = {0, 0, 0, 0, 0, 1}; });
      r.push_back(Rule::action(RuleType::kActionAccept));
      std::vector<uint8_t> bin;
      wire::Writer w(bin);
      wire::write_rules(w, r);
      if (x->t->rules_set(kNw, bin, false) != FLATNET_IPC_OK) std::abort();
      // Credentials (tags, and capabilities that WATCH and REDIRECT): ours
      // for encap, the member's for decap, installed through CREDS_CHUNK.
      r.clear();
      match(RuleType::kMatchTagsBitwiseXor, [](Rule& m) { m.tag_id = 1; m.tag_value = 0; });
      match(RuleType::kMatchEthertype, [](Rule& m) { m.ethertype = 0x0806; });
      Rule watch = Rule::action(RuleType::kActionWatch);
      watch.address = kPeers[0];
      r.push_back(watch);
      match(RuleType::kMatchTagSender, [](Rule& m) { m.tag_id = 1; m.tag_value = 5; });
      Rule redirect = Rule::action(RuleType::kActionRedirect);
      redirect.address = kPeers[1];
      r.push_back(redirect);
      r.push_back(Rule::action(RuleType::kActionAccept));
      flatnet::ipc::vl2::Credentials c;
      c.tags = {{1, 5}, {2, 9}};
      c.caps.push_back({1, {}});
      wire::Writer cw(c.caps[0].rules);
      wire::write_rules(cw, r);
      // Owned addresses (10.9.0.1, fd00::1, a MAC) and, ours, an emulated /88.
      c.ips4 = {{10, 9, 0, 1}};
      c.ips6 = {{0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};
      c.macs = {0x020000000001ull};
      for (uint64_t a : {uint64_t(0), kPeers[0]}) {
        if (a == 0) c.ndp_rfc4193 = std::array<uint8_t, 11>{0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0x99, 0x93};
        else c.ndp_rfc4193.reset();
        for (const auto& cmd : flatnet::ipc::vl2::creds(kNw, a, c))
          if (x->t->apply(cmd) != FLATNET_IPC_OK) std::abort();
      }
    }
    for (int i = 0; i < 4; ++i) x->keys[i] = std::make_unique<flatnet::crypto::PeerKeys>(key_for(kPeers[i]));
    x->port.tables = x->t.get();
    x->port.nwid = kNw;
    x->port.reasm.big = make_pool("fuzz_vl2_big", 63, 0, uint16_t(10240 + RTE_PKTMBUF_HEADROOM));
    if (!x->port.reasm.big) std::abort();
    x->port.reasm.timeout = rte_get_tsc_hz() / 1000;
    return x;
  }();
  // The tables keep key sets and subscriber lists behind rte_hash data
  // words, where LeakSanitizer cannot see them: free them at exit.
  static const int freed_at_exit = std::atexit([] { g->t.reset(); });
  (void)freed_at_exit;
  return g;
}

uint64_t accounted(const World& x) {
  return x.c.drops_total() + x.c.vl2_decap_frames + x.c.vl2_decap_punted + x.c.vl2_reasm_held +
         x.c.vl2_rules_redirects;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2 || size > 1800) return 0;
  World& x = *world();
  const uint8_t mode = data[0];
  rte_mbuf* m = rte_pktmbuf_alloc(x.pool);
  if (!m) return 0;
  if (mode & 0x80) {  // a LAN frame into encap: no crash, nothing leaks
    char* d = rte_pktmbuf_append(m, uint16_t(size - 1));
    if (!d) {
      rte_pktmbuf_free(m);
      return 0;
    }
    std::memcpy(d, data + 1, size - 1);
    vl2_encap(x.w, x.port, &m, 1);
  } else {
    const unsigned who = mode & 3;
    const size_t len = wire::kIdxVerb + (size - 1);
    uint8_t* d = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, uint16_t(len)));
    if (!d) {
      rte_pktmbuf_free(m);
      return 0;
    }
    std::memset(d, 0, wire::kIdxVerb);
    wire::write_be64(d, 0x0102030405060708ull + size);
    wire::write_addr40(d + wire::kIdxDest, kSelf);
    wire::write_addr40(d + wire::kIdxSource, kPeers[who]);
    std::memcpy(d + wire::kIdxVerb, data + 1, size - 1);
    if (mode & 0x10) d[wire::kIdxFlags] |= wire::kFlagFragmented;
    const bool raw_fragment = (mode & 0x20) && size - 1 > wire::kFragmentHeaderLength;
    if (raw_fragment) {  // the input itself, from byte 1, is the datagram
      rte_pktmbuf_trim(m, uint16_t(len - (size - 1)));
      d = rte_pktmbuf_mtod(m, uint8_t*);
      std::memcpy(d, data + 1, size - 1);
      d[wire::kFragIdxIndicator] = wire::kFragmentIndicator;
    } else if (!(mode & 8)) {
      auto suite = (mode & 4) ? flatnet::crypto::Suite::kAesGmacSiv : flatnet::crypto::Suite::kSalsa2012Poly1305;
      flatnet::crypto::armor({d, len}, *x.keys[who], suite);
    }
    PktMeta* pm = meta(m);
    *pm = PktMeta{};
    pm->data_len = uint16_t(raw_fragment ? size - 1 : len);
    pm->vl1_dst = kSelf;
    pm->vl1_src = raw_fragment ? 0 : kPeers[who];
    pm->is_fragment = raw_fragment;
    pm->action = Vl1Action::kPunt;
    const uint64_t before = accounted(x);
    rte_mbuf* punt[kDecapPuntMax];
    uint16_t np = 0;
    vl2_decap(x.w, x.port, &m, 1, punt, &np);
    const uint64_t moved = accounted(x) - before + np;
    if (moved == 0 && x.port.lan_tx.n == 0) {
      std::fprintf(stderr, "fuzz_vl2: a packet vanished without a count\n");
      std::abort();
    }
    if (np) rte_pktmbuf_free_bulk(punt, np);
  }
  if (x.port.lan_tx.n) rte_pktmbuf_free_bulk(x.port.lan_tx.pkts, x.port.lan_tx.n);
  x.port.lan_tx.n = 0;
  if (x.w.tx.n) rte_pktmbuf_free_bulk(x.w.tx.pkts, x.w.tx.n);
  x.w.tx.n = 0;
  housekeeping(x.w);
  if (x.w.tx.n) rte_pktmbuf_free_bulk(x.w.tx.pkts, x.w.tx.n);
  x.w.tx.n = 0;
  x.t->drain_learn(64);
  x.t->reclaim();
  return 0;
}
