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

size_t IngressLimiter::PathHash::operator()(const wire::InetAddress& a) const {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a over family, port and address
  auto mix = [&h](uint8_t b) { h = (h ^ b) * 1099511628211ULL; };
  mix(uint8_t(a.family));
  mix(uint8_t(a.port >> 8));
  mix(uint8_t(a.port));
  for (uint8_t b : a.ip) mix(b);
  return size_t(h);
}

void IngressLimiter::table(const TableCommand& c) {
  auto unref = [this](const wire::InetAddress& path) {
    auto p = known_paths_.find(path);
    if (p != known_paths_.end() && --p->second == 0) known_paths_.erase(p);
  };
  if (c.op == TableOp::kPeerUpsert) {
    auto it = known_.find(c.address);
    if (it != known_.end()) {
      unref(it->second);
      it->second = c.path.remote;
      ++known_paths_[c.path.remote];
    } else if (known_.size() < limits_.known_capacity) {
      known_.emplace(c.address, c.path.remote);
      ++known_paths_[c.path.remote];
    }
  } else if (c.op == TableOp::kPeerDelete) {
    auto it = known_.find(c.address);
    if (it != known_.end()) {
      unref(it->second);
      known_.erase(it);
    }
  }
}

bool IngressLimiter::known(const wire::InetAddress& from, std::span<const uint8_t> d) const {
  switch (wire::classify(d.data(), d.size())) {
    case wire::DatagramKind::kPacket: {
      auto it = known_.find(wire::packet_source(d.data()));
      if (it != known_.end() && it->second == from) return true;
      // Relayed to us (hops > 0) from a known peer's path: a root passing
      // on a peer we have no direct path to yet. On a member that is the
      // whole of a relayed flow, and the root's address is as known as
      // the root.
      return wire::packet_hops(d.data()) > 0 && known_paths_.count(from) != 0;
    }
    case wire::DatagramKind::kFragment: return known_paths_.count(from) != 0;
    default: return false;
  }
}

bool IngressLimiter::admit(const wire::InetAddress& from, std::span<const uint8_t> d,
                           uint64_t now) {
  const bool is_known = known(from, d);
  if (!is_known && limits_.source_pps && !source_.allow(from, now)) {
    ++c_.drop_punt_source_limited;
    return false;
  }
  if (limits_.global_pps) {
    if (is_known) {
      global_.take(now);  // drains what unknown sources may use; never refuses
    } else if (!(global_.available_at(now, unknown_reserve_ + 1) == now && global_.take(now))) {
      // Unknown sources must leave the reserve in the bucket.
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
