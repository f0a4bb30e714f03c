// The control core: construction, the receive path up to verb dispatch,
// OK handling, timers and the small helpers every handler uses.
// HELLO lives in core_hello.cpp, the other services in core_services.cpp.
#include "control/core/core.hpp"

#include <algorithm>

#include "crypto/armor.hpp"

namespace flatnet::control {

namespace {

// Opaque reassembly key for a physical path (a relay's two legs share a
// packet ID, Appendix E.7; keying by path keeps them apart).
uint64_t path_key(const PhysicalPath& p) {
  uint64_t h = 0xcbf29ce484222325ULL ^ uint64_t(p.local_socket);
  auto mix = [&](uint8_t b) { h = (h ^ b) * 0x100000001b3ULL; };
  mix(uint8_t(p.remote.family));
  for (uint8_t b : p.remote.ip) mix(b);
  mix(uint8_t(p.remote.port >> 8));
  mix(uint8_t(p.remote.port));
  return h;
}

}  // namespace

Core::Core(Config cfg, uint64_t now)
    : cfg_(std::move(cfg)),
      peers_(cfg_.limits.peer_capacity, cfg_.limits.max_paths_per_peer),
      identity_budget_(cfg_.limits.identity_checks_per_second,
                       cfg_.limits.identity_checks_per_second),
      identity_sources_(cfg_.limits.identity_source_slots, cfg_.limits.identity_source_interval_ms,
                        cfg_.limits.identity_source_burst),
      rendezvous_budget_(cfg_.limits.rendezvous_per_second, cfg_.limits.rendezvous_per_second),
      unite_(cfg_.limits.unite_pairs, cfg_.limits.unite_interval_ms, cfg_.limits.unite_forget_ms),
      log_budget_(cfg_.limits.log_lines_per_second, cfg_.limits.log_lines_per_second),
      whois_forward_budget_(cfg_.limits.whois_forward_per_second,
                            cfg_.limits.whois_forward_per_second),
      whois_forward_gate_(cfg_.limits.whois_forward_addresses,
                          cfg_.limits.whois_forward_interval_ms,
                          cfg_.limits.whois_forward_interval_ms * 10),
      multicast_(cfg_.limits.multicast_subscriptions, cfg_.limits.multicast_per_member,
                 cfg_.limits.multicast_expire_ms),
      next_housekeeping_(now + cfg_.limits.housekeeping_ms),
      next_path_check_(now + kPathCheckMs) {
  // Every root of our planet and moons other than ourselves is an upstream;
  // if we are one of them, we are a root (spec §7.1).
  Actions ignored;
  set_upstreams(now, ignored);
}

// ---- receive ------------------------------------------------------------------------

void Core::receive(const PhysicalPath& from, std::span<const uint8_t> datagram, uint64_t now,
                   Actions& out) {
  ++m_.rx_datagrams;
  const uint8_t* d = datagram.data();
  switch (wire::classify(d, datagram.size())) {
    case wire::DatagramKind::kRunt:
      count(Drop::runt);
      break;
    case wire::DatagramKind::kBeacon:
      count(Drop::beacon);
      break;
    case wire::DatagramKind::kFragment: {
      if (wire::fragment_dest(d) != address()) {
        relay(from, datagram, true, now, out);
        break;
      }
      std::vector<uint8_t> whole;
      auto r = reassembler_.add_fragment(path_key(from), datagram, now, &whole);
      if (r == wire::ReassemblyResult::kComplete)
        decode(from, whole, now, out);
      else if (r != wire::ReassemblyResult::kPending)
        count(Drop::fragment);
      break;
    }
    case wire::DatagramKind::kPacket: {
      // Longer packets are fragmented by every sender (spec §2.3); one that
      // is not is malformed, whoever it is for.
      if (!wire::packet_fragmented(d) && datagram.size() > wire::kMaxPacketLength) {
        count(Drop::oversize);
        break;
      }
      if (wire::packet_dest(d) != address()) {
        relay(from, datagram, false, now, out);
        break;
      }
      if (wire::packet_source(d) == address()) {
        count(Drop::from_self);
        break;
      }
      std::vector<uint8_t> whole;
      if (wire::packet_fragmented(d)) {
        auto r = reassembler_.add_head(path_key(from), datagram, now, &whole);
        if (r == wire::ReassemblyResult::kPending) break;
        if (r != wire::ReassemblyResult::kComplete) {
          count(Drop::fragment);
          break;
        }
      } else {
        whole.assign(datagram.begin(), datagram.end());
      }
      decode(from, whole, now, out);
      break;
    }
  }
  finish(now, out);
}

void Core::decode(const PhysicalPath& from, std::vector<uint8_t>& packet, uint64_t now,
                  Actions& out) {
  const uint8_t* d = packet.data();
  // A HELLO travels with cipher 0 and a clear verb byte; its handler does its
  // own authentication because the key may have to come from the HELLO.
  if (wire::packet_cipher(d) == wire::Cipher::kPoly1305None &&
      packet_verb(d) == wire::Verb::kHello) {
    on_hello(from, packet, false, now, out);
    return;
  }
  const size_t wire_len = packet.size();
  Peer* p = peers_.find(wire::packet_source(d));
  if (!p) {
    // A leaf asks its roots who the sender is and holds the packet until
    // the answer (at most kHeldMs, kHeldMax packets), as stock does; a root
    // only learns peers from their HELLOs.
    if (am_root_) {
      count(Drop::unknown_sender);
      return;
    }
    if (held_.size() >= kHeldMax) {
      held_.pop_front();
      count(Drop::unknown_sender);
    }
    held_.push_back(Held{wire::packet_source(d), from, std::move(packet), now});
    ++m_.held_for_whois;
    forward_whois(held_.back().source, 0, now, out);
    return;
  }
  switch (open_packet(packet, *p->keys)) {
    case OpenStatus::kOk: break;
    case OpenStatus::kTooShort: count(Drop::runt); return;
    case OpenStatus::kBadMac: count(Drop::bad_mac); return;
    case OpenStatus::kUnsupportedCipher: count(Drop::bad_cipher); return;
    case OpenStatus::kDecompressFailed: count(Drop::decompress); return;
  }
  if (packet_verb(packet.data()) == wire::Verb::kHello) {
    on_hello(from, packet, true, now, out);
    return;
  }
  dispatch(*p, from, packet, wire_len, now, out);
}

void Core::dispatch(Peer& p, const PhysicalPath& from, std::vector<uint8_t>& packet,
                    size_t wire_len, uint64_t now, Actions& out) {
  const wire::Verb verb = packet_verb(packet.data());
  const unsigned hops = wire::packet_hops(packet.data());
  std::span<const uint8_t> payload = packet_payload(packet);
  ++m_.rx_verb[size_t(verb) & 31];
  peers_.heard(p, now);

  // Paths (spec §8.1): a direct packet refreshes a path we know. A new
  // address is only believed after a round trip -- we HELLO it and learn it
  // from the OK -- so a replayed packet cannot move a peer's path.
  if (hops == 0) {
    auto known = std::find_if(p.paths.begin(), p.paths.end(),
                              [&](const Path& q) { return q.phys == from; });
    if (known != p.paths.end()) {
      if (peers_.path_received(p, from, now)) announce(p, out);
    } else if (verb != wire::Verb::kOk &&
               now >= p.last_confirm_hello + cfg_.limits.confirm_path_interval_ms) {
      p.last_confirm_hello = now;
      send_hello(p.identity.address(), from, now, out);
    }
  }

  switch (verb) {
    case wire::Verb::kNop:
      break;
    case wire::Verb::kOk:
      on_ok(p, from, payload, hops, now, out);
      break;
    case wire::Verb::kError: {
      Error e;
      if (decode_error(payload, e) != DecodeStatus::kOk) count(Drop::malformed);
      // An IDENTITY_COLLISION from an upstream is fatal for a leaf; the
      // process glue decides what to do with the log line.
      else if (e.code == ErrorCode::kIdentityCollision && p.is_upstream())
        log(out, LogLevel::kError, now, "upstream reports an identity collision for our address");
      break;
    }
    case wire::Verb::kWhois:
      on_whois(p, from, payload, packet, wire_len, now, out);
      break;
    case wire::Verb::kEcho:
      on_echo(p, from, payload, packet, now, out);
      break;
    case wire::Verb::kRendezvous:
      on_rendezvous(p, from, payload, now, out);
      break;
    case wire::Verb::kMulticastLike:
      on_multicast_like(p, payload, now);
      break;
    case wire::Verb::kMulticastGather:
      on_multicast_gather(p, from, payload, packet, now, out);
      break;
    case wire::Verb::kNetworkConfigRequest: {
      // No controller lives here: say so, as a stock node without one does.
      wire::Reader r(payload);
      const uint64_t nwid = r.u64();
      if (!r.ok()) {
        count(Drop::malformed);
        break;
      }
      Error e;
      e.re = ReplyHeader{wire::Verb::kNetworkConfigRequest, wire::packet_id(packet.data())};
      e.code = ErrorCode::kUnsupportedOperation;
      e.detail.resize(8);
      wire::write_be64(e.detail.data(), nwid);
      PacketBuilder b(p.identity.address(), address(), wire::Verb::kError, random_packet_id());
      encode_error(e, b.payload());
      send(p, b, from, p.suite(), now, out);
      break;
    }
    case wire::Verb::kPushDirectPaths:
      on_push_direct_paths(p, from, payload, now, out);
      break;
    default:
      break;  // unknown or not ours: accepted and counted, no reply (spec §4.0)
  }
}

void Core::on_ok(Peer& p, const PhysicalPath& from, std::span<const uint8_t> payload,
                 unsigned hops, uint64_t now, Actions& out) {
  ReplyHeader re;
  if (decode_reply_header(payload, re) != DecodeStatus::kOk) {
    count(Drop::malformed);
    return;
  }
  switch (re.in_re_verb) {
    case wire::Verb::kHello: {
      OkHello ok;
      if (decode_ok_hello(payload, ok) != DecodeStatus::kOk) {
        count(Drop::malformed);
        return;
      }
      const Expect* sent = expected(re.in_re_packet_id, wire::Verb::kHello);
      if (!sent) {
        count(Drop::unexpected_ok);
        return;
      }
      const bool round_trip = hops == 0 && sent->to == from;
      if (ok.version.proto < wire::kProtoVersionMin) {
        count(Drop::hello_version);
        return;
      }
      p.version = ok.version;
      p.version_known = true;
      peers_.mark_hello_done(p, now);
      // The round trip proves the path (spec §8.1) and times it (§4.2: now
      // minus the echoed timestamp, which was our clock when we sent it).
      if (hops == 0) {
        if (peers_.path_received(p, from, now)) announce(p, out);
        for (Path& q : p.paths)
          if (q.phys == from && ok.timestamp <= now) q.add_latency_sample(now - ok.timestamp);
      }
      if (round_trip) confirm_path(p, from, now, out);
      if (hops == 0) learn_surface(p, ok.external);
      // Planet updates and moons (core_leaf.cpp); self-awareness (the
      // external address) is not done.
      take_worlds(p, from, ok.worlds, now, out);
      break;
    }
    case wire::Verb::kWhois: {
      OkWhois ok;
      if (decode_ok_whois(payload, ok) != DecodeStatus::kOk) {
        count(Drop::malformed);
        return;
      }
      if (!p.is_upstream()) {
        count(Drop::not_upstream);
        return;
      }
      if (!expected(re.in_re_packet_id, wire::Verb::kWhois)) {
        count(Drop::unexpected_ok);
        return;
      }
      // Only the first identity is used, and an upstream is trusted not to
      // need the memory-hard check (spec §4.5).
      const crypto::Identity& id = ok.identities.front();
      if (id.address() == address() || peers_.find(id.address())) return;
      crypto::SharedKey key;
      if (!cfg_.identity.agree(id, key)) {
        count(Drop::identity_invalid);
        return;
      }
      ++m_.key_agreements;
      std::vector<uint64_t> evicted;
      Peer* np = peers_.insert(id, std::make_unique<crypto::PeerKeys>(key), PeerRole::kLeaf, now,
                               &evicted);
      for (uint64_t a : evicted) {
        ++m_.peers_evicted;
        out.table.push_back(TableCommand{TableOp::kPeerDelete, a, {}});
      }
      if (!np) {
        count(Drop::peer_table_full);
        return;
      }
      ++m_.peers_learned;
      // A moon seed we were looking for: ask it for the moon now.
      for (MoonSeed& s : seeds_)
        if (s.seed == id.address()) try_seed(s, now, out);
      release_held(id.address(), now, out);
      break;
    }
    case wire::Verb::kEcho: {
      // The answer to a path challenge (challenge_path) only confirms it.
      if (hops == 0 && re.in_re_packet_id != 0) {
        auto q = std::find_if(p.paths.begin(), p.paths.end(), [&](const Path& x) {
          return x.phys == from && x.challenge_id == re.in_re_packet_id;
        });
        if (q != p.paths.end()) {
          q->challenge_id = 0;
          confirm_path(p, from, now, out);
          return;
        }
      }
      const Expect* sent = expected(re.in_re_packet_id, wire::Verb::kEcho);
      if (!sent) {
        count(Drop::unexpected_ok);
        return;
      }
      if (hops == 0 && sent->to == from) confirm_path(p, from, now, out);
      auto rest = payload.subspan(std::min(payload.size(), kReplyHeaderLength));
      out.echo_replies.push_back(EchoReply{p.identity.address(), re.in_re_packet_id, hops,
                                           std::vector<uint8_t>(rest.begin(), rest.end())});
      break;
    }
    default:
      // OK(MULTICAST_GATHER) and the config acknowledgements only
      // refresh the peer here; their consumers are later work.
      break;
  }
}

// Packets held for a WHOIS answer about their sender, now known: decoded
// in arrival order.
void Core::release_held(uint64_t source, uint64_t now, Actions& out) {
  std::vector<Held> mine;
  for (auto it = held_.begin(); it != held_.end();) {
    if (it->source == source) {
      mine.push_back(std::move(*it));
      it = held_.erase(it);
    } else {
      ++it;
    }
  }
  for (Held& h : mine) {
    ++m_.held_released;
    decode(h.from, h.packet, now, out);
  }
}

// ---- software relay --------------------------------------------------------------------

// Stock's root relays any packet or fragment for a peer it has a path to
// (spec §7.2): hop count + 1, never decrypted. A data plane does this at
// line rate and never hands such packets to control; this is for a root
// run on a kernel socket. A packet head also introduces the pair.
void Core::relay(const PhysicalPath& from, std::span<const uint8_t> datagram, bool fragment,
                 uint64_t now, Actions& out) {
  if (!cfg_.relay || !am_root_) {
    count(Drop::not_for_us);
    return;
  }
  const uint8_t* d = datagram.data();
  const unsigned hops = fragment ? wire::fragment_hops(d) : wire::packet_hops(d);
  if (hops >= wire::kRelayMaxHops) {
    count(Drop::relay_hop_limit);
    return;
  }
  const uint64_t dest = fragment ? wire::fragment_dest(d) : wire::packet_dest(d);
  Peer* p = peers_.find(dest);
  const Path* path = p ? p->best_path() : nullptr;
  if (!path) {
    count(Drop::relay_no_path);
    return;
  }
  if (path->phys == from) {
    count(Drop::relay_loop);
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
    if (src != address() && peers_.find(src)) relayed_pair(src, dest, now, out);
  }
}

// ---- helpers -------------------------------------------------------------------------

uint64_t Core::send(Peer& p, PacketBuilder& b, const PhysicalPath& path, crypto::Suite suite,
                    uint64_t now, Actions& out) {
  auto datagrams = b.seal(*p.keys, suite);
  if (datagrams.empty()) {
    count(Drop::reply_too_large);
    return 0;
  }
  const uint64_t wire_id = wire::packet_id(datagrams.front().data());
  for (auto& d : datagrams) {
    out.send.push_back(SendDatagram{path, std::move(d), 0});
    ++m_.tx_datagrams;
  }
  for (Path& q : p.paths)
    if (q.phys == path) q.last_send = now;
  return wire_id;
}

void Core::announce(Peer& p, Actions& out) {
  const Path* best = p.best_path();
  if (!best) {
    if (p.announced) out.table.push_back(TableCommand{TableOp::kPeerDelete, p.identity.address(), {}});
    p.announced = false;
    return;
  }
  if (p.announced && p.announced_path == best->phys) return;
  p.announced = true;
  p.announced_path = best->phys;
  out.table.push_back(TableCommand{TableOp::kPeerUpsert, p.identity.address(), best->phys});
}

void Core::forget(uint64_t address, Actions& out) {
  Peer* p = peers_.find(address);
  if (!p) return;
  if (p->announced) out.table.push_back(TableCommand{TableOp::kPeerDelete, address, {}});
  peers_.erase(address);
}

void Core::log(Actions& out, LogLevel level, uint64_t now, std::string text) {
  if (!log_budget_.take(now)) {
    count(Drop::log_suppressed);
    return;
  }
  out.log.push_back(LogLine{level, now, std::move(text)});
}

void Core::expect(uint64_t packet_id, wire::Verb verb, const PhysicalPath& to) {
  expect_[expect_next_] = Expect{packet_id, verb, to};
  expect_next_ = (expect_next_ + 1) % expect_.size();
}

const Core::Expect* Core::expected(uint64_t packet_id, wire::Verb verb) const {
  auto it = std::find_if(expect_.begin(), expect_.end(), [&](const Expect& e) {
    return e.id == packet_id && e.verb == verb && e.id != 0;
  });
  return it == expect_.end() ? nullptr : &*it;
}

// ---- timers --------------------------------------------------------------------------

uint64_t Core::next_deadline(uint64_t now) {
  uint64_t t = std::min(next_housekeeping_, am_root_ ? next_housekeeping_ : next_path_check_);
  for (const MoonSeed& s : seeds_) t = std::min(t, s.next_try);
  if (!held_.empty()) t = std::min(t, held_.front().at + kHeldMs);
  if (!queue_.empty()) {
    t = std::min(t, identity_budget_.available_at(now));
    t = std::min(t, queue_.front().at + cfg_.limits.identity_queue_timeout_ms);
  }
  return std::max(t, now);
}

void Core::resync(uint64_t now, Actions& out) {
  announce_sibling(out);
  peers_.for_each([&](Peer& p) {
    p.announced = false;
    announce(p, out);
  });
  finish(now, out);
}

void Core::run_background(uint64_t now, Actions& out) {
  drain_identity_queue(now, out);
  if (now >= next_housekeeping_) {
    housekeeping(now, out);
    next_housekeeping_ = now + cfg_.limits.housekeeping_ms;
  }
  reassembler_.expire(now);
  while (!held_.empty() && now >= held_.front().at + kHeldMs) {
    held_.pop_front();
    count(Drop::unknown_sender);
  }
  seek_moons(now, out);
  if (now >= next_path_check_) {
    next_path_check_ = now + kPathCheckMs;
    keep_paths_alive(now, out);
    push_direct_paths(now, out);
  }
  finish(now, out);
}

}  // namespace flatnet::control
