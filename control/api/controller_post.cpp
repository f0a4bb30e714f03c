#include "control/api/controller_post.hpp"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "control/api/controller_rules.hpp"
#include "control/api/stock_json.hpp"

namespace flatnet::control::api {

using nlohmann::json;

namespace {

// The body's value for `key`, or nullptr when the body has no such key
// (stock's b.count(key) test; a body that is not an object has none).
const json* given(const json& body, const char* key) {
  if (!body.is_object()) return nullptr;
  auto it = body.find(key);
  return it == body.end() ? nullptr : &*it;
}

const json& member_of(const json& obj, const char* key) {
  static const json null_value;
  if (!obj.is_object()) return null_value;
  auto it = obj.find(key);
  return it == obj.end() ? null_value : *it;
}

// Stock's MTU bounds (ZT_MIN_MTU, ZT_MAX_MTU); the value is first cut to
// 32 bits as stock's cast does.
constexpr unsigned kMinMtu = 1280, kMaxMtu = 10000;

json trace_target(const json& v) {
  const std::string t = stock::to_string(v, "");
  return t.size() == 10 ? json(t) : json();
}

json routes(const json& in) {
  json out = json::array();
  for (const json& rt : in) {
    if (!rt.is_object()) continue;
    const json& target = member_of(rt, "target");
    const json& via = member_of(rt, "via");
    if (!target.is_string()) continue;
    const stock::Inet t = stock::parse_inet(target.get<std::string>());
    if (!stock::prefix_valid(t)) continue;
    stock::Inet v;
    if (via.is_string()) v = stock::parse_inet(via.get<std::string>());
    out.push_back(json{{"target", stock::ip_slash_port(t)},
                       {"via", v.family == t.family ? json(stock::ip_string(v)) : json()}});
  }
  return out;
}

json pools(const json& in) {
  json out = json::array();
  for (const json& p : in) {
    if (!p.is_object() || !p.contains("ipRangeStart") || !p.contains("ipRangeEnd")) continue;
    const stock::Inet f = stock::parse_inet(stock::to_string(p["ipRangeStart"], ""));
    const stock::Inet t = stock::parse_inet(stock::to_string(p["ipRangeEnd"], ""));
    if (f.family == 0 || f.family != t.family) continue;
    out.push_back(json{{"ipRangeStart", stock::ip_string(f)}, {"ipRangeEnd", stock::ip_string(t)}});
  }
  return out;
}

json rules(const json& in) {
  json out = json::array();
  if (!in.is_array()) return out;
  for (const json& r : in)
    if (auto n = stock_rule(r)) out.push_back(std::move(*n));
  return out;
}

// Capabilities and tags are keyed by ID: a later entry replaces an earlier
// one with the same ID, and the result is in ascending ID order.
json capabilities(const json& in) {
  std::map<uint64_t, json> by_id;
  for (const json& c : in) {
    if (!c.is_object()) continue;
    const uint64_t id = stock::to_uint(member_of(c, "id"), 0);
    by_id[id] = json{{"id", id},
                     {"default", stock::to_bool(member_of(c, "default"), false)},
                     {"rules", rules(member_of(c, "rules"))}};
  }
  json out = json::array();
  for (auto& [id, c] : by_id) out.push_back(std::move(c));
  return out;
}

json network_tags(const json& in) {
  std::map<uint64_t, json> by_id;
  for (const json& t : in) {
    if (!t.is_object()) continue;
    const uint64_t id = stock::to_uint(member_of(t, "id"), 0);
    const json& d = member_of(t, "default");
    by_id[id] = json{{"id", id}, {"default", d.is_null() ? json() : json(stock::to_uint(d, 0))}};
  }
  json out = json::array();
  for (auto& [id, t] : by_id) out.push_back(std::move(t));
  return out;
}

json v6_assign_mode(const json& v6m) {
  json out = json::object();
  if (v6m.is_string()) {
    out = json{{"rfc4193", false}, {"zt", false}, {"6plane", false}};
    const std::string s = v6m.get<std::string>();
    for (size_t at = 0; at <= s.size();) {
      size_t comma = std::min(s.find(',', at), s.size());
      const std::string m = s.substr(at, comma - at);
      if (m == "rfc4193" || m == "zt" || m == "6plane") out[m] = true;
      at = comma + 1;
    }
  } else if (v6m.is_object()) {
    for (const char* k : {"rfc4193", "zt", "6plane"})
      if (v6m.contains(k)) out[k] = stock::to_bool(v6m[k], false);
  } else {
    out = json{{"rfc4193", false}, {"zt", false}, {"6plane", false}};
  }
  return out;
}

}  // namespace

json network_post(json n, const json& b) {
  // Stock's initNetwork tests for a misspelt key ("removeTraceLevel") before
  // it sets remoteTraceLevel, so every POST resets the level to 0 unless the
  // body sets it.
  if (!n.contains("removeTraceLevel")) n["remoteTraceLevel"] = 0;
  if (auto v = given(b, "name")) n["name"] = stock::to_string(*v, "");
  if (auto v = given(b, "private")) n["private"] = stock::to_bool(*v, true);
  if (auto v = given(b, "enableBroadcast")) n["enableBroadcast"] = stock::to_bool(*v, false);
  if (auto v = given(b, "multicastLimit")) n["multicastLimit"] = stock::to_uint(*v, 32);
  if (auto v = given(b, "mtu")) {
    const unsigned mtu = unsigned(stock::to_uint(*v, 2800));
    n["mtu"] = std::max(std::min(mtu, kMaxMtu), kMinMtu);
  }
  if (auto v = given(b, "remoteTraceTarget")) n["remoteTraceTarget"] = trace_target(*v);
  if (auto v = given(b, "remoteTraceLevel")) n["remoteTraceLevel"] = stock::to_uint(*v, 0);
  if (auto v = given(b, "v4AssignMode")) {
    bool zt = false;
    if (v->is_string()) zt = v->get<std::string>() == "zt";
    else if (v->is_object()) zt = stock::to_bool(member_of(*v, "zt"), false);
    n["v4AssignMode"] = json{{"zt", zt}};
  }
  if (auto v = given(b, "v6AssignMode")) n["v6AssignMode"] = v6_assign_mode(*v);
  if (auto v = given(b, "routes"); v && v->is_array()) n["routes"] = routes(*v);
  if (auto v = given(b, "ipAssignmentPools"); v && v->is_array())
    n["ipAssignmentPools"] = pools(*v);
  if (auto v = given(b, "rules"); v && v->is_array()) n["rules"] = rules(*v);
  if (auto v = given(b, "authTokens")) {
    if (v->is_object()) {
      // Stock keeps entries whose value is a number >= 0; none kept leaves
      // the value null.
      json kept;
      for (auto it = v->begin(); it != v->end(); ++it)
        if (it.value().is_number() && it.value() >= 0) kept[it.key()] = it.value();
      n["authTokens"] = kept;
    } else {
      n["authTokens"] = json::array({nullptr});
    }
  }
  if (auto v = given(b, "capabilities"); v && v->is_array()) n["capabilities"] = capabilities(*v);
  if (auto v = given(b, "tags"); v && v->is_array()) n["tags"] = network_tags(*v);
  if (auto v = given(b, "dns"); v && v->is_object()) {
    json d;
    d["domain"] = member_of(*v, "domain");
    if (const json& srv = member_of(*v, "servers"); srv.is_array()) d["servers"] = srv;
    n["dns"] = d;
  }
  return n;
}

json member_post(json m, const json& b, int64_t now_ms) {
  if (!m.contains("removeTraceLevel")) m["remoteTraceLevel"] = 0;  // as network_post
  if (auto v = given(b, "activeBridge")) m["activeBridge"] = stock::to_bool(*v, false);
  if (auto v = given(b, "noAutoAssignIps")) m["noAutoAssignIps"] = stock::to_bool(*v, false);
  if (auto v = given(b, "authenticationExpiryTime"))
    m["authenticationExpiryTime"] = stock::to_uint(*v, 0);
  if (auto v = given(b, "name")) m["name"] = stock::to_string(*v, "");
  if (auto v = given(b, "remoteTraceTarget")) m["remoteTraceTarget"] = trace_target(*v);
  if (auto v = given(b, "remoteTraceLevel")) m["remoteTraceLevel"] = stock::to_uint(*v, 0);
  if (auto v = given(b, "authorized")) {
    const bool now_auth = stock::to_bool(*v, false);
    if (now_auth != stock::to_bool(member_of(m, "authorized"), false)) {
      m["authorized"] = now_auth;
      m[now_auth ? "lastAuthorizedTime" : "lastDeauthorizedTime"] = now_ms;
      if (now_auth) {
        m["lastAuthorizedCredentialType"] = "api";
        m["lastAuthorizedCredential"] = nullptr;
      }
    }
  }
  if (auto v = given(b, "ipAssignments"); v && v->is_array()) {
    json ips = json::array();
    for (const json& e : *v) {
      const stock::Inet ip = stock::parse_inet(e.get<std::string>());  // throws as stock
      if (ip.family) ips.push_back(stock::ip_string(ip));
    }
    m["ipAssignments"] = ips;
  }
  if (auto v = given(b, "tags"); v && v->is_array()) {
    std::map<uint64_t, uint64_t> tags;
    for (const json& t : *v)
      if (t.is_array() && t.size() == 2)
        tags[stock::to_uint(t[0], 0) & 0xffffffffull] = stock::to_uint(t[1], 0) & 0xffffffffull;
    json out = json::array();
    for (auto [id, value] : tags) out.push_back(json::array({id, value}));
    m["tags"] = out;
  }
  if (auto v = given(b, "capabilities"); v && v->is_array()) {
    std::vector<uint64_t> caps;
    for (const json& c : *v) caps.push_back(stock::to_uint(c, 0));
    std::sort(caps.begin(), caps.end());
    caps.erase(std::unique(caps.begin(), caps.end()), caps.end());
    m["capabilities"] = caps;
  }
  return m;
}

}  // namespace flatnet::control::api
