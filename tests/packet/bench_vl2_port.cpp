// Gateway port benchmark (not a test; speed is never asserted;
// docs/bench-gateway.md): the gateway's data plane on one worker core with
// ports in the loop, inside this one process. Two net_ring pairs (underlay
// and LAN, tests/packet/ring_pair.hpp); the worker (lcore 1, core 0) runs
// the data plane's own poll loop (runtime::worker_main: underlay rx ->
// process_burst -> vl2_decap -> LAN tx; LAN rx -> vl2_encap -> underlay tx);
// the generator (main lcore, core 1) is flatnet-pktgen's gateway traffic
// (tools/pktgen/vl2_traffic.hpp):
//   decap  replays a pre-armored pool of EXT_FRAME datagrams (two for frames
//          over 1,395 bytes) from P synthetic peers into the underlay port
//          and checks every frame that comes out of the LAN port;
//   encap  sends LAN frames to the members' MACs into the LAN port, checks
//          every datagram out of the underlay port (outer headers to the
//          member's path, VL1 addresses) and dearmors one in 256.
// Per point and repetition, three runs interleaved (so all see the same
// machine): `gw` (the gateway), `io` (the worker replaced by a bare rx->tx
// forwarder between the same two ports, testpmd io's work: the port's and
// the generator's limit), and `crypto` (crypto/mb's burst dearmor / armor of
// the same packets on the same core, no port: `flatnet bench mb`'s figure).
// The network is private: the member gate (present, COM valid) is checked.
//
//   bench_vl2_port [seconds=1] [reps=3] [sizes=64,512,1390,1400,1500,imix]
//                  [peers=1,100,10000] [suites=1,3] [dirs=decap,encap] [targets=gw,io,crypto]
//
// One JSON line per run (kind "run") and per point (kind "point": medians,
// min, max of Mpps and Gbit/s of LAN-frame bytes for each target).
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_malloc.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "crypto/mb/burst.hpp"
#include "tests/packet/bench_args.hpp"
#include "dataplane/fastpath/stage.hpp"
#include "dataplane/fastpath/vl2.hpp"
#include "dataplane/runtime/control_bridge.hpp"
#include "dataplane/runtime/lcore.hpp"
#include "dataplane/wire/vl1.hpp"
#include "dataplane/wire/vl2_frame.hpp"
#include "tests/packet/ring_pair.hpp"
#include "tools/pktgen/gw_loop.hpp"
#include "tools/pktgen/vl2_traffic.hpp"

using namespace flatnet;
using namespace flatnet::fastpath;
using flatnet::test::parse_list;
namespace pv = flatnet::pktgen::vl2;
namespace tv = flatnet::tables::vl2;

