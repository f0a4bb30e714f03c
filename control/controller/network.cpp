#include "control/controller/network.hpp"

#include "control/controller/fields.hpp"
#include "control/controller/limits.hpp"

namespace flatnet::control::controller {

using nlohmann::json;
using detail::FieldReader;

namespace {

// The keys this model owns; everything else goes to Network::extra.
constexpr const char* kKnown[] = {
    "id", "nwid", "objtype", "name", "private", "enableBroadcast", "v4AssignMode",
    "v6AssignMode", "mtu", "multicastLimit", "routes", "ipAssignmentPools", "rules",
    "capabilities", "tags", "rulesSource", "dns", "authTokens", "ssoEnabled", "clientId",
    "authorizationEndpoint", "creationTime", "revision", "remoteTraceTarget",
    "remoteTraceLevel", "certificateTimeoutWindowSize"};
// Computed per API request by stock and never stored (DB::cleanNetwork).
constexpr const char* kComputed[] = {"clock", "authorizedMemberCount", "activeMemberCount",
                                     "totalMemberCount", "lastModified"};

bool listed(const std::string& key, const auto& list) {
  for (const char* k : list)
    if (key == k) return true;
  return false;
}

void read_routes(FieldReader& r, Network& n) {
  const json* a = r.array("routes");
  if (!a) return;
  for (std::size_t i = 0; i < a->size() && r.ok(); ++i) {
    const json& e = (*a)[i];
    std::string path = "routes[" + std::to_string(i) + "]";
    if (!e.is_object() || !e.contains("target")) {
      r.fail(path, "expected an object with \"target\"");
      return;
    }
    Route rt;
    if (!r.element_string(e["target"], path + ".target", rt.target)) return;
    auto via = e.find("via");
    if (via != e.end() && !via->is_null()) {
      std::string v;
      if (!r.element_string(*via, path + ".via", v)) return;
      rt.via = v;
    }
    n.routes.push_back(std::move(rt));
  }
}

void read_pools(FieldReader& r, Network& n) {
  const json* a = r.array("ipAssignmentPools");
  if (!a) return;
  for (std::size_t i = 0; i < a->size() && r.ok(); ++i) {
    const json& e = (*a)[i];
    std::string path = "ipAssignmentPools[" + std::to_string(i) + "]";
    if (!e.is_object() || !e.contains("ipRangeStart") || !e.contains("ipRangeEnd")) {
      r.fail(path, "expected an object with \"ipRangeStart\" and \"ipRangeEnd\"");
      return;
    }
    IpAssignmentPool p;
    if (!r.element_string(e["ipRangeStart"], path + ".ipRangeStart", p.ip_range_start)) return;
    if (!r.element_string(e["ipRangeEnd"], path + ".ipRangeEnd", p.ip_range_end)) return;
    n.ip_assignment_pools.push_back(std::move(p));
  }
}

// A rule is an object with a string "type"; its other fields depend on the
// type and are checked when the controller compiles the rule table.
bool check_rules(FieldReader& r, const json& rules, const std::string& path) {
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const json& e = rules[i];
    auto t = e.is_object() ? e.find("type") : e.end();
    if (!e.is_object() || t == e.end() || !t->is_string()) {
      r.fail(path + "[" + std::to_string(i) + "]", "expected a rule object with a string \"type\"");
      return false;
    }
  }
  return true;
}

void read_capabilities(FieldReader& r, Network& n) {
  const json* a = r.array("capabilities");
  if (!a) return;
  for (std::size_t i = 0; i < a->size(); ++i) {
    const json& e = (*a)[i];
    std::string path = "capabilities[" + std::to_string(i) + "]";
    if (!e.is_object()) {
      r.fail(path, "expected an object");
      return;
    }
    uint64_t id;
    if (auto it = e.find("id"); it != e.end() && !r.element_unsigned(*it, path + ".id", id)) return;
    if (auto it = e.find("default"); it != e.end() && !it->is_boolean()) {
      r.fail(path + ".default", "expected true or false");
      return;
    }
    if (auto it = e.find("rules"); it != e.end()) {
      if (!it->is_array() || it->size() > kMaxArrayEntries) {
        r.fail(path + ".rules", "expected an array of at most " +
                                    std::to_string(kMaxArrayEntries) + " rules");
        return;
      }
      if (!check_rules(r, *it, path + ".rules")) return;
    }
  }
  n.capabilities = *a;
}

void read_tags(FieldReader& r, Network& n) {
  const json* a = r.array("tags");
  if (!a) return;
  for (std::size_t i = 0; i < a->size() && r.ok(); ++i) {
    const json& e = (*a)[i];
    std::string path = "tags[" + std::to_string(i) + "]";
    if (!e.is_object()) {
      r.fail(path, "expected an object");
      return;
    }
    NetworkTag t;
    if (auto it = e.find("id"); it != e.end() && !r.element_unsigned(*it, path + ".id", t.id)) return;
    if (auto it = e.find("default"); it != e.end() && !it->is_null()) {
      uint64_t d;
      if (!r.element_unsigned(*it, path + ".default", d)) return;
      t.default_value = d;
    }
    n.tags.push_back(t);
  }
}

void read_assign_modes(FieldReader& r, Network& n) {
  if (const json* v4 = r.object("v4AssignMode")) {
    FieldReader sub(*v4, "v4AssignMode");
    n.v4_assign_zt = sub.boolean("zt", false);
    if (!sub.ok()) r.fail("v4AssignMode", sub.error());
  }
  if (const json* v6 = r.object("v6AssignMode")) {
    FieldReader sub(*v6, "v6AssignMode");
    auto opt = [&](const char* key) -> std::optional<bool> {
      if (!v6->contains(key)) return std::nullopt;
      return sub.boolean(key, false);
    };
    n.v6_assign.rfc4193 = opt("rfc4193");
    n.v6_assign.zt = opt("zt");
    n.v6_assign.six_plane = opt("6plane");
    if (!sub.ok()) r.fail("v6AssignMode", sub.error());
  }
}

}  // namespace

