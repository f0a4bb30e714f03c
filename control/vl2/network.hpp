// One joined network's state inside the member: status, the config and its
// reassembly, the per-peer memberships, bridge routes, multicast state and
// the frames held while a sender's credentials are asked for. Plain data:
// the member (member*.cpp) is its one writer.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <random>
#include <unordered_map>
#include <vector>

#include "control/core/verbs.hpp"
#include "control/vl2/member_types.hpp"
#include "control/vl2/membership.hpp"
#include "control/vl2/multicast_likes.hpp"
#include "control/vl2/multicast_select.hpp"
#include "dataplane/wire/config_chunk.hpp"
#include "dataplane/wire/network_config.hpp"

namespace flatnet::control::vl2 {

// Stock's timers (node/Constants.hpp) and our bounds.
inline constexpr uint64_t kConfigCheckMs = 5'000;         // ZT_PING_CHECK_INTERVAL
inline constexpr uint64_t kConfigRefreshMs = 60'000;      // ZT_NETWORK_AUTOCONF_DELAY
inline constexpr uint64_t kHoldMs = 5'000;                // ZT_RECEIVE_QUEUE_TIMEOUT
inline constexpr size_t kMaxHeld = 64;                    // frames held per network
inline constexpr size_t kMaxMemberships = 65'536;         // peer records per network
inline constexpr size_t kMaxBridgeRoutes = 4'096;         // learned MACs per network
inline constexpr size_t kMaxPendingMulticasts = 64;       // multicasts waiting for gathers
inline constexpr size_t kMaxBridgeSpam = 32;              // ZT_MAX_BRIDGE_SPAM
// Others' subscriptions we keep (anyone may answer a gather, so bounded
// well below what memory allows: 512 x 1,024 entries is a few tens of MB).
inline constexpr size_t kMaxGroups = 512;
inline constexpr size_t kMaxSubscribersPerGroup = 1024;

enum class Failure : uint8_t { kNone, kAccessDenied, kNotFound, kAuthenticationRequired };

// A frame whose sender failed the gate, kept for kHoldMs in case its
// credentials arrive (stock's RX queue retry).
struct HeldFrame {
  uint64_t peer = 0;
  wire::Verb verb = wire::Verb::kNop;
  uint64_t packet_id = 0;
  uint64_t expires = 0;
  std::vector<uint8_t> payload;
};

// A multicast sent while subscribers were still being gathered: copies go
// to newly learned subscribers until `limit` or kMulticastTransmitTimeoutMs.
struct PendingMulticast {
  MulticastGroup group;
  uint64_t source_mac = 0;  // 0: ours
  uint64_t origin = 0;      // a replicated frame's sender: never sent a copy
  uint16_t ethertype = 0;
  std::vector<uint8_t> data;
  uint32_t gather_limit = 0;
  size_t limit = 0;
  uint64_t expires = 0;
  std::vector<uint64_t> sent;
};

struct Network {
  Network(uint64_t id, uint64_t mac_)
      : nwid(id), mac(mac_), assembler(id), likes(id), subscriptions(kMaxGroups, kMaxSubscribersPerGroup),
        recent(256, kMulticastLikeExpireMs) {}

  uint64_t nwid;
  uint64_t mac;  // ours on this network (§5.2)
  LocalSettings settings;
  Failure failure = Failure::kNone;
  bool port_error = false;  // set by the host (tap trouble)

  std::optional<wire::NetworkConfig> config;
  std::vector<uint8_t> config_bytes;
  uint64_t config_received_at = 0;
  uint64_t last_config_update = 0;  // stock's _lastConfigUpdate: 0 after restore
  uint64_t next_check = 0;          // next 5 s check (config request, LIKEs)
  wire::ConfigAssembler assembler;

  // Derived from the config when it is applied.
  std::vector<::flatnet::vl2::TagValue> local_tags;
  std::vector<std::span<const wire::Rule>> local_capabilities;
  std::vector<uint64_t> bridges;  // active bridges, config order
  bool we_are_bridge = false;

  std::unordered_map<uint64_t, Membership> members;
  std::unordered_map<uint64_t, uint64_t> bridge_routes;  // MAC -> bridge address
  std::deque<HeldFrame> held;

  std::vector<MulticastGroup> tap_groups;  // as the host last gave them
  std::vector<MulticastGroup> groups;      // ours, sorted (tap + broadcast)
  std::vector<MulticastGroup> unannounced; // new in `groups`, LIKE not sent yet
  LikeAnnouncer likes;
  Subscriptions subscriptions;
  RecentPeers recent;
  std::deque<PendingMulticast> pending;
};

}  // namespace flatnet::control::vl2
