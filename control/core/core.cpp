// The control core facade: construction (the role chosen once), the receive
// path up to verb dispatch, OK handling, timers and the public requests.
// HELLO lives in core_hello.cpp, WHOIS/ECHO/RENDEZVOUS in core_services.cpp.
#include "control/core/core.hpp"

#include <algorithm>

#include "control/core/leaf_role.hpp"
#include "control/core/root_role.hpp"
#include "crypto/armor.hpp"

namespace flatnet::control {

namespace {

bool is_vl2_reply(wire::Verb v) {
  switch (v) {
    case wire::Verb::kFrame:
    case wire::Verb::kExtFrame:
    case wire::Verb::kMulticastFrame:
    case wire::Verb::kMulticastGather:
    case wire::Verb::kNetworkCredentials:
    case wire::Verb::kNetworkConfigRequest:
    case wire::Verb::kNetworkConfig:
      return true;
    default:
      return false;
  }
}

Vl2Packet vl2_packet(const Peer& p, const PhysicalPath& from, wire::Verb verb, uint64_t id,
                     unsigned hops) {
  Vl2Packet pk;
  pk.source = p.identity.address();
  pk.identity = &p.identity;
  pk.verb = verb;
  pk.packet_id = id;
  pk.hops = hops;
  pk.from = from;
  return pk;
}

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
      peers_(cfg_.identity, cfg_.limits,
             Worlds::lists_us(cfg_) ? PathChoice::kMostRecent : PathChoice::kQuality, m_),
      sender_(cfg_, peers_, worlds_, m_),
      worlds_(cfg_, peers_, sender_, m_),
      identity_gate_(cfg_.limits, m_) {
  if (Worlds::lists_us(cfg_))
    role_ = std::make_unique<RootRole>(cfg_, peers_, sender_, worlds_, m_);
  else
    role_ = std::make_unique<LeafRole>(cfg_, peers_, sender_, m_, now);
  timers_.arm(Timer::kHousekeeping, now + cfg_.limits.housekeeping_ms);
  Actions ignored;
  worlds_.set_upstreams(now, ignored);
}

// ---- receive ------------------------------------------------------------------------

void Core::receive(const PhysicalPath& from, std::span<const uint8_t> datagram, uint64_t now,
                   Actions& out) {
  std::vector<uint8_t> whole;
  if (assemble(from, datagram, now, out, whole)) decode(from, whole, now, out);
  finish(now, out);
}

bool Core::assemble(const PhysicalPath& from, std::span<const uint8_t> datagram, uint64_t now,
                    Actions& out, std::vector<uint8_t>& whole) {
  ++m_.rx_datagrams;
  const uint8_t* d = datagram.data();
  switch (wire::classify(d, datagram.size())) {
    case wire::DatagramKind::kRunt:
      count(Drop::runt);
      return false;
    case wire::DatagramKind::kBeacon:
      count(Drop::beacon);
      return false;
    case wire::DatagramKind::kFragment: {
      if (wire::fragment_dest(d) != address()) {
        role_->not_for_us(from, datagram, true, now, out);
        return false;
      }
      auto r = reassembler_.add_fragment(path_key(from), datagram, now, &whole);
      if (r == wire::ReassemblyResult::kComplete) return true;
      if (r != wire::ReassemblyResult::kPending) count(Drop::fragment);
      return false;
    }
    case wire::DatagramKind::kPacket: {
      // Longer packets are fragmented by every sender (spec §2.3); one that
      // is not is malformed, whoever it is for.
      if (!wire::packet_fragmented(d) && datagram.size() > wire::kMaxPacketLength) {
        count(Drop::oversize);
        return false;
      }
      if (wire::packet_dest(d) != address()) {
        role_->not_for_us(from, datagram, false, now, out);
        return false;
      }
      if (wire::packet_source(d) == address()) {
        count(Drop::from_self);
        return false;
      }
      if (wire::packet_fragmented(d)) {
        auto r = reassembler_.add_head(path_key(from), datagram, now, &whole);
        if (r == wire::ReassemblyResult::kPending) return false;
        if (r != wire::ReassemblyResult::kComplete) {
          count(Drop::fragment);
          return false;
        }
        return true;
      }
      whole.assign(datagram.begin(), datagram.end());
      return true;
    }
  }
  return false;
}

void Core::receive_burst(std::span<const ReceivedDatagram> burst, uint64_t now, Actions& out) {
  if (!cfg_.burst_crypto) {
    for (const ReceivedDatagram& d : burst) receive(d.from, d.bytes, now, out);
    return;
  }
  staged_.clear();
  for (const ReceivedDatagram& d : burst) {
    std::vector<uint8_t> whole;
    if (assemble(d.from, d.bytes, now, out, whole))
      staged_.push_back(Staged{d.from, std::move(whole), nullptr});
  }
  open_burst(now, out);
  staged_.clear();
  finish(now, out);
}

void Core::open_burst(uint64_t now, Actions& out) {
  // Which packets the burst engine takes: cipher 1 or 3 from a known peer,
  // its key looked up once per run of packets from one peer (a receive
  // burst is mostly runs: one TCP flow's segments). The rest -- HELLO,
  // cipher 0, unknown senders -- take decode() in their turn below.
  rx_burst_.clear();
  uint64_t run_source = ~uint64_t(0);
  std::shared_ptr<const crypto::mb::PeerKeyset> run_keys;
  for (Staged& s : staged_) {
    const uint8_t* d = s.packet.data();
    const wire::Cipher c = wire::packet_cipher(d);
    if (c != wire::Cipher::kSalsa2012Poly1305 && c != wire::Cipher::kAesGmacSiv) continue;
    const uint64_t source = wire::packet_source(d);
    if (source != run_source) {
      run_source = source;
      Peer* p = peers_.find(source);
      run_keys = p ? p->burst_keyset() : nullptr;
    }
    if (!run_keys) continue;
    s.keys = run_keys;
    rx_burst_.push_back({s.packet.data(), uint32_t(s.packet.size()), s.keys.get()});
  }
  rx_verdicts_.resize(rx_burst_.size());
  if (!rx_burst_.empty()) {
    crypto::mb::dearmor_burst(rx_burst_, rx_verdicts_.data());
    ++m_.rx_bursts;
    m_.rx_burst_packets += rx_burst_.size();
  }
  // Dispatch in arrival order, each packet as decode() would.
  size_t k = 0;
  for (Staged& s : staged_) {
    if (s.keys)
      open_staged(s, rx_verdicts_[k++], now, out);
    else
      decode(s.from, s.packet, now, out);
  }
}

void Core::open_staged(Staged& s, crypto::DearmorResult verdict, uint64_t now, Actions& out) {
  switch (verdict) {
    case crypto::DearmorResult::kOk: break;
    case crypto::DearmorResult::kTooShort: count(Drop::runt); return;
    case crypto::DearmorResult::kBadMac: count(Drop::bad_mac); return;
    case crypto::DearmorResult::kUnsupportedCipher: count(Drop::bad_cipher); return;
  }
  // An earlier packet of the burst may have made us forget or re-key the
  // sender (a HELLO evicting it, an identity collision): this one was
  // authenticated under the old key, which no longer names anyone.
  Peer* p = peers_.find(wire::packet_source(s.packet.data()));
  if (!p || p->burst_keyset() != s.keys) {
    count(Drop::burst_key_changed);
    return;
  }
  const size_t wire_len = s.packet.size();
  if (inflate_packet(s.packet) != OpenStatus::kOk) {
    count(Drop::decompress);
    return;
  }
  if (packet_verb(s.packet.data()) == wire::Verb::kHello) {
    on_hello(s.from, s.packet, true, now, out);
    return;
  }
  dispatch(*p, s.from, s.packet, wire_len, now, out);
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
    role_->unknown_sender(from, packet, now, out);
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
  const uint64_t id = wire::packet_id(packet.data());
  std::span<const uint8_t> payload = packet_payload(packet);
  ++m_.rx_verb[size_t(verb) & 31];
  peers_.heard(p, now);

  // Paths (spec §8.1): a direct packet refreshes a path we know. A new
  // address is only believed after a round trip -- we HELLO it and learn it
  // from the OK -- so a replayed packet cannot move a peer's path.
  if (hops == 0) {
    const bool known = std::any_of(p.paths.begin(), p.paths.end(),
                                   [&](const Path& q) { return q.phys == from; });
    if (known) {
      peers_.heard_on(p, from, now, out);
    } else if (verb != wire::Verb::kOk &&
               now >= p.last_confirm_hello + cfg_.limits.confirm_path_interval_ms) {
      p.last_confirm_hello = now;
      sender_.hello(p.identity.address(), from, now, out);
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
      if (decode_error(payload, e) != DecodeStatus::kOk) {
        count(Drop::malformed);
      } else if (e.code == ErrorCode::kIdentityCollision && p.is_upstream()) {
        // Fatal for a leaf; the process glue decides what to do with the line.
        sender_.log(out, LogLevel::kError, now,
                    "upstream reports an identity collision for our address");
      } else if (is_vl2_reply(e.re.in_re_verb) || e.code == ErrorCode::kNeedMembershipCertificate ||
                 e.code == ErrorCode::kUnwantedMulticast) {
        Vl2Packet pk = vl2_packet(p, from, verb, id, hops);
        pk.kind = Vl2Packet::Kind::kError;
        pk.in_re_verb = e.re.in_re_verb;
        pk.in_re_packet_id = e.re.in_re_packet_id;
        pk.error_code = uint8_t(e.code);
        pk.payload = payload.subspan(std::min(payload.size(), kReplyHeaderLength + 1));
        to_member(pk, now, out);
      }
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
    case wire::Verb::kMulticastLike: {
      MulticastLike m;
      if (decode_multicast_like(payload, m) != DecodeStatus::kOk) {
        count(Drop::malformed);
      } else {
        role_->multicast_like(p, m, now);
        // A member keeps its peers' subscriptions too (stock's Multicaster).
        if (member_) {
          Vl2Packet pk = vl2_packet(p, from, verb, id, hops);
          pk.payload = payload;
          member_->packet(pk, now, out);
        }
      }
      break;
    }
    case wire::Verb::kFrame:
    case wire::Verb::kExtFrame:
    case wire::Verb::kMulticastFrame:
    case wire::Verb::kNetworkCredentials:
    case wire::Verb::kNetworkConfig: {
      Vl2Packet pk = vl2_packet(p, from, verb, id, hops);
      pk.payload = payload;
      to_member(pk, now, out);
      break;
    }
    case wire::Verb::kMulticastGather: {
      MulticastGather g;
      if (decode_multicast_gather(payload, g) != DecodeStatus::kOk)
        count(Drop::malformed);
      else
        role_->multicast_gather(p, from, g, id, now, out);
      break;
    }
    case wire::Verb::kNetworkConfigRequest:
      if (controller_) {
        Vl2Packet pk = vl2_packet(p, from, verb, id, hops);
        pk.payload = payload;
        controller_->packet(pk, now, out);
      } else {
        on_network_config_request(p, from, payload, id, now, out);
      }
      break;
    case wire::Verb::kPushDirectPaths: {
      PushDirectPaths pd;
      if (decode_push_direct_paths(payload, pd) != DecodeStatus::kOk)
        count(Drop::malformed);
      else
        role_->push_direct_paths(p, from, pd, now, out);
      break;
    }
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
      const Sender::Expect* sent = sender_.expected(re.in_re_packet_id, wire::Verb::kHello);
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
        peers_.heard_on(p, from, now, out);
        for (Path& q : p.paths)
          if (q.phys == from && ok.timestamp <= now) q.add_latency_sample(now - ok.timestamp);
        role_->external_address(p, ok.external);
      }
      if (round_trip) confirm_path(p, from, now, out);
      // Planet updates and moons (worlds.cpp).
      if (worlds_.take_worlds(p, from, ok.worlds, now, out)) role_->worlds_changed(out);
      break;
    }
    case wire::Verb::kWhois:
      on_ok_whois(p, payload, now, out);
      break;
    case wire::Verb::kEcho: {
      // The answer to a path challenge (Sender::challenge) only confirms it.
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
      const Sender::Expect* sent = sender_.expected(re.in_re_packet_id, wire::Verb::kEcho);
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
      // OK(NETWORK_CONFIG_REQUEST) carries a config chunk, OK(MULTICAST_GATHER)
      // subscribers, OK(MULTICAST_FRAME) a COM request and gathered members,
      // OK(NETWORK_CONFIG) a controller's acknowledgement: the member's.
      if (is_vl2_reply(re.in_re_verb)) {
        Vl2Packet pk = vl2_packet(p, from, wire::Verb::kOk, 0, hops);
        pk.kind = Vl2Packet::Kind::kOk;
        pk.in_re_verb = re.in_re_verb;
        pk.in_re_packet_id = re.in_re_packet_id;
        pk.payload = payload.subspan(std::min(payload.size(), kReplyHeaderLength));
        if (re.in_re_verb == wire::Verb::kNetworkConfig && controller_)
          controller_->packet(pk, now, out);
        else
          to_member(pk, now, out);
      }
      break;
  }
}

void Core::on_ok_whois(Peer& p, std::span<const uint8_t> payload, uint64_t now, Actions& out) {
  OkWhois ok;
  if (decode_ok_whois(payload, ok) != DecodeStatus::kOk) {
    count(Drop::malformed);
    return;
  }
  if (!p.is_upstream()) {
    count(Drop::not_upstream);
    return;
  }
  ReplyHeader re = ok.re;
  if (!sender_.expected(re.in_re_packet_id, wire::Verb::kWhois)) {
    count(Drop::unexpected_ok);
    return;
  }
  // Only the first identity is used, and an upstream is trusted not to
  // need the memory-hard check (spec §4.5).
  const crypto::Identity& id = ok.identities.front();
  if (id.address() == address() || peers_.find(id.address())) return;
  if (!peers_.learn(id, PeerRole::kLeaf, now, out)) return;
  // A moon seed we were looking for: ask it for the moon now.
  worlds_.learned(id.address(), now, out);
  // Packets held for this sender, decoded in arrival order.
  for (HeldPacket& h : role_->release(id.address())) decode(h.from, h.packet, now, out);
}

// ---- requests and upkeep -------------------------------------------------------------

void Core::relayed_pair(uint64_t source, uint64_t dest, uint64_t now, Actions& out) {
  role_->relayed_pair(source, dest, now, out);
  finish(now, out);
}

bool Core::send_hello(uint64_t to, const PhysicalPath& path, uint64_t now, Actions& out) {
  return sender_.hello(to, path, now, out);
}

bool Core::send_whois(uint64_t root, uint64_t address, uint64_t now, Actions& out) {
  return sender_.whois(root, address, now, out);
}

uint64_t Core::send_echo(uint64_t to, std::span<const uint8_t> payload, uint64_t now,
                         Actions& out) {
  return sender_.echo(to, payload, now, out);
}

void Core::hello_upstreams(int64_t local_socket, uint64_t now, Actions& out) {
  worlds_.hello_roots(local_socket, now, out);
  role_->upkeep(now, out);
  finish(now, out);
}

bool Core::restore_peer(const crypto::Identity& id, const PhysicalPath& path, uint64_t now,
                        Actions& out) {
  if (id.address() == address() || peers_.find(id.address())) return false;
  Peer* p = peers_.learn(id, PeerRole::kLeaf, now, out);
  if (!p) return false;
  if (!path.remote.is_null()) peers_.heard_on(*p, path, now, out);
  finish(now, out);
  return true;
}

Core::OrbitResult Core::orbit(uint64_t world_id, uint64_t seed, uint64_t now, Actions& out) {
  const OrbitResult r = worlds_.orbit(world_id, seed, now, out);
  finish(now, out);
  return r;
}

Core::OrbitResult Core::orbit(const wire::World& moon, uint64_t now, Actions& out) {
  bool changed = false;
  const OrbitResult r = worlds_.orbit(moon, now, out, &changed);
  if (changed) role_->worlds_changed(out);
  finish(now, out);
  return r;
}

bool Core::deorbit(uint64_t world_id, uint64_t now, Actions& out) {
  bool changed = false;
  const bool r = worlds_.deorbit(world_id, now, out, &changed);
  if (changed) role_->worlds_changed(out);
  finish(now, out);
  return r;
}

// ---- timers --------------------------------------------------------------------------

uint64_t Core::next_deadline(uint64_t now) {
  uint64_t t = std::min({timers_.next(), role_->next_deadline(), worlds_.next_seed_try(),
                         identity_gate_.next_deadline(now)});
  if (!outbox_.empty()) t = std::min(t, outbox_.oldest() + timers::kHeldMs);
  return std::max(t, now);
}

void Core::resync(uint64_t now, Actions& out) {
  role_->worlds_changed(out);
  peers_.announce_all(now, out);
  finish(now, out);
}

void Core::run_background(uint64_t now, Actions& out) {
  drain_identity_queue(now, out);
  if (timers_.due(Timer::kHousekeeping, now)) {
    peers_.expire(now, out);
    sender_.expire(now);
    role_->housekeeping(now);
    timers_.arm(Timer::kHousekeeping, now + cfg_.limits.housekeeping_ms);
  }
  reassembler_.expire(now);
  worlds_.seek_moons(now, out);
  role_->run(now, out);
  finish(now, out);
}

}  // namespace flatnet::control
