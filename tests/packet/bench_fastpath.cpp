// Fast-path micro-benchmark (not a test; speed is never asserted): bursts of
// 130-byte frames (Ethernet/IPv4/UDP + 88-byte VL1 heads to random peers)
// through process_burst against the real peer table with P peers, no port,
// no I/O. Reports TSC cycles per packet over R repetitions (median, min,
// max). The frames are rewritten from templates before each pass; that copy
// is outside the timed region.
//
//   bench_fastpath [peers=100000] [reps=31] [mbufs=4096] [fake_lookup=0] [pairs=1] [mode=0]
//                  [limits=1] [port=0] [seconds=2]
//
// mode 0: relay; 1: punt, frames to our address from unknown sources (one
// physical source per mbuf); 2: punt, frames from known peers over their paths.
// limits (docs/dataplane.md "Under attack"): 0 none armed; 1 the data plane's
// defaults (relay limit off; an unknown flood is mostly refused by the
// global punt cap); 2 defaults plus the relay limit at a rate never reached
// (its cost); 3 every limit on at rates never reached (the cost of passing).
//
// mbufs=256 keeps the working set in L2 (the "hot" case); 4096 spreads it
// over ~10 MB. fake_lookup=1 replaces the table by a constant path to show
// what the lookup costs; pairs=0 turns relayed-pair reporting off.
//
// port=1 and port=2 put a port in the loop, inside this one process: two
// net_ring ethdevs (rte_eth_from_rings) joined back to back, the worker on
// lcore 1 (core 0) running the data plane's own poll loop
// (runtime::worker_main: rx burst, process_burst, tx burst, QSBR report),
// and a generator on the main lcore (core 1) that keeps `mbufs` packets in
// flight: every packet that comes back is checked (hops 1, sent towards a
// peer's path, not to us) and re-armed from the next template. port=1 is
// the relay; port=2 replaces the worker by a bare rx->tx loop (what
// testpmd io does: the port's limit); port=3 by one that swaps the MACs
// (testpmd macswap: the least any forwarder that reads a packet pays). reps runs of `seconds` each; the
// figure is packets back at the generator per second. A ring port passes
// pointers (like a NIC's descriptor ring, minus DMA and the mbuf refill a
// NIC driver does), so this shows what one worker core does when the port
// costs next to nothing; docs/bench-relay.md has the memif runs beside it.
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_malloc.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <random>
#include <vector>

#include "dataplane/fastpath/stage.hpp"
#include "dataplane/ipc/phys_addr.hpp"
#include "dataplane/runtime/control_bridge.hpp"
#include "dataplane/runtime/lcore.hpp"
#include "tests/packet/ring_pair.hpp"
#include "dataplane/wire/vl1.hpp"

using namespace flatnet;
using namespace flatnet::fastpath;

