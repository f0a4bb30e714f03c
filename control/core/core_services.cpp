// WHOIS, ECHO and RENDEZVOUS (spec §4.5, §4.6, §4.9, §7.3, §7.4), the
// requests a leaf sends, and housekeeping (§7.8, §11.2).
#include <sodium.h>

#include <algorithm>

#include "control/core/core.hpp"
#include "control/core/ip_scope.hpp"

namespace flatnet::control {

void Core::on_whois(Peer& p, const PhysicalPath& from, std::span<const uint8_t> payload,
                    std::vector<uint8_t>& packet, size_t wire_len, uint64_t now, Actions& out) {
  Whois q;
  if (decode_whois(payload, q) != DecodeStatus::kOk) {
    count(Drop::malformed);
    return;
  }
  // One answer per address, however often the request names it.
  std::sort(q.addresses.begin(), q.addresses.end());
  q.addresses.erase(std::unique(q.addresses.begin(), q.addresses.end()), q.addresses.end());
  // To a path that has not proved a round trip, nothing larger than the
  // request: its source address may be forged to aim our answer at someone
  // else. The rest waits for the path to answer a challenge (one ECHO).
  const bool confirmed = wire::packet_hops(packet.data()) == 0 && path_confirmed(p, from);
  std::vector<uint64_t> rest;
  answer_whois(p, from, wire::packet_id(packet.data()), q.addresses,
               confirmed ? wire::kMaxPacketLength : wire_len, true, now, out, &rest);
  if (rest.empty() || confirmed) return;
  m_.whois_deferred += rest.size();
  p.whois_deferred = Peer::DeferredWhois{wire::packet_id(packet.data()), from, std::move(rest)};
  if (wire::packet_hops(packet.data()) == 0) challenge_path(p, from, now, out);
}

void Core::answer_whois(Peer& p, const PhysicalPath& to, uint64_t in_re,
                        const std::vector<uint64_t>& addresses, size_t budget, bool forward,
                        uint64_t now, Actions& out, std::vector<uint64_t>* rest) {
  OkWhois ok;
  ok.re = ReplyHeader{wire::Verb::kWhois, in_re};
  size_t size = wire::kPacketHeaderLength + kReplyHeaderLength;
  std::vector<uint8_t> scratch;
  for (uint64_t a : addresses) {
    if (ok.identities.size() >= cfg_.limits.whois_max_answers) break;
    // Our own address too: stock leaves ask their root for it every 5 s
    // (Appendix E.2).
    const Peer* t = a == address() ? nullptr : peers_.find(a);
    const crypto::Identity* id = a == address() ? &cfg_.identity : t ? &t->identity : nullptr;
    if (!id) {
      if (!forward) continue;
      ++m_.whois_unknown;
      forward_whois(a, p.identity.address(), now, out);
      continue;
    }
    scratch.clear();
    id->append_binary(scratch, false);
    if (size + scratch.size() > budget) {
      if (rest) rest->push_back(a);
      continue;
    }
    size += scratch.size();
    ok.identities.push_back(*id);
  }
  if (ok.identities.empty()) return;  // no reply when nothing is known (spec §4.5)
  PacketBuilder b(p.identity.address(), address(), wire::Verb::kOk, random_packet_id());
  encode_ok_whois(ok, b.payload());
  if (send(p, b, to, p.suite(), now, out)) m_.whois_answered += ok.identities.size();
}

bool Core::path_confirmed(const Peer& p, const PhysicalPath& from) const {
  return std::any_of(p.paths.begin(), p.paths.end(),
                     [&](const Path& q) { return q.phys == from && q.confirmed; });
}

// An ECHO to a known, unconfirmed path: its OK quoting the random packet ID
// can only come from whoever receives at that address. At most one per
// confirm_path_interval_ms per path; stock answers one ECHO per second.
void Core::challenge_path(Peer& p, const PhysicalPath& from, uint64_t now, Actions& out) {
  auto q = std::find_if(p.paths.begin(), p.paths.end(),
                        [&](const Path& x) { return x.phys == from; });
  // An unknown path gets a HELLO from dispatch; its OK confirms it.
  if (q == p.paths.end() || q->confirmed) return;
  if (q->challenge_sent != 0 && now < q->challenge_sent + cfg_.limits.confirm_path_interval_ms)
    return;
  PacketBuilder b(p.identity.address(), address(), wire::Verb::kEcho, random_packet_id());
  const uint64_t id = send(p, b, from, p.suite(), now, out);
  if (!id) return;
  // send() may not move paths, but look the path up again all the same.
  for (Path& x : p.paths)
    if (x.phys == from) x.challenge_id = id, x.challenge_sent = now;
  ++m_.path_challenges;
}

void Core::confirm_path(Peer& p, const PhysicalPath& from, uint64_t now, Actions& out) {
  for (Path& q : p.paths)
    if (q.phys == from && !q.confirmed) {
      q.confirmed = true;
      ++m_.paths_confirmed;
    }
  Peer::DeferredWhois& d = p.whois_deferred;
  if (d.in_re == 0 || !(d.path == from) || !path_confirmed(p, from)) return;
  Peer::DeferredWhois todo = std::move(d);
  d = Peer::DeferredWhois{};
  answer_whois(p, from, todo.in_re, todo.addresses, wire::kMaxPacketLength, false, now, out,
               nullptr);
}

// The upstream heard from most recently (any authenticated packet: OK to
// our HELLOs every 60 s, ECHO answers, relayed traffic), skipping `except`.
// A root that stops answering loses this within one HELLO round, so relayed
// traffic fails over to a live root in at most kLeafHelloIntervalMs (stock
// weighs silence per 61 s too, Peer::relayQuality).
const Peer* Core::freshest_upstream(uint64_t except) const {
  const Peer* best = nullptr;
  const Path* best_path = nullptr;
  for (uint64_t u : upstreams_) {
    const Peer* q = peers_.find(u);
    const Path* qp = q && u != except ? q->best_path() : nullptr;
    if (!qp) continue;
    if (!best || qp->last_receive > best_path->last_receive) best = q, best_path = qp;
  }
  return best;
}

// A root that does not know an address asks a sibling root of its planet
// or moons (the requester's retry 500 ms later then finds it); a leaf asks
// its roots about an unknown sender (whose packet is dropped: the sender's
// retry finds us knowing it). Bounded per address and globally, since any
// known peer (or any packet, for a leaf) can make us ask.
void Core::forward_whois(uint64_t address, uint64_t requester, uint64_t now, Actions& out) {
  const Peer* best = freshest_upstream(requester);
  if (!best) return;
  if (whois_forward_budget_.available_at(now) > now ||
      whois_forward_gate_.check(address, 0, now) != PairGate::Result::kAllow) {
    ++m_.whois_forward_limited;
    return;
  }
  whois_forward_budget_.take(now);
  if (send_whois(best->identity.address(), address, now, out)) ++m_.whois_forwarded;
}

void Core::on_echo(Peer& p, const PhysicalPath& from, std::span<const uint8_t> payload,
                   std::vector<uint8_t>& packet, uint64_t now, Actions& out) {
  uint64_t* last = &p.last_echo_reply;
  for (Path& q : p.paths)
    if (q.phys == from) last = &q.last_echo_reply;
  if (*last != 0 && now < *last + cfg_.limits.echo_interval_ms) {
    count(Drop::echo_limited);
    return;
  }
  *last = now;
  PacketBuilder b(p.identity.address(), address(), wire::Verb::kOk, random_packet_id());
  encode_reply_header(ReplyHeader{wire::Verb::kEcho, wire::packet_id(packet.data())}, b.payload());
  b.payload().bytes(payload);
  if (send(p, b, from, p.suite(), now, out)) ++m_.echo_answered;
}

void Core::on_multicast_like(Peer& p, std::span<const uint8_t> payload, uint64_t now) {
  MulticastLike m;
  if (decode_multicast_like(payload, m) != DecodeStatus::kOk) {
    count(Drop::malformed);
    return;
  }
  // A root is every member's last-resort directory and takes LIKEs without
  // membership checks (spec §7.7); a leaf's directory is network-layer work.
  if (!am_root_) return;
  for (const MulticastLikeEntry& e : m.entries) {
    switch (multicast_.like(e.network_id, e.group, p.identity.address(), now)) {
      case MulticastDirectory::Like::kStored:
      case MulticastDirectory::Like::kRefreshed: ++m_.multicast_likes; break;
      default: count(Drop::multicast_full); break;
    }
  }
}

void Core::on_multicast_gather(Peer& p, const PhysicalPath& from,
                               std::span<const uint8_t> payload, std::vector<uint8_t>& packet,
                               uint64_t now, Actions& out) {
  MulticastGather g;
  if (decode_multicast_gather(payload, g) != DecodeStatus::kOk) {
    count(Drop::malformed);
    return;
  }
  if (!am_root_ || g.limit == 0) return;
  // Per peer: a GATHER costs a directory walk and a reply of up to 255
  // members, and any authenticated peer may send them (GCRA, burst allowed).
  const uint64_t interval = 1000 / std::max<uint32_t>(cfg_.limits.gather_per_second, 1);
  const uint64_t slack = interval * (std::max<uint32_t>(cfg_.limits.gather_burst, 1) - 1);
  if (p.gather_tat > now + slack) {
    count(Drop::gather_limited);
    return;
  }
  p.gather_tat = std::max(p.gather_tat, now) + interval;
  OkMulticastGather ok;
  ok.re = ReplyHeader{wire::Verb::kMulticastGather, wire::packet_id(packet.data())};
  ok.network_id = g.network_id;
  ok.group = g.group;
  size_t limit = std::min<size_t>(g.limit, cfg_.limits.gather_max_answers);
  ok.members = multicast_.gather(g.network_id, g.group, p.identity.address(), limit, now,
                                 &ok.total_known);
  if (ok.members.empty()) return;  // no reply without results (spec §4.14)
  PacketBuilder b(p.identity.address(), address(), wire::Verb::kOk, random_packet_id());
  encode_ok_multicast_gather(ok, b.payload());
  if (send(p, b, from, p.suite(), now, out)) ++m_.gathers_answered;
}

void Core::on_rendezvous(Peer& p, const PhysicalPath& from, std::span<const uint8_t> payload,
                         uint64_t now, Actions& out) {
  Rendezvous r;
  if (decode_rendezvous(payload, r) != DecodeStatus::kOk) {
    count(Drop::malformed);
    return;
  }
  // Only upstreams may tell us where to send (spec §4.6, pitfall 8).
  if (!p.is_upstream()) {
    count(Drop::not_upstream);
    return;
  }
  if (!peers_.find(r.with)) {
    ++m_.rendezvous_no_path;
    return;
  }
  if (!usable_for_paths(r.at)) {
    count(Drop::unusable_address);
    return;
  }
  ++m_.rendezvous_received;
  PhysicalPath to{from.local_socket, r.at};
  if (r.at.family == wire::InetAddress::Family::kV4) {
    // Opens our NAT's mapping toward the other side without reaching it.
    std::vector<uint8_t> junk(4);
    randombytes_buf(junk.data(), junk.size());
    out.send.push_back(SendDatagram{to, std::move(junk), 2});
    ++m_.tx_datagrams;
  }
  send_hello(r.with, to, now, out);
}

void Core::relayed_pair(uint64_t a, uint64_t b, uint64_t now, Actions& out) {
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
    finish(now, out);
    return;
  }
  // Budget first (without spending), so a refused introduction does not
  // also close the pair's gate for 30 s.
  if (rendezvous_budget_.available_at(now, 2) > now) {
    ++m_.rendezvous_budget_limited;
  } else if (unite_.check(a, b, now) != PairGate::Result::kAllow) {
    ++m_.rendezvous_pair_limited;
  } else {
    rendezvous_budget_.take(now, 2);
    const PhysicalPath path_a = qa->phys, path_b = qb->phys;
    for (int side = 0; side < 2; ++side) {
      Peer& to = side == 0 ? *pa : *pb;
      const PhysicalPath& via = side == 0 ? path_a : path_b;
      Rendezvous r;
      r.with = side == 0 ? b : a;
      r.at = (side == 0 ? path_b : path_a).remote;
      PacketBuilder pkt(to.identity.address(), address(), wire::Verb::kRendezvous,
                        random_packet_id());
      if (!encode_rendezvous(r, pkt.payload())) continue;
      if (send(to, pkt, via, to.suite(), now, out)) ++m_.rendezvous_sent;
    }
  }
  finish(now, out);
}

