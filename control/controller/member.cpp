#include "control/controller/member.hpp"

#include "control/controller/fields.hpp"
#include "control/controller/limits.hpp"
#include "control/controller/network.hpp"

namespace flatnet::control::controller {

using nlohmann::json;
using detail::FieldReader;

namespace {

constexpr const char* kKnown[] = {
    "id", "address", "nwid", "objtype", "authorized", "activeBridge", "noAutoAssignIps",
    "ssoExempt", "ipAssignments", "identity", "name", "creationTime", "revision",
    "lastAuthorizedTime", "lastDeauthorizedTime", "lastAuthorizedCredentialType",
    "lastAuthorizedCredential", "authenticationExpiryTime", "tags", "capabilities", "vMajor",
    "vMinor", "vRev", "vProto", "remoteTraceTarget", "remoteTraceLevel"};
constexpr const char* kComputed[] = {"clock", "physicalAddr", "recentLog", "lastModified",
                                     "lastRequestMetaData", "authenticationURL",
                                     "authenticationClientID"};

bool listed(const std::string& key, const auto& list) {
  for (const char* k : list)
    if (key == k) return true;
  return false;
}

void read_lists(FieldReader& r, Member& m) {
  if (const json* a = r.array("ipAssignments")) {
    for (std::size_t i = 0; i < a->size(); ++i) {
      std::string ip;
      if (!r.element_string((*a)[i], "ipAssignments[" + std::to_string(i) + "]", ip)) return;
      m.ip_assignments.push_back(std::move(ip));
    }
  }
  if (const json* a = r.array("tags")) {
    for (std::size_t i = 0; i < a->size(); ++i) {
      const json& e = (*a)[i];
      std::string path = "tags[" + std::to_string(i) + "]";
      if (!e.is_array() || e.size() != 2) {
        r.fail(path, "expected [id, value]");
        return;
      }
      uint64_t id, value;
      if (!r.element_unsigned(e[0], path + "[0]", id) ||
          !r.element_unsigned(e[1], path + "[1]", value))
        return;
      m.tags.emplace_back(id, value);
    }
  }
  if (const json* a = r.array("capabilities")) {
    for (std::size_t i = 0; i < a->size(); ++i) {
      uint64_t id;
      if (!r.element_unsigned((*a)[i], "capabilities[" + std::to_string(i) + "]", id)) return;
      m.capabilities.push_back(id);
    }
  }
}

}  // namespace

std::string format_member_address(uint64_t address) { return detail::format_hex_id(address, 10); }
bool parse_member_address(std::string_view s, uint64_t& out) {
  return detail::parse_hex_id(s, 10, out);
}

bool member_from_json(const json& j, int64_t now_ms, Member& out, std::string* err) {
  auto fail = [&](const std::string& msg) {
    if (err) *err = msg;
    return false;
  };
  if (!j.is_object()) return fail("member record: expected a JSON object");
  Member m;
  FieldReader r(j, "member");
  std::string id = r.string("id", "");
  std::string nwid = r.string("nwid", "");
  if (!r.ok()) return fail(r.error());
  if (!parse_member_address(id, m.address))
    return fail("member field \"id\": expected 10 hex digits (not all zero), got \"" + id + "\"");
  if (!parse_network_id(nwid, m.nwid))
    return fail("member field \"nwid\": expected 16 hex digits (not all zero), got \"" + nwid + "\"");
  if (j.contains("address")) {
    uint64_t other = 0;
    std::string s = r.string("address", "");
    if (!r.ok()) return fail(r.error());
    if (!parse_member_address(s, other) || other != m.address)
      return fail("member field \"address\": \"" + s + "\" differs from \"id\"");
  }
  if (j.contains("objtype") && r.string("objtype", "") != "member")
    return fail(r.ok() ? "member field \"objtype\": expected \"member\"" : r.error());

  m.authorized = r.boolean("authorized", false);
  m.active_bridge = r.boolean("activeBridge", false);
  m.no_auto_assign_ips = r.boolean("noAutoAssignIps", false);
  m.sso_exempt = r.boolean("ssoExempt", false);
  if (j.contains("identity")) m.identity = r.string("identity", "");
  if (j.contains("name")) m.name = r.string("name", "");
  m.creation_time = r.signed_int("creationTime", now_ms);
  m.revision = r.unsigned_int("revision", 0);
  m.last_authorized_time = r.signed_int("lastAuthorizedTime", 0);
  m.last_deauthorized_time = r.signed_int("lastDeauthorizedTime", 0);
  m.last_authorized_credential_type = r.nullable_string("lastAuthorizedCredentialType");
  m.last_authorized_credential = r.nullable_string("lastAuthorizedCredential");
  m.authentication_expiry_time = r.signed_int("authenticationExpiryTime", 0);
  m.v_major = r.signed_int("vMajor", -1);
  m.v_minor = r.signed_int("vMinor", -1);
  m.v_rev = r.signed_int("vRev", -1);
  m.v_proto = r.signed_int("vProto", -1);
  m.remote_trace_target = r.nullable_string("remoteTraceTarget");
  m.remote_trace_level = r.signed_int("remoteTraceLevel", 0);
  if (r.ok()) read_lists(r, m);
  if (!r.ok()) return fail(r.error());

  for (auto it = j.begin(); it != j.end(); ++it)
    if (!listed(it.key(), kKnown) && !listed(it.key(), kComputed)) m.extra[it.key()] = it.value();
  out = std::move(m);
  return true;
}

bool parse_member(std::string_view text, int64_t now_ms, Member& out, std::string* err) {
  if (text.size() > kMaxRecordBytes) {
    if (err) *err = "member record: larger than " + std::to_string(kMaxRecordBytes) + " bytes";
    return false;
  }
  if (!json_nesting_within(text)) {
    if (err) *err = "member record: nested deeper than " + std::to_string(kMaxJsonDepth) + " levels";
    return false;
  }
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) {
    if (err) *err = "member record: not valid JSON";
    return false;
  }
  return member_from_json(j, now_ms, out, err);
}