namespace {

constexpr uint64_t kNw = 0x8056c2e21c000001ull;
constexpr uint64_t kSelf = 0x1111111111;

std::atomic<bool> g_io_stop{false};

struct IoArgs {
  uint16_t from, to;
};
// The port's limit: what arrives on one port leaves on the other, no work.
int io_forward(void* arg) {
  const auto* a = static_cast<const IoArgs*>(arg);
  rte_mbuf* b[kBurst];
  while (!g_io_stop.load(std::memory_order_relaxed)) {
    uint16_t n = rte_eth_rx_burst(a->from, 0, b, kBurst);
    uint16_t s = n ? rte_eth_tx_burst(a->to, 0, b, n) : 0;
    if (s < n) rte_pktmbuf_free_bulk(b + s, n - s);
  }
  return 0;
}

// Crypto only, on the worker's core: the same VL1 packets armored or
// dearmored in bursts of 32, copied from the pool first (as the generator
// copies them into mbufs), for `seconds`.
struct CryptoArgs {
  const std::vector<std::vector<uint8_t>>* pkts;
  const std::vector<const crypto::mb::PeerKeyset*>* keys;
  const std::vector<unsigned>* lan_bytes;
  bool decap;
  crypto::Suite suite;
  double seconds;
  uint64_t frames = 0, bytes = 0, cycles = 0;
};
int crypto_only(void* arg) {
  auto* a = static_cast<CryptoArgs*>(arg);
  std::vector<std::vector<uint8_t>> buf(kBurst, std::vector<uint8_t>(10240));
  const size_t n = a->pkts->size();
  size_t at = n / 2;  // a different part of the pool from the one just used
  const uint64_t t0 = rte_rdtsc(), until = t0 + uint64_t(a->seconds * double(rte_get_tsc_hz()));
  uint64_t t = t0;
  while (t < until) {
    crypto::mb::Packet mp[kBurst];
    crypto::DearmorResult v[kBurst];
    for (unsigned i = 0; i < kBurst; ++i) {
      const auto& p = (*a->pkts)[at];
      std::memcpy(buf[i].data(), p.data(), p.size());
      mp[i] = {buf[i].data(), uint32_t(p.size()), (*a->keys)[at]};
      a->bytes += (*a->lan_bytes)[at];
      at = at + 1 == n ? 0 : at + 1;
    }
    if (a->decap) crypto::mb::dearmor_burst({mp, kBurst}, v);
    else crypto::mb::armor_burst({mp, kBurst}, a->suite);
    a->frames += kBurst;
    t = rte_rdtsc();
  }
  a->cycles = t - t0;
  return 0;
}

struct Rate {
  double mpps = 0, gbps = 0;
  uint64_t bad = 0, opened = 0;
  double cpf = 0;  // gw: the worker's busy TSC cycles per LAN frame (MeteredWorker)
};

// The gateway's poll loop (runtime::poll_once, as worker_main runs it)
// with its working rounds timed. A round's cost per packet depends on how
// full its burst was, and that depends on the generator on the other core
// (starved by the machine's load, it hands over bursts of a few packets):
// so the figure kept is the TSC cycles of the rounds that processed a full
// burst of 32 (underlay datagrams for decap, held from the round before;
// LAN frames for encap), per packet -- the worker's own cost, the same
// however fast it was fed. Of those rounds the median is kept: a round
// another process interrupted or whose lines it evicted (this machine is
// shared) is an upper outlier, and the mean moved 2x with the load.
struct MeteredWorker {
  runtime::Poller* p = nullptr;
  uint64_t busy = 0, rounds = 0, preempted = 0;
  uint64_t full_cycles = 0, full_rounds = 0;
  std::vector<uint32_t> full;  // each full round's cycles (reserved: no allocation in the loop)
  static constexpr uint64_t kPreempted = 3000000;  // ~1 ms
  double median_full() {
    if (full.empty()) return 0;
    std::nth_element(full.begin(), full.begin() + full.size() / 2, full.end());
    return full[full.size() / 2];
  }
};
int metered_worker(void* arg) {
  auto* m = static_cast<MeteredWorker*>(arg);
  runtime::Poller& p = *m->p;
  while (!runtime::g_stop.load(std::memory_order_relaxed)) {
    const unsigned held = p.n_held;
    const uint64_t t0 = rte_rdtsc();
    const unsigned n = runtime::poll_once(p);
    const uint64_t dt = rte_rdtsc() - t0;
    if (held == 0 && n == 0) continue;
    if (dt > MeteredWorker::kPreempted) {
      ++m->preempted;
      continue;
    }
    m->busy += dt;
    ++m->rounds;
    // What this round processed: the burst it held, and the LAN frames it
    // took (its return counts the underlay burst it now holds, too).
    if (held + (n - p.n_held) == kBurst) {
      m->full_cycles += dt;
      ++m->full_rounds;
      if (m->full.size() < m->full.capacity()) m->full.push_back(uint32_t(dt));
    }
  }
  runtime::drain(p);
  return 0;
}

struct Bench {
  rte_mempool* pool = nullptr;
  test::RingPair under, lan;
  runtime::Poller poller;
  unsigned lcore = 0;
  tv::Vl2Tables* tables = nullptr;
  uint64_t hz = 0;
  pktgen::Mac next_hop{};

