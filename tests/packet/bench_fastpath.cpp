// Fast-path micro-benchmark (not a test; speed is never asserted): bursts of
// 130-byte frames (Ethernet/IPv4/UDP + 88-byte VL1 heads to random peers)
// through process_burst against the real peer table with P peers, no port,
// no I/O. Reports TSC cycles per packet over R repetitions (median, min,
// max). The frames are rewritten from templates before each pass; that copy
// is outside the timed region.
//
//   bench_fastpath [peers=100000] [reps=31] [mbufs=4096] [fake_lookup=0] [pairs=1] [mode=0]
//                  [limits=1]
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
#include <rte_cycles.h>
#include <rte_eal.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <random>
#include <vector>

#include "dataplane/fastpath/stage.hpp"
#include "dataplane/runtime/control_bridge.hpp"
#include "dataplane/wire/vl1.hpp"

using namespace flatnet;
using namespace flatnet::fastpath;

int main(int argc, char** argv) {
  unsigned peers = argc > 1 ? unsigned(atoi(argv[1])) : 100000;
  int reps = argc > 2 ? atoi(argv[2]) : 31;
  unsigned n_mbufs = argc > 3 ? unsigned(atoi(argv[3])) : 4096;
  bool fake = argc > 4 && atoi(argv[4]) == 1;
  bool pairs = !(argc > 5 && atoi(argv[5]) == 0);
  int mode = argc > 6 ? atoi(argv[6]) : 0;
  int limits = argc > 7 ? atoi(argv[7]) : 1;
  n_mbufs = std::max(unsigned(kBurst), n_mbufs / kBurst * kBurst);
  std::string pfx = "--file-prefix=flatnet-benchfp-" + std::to_string(getpid());
  const char* a[] = {"bench", "--no-huge", "--no-pci", "-m", "512", "-l", "0", "--log-level=*:error",
                     "--no-telemetry", pfx.c_str()};
  if (rte_eal_init(int(std::size(a)), const_cast<char**>(a)) < 0) return 1;
  std::string runtime_dir = rte_eal_get_runtime_dir();
  std::string err;
  tables::TableParams tp;
  tp.name = "bench";
  tp.capacity = std::max(1024u, peers * 2);
  tp.max_readers = 1;
  auto table = tables::PeerTable::create(tp, &err);
  if (!table) {
    std::fprintf(stderr, "table: %s\n", err.c_str());
    return 1;
  }
  std::vector<uint64_t> addrs;
  std::vector<flatnet_ipc_phys_addr> addr_paths;
  std::mt19937_64 rng(1);
  for (unsigned i = 0; i < peers; ++i) {
    uint64_t ad = (rng() & 0xfeffffffffULL) | 0x0100000000ULL;  // never reserved
    flatnet_ipc_phys_addr p{};
    p.family = FLATNET_IPC_AF_INET;
    p.udp_port = uint16_t(10000 + i % 50000);
    p.ip[0] = 10;
    p.ip[1] = uint8_t(1 + (i >> 16) % 250);
    p.ip[2] = uint8_t(i >> 8);
    p.ip[3] = uint8_t(i);
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
  hooks.relaying_pair = [](void*, unsigned, uint64_t, uint64_t) { return false; };  // no control
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
