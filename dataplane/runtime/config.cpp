#include "dataplane/runtime/config.hpp"

#include "dataplane/ipc/phys_addr.hpp"

#include <fstream>
#include <set>
#include <sstream>

namespace flatnet::runtime {

using nlohmann::json;

namespace {

struct Bad {
  std::string msg;
};

[[noreturn]] void fail(const std::string& key, const std::string& what) {
  throw Bad{"config key '" + key + "': " + what};
}

template <typename T>
T get_uint(const json& j, const std::string& key, uint64_t lo, uint64_t hi) {
  if (!j.is_number_unsigned() && !(j.is_number_integer() && j.get<int64_t>() >= 0))
    fail(key, "must be a non-negative integer");
  uint64_t v = j.get<uint64_t>();
  if (v < lo || v > hi) fail(key, "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
  return T(v);
}

bool get_bool(const json& j, const std::string& key) {
  if (!j.is_boolean()) fail(key, "must be true or false");
  return j.get<bool>();
}

std::string get_string(const json& j, const std::string& key) {
  if (!j.is_string()) fail(key, "must be a string");
  return j.get<std::string>();
}

// "10.0.0.1/24" or "10.0.0.1" (prefix = host).
void get_cidr(const json& j, const std::string& key, fastpath::Family fam, IpAddr* ip,
              unsigned* prefix) {
  std::string s = get_string(j, key);
  std::string addr = s;
  unsigned max = fam == fastpath::Family::kV4 ? 32 : 128;
  unsigned pfx = max;
  if (auto slash = s.find('/'); slash != std::string::npos) {
    addr = s.substr(0, slash);
    try {
      size_t used = 0;
      pfx = unsigned(std::stoul(s.substr(slash + 1), &used));
      if (used != s.size() - slash - 1) throw std::invalid_argument("x");
    } catch (...) {
      fail(key, "bad prefix length in '" + s + "'");
    }
    if (pfx > max) fail(key, "prefix length " + std::to_string(pfx) + " exceeds " + std::to_string(max));
  }
  auto a = fastpath::parse_ip(addr);
  if (!a || a->family != fam)
    fail(key, "'" + s + "' is not an " + (fam == fastpath::Family::kV4 ? "IPv4" : "IPv6") + " address");
  *ip = *a;
  *prefix = pfx;
}

IpAddr get_ip(const json& j, const std::string& key, fastpath::Family fam) {
  IpAddr ip;
  unsigned pfx;
  get_cidr(j, key, fam, &ip, &pfx);
  return ip;
}

// "ip:port" or "[ip6]:port", in the boundary's one text form (ipc/phys_addr).
wire::InetAddress get_endpoint(const json& j, const std::string& key) {
  std::string s = get_string(j, key);
  flatnet_ipc_phys_addr a{};
  if (!ipc::parse_phys_addr(s, &a))
    fail(key, "expected ip:port or [ipv6]:port with port 1..65535, got '" + s + "'");
  return ipc::to_inet(a);
}

const std::set<std::string> kKnownKeys = {
    "instance", "ports", "ipv4", "ipv6", "gateway4", "gateway6", "udp_port", "allow_secondary_port",
    "secondary_port", "address", "relay",
    "sibling_root", "vl2_mac_capacity", "vl2_mac_age_s", "vl2_peer_capacity", "vl2_lan_multicast_pps", "workers", "rx_desc", "tx_desc", "pool_size", "busy_poll", "idle",
    "neighbor_capacity", "neighbor_pending", "neighbors", "verify_udp4_checksum",
    "table_capacity", "path_max_idle_s", "memory_mb", "eal", "rendezvous_interval_s",
    "unknown_events_per_s", "rendezvous_events_per_s", "punt_source_pps", "punt_source_burst",
    "punt_source_slots", "punt_global_pps", "punt_global_burst", "punt_unknown_share",
    "relay_limit_pps", "relay_limit_burst", "relay_limit_slots"};

unsigned get_slots(const json& j, const std::string& key) {
  unsigned v = get_uint<unsigned>(j, key, 64, 1u << 22);
  if (v & (v - 1)) fail(key, "must be a power of two (64..4194304)");
  return v;
}

// The attack limits (docs/dataplane.md "Under attack"). pps 0 turns a limit
// off (its burst is then unused); no rate beyond what one worker could see.
void parse_police(const json& j, fastpath::PoliceConfig& p) {
  auto num = [&](const char* key, unsigned* out, uint64_t lo, uint64_t hi) {
    if (j.contains(key)) *out = get_uint<unsigned>(j[key], key, lo, hi);
  };
  num("punt_source_pps", &p.punt_source_pps, 0, 1000000);
  num("punt_source_burst", &p.punt_source_burst, 1, 1000000);
  if (j.contains("punt_source_slots")) p.punt_source_slots = get_slots(j["punt_source_slots"], "punt_source_slots");
  num("punt_global_pps", &p.punt_global_pps, 0, 100000000);
  num("punt_global_burst", &p.punt_global_burst, 1, 10000000);
  num("punt_unknown_share", &p.punt_unknown_share, 1, 100);
  num("relay_limit_pps", &p.relay_limit_pps, 0, 100000000);
  num("relay_limit_burst", &p.relay_limit_burst, 1, 10000000);
  if (j.contains("relay_limit_slots")) p.relay_limit_slots = get_slots(j["relay_limit_slots"], "relay_limit_slots");
  if (p.punt_source_pps && p.punt_global_pps && p.punt_source_pps > p.punt_global_pps)
    fail("punt_source_pps", "must not exceed punt_global_pps (" + std::to_string(p.punt_global_pps) + ")");
}

Config parse(const json& j) {
  if (!j.is_object()) fail("(top level)", "must be a JSON object");
  for (auto it = j.begin(); it != j.end(); ++it)
    if (!kKnownKeys.count(it.key())) fail(it.key(), "unknown key");
  Config c;
  if (j.contains("instance")) {
    c.instance = get_string(j["instance"], "instance");
    if (c.instance.empty() || c.instance.size() > 40 ||
        c.instance.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") !=
            std::string::npos)
      fail("instance", "must be 1..40 characters of [A-Za-z0-9_-]");
  }
  if (!j.contains("ports")) fail("ports", "missing: at least one port is needed");
  const json& ports = j["ports"];
  if (!ports.is_array() || ports.empty()) fail("ports", "must be a non-empty array");
  for (size_t i = 0; i < ports.size(); ++i) {
    std::string k = "ports[" + std::to_string(i) + "]";
    const json& p = ports[i];
    PortConfig pc;
    if (p.is_string()) {
      pc.devargs = p.get<std::string>();
    } else if (p.is_object()) {
      for (auto it = p.begin(); it != p.end(); ++it)
        if (it.key() != "devargs" && it.key() != "role" && it.key() != "mtu" && it.key() != "network" &&
            it.key() != "vlans")
          fail(k + "." + it.key(), "unknown key");
      if (!p.contains("devargs")) fail(k + ".devargs", "missing");
      pc.devargs = get_string(p["devargs"], k + ".devargs");
      if (p.contains("role")) pc.role = get_string(p["role"], k + ".role");
      if (p.contains("mtu")) pc.mtu = get_uint<uint16_t>(p["mtu"], k + ".mtu", 1280, 9000);
      auto nwid = [&](const json& v, const std::string& key) {
        const std::string nw = get_string(v, key);
        size_t used = 0;
        uint64_t id = 0;
        try {
          id = std::stoull(nw, &used, 16);
        } catch (...) {
          used = 0;
        }
        if (nw.size() != 16 || used != 16 || id == 0) fail(key, "must be a 16-hex-digit network ID");
        return id;
      };
      if (p.contains("network")) pc.network = nwid(p["network"], k + ".network");
      if (p.contains("vlans")) {
        const json& v = p["vlans"];
        if (!v.is_object() || v.empty() || v.size() > 16)
          fail(k + ".vlans", "must be an object of 1..16 \"<VLAN ID>\": \"<network ID>\"");
        for (auto it = v.begin(); it != v.end(); ++it) {
          const std::string key = k + ".vlans." + it.key();
          unsigned long vid = 0;
          size_t used = 0;
          try {
            vid = std::stoul(it.key(), &used, 10);
          } catch (...) {
            used = 0;
          }
          if (used != it.key().size() || vid < 1 || vid > 4094) fail(key, "the VLAN ID must be 1..4094");
          const uint64_t id = nwid(it.value(), key);
          for (const auto& [ov, on] : pc.vlans)
            if (on == id) fail(key, "network already bridged on VLAN " + std::to_string(ov));
          if (id == pc.network) fail(key, "network already bridged untagged");
          pc.vlans.emplace_back(uint16_t(vid), id);
        }
      }
    } else {
      fail(k, "must be a devargs string or an object");
    }
    if (pc.devargs.empty()) fail(k + ".devargs", "must not be empty");
    if (pc.role != "underlay" && pc.role != "lan" && pc.role != "host")
      fail(k + ".role", "must be 'underlay', 'lan' or 'host'");
    if (pc.role == "host") {  // net_tap: the kernel interface is named by iface=
      const size_t at = pc.devargs.find("iface=");
      if (pc.devargs.rfind("net_tap", 0) != 0 || at == std::string::npos)
        fail(k + ".devargs", "a host port is a net_tap device with iface=<name> (\"net_tap0,iface=fngw0\")");
      pc.iface = pc.devargs.substr(at + 6, pc.devargs.find(',', at) - at - 6);
      if (pc.iface.empty() || pc.iface.size() > 15) fail(k + ".devargs", "iface= must name 1..15 characters");
    }
    if (pc.role == "lan" && pc.network == 0 && pc.vlans.empty())
      fail(k + ".network", "missing: a lan port is bridged into a network (or networks per VLAN: vlans)");
    if (pc.role != "lan" && (pc.network != 0 || !pc.vlans.empty()))
      fail(k + (pc.network ? ".network" : ".vlans"), "only a lan port has networks");
    if (c.port(pc.role)) fail(k + ".role", "only one '" + pc.role + "' port is supported so far");
    c.ports.push_back(pc);
  }
  if (!c.port("underlay")) fail("ports", "missing: one port with role 'underlay' is needed");
  if (c.port("host") && (!c.port("lan") || c.port("lan")->network == 0))
    fail("ports", "a 'host' port needs a 'lan' port with an untagged network (it joins that network)");
  if (j.contains("ipv4")) get_cidr(j["ipv4"], "ipv4", fastpath::Family::kV4, &c.ip4, &c.prefix4);
  if (j.contains("ipv6")) get_cidr(j["ipv6"], "ipv6", fastpath::Family::kV6, &c.ip6, &c.prefix6);
  if (!c.ip4.valid() && !c.ip6.valid()) fail("ipv4", "missing: set ipv4 and/or ipv6");
  if (j.contains("gateway4")) {
    if (!c.ip4.valid()) fail("gateway4", "needs ipv4");
    c.gw4 = get_ip(j["gateway4"], "gateway4", fastpath::Family::kV4);
  }
  if (j.contains("gateway6")) {
    if (!c.ip6.valid()) fail("gateway6", "needs ipv6");
    c.gw6 = get_ip(j["gateway6"], "gateway6", fastpath::Family::kV6);
  }
  if (j.contains("udp_port")) c.udp_port = get_uint<uint16_t>(j["udp_port"], "udp_port", 1, 65535);
  if (j.contains("allow_secondary_port"))
    c.allow_secondary_port = get_bool(j["allow_secondary_port"], "allow_secondary_port");
  if (j.contains("secondary_port"))
    c.secondary_port = get_uint<uint16_t>(j["secondary_port"], "secondary_port", 0, 65535);
  // Unused (and so not checked against the primary) when not allowed.
  if (c.allow_secondary_port && c.secondary_port == c.udp_port)
    fail("secondary_port", "must differ from udp_port (" + std::to_string(c.udp_port) + ")");
  if (j.contains("address")) {
    std::string s = get_string(j["address"], "address");
    if (s.size() != 10 || s.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
      fail("address", "must be 10 hex digits");
    c.address = std::stoull(s, nullptr, 16);
    if (c.address == 0 || (c.address >> 32) == 0xff) fail("address", "is a reserved address");
  }
  if (j.contains("relay")) c.relay = get_bool(j["relay"], "relay");
  if (j.contains("sibling_root")) c.sibling = get_endpoint(j["sibling_root"], "sibling_root");
  if (j.contains("vl2_mac_capacity"))
    c.vl2_mac_capacity = get_uint<unsigned>(j["vl2_mac_capacity"], "vl2_mac_capacity", 8, 1u << 22);
  if (j.contains("vl2_mac_age_s")) c.vl2_mac_age_s = get_uint<unsigned>(j["vl2_mac_age_s"], "vl2_mac_age_s", 1, 86400);
  if (j.contains("vl2_lan_multicast_pps"))
    c.vl2_lan_multicast_pps = get_uint<unsigned>(j["vl2_lan_multicast_pps"], "vl2_lan_multicast_pps", 0, 10000000);
  if (j.contains("vl2_peer_capacity"))
    c.vl2_peer_capacity = get_uint<unsigned>(j["vl2_peer_capacity"], "vl2_peer_capacity", 8, 1u << 22);
  if (j.contains("workers")) c.workers = get_uint<unsigned>(j["workers"], "workers", 0, 15);
  if (j.contains("rx_desc")) c.rx_desc = get_uint<unsigned>(j["rx_desc"], "rx_desc", 64, 16384);
  if (j.contains("tx_desc")) c.tx_desc = get_uint<unsigned>(j["tx_desc"], "tx_desc", 64, 16384);
  if (j.contains("pool_size")) c.pool_size = get_uint<unsigned>(j["pool_size"], "pool_size", 1024, 4u << 20);
  if (j.contains("busy_poll")) c.busy_poll = get_bool(j["busy_poll"], "busy_poll");
  if (j.contains("idle")) {
    const json& id = j["idle"];
    if (!id.is_object()) fail("idle", "must be an object");
    for (auto it = id.begin(); it != id.end(); ++it) {
      std::string k = "idle." + it.key();
      if (it.key() == "pause_after") c.idle_pause_after = get_uint<unsigned>(*it, k, 1, 1u << 20);
      else if (it.key() == "sleep_after") c.idle_sleep_after = get_uint<unsigned>(*it, k, 1, 1u << 24);
      else if (it.key() == "sleep_max_us") c.idle_sleep_max_us = get_uint<unsigned>(*it, k, 1, 100000);
      else fail(k, "unknown key");
    }
  }
  if (j.contains("neighbor_capacity"))
    c.neighbor_capacity = get_uint<unsigned>(j["neighbor_capacity"], "neighbor_capacity", 16, 1u << 20);
  if (j.contains("neighbor_pending"))
    c.neighbor_pending = get_uint<unsigned>(j["neighbor_pending"], "neighbor_pending", 1, 65536);
  if (j.contains("neighbors")) {
    const json& ns = j["neighbors"];
    if (!ns.is_array()) fail("neighbors", "must be an array of {ip, mac}");
    for (size_t i = 0; i < ns.size(); ++i) {
      std::string k = "neighbors[" + std::to_string(i) + "]";
      if (!ns[i].is_object() || !ns[i].contains("ip") || !ns[i].contains("mac")) fail(k, "needs ip and mac");
      StaticNeighbor n;
      auto ip = fastpath::parse_ip(get_string(ns[i]["ip"], k + ".ip"));
      if (!ip) fail(k + ".ip", "not an IP address");
      auto mac = fastpath::parse_mac(get_string(ns[i]["mac"], k + ".mac"));
      if (!mac) fail(k + ".mac", "not a MAC address (aa:bb:cc:dd:ee:ff)");
      n.ip = *ip;
      n.mac = *mac;
      c.neighbors.push_back(n);
    }
  }
  if (j.contains("verify_udp4_checksum"))
    c.verify_udp4_checksum = get_bool(j["verify_udp4_checksum"], "verify_udp4_checksum");
  if (j.contains("table_capacity"))
    c.table_capacity = get_uint<unsigned>(j["table_capacity"], "table_capacity", 16, 1u << 24);
  if (j.contains("path_max_idle_s"))
    c.path_max_idle_s = get_uint<unsigned>(j["path_max_idle_s"], "path_max_idle_s", 0, 86400 * 7);
  if (j.contains("memory_mb")) c.memory_mb = get_uint<unsigned>(j["memory_mb"], "memory_mb", 32, 65536);
  if (j.contains("eal")) {
    const json& e = j["eal"];
    if (!e.is_array()) fail("eal", "must be an array of strings");
    for (size_t i = 0; i < e.size(); ++i) c.eal.push_back(get_string(e[i], "eal[" + std::to_string(i) + "]"));
  }
  if (j.contains("rendezvous_interval_s")) {
    if (!j["rendezvous_interval_s"].is_number() || j["rendezvous_interval_s"].get<double>() < 0)
      fail("rendezvous_interval_s", "must be a non-negative number");
    c.rendezvous_interval_s = j["rendezvous_interval_s"].get<double>();
  }
  if (j.contains("unknown_events_per_s"))
    c.unknown_events_per_s = get_uint<unsigned>(j["unknown_events_per_s"], "unknown_events_per_s", 1, 1000000);
  if (j.contains("rendezvous_events_per_s"))
    c.rendezvous_events_per_s =
        get_uint<unsigned>(j["rendezvous_events_per_s"], "rendezvous_events_per_s", 1, 10000000);
  parse_police(j, c.police);
  return c;
}

}  // namespace

std::optional<Config> parse_config(const json& j, std::string* err) {
  try {
    return parse(j);
  } catch (const Bad& b) {
    *err = b.msg;
  } catch (const json::exception& e) {
    *err = std::string("config: ") + e.what();
  }
  return std::nullopt;
}

uint16_t choose_secondary_port(const Config& c, uint32_t rand32) {
  if (!c.allow_secondary_port) return 0;
  if (c.secondary_port) return c.secondary_port;
  constexpr uint32_t kLow = 20000, kSpan = 45500;  // [20000, 65499]
  uint32_t p = kLow + rand32 % kSpan;
  if (p == c.udp_port) p = p + 1 == kLow + kSpan ? kLow : p + 1;
  return uint16_t(p);
}

std::optional<json> read_json_file(const std::string& path, std::string* err) {
  std::ifstream f(path);
  if (!f) {
    *err = "cannot open config file '" + path + "'";
    return std::nullopt;
  }
  try {
    return json::parse(f, nullptr, true, true);  // comments allowed
  } catch (const json::parse_error& e) {
    *err = "config file '" + path + "' is not valid JSON: " + e.what();
  }
  return std::nullopt;
}

}  // namespace flatnet::runtime
