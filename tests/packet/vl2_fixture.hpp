// The fixture of the gateway's VL2 stage tests (vl2_test.cpp,
// vl2_rules_test.cpp): VL2 tables with one network, members A, B and a
// bridge with keys, a stranger with a key only; paths and neighbours for
// them; helpers that build armored VL1 packets and LAN frames, run
// vl2_decap / vl2_encap and open what encap sent.
#pragma once

#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "crypto/armor.hpp"
#include "dataplane/fastpath/vl2.hpp"
#include "dataplane/wire/fragment.hpp"
#include "dataplane/wire/rules.hpp"
#include "dataplane/wire/vl1.hpp"
#include "dataplane/wire/vl2_frame.hpp"
#include "tests/packet/harness.hpp"

namespace flatnet::test {
namespace {

namespace v2 = flatnet::wire::vl2;
using tables::vl2::MemberWord;
using tables::vl2::Vl2Tables;

constexpr uint64_t kNw = 0x8056c2e21c000001ull;
constexpr uint64_t kSelf = Harness::kSelf;
constexpr uint64_t kBridge = 0x0d0d0d0d0d;   // another bridge of the network
constexpr uint64_t kStranger = 0x0e0e0e0e0e; // has a key, not a member

crypto::SharedKey key_for(uint64_t addr) {
  crypto::SharedKey k;
  for (size_t i = 0; i < k.size(); ++i) k.data()[i] = uint8_t(addr * 7 + i);
  return k;
}

struct Vl2Fixture : testing::Test {
  Harness h;
  rte_rcu_qsbr* qs = nullptr;
  std::unique_ptr<Vl2Tables> t;
  Vl2Port port;

  void SetUp() override {
    static int n = 0;
    qs = static_cast<rte_rcu_qsbr*>(rte_zmalloc(nullptr, rte_rcu_qsbr_get_memsize(2), 64));
    ASSERT_EQ(rte_rcu_qsbr_init(qs, 2), 0);
    tables::vl2::Vl2Params p;
    p.name = "v2f" + std::to_string(n++);
    p.learn_ring_size = 256;
    std::string err;
    t = Vl2Tables::create(p, qs, &err);
    ASSERT_TRUE(t) << err;
    tables::vl2::NetworkSettings s;
    s.nwid = kNw;
    s.mtu = 2800;
    ASSERT_EQ(t->network_set(s), FLATNET_IPC_OK);
    const uint64_t member = MemberWord::kPresent | MemberWord::kComValid;
    ASSERT_EQ(t->member_set(kNw, kA, member), FLATNET_IPC_OK);
    ASSERT_EQ(t->member_set(kNw, kB, member), FLATNET_IPC_OK);
    ASSERT_EQ(t->member_set(kNw, kBridge, member | MemberWord::kBridge), FLATNET_IPC_OK);
    ASSERT_EQ(t->key_set(kA, key_for(kA), crypto::Suite::kSalsa2012Poly1305), FLATNET_IPC_OK);
    ASSERT_EQ(t->key_set(kB, key_for(kB), crypto::Suite::kAesGmacSiv), FLATNET_IPC_OK);
    ASSERT_EQ(t->key_set(kBridge, key_for(kBridge)), FLATNET_IPC_OK);
    ASSERT_EQ(t->key_set(kStranger, key_for(kStranger)), FLATNET_IPC_OK);
    port.tables = t.get();
    port.nwid = kNw;
    port.packet_id = 0x1000;
    // One pool for every test file that includes this fixture (a name is process-wide).
    static rte_mempool* big = rte_mempool_lookup("vl2_big")
                                  ? rte_mempool_lookup("vl2_big")
                                  : make_pool("vl2_big", 127, SOCKET_ID_ANY, uint16_t(10240 + RTE_PKTMBUF_HEADROOM));
    ASSERT_NE(big, nullptr);
    port.reasm.big = big;
    port.reasm.timeout = 1000;
    h.add_path4(kA, kIpA, 9993);
    h.add_path4(kB, kIpB, 9993);
    h.add_path4(kBridge, kIpC, 9993);
    h.add_neighbor4(kIpA, kMacA);
    h.add_neighbor4(kIpB, kMacB);
    h.add_neighbor4(kIpC, kMacB);
  }
  void TearDown() override {
    if (port.lan_tx.n) rte_pktmbuf_free_bulk(port.lan_tx.pkts, port.lan_tx.n);
    if (h.w.tx.n) rte_pktmbuf_free_bulk(h.w.tx.pkts, h.w.tx.n);
    h.w.tx.n = 0;
    t.reset();
    rte_free(qs);
  }

  // A VL1 packet from `src` to us with verb and payload, armored as `suite`.
  static Bytes vl1(uint64_t src, uint8_t verb, const Bytes& payload, crypto::Suite suite,
                   uint64_t id = 0x0102030405060708ull) {
    Bytes p(wire::kPacketHeaderLength, 0);
    wire::write_be64(p.data(), id);
    wire::write_addr40(p.data() + wire::kIdxDest, kSelf);
    wire::write_addr40(p.data() + wire::kIdxSource, src);
    p[wire::kIdxVerb] = verb;
    p.insert(p.end(), payload.begin(), payload.end());
    wire::set_fragmented_flag(p.data(), p.size());
    crypto::PeerKeys k(key_for(src));
    crypto::armor(p, k, suite);
    return p;
  }
  static Bytes frame_payload(const Bytes& data, uint16_t type = 0x0800) {
    Bytes b(8);
    wire::write_be64(b.data(), kNw);
    put16(b, type);
    b.insert(b.end(), data.begin(), data.end());
    return b;
  }
  static Bytes ext_payload(uint64_t dst, uint64_t src, const Bytes& data, uint8_t flags = 0) {
    Bytes b(8);
    wire::write_be64(b.data(), kNw);
    b.push_back(flags);
    uint8_t m[6];
    v2::write_mac(m, dst);
    put(b, m, 6);
    v2::write_mac(m, src);
    put(b, m, 6);
    put16(b, 0x0800);
    b.insert(b.end(), data.begin(), data.end());
    return b;
  }

