// The controller's member record: the fields, JSON types and defaults of a
// stock 1.14.1 controller member object (DB::initMember and the member POST
// handler; spec §10.12). I/O-free, like network.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace flatnet::control::controller {

struct Member {
  uint64_t nwid = 0;                // "nwid", 16 hex digits
  uint64_t address = 0;             // "id" and "address", 10 hex digits
  bool authorized = false;
  bool active_bridge = false;
  bool no_auto_assign_ips = false;
  bool sso_exempt = false;
  std::vector<std::string> ip_assignments;    // IP strings, no prefix length
  std::optional<std::string> identity;        // bound on the member's first request
  std::optional<std::string> name;            // only present once set through the API
  int64_t creation_time = 0;
  uint64_t revision = 0;
  int64_t last_authorized_time = 0;
  int64_t last_deauthorized_time = 0;
  std::optional<std::string> last_authorized_credential_type;  // "api", "public", "token", null
  std::optional<std::string> last_authorized_credential;
  int64_t authentication_expiry_time = 0;
  std::vector<std::pair<uint64_t, uint64_t>> tags;  // [[id, value], ...]
  std::vector<uint64_t> capabilities;               // [id, ...]
  int64_t v_major = -1, v_minor = -1, v_rev = -1, v_proto = -1;  // reported by the member
  std::optional<std::string> remote_trace_target;
  int64_t remote_trace_level = 0;
  nlohmann::json extra = nlohmann::json::object();  // unknown fields, kept verbatim

  bool operator==(const Member&) const = default;
};

// Reads a stored member object: "id" (10 hex digits) and "nwid" are
// required, the rest defaults as stock's initMember; wrong types and arrays
// over kMaxArrayEntries are refused with *err naming the field. Fields stock
// computes per request (clock, physicalAddr, recentLog, lastModified,
// lastRequestMetaData, authenticationURL, authenticationClientID) are
// dropped, as stock's cleanMember does before saving.
bool member_from_json(const nlohmann::json& j, int64_t now_ms, Member& out, std::string* err);
bool parse_member(std::string_view text, int64_t now_ms, Member& out, std::string* err);
nlohmann::json member_to_json(const Member& m);

std::string format_member_address(uint64_t address);
bool parse_member_address(std::string_view s, uint64_t& out);

}  // namespace flatnet::control::controller
