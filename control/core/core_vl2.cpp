// The core's side of VL2 (vl2_hook.hpp): handing VL2 verbs to the member and
// sending on behalf of the member and the controller.
#include <algorithm>

#include "control/core/core.hpp"

namespace flatnet::control {

void Core::to_member(Vl2Packet& pk, uint64_t now, Actions& out) {
  if (!member_) {
    count(Drop::no_vl2_handler);
    return;
  }
  member_->packet(pk, now, out);
}

uint64_t Core::seal_to(Peer& p, wire::Verb verb, uint64_t packet_id,
                       std::span<const uint8_t> head, std::span<const uint8_t> body, uint64_t now,
                       Actions& out) {
  const Path* path = peers_.route(p, now);
  if (!path) {
    count(Drop::outbox_no_route);
    return 0;
  }
  const PhysicalPath via = path->phys;
  PacketBuilder b(p.identity.address(), address(), verb, packet_id, head.size() + body.size());
  b.payload().bytes(head);
  b.payload().bytes(body);
  // Frames (the bulk) wait for this turn's burst; so does anything whose
  // wire ID is known before armor (suites 0/1). Other suite-3 packets are
  // sealed now: what an OK will quote is their SIV, only known after armor.
  const crypto::Suite suite = p.suite();
  const bool frame = verb == wire::Verb::kFrame || verb == wire::Verb::kExtFrame ||
                     verb == wire::Verb::kMulticastFrame;
  const uint64_t id = cfg_.burst_crypto && (frame || suite != crypto::Suite::kAesGmacSiv)
                          ? sender_.queue(p, b, via, suite, now)
                          : sender_.send(p, b, via, suite, now, out);
  if (id) ++m_.vl2_sent;
  return id;
}

uint64_t Core::send_to(uint64_t to, wire::Verb verb, std::span<const uint8_t> payload,
                       uint64_t now, Actions& out) {
  to &= wire::kAddressMask;
  if (to == address()) return deliver_locally(verb, payload, now, out);
  const uint64_t id = random_packet_id();
  if (Peer* p = peers_.find(to)) return seal_to(*p, verb, id, payload, {}, now, out);
  const unsigned pushed = outbox_.hold(
      OutboxEntry{to, verb, id, std::vector<uint8_t>(payload.begin(), payload.end()), now});
  m_.drops[size_t(Drop::outbox_full)] += pushed;
  ++m_.outbox_held;
  sender_.ask_upstream(to, 0, now, out);
  return id;
}

void Core::flush_outbox(uint64_t now, Actions& out) {
  unsigned expired = 0;
  auto ready = outbox_.take([&](uint64_t a) { return peers_.find(a) != nullptr; }, now,
                            timers::kHeldMs, &expired);
  m_.drops[size_t(Drop::outbox_expired)] += expired;
  for (OutboxEntry& e : ready)
    if (Peer* p = peers_.find(e.to)) seal_to(*p, e.verb, e.packet_id, e.payload, {}, now, out);
}

uint64_t Core::send_parts_to(uint64_t to, wire::Verb verb, std::span<const uint8_t> head,
                             std::span<const uint8_t> body, uint64_t now, Actions& out) {
  to &= wire::kAddressMask;
  // A known peer (a frame's usual case): straight into the packet. Held
  // or local packets need the payload in one piece anyway.
  Peer* p = to == address() ? nullptr : peers_.find(to);
  if (!p) return Vl1Link::send_parts_to(to, verb, head, body, now, out);
  return seal_to(*p, verb, random_packet_id(), head, body, now, out);
}

uint64_t Core::deliver_locally(wire::Verb verb, std::span<const uint8_t> payload, uint64_t now,
                               Actions& out) {
  // Depth 1 is a request to our controller or a frame/reply to our member;
  // a handler answering in the same call makes depth 2. Deeper would be a
  // loop between the two.
  if (local_depth_ >= 2) return 0;
  ++local_depth_;
  const uint64_t id = random_packet_id();
  Vl2Packet pk;
  pk.source = address();
  pk.identity = &cfg_.identity;
  pk.verb = verb;
  pk.packet_id = id;
  pk.payload = payload;
  if (verb == wire::Verb::kNetworkConfigRequest) {
    if (controller_) controller_->packet(pk, now, out);
    else count(Drop::no_vl2_handler);
  } else if (verb == wire::Verb::kOk || verb == wire::Verb::kError) {
    ReplyHeader re;
    if (decode_reply_header(payload, re) == DecodeStatus::kOk) {
      pk.kind = verb == wire::Verb::kOk ? Vl2Packet::Kind::kOk : Vl2Packet::Kind::kError;
      pk.in_re_verb = re.in_re_verb;
      pk.in_re_packet_id = re.in_re_packet_id;
      size_t skip = kReplyHeaderLength;
      if (verb == wire::Verb::kError && payload.size() > skip) {
        pk.error_code = payload[skip];
        ++skip;
      }
      pk.payload = payload.subspan(std::min(payload.size(), skip));
      if (pk.kind == Vl2Packet::Kind::kOk && re.in_re_verb == wire::Verb::kNetworkConfig &&
          controller_)
        controller_->packet(pk, now, out);
      else
        to_member(pk, now, out);
    } else {
      count(Drop::malformed);
    }
  } else {
    to_member(pk, now, out);
  }
  --local_depth_;
  return id;
}

void Core::want_identity(uint64_t address_, uint64_t now, Actions& out) {
  if (address_ == address() || peers_.find(address_)) return;
  sender_.ask_upstream(address_, 0, now, out);
}

const crypto::Identity* Core::identity_of(uint64_t address_) const {
  if (address_ == address()) return &cfg_.identity;
  const Peer* p = peers_.find(address_);
  return p ? &p->identity : nullptr;
}

bool Core::direct_path_to(uint64_t to, uint64_t now) const {
  const Peer* p = peers_.find(to);
  return p && peers_.live_path(*p, now) != nullptr;
}

bool Core::can_send_to(uint64_t to, uint64_t now) const {
  const Peer* p = peers_.find(to & wire::kAddressMask);
  if (p) return peers_.route(*p, now) != nullptr;
  const Peer* up = peers_.freshest_upstream(0);
  return up && peers_.path_to(*up, now) != nullptr;
}

std::optional<uint32_t> Core::direct_latency(uint64_t to, uint64_t now) const {
  const Peer* p = peers_.find(to);
  if (!p || now >= p->last_receive + cfg_.limits.peer_timeout_ms) return std::nullopt;
  const Path* path = peers_.path_to(*p, now);
  if (!path || path->latency == Path::kLatencyUnknown) return std::nullopt;
  return path->latency;
}

}  // namespace flatnet::control
