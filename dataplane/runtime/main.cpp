// flatnet-dataplane: the DPDK primary process of a flatnet root.
//
//   start-up:  options + JSON config -> EAL (own file prefix, memory cap) ->
//              mbuf pool -> underlay port (one queue pair per worker, RSS
//              where offered) -> peer table + IPC segment -> telemetry ->
//              workers on their lcores
//   main lcore: applies control's commands, sends control's injects (handed
//              to worker 0), mirrors the relay switch; with zero workers it
//              also polls the port itself
//   shutdown:  SIGINT/SIGTERM -> loops stop -> lcores joined -> port closed
//              -> segment marked stopped and removed
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_ring.h>
#include <signal.h>
#include <time.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <random>
#include <vector>

#include "dataplane/fastpath/meta.hpp"
#include "dataplane/fastpath/stage.hpp"
#include "dataplane/ipc/clock.hpp"
#include "dataplane/ipc/phys_addr.hpp"
#include "dataplane/runtime/config.hpp"
#include "dataplane/runtime/control_bridge.hpp"
#include "dataplane/runtime/eal_args.hpp"
#include "dataplane/runtime/gateway.hpp"
#include "dataplane/runtime/lcore.hpp"
#include "dataplane/runtime/options.hpp"
#include "dataplane/runtime/port.hpp"
#include "dataplane/runtime/telemetry.hpp"

using namespace flatnet;
using namespace flatnet::runtime;

namespace {

void on_signal(int) { g_stop.store(true, std::memory_order_relaxed); }

using flatnet::ipc::mono_ns;

int die(const std::string& msg) {
  std::fprintf(stderr, "flatnet-dataplane: %s\n", msg.c_str());
  return 1;
}

// EUI-64 link-local address from the port MAC (RFC 4291 appendix A).
fastpath::IpAddr link_local(const fastpath::Mac& m) {
  uint8_t b[16] = {0xfe, 0x80};
  b[8] = m.b[0] ^ 0x02;
  b[9] = m.b[1];
  b[10] = m.b[2];
  b[11] = 0xff;
  b[12] = 0xfe;
  b[13] = m.b[3];
  b[14] = m.b[4];
  b[15] = m.b[5];
  return fastpath::IpAddr::v6(b);
}

}  // namespace

// A network ID as the start-up line shows it.
static std::string ipc_hex(uint64_t id) {
  char b[17];
  std::snprintf(b, sizeof b, "%016llx", static_cast<unsigned long long>(id));
  return b;
}

