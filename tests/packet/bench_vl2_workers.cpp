// Several gateway workers (not a test; speed is never asserted;
// docs/bench-gateway.md "Several workers"), inside this one process:
//
//   stamp    the flow owner stamps' cost (dataplane/fastpath/vl2_flow.hpp):
//            TSC cycles per frame of lan_flow_moves / underlay_flow_moves on
//            bursts of 32 frames from 1, 64 and 4,096 flows (4,096: as many
//            flows as stamps, 32 KiB of them), frame headers in cache, one
//            thread, the least of 50 short rounds;
//   decap    the gateway's own poll loop (runtime::worker_main) on 1 .. W
//            workers, each with its queue pair of two net_ring ports
//            (underlay and LAN, W queues each) and its Vl2Port from
//            runtime::gateway_tables (per-worker reassembly, shared flow
//            stamps); the generator (main lcore) replays a pre-armored
//            EXT_FRAME pool from P peers, peer k's datagrams into underlay
//            queue k % W (a NIC's RSS: a peer's path on one queue), and
//            takes the LAN frames from every queue, checking each
//            (tools/pktgen/vl2_traffic.hpp) and its flow's order (FlowOrder).
//
//   bench_vl2_workers [seconds=1] [workers=1,2] [sizes=512,1400] [peers=100]
//
// One JSON line per run. With fewer CPUs than workers + 1 the lcores float
// over all CPUs (the generator shares them): Mpps then says more about the
// machine than about the gateway; the cycle figures do not depend on it.
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "tests/packet/bench_args.hpp"
#include "dataplane/fastpath/vl2_flow.hpp"
#include "dataplane/runtime/control_bridge.hpp"
#include "dataplane/runtime/gateway.hpp"
#include "dataplane/runtime/lcore.hpp"
#include "dataplane/tables/peer_table.hpp"
#include "tools/pktgen/vl2_traffic.hpp"

using namespace flatnet;
using namespace flatnet::fastpath;
using flatnet::test::parse_list;
namespace pv = flatnet::pktgen::vl2;
namespace tv = flatnet::tables::vl2;