json Network::default_rules() {
  return json::array({json{{"not", false}, {"or", false}, {"type", "ACTION_ACCEPT"}}});
}

std::string format_network_id(uint64_t nwid) { return detail::format_hex_id(nwid, 16); }
bool parse_network_id(std::string_view s, uint64_t& out) { return detail::parse_hex_id(s, 16, out); }

bool network_from_json(const json& j, int64_t now_ms, Network& out, std::string* err) {
  auto fail = [&](const std::string& m) {
    if (err) *err = m;
    return false;
  };
  if (!j.is_object()) return fail("network record: expected a JSON object");
  Network n;
  FieldReader r(j, "network");
  std::string id = r.string("id", "");
  if (!r.ok()) return fail(r.error());
  if (!parse_network_id(id, n.id))
    return fail("network field \"id\": expected 16 hex digits (not all zero), got \"" + id + "\"");
  if (j.contains("nwid")) {
    uint64_t other = 0;
    std::string s = r.string("nwid", "");
    if (!r.ok()) return fail(r.error());
    if (!parse_network_id(s, other) || other != n.id)
      return fail("network field \"nwid\": \"" + s + "\" differs from \"id\"");
  }
  if (j.contains("objtype") && r.string("objtype", "") != "network")
    return fail(r.ok() ? "network field \"objtype\": expected \"network\"" : r.error());

  n.name = r.string("name", "");
  n.is_private = r.boolean("private", true);
  n.enable_broadcast = r.boolean("enableBroadcast", true);
  read_assign_modes(r, n);
  n.mtu = r.unsigned_int("mtu", kDefaultMtu);
  n.multicast_limit = r.unsigned_int("multicastLimit", kDefaultMulticastLimit);
  read_routes(r, n);
  read_pools(r, n);
  if (const json* rules = r.array("rules"); rules && check_rules(r, *rules, "rules"))
    n.rules = *rules;
  read_capabilities(r, n);
  read_tags(r, n);
  n.rules_source = r.string("rulesSource", "");
  if (auto it = j.find("dns"); it != j.end()) {
    if (it->is_array() && it->empty()) {
      n.dns = *it;
    } else if (it->is_object()) {
      auto srv = it->find("servers");
      if (srv != it->end() && (!srv->is_array() || srv->size() > kMaxArrayEntries))
        r.fail("dns", "\"servers\" must be an array of at most " +
                          std::to_string(kMaxArrayEntries) + " entries");
      n.dns = *it;
    } else {
      r.fail("dns", "expected [] or an object with \"domain\" and \"servers\"");
    }
  }
  if (auto it = j.find("authTokens"); it != j.end()) {
    // null: what stock's POST stores for an authTokens object with no valid entry.
    if (it->is_object() || it->is_null() || (it->is_array() && it->size() <= 1))
      n.auth_tokens = *it;
    else r.fail("authTokens", "expected an object of token -> expiry");
  }
  n.sso_enabled = r.boolean("ssoEnabled", false);
  n.client_id = r.string("clientId", "");
  n.authorization_endpoint = r.string("authorizationEndpoint", "");
  n.creation_time = r.signed_int("creationTime", now_ms);
  n.revision = r.unsigned_int("revision", 0);
  n.remote_trace_target = r.nullable_string("remoteTraceTarget");
  n.remote_trace_level = r.signed_int("remoteTraceLevel", 0);
  if (j.contains("certificateTimeoutWindowSize"))
    n.certificate_timeout_window_size = r.signed_int("certificateTimeoutWindowSize", 0);
  if (!r.ok()) return fail(r.error());

  for (auto it = j.begin(); it != j.end(); ++it)
    if (!listed(it.key(), kKnown) && !listed(it.key(), kComputed)) n.extra[it.key()] = it.value();
  out = std::move(n);
  return true;
}