  // One timed run of pktgen's gateway loop against whatever runs on the
  // worker lcore; the main lcore's writer chores in between.
  Rate generate(const pv::Params& p, bool decap, bool io, const std::vector<pv::Datagram>& dgs,
                const std::vector<std::vector<uint8_t>>& frames, const pv::PeerIndex& peers, double seconds) {
    pv::GwRun g;
    g.decap = decap;
    g.io = io;
    g.tx_port = decap ? under.peer : lan.peer;
    g.rx_port = decap ? lan.peer : under.peer;
    g.pool = pool;
    g.next_hop = next_hop;
    g.seconds = seconds;
    g.chores = [](void* t) {
      static_cast<tv::Vl2Tables*>(t)->drain_learn(256);
      static_cast<tv::Vl2Tables*>(t)->reclaim();
    };
    g.ctx = tables;
    const pv::GwResult r = pv::gw_run(g, p, dgs, frames, peers);
    return Rate{r.mpps, r.gbps, r.bad, r.opened};
  }

  // Empties both rings (after the worker stopped).
  void flush_ports() {
    rte_mbuf* b[kBurst];
    for (uint16_t port : {under.peer, under.dp, lan.peer, lan.dp})
      for (int guard = 0; guard < 100000; ++guard) {
        const uint16_t n = rte_eth_rx_burst(port, 0, b, kBurst);
        if (n == 0) break;
        rte_pktmbuf_free_bulk(b, n);
      }
  }
};

void print_run(const char* target, const char* dir, unsigned suite, unsigned peers, unsigned size, int rep,
               const Rate& r) {
  std::printf("{\"kind\":\"run\",\"target\":\"%s\",\"dir\":\"%s\",\"suite\":%u,\"peers\":%u,\"size\":\"%s\",\"rep\":%d,"
              "\"mpps\":%.3f,\"gbps\":%.3f,\"bad\":%lu,\"opened\":%lu,\"cpf\":%.0f}\n",
              target, dir, suite, peers, size ? std::to_string(size).c_str() : "imix", rep, r.mpps, r.gbps,
              (unsigned long)r.bad, (unsigned long)r.opened, r.cpf);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 1.0;
  const int reps = argc > 2 ? std::atoi(argv[2]) : 3;
  const auto sizes = parse_list(argc > 3 ? argv[3] : "64,512,1390,1400,1500,imix");
  const auto peer_counts = parse_list(argc > 4 ? argv[4] : "1,100,10000");
  const auto suites = parse_list(argc > 5 ? argv[5] : "1,3");
  const auto dirs = parse_list(argc > 6 ? argv[6] : "decap,encap");
  // Which runs (a profile of the gateway alone: "gw").
  const std::string targets = argc > 7 ? argv[7] : "gw,io,crypto";
  const bool run_io = targets.find("io") != std::string::npos;
  const bool run_crypto = targets.find("crypto") != std::string::npos;

  // Main lcore 0 (the generator) on core 1, worker lcore 1 on core 0.
  const std::string pfx = "--file-prefix=fgb-vl2port-" + std::to_string(getpid());
  const char* a[] = {"bench", "--no-huge", "--no-pci", "-m", "1536", "--lcores=0@1,1@0", "--log-level=*:error",
                     "--no-telemetry", pfx.c_str()};
  if (rte_eal_init(int(std::size(a)), const_cast<char**>(a)) < 0) return 1;
  const std::string runtime_dir = rte_eal_get_runtime_dir();
  Bench x;
  x.hz = rte_get_tsc_hz();
  x.lcore = rte_get_next_lcore(-1, 1, 0);
  if (x.lcore >= RTE_MAX_LCORE) return std::fprintf(stderr, "need a second lcore\n"), 1;
  x.pool = make_pool("fgb_pool", 32767, 0);
  // Joined packets (decap of frames over one datagram) wait in the LAN ring
  // in big mbufs until the generator takes them: room for the window.
  rte_mempool* big = make_pool("fgb_big", 2 * pv::kWindow + 511, 0, uint16_t(10240 + RTE_PKTMBUF_HEADROOM));
  std::string err;
  if (!x.pool || !big || !test::make_ring_pair("u", 4096, x.pool, &x.under, &err) ||
      !test::make_ring_pair("l", 4096, x.pool, &x.lan, &err))
    return std::fprintf(stderr, "setup: %s\n", err.c_str()), 1;

  // The gateway: underlay 10.0.0.1/24 behind 10.0.0.254; the peers' paths
  // (10.128/16, dataplane/ipc/synthetic.hpp) in the real peer table.
  const uint32_t max_peers = *std::max_element(peer_counts.begin(), peer_counts.end());
  tables::TableParams tp;
  tp.name = "fgb";
  tp.capacity = std::max(1024u, max_peers * 2);
  tp.max_readers = 1;
  auto table = tables::PeerTable::create(tp, &err);
  if (!table) return std::fprintf(stderr, "table: %s\n", err.c_str()), 1;
  for (uint32_t i = 0; i < max_peers; ++i) {
    const auto peer = pktgen::synthetic_peer(1, i);
    table->upsert(peer.address, ipc::synthetic_path(peer, x.under.dp));
  }
  table->reader_register(0);
  table->reader_online(0);
  Underlay u;
  u.mac = Mac{{2, 0, 0, 0, 0, 1}};
  uint8_t ip[4] = {10, 0, 0, 1}, gw[4] = {10, 0, 0, 254};
  u.ip4 = IpAddr::v4(ip);
  u.prefix4 = 24;
  u.gw4 = IpAddr::v4(gw);
  Switches sw;
  sw.self_address = kSelf;
  NeighborTable neigh({}, x.hz);
  neigh.learn(u.gw4, Mac{{2, 0, 0, 0, 0, 0xfe}}, true);
  x.next_hop = {2, 0, 0, 0, 0, 0xfe};
  runtime::ControlBridge br;
  br.table = table.get();
  ControlHooks hooks;
  runtime::bind_hooks(br, &hooks);
  hooks.punt = [](void*, unsigned, const uint8_t*, uint16_t, const PuntInfo&) { return true; };
  hooks.punt_fill = [](void*, unsigned, unsigned* used, unsigned* slots) {
    *used = 0;
    *slots = 1024;
    return true;
  };
  hooks.unknown_dest = nullptr;
  hooks.relaying_pair = nullptr;
  CoreCounters c;
  Worker w;
  w.u = &u;
  w.sw = &sw;
  w.neigh = &neigh;
  w.pool = x.pool;
  w.hooks = &hooks;
  w.c = &c;
  worker_init(w, x.hz);

  pv::Params p;
  p.seed = 1;
  p.nwid = kNw;
  p.gateway = kSelf;
  p.gw_mac = {2, 0, 0, 0, 0, 1};
  p.gen_mac = {2, 0, 0, 0, 0, 0xfe};
  p.gw_ip = 0x0a000001;
  std::printf("# %s; load %s", crypto::backend_description().c_str(), [] {
    static char b[64] = "?\n";
    if (FILE* f = std::fopen("/proc/loadavg", "r")) {
      if (!std::fgets(b, sizeof b, f)) b[0] = 0;
      std::fclose(f);
    }
    return b;
  }());
  for (unsigned suite : suites) {
    for (unsigned np : peer_counts) {
      tv::Vl2Params vp;
      vp.name = "fgb" + std::to_string(suite) + "_" + std::to_string(np);
      vp.member_capacity = vp.peer_capacity = std::max(16u, np * 2);
      auto t = tv::Vl2Tables::create(vp, table->qsbr(), &err);
      if (!t) return std::fprintf(stderr, "vl2 tables: %s\n", err.c_str()), 1;
      tv::NetworkSettings ns;
      ns.nwid = kNw;
      ns.mtu = 2800;
      ns.is_private = true;
      t->network_set(ns);
      for (uint32_t i = 0; i < np; ++i) {
        const auto peer = pktgen::synthetic_peer(p.seed, i);
        t->member_set(kNw, peer.address, tv::MemberWord::kPresent | tv::MemberWord::kComValid);
        t->key_set(peer.address, pv::synthetic_key(p.seed, peer.address), crypto::Suite(suite));
      }
      x.tables = t.get();
      Vl2Port port;
      port.tables = t.get();
      port.nwid = kNw;
      port.lan_port = x.lan.dp;
      port.packet_id = 1;
      port.reasm.big = big;
      port.reasm.timeout = x.hz;
      p.peers = np;
      p.suite = crypto::Suite(suite);
      const pv::PeerIndex peers(p.seed, np);
      for (unsigned size : sizes) {
        p.frame_size = size;
        // Every peer sends (or is sent) at least one frame of the pool.
        const unsigned nf = std::max(1024u, np), nf_pool = nf;
        const auto dgs = pv::decap_pool(p, nf);
        const auto frames = pv::encap_pool(p, nf);
        // Crypto only: the decap pool's VL1 packets whole (dearmor), or
        // the same packets to be armored (encap: EXT_FRAMEs of these frames).
        std::vector<std::vector<uint8_t>> whole;
        std::vector<const crypto::mb::PeerKeyset*> keys;
        std::vector<unsigned> lan_bytes;
        {
          std::vector<uint8_t> cur;
          for (const auto& d : dgs) {
            const uint8_t* zt = d.bytes.data() + pktgen::kOuterLen;
            const size_t zl = d.bytes.size() - pktgen::kOuterLen;
            if (cur.empty()) cur.assign(zt, zt + zl);
            else cur.insert(cur.end(), zt + wire::kFragmentHeaderLength, zt + zl);
            if (!d.last) continue;
            keys.push_back(&t->key(wire::packet_source(cur.data()))->keys);
            lan_bytes.push_back(pv::frame_size(p, d.frame));
            whole.push_back(std::move(cur));
            cur.clear();
          }
        }
        for (unsigned dir : dirs) {
          const bool decap = dir == 1;
          const char* dname = decap ? "decap" : "encap";
          std::vector<Rate> gw_r, io_r, cr_r;
          for (int rep = 0; rep < reps; ++rep) {
            // gw: the data plane's poll loop on the worker core.
            runtime::g_stop = false;
            x.poller = runtime::Poller{};
            x.poller.w = w;
            x.poller.w.vl2 = &port;
            x.poller.port = x.under.dp;
            x.poller.idle.busy = true;
            const CoreCounters before = c;
            MeteredWorker mw;
            mw.p = &x.poller;
            mw.full.reserve(1u << 20);
            rte_eal_remote_launch(metered_worker, &mw, x.lcore);
            Rate r = x.generate(p, decap, false, dgs, frames, peers, seconds);
            runtime::g_stop = true;
            rte_eal_wait_lcore(x.lcore);
            {
              const uint64_t nf = decap ? c.vl2_decap_frames - before.vl2_decap_frames
                                        : c.lan_rx_packets - before.lan_rx_packets;
              // Per LAN frame: a decap burst of 32 datagrams carries fewer
              // frames when they take two datagrams (the pool's ratio).
              const double per_pkt = decap ? double(nf_pool) / double(dgs.size()) : 1.0;
              r.cpf = mw.full_rounds ? mw.median_full() / (kBurst * per_pkt)
                      : nf           ? double(mw.busy) / double(nf)
                                     : 0;
            }
            x.flush_ports();
            if (port.lan_tx.n) rte_pktmbuf_free_bulk(port.lan_tx.pkts, port.lan_tx.n);
            port.lan_tx.n = 0;
            for (size_t d = 0; d < kDropCount; ++d)
              if (c.drop[d] != before.drop[d])
                std::fprintf(stderr, "%s suite %u peers %u size %u: %lu drops in the gateway (%s)\n", dname, suite,
                             np, size, (unsigned long)(c.drop[d] - before.drop[d]), kDropNames[d]);
            gw_r.push_back(r);
            print_run("gw", dname, suite, np, size, rep, r);
            if (!run_io) {
              io_r.push_back(Rate{1, 1});
            } else {
            // io: the same ports, a bare forwarder.
            g_io_stop = false;
            IoArgs ia{decap ? x.under.dp : x.lan.dp, decap ? x.lan.dp : x.under.dp};
            rte_eal_remote_launch(io_forward, &ia, x.lcore);
            r = x.generate(p, decap, true, dgs, frames, peers, seconds);
            g_io_stop = true;
            rte_eal_wait_lcore(x.lcore);
            x.flush_ports();
            io_r.push_back(r);
            print_run("io", dname, suite, np, size, rep, r);
            }
            if (!run_crypto) {
              cr_r.push_back(Rate{1, 1});
              continue;
            }
            // crypto only on the worker's core.
            CryptoArgs ca{&whole, &keys, &lan_bytes, decap, crypto::Suite(suite), seconds};
            rte_eal_remote_launch(crypto_only, &ca, x.lcore);
            rte_eal_wait_lcore(x.lcore);
            const double s = double(ca.cycles) / double(x.hz);
            Rate cr;
            cr.mpps = double(ca.frames) / s / 1e6;
            cr.gbps = double(ca.bytes) * 8 / s / 1e9;
            cr.cpf = ca.frames ? double(ca.cycles) / double(ca.frames) : 0;  // wall TSC, preemptions included
            cr_r.push_back(cr);
            print_run("crypto", dname, suite, np, size, rep, cr);
          }
          auto med = [](std::vector<Rate> v, double Rate::*f) {
            std::sort(v.begin(), v.end(), [f](const Rate& a, const Rate& b) { return a.*f < b.*f; });
            return std::vector<double>{v[v.size() / 2].*f, v.front().*f, v.back().*f};
          };
          auto g = med(gw_r, &Rate::gbps), gm = med(gw_r, &Rate::mpps), io = med(io_r, &Rate::gbps),
               iom = med(io_r, &Rate::mpps), cg = med(cr_r, &Rate::gbps), cm = med(cr_r, &Rate::mpps),
               gc = med(gw_r, &Rate::cpf), cc = med(cr_r, &Rate::cpf);
          uint64_t bad = 0, opened = 0;
          for (const Rate& r : gw_r) {
            bad += r.bad;
            opened += r.opened;
          }
          std::printf("{\"kind\":\"point\",\"dir\":\"%s\",\"suite\":%u,\"peers\":%u,\"size\":\"%s\",\"reps\":%d,"
                      "\"gw_gbps\":[%.2f,%.2f,%.2f],\"gw_mpps\":[%.3f,%.3f,%.3f],"
                      "\"io_gbps\":[%.2f,%.2f,%.2f],\"io_mpps\":[%.3f,%.3f,%.3f],"
                      "\"crypto_gbps\":[%.2f,%.2f,%.2f],\"crypto_mpps\":[%.3f,%.3f,%.3f],"
                      "\"gw_vs_crypto\":%.2f,\"gw_vs_io\":%.2f,\"bad\":%lu,\"opened\":%lu,"
                      "\"gw_cpf\":[%.0f,%.0f,%.0f],\"crypto_cpf\":[%.0f,%.0f,%.0f]}\n",
                      dname, suite, np, size ? std::to_string(size).c_str() : "imix", reps, g[0], g[1], g[2], gm[0],
                      gm[1], gm[2], io[0], io[1], io[2], iom[0], iom[1], iom[2], cg[0], cg[1], cg[2], cm[0], cm[1],
                      cm[2], g[0] / cg[0], g[0] / io[0], (unsigned long)bad, (unsigned long)opened, gc[0], gc[1], gc[2],
                      cc[0], cc[1], cc[2]);
          std::fflush(stdout);
        }
      }
      x.tables = nullptr;
      table->reader_offline(0);  // the tables' destructor waits for readers
      t.reset();
      table->reader_online(0);
    }
  }
  table->reader_offline(0);
  table.reset();
  rte_eal_cleanup();
  std::error_code ec;
  std::filesystem::remove_all(runtime_dir, ec);
  return 0;
}
