#include "control/api/json.hpp"

#include <cstdio>

namespace flatnet::control::api {

namespace {

struct Version {
  int major = -1, minor = -1, rev = -1;
};

// "1.14.1" -> {1,14,1}; anything unparsable stays -1 as stock reports an
// unknown remote version.
Version split_version(const std::string& v) {
  Version out;
  int a, b, c;
  char tail;
  if (std::sscanf(v.c_str(), "%d.%d.%d%c", &a, &b, &c, &tail) == 3 && a >= 0 && b >= 0 && c >= 0)
    out = {a, b, c};
  return out;
}

const char* role_name(Role r) {
  switch (r) {
    case Role::kPlanet: return "PLANET";
    case Role::kMoon: return "MOON";
    case Role::kLeaf: break;
  }
  return "LEAF";
}

std::optional<uint64_t> parse_hex(std::string_view s) {
  uint64_t v = 0;
  for (char c : s) {
    int d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    else return std::nullopt;
    v = (v << 4) | uint64_t(d);
  }
  return v;
}

}  // namespace

std::optional<uint64_t> parse_address(std::string_view s) {
  if (s.size() != 10) return std::nullopt;
  auto v = parse_hex(s);
  // Address 0 and the 0xff.. prefix are reserved (§1.2); no peer has them.
  if (!v || *v == 0 || (*v >> 32) == 0xff) return std::nullopt;
  return v;
}

std::optional<uint64_t> parse_world(std::string_view s) {
  if (s.size() != 10 && s.size() != 16) return std::nullopt;
  auto v = parse_hex(s);
  if (!v || *v == 0) return std::nullopt;
  return v;
}

nlohmann::json node_json(const NodeStatus& n, const std::string& home_dir) {
  const Version v = split_version(n.version);
  nlohmann::json settings = {
      {"allowSecondaryPort", n.secondary_port != 0},
      {"allowTcpFallbackRelay", false},  // flatnetd has no TCP relay
      {"forceTcpRelay", false},
      {"homeDir", home_dir},
      {"listeningOn", n.listening_on},
      {"portMappingEnabled", false},
      {"primaryPort", n.udp_port},
      {"secondaryPort", n.secondary_port},
      {"softwareUpdate", "disable"},
      {"softwareUpdateChannel", "release"},
      {"surfaceAddresses", n.surface_addresses},
      {"tertiaryPort", 0},
  };
  nlohmann::json out = {
      {"address", hex_address(n.address)},
      {"clock", n.clock_ms},
      {"config", {{"settings", settings}}},
      {"online", n.online},
      {"planetWorldId", n.planet_id},
      {"planetWorldTimestamp", n.planet_timestamp},
      {"publicIdentity", n.public_identity},
      {"tcpFallbackActive", false},
      {"version", n.version},
      {"versionBuild", 0},
      {"versionMajor", v.major},
      {"versionMinor", v.minor},
      {"versionRev", v.rev},
  };
  if (!n.gateway_ports.empty()) {
    nlohmann::json ports = nlohmann::json::array();
    for (const auto& gp : n.gateway_ports) {
      nlohmann::json j = {{"role", gp.role}, {"nwid", gp.network ? wire::hex_id(gp.network) : ""}};
      if (gp.role == "host") {
        j["interface"] = gp.interface;
        j["up"] = gp.up;
      }
      ports.push_back(j);
    }
    out["gatewayPorts"] = ports;
  }
  if (!n.gateway_loops.empty()) {
    nlohmann::json loops = nlohmann::json::array();
    for (const auto& l : n.gateway_loops)
      loops.push_back({{"nwid", wire::hex_id(l.network)}, {"mac", l.mac}, {"bridge", wire::hex_address(l.bridge)},
                       {"lastReport", l.last_ms}, {"reports", l.reports}});
    out["gatewayLoops"] = loops;
  }
  return out;
}

nlohmann::json peer_json(const PeerStatus& p) {
  const Version v = split_version(p.version);
  nlohmann::json paths = nlohmann::json::array();
  for (const auto& path : p.paths) {
    paths.push_back({
        {"active", path.active},
        {"address", path.address},
        {"expired", !path.active},
        {"lastReceive", path.last_receive_ms},
        {"lastSend", path.last_send_ms},
        {"localPort", 0},
        {"localSocket", 0},   // stock prints a pointer here; ours has no meaning
        {"preferred", path.preferred},
        {"trustedPathId", 0},
    });
  }
  char vs[48];
  std::snprintf(vs, sizeof vs, "%d.%d.%d", v.major, v.minor, v.rev);
  return {
      {"address", hex_address(p.address)},
      {"isBonded", false},
      {"latency", p.latency_ms},
      {"paths", paths},
      {"role", role_name(p.role)},
      {"tunneled", false},
      {"version", std::string(vs)},
      {"versionMajor", v.major},
      {"versionMinor", v.minor},
      {"versionRev", v.rev},
  };
}

nlohmann::json moon_json(const MoonStatus& m) {
  // StatusSource carries root addresses, not full identities and endpoints:
  // "identity" holds the 10-hex address and stableEndpoints stays empty.
  nlohmann::json roots = nlohmann::json::array();
  for (uint64_t r : m.roots)
    roots.push_back({{"identity", hex_address(r)}, {"stableEndpoints", nlohmann::json::array()}});
  return {
      {"id", hex_world(m.id)},
      {"roots", roots},
      {"seed", m.seed ? nlohmann::json(hex_address(m.seed)) : nlohmann::json(nullptr)},
      {"signature", nullptr},
      {"timestamp", m.timestamp},
      {"updatesMustBeSignedBy", nullptr},
      {"waiting", m.waiting},
  };
}

nlohmann::json moon_waiting_json(uint64_t id) {
  return {
      {"id", hex_world(id)},
      {"roots", nlohmann::json::array()},
      {"signature", nullptr},
      {"timestamp", 0},
      {"updatesMustBeSignedBy", nullptr},
      {"waiting", true},
  };
}

nlohmann::json ping_json(uint64_t addr, const PingResult& r) {
  nlohmann::json replies = nlohmann::json::array();
  for (const auto& rep : r.replies)
    replies.push_back({{"seq", rep.seq}, {"rtt", rep.rtt_ms}, {"relayed", rep.relayed}});
  return {
      {"address", hex_address(addr)},
      {"sent", r.sent},
      {"received", r.replies.size()},
      {"replies", replies},
  };
}

}  // namespace flatnet::control::api
