// flatnet-tableload: a small command-ring client. Attaches to a running data
// plane's segment (as its control, so no other control may be attached) and
// loads, deletes, lists or counts peers, for tests and benchmarks. `stats`
// only looks (read-only mapping, no attach), so it also works beside flatnetd.
//
//   flatnet-tableload -i <instance> load --count 100000 --seed 1
//   flatnet-tableload -i <instance> load --file peers.csv
//   flatnet-tableload -i <instance> delete --count 100 --seed 1
//   flatnet-tableload -i <instance> list [--quiet]
//   flatnet-tableload -i <instance> stats [--json]   (read-only: no attach)
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <time.h>

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <map>
#include <thread>

#include "dataplane/ipc/client.hpp"
#include "dataplane/ipc/synthetic.hpp"
#include "dataplane/ipc/vl2_commands.hpp"
#include "dataplane/ipc/clock.hpp"
#include "dataplane/ipc/phys_addr.hpp"
#include "tools/tableload/peers_file.hpp"

using namespace flatnet;
using Clock = std::chrono::steady_clock;

namespace {

constexpr uint32_t kDoneSeq = 0xfffffff0u;

using flatnet::ipc::mono_ns;

const char* status_name(uint32_t s) {
  switch (s) {
    case FLATNET_IPC_OK: return "ok";
    case FLATNET_IPC_E_UNKNOWN_COMMAND: return "unknown command";
    case FLATNET_IPC_E_BAD_ARGUMENT: return "bad argument";
    case FLATNET_IPC_E_TABLE_FULL: return "table full";
    case FLATNET_IPC_E_NOT_FOUND: return "not found";
    case FLATNET_IPC_E_BUSY: return "busy";
    case FLATNET_IPC_E_UNKNOWN_KEY: return "unknown config key";
  }
  return "?";
}

struct Session {
  ipc::Client& c;
  Clock::time_point deadline;
  std::map<uint32_t, uint64_t> failures;  // status -> count
  bool done = false;

