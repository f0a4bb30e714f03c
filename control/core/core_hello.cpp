// HELLO handling (spec §4.2, §7.5, §7.6). A HELLO from an address we know
// with the identity we know costs one MAC check with the stored keys; one
// carrying an identity we have not seen goes through the IdentityGate
// (identity_gate.hpp) before the costly checks.
#include <algorithm>
#include <string>

#include "control/core/core.hpp"
#include "crypto/armor.hpp"

namespace flatnet::control {

void Core::on_hello(const PhysicalPath& from, std::vector<uint8_t>& packet, bool authenticated,
                    uint64_t now, Actions& out) {
  Hello h;
  size_t tail = 0;
  if (decode_hello(packet_payload(packet), h, &tail) != DecodeStatus::kOk) {
    count(Drop::malformed);
    return;
  }
  if (h.version.proto < wire::kProtoVersionMin) {
    count(Drop::hello_version);
    return;
  }
  const uint64_t source = wire::packet_source(packet.data());
  if (h.identity.address() != source) {
    count(Drop::hello_address_mismatch);
    return;
  }
  Peer* p = peers_.find(source);
  if (p && p->identity == h.identity) {
    // Known identity: the stored key decides, no new agreement (cheap path).
    if (!authenticated && crypto::dearmor(packet, *p->keys) != crypto::DearmorResult::kOk) {
      count(Drop::bad_mac);
      return;
    }
    accept_hello(*p, h, tail, from, packet, now, out);
    return;
  }
  if (authenticated) {  // cannot happen: an authenticated packet came from a known peer
    count(Drop::bad_mac);
    return;
  }
  // New identity, or a different identity claiming a known address: both
  // need costly work, so both go through the gates.
  if (identity_gate_.admit(from, packet, now)) check_new_identity(from, packet, now, out);
}

void Core::drain_identity_queue(uint64_t now, Actions& out) {
  for (IdentityGate::Waiting& w : identity_gate_.due(now))
    check_new_identity(w.from, w.packet, now, out);
}

// Runs with one unit of the global budget already taken.
void Core::check_new_identity(const PhysicalPath& from, std::vector<uint8_t>& packet, uint64_t now,
                              Actions& out) {
  Hello h;
  size_t tail = 0;
  if (decode_hello(packet_payload(packet), h, &tail) != DecodeStatus::kOk) {
    count(Drop::malformed);
    return;
  }
  const uint64_t source = h.identity.address();
  Peer* known = peers_.find(source);
  if (known && known->identity == h.identity) {
    // Learned while this HELLO waited in the queue.
    on_hello(from, packet, false, now, out);
    return;
  }
  crypto::SharedKey key;
  ++m_.key_agreements;
  if (!cfg_.identity.agree(h.identity, key)) {
    count(Drop::identity_invalid);
    return;
  }
  auto keys = std::make_unique<crypto::PeerKeys>(key);
  if (crypto::dearmor(packet, *keys) != crypto::DearmorResult::kOk) {
    count(Drop::bad_mac);
    return;
  }
  if (known) {
    // Address collision (spec §4.2): the MAC proves the sender holds the
    // new key; tell it, never replace the identity we hold.
    count(Drop::identity_collision);
    answer_collision(h.identity, std::move(keys), from, wire::packet_id(packet.data()), now, out);
    return;
  }
  ++m_.identity_checks;
  if (!h.identity.locally_validate()) {
    count(Drop::identity_invalid);
    sender_.log(out, LogLevel::kInfo, now,
        "HELLO from " + from.remote.to_string() + ": identity " + h.identity.address_string() +
            " fails the memory-hard check");
    return;
  }
  Peer* p = peers_.add(h.identity, std::move(keys), PeerRole::kLeaf, now, out);
  if (!p) return;
  sender_.log(out, LogLevel::kDebug, now,
      "peer " + h.identity.address_string() + " learned from " + from.remote.to_string());
  accept_hello(*p, h, tail, from, packet, now, out);
}

void Core::accept_hello(Peer& p, const Hello& hello, size_t tail, const PhysicalPath& from,
                        std::vector<uint8_t>& packet, uint64_t now, Actions& out) {
  // A HELLO older than the last one accepted is a replay (or a peer whose
  // clock went back); it must not move the peer's path.
  if (p.hello_done && hello.timestamp < p.last_hello_timestamp) {
    count(Drop::hello_stale);
    return;
  }
  Hello h = hello;
  if (tail != 0) {
    crypto::hello_crypt_field(p.keys->key48(), packet, wire::kIdxPayload + tail);
    if (decode_hello_moons(packet_payload(packet), tail, h) != DecodeStatus::kOk) {
      count(Drop::malformed);
      return;
    }
  }
  ++m_.rx_verb[size_t(wire::Verb::kHello)];
  // Only the key holder can make a HELLO newer than the last one we took,
  // so such a HELLO may teach us a new path directly. One merely as new
  // (a copy sent from another of the peer's sockets -- or a replay of the
  // latest) has to prove the address by a round trip first.
  const bool fresh = !p.hello_done || h.timestamp > p.last_hello_timestamp;
  p.last_hello_timestamp = h.timestamp;

  OkHello ok;
  ok.re = ReplyHeader{wire::Verb::kHello, wire::packet_id(packet.data())};
  ok.timestamp = h.timestamp;
  ok.version = cfg_.version;
  ok.external = from.remote;
  if (h.version.proto < 5) ok.external.port = 0;  // as stock does for very old peers
  ok.worlds = worlds_.worlds_for(h, m_);
  PacketBuilder b(p.identity.address(), address(), wire::Verb::kOk, random_packet_id());
  encode_ok_hello(ok, b.payload());
  // The suite is chosen before the version is recorded, so the OK answering
  // a first HELLO is cipher 1 and later ones cipher 3 -- as stock does.
  if (sender_.send(p, b, from, now, out)) ++m_.hello_answered;

  p.version = h.version;
  p.version_known = true;
  peers_.mark_hello_done(p, now);
  if (wire::packet_hops(packet.data()) != 0) return;
  bool known = std::any_of(p.paths.begin(), p.paths.end(),
                           [&](const Path& q) { return q.phys == from; });
  if (known || fresh) {
    peers_.heard_on(p, from, now, out);
    role_->hello_accepted(p, from, now, out);
  } else if (now >= p.last_confirm_hello + cfg_.limits.confirm_path_interval_ms) {
    p.last_confirm_hello = now;
    sender_.hello(p.identity.address(), from, now, out);
  }
}

void Core::answer_collision(const crypto::Identity& id, std::unique_ptr<crypto::PeerKeys> keys,
                            const PhysicalPath& from, uint64_t in_re, uint64_t now, Actions& out) {
  Error e;
  e.re = ReplyHeader{wire::Verb::kHello, in_re};
  e.code = ErrorCode::kIdentityCollision;
  PacketBuilder b(id.address(), address(), wire::Verb::kError, random_packet_id());
  encode_error(e, b.payload());
  // Cipher 1 with the colliding node's own key: it cannot derive AES keys
  // from ours (the stock quirk the spec warns about in §4.2).
  auto datagrams = b.seal(*keys, crypto::Suite::kSalsa2012Poly1305);
  for (auto& d : datagrams) {
    out.send.push_back(SendDatagram{from, std::move(d), 0});
    ++m_.tx_datagrams;
  }
  sender_.log(out, LogLevel::kWarn, now,
              "identity collision: " + from.remote.to_string() + " claims " + id.address_string());
}

}  // namespace flatnet::control