namespace {

std::atomic<bool> g_io_stop{false};

// port=2: the port's limit, a forwarder that does no work (testpmd io).
// port=3: a forwarder that touches each packet once (testpmd macswap: swap
// the Ethernet addresses, clear the offload flags), i.e. what moving one
// line of the packet and one of the mbuf between the cores costs.
template <bool kTouch>
int io_forward(void* arg) {
  auto port = uint16_t(reinterpret_cast<uintptr_t>(arg));
  rte_mbuf* b[kBurst];
  while (!g_io_stop.load(std::memory_order_relaxed)) {
    uint16_t n = rte_eth_rx_burst(port, 0, b, kBurst);
    if (kTouch)
      for (uint16_t i = 0; i < n; ++i) {
        auto* e = rte_pktmbuf_mtod(b[i], rte_ether_hdr*);
        rte_ether_addr t = e->dst_addr;
        e->dst_addr = e->src_addr;
        e->src_addr = t;
        b[i]->ol_flags = 0;
      }
    uint16_t s = n ? rte_eth_tx_burst(port, 0, b, n) : 0;
    if (s < n) rte_pktmbuf_free_bulk(b + s, n - s);
  }
  return 0;
}


int ring_bench(Worker& w, rte_mempool* pool,
               const std::vector<std::vector<uint8_t>>& tmpl, unsigned inflight, int reps, double seconds,
               int port_mode, const Underlay& u) {
  test::RingPair rp;
  std::string err;
  if (!test::make_ring_pair("bench", 8192, pool, &rp, &err)) return std::fprintf(stderr, "%s\n", err.c_str()), 1;
  const uint16_t dp = rp.dp;
  runtime::Poller p;
  p.w = w;
  p.port = dp;
  p.idle.busy = true;
  unsigned lc = rte_get_next_lcore(-1, 1, 0);
  if (lc >= RTE_MAX_LCORE) return std::fprintf(stderr, "need a second lcore\n"), 1;
  runtime::g_stop = false;
  g_io_stop = false;
  if (port_mode == 1)
    rte_eal_remote_launch(runtime::worker_main, &p, lc);
  else
    rte_eal_remote_launch(port_mode == 2 ? io_forward<false> : io_forward<true>,
                          reinterpret_cast<void*>(uintptr_t(dp)), lc);

  // Keep `inflight` packets circulating; each one back is checked and
  // re-armed from the next template (its first 64 bytes: the outer headers
  // and the VL1 head the relay rewrote).
  const uint16_t gport = rp.peer;
  const size_t nt = tmpl.size();
  size_t next = 0;
  auto arm = [&](rte_mbuf* m) {
    m->data_off = RTE_PKTMBUF_HEADROOM;
    m->data_len = m->pkt_len = 130;
    m->nb_segs = 1;
    m->ol_flags = 0;
    std::memcpy(rte_pktmbuf_mtod(m, void*), tmpl[next].data(), 64);
    if (++next == nt) next = 0;
  };
  std::vector<rte_mbuf*> prime(inflight);
  if (rte_pktmbuf_alloc_bulk(pool, prime.data(), inflight) != 0) return std::fprintf(stderr, "pool\n"), 1;
  for (rte_mbuf* m : prime) {
    std::memcpy(rte_pktmbuf_mtod(m, void*), tmpl[next].data(), 130);
    arm(m);
  }
  for (unsigned i = 0; i < inflight;) i += rte_eth_tx_burst(gport, 0, prime.data() + i, uint16_t(std::min(32u, inflight - i)));
  const uint64_t hz = rte_get_tsc_hz();
  uint64_t bad = 0, back_total = 0;
  std::vector<double> mpps;
  const uint32_t our_ip = *reinterpret_cast<const uint32_t*>(u.ip4.b);
  for (int r = -1; r < reps; ++r) {  // run -1 warms up
    uint64_t back = 0, t0 = rte_rdtsc(), until = t0 + uint64_t(seconds * double(hz));
    uint64_t t = t0;
    rte_mbuf* b[kBurst];
    while (t < until) {
      uint16_t n = rte_eth_rx_burst(gport, 0, b, kBurst);
      for (uint16_t i = 0; i < n; ++i) {
        const uint8_t* f = rte_pktmbuf_mtod(b[i], const uint8_t*);
        uint32_t dst;
        std::memcpy(&dst, f + 30, 4);
        // relayed: hop count 1 (port=1) and sent on to a peer, not to us
        bool ok = port_mode != 1 || ((f[42 + 18] & 7) == 1 && dst != our_ip && (f[36] | f[37]) != 0);
        bad += !ok;
        arm(b[i]);
      }
      uint16_t s = n ? rte_eth_tx_burst(gport, 0, b, n) : 0;
      if (s < n) rte_pktmbuf_free_bulk(b + s, n - s);
      back += n;
      t = rte_rdtsc();
    }
    if (r >= 0) {
      mpps.push_back(double(back) / (double(t - t0) / double(hz)) / 1e6);
      std::printf("{\"kind\":\"ring-run\",\"target\":\"%s\",\"run\":%d,\"mpps\":%.3f,\"bad\":%lu}\n",
                  port_mode == 1 ? "relay" : port_mode == 2 ? "io" : "macswap", r + 1, mpps.back(),
                  (unsigned long)bad);
    }
    back_total += back;
  }
  runtime::g_stop = true;
  g_io_stop = true;
  rte_eal_wait_lcore(lc);
  std::sort(mpps.begin(), mpps.end());
  const CoreCounters& c = *p.w.c;
  std::printf("{\"kind\":\"ring\",\"port\":\"net_ring\",\"target\":\"%s\",\"inflight\":%u,\"reps\":%d,\"seconds\":%.2f,"
              "\"mpps_median\":%.2f,\"mpps_min\":%.2f,\"mpps_max\":%.2f,\"back\":%lu,\"bad\":%lu,"
              "\"relayed\":%lu,\"drops\":%lu,\"tx_full\":%lu,\"rendezvous_capped\":%lu}\n",
              port_mode == 1 ? "relay" : port_mode == 2 ? "io" : "macswap", inflight, reps, seconds, mpps[mpps.size() / 2], mpps.front(),
              mpps.back(), (unsigned long)back_total, (unsigned long)bad, (unsigned long)c.relayed,
              (unsigned long)c.drops_total(), (unsigned long)c.drop[size_t(Drop::tx_full)],
              (unsigned long)c.rendezvous_capped);
  return bad == 0 && (port_mode != 1 || c.relayed > 0) ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  unsigned peers = argc > 1 ? unsigned(atoi(argv[1])) : 100000;
  int reps = argc > 2 ? atoi(argv[2]) : 31;
  unsigned n_mbufs = argc > 3 ? unsigned(atoi(argv[3])) : 4096;
  bool fake = argc > 4 && atoi(argv[4]) == 1;
  bool pairs = !(argc > 5 && atoi(argv[5]) == 0);
  int mode = argc > 6 ? atoi(argv[6]) : 0;
  int limits = argc > 7 ? atoi(argv[7]) : 1;
  int port_mode = argc > 8 ? atoi(argv[8]) : 0;
  double seconds = argc > 9 ? atof(argv[9]) : 2.0;
  n_mbufs = std::max(unsigned(kBurst), n_mbufs / kBurst * kBurst);
  std::string pfx = "--file-prefix=flatnet-benchfp-" + std::to_string(getpid());
  // With a port: main lcore 0 (the generator) on core 1, worker lcore 1 on core 0.
  const char* lcores = port_mode ? "--lcores=0@1,1@0" : "--lcores=0@0";
  const char* a[] = {"bench", "--no-huge", "--no-pci", "-m", "512", lcores, "--log-level=*:error",
                     "--no-telemetry", pfx.c_str()};
  if (rte_eal_init(int(std::size(a)), const_cast<char**>(a)) < 0) return 1;
  std::string runtime_dir = rte_eal_get_runtime_dir();
  std::string err;
  tables::TableParams tp;
  tp.name = "bench";
  tp.capacity = std::max(1024u, peers * 2);
  tp.max_readers = 1;
  rte_malloc_socket_stats heap0{}, heap1{};
  rte_malloc_get_socket_stats(0, &heap0);
  auto table = tables::PeerTable::create(tp, &err);
  rte_malloc_get_socket_stats(0, &heap1);
  // The table's own allocation at this capacity (--no-huge: one socket).
  const double table_bytes = double(heap1.heap_allocsz_bytes - heap0.heap_allocsz_bytes);
  if (!table) {
    std::fprintf(stderr, "table: %s\n", err.c_str());
    return 1;
  }
  std::vector<uint64_t> addrs;
  std::vector<flatnet_ipc_phys_addr> addr_paths;
  std::mt19937_64 rng(1);
  for (unsigned i = 0; i < peers; ++i) {
    uint64_t ad = (rng() & 0xfeffffffffULL) | 0x0100000000ULL;  // never reserved
    const uint32_t ip = 0x0a000000u | (1 + (i >> 16) % 250) << 16 | (i & 0xffffu);
    flatnet_ipc_phys_addr p = ipc::phys_v4(ip, uint16_t(10000 + i % 50000));
    if (table->upsert(ad, p) == FLATNET_IPC_OK) {
      addrs.push_back(ad);
      addr_paths.push_back(p);
    }
  }
  table->reader_register(0);
  table->reader_online(0);
  rte_mempool* pool = make_pool("bench_pool", n_mbufs * 2 + 1023, 0);
  Underlay u;
  u.mac = Mac{{2, 0, 0, 0, 0, 1}};
  uint8_t ip[4] = {10, 0, 0, 1}, gw[4] = {10, 0, 0, 254};
  u.ip4 = IpAddr::v4(ip);
  u.prefix4 = 24;
  u.gw4 = IpAddr::v4(gw);
  Switches sw;
  sw.relay = true;
  sw.self_address = 0x1111111111;
  NeighborTable neigh({}, rte_get_tsc_hz());
  neigh.learn(u.gw4, Mac{{2, 0, 0, 0, 0, 0xfe}}, true);
  runtime::ControlBridge br;
  br.table = table.get();
  ControlHooks hooks;
  runtime::bind_hooks(br, &hooks);
  // Punts: the bridge's known_peer hook (path lookup and refresh) as bound
  // above; the copy goes to a buffer instead of an IPC slot, and the ring
  // always has room.
  hooks.punt = [](void*, unsigned, const uint8_t* d, uint16_t len, const PuntInfo& info) {
    static uint8_t slot[2048];
    slot[0] = uint8_t(info.time_ns);  // the stage reads the clock once per burst
    std::memcpy(slot + 1, d, len);
    return true;
  };
  hooks.punt_fill = [](void*, unsigned, unsigned* used, unsigned* slots) {
    *used = 0;
    *slots = 1024;
    return true;
  };
  hooks.unknown_dest = nullptr;
  hooks.relaying_pair = [](void*, unsigned, uint64_t, uint64_t, uint32_t) { return false; };  // no control
  if (!pairs) hooks.relaying_pair = nullptr;
  if (fake)
    hooks.lookup = [](void*, const uint64_t*, unsigned n, PathView* p, bool* f) {
      for (unsigned i = 0; i < n; ++i) {
        p[i] = PathView{Family::kV4, 9999, 0, {10, 1, 2, 3}};
        f[i] = true;
      }
    };
  CoreCounters c;
  Worker w;
  w.u = &u;
  w.sw = &sw;
  w.neigh = &neigh;
  w.pool = pool;
  w.hooks = &hooks;
  w.c = &c;
  worker_init(w, rte_get_tsc_hz(), 10.0, 100, 1000);
  PoliceConfig pc;
  if (limits >= 2) pc.relay_limit_pps = 100000000;
  if (limits >= 3) {
    pc.punt_source_pps = 1000000;
    pc.punt_source_burst = 1000000;
    pc.punt_global_pps = 100000000;
    pc.punt_global_burst = 10000000;
    pc.relay_limit_burst = 10000000;
  }
  if (limits >= 1) police_init(w, pc);

  std::vector<std::vector<uint8_t>> tmpl(n_mbufs);
  std::vector<rte_mbuf*> ms(n_mbufs);
  for (unsigned i = 0; i < n_mbufs; ++i) {
    auto& f = tmpl[i];
    f.assign(130, 0);
    std::memcpy(f.data(), u.mac.b, 6);
    f[6] = 2;
    f[11] = 9;
    f[12] = 0x08;
    uint8_t* iph = f.data() + 14;
    iph[0] = 0x45;
    iph[3] = 116;
    iph[6] = 0x40;
    iph[8] = 64;
    iph[9] = 17;
    iph[12] = 10;
    iph[13] = 9;
    iph[14] = 9;
    iph[15] = 9;
    size_t pi = rng() % addrs.size();
    if (mode == 1) {  // one unknown physical source per mbuf
      iph[13] = uint8_t(200 + (i >> 16));
      iph[14] = uint8_t(i >> 8);
      iph[15] = uint8_t(i);
    } else if (mode == 2) {
      std::memcpy(iph + 12, addr_paths[pi].ip, 4);
    }
    std::memcpy(iph + 16, ip, 4);
    uint32_t s = 0;
    for (int k = 0; k < 20; k += 2) s += uint32_t(iph[k] << 8 | iph[k + 1]);
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    iph[10] = uint8_t(~s >> 8);
    iph[11] = uint8_t(~s);
    uint8_t* udp = iph + 20;
    udp[0] = 0x9c;
    udp[1] = 0x40;
    if (mode == 2) {
      udp[0] = uint8_t(addr_paths[pi].udp_port >> 8);
      udp[1] = uint8_t(addr_paths[pi].udp_port);
    }
    udp[2] = 0x27;
    udp[3] = 0x09;
    udp[5] = 96;
    uint8_t* v = udp + 8;
    for (int k = 0; k < 8; ++k) v[k] = uint8_t(rng());
    wire::write_addr40(v + 8, mode ? sw.self_address.load() : addrs[rng() % addrs.size()]);
    uint64_t src = addrs[rng() % addrs.size()];
    if (mode == 1) src = 0x2200000000ULL | (rng() & 0xffffffffULL);  // not in the table
    if (mode == 2) src = addrs[pi];
    wire::write_addr40(v + 13, src);
    v[18] = 0x88;
    ms[i] = rte_pktmbuf_alloc(pool);
  }
  if (port_mode) {
    int rc = ring_bench(w, pool, tmpl, n_mbufs, reps, seconds, port_mode, u);
    table->reader_offline(0);
    table.reset();
    rte_eal_cleanup();
    std::error_code ec;
    std::filesystem::remove_all(runtime_dir, ec);
    return rc;
  }
  auto fill = [&] {
    for (unsigned i = 0; i < n_mbufs; ++i) {
      rte_mbuf* m = ms[i];
      m->data_off = RTE_PKTMBUF_HEADROOM;
      m->data_len = 130;
      m->pkt_len = 130;
      std::memcpy(rte_pktmbuf_mtod(m, void*), tmpl[i].data(), 130);
    }
  };
  std::vector<double> cyc;
  for (int r = 0; r < reps; ++r) {
    uint64_t tot = 0;
    for (int it = 0; it < 64; ++it) {
      fill();
      uint64_t t0 = rte_rdtsc();
      for (unsigned i = 0; i < n_mbufs; i += kBurst) {
        process_burst(w, ms.data() + i, kBurst);
        w.tx.n = 0;  // "sent": the mbufs are reused
        hooks.quiescent(hooks.ctx, 0);
      }
      tot += rte_rdtsc() - t0;
    }
    cyc.push_back(double(tot) / (64.0 * n_mbufs));
  }
  std::sort(cyc.begin(), cyc.end());
  double hz = double(rte_get_tsc_hz());
  std::printf("{\"mode\":%d,\"limits\":%d,\"punted\":%lu,\"punted_known\":%lu,", mode, limits,
              (unsigned long)c.punted, (unsigned long)c.punted_known);
  std::printf("\"capacity\":%u,\"table_bytes_per_slot\":%.1f,", tp.capacity, table_bytes / tp.capacity);
  std::printf("\"peers\":%zu,\"mbufs\":%u,\"fake_lookup\":%d,\"pairs\":%d,\"reps\":%d,\"relayed\":%lu,\"drops\":%lu,"
              "\"cycles_median\":%.1f,\"cycles_min\":%.1f,\"cycles_max\":%.1f,\"tsc_ghz\":%.2f,"
              "\"mpps_median\":%.2f}\n",
              addrs.size(), n_mbufs, fake ? 1 : 0, pairs ? 1 : 0, reps, (unsigned long)c.relayed,
              (unsigned long)c.drops_total(), cyc[cyc.size() / 2], cyc.front(), cyc.back(), hz / 1e9,
              hz / cyc[cyc.size() / 2] / 1e6);
  table->reader_offline(0);
  table.reset();
  rte_eal_cleanup();
  std::error_code ec;
  std::filesystem::remove_all(runtime_dir, ec);
  // A refused punt is what limits 1 is for; anything else must pass.
  return c.drops_total() == 0 || (mode != 0 && limits == 1) ? 0 : 1;
}
