// The leaf role. See leaf_role.hpp.
//
// Path timers are stock's: a heartbeat on every path not used for 14 s
// (ZT_PATH_HEARTBEAT_PERIOD; an ECHO, which the peer answers, so the answer
// refreshes the path); a path is alive while heard from within 19 s
// (heartbeat + 5 s); addresses are pushed every 120 s to peers we reach
// directly and every 15 s to peers we reach only through a root
// (ZT_DIRECT_PATH_PUSH_INTERVAL[_HAVEPATH]); at most 8 pushes are acted on
// per peer per 30 s and 8 addresses per scope and family per push
// (ZT_PUSH_DIRECT_PATHS_CUTOFF_*, _MAX_PER_SCOPE_AND_FAMILY).
#include "control/core/leaf_role.hpp"

#include <algorithm>

#include "control/core/ip_scope.hpp"

namespace flatnet::control {

namespace {
constexpr size_t kMaxSurface = 4;
}  // namespace

LeafRole::LeafRole(const Config& cfg, Peers& peers, Sender& sender, Metrics& m, uint64_t now)
    : cfg_(cfg), peers_(peers), sender_(sender), m_(m) {
  timers_.arm(Timer::kPathCheck, now + timers::kPathCheckMs);
}

// A leaf asks its roots who the sender is and holds the packet until the
// answer (at most kHeldMs, kHeldMax packets), as stock does.
void LeafRole::unknown_sender(const PhysicalPath& from, std::vector<uint8_t>& packet,
                              uint64_t now, Actions& out) {
  if (held_.size() >= timers::kHeldMax) {
    held_.pop_front();
    ++m_.drops[size_t(Drop::unknown_sender)];
  }
  const uint64_t source = wire::packet_source(packet.data());
  held_.push_back(HeldPacket{source, from, std::move(packet), now});
  ++m_.held_for_whois;
  sender_.ask_upstream(source, 0, now, out);
}

std::vector<HeldPacket> LeafRole::release(uint64_t source) {
  std::vector<HeldPacket> mine;
  for (auto it = held_.begin(); it != held_.end();) {
    if (it->source == source) {
      mine.push_back(std::move(*it));
      it = held_.erase(it);
    } else {
      ++it;
    }
  }
  m_.held_released += mine.size();
  return mine;
}

void LeafRole::external_address(const Peer& from, const wire::InetAddress& external) {
  // Only upstreams say where they see us (spec §8.6): a leaf could lie.
  if (!from.is_upstream() || !usable_for_paths(external)) return;
  if (std::find(surface_.begin(), surface_.end(), external) != surface_.end()) return;
  if (surface_.size() >= kMaxSurface) surface_.erase(surface_.begin());
  surface_.push_back(external);
  ++m_.surface_addresses_learned;
}

void LeafRole::push_direct_paths(Peer& p, const PhysicalPath& from, const PushDirectPaths& pd,
                                 uint64_t now, Actions& out) {
  if (now >= p.push_window_start + timers::kPushCutoffMs) {
    p.push_window_start = now;
    p.pushes_in_window = 0;
  }
  if (++p.pushes_in_window > timers::kPushCutoffLimit) {
    ++m_.push_direct_paths_limited;
    return;
  }
  ++m_.push_direct_paths_received;
  uint8_t per_scope[8][2] = {};
  for (const PushedPath& pp : pd.paths) {
    const wire::InetAddress& a = pp.address;
    if (pp.flags & (kPushFlagForget | kPushFlagClusterRedirect)) continue;
    if (!usable_for_paths(a)) continue;
    const bool known = std::any_of(p.paths.begin(), p.paths.end(), [&](const Path& q) {
      return q.phys.remote == a && q.alive(now);
    });
    if (known) continue;
    const unsigned scope = unsigned(ip_scope(a)) & 7;
    const unsigned fam = a.family == wire::InetAddress::Family::kV6 ? 1 : 0;
    if (++per_scope[scope][fam] > timers::kPushMaxPerScopeAndFamily) continue;
    if (sender_.hello(p.identity.address(), PhysicalPath{from.local_socket, a}, now, out))
      ++m_.push_direct_paths_tried;
  }
}

// Direct paths to other leaves die without traffic (path_timeout_ms): a
// HELLO per path keeps them, and its OK refreshes them.
void LeafRole::upkeep(uint64_t now, Actions& out) {
  std::vector<std::pair<uint64_t, PhysicalPath>> todo;
  peers_.for_each([&](Peer& p) {
    if (p.is_upstream() || !p.hello_done) return;
    for (const Path& q : p.paths) todo.emplace_back(p.identity.address(), q.phys);
  });
  for (auto& [a, phys] : todo) sender_.hello(a, phys, now, out);
}

void LeafRole::run(uint64_t now, Actions& out) {
  while (!held_.empty() && now >= held_.front().at + timers::kHeldMs) {
    held_.pop_front();
    ++m_.drops[size_t(Drop::unknown_sender)];
  }
  if (timers_.due(Timer::kPathCheck, now)) {
    timers_.arm(Timer::kPathCheck, now + timers::kPathCheckMs);
    keep_paths_alive(now, out);
    push_our_paths(now, out);
  }
}

uint64_t LeafRole::next_deadline() const {
  uint64_t t = timers_.next();
  if (!held_.empty()) t = std::min(t, held_.front().at + timers::kHeldMs);
  return t;
}

void LeafRole::keep_paths_alive(uint64_t now, Actions& out) {
  std::vector<std::pair<uint64_t, PhysicalPath>> todo;
  peers_.for_each([&](Peer& p) {
    if (!p.hello_done) return;
    for (const Path& q : p.paths)
      if (now >= q.last_send + timers::kPathHeartbeatMs)
        todo.emplace_back(p.identity.address(), q.phys);
  });
  for (const auto& [addr, phys] : todo) {
    Peer* p = peers_.find(addr);
    if (p && sender_.echo_on(*p, phys, now, out)) ++m_.heartbeats_sent;
  }
}

void LeafRole::push_our_paths(uint64_t now, Actions& out) {
  PushDirectPaths pd;
  for (const wire::InetAddress& a : cfg_.direct_addresses)
    if (usable_for_paths(a)) pd.paths.push_back(PushedPath{0, a});
  for (const wire::InetAddress& a : surface_)
    if (std::find_if(pd.paths.begin(), pd.paths.end(),
                     [&](const PushedPath& x) { return x.address == a; }) == pd.paths.end())
      pd.paths.push_back(PushedPath{0, a});
  if (pd.paths.empty()) return;
  std::vector<uint64_t> due;
  peers_.for_each([&](Peer& p) {
    if (p.is_upstream() || !p.hello_done) return;
    const uint64_t every = peers_.live_path(p, now) ? timers::kPushIntervalHavePathMs
                                                    : timers::kPushIntervalMs;
    if (p.last_push_sent != 0 && now < p.last_push_sent + every) return;
    due.push_back(p.identity.address());
  });
  for (uint64_t addr : due) {
    Peer* p = peers_.find(addr);
    const Path* path = p ? peers_.route(*p, now) : nullptr;
    if (!path) continue;
    const PhysicalPath via = path->phys;
    PacketBuilder b(addr, cfg_.identity.address(), wire::Verb::kPushDirectPaths,
                    random_packet_id());
    encode_push_direct_paths(pd, b.payload());
    if (sender_.send(*p, b, via, now, out)) {
      p->last_push_sent = now;
      ++m_.push_direct_paths_sent;
    }
  }
}

}  // namespace flatnet::control