namespace {

constexpr uint64_t kNw = 0x8056c2e21c000001ull;
constexpr uint64_t kSelf = 0x1111111111;
constexpr unsigned kMaxQ = 8;
constexpr uint64_t kWindow = 1024;  // frames in flight, all queues

// Two net_ring ports back to back with q queue pairs each.
struct MultiRing {
  uint16_t peer = 0, dp = 0;
};
bool make_multi_ring(const std::string& tag, unsigned q, rte_mempool* pool, MultiRing* out) {
  rte_ring* to_dp[kMaxQ];
  rte_ring* from_dp[kMaxQ];
  for (unsigned i = 0; i < q; ++i) {
    to_dp[i] = rte_ring_create(("bw_in_" + tag + std::to_string(i)).c_str(), 4096, SOCKET_ID_ANY,
                               RING_F_SP_ENQ | RING_F_SC_DEQ);
    from_dp[i] = rte_ring_create(("bw_out_" + tag + std::to_string(i)).c_str(), 4096, SOCKET_ID_ANY,
                                 RING_F_SP_ENQ | RING_F_SC_DEQ);
    if (!to_dp[i] || !from_dp[i]) return false;
  }
  const int peer = rte_eth_from_rings(("net_ring_bwp_" + tag).c_str(), from_dp, q, to_dp, q, SOCKET_ID_ANY);
  const int dp = rte_eth_from_rings(("net_ring_bwd_" + tag).c_str(), to_dp, q, from_dp, q, SOCKET_ID_ANY);
  if (peer < 0 || dp < 0) return false;
  out->peer = uint16_t(peer);
  out->dp = uint16_t(dp);
  for (uint16_t port : {out->peer, out->dp}) {
    rte_eth_conf conf{};
    if (rte_eth_dev_configure(port, uint16_t(q), uint16_t(q), &conf) != 0) return false;
    for (unsigned i = 0; i < q; ++i)
      if (rte_eth_rx_queue_setup(port, uint16_t(i), 1024, SOCKET_ID_ANY, nullptr, pool) != 0 ||
          rte_eth_tx_queue_setup(port, uint16_t(i), 1024, SOCKET_ID_ANY, nullptr) != 0)
        return false;
    if (rte_eth_dev_start(port) != 0) return false;
  }
  return true;
}

void flush(uint16_t port, unsigned q) {
  rte_mbuf* b[32];
  for (unsigned i = 0; i < q; ++i)
    for (int guard = 0; guard < 100000; ++guard) {
      const uint16_t n = rte_eth_rx_burst(port, uint16_t(i), b, 32);
      if (n == 0) break;
      rte_pktmbuf_free_bulk(b, n);
    }
}

// Cycles per frame of the stamps on bursts of 32 frames from `flows` flows.
void bench_stamp(rte_mempool* pool, unsigned flows, bool lan) {
  FlowOwners* t = new FlowOwners(rte_get_tsc_hz() / 100);
  const unsigned n_frames = 4096;  // frame i is of flow i % flows
  std::vector<rte_mbuf*> ms(n_frames);
  for (unsigned i = 0; i < n_frames; ++i) {
    ms[i] = rte_pktmbuf_alloc(pool);
    uint8_t* d = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(ms[i], 60));
    std::memset(d, 0, 60);
    d[12] = 0x08;
    d[14] = 0x45;
    d[23] = lan ? 6 : 17;
    const unsigned f = (i % flows) * 2654435761u;
    std::memcpy(d + 26, &f, 4);  // source address: the flow
    d[34] = 0x27;
    d[35] = 0x09;
  }
  // The least of 50 short rounds (~10 ms each): a shared machine preempts some of them.
  uint64_t moves = 0;
  double cpf = 1e9;
  for (int rep = 0; rep < 50; ++rep) {
    uint64_t frames = 0;
    const uint64_t t0 = rte_rdtsc();
    for (int r = 0; r < 20; ++r)
      for (unsigned at = 0; at + 32 <= n_frames; at += 32) {
        moves += lan ? lan_flow_moves(*t, ms.data() + at, 32, 0, rte_rdtsc())
                     : underlay_flow_moves(*t, ms.data() + at, 32, 0, rte_rdtsc());
        frames += 32;
      }
    cpf = std::min(cpf, double(rte_rdtsc() - t0) / double(frames));
  }
  std::printf("{\"kind\":\"stamp\",\"side\":\"%s\",\"flows\":%u,\"cycles_per_frame\":%.1f,\"moves\":%llu}\n",
              lan ? "lan" : "underlay", flows, cpf, (unsigned long long)moves);
  std::fflush(stdout);
  rte_pktmbuf_free_bulk(ms.data(), n_frames);
  delete t;
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 1.0;
  const auto worker_counts = parse_list(argc > 2 ? argv[2] : "1,2");
  const auto sizes = parse_list(argc > 3 ? argv[3] : "512,1400");
  const unsigned np = argc > 4 ? unsigned(std::atoi(argv[4])) : 100;
  const unsigned maxw = std::min(kMaxQ, *std::max_element(worker_counts.begin(), worker_counts.end()));
  const unsigned cpus = std::max(1u, std::thread::hardware_concurrency());
  // The generator on lcore 0, workers on 1..maxw: pinned apart when the
  // machine has the CPUs, floating over all of them otherwise.
  std::string lcores = "--lcores=";
  if (cpus >= maxw + 1) {
    for (unsigned i = 0; i <= maxw; ++i) lcores += (i ? "," : "") + std::to_string(i) + "@" + std::to_string(i);
  } else {
    lcores += "(0-" + std::to_string(maxw) + ")@(0-" + std::to_string(cpus - 1) + ")";
  }
  const std::string pfx = "--file-prefix=fgb-workers-" + std::to_string(getpid());
  const char* a[] = {"bench", "--no-huge", "--no-pci", "-m", "1536", lcores.c_str(), "--log-level=*:error",
                     "--no-telemetry", pfx.c_str()};
  if (rte_eal_init(int(std::size(a)), const_cast<char**>(a)) < 0) return 1;
  const std::string runtime_dir = rte_eal_get_runtime_dir();
  const uint64_t hz = rte_get_tsc_hz();
  rte_mempool* pool = make_pool("fgw_pool", 65535, 0);
  if (!pool) return std::fprintf(stderr, "pool\n"), 1;
  std::printf("# %u CPUs, lcores %s; load ", cpus, lcores.c_str() + 9);
  if (FILE* f = std::fopen("/proc/loadavg", "r")) {
    char b[64] = "";
    if (std::fgets(b, sizeof b, f)) std::fputs(b, stdout);
    std::fclose(f);
  }
  for (bool lan : {true, false})
    for (unsigned flows : {1u, 64u, 4096u}) bench_stamp(pool, flows, lan);

