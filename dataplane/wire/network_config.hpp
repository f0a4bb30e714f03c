// The network configuration a controller issues to one member (spec §10.3;
// stock NetworkConfig::toDictionary / fromDictionary), as a struct and as
// its dictionary. Saved verbatim as networks.d/<nwid>.conf.
//
// Encoding writes stock's keys in stock's order, so a config decoded from
// a stock controller re-encodes to the same bytes. Decoding accepts format
// version >= 6 only, and is stricter than stock where stock would read past
// a blob or keep a partial list: a malformed blob refuses the whole config.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dataplane/wire/capability.hpp"
#include "dataplane/wire/com.hpp"
#include "dataplane/wire/coo.hpp"
#include "dataplane/wire/dictionary.hpp"
#include "dataplane/wire/inet_address.hpp"
#include "dataplane/wire/rules.hpp"
#include "dataplane/wire/tag.hpp"

namespace flatnet::wire {

inline constexpr uint64_t kNetworkConfigVersion = 7;  // ZT_NETWORKCONFIG_VERSION
inline constexpr unsigned kDefaultMtu = 2800;
inline constexpr unsigned kMinMtu = 1280;
inline constexpr unsigned kMaxMtu = 10000;
inline constexpr size_t kMaxNetworkNameLength = 127;
inline constexpr size_t kNetworkMaxSpecialists = 256;
inline constexpr size_t kNetworkMaxRoutes = 128;
inline constexpr size_t kNetworkMaxStaticIps = 32;
inline constexpr size_t kMaxDnsServers = 4;
inline constexpr size_t kDnsDomainLength = 128;
inline constexpr uint64_t kDefaultCredentialTimeMaxDelta = 30 * 60 * 1000;

// "f" flags.
inline constexpr uint64_t kConfigFlagEnableBroadcast = 0x02;
inline constexpr uint64_t kConfigFlagNdpEmulation = 0x04;
inline constexpr uint64_t kConfigFlagUnsupportedMatchIsMatch = 0x08;
inline constexpr uint64_t kConfigFlagDisableCompression = 0x10;
// Specialist flags (high bits of each "S" entry; the low 40 are the address).
inline constexpr uint64_t kSpecialistActiveBridge = 0x0000020000000000ULL;
inline constexpr uint64_t kSpecialistAnchor = 0x0000040000000000ULL;
inline constexpr uint64_t kSpecialistMulticastReplicator = 0x0000080000000000ULL;

enum class NetworkType : uint8_t { kPrivate = 0, kPublic = 1 };

struct ManagedRoute {
  InetAddress target;  // port = prefix bits
  InetAddress via;     // null if none
  uint16_t flags = 0;
  uint16_t metric = 0;
  bool operator==(const ManagedRoute&) const = default;
};

struct DnsConfig {
  std::string domain;                // at most 127 bytes
  std::vector<InetAddress> servers;  // at most 4; null ones are not kept
  bool operator==(const DnsConfig&) const = default;
};

struct NetworkConfig {
  uint64_t network_id = 0;
  uint64_t timestamp = 0;
  uint64_t credential_time_max_delta = 0;
  uint64_t revision = 0;
  uint64_t issued_to = 0;
  uint64_t remote_trace_target = 0;
  uint64_t remote_trace_level = 0;
  uint64_t flags = 0;
  uint64_t multicast_limit = 0;
  NetworkType type = NetworkType::kPrivate;
  std::string name;
  unsigned mtu = kDefaultMtu;

  std::optional<CertificateOfMembership> com;
  std::vector<Capability> capabilities;  // sorted by id on decode, as stock
  std::vector<Tag> tags;                 // sorted by id on decode, as stock
  std::vector<CertificateOfOwnership> coos;
  std::vector<uint64_t> specialists;     // flags << 40 | address
  std::vector<ManagedRoute> routes;
  std::vector<InetAddress> static_ips;   // port = prefix bits
  std::vector<Rule> rules;
  DnsConfig dns;

  uint64_t sso_version = 0;
  bool sso_enabled = false;
  std::string authentication_url;        // SSO v0 and v1
  int64_t authentication_expiry_time = 0;  // SSO v0
  std::string issuer_url, central_endpoint_url, sso_nonce, sso_state, sso_client_id,
      sso_provider;                      // SSO v1

  bool broadcast_enabled() const { return (flags & kConfigFlagEnableBroadcast) != 0; }
  bool ndp_emulation() const { return (flags & kConfigFlagNdpEmulation) != 0; }
  bool is_public() const { return type == NetworkType::kPublic; }
  bool operator==(const NetworkConfig&) const = default;
};

enum class ConfigStatus : uint8_t {
  kOk = 0,
  kNoNetworkId,   // "nwid" absent or 0
  kNoIssuedTo,    // "id" absent or 0
  kOldFormat,     // "v" < 6 (pre-1.2 controllers)
  kBadCom,
  kBadCapability,
  kBadTag,
  kBadCoo,
  kBadSpecialists,
  kBadRoutes,
  kBadStaticIps,
  kBadRules,
  kBadDns,
  kTooMany,       // a list over its stock limit
  kTooLong,       // over the dictionary capacity
  kBadDictionary, // text is not a dictionary (NUL byte, too many entries)
};
const char* to_string(ConfigStatus s);

ConfigStatus network_config_from_dictionary(const Dictionary& d, NetworkConfig& out);
// Builds the dictionary stock's controller would send (keys in its order).
ConfigStatus network_config_to_dictionary(const NetworkConfig& c, Dictionary& out);

// Text helpers: dictionary text <-> config, as in networks.d/<nwid>.conf.
ConfigStatus decode_network_config(std::span<const uint8_t> text, NetworkConfig& out);
ConfigStatus encode_network_config(const NetworkConfig& c, std::vector<uint8_t>& out);

}  // namespace flatnet::wire
