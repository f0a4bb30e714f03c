// zerotier-cli's network verbs (network_cli.hpp).
#include "network_cli.hpp"

#include <cstdio>

#include <nlohmann/json.hpp>

namespace flatnet::tools::ctl {

namespace {

using nlohmann::json;

bool is_nwid(const std::string& s) {
  return s.size() == 16 && s.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos;
}

// OSUtils::jsonString: strings as they are, numbers in decimal, booleans
// as 1/0, anything else the default.
std::string json_string(const json& j, const char* key, const char* def) {
  auto it = j.find(key);
  if (it == j.end()) return def;
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_unsigned() || it->is_number_integer()) return std::to_string(it->get<int64_t>());
  if (it->is_boolean()) return it->get<bool>() ? "1" : "0";
  return def;
}

int list(const json& j) {
  std::printf("200 listnetworks <nwid> <name> <mac> <status> <type> <dev> <ZT assigned ips>\n");
  if (!j.is_array()) return 0;
  for (const json& n : j) {
    if (!n.is_object()) continue;
    std::string aa;
    if (auto it = n.find("assignedAddresses"); it != n.end() && it->is_array())
      for (const json& a : *it)
        if (a.is_string()) aa += (aa.empty() ? "" : ",") + a.get<std::string>();
    if (aa.empty()) aa = "-";
    std::printf("200 listnetworks %s %s %s %s %s %s %s\n", json_string(n, "nwid", "-").c_str(),
                json_string(n, "name", "-").c_str(), json_string(n, "mac", "-").c_str(),
                json_string(n, "status", "-").c_str(), json_string(n, "type", "-").c_str(),
                json_string(n, "portDeviceName", "-").c_str(), aa.c_str());
  }
  return 0;
}

// The address part of each assigned address the key selects, one per line.
std::string addresses(const json& n, const std::string& key) {
  std::vector<std::string> picked;
  if (auto it = n.find("assignedAddresses"); it != n.end() && it->is_array())
    for (const json& a : *it) {
      if (!a.is_string()) continue;
      const std::string s = a.get<std::string>();
      const std::string ip = s.substr(0, s.find('/'));
      if (key == "ip") picked.push_back(ip);
      else if (key == "ip4" && s.find('.') != std::string::npos) picked.push_back(ip);
      else if (key == "ip6" && s.find(':') != std::string::npos) picked.push_back(ip);
      else if (key == "ip6plane" && s.rfind("fc", 0) == 0) picked.push_back(ip);
      else if (key == "ip6prefix" && s.rfind("fc", 0) == 0) picked.push_back(ip.substr(0, 24));
    }
  std::string out;
  for (size_t i = 0; i < picked.size(); ++i) out += (i ? "\n" : "") + picked[i];
  return out;
}

int get(const json& j, const std::string& nwid, const std::string& key) {
  if (j.is_array())
    for (const json& n : j) {
      if (!n.is_object() || json_string(n, "id", "") != nwid) continue;
      if (key == "ip" || key == "ip4" || key == "ip6" || key == "ip6plane" || key == "ip6prefix") {
        std::printf("%s\n", addresses(n, key).c_str());
        return 0;
      }
      const std::string v = json_string(n, key.c_str(), "-");
      if (v == "-") {
        std::printf("error, unknown property name\n");
        return 1;
      }
      std::printf("%s\n", v.c_str());
      return 0;
    }
  std::fprintf(stderr, "unknown network ID, check that you are a member of the network\n");
  return 1;
}

}  // namespace

bool is_network_verb(const std::string& v) {
  return v == "listnetworks" || v == "join" || v == "leave" || v == "get" || v == "set";
}

std::optional<NetworkRequest> network_request(const std::vector<std::string>& args, int* rc) {
  const std::string& v = args[0];
  *rc = 2;
  if (v == "listnetworks") {
    if (args.size() != 1) return std::nullopt;
    return NetworkRequest{"GET", "/network", ""};
  }
  if (args.size() < 2 || !is_nwid(args[1])) {
    if (v == "join" || v == "leave") std::printf("invalid network id\n");
    else std::fprintf(stderr, "invalid format: must be a 16-digit (network) ID\n");
    return std::nullopt;
  }
  if (v == "join" && args.size() == 2) return NetworkRequest{"POST", "/network/" + args[1], "{}"};
  if (v == "leave" && args.size() == 2) return NetworkRequest{"DELETE", "/network/" + args[1], ""};
  if (v == "get") {
    if (args.size() != 3) {
      std::fprintf(stderr, "invalid format: include a property name to get\n");
      return std::nullopt;
    }
    return NetworkRequest{"GET", "/network", ""};
  }
  if (v == "set") {
    if (args.size() != 3) {
      std::fprintf(stderr, "invalid format: include a property name to set\n");
      return std::nullopt;
    }
    const size_t eq = args[2].find('=');
    const std::string key = args[2].substr(0, eq);
    if (eq == std::string::npos || (key != "allowManaged" && key != "allowGlobal" &&
                                    key != "allowDefault" && key != "allowDNS")) {
      std::fprintf(stderr, "set: key=value with key one of allowManaged, allowGlobal, "
                           "allowDefault, allowDNS\n");
      return std::nullopt;
    }
    const std::string val = args[2].substr(eq + 1);
    const bool on = !val.empty() && (val[0] == 't' || val[0] == '1');
    return NetworkRequest{"POST", "/network/" + args[1], json{{key, on}}.dump()};
  }
  return std::nullopt;
}

int network_output(const std::vector<std::string>& args, const std::string& body, bool json_out) {
  const std::string& v = args[0];
  const json j = json::parse(body, nullptr, false);
  if (v == "listnetworks" || v == "get") {
    if (j.is_discarded()) {
      std::printf("200 %s invalid JSON response\n", v.c_str());
      return 1;
    }
    if (v == "get") return get(j, args[1], args[2]);
    if (json_out) {
      std::printf("%s\n", j.dump(1).c_str());
      return 0;
    }
    return list(j);
  }
  // join and leave print the body with -j, set always (as zerotier-cli).
  if (json_out || v == "set") {
    std::printf("%s", body.c_str());
    return 0;
  }
  std::printf("200 %s OK\n", v.c_str());
  return 0;
}

}  // namespace flatnet::tools::ctl
