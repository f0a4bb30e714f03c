// flatnet-cli: zerotier-cli's verbs and output shapes against flatnetd's
// local HTTP API (§12.4): info, listpeers, peers, listmoons, orbit, deorbit,
// the network verbs (network_cli.cpp), plus flatnet's ping. Exit codes as zerotier-cli: 0 ok, 1 the service
// answered non-200 or could not be reached, 2 bad arguments or no token.
#include <sys/time.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api_client.hpp"
#include "network_cli.hpp"

namespace {

using nlohmann::json;

using flatnet::tools::ctl::ApiOptions;
using flatnet::tools::ctl::Reply;

void usage(FILE* to) {
  std::fprintf(to,
      "usage: flatnet-cli [-switches] <command> [args]\n"
      "\n"
      "switches:\n"
      "  -h, -?        this help\n"
      "  -j            print the raw JSON of the answer\n"
      "  -p<port>      API port (default: <home>/flatnet.port, else 9993)\n"
      "  -T<token>     auth token (default: <home>/authtoken.secret)\n"
      "  -D<home>      home directory (default /var/lib/flatnet)\n"
      "  -H<ip>        API address (default 127.0.0.1)\n"
      "\n"
      "commands:\n"
      "  info                    node address, version, ONLINE/OFFLINE\n"
      "  listpeers               one line per peer\n"
      "  peers                   table of peers\n"
      "  listmoons               moons orbited (JSON)\n"
      "  orbit <world> <seed>    orbit a moon via a seed root\n"
      "  deorbit <world>         leave a moon\n"
      "  ping <address> [-c N] [-t ms]   ECHO a peer N times (default 4)\n"
      "  listnetworks            one line per joined network\n"
      "  join <network ID>       join a network\n"
      "  leave <network ID>      leave a network\n"
      "  get <network ID> <key>  a property of `-j listnetworks`, or ip, ip4, ip6, ip6plane, ip6prefix\n"
      "  set <network ID> <key>=<value>  allowManaged, allowGlobal, allowDefault, allowDNS (1/0)\n");
}

int64_t now_ms() {
  struct timeval tv;
  gettimeofday(&tv, nullptr);
  return int64_t(tv.tv_sec) * 1000 + tv.tv_usec / 1000;
}

// zerotier-cli prints a non-200 answer as "<status> <command> <body>".
int fail(const Reply& r, const std::string& cmd, const ApiOptions& o) {
  if (flatnet::tools::ctl::explain_failure(r, cmd, o) && r.status == 0) return 1;
  std::printf("%d %s %s\n", r.status, cmd.c_str(), r.body.c_str());
  return 1;
}

bool parse_body(const Reply& r, json* out) {
  *out = json::parse(r.body, nullptr, false);
  return !out->is_discarded();
}

std::string str(const json& j, const char* k, const char* def = "-") {
  auto it = j.find(k);
  return it != j.end() && it->is_string() ? it->get<std::string>() : def;
}
int64_t num(const json& j, const char* k, int64_t def = -1) {
  auto it = j.find(k);
  return it != j.end() && it->is_number() ? it->get<int64_t>() : def;
}

const json* preferred_path(const json& peer) {
  auto it = peer.find("paths");
  if (it == peer.end() || !it->is_array()) return nullptr;
  for (const auto& p : *it)
    if (p.is_object() && p.value("preferred", false)) return &p;
  return nullptr;
}

std::string peer_version(const json& p) {
  if (num(p, "versionMajor") < 0) return "-";
  return std::to_string(num(p, "versionMajor")) + "." + std::to_string(num(p, "versionMinor")) +
         "." + std::to_string(num(p, "versionRev"));
}

int64_t since(int64_t now, int64_t t) { return t > 0 ? now - t : -1; }

int cmd_info(const json& j) {
  const char* state = j.value("tcpFallbackActive", false) ? "TUNNELED"
                      : j.value("online", false)          ? "ONLINE"
                                                          : "OFFLINE";
  std::printf("200 info %s %s %s\n", str(j, "address").c_str(), str(j, "version").c_str(), state);
  return 0;
}

int cmd_listpeers(const json& peers) {
  std::printf("200 listpeers <ztaddr> <path> <latency> <version> <role>\n");
  const int64_t now = now_ms();
  for (const auto& p : peers) {
    if (!p.is_object()) continue;
    std::string path = "-";
    if (const json* pp = preferred_path(p))
      path = str(*pp, "address") + ";" + std::to_string(since(now, num(*pp, "lastSend", 0))) + ";" +
             std::to_string(since(now, num(*pp, "lastReceive", 0)));
    std::printf("200 listpeers %s %s %lld %s %s\n", str(p, "address").c_str(), path.c_str(),
                (long long)num(p, "latency"), peer_version(p).c_str(), str(p, "role").c_str());
  }
  return 0;
}

int cmd_peers(const json& peers) {
  std::printf("200 peers\n<ztaddr>   <ver>  <role> <lat> <link>   <lastTX> <lastRX> <path>\n");
  const int64_t now = now_ms();
  bool any_tunneled = false;
  for (const auto& p : peers) {
    if (!p.is_object()) continue;
    const bool tunneled = p.value("tunneled", false);
    any_tunneled |= tunneled;
    std::string link = "RELAY";
    if (const json* pp = preferred_path(p)) {
      char b[160];
      std::snprintf(b, sizeof b, "%s %-8lld %-8lld %s", tunneled ? "RELAY " : "DIRECT",
                    (long long)since(now, num(*pp, "lastSend", 0)),
                    (long long)since(now, num(*pp, "lastReceive", 0)), str(*pp, "address").c_str());
      link = b;
    }
    std::printf("%s %-6s %-6s %5lld %s\n", str(p, "address").c_str(), peer_version(p).c_str(),
                str(p, "role").c_str(), (long long)num(p, "latency"), link.c_str());
  }
  if (any_tunneled) std::printf("\n  Some peers are reached over the TCP relay.\n");
  return 0;
}

int cmd_ping(const json& j) {
  const std::string addr = str(j, "address");
  int64_t sent = num(j, "sent", 0), got = 0;
  if (auto it = j.find("replies"); it != j.end() && it->is_array()) {
    for (const auto& r : *it) {
      if (!r.is_object()) continue;
      ++got;
      std::printf("200 ping %s seq=%lld rtt=%.3f ms %s\n", addr.c_str(), (long long)num(r, "seq", 0),
                  r.value("rtt", 0.0), r.value("relayed", false) ? "relayed" : "direct");
    }
  }
  std::printf("200 ping %s %lld sent %lld received\n", addr.c_str(), (long long)sent, (long long)got);
  return got > 0 ? 0 : 1;
}

bool is_hex(const std::string& s, size_t a, size_t b) {
  return (s.size() == a || s.size() == b) && s.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos;
}

}  // namespace

