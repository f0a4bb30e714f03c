// The kernel-socket backend's ingress limits (see ingress_limit.hpp).
#include "control/service/ingress_limit.hpp"

#include <algorithm>

#include "dataplane/wire/vl1.hpp"

namespace flatnet::control::service {

IngressLimiter::IngressLimiter(const IngressLimits& l)
    : limits_(l),
      source_(l.source_slots, l.source_pps ? std::max(1u, 1000 / l.source_pps) : 1, l.source_burst),
      global_(l.global_pps, l.global_burst),
      unknown_reserve_(uint32_t(uint64_t(std::max(1u, l.global_burst)) *
                                (100 - std::min(100u, l.unknown_share)) / 100)) {}

void IngressLimiter::table(const TableCommand& c) {
  if (c.op == TableOp::kPeerUpsert) {
    auto it = known_.find(c.address);
    if (it != known_.end()) it->second = c.path.remote;
    else if (known_.size() < limits_.known_capacity) known_.emplace(c.address, c.path.remote);
  } else if (c.op == TableOp::kPeerDelete) {
    known_.erase(c.address);
  }
}

bool IngressLimiter::known(const wire::InetAddress& from, std::span<const uint8_t> d) const {
  if (wire::classify(d.data(), d.size()) != wire::DatagramKind::kPacket) return false;
  auto it = known_.find(wire::packet_source(d.data()));
  return it != known_.end() && it->second == from;
}

bool IngressLimiter::admit(const wire::InetAddress& from, std::span<const uint8_t> d,
                           uint64_t now) {
  const bool is_known = known(from, d);
  if (!is_known && limits_.source_pps && !source_.allow(from, now)) {
    ++c_.drop_punt_source_limited;
    return false;
  }
  if (limits_.global_pps) {
    // Unknown sources must leave the reserve in the bucket; known peers
    // may take the last token.
    const bool ok = (is_known || global_.available_at(now, unknown_reserve_ + 1) == now) &&
                    global_.take(now);
    if (!ok) {
      ++c_.drop_punt_global_limited;
      return false;
    }
  }
  c_.punted_known += is_known;
  return true;
}

std::vector<std::pair<std::string, uint64_t>> IngressLimiter::named_counters() const {
  return {{"punted_known", c_.punted_known},
          {"drop_punt_source_limited", c_.drop_punt_source_limited},
          {"drop_punt_global_limited", c_.drop_punt_global_limited}};
}

}  // namespace flatnet::control::service
