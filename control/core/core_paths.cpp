// Leaf paths (spec §8): keeping direct paths alive, choosing a live one,
// learning addresses a peer pushes (PUSH_DIRECT_PATHS), pushing ours, and
// the external ("surface") addresses our upstreams report in OK(HELLO).
//
// Timers are stock's: a heartbeat on every path not used for 14 s
// (ZT_PATH_HEARTBEAT_PERIOD; an ECHO, which the peer answers, so the
// answer refreshes the path); a path is alive while heard from within
// 19 s (heartbeat + 5 s); addresses are pushed every 120 s to peers we reach
// directly and every 15 s to peers we reach only through a root
// (ZT_DIRECT_PATH_PUSH_INTERVAL[_HAVEPATH]); at most 8 pushes are acted on
// per peer per 30 s and 8 addresses per scope and family per push
// (ZT_PUSH_DIRECT_PATHS_CUTOFF_*, _MAX_PER_SCOPE_AND_FAMILY).
#include <algorithm>

#include "control/core/core.hpp"
#include "control/core/ip_scope.hpp"

namespace flatnet::control {

namespace {
constexpr uint8_t kPushForgetPath = 0x01;       // ZT_PUSH_DIRECT_PATHS_FLAG_FORGET_PATH
constexpr uint8_t kPushClusterRedirect = 0x02;  // ZT_PUSH_DIRECT_PATHS_FLAG_CLUSTER_REDIRECT
constexpr size_t kMaxSurface = 4;
}  // namespace

// Stock ranks a peer's paths by Path::quality among those heard within
// 243 s and would keep sending on a dead one for that long; a leaf here
// looks at live paths first (a dead path then gives way to the root within
// 19 s), and among them the quality is latency x (8 - scope).
const Path* Core::preferred_path(const Peer& p, uint64_t now) const {
  if (am_root_) return p.best_path();
  if (const Path* q = p.quality_path(now, kPathAliveMs)) return q;
  if (const Path* q = p.quality_path(now, cfg_.limits.path_timeout_ms)) return q;
  return p.best_path();
}

const Path* Core::live_path(const Peer& p, uint64_t now) const {
  const Path* q = preferred_path(p, now);
  return q && q->alive(now) ? q : nullptr;
}

// Where a packet we originate for `p` goes: its live direct path, else the
// upstream heard from most recently (it relays on the destination address,
// hops 0 -> 1, as stock leaves do), else a stale direct path.
const Path* Core::route(const Peer& p, uint64_t now) const {
  if (const Path* live = live_path(p, now)) return live;
  const Peer* up = p.is_upstream() ? nullptr : freshest_upstream(0);
  const Path* via = up ? preferred_path(*up, now) : nullptr;
  return via ? via : preferred_path(p, now);
}

void Core::keep_paths_alive(uint64_t now, Actions& out) {
  if (am_root_) return;  // a root answers; its leaves keep their paths to it alive
  std::vector<std::pair<uint64_t, PhysicalPath>> todo;
  peers_.for_each([&](Peer& p) {
    if (!p.hello_done) return;
    for (const Path& q : p.paths)
      if (now >= q.last_send + kPathHeartbeatMs) todo.emplace_back(p.identity.address(), q.phys);
  });
  for (const auto& [addr, phys] : todo) {
    Peer* p = peers_.find(addr);
    if (!p) continue;
    PacketBuilder b(addr, address(), wire::Verb::kEcho, random_packet_id());
    if (uint64_t id = send(*p, b, phys, p->suite(), now, out)) {
      expect(id, wire::Verb::kEcho, phys);
      ++m_.heartbeats_sent;
    }
  }
}

void Core::learn_surface(const Peer& from, const wire::InetAddress& external) {
  // Only upstreams say where they see us (spec §8.6): a leaf could lie.
  if (!from.is_upstream() || !usable_for_paths(external)) return;
  if (std::find(surface_.begin(), surface_.end(), external) != surface_.end()) return;
  if (surface_.size() >= kMaxSurface) surface_.erase(surface_.begin());
  surface_.push_back(external);
  ++m_.surface_addresses_learned;
}

void Core::on_push_direct_paths(Peer& p, const PhysicalPath& from,
                                std::span<const uint8_t> payload, uint64_t now, Actions& out) {
  PushDirectPaths pd;
  if (decode_push_direct_paths(payload, pd) != DecodeStatus::kOk) {
    count(Drop::malformed);
    return;
  }
  // A root reaches its leaves where their HELLOs come from.
  if (am_root_) return;
  if (now >= p.push_window_start + kPushCutoffMs) {
    p.push_window_start = now;
    p.pushes_in_window = 0;
  }
  if (++p.pushes_in_window > kPushCutoffLimit) {
    ++m_.push_direct_paths_limited;
    return;
  }
  ++m_.push_direct_paths_received;
  uint8_t per_scope[8][2] = {};
  for (const PushedPath& pp : pd.paths) {
    const wire::InetAddress& a = pp.address;
    if (pp.flags & (kPushForgetPath | kPushClusterRedirect)) continue;
    if (!usable_for_paths(a)) continue;
    const bool known = std::any_of(p.paths.begin(), p.paths.end(), [&](const Path& q) {
      return q.phys.remote == a && q.alive(now);
    });
    if (known) continue;
    const unsigned scope = unsigned(ip_scope(a)) & 7;
    const unsigned fam = a.family == wire::InetAddress::Family::kV6 ? 1 : 0;
    if (++per_scope[scope][fam] > kPushMaxPerScopeAndFamily) continue;
    if (send_hello(p.identity.address(), PhysicalPath{from.local_socket, a}, now, out))
      ++m_.push_direct_paths_tried;
  }
}

void Core::push_direct_paths(uint64_t now, Actions& out) {
  if (am_root_) return;
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
    const uint64_t every = live_path(p, now) ? kPushIntervalHavePathMs : kPushIntervalMs;
    if (p.last_push_sent != 0 && now < p.last_push_sent + every) return;
    due.push_back(p.identity.address());
  });
  for (uint64_t addr : due) {
    Peer* p = peers_.find(addr);
    if (!p) continue;
    const Path* path = route(*p, now);
    if (!path) continue;
    PacketBuilder b(addr, address(), wire::Verb::kPushDirectPaths, random_packet_id());
    encode_push_direct_paths(pd, b.payload());
    if (send(*p, b, path->phys, p->suite(), now, out)) {
      p->last_push_sent = now;
      ++m_.push_direct_paths_sent;
    }
  }
}

}  // namespace flatnet::control
