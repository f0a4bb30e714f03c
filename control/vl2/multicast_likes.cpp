#include "control/vl2/multicast_likes.hpp"

#include <algorithm>

#include "dataplane/wire/bytes.hpp"
#include "dataplane/wire/vl1.hpp"

namespace flatnet::control::vl2 {

size_t like_payload_budget(size_t phys_mtu) {
  return phys_mtu > wire::kPacketHeaderLength ? phys_mtu - wire::kPacketHeaderLength : 0;
}

std::vector<std::vector<uint8_t>> like_payloads(uint64_t nwid,
                                                std::span<const MulticastGroup> groups,
                                                size_t max_payload) {
  std::vector<std::vector<uint8_t>> out;
  const size_t per = std::max<size_t>(1, max_payload / kMulticastLikeRecord);
  for (size_t i = 0; i < groups.size(); i += per) {
    MulticastLike like;
    const size_t end = std::min(groups.size(), i + per);
    like.entries.reserve(end - i);
    for (size_t j = i; j < end; ++j) like.entries.push_back(MulticastLikeEntry{nwid, groups[j]});
    std::vector<uint8_t> payload;
    payload.reserve((end - i) * kMulticastLikeRecord);
    wire::Writer w(payload);
    encode_multicast_like(like, w);
    out.push_back(std::move(payload));
  }
  return out;
}

std::vector<LikeSend> LikeAnnouncer::tick(std::span<const MulticastGroup> groups,
                                          std::span<const uint64_t> targets, uint64_t now,
                                          size_t max_payload) {
  std::vector<LikeSend> out;
  std::unordered_map<uint64_t, uint64_t> kept;
  kept.reserve(targets.size());
  std::vector<std::vector<uint8_t>> payloads;  // encoded once, copied per target
  bool encoded = false;
  for (uint64_t peer : targets) {
    auto it = last_.find(peer);
    const bool due = it == last_.end() || now - it->second >= period_ms_;
    if (!due) {
      kept.emplace(peer, it->second);
      continue;
    }
    kept[peer] = now;
    if (groups.empty()) continue;
    if (!encoded) {
      payloads = like_payloads(nwid_, groups, max_payload);
      encoded = true;
    }
    out.push_back(LikeSend{peer, payloads});
  }
  last_ = std::move(kept);
  return out;
}

std::vector<LikeSend> LikeAnnouncer::on_added(std::span<const MulticastGroup> added,
                                              std::span<const uint64_t> targets,
                                              size_t max_payload) const {
  std::vector<LikeSend> out;
  if (added.empty()) return out;
  const auto payloads = like_payloads(nwid_, added, max_payload);
  for (uint64_t peer : targets) out.push_back(LikeSend{peer, payloads});
  return out;
}

uint64_t LikeAnnouncer::next_due(std::span<const uint64_t> targets, uint64_t now) const {
  uint64_t next = UINT64_MAX;
  for (uint64_t peer : targets) {
    auto it = last_.find(peer);
    if (it == last_.end()) return now;
    next = std::min(next, it->second + period_ms_);
  }
  return next == UINT64_MAX ? next : std::max(next, now);
}

}  // namespace flatnet::control::vl2
