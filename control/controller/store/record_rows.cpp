#include "control/controller/store/record_rows.hpp"

namespace flatnet::control::controller::store {

using nlohmann::json;

namespace {

constexpr const char* kMemberColumnFields[] = {
    "id", "address", "nwid", "objtype", "revision", "authorized", "activeBridge", "identity",
    "lastAuthorizedTime", "lastDeauthorizedTime"};

}  // namespace

MemberRow encode_member(const Member& m) {
  json j = member_to_json(m);
  for (const char* k : kMemberColumnFields) j.erase(k);
  MemberRow r;
  r.nwid = format_network_id(m.nwid);
  r.address = int64_t(m.address);
  r.revision = int64_t(m.revision);
  r.authorized = m.authorized;
  r.active_bridge = m.active_bridge;
  r.identity = m.identity;
  r.last_authorized_time = m.last_authorized_time;
  r.last_deauthorized_time = m.last_deauthorized_time;
  r.doc = j.dump();
  return r;
}

bool decode_member(const MemberRow& r, Member& out, std::string* err) {
  json j = json::parse(r.doc, nullptr, false);
  if (!j.is_object()) {
    if (err) *err = "stored member " + r.nwid + "/" + std::to_string(r.address) + ": bad JSON";
    return false;
  }
  const std::string addr = format_member_address(uint64_t(r.address));
  j["id"] = addr;
  j["address"] = addr;
  j["nwid"] = r.nwid;
  j["revision"] = uint64_t(r.revision);
  j["authorized"] = r.authorized != 0;
  j["activeBridge"] = r.active_bridge != 0;
  if (r.identity) j["identity"] = *r.identity;
  j["lastAuthorizedTime"] = r.last_authorized_time;
  j["lastDeauthorizedTime"] = r.last_deauthorized_time;
  return member_from_json(j, 0, out, err);
}

// Records come in typed, but a caller can still have put more than
// kMaxArrayEntries into a vector or a bad value into `extra`: each record is
// checked by reading its JSON back as the model reads a stored record.
bool canonical_member(const Member& in, Member& out, std::string* err) {
  if (in.address == 0 || in.address > 0xffffffffffULL || in.nwid == 0) {
    if (err) *err = "member: address must be 10 hex digits and nwid 16, neither zero";
    return false;
  }
  return member_from_json(member_to_json(in), 0, out, err);
}

bool canonical_network(const Network& in, Network& out, std::string* err) {
  if (in.id == 0) {
    if (err) *err = "network: id must not be zero";
    return false;
  }
  return network_from_json(network_to_json(in), 0, out, err);
}

std::optional<uint64_t> stored_network_revision(const std::string& doc) {
  json old = json::parse(doc, nullptr, false);
  if (old.is_object() && old.contains("revision") && old["revision"].is_number_unsigned())
    return old["revision"].get<uint64_t>();
  return std::nullopt;
}

}  // namespace flatnet::control::controller::store