  bool timed_out() const { return Clock::now() > deadline; }
  void drain() {
    c.poll_events([&](const flatnet_ipc_event& e) {
      if (e.type != FLATNET_IPC_EV_RESULT) return;
      if (e.seq == kDoneSeq) done = true;
      else if (e.status != FLATNET_IPC_OK) ++failures[e.status];
    });
  }
  // Send every command in order; when the ring is full, read results and
  // wait a little for the main lcore. false on timeout.
  bool send_all(const std::vector<flatnet_ipc_command>& cmds) {
    size_t i = 0;
    while (i < cmds.size()) {
      unsigned n = c.send_commands(&cmds[i], unsigned(std::min<size_t>(cmds.size() - i, 512)));
      i += n;
      if (n == 0) {
        if (!c.dataplane_alive() || timed_out()) return false;
        drain();
        std::this_thread::sleep_for(std::chrono::microseconds(20));
      }
    }
    return true;
  }
  // Commands apply in order: the ACK of a final NOP means all were applied.
  bool finish() {
    flatnet_ipc_command nop{};
    nop.type = FLATNET_IPC_CMD_NOP;
    nop.flags = FLATNET_IPC_CMD_F_ACK;
    nop.seq = kDoneSeq;
    if (!send_all({nop})) return false;
    while (!done) {
      if (!c.dataplane_alive() || timed_out()) return false;
      drain();
      if (!done) std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
    return true;
  }
  int report(const char* what, size_t n, Clock::time_point t0) {
    double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    uint64_t failed = 0;
    for (auto& [s, k] : failures) failed += k;
    printf("%s: %zu commands, %zu ok, %" PRIu64 " failed, %.1f ms (%.0f/s)\n", what, n,
           size_t(n - failed), failed, ms, ms > 0 ? n / ms * 1000 : 0.0);
    for (auto& [s, k] : failures) printf("  %" PRIu64 " x %s\n", k, status_name(s));
    return failed ? 1 : 0;
  }
};

// `stats`: a read-only look (ipc::Observer), so it neither needs nor
// disturbs an attached control.
int print_stats(const std::string& segment, bool json) {
  std::string err;
  auto o = ipc::Observer::open(segment, &err);
  if (!o) {
    fprintf(stderr, "flatnet-tableload: %s\n", err.c_str());
    return 2;
  }
  ipc::CounterSnapshot snap;
  if (!o->read_counters(&snap, &err)) {
    fprintf(stderr, "flatnet-tableload: %s\n", err.c_str());
    return 1;
  }
  const flatnet_ipc_header& h = o->header();
  const double age_ms = snap.seq ? double(int64_t(mono_ns() - snap.updated_ns)) / 1e6 : -1;
  if (json) {
    nlohmann::json j;
    j["instance"] = std::string(h.instance, strnlen(h.instance, sizeof h.instance));
    j["generation"] = h.generation;
    j["seq"] = snap.seq;
    j["age_ms"] = age_ms;
    j["channels"] = snap.channels;
    nlohmann::json counters = nlohmann::json::object();
    for (size_t i = 0; i < snap.size(); ++i) {
      nlohmann::json row = nlohmann::json::array();
      row.push_back(snap.total(i));
      for (unsigned c = 0; c < snap.channels; ++c) row.push_back(snap.channel(i, c));
      counters[snap.names[i]] = row;
    }
    j["counters"] = counters;  // name -> [total, channel 0, ..., main]
    printf("%s\n", j.dump().c_str());
    return 0;
  }
  const flatnet_ipc_main_counters& m = h.main_counters;
  printf("instance %s pid %u generation %016" PRIx64 " channels %u slot %u udp %u secondary %u\n",
         h.instance, h.dp_pid, h.generation, h.n_channels, h.slot_size, unsigned(h.udp_port),
         unsigned(h.secondary_port));
  printf("commands ok %" PRIu64 " failed %" PRIu64 " resyncs %" PRIu64 " injects ok %" PRIu64
         " bad %" PRIu64 " no_mbuf %" PRIu64 " control attaches %" PRIu64 " losses %" PRIu64 "\n",
         m.commands_ok, m.commands_failed, m.resyncs, m.injects_ok, m.injects_bad,
         m.injects_no_mbuf, m.control_attaches, m.control_losses);
  for (unsigned ch = 0; ch < h.n_channels; ++ch) {
    const flatnet_ipc_channel_counters& k = h.channel_counters[ch];
    printf("channel %u%s: punt ok %" PRIu64 " no_control %" PRIu64 " no_slot %" PRIu64
           " too_big %" PRIu64 " | event ok %" PRIu64 " no_control %" PRIu64 " ring_full %" PRIu64 "\n",
           ch, ch + 1 == h.n_channels ? " (main)" : "", k.punt_ok, k.punt_no_control,
           k.punt_no_slot, k.punt_too_big, k.event_ok, k.event_no_control, k.event_ring_full);
  }
  if (snap.seq == 0) {
    printf("counters block: not published yet\n");
    return 0;
  }
  printf("counters block: %zu counters, publish %" PRIu64 ", %.0f ms ago\n", snap.size(),
         snap.seq / 2, age_ms);
  printf("%-28s %14s", "counter", "total");
  for (unsigned c = 0; c < snap.channels; ++c) {
    std::string col = c + 1 == snap.channels ? "main" : "w" + std::to_string(c);
    printf(" %14s", col.c_str());
  }
  printf("\n");
  for (size_t i = 0; i < snap.size(); ++i) {
    printf("%-28s %14" PRIu64, snap.names[i].c_str(), snap.total(i));
    for (unsigned c = 0; c < snap.channels; ++c) printf(" %14" PRIu64, snap.channel(i, c));
    printf("\n");
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"flatnet-tableload: load synthetic or listed peers into a running data plane"};
  std::string instance = "default", segment;
  double timeout_s = 120;
  app.add_option("-i,--instance", instance, "data-plane instance name");
  app.add_option("--segment", segment, "segment path (default /dev/shm/flatnet-<instance>.ipc)");
  app.add_option("--timeout", timeout_s, "give up after this many seconds");
  app.require_subcommand(1);

  uint32_t count = 0;
  uint64_t seed = 1;
  uint16_t port_id = 0;
  std::string file;
  auto* load = app.add_subcommand("load", "upsert peers: --count/--seed synthetic, or --file");
  load->add_option("-n,--count", count, "synthetic peers to load");
  load->add_option("--seed", seed, "synthetic peer seed (same as flatnet-pktgen's)");
  load->add_option("-f,--file", file, "CSV (address,ip:port) or JSON [{address, path}]");
  load->add_option("--port-id", port_id, "DPDK tx port for these paths");
  auto* del = app.add_subcommand("delete", "delete peers: --count/--seed synthetic, or --file");
  del->add_option("-n,--count", count, "synthetic peers to delete");
  del->add_option("--seed", seed, "synthetic peer seed");
  del->add_option("-f,--file", file, "same formats as load");
  auto* clear = app.add_subcommand("clear", "delete every peer");
  bool quiet = false;
  auto* list = app.add_subcommand("list", "resync: dump config and every peer");
  list->add_flag("-q,--quiet", quiet, "print only the counts");
  bool stats_json = false;
  auto* stats = app.add_subcommand(
      "stats", "print the segment's counters and the data plane's counters block (read-only: "
               "works beside an attached control)");
  stats->add_flag("--json", stats_json, "the counters block as one JSON object");
  std::string relay_state;
  auto* relay = app.add_subcommand("relay", "turn relaying of known peers on or off");
  // A gateway benchmark's VL2 state (docs/bench-gateway.md): the bridged
  // network (private), the synthetic peers as members with a valid COM, and
  // their keys derived from (seed, address) as flatnet-pktgen derives them.
  std::string vl2_nwid = "8056c2e21c000001";
  unsigned vl2_suite = 1;
  auto* vl2 = app.add_subcommand("vl2", "install a bridged network, --count synthetic members and their keys");
  vl2->add_option("--network", vl2_nwid, "network ID (16 hex digits)")->capture_default_str();
  vl2->add_option("-n,--count", count, "synthetic peers")->required();
  vl2->add_option("--seed", seed, "synthetic peer seed");
  vl2->add_option("--suite", vl2_suite, "cipher suite toward the peers")->check(CLI::IsMember({1u, 3u}));
  relay->add_option("state", relay_state, "on|off")->required()->check(CLI::IsMember({"on", "off"}));
  CLI11_PARSE(app, argc, argv);

  if (segment.empty()) segment = ipc::segment_path(instance);
  std::string err;
  if (stats->parsed()) return print_stats(segment, stats_json);
  auto c = ipc::Client::attach(segment, &err);
  if (!c) {
    fprintf(stderr, "flatnet-tableload: %s\n", err.c_str());
    return 2;
  }
  Session s{*c, Clock::now() + std::chrono::milliseconds(int64_t(timeout_s * 1000)), {}, false};
  const auto t0 = Clock::now();

  if (list->parsed()) {
    if (!c->resync(1)) {
      fprintf(stderr, "flatnet-tableload: command ring full\n");
      return 1;
    }
    bool ended = false;
    uint32_t begin = 0, end = 0, peers = 0;
    while (!ended) {
      if (!c->dataplane_alive() || s.timed_out()) {
        fprintf(stderr, "flatnet-tableload: no complete dump (timeout or data plane gone)\n");
        return 1;
      }
      unsigned n = c->poll_events([&](const flatnet_ipc_event& e) {
        switch (e.type) {
          case FLATNET_IPC_EV_RESYNC_BEGIN: begin = e.count; break;
          case FLATNET_IPC_EV_CONFIG:
            if (!quiet) {
              if (e.status == FLATNET_IPC_CFG_SIBLING_ROOT)
                printf("config sibling %s\n", e.addr ? ipc::format_phys_addr(e.path).c_str() : "none");
              else
                printf("config %s %" PRIu64 "\n",
                       e.status == FLATNET_IPC_CFG_RELAY ? "relay" : "path_max_idle_ms", e.addr);
            }
            break;
          case FLATNET_IPC_EV_PEER:
            ++peers;
            if (!quiet)
              printf("%010" PRIx64 " %s port %u last_rx_ns %" PRIu64 "\n", e.addr,
                     ipc::format_phys_addr(e.path).c_str(), e.path.port_id, e.time_ns);
            break;
          case FLATNET_IPC_EV_RESYNC_END: end = e.count; ended = true; break;
        }
      }, 1024);
      if (n == 0) std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    printf("peers: %u (table said %u at start, dump said %u)\n", peers, begin, end);
    return peers == end ? 0 : 1;
  }

  std::vector<flatnet_ipc_command> cmds;
  const char* what = "";
  if (load->parsed() || del->parsed()) {
    std::vector<tableload::PeerEntry> entries;
    if (!file.empty()) {
      if (!tableload::read_entries(file, port_id, &entries, &err)) {
        fprintf(stderr, "flatnet-tableload: %s\n", err.c_str());
        return 2;
      }
    } else if (count > 0) {
      entries = tableload::synthetic_entries(seed, count, port_id);
    } else {
      fprintf(stderr, "flatnet-tableload: give --count N or --file F\n");
      return 2;
    }
    uint32_t seq = 0;
    for (const auto& e : entries)
      cmds.push_back(load->parsed() ? ipc::make_upsert(e.address, e.path, seq++)
                                    : ipc::make_delete(e.address, seq++));
    what = load->parsed() ? "load" : "delete";
  } else if (clear->parsed()) {
    flatnet_ipc_command cl{};
    cl.type = FLATNET_IPC_CMD_PEER_CLEAR;
    cmds.push_back(cl);
    what = "clear";
  } else if (vl2->parsed()) {
    ipc::vl2::NetworkSettings ns;
    ns.nwid = std::stoull(vl2_nwid, nullptr, 16);
    ns.is_private = true;
    uint32_t seq = 0;
    cmds.push_back(ipc::vl2::network_set(ns, seq++));
    for (uint32_t i = 0; i < count; ++i) {
      const ipc::SyntheticPeer p = ipc::synthetic_peer(seed, i);
      cmds.push_back(ipc::vl2::member_set(ns.nwid, p.address,
                                          FLATNET_IPC_VL2_MEMBER_PRESENT | FLATNET_IPC_VL2_MEMBER_COM_VALID, seq++));
      uint8_t key[FLATNET_IPC_VL2_KEY_SIZE];
      ipc::synthetic_key(seed, p.address, key);
      cmds.push_back(ipc::vl2::peer_key_set(p.address, key, vl2_suite, seq++));
    }
    what = "vl2";
  } else if (relay->parsed()) {
    cmds.push_back(ipc::make_config(FLATNET_IPC_CFG_RELAY, relay_state == "on", 1, 0));
    what = "relay";
  }
  const bool sent = s.send_all(cmds) && s.finish();
  for (auto& cmd : cmds) ipc::vl2::wipe_command(cmd);  // the keys
  if (!sent) {
    fprintf(stderr, "flatnet-tableload: %s did not complete (timeout or data plane gone)\n", what);
    return 1;
  }
  return s.report(what, cmds.size(), t0);
}