int main(int argc, char** argv) {
  int code = 0;
  auto cli = parse_cli(argc, argv, &code);
  if (!cli) return code;
  std::string err;
  nlohmann::json j = nlohmann::json::object();
  if (!cli->config_path.empty()) {
    auto f = read_json_file(cli->config_path, &err);
    if (!f) return die(err);
    j = *f;
  }
  auto cfg = parse_config(merge_config(j, cli->overrides), &err);
  if (!cfg) return die(err);
  std::vector<std::string> eal = build_eal_args(*cfg, cli->eal, probe_host());
  if (cli->check_only) {
    std::printf("config ok; EAL arguments:");
    for (auto& a : eal) std::printf(" %s", a.c_str());
    std::printf("\n");
    return 0;
  }

  std::vector<char*> eal_argv;
  for (auto& a : eal) eal_argv.push_back(a.data());
  if (rte_eal_init(int(eal_argv.size()), eal_argv.data()) < 0)
    return die(std::string("EAL initialisation failed: ") + rte_strerror(rte_errno));

  struct sigaction sa{};
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  unsigned want_workers = cfg->workers;
  unsigned lcores_avail = rte_lcore_count() - 1;
  if (want_workers > lcores_avail) {
    std::fprintf(stderr, "flatnet-dataplane: %u workers asked, %u worker lcores given; using %u\n",
                 want_workers, lcores_avail, lcores_avail);
    want_workers = lcores_avail;
  }
  // Every port's queue pairs first: all ports get one pair per poller, so
  // no port has a queue nobody polls (port.hpp, plan_pollers).
  const PortConfig& pc = *cfg->port("underlay");
  const PortConfig* lan_pc = cfg->port("lan");
  const PortConfig* host_pc = cfg->port("host");
  std::vector<PortQueues> offered;
  for (const PortConfig* c : {&pc, lan_pc, host_pc}) {
    if (!c) continue;
    offered.emplace_back();
    if (!port_queues(port_name(c->devargs), &offered.back(), &err)) return die(err);
  }
  unsigned pollers = 1;
  if (!plan_pollers(offered, want_workers, &pollers, &err)) return die(err);
  if (want_workers > pollers) {
    std::fprintf(stderr, "flatnet-dataplane: %u workers asked, the ports have %u queue pairs; running %u\n",
                 want_workers, pollers, pollers);
    want_workers = pollers;
  }
  unsigned pool_n = cfg->pool_size ? cfg->pool_size
                                   : pollers * (cfg->rx_desc + cfg->tx_desc + 2 * fastpath::TxBuffer::kCap) +
                                         cfg->neighbor_pending + 2048;
  rte_mempool* pool = fastpath::make_pool("flatnet_pkts", pool_n, int(rte_socket_id()));
  if (!pool) return die(std::string("mbuf pool of ") + std::to_string(pool_n) + ": " + rte_strerror(rte_errno));

  PortInfo port;
  if (!setup_port(port_name(pc.devargs), pollers, cfg->rx_desc, cfg->tx_desc, pc.mtu, pool, &port, &err,
                  kRssUnderlay))
    return die(err);
  // A gateway: the LAN port and its host port, one queue pair per poller like the underlay's.
  Gateway gw;
  if (lan_pc && !gateway_port(*lan_pc, pollers, cfg->rx_desc, cfg->tx_desc, pool, &gw, &err)) return die(err);
  if (host_pc && !gateway_host_port(*host_pc, pollers, cfg->rx_desc, cfg->tx_desc, pool, &gw, &err))
    return die(err);
  if (port.queues != pollers || (lan_pc && gw.lan.queues != pollers) || (host_pc && gw.host.queues != pollers))
    return die("a port took fewer queue pairs than it offered");

  fastpath::Underlay u;
  u.port_id = port.port_id;
  u.mac = port.mac;
  u.ip4 = cfg->ip4;
  u.prefix4 = cfg->prefix4;
  u.gw4 = cfg->gw4;
  u.ip6 = cfg->ip6;
  u.prefix6 = cfg->prefix6;
  u.gw6 = cfg->gw6;
  u.ip6_ll = link_local(port.mac);
  u.udp_port = cfg->udp_port;
  u.secondary_port = choose_secondary_port(*cfg, uint32_t(std::random_device{}()));
  u.mtu = pc.mtu;
  u.verify_udp4_csum = cfg->verify_udp4_checksum;
  fastpath::Switches sw;
  sw.relay.store(cfg->relay);
  sw.self_address.store(cfg->address);

  uint64_t hz = rte_get_tsc_hz();
  fastpath::NeighborTable::Limits lim;
  lim.capacity = cfg->neighbor_capacity;
  lim.pending_max = cfg->neighbor_pending;
  fastpath::NeighborTable neigh(lim, hz);
  for (const auto& n : cfg->neighbors) neigh.learn(n.ip, n.mac, true);

  tables::TableParams tp;
  tp.name = "fn_" + cfg->instance;
  tp.capacity = cfg->table_capacity;
  tp.max_readers = pollers;
  auto table = tables::PeerTable::create(tp, &err);
  if (!table) return die("peer table: " + err);
  table->set_config(FLATNET_IPC_CFG_RELAY, cfg->relay ? 1 : 0, flatnet_ipc_phys_addr{});
  flatnet_ipc_phys_addr sibling{};
  if (cfg->sibling && ipc::to_phys(*cfg->sibling, port.port_id, &sibling))
    table->set_config(FLATNET_IPC_CFG_SIBLING_ROOT, 1, sibling);
  if (cfg->path_max_idle_s)
    table->set_config(FLATNET_IPC_CFG_PATH_MAX_IDLE_MS, uint64_t(cfg->path_max_idle_s) * 1000,
                      flatnet_ipc_phys_addr{});
  if (lan_pc && !gateway_tables(*cfg, pollers, table->qsbr(), &gw, &err)) return die(err);
  ipc::ServiceParams sp;
  sp.instance = cfg->instance;
  sp.workers = pollers;
  sp.udp_port = u.udp_port;  // for control's /status
  sp.secondary_port = u.secondary_port;
  if (lan_pc) {
    sp.lan_network = gw.nwid;
    sp.lan_port_id = gw.lan.port_id;
    sp.lan_vlans = gw.vlans;
    sp.host_iface = gw.host_iface;
  }
  auto service = ipc::Service::create(sp, &err);
  if (!service) return die("IPC segment: " + err);

  ControlBridge bridge;
  bridge.service = service.get();
  bridge.table = table.get();
  bridge.port_id = port.port_id;
  bridge.local4 = cfg->ip4;
  bridge.local6 = cfg->ip6;
  fastpath::ControlHooks hooks;
  bind_hooks(bridge, &hooks);

  // Pollers, plus the main lcore's own counters and tx staging.
  std::vector<std::unique_ptr<Poller>> ps;
  std::vector<std::unique_ptr<fastpath::CoreCounters>> counters;
  std::vector<const fastpath::CoreCounters*> views;
  auto init_worker = [&](fastpath::Worker& w, unsigned id) {
    counters.push_back(std::make_unique<fastpath::CoreCounters>());
    views.push_back(counters.back().get());
    w.id = id;
    w.u = &u;
    w.sw = &sw;
    w.neigh = &neigh;
    w.pool = pool;
    w.hooks = &hooks;
    w.c = counters.back().get();
    fastpath::worker_init(w, hz, cfg->rendezvous_interval_s, cfg->unknown_events_per_s,
                          cfg->rendezvous_events_per_s);
    fastpath::police_init(w, cfg->police);
  };
  for (unsigned i = 0; i < pollers; ++i) {
    auto p = std::make_unique<Poller>();
    init_worker(p->w, i);
    p->port = port.port_id;
    p->queue = uint16_t(i);
    p->idle.busy = cfg->busy_poll;
    p->idle.pause_after = cfg->idle_pause_after;
    p->idle.sleep_after = cfg->idle_sleep_after;
    p->idle.sleep_max_us = cfg->idle_sleep_max_us;
    if (lan_pc) {
      p->w.vl2 = gw.ports[i].get();
      p->under_flows = gw.under_flows.get();
      p->lan_flows = gw.lan_flows.get();
    }
    table->reader_register(i);
    table->reader_online(i);
    ps.push_back(std::move(p));
  }
  fastpath::Worker main_w;  // injects built on the main lcore when workers run apart
  init_worker(main_w, service->main_channel());
  rte_ring* main_ring = nullptr;
  if (want_workers) {
    main_ring = rte_ring_create("flatnet_main_tx", 1024, int(rte_socket_id()), RING_F_SP_ENQ | RING_F_SC_DEQ);
    if (!main_ring) return die(std::string("main tx ring: ") + rte_strerror(rte_errno));
    ps[0]->from_main = main_ring;
  }
  register_telemetry(views);

  // The counters block of the IPC segment: the same counters as telemetry,
  // per channel (poller i = channel i, main_w = the main channel), published
  // by this loop every stats_interval_ms for control's /metrics.
  const std::vector<std::string> stat_names = counter_names();
  if (views.size() != service->n_channels())
    return die("counters block: " + std::to_string(views.size()) + " counter sets for " +
               std::to_string(service->n_channels()) + " channels");
  if (!service->stats_define(stat_names, &err)) return die("IPC " + err);
  std::vector<uint64_t> stat_rows(stat_names.size() * views.size()), stat_one(stat_names.size());
  auto publish_stats = [&](uint64_t now) {
    const size_t nch = views.size();
    for (size_t c = 0; c < nch; ++c) {
      counter_values(*views[c], stat_one.data());
      for (size_t i = 0; i < stat_one.size(); ++i) stat_rows[i * nch + c] = stat_one[i];
    }
    service->stats_publish(stat_rows.data(), now);
  };

  std::printf("flatnet-dataplane: instance %s port %s (%s) mac %s queues %u rss %s workers %u\n",
              cfg->instance.c_str(), port_name(pc.devargs).c_str(), port.driver.c_str(),
              fastpath::to_string(port.mac).c_str(), unsigned(port.queues), port.rss ? "on" : "off",
              want_workers);
  const std::string secondary = u.secondary_port ? std::to_string(u.secondary_port) : "off";
  std::printf("flatnet-dataplane: ipv4 %s/%u ipv6 %s/%u udp %u secondary %s relay %s segment %s\n",
              fastpath::to_string(u.ip4).c_str(), u.prefix4, fastpath::to_string(u.ip6).c_str(), u.prefix6,
              unsigned(u.udp_port), secondary.c_str(), cfg->relay ? "on" : "off", service->path().c_str());
  if (lan_pc) {
    std::string nets = gw.nwid ? "network " + ipc_hex(gw.nwid) : "no untagged network";
    for (const auto& [vid, id] : gw.vlans) nets += ", vlan " + std::to_string(vid) + " network " + ipc_hex(id);
    std::printf("flatnet-dataplane: lan port %s (%s) mac %s queues %u bridged into %s\n",
                port_name(lan_pc->devargs).c_str(), gw.lan.driver.c_str(), fastpath::to_string(gw.lan.mac).c_str(),
                unsigned(gw.lan.queues), nets.c_str());
    if (gw.has_host)
      std::printf("flatnet-dataplane: host port %s (%s) interface %s queues %u on network %s\n",
                  port_name(host_pc->devargs).c_str(), gw.host.driver.c_str(), gw.host_iface.c_str(),
                  unsigned(gw.host.queues), ipc_hex(gw.nwid).c_str());
  }
  std::printf("flatnet-dataplane: ready\n");
  std::fflush(stdout);

  if (want_workers) {
    unsigned i = 0, lc;
    RTE_LCORE_FOREACH_WORKER(lc) {
      if (i >= want_workers) break;
      rte_eal_remote_launch(worker_main, ps[i].get(), lc);
      ++i;
    }
  }

  // The main loop. With zero workers it polls the port between service
  // rounds; otherwise it backs off on its own when control is quiet.
  fastpath::Worker& inj = want_workers ? main_w : ps[0]->w;
  IdleBackoff main_idle;
  main_idle.sleep_after = 64;
  main_idle.sleep_max_us = 1000;
  auto sink = [&](const ipc::Inject& in) {
    fastpath::PathView dst;
    if (!from_phys(in.dst, &dst)) {
      inj.c->count_drop(fastpath::Drop::inject_bad);
      return int(ipc::kInjectRefused);
    }
    inj.now = rte_get_tsc_cycles();
    // The fast path counts what it refuses (drop_inject_bad); the service
    // counts only what was taken or found no mbuf, so each inject counts once.
    switch (fastpath::inject(inj, in.data, in.len, dst)) {
      case fastpath::InjectResult::kNoMbuf: return int(ipc::kInjectNoRoom);
      case fastpath::InjectResult::kBad:
      case fastpath::InjectResult::kNoRoute:
      case fastpath::InjectResult::kTooBig: return int(ipc::kInjectRefused);
      default: return int(ipc::kInjectTaken);
    }
  };
  // A gateway's tables take the VL2 commands; applied on this (the writer) lcore.
  const ipc::Service::CommandHook vl2_commands = [&gw](const flatnet_ipc_command& c) {
    return gw.tables->apply(c);
  };
  while (!g_stop.load(std::memory_order_relaxed)) {
    const uint64_t now = mono_ns();
    ipc::Service::PollResult r = service->poll_main(*table, now, sink, 64, 32, lan_pc ? &vl2_commands : nullptr);
    if (service->stats_due(now)) publish_stats(now);
    sw.relay.store(table->relay_enabled(), std::memory_order_relaxed);
    unsigned work = r.commands + r.injects + r.events;
    if (lan_pc) work += gateway_round(gw, now);
    if (lan_pc) gateway_counters(gw, *main_w.c);
    if (want_workers) {
      if (main_w.neigh->pending()) fastpath::housekeeping(main_w);
      if (main_w.tx.n) {
        unsigned q = rte_ring_sp_enqueue_burst(main_ring, reinterpret_cast<void**>(main_w.tx.pkts),
                                               main_w.tx.n, nullptr);
        if (q < main_w.tx.n) {
          main_w.c->drop[size_t(fastpath::Drop::tx_full)] += main_w.tx.n - q;
          rte_pktmbuf_free_bulk(main_w.tx.pkts + q, main_w.tx.n - q);
        }
        main_w.tx.n = 0;
      }
      main_idle.got(work);
      if (main_idle.next() != IdleBackoff::Action::kNone) main_idle.sleep();
    } else {
      Poller& p = *ps[0];
      poll_once(p);
      p.idle.got(work);
      back_off(p);
    }
  }

  std::printf("flatnet-dataplane: stopping\n");
  rte_eal_mp_wait_lcore();
  if (want_workers == 0) drain(*ps[0]);  // workers drain their own on the way out
  for (unsigned i = 0; i < pollers; ++i) table->reader_offline(i);
  publish_stats(mono_ns());  // final counts, for a reader still mapping the segment
  stop_port(port.port_id);
  if (lan_pc) stop_port(gw.lan.port_id);
  if (gw.has_host) stop_port(gw.host.port_id);
  service.reset();
  gw.tables.reset();  // before the peer table: its QSBR variable is the tables'
  table.reset();
  rte_ring_free(main_ring);
  // DPDK 22.11 leaves the runtime directory (config, fbarrays, telemetry
  // socket) behind unless --in-memory, which it refuses with --no-huge.
  std::string runtime_dir = rte_eal_get_runtime_dir();
  rte_eal_cleanup();
  std::error_code ec;
  std::filesystem::remove_all(runtime_dir, ec);
  return 0;
}
