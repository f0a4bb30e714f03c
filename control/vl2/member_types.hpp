// The values the member hands its host (control/service/member_host): a
// network's status and settings, what /network shows, tap frames and
// events. Declared apart from member.hpp so network.hpp can use them.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "dataplane/wire/network_config.hpp"

namespace flatnet::control::vl2 {

enum class NetworkStatus : uint8_t {
  kRequestingConfiguration,
  kOk,
  kAccessDenied,
  kNotFound,
  kPortError,
  kClientTooOld,
  kAuthenticationRequired
};
// Stock's strings: "REQUESTING_CONFIGURATION", "OK", "ACCESS_DENIED", ...
const char* to_string(NetworkStatus);

// The <nwid>.local.conf keys, with stock's defaults.
struct LocalSettings {
  bool allow_managed = true, allow_global = false, allow_default = false, allow_dns = false;
  // flatnet's own, for a gateway bridging this network (docs/gateway.md
  // "Loops"): drop frames that loop through a second bridge of the LAN.
  // Only "loopGuard=0" in <nwid>.local.conf turns it off.
  bool loop_guard = true;
  bool operator==(const LocalSettings&) const = default;
};

struct NetworkInfo {  // what /network and listnetworks show
  uint64_t nwid = 0;
  NetworkStatus status = NetworkStatus::kRequestingConfiguration;
  uint64_t mac = 0;
  LocalSettings settings;
  std::optional<wire::NetworkConfig> config;  // last verified config
  std::vector<uint8_t> config_bytes;          // its dictionary, for networks.d/<nwid>.conf
  uint64_t config_received_at = 0;            // `now` clock
};

struct TapFrame {  // one whole Ethernet frame for the network's tap
  uint64_t nwid = 0;
  std::vector<uint8_t> frame;
};

struct MemberEvent {
  enum class Kind : uint8_t { kConfig, kStatus };
  Kind kind;
  uint64_t nwid;
};

struct MemberOutput {
  std::vector<TapFrame> to_tap;
  std::vector<MemberEvent> events;
};

}  // namespace flatnet::control::vl2
