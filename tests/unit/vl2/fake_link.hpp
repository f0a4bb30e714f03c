// A Vl1Link that records what the member sends, for tests that need many
// peers (1,000 subscribers) or raw packets without a network: identities
// are looked up in a map, nothing is delivered.
#pragma once

#include <map>
#include <vector>

#include "control/core/vl2_hook.hpp"
#include "control/vl2/member.hpp"
#include "crypto/identity.hpp"
#include "dataplane/wire/network_config.hpp"

namespace flatnet::control::vl2::test {

struct FakeLink final : Vl1Link {
  explicit FakeLink(crypto::Identity me_) : me(std::move(me_)) { known.emplace(me.address(), me); }
  struct Sent {
    uint64_t to;
    wire::Verb verb;
    std::vector<uint8_t> payload;
  };
  crypto::Identity me;
  std::map<uint64_t, crypto::Identity> known;
  std::vector<uint64_t> ups;
  std::vector<Sent> sent;
  std::vector<uint64_t> wanted;
  uint64_t next_id = 1;

  const crypto::Identity& self() const override { return me; }
  uint64_t send_to(uint64_t to, wire::Verb verb, std::span<const uint8_t> payload, uint64_t,
                   Actions&) override {
    sent.push_back({to, verb, {payload.begin(), payload.end()}});
    return next_id++;
  }
  const crypto::Identity* identity_of(uint64_t a) const override {
    auto it = known.find(a);
    return it == known.end() ? nullptr : &it->second;
  }
  void want_identity(uint64_t a, uint64_t, Actions&) override { wanted.push_back(a); }
  const std::vector<uint64_t>& upstreams() const override { return ups; }
  bool direct_path_to(uint64_t, uint64_t) const override { return false; }
  // Peers with a measured direct path (for the replicator choice).
  std::map<uint64_t, uint32_t> latency;
  std::optional<uint32_t> direct_latency(uint64_t a, uint64_t) const override {
    auto it = latency.find(a);
    return it == latency.end() ? std::nullopt : std::optional<uint32_t>(it->second);
  }

  size_t count(wire::Verb v) const {
    size_t n = 0;
    for (const auto& s : sent) n += s.verb == v;
    return n;
  }
};

// A packet as the core would hand it to the member.
inline Vl2Packet request(uint64_t from, const crypto::Identity* id, wire::Verb verb,
                         std::span<const uint8_t> payload, uint64_t packet_id = 77) {
  Vl2Packet pk;
  pk.kind = Vl2Packet::Kind::kRequest;
  pk.source = from;
  pk.identity = id;
  pk.verb = verb;
  pk.packet_id = packet_id;
  pk.payload = payload;
  return pk;
}
inline Vl2Packet ok_reply(uint64_t from, const crypto::Identity* id, wire::Verb in_re,
                          std::span<const uint8_t> payload) {
  Vl2Packet pk = request(from, id, wire::Verb::kOk, payload);
  pk.kind = Vl2Packet::Kind::kOk;
  pk.in_re_verb = in_re;
  return pk;
}

}  // namespace flatnet::control::vl2::test
