// The root role. See root_role.hpp.
#include "control/core/root_role.hpp"

#include <algorithm>

#include "control/core/ip_scope.hpp"

namespace flatnet::control {

RootRole::RootRole(const Config& cfg, Peers& peers, Sender& sender, const Worlds& worlds,
                   Metrics& m)
    : cfg_(cfg),
      peers_(peers),
      sender_(sender),
      worlds_(worlds),
      m_(m),
      multicast_(cfg.limits.multicast_subscriptions, cfg.limits.multicast_per_member,
                 cfg.limits.multicast_expire_ms),
      rendezvous_budget_(cfg.limits.rendezvous_per_second, cfg.limits.rendezvous_per_second),
      unite_(cfg.limits.unite_pairs, cfg.limits.unite_interval_ms, cfg.limits.unite_forget_ms) {}

void RootRole::unknown_sender(const PhysicalPath&, std::vector<uint8_t>&, uint64_t, Actions&) {
  ++m_.drops[size_t(Drop::unknown_sender)];
}

// Stock's root relays any packet or fragment for a peer it has a path to
// (spec §7.2): hop count + 1, never decrypted. A data plane does this at
// line rate and never hands such packets to control; this is for a root
// run on a kernel socket. A packet head also introduces the pair.
void RootRole::not_for_us(const PhysicalPath& from, std::span<const uint8_t> datagram,
                          bool fragment, uint64_t now, Actions& out) {
  if (!cfg_.relay) {
    ++m_.drops[size_t(Drop::not_for_us)];
    return;
  }
  const uint8_t* d = datagram.data();
  const unsigned hops = fragment ? wire::fragment_hops(d) : wire::packet_hops(d);
  if (hops >= wire::kRelayMaxHops) {
    ++m_.drops[size_t(Drop::relay_hop_limit)];
    return;
  }
  const uint64_t dest = fragment ? wire::fragment_dest(d) : wire::packet_dest(d);
  Peer* p = peers_.find(dest);
  const Path* path = p ? peers_.path_to(*p, now) : nullptr;
  if (!path) {
    ++m_.drops[size_t(Drop::relay_no_path)];
    return;
  }
  if (path->phys == from) {
    ++m_.drops[size_t(Drop::relay_loop)];
    return;
  }
  std::vector<uint8_t> bytes(datagram.begin(), datagram.end());
  if (fragment)
    wire::fragment_increment_hops(bytes.data());
  else
    wire::packet_increment_hops(bytes.data());
  out.send.push_back(SendDatagram{path->phys, std::move(bytes), 0});
  ++m_.tx_datagrams;
  ++m_.relayed;
  if (!fragment) {
    const uint64_t src = wire::packet_source(d);
    if (src != cfg_.identity.address() && peers_.find(src)) relayed_pair(src, dest, now, out);
  }
}

// A new path proves itself now (one ECHO), so that a leaf's first WHOIS,
// which follows its HELLO, is answered whole (see Core::on_whois).
void RootRole::hello_accepted(Peer& p, const PhysicalPath& from, uint64_t now, Actions& out) {
  sender_.challenge(p, from, now, out);
}

// A root is every member's last-resort directory and takes LIKEs without
// membership checks (spec §7.7).
void RootRole::multicast_like(Peer& p, const MulticastLike& m, uint64_t now) {
  for (const MulticastLikeEntry& e : m.entries) {
    switch (multicast_.like(e.network_id, e.group, p.identity.address(), now)) {
      case MulticastDirectory::Like::kStored:
      case MulticastDirectory::Like::kRefreshed: ++m_.multicast_likes; break;
      default: ++m_.drops[size_t(Drop::multicast_full)]; break;
    }
  }
}

void RootRole::multicast_gather(Peer& p, const PhysicalPath& from, const MulticastGather& g,
                                uint64_t in_re, uint64_t now, Actions& out) {
  if (g.limit == 0) return;
  // Per peer: a GATHER costs a directory lookup and a reply of up to 255
  // members, and any authenticated peer may send them (GCRA, burst allowed).
  const uint64_t interval = 1000 / std::max<uint32_t>(cfg_.limits.gather_per_second, 1);
  const uint64_t slack = interval * (std::max<uint32_t>(cfg_.limits.gather_burst, 1) - 1);
  if (p.gather_tat > now + slack) {
    ++m_.drops[size_t(Drop::gather_limited)];
    return;
  }
  p.gather_tat = std::max(p.gather_tat, now) + interval;
  OkMulticastGather ok;
  ok.re = ReplyHeader{wire::Verb::kMulticastGather, in_re};
  ok.network_id = g.network_id;
  ok.group = g.group;
  const size_t limit = std::min<size_t>(g.limit, cfg_.limits.gather_max_answers);
  ok.members = multicast_.gather(g.network_id, g.group, p.identity.address(), limit, now,
                                 &ok.total_known);
  if (ok.members.empty()) return;  // no reply without results (spec §4.14)
  PacketBuilder b(p.identity.address(), cfg_.identity.address(), wire::Verb::kOk,
                  random_packet_id());
  encode_ok_multicast_gather(ok, b.payload());
  if (sender_.send(p, b, from, now, out)) ++m_.gathers_answered;
}

void RootRole::relayed_pair(uint64_t a, uint64_t b, uint64_t now, Actions& out) {
  Peer* pa = peers_.find(a);
  Peer* pb = peers_.find(b);
  const Path* qa = nullptr;
  const Path* qb = nullptr;
  if (pa && pb && a != b) {
    // Spec §7.3: walk the scopes from PRIVATE down and take the first in
    // which both sides have a path of one family, IPv6 before IPv4. Within a
    // (scope, family) each side's most recently heard path stands in for
    // stock's path quality (the root measures no latency).
    auto best_in = [](const Peer& p, IpScope scope, wire::InetAddress::Family fam) {
      const Path* best = nullptr;
      for (const Path& q : p.paths)
        if (q.phys.remote.family == fam && ip_scope(q.phys.remote) == scope &&
            (!best || q.last_receive >= best->last_receive))
          best = &q;
      return best;
    };
    for (int s = int(IpScope::kPrivate); s >= 0 && !(qa && qb); --s) {
      for (auto fam : {wire::InetAddress::Family::kV6, wire::InetAddress::Family::kV4}) {
        qa = best_in(*pa, IpScope(s), fam);
        qb = best_in(*pb, IpScope(s), fam);
        if (qa && qb) break;
      }
    }
  }
  if (!qa || !qb) {
    ++m_.rendezvous_no_path;
    return;
  }
  // Budget first (without spending), so a refused introduction does not
  // also close the pair's gate for 30 s.
  if (rendezvous_budget_.available_at(now, 2) > now) {
    ++m_.rendezvous_budget_limited;
    return;
  }
  if (unite_.check(a, b, now) != PairGate::Result::kAllow) {
    ++m_.rendezvous_pair_limited;
    return;
  }
  rendezvous_budget_.take(now, 2);
  const PhysicalPath path_a = qa->phys, path_b = qb->phys;
  for (int side = 0; side < 2; ++side) {
    Peer& to = side == 0 ? *pa : *pb;
    Rendezvous r;
    r.with = side == 0 ? b : a;
    r.at = (side == 0 ? path_b : path_a).remote;
    PacketBuilder pkt(to.identity.address(), cfg_.identity.address(), wire::Verb::kRendezvous,
                      random_packet_id());
    if (!encode_rendezvous(r, pkt.payload())) continue;
    if (sender_.send(to, pkt, side == 0 ? path_a : path_b, now, out)) ++m_.rendezvous_sent;
  }
}

void RootRole::housekeeping(uint64_t now) {
  unite_.expire(now);
  multicast_.expire(now);
}

// The data plane sends destinations it has no path to the sibling root; a
// world without one leaves alone whatever the data plane was configured with.
void RootRole::worlds_changed(Actions& out) {
  if (auto s = worlds_.sibling()) out.table.push_back(*s);
}

}  // namespace flatnet::control