  for (unsigned nw : worker_counts) {
    nw = std::min(nw, kMaxQ);
    if (nw == 0) continue;
    const std::string tag = std::to_string(nw);
    MultiRing under, lan;
    if (!make_multi_ring("u" + tag, nw, pool, &under) || !make_multi_ring("l" + tag, nw, pool, &lan))
      return std::fprintf(stderr, "ring ports\n"), 1;
    std::string err;
    tables::TableParams tp;
    tp.name = "fgw" + tag;
    tp.capacity = 1024;
    tp.max_readers = nw;
    auto table = tables::PeerTable::create(tp, &err);
    if (!table) return std::fprintf(stderr, "table: %s\n", err.c_str()), 1;
    runtime::Config cfg;
    cfg.instance = "fgw" + tag;
    cfg.vl2_peer_capacity = std::max(64u, np * 2);
    runtime::Gateway gw;
    gw.nwid = kNw;
    gw.lan.port_id = lan.dp;
    if (!runtime::gateway_tables(cfg, nw, table->qsbr(), &gw, &err))
      return std::fprintf(stderr, "gateway: %s\n", err.c_str()), 1;
    tv::NetworkSettings ns;
    ns.nwid = kNw;
    ns.mtu = 2800;
    ns.is_private = true;
    gw.tables->network_set(ns);
    pv::Params p;
    p.seed = 1;
    p.nwid = kNw;
    p.gateway = kSelf;
    p.gw_mac = {2, 0, 0, 0, 0, 1};
    p.gen_mac = {2, 0, 0, 0, 0, 0xfe};
    p.gw_ip = 0x0a000001;
    p.peers = np;
    for (uint32_t i = 0; i < np; ++i) {
      const auto peer = pktgen::synthetic_peer(p.seed, i);
      gw.tables->member_set(kNw, peer.address, tv::MemberWord::kPresent | tv::MemberWord::kComValid);
      gw.tables->key_set(peer.address, pv::synthetic_key(p.seed, peer.address), p.suite);
    }
    gw.tables->drain_learn(1024);
    // The workers: the data plane's own poll loop and hooks.
    Underlay u;
    u.mac = Mac{{2, 0, 0, 0, 0, 1}};
    uint8_t ip[4] = {10, 0, 0, 1};
    u.ip4 = IpAddr::v4(ip);
    u.prefix4 = 24;
    Switches sw;
    sw.self_address = kSelf;
    NeighborTable neigh({}, hz);
    runtime::ControlBridge br;
    br.table = table.get();
    ControlHooks hooks;
    runtime::bind_hooks(br, &hooks);
    hooks.punt = [](void*, unsigned, const uint8_t*, uint16_t, const PuntInfo&) { return true; };
    hooks.unknown_dest = nullptr;
    hooks.relaying_pair = nullptr;
    hooks.lan_group = nullptr;
    std::vector<CoreCounters> cc(nw);
    std::vector<runtime::Poller> ps(nw);
    for (unsigned i = 0; i < nw; ++i) {
      Worker& w = ps[i].w;
      w.id = i;
      w.u = &u;
      w.sw = &sw;
      w.neigh = &neigh;
      w.pool = pool;
      w.hooks = &hooks;
      w.c = &cc[i];
      worker_init(w, hz);
      w.vl2 = gw.ports[i].get();
      ps[i].port = under.dp;
      ps[i].queue = uint16_t(i);
      ps[i].under_flows = gw.under_flows.get();
      ps[i].lan_flows = gw.lan_flows.get();
      table->reader_register(i);
      table->reader_online(i);
    }
    for (unsigned size : sizes) {
      p.frame_size = size;
      const unsigned nf = std::max(1024u, np * 16);  // 16 frames per peer: FlowOrder checks them
      const auto dgs = pv::decap_pool(p, nf);
      // Per queue: the pool's datagrams of the peers hashed to it, in pool order.
      std::vector<std::vector<const pv::Datagram*>> per_q(nw);
      for (const auto& d : dgs) per_q[(d.frame % np) % nw].push_back(&d);
      runtime::g_stop = false;
      unsigned lc, k = 0;
      RTE_LCORE_FOREACH_WORKER(lc) {
        if (k >= nw) break;
        rte_eal_remote_launch(runtime::worker_main, &ps[k++], lc);
      }
      pv::FlowOrder order(nf, np);
      // Per queue: frames in flight (a worker sends a frame on its own LAN
      // queue, so queue q's frames come back on LAN queue q), at most
      // kWindow / workers each, so every worker is fed alike.
      std::vector<size_t> at(nw, 0);
      std::vector<uint64_t> sent(nw, 0), got(nw, 0), last_rx(nw, rte_rdtsc());
      const uint64_t window = kWindow / nw;
      uint64_t frames = 0, bad = 0, segs = 0, bytes = 0;
      const uint64_t t_warm = rte_rdtsc() + hz / 5;
      uint64_t t0 = 0, until = ~0ull, frames0 = 0, bytes0 = 0;
      for (unsigned round = 0;; ++round) {
        const uint64_t now = rte_rdtsc();
        if (!t0 && now >= t_warm) {
          t0 = now;
          until = now + uint64_t(seconds * double(hz));
          frames0 = frames;
          bytes0 = bytes;
        }
        if (now >= until) break;
        for (unsigned q = 0; q < nw; ++q) {
          if (sent[q] - got[q] >= window) continue;
          rte_mbuf* b[32];
          if (rte_pktmbuf_alloc_bulk(pool, b, 32) != 0) break;
          for (unsigned i = 0; i < 32; ++i) {
            const pv::Datagram& d = *per_q[q][at[q]];
            at[q] = at[q] + 1 == per_q[q].size() ? 0 : at[q] + 1;
            sent[q] += d.last;
            std::memcpy(rte_pktmbuf_append(b[i], uint16_t(d.bytes.size())), d.bytes.data(), d.bytes.size());
          }
          const uint16_t s = rte_eth_tx_burst(under.peer, uint16_t(q), b, 32);
          if (s < 32) rte_pktmbuf_free_bulk(b + s, 32 - s);  // lost: written off below
        }
        for (unsigned q = 0; q < nw; ++q) {
          rte_mbuf* b[32];
          const uint16_t n = rte_eth_rx_burst(lan.peer, uint16_t(q), b, 32);
          for (uint16_t i = 0; i < n; ++i) {
            const long idx = pv::check_lan_frame(p, rte_pktmbuf_mtod(b[i], const uint8_t*), b[i]->data_len, nf);
            if (idx < 0) {
              ++bad;
              segs += b[i]->nb_segs > 1;
              continue;
            }
            order.saw(unsigned(idx));
            ++frames;
            bytes += b[i]->data_len;
          }
          if (n) {
            rte_pktmbuf_free_bulk(b, n);
            got[q] += n;
            last_rx[q] = now;
          } else if (sent[q] > got[q] && now - last_rx[q] > hz / 20) {
            got[q] = sent[q];  // dropped somewhere (counted by the gateway): written off
            last_rx[q] = now;
          }
        }
        if (round % 64 == 0) {
          gw.tables->drain_learn(256);
          gw.tables->reclaim();
        }
      }
      const double s = double(rte_rdtsc() - t0) / double(hz);
      runtime::g_stop = true;
      rte_eal_mp_wait_lcore();
      // Everything still queued either way, so the next run starts empty
      // (datagrams the workers did not take would come out as its frames).
      for (uint16_t port : {under.peer, under.dp, lan.peer, lan.dp}) flush(port, nw);
      uint64_t moves = 0, per[kMaxQ] = {}, drops = 0;
      for (unsigned i = 0; i < nw; ++i) {
        moves += cc[i].vl2_flow_moves_decap + cc[i].vl2_flow_moves_encap;
        per[i] = cc[i].lan_tx_packets;
        drops += cc[i].drops_total();
        cc[i] = CoreCounters{};
      }
      std::string per_s;
      for (unsigned i = 0; i < nw; ++i) per_s += (i ? "," : "") + std::to_string(per[i]);
      std::printf("{\"kind\":\"workers\",\"workers\":%u,\"peers\":%u,\"size\":%u,\"mpps\":%.3f,\"gbps\":%.3f,"
                  "\"bad\":%llu,\"bad_chained\":%llu,\"out_of_order\":%llu,\"order_seen\":%llu,\"flow_moves\":%llu,\"drops\":%llu,"
                  "\"lan_tx_per_worker\":[%s]}\n",
                  nw, np, size, double(frames - frames0) / s / 1e6, double(bytes - bytes0) * 8 / s / 1e9,
                  (unsigned long long)bad, (unsigned long long)segs, (unsigned long long)order.out_of_order(),
                  (unsigned long long)order.seen(), (unsigned long long)moves, (unsigned long long)drops,
                  per_s.c_str());
      std::fflush(stdout);
    }
    for (unsigned i = 0; i < nw; ++i) {
      if (gw.ports[i]->lan_tx.n) rte_pktmbuf_free_bulk(gw.ports[i]->lan_tx.pkts, gw.ports[i]->lan_tx.n);
      table->reader_offline(i);
      table->reader_unregister(i);
    }
    gw.tables.reset();
  }
  rte_eal_cleanup();
  std::error_code ec;
  std::filesystem::remove_all(runtime_dir, ec);
  return 0;
}
