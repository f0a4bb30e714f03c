// What the local API's /network routes (control/api/network_routes.*) read
// and ask of flatnetd's member (control/service/member_host.*): the joined
// networks as stock's /network objects show them (spec §12.3), joining,
// changing a network's local settings, leaving. Plain structs and one
// abstract class, as status.hpp; same thread-safety and Unavailable rules.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace flatnet::control {

struct NetworkRouteStatus {
  std::string target;              // "10.1.0.0/16"
  std::string via;                 // "" = none (JSON null)
  int flags = 0;
  int metric = 0;
};

struct NetworkGroupStatus {
  uint64_t mac = 0;                // 48 bits in the low bits
  uint32_t adi = 0;
};

struct NetworkStatusView {
  uint64_t nwid = 0;
  uint64_t mac = 0;                // our MAC on the network (48 bits)
  std::string name;                // from the config, "" before one
  std::string status;              // "REQUESTING_CONFIGURATION", "OK", ...
  std::string type;                // "PRIVATE" / "PUBLIC" (PRIVATE before a config, as stock)
  unsigned mtu = 0;
  bool dhcp = false;
  bool bridge = false;             // we are an active bridge on it
  bool broadcast_enabled = false;
  int port_error = 0;              // errno-style: the tap could not be made (0 = fine)
  uint64_t netconf_revision = 0;
  std::string port_device_name;    // the tap's name
  bool allow_managed = true, allow_global = false, allow_default = false, allow_dns = false;
  std::vector<std::string> assigned_addresses;  // "10.1.2.3/24"
  std::vector<NetworkRouteStatus> routes;
  std::vector<NetworkGroupStatus> multicast_subscriptions;
  std::string dns_domain;
  std::vector<std::string> dns_servers;
};

// A POST body: only the keys given change.
struct NetworkSettingsChange {
  std::optional<bool> allow_managed, allow_global, allow_default, allow_dns;
};

class NetworkSource {
 public:
  virtual ~NetworkSource() = default;
  virtual std::vector<NetworkStatusView> networks() = 0;
  virtual std::optional<NetworkStatusView> network(uint64_t nwid) = 0;
  // Joins (when not joined yet) and applies `change`; *out is the network
  // afterwards. false + *err when refused.
  virtual bool join_network(uint64_t nwid, const NetworkSettingsChange& change,
                            NetworkStatusView* out, std::string* err) = 0;
  // false when not a member of `nwid`.
  virtual bool leave_network(uint64_t nwid) = 0;
};

}  // namespace flatnet::control