  // Feeds datagrams (as vl1_classify would leave them) to vl2_decap, each
  // after `lead` bytes of 0xee in its mbuf (as outer headers would be).
  struct DecapOut {
    std::vector<Bytes> lan, punted;
  };
  uint64_t now = 1;  // the worker's TSC for the next decap
  DecapOut decap(const std::vector<Bytes>& dgrams, uint16_t lead = 0) {
    rte_mbuf* pkts[kBurst];
    uint16_t n = 0;
    for (const Bytes& d : dgrams) {
      rte_mbuf* m = rte_pktmbuf_alloc(EalEnv::pool());
      char* at = rte_pktmbuf_append(m, uint16_t(lead + d.size()));
      EXPECT_NE(at, nullptr) << "datagram larger than an mbuf";
      if (!at) {
        rte_pktmbuf_free(m);
        continue;
      }
      std::memset(at, 0xee, lead);
      std::memcpy(at + lead, d.data(), d.size());
      PktMeta* pm = meta(m);
      *pm = PktMeta{};
      pm->data_off = lead;
      pm->data_len = uint16_t(d.size());
      pm->is_fragment = wire::classify(d.data(), d.size()) == wire::DatagramKind::kFragment;
      pm->vl1_dst = pm->is_fragment ? wire::fragment_dest(d.data()) : wire::packet_dest(d.data());
      pm->vl1_src = pm->is_fragment ? 0 : wire::packet_source(d.data());
      pm->src_port = 9993;
      pm->action = Vl1Action::kPunt;
      pkts[n++] = m;
    }
    rte_mbuf* punt[kDecapPuntMax];
    uint16_t np = 0;
    h.w.now = now;
    vl2_decap(h.w, port, pkts, n, punt, &np);
    DecapOut o;
    for (uint16_t i = 0; i < port.lan_tx.n; ++i) o.lan.push_back(bytes_of(port.lan_tx.pkts[i]));
    if (port.lan_tx.n) rte_pktmbuf_free_bulk(port.lan_tx.pkts, port.lan_tx.n);
    port.lan_tx.n = 0;
    for (uint16_t i = 0; i < np; ++i) {
      PktMeta* pm = meta(punt[i]);
      o.punted.push_back(Bytes(rte_pktmbuf_mtod_offset(punt[i], uint8_t*, pm->data_off),
                               rte_pktmbuf_mtod_offset(punt[i], uint8_t*, pm->data_off) + pm->data_len));
    }
    if (np) rte_pktmbuf_free_bulk(punt, np);
    return o;
  }
  static Bytes bytes_of(rte_mbuf* m) {
    auto* p = rte_pktmbuf_mtod(m, uint8_t*);
    return Bytes(p, p + m->data_len);
  }
  static Bytes eth_frame(uint64_t dst, uint64_t src, uint16_t type, const Bytes& data) {
    Bytes b(12);
    v2::write_mac(b.data(), dst);
    v2::write_mac(b.data() + 6, src);
    put16(b, type);
    b.insert(b.end(), data.begin(), data.end());
    return b;
  }
  std::vector<Bytes> encap(const std::vector<Bytes>& frames) {
    rte_mbuf* pkts[kBurst];
    uint16_t n = 0;
    for (const Bytes& f : frames) {
      rte_mbuf* m = rte_pktmbuf_alloc(EalEnv::pool());
      char* at = rte_pktmbuf_append(m, uint16_t(f.size()));
      EXPECT_NE(at, nullptr) << "frame larger than an mbuf";
      if (!at) {
        rte_pktmbuf_free(m);
        continue;
      }
      std::memcpy(at, f.data(), f.size());
      pkts[n++] = m;
    }
    h.w.now = 1;
    vl2_encap(h.w, port, pkts, n);
    std::vector<Bytes> out;
    for (uint16_t i = 0; i < h.w.tx.n; ++i) out.push_back(bytes_of(h.w.tx.pkts[i]));
    if (h.w.tx.n) rte_pktmbuf_free_bulk(h.w.tx.pkts, h.w.tx.n);
    h.w.tx.n = 0;
    return out;
  }
  // Opens a datagram encap sent: checks the outer IPv4/UDP, returns the
  // dearmored VL1 packet and its destination address.
  static Bytes open(const Bytes& f, uint64_t* to) {
    EXPECT_GE(f.size(), 42u + 28u);
    Bytes p(f.begin() + 42, f.end());
    EXPECT_EQ(get16(f, 12), 0x0800);
    EXPECT_EQ(get16(f, 36), 9993);  // UDP destination
    *to = wire::packet_dest(p.data());
    EXPECT_EQ(wire::packet_source(p.data()), kSelf);
    crypto::PeerKeys k(key_for(*to));
    EXPECT_EQ(crypto::dearmor(p, k), crypto::DearmorResult::kOk);
    return p;
  }
};

const Bytes kIpData = [] {
  Bytes b(60);
  for (size_t i = 0; i < b.size(); ++i) b[i] = uint8_t(0x40 + i);
  return b;
}();

}  // namespace
}  // namespace flatnet::test