json member_to_json(const Member& m) {
  json j = m.extra;
  const std::string addr = format_member_address(m.address);
  j["id"] = addr;
  j["address"] = addr;
  j["nwid"] = format_network_id(m.nwid);
  j["objtype"] = "member";
  j["authorized"] = m.authorized;
  j["activeBridge"] = m.active_bridge;
  j["noAutoAssignIps"] = m.no_auto_assign_ips;
  j["ssoExempt"] = m.sso_exempt;
  j["ipAssignments"] = m.ip_assignments;
  if (m.identity) j["identity"] = *m.identity;
  if (m.name) j["name"] = *m.name;
  j["creationTime"] = m.creation_time;
  j["revision"] = m.revision;
  j["lastAuthorizedTime"] = m.last_authorized_time;
  j["lastDeauthorizedTime"] = m.last_deauthorized_time;
  auto nullable = [](const std::optional<std::string>& s) { return s ? json(*s) : json(); };
  j["lastAuthorizedCredentialType"] = nullable(m.last_authorized_credential_type);
  j["lastAuthorizedCredential"] = nullable(m.last_authorized_credential);
  j["authenticationExpiryTime"] = m.authentication_expiry_time;
  json tags = json::array();
  for (const auto& [id, value] : m.tags) tags.push_back(json::array({id, value}));
  j["tags"] = tags;
  j["capabilities"] = m.capabilities;
  j["vMajor"] = m.v_major;
  j["vMinor"] = m.v_minor;
  j["vRev"] = m.v_rev;
  j["vProto"] = m.v_proto;
  j["remoteTraceTarget"] = nullable(m.remote_trace_target);
  j["remoteTraceLevel"] = m.remote_trace_level;
  return j;
}

}  // namespace flatnet::control::controller