int main(int argc, char** argv) {
  ApiOptions o;
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    // Switches may stand anywhere (`flatnet info -j` as well as
    // `flatnet-cli -j info`); "-c N" and "-t ms" belong to ping.
    if (a.size() >= 2 && a[0] == '-' && std::strchr("h?v", a[1])) {
      if (a[1] == 'v') {
        std::printf("flatnet-cli 0.1.0\n");
      } else {
        usage(stdout);
      }
      return 0;
    }
    const int taken = flatnet::tools::ctl::take_switch(a, o);
    if (taken < 0) return 2;
    if (taken == 0) args.push_back(a);
  }
  if (args.empty()) { usage(stderr); return 2; }
  if (!flatnet::tools::ctl::resolve(o, args[0])) return 2;

  const std::string& cmd = args[0];
  std::string method = "GET", path, body;
  int ping_count = 4, ping_timeout = 1000;
  if ((cmd == "info" || cmd == "status") && args.size() == 1) path = "/status";
  else if ((cmd == "listpeers" || cmd == "peers") && args.size() == 1) path = "/peer";
  else if (cmd == "listmoons" && args.size() == 1) path = "/moon";
  else if (cmd == "orbit" && args.size() == 3 && is_hex(args[1], 10, 16) && is_hex(args[2], 10, 10)) {
    method = "POST";
    path = "/moon/" + args[1];
    body = json{{"seed", args[2]}}.dump();
  } else if (cmd == "deorbit" && args.size() == 2 && is_hex(args[1], 10, 16)) {
    method = "DELETE";
    path = "/moon/" + args[1];
  } else if (cmd == "ping" && args.size() >= 2 && is_hex(args[1], 10, 10)) {
    for (size_t i = 2; i < args.size(); ++i) {
      int* dst = args[i] == "-c" ? &ping_count : args[i] == "-t" ? &ping_timeout : nullptr;
      if (!dst || i + 1 >= args.size()) { usage(stderr); return 2; }
      *dst = std::atoi(args[++i].c_str());
      if (*dst <= 0) { std::fprintf(stderr, "ping: %s wants a positive number\n", args[i - 1].c_str()); return 2; }
    }
    method = "POST";
    path = "/ping/" + args[1] + "?count=" + std::to_string(ping_count) +
           "&timeout=" + std::to_string(ping_timeout);
  } else if (flatnet::tools::ctl::is_network_verb(cmd)) {
    int rc = 0;
    auto nr = flatnet::tools::ctl::network_request(args, &rc);
    if (!nr) {
      if (rc == 2 && (cmd == "listnetworks" || cmd == "set")) usage(stderr);
      return rc;
    }
    method = nr->method;
    path = nr->path;
    body = nr->body;
  } else if (cmd.size() > 1 && cmd[0] == '/' && args.size() == 1) {
    path = cmd;  // raw GET, as zerotier-cli's "/<path>"
  } else {
    usage(stderr);
    return 2;
  }

  // A ping may take count * timeout on the server; wait that long plus slack.
  const int read_timeout_s = cmd == "ping" ? int((int64_t(ping_count) * ping_timeout) / 1000 + 5) : 10;
  const Reply r = flatnet::tools::ctl::call(o, method, path, body, read_timeout_s);
  if (r.status != 200) return fail(r, cmd, o);
  if (cmd[0] == '/') { std::printf("%s\n", r.body.c_str()); return 0; }
  if (flatnet::tools::ctl::is_network_verb(cmd))
    return flatnet::tools::ctl::network_output(args, r.body, o.json_out);

  json j;
  if (!parse_body(r, &j)) {
    std::fprintf(stderr, "%s: the service answered with something that is not JSON\n", cmd.c_str());
    return 1;
  }
  if (o.json_out || cmd == "listmoons") { std::printf("%s\n", j.dump(1).c_str()); return 0; }
  if (cmd == "info" || cmd == "status") return j.is_object() ? cmd_info(j) : fail(r, cmd, o);
  if (cmd == "listpeers") return j.is_array() ? cmd_listpeers(j) : fail(r, cmd, o);
  if (cmd == "peers") return j.is_array() ? cmd_peers(j) : fail(r, cmd, o);
  if (cmd == "orbit" || cmd == "deorbit") { std::printf("200 %s OK\n", cmd.c_str()); return 0; }
  if (cmd == "ping") return j.is_object() ? cmd_ping(j) : fail(r, cmd, o);
  return 0;
}
