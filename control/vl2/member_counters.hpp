// The member's counters: every frame or message it does not act on is a
// drop with a reason, and the things it does are counted (metric names
// "flatnet_vl2_<name>" through Member::metrics()). One list, X-macro'd, so
// a reason cannot be counted without being exported.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace flatnet::control::vl2 {

#define FLATNET_VL2_DROPS(X)                                                                  \
  X(unknown_network, "a VL2 message for a network we have not joined")                        \
  X(no_config, "a frame for a network without a config yet")                                   \
  X(malformed, "a VL2 payload that does not parse")                                           \
  X(oversize, "a frame longer than the network MTU")                                          \
  X(not_member, "a frame from a peer without a valid COM, not re-sent within 5 s")            \
  X(held_full, "a frame held for credentials when the hold queue was full")                   \
  X(rules, "a frame the rules dropped")                                                       \
  X(bad_source_mac, "a frame whose source MAC is not ours (or zero / multicast)")              \
  X(not_bridge, "a bridged frame from a peer that is not an active bridge")                   \
  X(bridging_not_allowed, "a frame for a bridged MAC while we are not an active bridge")      \
  X(no_bridge, "a frame to an unknown bridged MAC on a network without bridges")              \
  X(self_destination, "a frame addressed to ourselves from the tap")                          \
  X(multicast_disabled, "a multicast on a network whose multicastLimit is 0")                  \
  X(broadcast_disabled, "a broadcast on a network without the broadcast flag")                \
  X(no_recipients, "a multicast nobody subscribed to within 5 s")                             \
  X(config_bad_chunk, "a config chunk that does not parse, overlaps or is a duplicate")       \
  X(config_bad_signature, "a config chunk not signed by the network's controller")            \
  X(config_unknown_controller, "a config chunk before the controller's identity is known")    \
  X(config_bad_dictionary, "an assembled config that does not decode")                        \
  X(config_not_for_us, "a config for another network or another member")                     \
  X(not_from_controller, "a config or controller error from a peer that is not the controller") \
  X(credential_malformed, "a NETWORK_CREDENTIALS payload that does not parse")                 \
  X(credential_bad_signature, "a credential whose signature or signer is wrong")              \
  X(credential_need_identity, "a credential whose signer's identity is not known yet")        \
  X(credential_rejected, "a credential older than the one held or revoked")                   \
  X(credential_rate_limited, "NETWORK_CREDENTIALS within 1 s of the last from that peer")      \
  X(unexpected_reply, "an OK or ERROR the member does not use")                             \
  X(unwanted_not_member, "an ERROR(UNWANTED_MULTICAST) from a peer that fails the gate")

#define FLATNET_VL2_COUNTS(X)                                                   \
  X(config_requests, "NETWORK_CONFIG_REQUESTs sent")                            \
  X(configs_applied, "network configs accepted")                                \
  X(tx_frames, "unicast frames sent (FRAME or EXT_FRAME)")                      \
  X(rx_frames, "unicast frames delivered to the tap")                           \
  X(tx_multicast, "MULTICAST_FRAME copies sent")                                \
  X(rx_multicast, "multicast frames delivered to the tap")                      \
  X(rule_copies, "TEE / WATCH / REDIRECT copies sent")                          \
  X(credentials_pushed, "NETWORK_CREDENTIALS sent with our COM")                \
  X(credentials_requested, "ERROR(NEED_MEMBERSHIP_CERTIFICATE) sent")           \
  X(frames_held, "frames held while their sender's credentials were asked for") \
  X(revocations_applied, "revocations accepted")                                \
  X(revocations_forwarded, "fast-propagating revocations re-broadcast")         \
  X(gathers_sent, "MULTICAST_GATHERs sent")                                     \
  X(likes_sent, "MULTICAST_LIKE payloads sent")                                 \
  X(bridge_routes_learned, "MACs learned behind a bridge")                     \
  X(ndp_answered, "IPv6 neighbor solicitations answered locally (NDP emulation)") \
  X(multicast_to_replicator, "multicasts sent as one copy to a designated replicator") \
  X(multicast_replicated, "MULTICAST_FRAMEs re-sent to their group as a replicator") \
  X(unsubscribed, "subscribers removed by their ERROR(UNWANTED_MULTICAST)")

enum class Vl2Drop : uint8_t {
#define FLATNET_X(name, text) name,
  FLATNET_VL2_DROPS(FLATNET_X)
#undef FLATNET_X
      kCount
};
enum class Vl2Count : uint8_t {
#define FLATNET_X(name, text) name,
  FLATNET_VL2_COUNTS(FLATNET_X)
#undef FLATNET_X
      kCount
};

struct MemberCounters {
  std::array<uint64_t, size_t(Vl2Drop::kCount)> drops{};
  std::array<uint64_t, size_t(Vl2Count::kCount)> counts{};
  void drop(Vl2Drop d, uint64_t n = 1) { drops[size_t(d)] += n; }
  void count(Vl2Count c, uint64_t n = 1) { counts[size_t(c)] += n; }
  uint64_t dropped(Vl2Drop d) const { return drops[size_t(d)]; }
  uint64_t counted(Vl2Count c) const { return counts[size_t(c)]; }
};

}  // namespace flatnet::control::vl2
