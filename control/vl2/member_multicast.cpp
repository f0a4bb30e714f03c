// Multicast and broadcast (spec §9): our groups announced with
// MULTICAST_LIKE, subscribers learned from LIKEs and gather results,
// MULTICAST_GATHER when too few are known, and MULTICAST_FRAME copies to at
// most multicastLimit recipients in multicast_select's order (bridges,
// recent peers, random rest). ARP requests use their ADI-scoped group.
#include <algorithm>

#include "control/port/addressing.hpp"
#include "control/vl2/frame_codec.hpp"
#include "control/vl2/member.hpp"
#include "control/vl2/ndp_emulation.hpp"
#include "crypto/identity.hpp"

namespace flatnet::control::vl2 {

namespace fv = ::flatnet::vl2;

namespace {

constexpr uint64_t kBroadcastMac = 0xffffffffffffULL;
// Stock's ZT_DEFAULT_PHYSMTU: LIKEs fit one unfragmented packet on it.
constexpr size_t kLikePhysMtu = 1432;
// Stock sends explicit gathers to at most this many targets.
constexpr size_t kMaxGatherTargets = 16;
// Stock starts its replicator search at this latency, so a replicator whose
// path has no measured round trip yet (0xffff) is never picked.
constexpr uint32_t kUnmeasuredLatency = 0xffff;

bool is_replicator(const wire::NetworkConfig& k, uint64_t address) {
  return std::any_of(k.specialists.begin(), k.specialists.end(), [&](uint64_t s) {
    return (s & wire::kSpecialistMulticastReplicator) && (s & wire::kAddressMask) == address;
  });
}

// The group a frame to `dest` goes to: an IPv4 ARP request is scoped to
// the address it asks for (§5.3); anything else uses ADI 0.
MulticastGroup group_for(const fv::FrameView& f, uint64_t dest) {
  MulticastGroup g{dest, 0};
  const auto& p = f.payload;
  if (dest == kBroadcastMac && f.ethertype == fv::kEthertypeArp && p.size() >= 28 &&
      p[2] == 0x08 && p[3] == 0x00 && p[4] == 6 && p[5] == 4 && p[7] == 1)
    g.adi = (uint32_t(p[24]) << 24) | (uint32_t(p[25]) << 16) | (uint32_t(p[26]) << 8) | p[27];
  return g;
}

}  // namespace

std::vector<uint64_t> Member::like_targets(Network& n, uint64_t now) const {
  (void)now;
  std::vector<uint64_t> t;
  auto add = [&](uint64_t a) {
    if (a && a != self() && std::find(t.begin(), t.end(), a) == t.end()) t.push_back(a);
  };
  if (!n.config) return t;
  const uint64_t ctrl = wire::controller_of(n.nwid);
  if ((n.nwid >> 56) != 0xff) add(ctrl);
  for (uint64_t u : vl1_.upstreams()) add(u);
  for (uint64_t s : n.config->specialists)
    if (s & (wire::kSpecialistAnchor | wire::kSpecialistMulticastReplicator)) add(s & 0xffffffffffULL);
  for (const auto& [peer, m] : n.members)
    if (gate(n, peer, vl1_.identity_of(peer))) add(peer);
  return t;
}

void Member::announce(Network& n, Ctx& c) {
  if (!n.config || n.groups.empty()) return;
  const auto targets = like_targets(n, c.now);
  for (const LikeSend& s :
       n.likes.tick(n.groups, targets, c.now, like_payload_budget(kLikePhysMtu))) {
    for (const auto& p : s.payloads) {
      send(s.peer, wire::Verb::kMulticastLike, p, c);
      counters_.count(Vl2Count::likes_sent);
    }
  }
}

namespace {
bool group_less(const MulticastGroup& a, const MulticastGroup& b) {
  return a.mac != b.mac ? a.mac < b.mac : a.adi < b.adi;
}
}  // namespace

void Member::update_groups(Network& n) {
  std::vector<MulticastGroup> all = n.tap_groups;
  if (n.config && n.config->broadcast_enabled() &&
      !std::binary_search(all.begin(), all.end(), MulticastGroup{kBroadcastMac, 0}, group_less)) {
    all.push_back({kBroadcastMac, 0});
    std::sort(all.begin(), all.end(), group_less);
  }
  for (const auto& g : all)
    if (!std::binary_search(n.groups.begin(), n.groups.end(), g, group_less) &&
        std::find(n.unannounced.begin(), n.unannounced.end(), g) == n.unannounced.end())
      n.unannounced.push_back(g);
  n.groups = std::move(all);
}

void Member::announce_added(Network& n, Ctx& c) {
  if (n.unannounced.empty() || !n.config) return;
  // Only groups still ours (one may have come and gone before a config).
  std::erase_if(n.unannounced, [&](const MulticastGroup& g) {
    return !std::binary_search(n.groups.begin(), n.groups.end(), g, group_less);
  });
  for (const LikeSend& s :
       n.likes.on_added(n.unannounced, like_targets(n, c.now), like_payload_budget(kLikePhysMtu))) {
    for (const auto& p : s.payloads) {
      send(s.peer, wire::Verb::kMulticastLike, p, c);
      counters_.count(Vl2Count::likes_sent);
    }
  }
  n.unannounced.clear();
}

void Member::set_subscriptions(uint64_t nwid, std::vector<MulticastGroup> groups, uint64_t now,
                               Actions& out) {
  Network* n = find(nwid);
  if (!n) return;
  std::sort(groups.begin(), groups.end(), group_less);
  groups.erase(std::unique(groups.begin(), groups.end()), groups.end());
  n->tap_groups = std::move(groups);
  update_groups(*n);
  Ctx c{now, out};
  announce_added(*n, c);
}

void Member::send_multicast_copy(Network& n, uint64_t to, const PendingMulticast& m, Ctx& c) {
  push_credentials_if_needed(n, to, c);
  send(to, wire::Verb::kMulticastFrame,
       encode_multicast_frame(n.nwid, m.gather_limit, m.source_mac, m.group, m.ethertype, m.data),
       c);
  counters_.count(Vl2Count::tx_multicast);
}

// MULTICAST_GATHER for `g` to a root, the controller and the network's
// anchors / multicast replicators (stock's explicit gather targets).
void Member::send_gather(Network& n, const MulticastGroup& g, uint32_t limit, Ctx& c) {
  const wire::NetworkConfig& k = *n.config;
  MulticastGather q;
  q.network_id = n.nwid;
  q.group = g;
  q.limit = limit;
  if (k.com && wire::encode_com(*k.com, q.com)) q.flags = kGatherFlagCom;
  std::vector<uint8_t> payload;
  wire::Writer w(payload);
  encode_multicast_gather(q, w);
  std::vector<uint64_t> targets;
  if (!vl1_.upstreams().empty()) targets.push_back(vl1_.upstreams().front());
  if ((n.nwid >> 56) != 0xff) targets.push_back(wire::controller_of(n.nwid));
  for (uint64_t s : k.specialists)
    if (s & (wire::kSpecialistAnchor | wire::kSpecialistMulticastReplicator))
      targets.push_back(s & 0xffffffffffULL);
  std::sort(targets.begin(), targets.end());
  targets.erase(std::unique(targets.begin(), targets.end()), targets.end());
  size_t sent = 0;
  for (uint64_t t : targets) {
    if (t == self() || sent >= kMaxGatherTargets) continue;
    send(t, wire::Verb::kMulticastGather, payload, c);
    counters_.count(Vl2Count::gathers_sent);
    ++sent;
  }
}

bool Member::gather(uint64_t nwid, const MulticastGroup& g, uint64_t now, Actions& out) {
  Network* n = find(nwid);
  if (!n || !n->config || n->config->multicast_limit == 0) return false;
  Ctx c{now, out};
  send_gather(*n, g, uint32_t(n->config->multicast_limit), c);
  return true;
}

void Member::multicast_from_tap(Network& n, const fv::FrameView& f, uint64_t src_mac, Ctx& c) {
  const wire::NetworkConfig& k = *n.config;
  // NDP emulation answers locally, even where multicast is off (stock).
  if (auto na = ndp_answer(k, self(), n.mac, f)) {
    pending_.to_tap.push_back({n.nwid, std::move(*na)});
    counters_.count(Vl2Count::ndp_answered);
    return;
  }
  const size_t limit = k.multicast_limit;
  if (limit == 0) return counters_.drop(Vl2Drop::multicast_disabled);
  const uint64_t dest = port::mac_from_bytes(f.dest.data());
  const MulticastGroup g = group_for(f, dest);
  if (dest == kBroadcastMac && g.adi == 0 && !k.broadcast_enabled())
    return counters_.drop(Vl2Drop::broadcast_disabled);
  // Stock filters a multicast once, before its recipients are known.
  const fv::FilterResult r = filter(n, fv::Direction::kOutbound, 0, f);
  if (r.verdict == fv::Verdict::kDrop) return counters_.drop(Vl2Drop::rules);
  send_rule_copies(n, r, false, dest, src_mac, f.ethertype, f.payload, c);
  if (r.verdict == fv::Verdict::kRedirect) return;

  if (send_to_replicator(n, g, src_mac, f.ethertype, f.payload, c)) return;
  send_multicast(n, g, src_mac == n.mac ? 0 : src_mac, f.ethertype, f.payload, 0, c);
}

// Stock 1.14.1's Multicaster::send, step 1 (spec §9.2): on a network with
// designated multicast replicators, a member that is neither one of them
// nor an active bridge sends a single copy, flagged "please replicate" and
// carrying its source MAC, to the replicator whose direct path has the
// lowest measured latency among those heard from lately. Without such a
// replicator it replicates itself, as below.
bool Member::send_to_replicator(Network& n, const MulticastGroup& g, uint64_t src_mac,
                                uint16_t ethertype, std::span<const uint8_t> data, Ctx& c) {
  if (n.we_are_bridge) return false;
  uint64_t best = 0;
  uint32_t best_latency = kUnmeasuredLatency;
  for (uint64_t s : n.config->specialists) {
    if (!(s & wire::kSpecialistMulticastReplicator)) continue;
    const uint64_t a = s & wire::kAddressMask;
    if (a == self()) return false;  // a replicator replicates its own
    const std::optional<uint32_t> l = vl1_.direct_latency(a, c.now);
    if (l && *l < best_latency) {
      best = a;
      best_latency = *l;
    }
  }
  if (!best) return false;
  push_credentials_if_needed(n, best, c);
  send(best, wire::Verb::kMulticastFrame,
       encode_multicast_frame(n.nwid, 0, src_mac, g, ethertype, data, true), c);
  counters_.count(Vl2Count::tx_multicast);
  counters_.count(Vl2Count::multicast_to_replicator);
  return true;
}

// Sender-side replication (spec §9.2 steps 2-4): copies in select_recipients
// order, an explicit gather when too few subscribers are known, and the
// multicast kept 5 s for the answers. `origin` (a replicated frame's
// sender) gets no copy.
void Member::send_multicast(Network& n, const MulticastGroup& g, uint64_t source_mac,
                            uint16_t ethertype, std::span<const uint8_t> data, uint64_t origin,
                            Ctx& c) {
  const wire::NetworkConfig& k = *n.config;
  const size_t limit = k.multicast_limit;
  const GatherPlan plan = n.subscriptions.plan_gather(g, limit, c.now);
  if (plan.explicit_gather) send_gather(n, g, plan.gather_limit, c);

  PendingMulticast m;
  m.group = g;
  m.source_mac = source_mac;
  m.origin = origin;
  m.ethertype = ethertype;
  m.data.assign(data.begin(), data.end());
  m.gather_limit = plan.gather_limit;
  m.limit = limit;
  m.expires = c.now + kMulticastTransmitTimeoutMs;
  SelectInput in;
  in.limit = limit;
  in.self = self();
  in.origin = origin;
  in.now = c.now;
  in.bridges = n.bridges;
  in.group = n.subscriptions.find(g);
  in.recent = &n.recent;
  for (uint64_t to : select_recipients(in, rng_)) {
    send_multicast_copy(n, to, m, c);
    m.sent.push_back(to);
  }
  // Too few known: later gather answers get copies until the limit or 5 s
  // (stock queues the multicast whenever it knew fewer than the limit).
  if (m.sent.size() < limit && n.subscriptions.known(g) < limit) {
    if (n.pending.size() >= kMaxPendingMulticasts) {
      if (n.pending.front().sent.empty()) counters_.drop(Vl2Drop::no_recipients);
      n.pending.pop_front();
    }
    n.pending.push_back(std::move(m));
  } else if (m.sent.empty()) {
    counters_.drop(Vl2Drop::no_recipients);
  }
}

void Member::expire_multicast(Network& n, uint64_t now) {
  while (!n.pending.empty() && n.pending.front().expires <= now) {
    if (n.pending.front().sent.empty()) counters_.drop(Vl2Drop::no_recipients);
    n.pending.pop_front();
  }
}

void Member::on_gather_result(const Vl2Packet& pk, Ctx& c) {
  GatherResult res;
  const bool ok = pk.in_re_verb == wire::Verb::kMulticastGather
                      ? decode_ok_gather(pk.payload, res)
                      : decode_ok_multicast_frame(pk.payload, res);
  if (!ok) return counters_.drop(Vl2Drop::malformed);
  Network* n = find(res.nwid);
  if (!n) return counters_.drop(Vl2Drop::unknown_network);
  for (uint64_t a : res.members) n->subscriptions.add(res.group, a, self(), c.now);
  for (PendingMulticast& m : n->pending) {
    if (!(m.group == res.group)) continue;
    for (uint64_t a : res.members) {
      if (m.sent.size() >= m.limit) break;
      if (a == self() || a == m.origin ||
          std::find(m.sent.begin(), m.sent.end(), a) != m.sent.end())
        continue;
      send_multicast_copy(*n, a, m, c);
      m.sent.push_back(a);
    }
  }
}

void Member::on_multicast_like(const Vl2Packet& pk, Ctx& c) {
  MulticastLike like;
  if (decode_multicast_like(pk.payload, like) != DecodeStatus::kOk)
    return counters_.drop(Vl2Drop::malformed);
  for (const auto& e : like.entries) {
    Network* n = find(e.network_id);
    if (!n || !gate(*n, pk.source, pk.identity)) continue;
    n->subscriptions.add(e.group, pk.source, self(), c.now);
  }
}

// ERROR(UNWANTED_MULTICAST): the sender no longer wants the group, so it is
// forgotten as a subscriber if it passes the gate (stock's _doERROR). Stock
// 1.14.1 never sends this error (nothing in node/ builds it), so neither
// does flatnet: a member that leaves a group just stops announcing it and
// others expire it after 600 s.
void Member::on_unwanted_multicast(const Vl2Packet& pk, Ctx& c) {
  (void)c;
  wire::Reader r(pk.payload);
  const uint64_t nwid = r.u64();
  MulticastGroup g;
  for (int i = 0; i < 6; ++i) g.mac = (g.mac << 8) | r.u8();
  g.adi = r.u32();
  if (!r.ok()) return counters_.drop(Vl2Drop::malformed);
  Network* n = find(nwid);
  if (!n) return counters_.drop(Vl2Drop::unknown_network);
  if (!gate(*n, pk.source, pk.identity)) return counters_.drop(Vl2Drop::unwanted_not_member);
  if (n->subscriptions.remove(g, pk.source)) counters_.count(Vl2Count::unsubscribed);
}

void Member::on_multicast_frame(const Vl2Packet& pk, Ctx& c) {
  MulticastFrameMsg m;
  if (!decode_multicast_frame(pk.payload, m)) return counters_.drop(Vl2Drop::malformed);
  Network* n = find(m.nwid);
  if (!n) return counters_.drop(Vl2Drop::unknown_network);
  if (!n->config) return counters_.drop(Vl2Drop::no_config);
  if (m.com) add_com(*n, *m.com, c);  // the deprecated inline COM still counts
  if (!pass_gate(*n, pk, c)) return hold(*n, pk, c);
  if (n->config->multicast_limit == 0) return counters_.drop(Vl2Drop::multicast_disabled);
  if (!(port::mac_bytes(m.group.mac)[0] & 1)) return counters_.drop(Vl2Drop::malformed);
  if (m.payload.size() > n->config->mtu) return counters_.drop(Vl2Drop::oversize);
  const uint64_t theirs = port::member_mac(pk.source, m.nwid);
  const uint64_t src = m.source ? m.source : theirs;
  if (src == 0 || (port::mac_bytes(src)[0] & 1) || src == n->mac)
    return counters_.drop(Vl2Drop::bad_source_mac);
  // A designated replicator re-sends a flagged frame to the group before
  // its own checks below, the sender excluded (stock's _doMULTICAST_FRAME):
  // no outbound rules, the sender's MAC kept as the source.
  if ((m.flags & kMcFlagReplicate) && is_replicator(*n->config, self())) {
    send_multicast(*n, m.group, src, m.ethertype, m.payload, pk.source, c);
    counters_.count(Vl2Count::multicast_replicated);
  }
  if (src != theirs) {
    if (std::find(n->bridges.begin(), n->bridges.end(), pk.source) == n->bridges.end())
      return counters_.drop(Vl2Drop::not_bridge);
    learn_bridge_route(*n, src, pk.source);
  }
  if (!deliver(*n, pk.source, m.group.mac, src, m.ethertype, m.payload, true, c)) return;
  if (m.gather_limit == 0) return;
  // The sender asked for more subscribers: those we know, not itself.
  std::vector<uint64_t> known;
  if (const auto* g = n->subscriptions.find(m.group))
    for (const auto& s : g->members)
      if (s.address != pk.source && known.size() < std::min<size_t>(m.gather_limit, 256))
        known.push_back(s.address);
  if (known.empty()) return;
  send(pk.source, wire::Verb::kOk,
       reply_payload(wire::Verb::kMulticastFrame, pk.packet_id,
                     encode_ok_multicast_frame(m.nwid, m.group, uint32_t(known.size()), known)),
       c);
}

}  // namespace flatnet::control::vl2
