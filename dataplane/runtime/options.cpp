#include "dataplane/runtime/options.hpp"

#include <CLI/CLI.hpp>

namespace flatnet::runtime {

using nlohmann::json;

std::optional<Cli> parse_cli(int argc, char** argv, int* exit_code) {
  // Everything after the first "--" belongs to the EAL.
  int split = argc;
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]) == "--") {
      split = i;
      break;
    }
  Cli cli;
  for (int i = split + 1; i < argc; ++i) cli.eal.emplace_back(argv[i]);

  CLI::App app{"flatnet-dataplane: the DPDK data plane of a flatnet root.\n"
               "Usage: flatnet-dataplane [options] [-- EAL arguments]"};
  std::vector<std::string> ports, neighbors;
  std::string instance, ipv4, ipv6, gw4, gw6, address, relay, sibling, allow_secondary;
  int64_t secondary_port = 0;
  int udp_port = -1, workers = -1, memory_mb = -1, table_capacity = -1, path_idle = -1;
  bool busy = false;
  app.add_option("-c,--config", cli.config_path, "JSON configuration file");
  app.add_option("--instance", instance, "instance name (IPC segment, EAL file prefix)");
  app.add_option("--port", ports, "port devargs, e.g. net_af_packet0,iface=veth0 (replaces 'ports')");
  app.add_option("--ipv4", ipv4, "own IPv4 address with prefix, e.g. 10.0.0.1/24");
  app.add_option("--ipv6", ipv6, "own IPv6 address with prefix");
  app.add_option("--gateway4", gw4, "IPv4 next hop for off-link destinations");
  app.add_option("--gateway6", gw6, "IPv6 next hop for off-link destinations");
  app.add_option("--udp-port", udp_port, "flatnet UDP port (default 9993)");
  app.add_option("--allow-secondary-port", allow_secondary, "also receive on a secondary UDP port: on|off (default on)")
      ->check(CLI::IsMember({"on", "off"}));
  // int64 so that a negative value reaches the config check, as the limits below.
  CLI::Option* secondary_opt =
      app.add_option("--secondary-port", secondary_port, "secondary UDP port (default 0: random in 20000..65499)");
  app.add_option("--address", address, "own VL1 address (10 hex digits)");
  app.add_option("--relay", relay, "relay for known peers: on|off")->check(CLI::IsMember({"on", "off"}));
  app.add_option("--sibling-root", sibling, "ip:port of a sibling root for unknown destinations");
  app.add_option("--workers", workers, "worker lcores (0: the main lcore polls too)");
  app.add_flag("--busy-poll", busy, "never back off when idle (benchmarks)");
  app.add_option("--neighbor", neighbors, "static neighbour ip=mac (repeatable)");
  app.add_option("--memory-mb", memory_mb, "EAL memory cap in MiB (-m)");
  app.add_option("--table-capacity", table_capacity, "peer table capacity");
  app.add_option("--path-max-idle-s", path_idle, "age out paths idle this long (0: never)");
  // The attack limits. int64 so that a negative value reaches the config
  // check and its error names the key, instead of meaning "not given".
  struct Limit {
    const char* flag;
    const char* key;
    const char* help;
    int64_t v = 0;
    CLI::Option* opt = nullptr;
  };
  Limit limits[] = {
      {"--punt-source-pps", "punt_source_pps", "punts per second per physical source (/32, /64) and worker; 0 = off (default 100)"},
      {"--punt-source-burst", "punt_source_burst", "burst of the per-source punt bucket (default 200)"},
      {"--punt-global-pps", "punt_global_pps", "punts per second per worker, all sources; 0 = off (default 20000)"},
      {"--punt-global-burst", "punt_global_burst", "burst of the per-worker punt bucket (default 2000)"},
      {"--punt-unknown-share", "punt_unknown_share", "% of the punt ring and punt rate unknown sources may use (default 50)"},
      {"--relay-limit-pps", "relay_limit_pps", "relayed packets per second per source peer and worker; 0 = off (default)"},
      {"--relay-limit-burst", "relay_limit_burst", "burst of the per-peer relay bucket (default 1000)"},
  };
  for (Limit& l : limits) l.opt = app.add_option(l.flag, l.v, l.help);
  app.add_flag("--check", cli.check_only, "validate the configuration, print it and the EAL arguments, exit");
  try {
    app.parse(split, argv);
  } catch (const CLI::ParseError& e) {
    *exit_code = app.exit(e);
    return std::nullopt;
  }
  json& o = cli.overrides;
  if (!instance.empty()) o["instance"] = instance;
  if (!ports.empty()) {
    o["ports"] = json::array();
    for (auto& p : ports) o["ports"].push_back(p);
  }
  if (!ipv4.empty()) o["ipv4"] = ipv4;
  if (!ipv6.empty()) o["ipv6"] = ipv6;
  if (!gw4.empty()) o["gateway4"] = gw4;
  if (!gw6.empty()) o["gateway6"] = gw6;
  if (udp_port >= 0) o["udp_port"] = udp_port;
  if (!allow_secondary.empty()) o["allow_secondary_port"] = allow_secondary == "on";
  if (secondary_opt->count()) o["secondary_port"] = secondary_port;
  if (!address.empty()) o["address"] = address;
  if (!relay.empty()) o["relay"] = relay == "on";
  if (!sibling.empty()) o["sibling_root"] = sibling;
  if (workers >= 0) o["workers"] = workers;
  if (busy) o["busy_poll"] = true;
  if (memory_mb >= 0) o["memory_mb"] = memory_mb;
  if (table_capacity >= 0) o["table_capacity"] = table_capacity;
  if (path_idle >= 0) o["path_max_idle_s"] = path_idle;
  for (const Limit& l : limits)
    if (l.opt->count()) o[l.key] = l.v;
  if (!neighbors.empty()) {
    o["neighbors"] = json::array();
    for (auto& n : neighbors) {
      auto eq = n.find('=');
      if (eq == std::string::npos) {
        std::fprintf(stderr, "--neighbor '%s': expected ip=mac\n", n.c_str());
        *exit_code = 2;
        return std::nullopt;
      }
      o["neighbors"].push_back({{"ip", n.substr(0, eq)}, {"mac", n.substr(eq + 1)}});
    }
  }
  return cli;
}

json merge_config(json base, const json& overrides) {
  if (!base.is_object()) base = json::object();
  for (auto it = overrides.begin(); it != overrides.end(); ++it) base[it.key()] = it.value();
  return base;
}

}  // namespace flatnet::runtime