bool parse_network(std::string_view text, int64_t now_ms, Network& out, std::string* err) {
  if (text.size() > kMaxRecordBytes) {
    if (err) *err = "network record: larger than " + std::to_string(kMaxRecordBytes) + " bytes";
    return false;
  }
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) {
    if (err) *err = "network record: not valid JSON";
    return false;
  }
  return network_from_json(j, now_ms, out, err);
}

json network_to_json(const Network& n) {
  json j = n.extra;
  const std::string id = format_network_id(n.id);
  j["id"] = id;
  j["nwid"] = id;
  j["objtype"] = "network";
  j["name"] = n.name;
  j["private"] = n.is_private;
  j["enableBroadcast"] = n.enable_broadcast;
  j["v4AssignMode"] = json{{"zt", n.v4_assign_zt}};
  json v6 = json::object();
  if (n.v6_assign.rfc4193) v6["rfc4193"] = *n.v6_assign.rfc4193;
  if (n.v6_assign.zt) v6["zt"] = *n.v6_assign.zt;
  if (n.v6_assign.six_plane) v6["6plane"] = *n.v6_assign.six_plane;
  j["v6AssignMode"] = v6;
  j["mtu"] = n.mtu;
  j["multicastLimit"] = n.multicast_limit;
  json routes = json::array();
  for (const Route& r : n.routes)
    routes.push_back(json{{"target", r.target}, {"via", r.via ? json(*r.via) : json()}});
  j["routes"] = routes;
  json pools = json::array();
  for (const IpAssignmentPool& p : n.ip_assignment_pools)
    pools.push_back(json{{"ipRangeStart", p.ip_range_start}, {"ipRangeEnd", p.ip_range_end}});
  j["ipAssignmentPools"] = pools;
  j["rules"] = n.rules;
  j["capabilities"] = n.capabilities;
  json tags = json::array();
  for (const NetworkTag& t : n.tags)
    tags.push_back(json{{"id", t.id}, {"default", t.default_value ? json(*t.default_value) : json()}});
  j["tags"] = tags;
  j["rulesSource"] = n.rules_source;
  j["dns"] = n.dns;
  j["authTokens"] = n.auth_tokens;
  j["ssoEnabled"] = n.sso_enabled;
  j["clientId"] = n.client_id;
  j["authorizationEndpoint"] = n.authorization_endpoint;
  j["creationTime"] = n.creation_time;
  j["revision"] = n.revision;
  j["remoteTraceTarget"] = n.remote_trace_target ? json(*n.remote_trace_target) : json();
  j["remoteTraceLevel"] = n.remote_trace_level;
  if (n.certificate_timeout_window_size)
    j["certificateTimeoutWindowSize"] = *n.certificate_timeout_window_size;
  return j;
}

}  // namespace flatnet::control::controller