// ---- requests ---------------------------------------------------------------------

bool Core::send_hello(uint64_t to, const PhysicalPath& path, uint64_t now, Actions& out) {
  Peer* p = peers_.find(to);
  if (!p) return false;
  Hello h;
  h.version = cfg_.version;
  h.timestamp = now;
  h.identity = cfg_.identity;
  h.destination = path.remote;
  if (!cfg_.planet.is_null()) {
    h.has_planet = true;
    h.planet_id = cfg_.planet.id;
    h.planet_timestamp = cfg_.planet.timestamp;
  }
  hello_moon_list(h.moons);
  PacketBuilder b(to, address(), wire::Verb::kHello, random_packet_id());
  size_t tail = 0;
  encode_hello(h, b.payload(), &tail);
  // The moon list is encrypted before the MAC is computed (pitfall 4).
  if (tail != 0) crypto::hello_crypt_field(p->keys->key48(), b.bytes(), wire::kIdxPayload + tail);
  uint64_t id = send(*p, b, path, crypto::Suite::kPoly1305, now, out);
  if (id) expect(id, wire::Verb::kHello, path);
  return id != 0;
}

bool Core::send_whois(uint64_t root, uint64_t address, uint64_t now, Actions& out) {
  Peer* p = peers_.find(root);
  const Path* path = p ? preferred_path(*p, now) : nullptr;
  if (!path) return false;
  PacketBuilder b(root, this->address(), wire::Verb::kWhois, random_packet_id());
  encode_whois(Whois{{address}}, b.payload());
  uint64_t id = send(*p, b, path->phys, p->suite(), now, out);
  if (id) expect(id, wire::Verb::kWhois, path->phys);
  return id != 0;
}

