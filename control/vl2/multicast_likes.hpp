// Which MULTICAST_LIKEs a member sends for one network (spec §9.1), I/O-free.
// The interface's groups come from control/port/subscriptions (sorted, no
// duplicates); the payload codec is control/core/verbs. As stock:
//   - every announce target (the controller, roots, and each peer allowed on
//     the network) gets all groups at most every 60 s
//     (ZT_MULTICAST_ANNOUNCE_PERIOD, Membership::multicastLikeGate);
//   - a newly subscribed group goes to every target at once.
// The groups are batched into payloads of at most `max_payload` bytes (a
// whole number of 18-byte records), so one LIKE never needs fragmenting.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

#include "control/core/verbs.hpp"

namespace flatnet::control::vl2 {

inline constexpr uint64_t kMulticastAnnouncePeriodMs = 60'000;  // ZT_MULTICAST_ANNOUNCE_PERIOD

// The payload room of one unfragmented packet on a path of `phys_mtu` bytes
// (UDP payload size): the packet header and verb take the first 28 bytes.
size_t like_payload_budget(size_t phys_mtu);

// MULTICAST_LIKE payloads for `groups` of network `nwid`, each holding as
// many records as fit in max_payload (at least one record per payload even
// if max_payload is smaller). Empty when there is no group.
std::vector<std::vector<uint8_t>> like_payloads(uint64_t nwid,
                                                std::span<const MulticastGroup> groups,
                                                size_t max_payload);

struct LikeSend {
  uint64_t peer;
  std::vector<std::vector<uint8_t>> payloads;
};

// The per-peer 60 s gate. Memory is bounded by the targets of the last
// tick(): peers that are no longer targets are forgotten.
class LikeAnnouncer {
 public:
  explicit LikeAnnouncer(uint64_t nwid, uint64_t period_ms = kMulticastAnnouncePeriodMs)
      : nwid_(nwid), period_ms_(period_ms) {}

  // The periodic check (stock runs it every 5 s): all groups to each target
  // whose last full announcement is at least one period old, or never sent.
  // `targets` = controller, roots and allowed peers, without duplicates.
  std::vector<LikeSend> tick(std::span<const MulticastGroup> groups,
                             std::span<const uint64_t> targets, uint64_t now, size_t max_payload);

  // Groups just subscribed (port::diff_groups().added): to every target
  // now; this does not move the periodic gate, as stock.
  std::vector<LikeSend> on_added(std::span<const MulticastGroup> added,
                                 std::span<const uint64_t> targets, size_t max_payload) const;

  // When tick() next has something to do for these targets (now if a
  // target was never announced to).
  uint64_t next_due(std::span<const uint64_t> targets, uint64_t now) const;

  size_t tracked() const { return last_.size(); }

 private:
  uint64_t nwid_;
  uint64_t period_ms_;
  std::unordered_map<uint64_t, uint64_t> last_;  // peer -> last full announcement
};

}  // namespace flatnet::control::vl2
