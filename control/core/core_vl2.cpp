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
                       std::span<const uint8_t> payload, uint64_t now, Actions& out) {
  const Path* path = peers_.route(p, now);
  if (!path) {
    count(Drop::outbox_no_route);
    return 0;
  }
  const PhysicalPath via = path->phys;
  PacketBuilder b(p.identity.address(), address(), verb, packet_id);
  b.payload().bytes(payload);
  const uint64_t id = sender_.send(p, b, via, now, out);
  if (id) ++m_.vl2_sent;
  return id;
}

uint64_t Core::send_to(uint64_t to, wire::Verb verb, std::span<const uint8_t> payload,
                       uint64_t now, Actions& out) {
  to &= wire::kAddressMask;
  if (to == address()) return 0;
  const uint64_t id = random_packet_id();
  if (Peer* p = peers_.find(to)) return seal_to(*p, verb, id, payload, now, out);
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
    if (Peer* p = peers_.find(e.to)) seal_to(*p, e.verb, e.packet_id, e.payload, now, out);
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

}  // namespace flatnet::control
