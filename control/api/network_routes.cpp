// /network routes (network_routes.hpp).
#include "control/api/network_routes.hpp"

#include <httplib.h>

#include <cstdio>

#include "dataplane/wire/hex.hpp"

namespace flatnet::control::api {

namespace {

using nlohmann::json;

void send_json(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

// "32:5b:1c:00:aa:01", as stock's MAC::toString.
std::string mac_string(uint64_t mac) {
  char b[18];
  std::snprintf(b, sizeof b, "%02x:%02x:%02x:%02x:%02x:%02x", unsigned(mac >> 40) & 0xff,
                unsigned(mac >> 32) & 0xff, unsigned(mac >> 24) & 0xff, unsigned(mac >> 16) & 0xff,
                unsigned(mac >> 8) & 0xff, unsigned(mac) & 0xff);
  return b;
}

}  // namespace

std::optional<uint64_t> parse_network_id(std::string_view s) {
  if (s.size() != 16 || s.find_first_not_of("0123456789abcdefABCDEF") != std::string_view::npos)
    return std::nullopt;
  const uint64_t id = std::stoull(std::string(s), nullptr, 16);
  if (id == 0) return std::nullopt;
  return id;
}

json network_json(const NetworkStatusView& n) {
  json j;
  const std::string id = wire::hex_id(n.nwid);
  j["id"] = id;
  j["nwid"] = id;
  j["mac"] = mac_string(n.mac);
  j["name"] = n.name;
  j["status"] = n.status;
  j["type"] = n.type;
  j["mtu"] = n.mtu;
  j["dhcp"] = n.dhcp;
  j["bridge"] = n.bridge;
  j["broadcastEnabled"] = n.broadcast_enabled;
  j["portError"] = n.port_error;
  j["netconfRevision"] = n.netconf_revision;
  j["portDeviceName"] = n.port_device_name;
  j["allowManaged"] = n.allow_managed;
  j["allowGlobal"] = n.allow_global;
  j["allowDefault"] = n.allow_default;
  j["allowDNS"] = n.allow_dns;
  json aa = json::array();
  for (const auto& a : n.assigned_addresses) aa.push_back(a);
  j["assignedAddresses"] = aa;
  json ra = json::array();
  for (const auto& r : n.routes) {
    json rj;
    rj["target"] = r.target;
    rj["via"] = r.via.empty() ? json() : json(r.via);
    rj["flags"] = r.flags;
    rj["metric"] = r.metric;
    ra.push_back(rj);
  }
  j["routes"] = ra;
  json ma = json::array();
  for (const auto& g : n.multicast_subscriptions)
    ma.push_back({{"mac", mac_string(g.mac)}, {"adi", g.adi}});
  j["multicastSubscriptions"] = ma;
  json servers = json::array();
  for (const auto& s : n.dns_servers) servers.push_back(s);
  j["dns"] = {{"domain", n.dns_domain}, {"servers", servers}};
  return j;
}

void add_network_routes(httplib::Server& s, NetworkSource& src) {
  s.Get("/network", [&src](const httplib::Request&, httplib::Response& res) {
    json a = json::array();
    for (const auto& n : src.networks()) a.push_back(network_json(n));
    send_json(res, 200, a);
  });
  // Stock answers an unknown or malformed id with 404 and an empty body.
  s.Get(R"(/network/([^/]*))", [&src](const httplib::Request& req, httplib::Response& res) {
    const auto id = parse_network_id(req.matches[1].str());
    if (id)
      if (auto n = src.network(*id)) return send_json(res, 200, network_json(*n));
    send_json(res, 404, json::object());
  });
  auto join = [&src](const httplib::Request& req, httplib::Response& res) {
    const auto id = parse_network_id(req.matches[1].str());
    if (!id)
      return send_json(res, 400, {{"error", 400}, {"description", "network ID must be 16 hex digits"}});
    NetworkSettingsChange change;
    const json body = json::parse(req.body, nullptr, false);
    if (body.is_object()) {
      auto flag = [&body](const char* k, std::optional<bool>& dst) {
        auto it = body.find(k);
        if (it != body.end() && it->is_boolean()) dst = it->get<bool>();
      };
      flag("allowManaged", change.allow_managed);
      flag("allowGlobal", change.allow_global);
      flag("allowDefault", change.allow_default);
      flag("allowDNS", change.allow_dns);
    }
    NetworkStatusView v;
    std::string err;
    if (!src.join_network(*id, change, &v, &err))
      return send_json(res, 500, {{"error", 500}, {"description", err}});
    send_json(res, 200, network_json(v));
  };
  s.Post(R"(/network/([^/]*))", join);
  s.Put(R"(/network/([^/]*))", join);
  s.Delete(R"(/network/([^/]*))", [&src](const httplib::Request& req, httplib::Response& res) {
    const auto id = parse_network_id(req.matches[1].str());
    json out = json::object();
    if (id && src.leave_network(*id)) out["result"] = true;
    send_json(res, 200, out);
  });
}

}  // namespace flatnet::control::api
