// Gateway micro-benchmark (not a test; speed is never asserted): one core,
// no port, no I/O. Decap: armored FRAMEs from P peers (head + fragment when
// the packet exceeds 1,432 bytes, as on the wire) through vl2_decap to the
// LAN buffer; encap: LAN frames to the members' MACs through vl2_encap to
// armored, fragmented datagrams with outer headers. Beside each, the
// crypto-only figure on the same packets in the same run: crypto/mb's
// dearmor_burst / armor_burst of bursts of 32 (what `flatnet bench mb`
// measures), alternating with the stage burst by burst. Every pass first copies the packets from templates into the
// mbufs (decap works in place); the copy is timed for both the stage and the
// crypto-only figure, so the ratio compares like with like.
//
//   bench_vl2 [seconds=0.3] [sizes=64,512,1390,1400,1500,imix] [peers=1,100,10000] [suites=1,3]
//
// Prints one line per point: direction, suite, peers, LAN frame size, Mpps,
// Gbit/s of LAN-frame bytes, and the same for crypto only, and the ratio.
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "crypto/armor.hpp"
#include "crypto/mb/burst.hpp"
#include "tests/packet/bench_args.hpp"
#include "dataplane/fastpath/vl2.hpp"
#include "dataplane/wire/fragment.hpp"
#include "dataplane/wire/vl1.hpp"
#include "dataplane/wire/vl2_frame.hpp"

using namespace flatnet;
using namespace flatnet::fastpath;
using flatnet::test::parse_list;
namespace tv = flatnet::tables::vl2;

namespace {

constexpr uint64_t kNw = 0x8056c2e21c000001ull;
constexpr uint64_t kSelf = 0x1111111111;
// Distinct packets cycled through: at least this many, and at least one per
// peer, so that every peer's key set and member word are touched (with
// fewer templates than peers, only the first 256 peers would be).
constexpr unsigned kTemplates = 256;

crypto::SharedKey key_for(uint64_t addr) {
  crypto::SharedKey k;
  for (size_t i = 0; i < k.size(); ++i) k.data()[i] = uint8_t(addr * 7 + i);
  return k;
}
uint64_t peer_addr(unsigned i) { return 0x0a00000000ull + i + 1; }

// IMIX (7:4:1 of 64, 576, 1500 bytes), or one size.
unsigned frame_size(unsigned size, unsigned i) {
  if (size) return size;
  static const unsigned mix[12] = {64, 576, 64, 64, 576, 64, 1500, 64, 576, 64, 576, 64};
  return mix[i % 12];
}

struct World {
  rte_mempool* pool = nullptr;
  rte_mempool* big = nullptr;
  Underlay u;
  Switches sw;
  ControlHooks hooks;
  CoreCounters c;
  NeighborTable* neigh = nullptr;
  Worker w;
  rte_rcu_qsbr* qs = nullptr;
};

struct Point {
  double mpps, gbps;
};

Point rate(uint64_t cycles, uint64_t pkts, uint64_t bytes) {
  const double s = double(cycles) / double(rte_get_tsc_hz());
  return {double(pkts) / s / 1e6, double(bytes) * 8 / s / 1e9};
}

// Per-burst samples. A burst that took over 10 times the median was
// preempted (the machine is shared; a time slice lost is milliseconds, a
// burst tens of microseconds) and is left out of the rate, on both sides.
struct Acc {
  std::vector<uint64_t> cyc, pkts, bytes;
  void add(uint64_t c, uint64_t p, uint64_t b) {
    cyc.push_back(c);
    pkts.push_back(p);
    bytes.push_back(b);
  }
  Point result(unsigned* dropped) const {
    if (cyc.empty()) return {0, 0};
    std::vector<uint64_t> s = cyc;
    std::nth_element(s.begin(), s.begin() + long(s.size() / 2), s.end());
    const uint64_t cut = 10 * s[s.size() / 2];
    uint64_t c = 0, p = 0, b = 0;
    for (size_t i = 0; i < cyc.size(); ++i) {
      if (cyc[i] > cut) {
        ++*dropped;
        continue;
      }
      c += cyc[i];
      p += pkts[i];
      b += bytes[i];
    }
    return rate(c, p, b);
  }
};

}  // namespace

