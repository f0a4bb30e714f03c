// Packets the core originates. See sender.hpp.
#include "control/core/sender.hpp"

#include <algorithm>

#include "control/core/worlds.hpp"
#include "crypto/armor.hpp"

namespace flatnet::control {

Sender::Sender(const Config& cfg, Peers& peers, const Worlds& worlds, Metrics& m)
    : cfg_(cfg),
      peers_(peers),
      worlds_(worlds),
      m_(m),
      log_budget_(cfg.limits.log_lines_per_second, cfg.limits.log_lines_per_second),
      whois_forward_budget_(cfg.limits.whois_forward_per_second,
                            cfg.limits.whois_forward_per_second),
      whois_forward_gate_(cfg.limits.whois_forward_addresses,
                          cfg.limits.whois_forward_interval_ms,
                          cfg.limits.whois_forward_interval_ms * 10) {}

uint64_t Sender::send(Peer& p, PacketBuilder& b, const PhysicalPath& path, crypto::Suite suite,
                      uint64_t now, Actions& out) {
  flush(out);
  auto datagrams = b.seal(*p.keys, suite);
  if (datagrams.empty()) {
    ++m_.drops[size_t(Drop::reply_too_large)];
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

uint64_t Sender::queue(Peer& p, PacketBuilder& b, const PhysicalPath& path, crypto::Suite suite,
                       uint64_t now) {
  std::vector<uint8_t> bytes = b.take_unsealed();
  if (bytes.empty()) {
    ++m_.drops[size_t(Drop::reply_too_large)];
    return 0;
  }
  const uint64_t id = wire::packet_id(bytes.data());
  pending_.push_back(Unsealed{std::move(bytes), p.burst_keyset(), suite, wire::kDefaultPhysMtu});
  pending_to_.push_back(path);
  for (Path& q : p.paths)
    if (q.phys == path) q.last_send = now;
  return id;
}

void Sender::flush(Actions& out) {
  if (pending_.empty()) return;
  armor_packets(pending_);
  ++m_.tx_bursts;
  m_.tx_burst_packets += pending_.size();
  for (size_t i = 0; i < pending_.size(); ++i) {
    for (auto& d : split_sealed(std::move(pending_[i].bytes), pending_[i].mtu)) {
      out.send.push_back(SendDatagram{pending_to_[i], std::move(d), 0});
      ++m_.tx_datagrams;
    }
  }
  pending_.clear();
  pending_to_.clear();
}

bool Sender::hello(uint64_t to, const PhysicalPath& path, uint64_t now, Actions& out) {
  Peer* p = peers_.find(to);
  if (!p) return false;
  Hello h;
  h.version = cfg_.version;
  h.timestamp = now;
  h.identity = cfg_.identity;
  h.destination = path.remote;
  worlds_.hello_fields(h);
  PacketBuilder b(to, cfg_.identity.address(), wire::Verb::kHello, random_packet_id());
  size_t tail = 0;
  encode_hello(h, b.payload(), &tail);
  // The moon list is encrypted before the MAC is computed (pitfall 4).
  if (tail != 0) crypto::hello_crypt_field(p->keys->key48(), b.bytes(), wire::kIdxPayload + tail);
  const uint64_t id = send(*p, b, path, crypto::Suite::kPoly1305, now, out);
  if (id) expect(id, wire::Verb::kHello, path);
  return id != 0;
}

bool Sender::whois(uint64_t root, uint64_t address, uint64_t now, Actions& out) {
  Peer* p = peers_.find(root);
  const Path* path = p ? peers_.path_to(*p, now) : nullptr;
  if (!path) return false;
  const PhysicalPath via = path->phys;
  PacketBuilder b(root, cfg_.identity.address(), wire::Verb::kWhois, random_packet_id());
  encode_whois(Whois{{address}}, b.payload());
  const uint64_t id = send(*p, b, via, now, out);
  if (id) expect(id, wire::Verb::kWhois, via);
  return id != 0;
}

uint64_t Sender::echo(uint64_t to, std::span<const uint8_t> payload, uint64_t now,
                      Actions& out) {
  Peer* p = peers_.find(to);
  const Path* path = p ? peers_.route(*p, now) : nullptr;
  if (!path) return 0;
  const PhysicalPath via = path->phys;
  PacketBuilder b(to, cfg_.identity.address(), wire::Verb::kEcho, random_packet_id());
  b.payload().bytes(payload);
  const uint64_t id = send(*p, b, via, now, out);
  if (id) expect(id, wire::Verb::kEcho, via);
  return id;
}

uint64_t Sender::echo_on(Peer& p, const PhysicalPath& path, uint64_t now, Actions& out) {
  PacketBuilder b(p.identity.address(), cfg_.identity.address(), wire::Verb::kEcho,
                  random_packet_id());
  const uint64_t id = send(p, b, path, now, out);
  if (id) expect(id, wire::Verb::kEcho, path);
  return id;
}

void Sender::challenge(Peer& p, const PhysicalPath& path, uint64_t now, Actions& out) {
  auto q = std::find_if(p.paths.begin(), p.paths.end(),
                        [&](const Path& x) { return x.phys == path; });
  if (q == p.paths.end() || q->confirmed) return;
  if (q->challenge_sent != 0 && now < q->challenge_sent + cfg_.limits.confirm_path_interval_ms)
    return;
  PacketBuilder b(p.identity.address(), cfg_.identity.address(), wire::Verb::kEcho,
                  random_packet_id());
  const uint64_t id = send(p, b, path, now, out);
  if (!id) return;
  q->challenge_id = id;
  q->challenge_sent = now;
  ++m_.path_challenges;
}

void Sender::ask_upstream(uint64_t address, uint64_t requester, uint64_t now, Actions& out) {
  const Peer* best = peers_.freshest_upstream(requester);
  if (!best) return;
  if (whois_forward_budget_.available_at(now) > now ||
      whois_forward_gate_.check(address, 0, now) != PairGate::Result::kAllow) {
    ++m_.whois_forward_limited;
    return;
  }
  whois_forward_budget_.take(now);
  if (whois(best->identity.address(), address, now, out)) ++m_.whois_forwarded;
}

void Sender::expect(uint64_t packet_id, wire::Verb verb, const PhysicalPath& to) {
  expect_[expect_next_] = Expect{packet_id, verb, to};
  expect_next_ = (expect_next_ + 1) % expect_.size();
}

const Sender::Expect* Sender::expected(uint64_t packet_id, wire::Verb verb) const {
  auto it = std::find_if(expect_.begin(), expect_.end(), [&](const Expect& e) {
    return e.id == packet_id && e.verb == verb && e.id != 0;
  });
  return it == expect_.end() ? nullptr : &*it;
}

void Sender::log(Actions& out, LogLevel level, uint64_t now, std::string text) {
  if (!log_budget_.take(now)) {
    ++m_.drops[size_t(Drop::log_suppressed)];
    return;
  }
  out.log.push_back(LogLine{level, now, std::move(text)});
}

}  // namespace flatnet::control