uint64_t Core::send_echo(uint64_t to, std::span<const uint8_t> payload, uint64_t now,
                         Actions& out) {
  Peer* p = peers_.find(to);
  if (!p) return 0;
  const Path* path = route(*p, now);
  if (!path) return 0;
  PacketBuilder b(to, address(), wire::Verb::kEcho, random_packet_id());
  b.payload().bytes(payload);
  uint64_t id = send(*p, b, path->phys, p->suite(), now, out);
  if (id) expect(id, wire::Verb::kEcho, path->phys);
  return id;
}

// ---- housekeeping --------------------------------------------------------------------

void Core::housekeeping(uint64_t now, Actions& out) {
  peers_.for_each([&](Peer& p) {
    size_t n = peers_.expire_paths(p, now, cfg_.limits.path_timeout_ms);
    if (n == 0) return;
    m_.paths_expired += n;
    announce(p, out);  // the next best path, or a delete if none is left
  });
  std::vector<uint64_t> silent;
  peers_.collect_silent(now, cfg_.limits.peer_timeout_ms, silent);
  for (uint64_t a : silent) {
    forget(a, out);
    ++m_.peers_forgotten;
  }
  unite_.expire(now);
  whois_forward_gate_.expire(now);
  multicast_.expire(now);
}

}  // namespace flatnet::control