int main(int argc, char** argv) {
  double seconds = argc > 1 ? std::atof(argv[1]) : 0.3;
  std::vector<unsigned> sizes = parse_list(argc > 2 ? argv[2] : "64,512,1390,1400,1500,imix");
  std::vector<unsigned> peer_counts = parse_list(argc > 3 ? argv[3] : "1,100,10000");
  std::vector<unsigned> suites = parse_list(argc > 4 ? argv[4] : "1,3");

  std::string prefix = "--file-prefix=flatnet-bench-vl2-" + std::to_string(getpid());
  std::vector<std::string> args = {"bench", "--no-huge", "--no-pci", "-m", "1024", "-l", "0",
                                   "--log-level=*:error", "--no-telemetry", prefix};
  std::vector<char*> av;
  for (auto& a : args) av.push_back(a.data());
  if (rte_eal_init(int(av.size()), av.data()) < 0) {
    std::fprintf(stderr, "rte_eal_init: %s\n", rte_strerror(rte_errno));
    return 1;
  }
  const std::string runtime_dir = rte_eal_get_runtime_dir();

  World x;
  x.pool = make_pool("bench_vl2", 8191, 0);
  x.big = make_pool("bench_vl2_big", 1023, 0, uint16_t(10240 + RTE_PKTMBUF_HEADROOM));
  if (!x.pool || !x.big) return 1;
  x.u.mac = Mac{{2, 0, 0, 0, 0, 1}};
  uint8_t ip4[4] = {10, 0, 0, 1};
  x.u.ip4 = IpAddr::v4(ip4);
  x.u.prefix4 = 24;
  x.sw.self_address = kSelf;
  NeighborTable::Limits lim;
  x.neigh = new NeighborTable(lim, rte_get_tsc_hz());
  uint8_t nh[4] = {10, 0, 0, 2};
  x.neigh->learn(IpAddr::v4(nh), Mac{{2, 0, 0, 0, 0, 2}}, true);
  x.hooks.lookup = [](void*, const uint64_t* a, unsigned n, PathView* p, bool* f) {
    for (unsigned i = 0; i < n; ++i) {
      f[i] = true;
      p[i] = PathView{};
      p[i].family = Family::kV4;
      p[i].port = 9993;
      p[i].ip[0] = 10;
      p[i].ip[3] = 2;
      (void)a;
    }
  };
  x.w.u = &x.u;
  x.w.sw = &x.sw;
  x.w.neigh = x.neigh;
  x.w.pool = x.pool;
  x.w.hooks = &x.hooks;
  x.w.c = &x.c;
  worker_init(x.w, rte_get_tsc_hz());
  x.qs = static_cast<rte_rcu_qsbr*>(rte_zmalloc(nullptr, rte_rcu_qsbr_get_memsize(1), 64));
  rte_rcu_qsbr_init(x.qs, 1);
  rte_rcu_qsbr_thread_register(x.qs, 0);

  std::printf("# %s\n", crypto::backend_description().c_str());
  std::printf("# dir   suite peers  size    Mpps  Gbit/s | crypto-only Mpps Gbit/s | ratio | bursts left out (preempted)\n");
  for (unsigned suite : suites) {
    for (unsigned np : peer_counts) {
      tv::Vl2Params vp;
      vp.name = "bv" + std::to_string(suite) + "_" + std::to_string(np);
      vp.member_capacity = vp.peer_capacity = std::max(16u, np * 2);
      std::string err;
      auto t = tv::Vl2Tables::create(vp, x.qs, &err);
      if (!t) {
        std::fprintf(stderr, "%s\n", err.c_str());
        return 1;
      }
      tv::NetworkSettings ns;
      ns.nwid = kNw;
      ns.mtu = 2800;
      t->network_set(ns);
      const unsigned ntpl = std::max(kTemplates, np);
      for (unsigned i = 0; i < np; ++i) {
        t->member_set(kNw, peer_addr(i), tv::MemberWord::kPresent | tv::MemberWord::kComValid);
        t->key_set(peer_addr(i), key_for(peer_addr(i)), crypto::Suite(suite));
      }
      rte_rcu_qsbr_thread_online(x.qs, 0);
      Vl2Port port;
      port.tables = t.get();
      port.nwid = kNw;
      port.packet_id = 1;
      port.reasm.big = x.big;
      port.reasm.timeout = rte_get_tsc_hz();
      x.w.vl2 = &port;

      for (unsigned size : sizes) {
        // ---- decap: datagram templates (whole packets, or head + fragment) ----
        struct Dg {
          std::vector<uint8_t> b;
          bool frag;
          uint64_t src;
        };
        std::vector<Dg> dgs;
        std::vector<std::vector<uint8_t>> whole;  // the same packets unsplit, for crypto-only
        std::vector<const crypto::mb::PeerKeyset*> whole_keys;
        uint64_t lan_bytes = 0;
        for (unsigned i = 0; i < ntpl; ++i) {
          const unsigned fs = frame_size(size, i);
          const uint64_t src = peer_addr(i % np);
          std::vector<uint8_t> p(28, 0);
          wire::write_be64(p.data(), 0x5000 + i);
          wire::write_addr40(p.data() + wire::kIdxDest, kSelf);
          wire::write_addr40(p.data() + wire::kIdxSource, src);
          p[wire::kIdxVerb] = 0x06;
          std::vector<uint8_t> pl(8);
          wire::write_be64(pl.data(), kNw);
          pl.push_back(0x08);
          pl.push_back(0x00);
          pl.resize(pl.size() + (fs - 14), uint8_t(i));
          p.insert(p.end(), pl.begin(), pl.end());
          wire::set_fragmented_flag(p.data(), p.size());
          crypto::PeerKeys k(key_for(src));
          crypto::armor(p, k, crypto::Suite(suite));
          whole.push_back(p);
          whole_keys.push_back(&t->key(src)->keys);
          for (auto& d : wire::split_packet(p))
            dgs.push_back({d, wire::classify(d.data(), d.size()) == wire::DatagramKind::kFragment, src});
          lan_bytes += fs;
        }
        // The stage and crypto-only alternate burst by burst, so that both
        // see the same machine (this one is shared): the ratio is robust
        // even where the absolute figures are not.
        const uint64_t budget = uint64_t(seconds * double(rte_get_tsc_hz()));
        std::vector<std::vector<uint8_t>> buf(kBurst, std::vector<uint8_t>(10240));
        // Crypto-only walks the same packets half a cycle apart from the
        // stage: in step, it would find each peer's key set still in cache
        // from the stage's burst just before (with 10,000 peers that made
        // crypto-only look 3 times faster at 64 bytes than it is). Half
        // apart, both see the same distance between two uses of a key.
        size_t at = 0, at_c = whole.size() / 2;
        unsigned lan_ok = 0;
        uint64_t pkts = 0, bytes = 0, cyc = 0, pkts_c = 0, bytes_c = 0, cyc_c = 0;
        Acc st, cr;
        unsigned preempted = 0;
        while (cyc + cyc_c < 2 * budget) {
          rte_mbuf* m[kBurst];
          uint16_t n = 0;
          uint64_t p0 = pkts, b0 = bytes, pc0 = pkts_c, bc0 = bytes_c;
          uint64_t t0 = rte_rdtsc();
          for (; n < kBurst; ++n) {
            const Dg& d = dgs[at];
            at = (at + 1) % dgs.size();
            m[n] = rte_pktmbuf_alloc(x.pool);
            std::memcpy(rte_pktmbuf_append(m[n], uint16_t(d.b.size())), d.b.data(), d.b.size());
            PktMeta* pm = meta(m[n]);
            *pm = PktMeta{};
            pm->data_len = uint16_t(d.b.size());
            pm->is_fragment = d.frag;
            pm->vl1_src = d.frag ? 0 : d.src;
            pm->vl1_dst = kSelf;
          }
          rte_mbuf* punt[kDecapPuntMax];
          uint16_t npunt = 0;
          x.w.now = t0;
          vl2_decap(x.w, port, m, n, punt, &npunt);
          for (uint16_t i = 0; i < port.lan_tx.n; ++i) bytes += port.lan_tx.pkts[i]->pkt_len;
          pkts += port.lan_tx.n;
          lan_ok += port.lan_tx.n;
          if (port.lan_tx.n) rte_pktmbuf_free_bulk(port.lan_tx.pkts, port.lan_tx.n);
          port.lan_tx.n = 0;
          if (npunt) rte_pktmbuf_free_bulk(punt, npunt);
          uint64_t dt = rte_rdtsc() - t0;
          cyc += dt;
          st.add(dt, pkts - p0, bytes - b0);
          rte_rcu_qsbr_quiescent(x.qs, 0);
          // crypto only: the same packets, copied and dearmored in a burst of 32
          crypto::mb::Packet mp[kBurst];
          crypto::DearmorResult v[kBurst];
          t0 = rte_rdtsc();
          for (unsigned i = 0; i < kBurst; ++i) {
            const auto& p = whole[at_c];
            std::memcpy(buf[i].data(), p.data(), p.size());
            mp[i] = {buf[i].data(), uint32_t(p.size()), whole_keys[at_c]};
            bytes_c += frame_size(size, unsigned(at_c));
            at_c = (at_c + 1) % whole.size();
          }
          crypto::mb::dearmor_burst({mp, kBurst}, v);
          pkts_c += kBurst;
          dt = rte_rdtsc() - t0;
          cyc_c += dt;
          cr.add(dt, pkts_c - pc0, bytes_c - bc0);
        }
        Point dec = st.result(&preempted);
        Point dco = cr.result(&preempted);
        std::printf("decap   %u  %6u  %5s  %6.2f  %6.2f | %6.2f %6.2f | %3.0f%% | %u%s\n", suite, np,
                    size ? std::to_string(size).c_str() : "imix", dec.mpps, dec.gbps, dco.mpps, dco.gbps,
                    100 * dec.gbps / dco.gbps, preempted, lan_ok ? "" : "  (NOTHING DELIVERED)");
        preempted = 0;

        // ---- encap: LAN frame templates to the members' MACs ----
        std::vector<std::vector<uint8_t>> frames;
        for (unsigned i = 0; i < ntpl; ++i) {
          const unsigned fs = frame_size(size, i);
          std::vector<uint8_t> f(fs, uint8_t(i));
          wire::vl2::write_mac(f.data(), wire::vl2::mac_from_address(peer_addr(i % np), kNw));
          wire::vl2::write_mac(f.data() + 6, 0x06aabbcc0000ull + (i % 16));
          f[12] = 0x08;
          f[13] = 0x00;
          frames.push_back(f);
        }
        pkts = bytes = cyc = pkts_c = bytes_c = cyc_c = 0;
        at = 0;
        at_c = whole.size() / 2;
        unsigned sent = 0;
        Acc st2, cr2;
        while (cyc + cyc_c < 2 * budget) {
          rte_mbuf* m[kBurst];
          uint64_t p0 = pkts, b0 = bytes, pc0 = pkts_c, bc0 = bytes_c;
          uint64_t t0 = rte_rdtsc();
          for (unsigned i = 0; i < kBurst; ++i) {
            const auto& f = frames[at];
            at = (at + 1) % frames.size();
            m[i] = rte_pktmbuf_alloc(x.pool);
            std::memcpy(rte_pktmbuf_append(m[i], uint16_t(f.size())), f.data(), f.size());
            bytes += f.size();
          }
          x.w.now = t0;
          vl2_encap(x.w, port, m, kBurst);
          sent += x.w.tx.n;
          if (x.w.tx.n) rte_pktmbuf_free_bulk(x.w.tx.pkts, x.w.tx.n);
          x.w.tx.n = 0;
          pkts += kBurst;
          uint64_t dt = rte_rdtsc() - t0;
          cyc += dt;
          st2.add(dt, pkts - p0, bytes - b0);
          rte_rcu_qsbr_quiescent(x.qs, 0);
          t->drain_learn(64);
          // crypto only: packets of the lengths encap builds, armored in a burst of 32
          crypto::mb::Packet mp[kBurst];
          t0 = rte_rdtsc();
          for (unsigned i = 0; i < kBurst; ++i) {
            const auto& p = whole[at_c];
            std::memcpy(buf[i].data(), p.data(), p.size());
            mp[i] = {buf[i].data(), uint32_t(p.size()), whole_keys[at_c]};
            bytes_c += frame_size(size, unsigned(at_c));
            at_c = (at_c + 1) % whole.size();
          }
          crypto::mb::armor_burst({mp, kBurst}, crypto::Suite(suite));
          pkts_c += kBurst;
          dt = rte_rdtsc() - t0;
          cyc_c += dt;
          cr2.add(dt, pkts_c - pc0, bytes_c - bc0);
        }
        Point enc = st2.result(&preempted);
        Point eco = cr2.result(&preempted);
        std::printf("encap   %u  %6u  %5s  %6.2f  %6.2f | %6.2f %6.2f | %3.0f%% | %u%s\n", suite, np,
                    size ? std::to_string(size).c_str() : "imix", enc.mpps, enc.gbps, eco.mpps, eco.gbps,
                    100 * enc.gbps / eco.gbps, preempted, sent ? "" : "  (NOTHING SENT)");
        std::fflush(stdout);
      }
      x.w.vl2 = nullptr;
      rte_rcu_qsbr_thread_offline(x.qs, 0);  // the tables' destructor waits for readers
    }
  }
  rte_eal_cleanup();
  std::error_code ec;
  std::filesystem::remove_all(runtime_dir, ec);
  return 0;
}
