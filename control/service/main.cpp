// flatnetd: the control process. Home directory, settings, one backend
// (kernel UDP socket or a flatnet-dataplane instance), the event loop, and
// the local HTTP API when control/api is built in.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sodium.h>

#include "control/service/daemon.hpp"
#include "control/service/settings.hpp"
#ifdef FLATNET_HAVE_API
#include "control/api/api.hpp"
#endif

namespace {
std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop.store(true); }

}  // namespace

int main(int argc, char** argv) {
  using namespace flatnet::control;
  using namespace flatnet::control::service;
  CLI::App app{"flatnetd: the flatnet control process (ZeroTier protocol 12 node)"};
  std::string home = "/var/lib/flatnet", config_file, udp, dataplane, ping, bridge;
  SettingsLayer cli;
  std::optional<uint16_t> port;
  std::string planet, level;
  bool no_api = false, no_controller = false, tap_offload = true,
       no_tap_gro = false;
  app.add_option("-H,--home", home, "home directory (identity, planet, moons.d, peers.d)");
  app.add_option("-c,--config", config_file, "flatnet JSON config file");
  app.add_option("--udp", udp, "kernel UDP backend: bind ip:port (a bare IPv4 address: the primary port)");
  app.add_option("--dataplane", dataplane, "attach to this flatnet-dataplane instance");
  app.add_option("--planet", planet, "planet file (default <home>/planet)");
  app.add_option("-p,--port", port, "primary port (UDP backend default bind and API port)");
  app.add_option("--log-level", level, "debug | info | warn | error")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}));
  app.add_option("--ping", ping, "ECHO these addresses (10 hex digits, comma-separated) every second; log replies");
  app.add_flag("--no-api", no_api, "do not start the local HTTP API");
  app.add_option("--bridge", bridge,
                 "bridge mode: enslave every joined network's tap to this Linux bridge");
  // The tap's offloads are on by default: they halved the receiver's CPU per
  // bit (docs/bench-member.md, "The tap port's speed"); the flags are for measuring them.
  app.add_flag("--tap-offload,!--no-tap-offload", tap_offload,
               "taps with the vnet header, TSO and write-side GRO (default on): TCP super-frames "
               "from the kernel cut here, runs of a flow written as super-frames");
  app.add_flag("--no-tap-gro", no_tap_gro,
               "with the tap offload: write every frame to the tap on its own (no super-frames)");
  unsigned tap_queues = 0;
  app.add_option("--tap-queues", tap_queues,
                 "tap queues, each read and written by its own I/O thread (0: the loop's thread "
                 "does the tap I/O on one queue)")
      ->check(CLI::Range(0u, 16u));
  bool no_burst_crypto = false;
  app.add_flag("--no-burst-crypto", no_burst_crypto,
               "armor/dearmor one packet at a time instead of in crypto/mb bursts (to measure them)");
  app.add_flag("--no-controller", no_controller,
               "do not act as the controller of networks <address>xxxxxx");
  // The UDP backend's batching and offloads, each on by default; turning
  // one off is for measuring it (docs/bench-member.md).
  UdpOptions udp_opt;
  bool no_gso = false, no_gro = false;
  app.add_option("--udp-batch", udp_opt.batch, "UDP backend: datagrams per recvmmsg/sendmmsg call (1 = one per call)")
      ->check(CLI::Range(1u, kMaxBatch));
  app.add_flag("--no-udp-gso", no_gso, "UDP backend: no UDP GSO sends");
  app.add_flag("--no-udp-gro", no_gro, "UDP backend: no UDP GRO receives");
  CLI11_PARSE(app, argc, argv);
  udp_opt.gso = !no_gso;
  udp_opt.gro = !no_gro;
  if (sodium_init() < 0) return 1;
  if (udp.empty() == dataplane.empty()) {
    std::fprintf(stderr, "flatnetd: give exactly one of --udp <ip:port> or --dataplane <instance>\n");
    return 2;
  }
  if (port) cli.primary_port = *port;
  if (!planet.empty()) cli.planet_file = planet;
  if (!level.empty()) cli.log_level = level;
  if (no_controller) cli.controller = false;

  std::string err, text;
  SettingsLayer conf, local;
  if (!config_file.empty()) {
    if (!read_file(config_file, text) || !parse_flatnet_config(text, conf, &err)) {
      std::fprintf(stderr, "flatnetd: %s: %s\n", config_file.c_str(),
                   err.empty() ? "cannot read" : err.c_str());
      return 2;
    }
  }
  std::vector<std::string> unknown;
  // No local.conf is normal; one we cannot read is an error, not "no settings".
  if (int e = read_whole_file(home + "/local.conf", text); e && e != ENOENT) {
    std::fprintf(stderr, "flatnetd: cannot read %s/local.conf: %s\n", home.c_str(),
                 std::strerror(e));
    return 2;
  } else if (!e && !parse_local_conf(text, local, &unknown, &err)) {
    std::fprintf(stderr, "flatnetd: %s/local.conf: %s\n", home.c_str(), err.c_str());
    return 2;
  }
  for (const auto& k : unknown)
    std::fprintf(stderr, "flatnetd: warn: local.conf key '%s' is not supported (ignored)\n",
                 k.c_str());
  const Settings s = merge({&cli, &conf, &local});

  // Before anything here writes: temp files of writers killed mid-write
  // may hold secret keys (files.hpp).
  for (const char* sub : {"", "/peers.d", "/moons.d"})
    if (size_t n = remove_stale_temp_files(home + sub))
      std::fprintf(stderr, "flatnetd: info: removed %zu stale temp file(s) in %s%s\n", n,
                   home.c_str(), sub);

  Home h;
  std::vector<std::string> notes;
  if (!load_home(home, s.planet_file, h, &notes, &err)) {
    std::fprintf(stderr, "flatnetd: %s\n", err.c_str());
    return 2;
  }
  for (const auto& n : notes) std::fprintf(stderr, "flatnetd: info: %s\n", n.c_str());

  // A bare IPv4 address binds the primary port (local.conf / config / -p).
  if (!udp.empty() && udp.find(':') == std::string::npos)
    udp += ":" + std::to_string(s.primary_port);
  std::unique_ptr<Backend> backend =
      udp.empty() ? make_dataplane_backend(dataplane, &err)
                  : make_udp_backend(udp, &err, IngressLimits{}, udp_opt);
  if (!backend) {
    std::fprintf(stderr, "flatnetd: %s\n", err.c_str());
    return 2;
  }
  DaemonOptions opt;
  opt.home = home;
  static const char* levels[] = {"debug", "info", "warn", "error"};
  for (int i = 0; i < 4; ++i)
    if (s.log_level == levels[i]) opt.log_level = LogLevel(i);
  for (size_t at = 0; at < ping.size();) {
    size_t comma = std::min(ping.find(',', at), ping.size());
    opt.ping_targets.push_back(std::strtoull(ping.substr(at, comma - at).c_str(), nullptr, 16));
    at = comma + 1;
  }
  opt.bridge = bridge;
  opt.tap_offload = tap_offload;
  opt.tap_gro = !no_tap_gro;
  opt.tap_queues = tap_queues;
  opt.burst_crypto = !no_burst_crypto;

  std::unique_ptr<ControllerHost> controller;
  if (s.controller && !(controller = ControllerHost::open(home, s.controller_db, &err))) {
    std::fprintf(stderr, "flatnetd: %s\n", err.c_str());
    return 2;
  }

  Daemon d(std::move(h), std::move(backend), opt);
  if (controller) d.attach_controller(std::move(controller));
  d.load_peers_cache();

  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);

#ifdef FLATNET_HAVE_API
  std::unique_ptr<api::ApiServer> server;  // after d: stops before the controller's store closes
  if (!no_api) {
    api::ApiConfig ac;
    ac.bind_addresses = {s.api_bind};
    ac.port = s.api_port ? s.api_port : s.primary_port;
    ac.auth_token = api::read_token_file(home + "/authtoken.secret");
    ac.metrics_token = api::read_token_file(home + "/metricstoken.secret");
    ac.home_dir = home;
    ac.networks = &d;
    // The /controller routes when this node is a controller (not --no-controller).
    if (ControllerHost* c = d.controller()) ac.controller = {&c->store(), c->address()};
    auto st = api::start_http_api(d, ac);
    if (!st.server) {
      std::fprintf(stderr, "flatnetd: HTTP API: %s\n", st.error.c_str());
      return 2;
    }
    server = std::move(st.server);
    std::fprintf(stderr, "flatnetd: info: HTTP API on port %u\n", unsigned(server->port()));
  }
#else
  (void)no_api;
#endif
  d.run(g_stop);
  return 0;
}
