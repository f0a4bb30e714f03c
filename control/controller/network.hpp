// The controller's network record: the fields, JSON types and defaults of a
// stock 1.14.1 controller network object (DB::initNetwork and the network
// POST handler; spec §10.12). I/O-free: records are parsed from and
// rendered to nlohmann::json, whose objects keep keys sorted as stock's do.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace flatnet::control::controller {

struct Route {
  std::string target;              // "10.147.17.0/24"
  std::optional<std::string> via;  // null when the route is on-link
  bool operator==(const Route&) const = default;
};

struct IpAssignmentPool {
  std::string ip_range_start;
  std::string ip_range_end;
  bool operator==(const IpAssignmentPool&) const = default;
};

struct NetworkTag {
  uint64_t id = 0;
  std::optional<uint64_t> default_value;  // "default": null when unset
  bool operator==(const NetworkTag&) const = default;
};

// v6AssignMode keys are optional because stock's POST writes only the keys
// it was given ({"zt":true} stays {"zt":true}); nullopt = key absent.
struct V6AssignMode {
  std::optional<bool> rfc4193 = false;
  std::optional<bool> zt = false;
  std::optional<bool> six_plane = false;  // "6plane"
  bool operator==(const V6AssignMode&) const = default;
};

struct Network {
  uint64_t id = 0;                  // "id" and "nwid", 16 hex digits
  std::string name;
  bool is_private = true;           // "private"
  bool enable_broadcast = true;
  bool v4_assign_zt = false;        // v4AssignMode.zt
  V6AssignMode v6_assign;
  uint64_t mtu = 2800;
  uint64_t multicast_limit = 32;
  std::vector<Route> routes;
  std::vector<IpAssignmentPool> ip_assignment_pools;
  // Rules and capabilities are kept as stock renders them (objects with a
  // "type" and type-specific fields); compiling them is the controller's job.
  nlohmann::json rules = default_rules();
  nlohmann::json capabilities = nlohmann::json::array();
  std::vector<NetworkTag> tags;
  std::string rules_source;
  // Stock's default is [] and its POST makes {"domain":..,"servers":[..]}.
  nlohmann::json dns = nlohmann::json::array();
  // Stock's default is [null] (initNetwork's `{{}}`); a POST makes an object
  // of token -> expiry. Kept as is.
  nlohmann::json auth_tokens = nlohmann::json::array({nullptr});
  bool sso_enabled = false;
  std::string client_id;
  std::string authorization_endpoint;
  int64_t creation_time = 0;
  uint64_t revision = 0;
  std::optional<std::string> remote_trace_target;  // 10 hex digits or null
  int64_t remote_trace_level = 0;
  // Stock reads it (the COM time window, ms) but its API never writes it;
  // absent unless an operator put it in the record.
  std::optional<int64_t> certificate_timeout_window_size;
  // Fields this model does not know, kept verbatim so import/export of a
  // stock controller.d loses nothing.
  nlohmann::json extra = nlohmann::json::object();

  static nlohmann::json default_rules();
  bool operator==(const Network&) const = default;
};

// Reads a stored network object. Missing fields take stock's defaults
// (`now_ms` for creationTime); a field of the wrong type, an array over
// kMaxArrayEntries, or a bad/missing "id" is refused with *err naming it.
// Fields stock computes per request (clock, member counts, lastModified) are
// dropped, as stock's cleanNetwork does before saving.
bool network_from_json(const nlohmann::json& j, int64_t now_ms, Network& out, std::string* err);
bool parse_network(std::string_view text, int64_t now_ms, Network& out, std::string* err);
nlohmann::json network_to_json(const Network& n);

std::string format_network_id(uint64_t nwid);
bool parse_network_id(std::string_view s, uint64_t& out);

}  // namespace flatnet::control::controller
