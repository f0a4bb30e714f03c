// Harness for the member tests: real Cores on the fake network of
// tests/unit/control/harness.hpp (a relaying root, members A and B, a
// controller node C) with a small controller written here -- it signs
// config chunks and COMs with the wire library, nothing from
// control/controller -- and frame builders for member MACs.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <set>

#include "control/port/addressing.hpp"
#include "control/vl2/frame_codec.hpp"
#include "control/vl2/member.hpp"
#include "dataplane/wire/config_chunk.hpp"
#include "dataplane/wire/config_request.hpp"
#include "tests/unit/control/harness.hpp"

namespace flatnet::control::vl2::test {

using control::test::Testnet;

inline const crypto::Identity& controller_identity() {
  static const crypto::Identity id = crypto::Identity::generate();
  return id;
}

// A controller for the tests: per network, who is authorized and what
// the config looks like; answers NETWORK_CONFIG_REQUEST with signed chunks
// (OK), OBJ_NOT_FOUND or NETWORK_ACCESS_DENIED.
struct TestController : Vl2Handler {
  struct Net {
    std::set<uint64_t> authorized;
    bool is_public = false;
    uint64_t multicast_limit = 32;
    uint64_t flags = wire::kConfigFlagEnableBroadcast;
    std::vector<wire::Rule> rules = {wire::Rule::action(wire::RuleType::kActionAccept)};
    std::vector<uint64_t> specialists;
    unsigned mtu = wire::kDefaultMtu;
    // Capabilities every member gets: id -> rules.
    std::map<uint32_t, std::vector<wire::Rule>> capabilities;
    // Tags every member gets: id -> value.
    std::map<uint32_t, uint32_t> tags;
    // Certificates of ownership: member address -> what one COO names.
    std::map<uint64_t, std::vector<wire::CooEntry>> owned;
    // Static IPs: member address -> addresses its config assigns.
    std::map<uint64_t, std::vector<wire::InetAddress>> static_ips;
  };
  Vl1Link* vl1 = nullptr;
  std::map<uint64_t, Net> nets;
  bool silent = false;      // record requests, answer nothing
  size_t requests = 0;
  uint64_t revision = 1;
  // Tamper with the chunks before sending (bad-input tests).
  std::function<void(std::vector<uint8_t>&)> tamper;
  // Tamper with the dictionary text before chunking.
  std::function<void(std::vector<uint8_t>&)> tamper_dict;

  wire::NetworkConfig config_for(uint64_t nwid, const crypto::Identity& member, uint64_t now) {
    const Net& n = nets.at(nwid);
    wire::NetworkConfig c;
    c.network_id = nwid;
    c.timestamp = now;
    c.credential_time_max_delta = wire::kDefaultCredentialTimeMaxDelta;
    c.revision = revision;
    c.issued_to = member.address();
    c.flags = n.flags;
    c.multicast_limit = n.multicast_limit;
    c.type = n.is_public ? wire::NetworkType::kPublic : wire::NetworkType::kPrivate;
    c.name = "testnet";
    c.mtu = n.mtu;
    c.rules = n.rules;
    c.specialists = n.specialists;
    for (const auto& [id, rules] : n.capabilities) {
      wire::Capability cap;
      cap.network_id = nwid;
      cap.timestamp = now;
      cap.id = id;
      cap.rules = rules;
      EXPECT_TRUE(wire::capability_sign(cap, controller_identity(), member.address()));
      c.capabilities.push_back(cap);
    }
    for (const auto& [id, value] : n.tags) {
      wire::Tag tag;
      tag.network_id = nwid;
      tag.timestamp = now;
      tag.id = id;
      tag.value = value;
      tag.issued_to = member.address();
      EXPECT_TRUE(wire::tag_sign(tag, controller_identity()));
      c.tags.push_back(tag);
    }
    if (auto it = n.static_ips.find(member.address()); it != n.static_ips.end()) c.static_ips = it->second;
    if (auto it = n.owned.find(member.address()); it != n.owned.end()) {
      wire::CertificateOfOwnership coo;
      coo.network_id = nwid;
      coo.timestamp = now;
      coo.id = 1;
      coo.issued_to = member.address();
      coo.things = it->second;
      EXPECT_TRUE(wire::coo_sign(coo, controller_identity()));
      c.coos.push_back(coo);
    }
    wire::CertificateOfMembership com = wire::CertificateOfMembership::issue(
        now, c.credential_time_max_delta, nwid, member);
    EXPECT_TRUE(wire::com_sign(com, controller_identity()));
    c.com = com;
    return c;
  }

  // The chunk payloads of a member's config.
  std::vector<std::vector<uint8_t>> chunks_for(uint64_t nwid, const crypto::Identity& member,
                                               uint64_t now, uint8_t flags = 0,
                                               size_t chunk_data = wire::kConfigChunkMaxData) {
    std::vector<uint8_t> dict;
    EXPECT_EQ(wire::encode_network_config(config_for(nwid, member, now), dict),
              wire::ConfigStatus::kOk);
    if (tamper_dict) tamper_dict(dict);
    return wire::make_config_chunks(nwid, dict, now | 1, controller_identity(), flags,
                                    chunk_data);
  }

  void packet(const Vl2Packet& pk, uint64_t now, Actions& out) override {
    if (pk.verb != wire::Verb::kNetworkConfigRequest) return;
    ++requests;
    if (silent) return;
    wire::ConfigRequest req;
    ASSERT_EQ(wire::decode_config_request(pk.payload, req), wire::RequestStatus::kOk);
    auto it = nets.find(req.network_id);
    if (it == nets.end()) {
      vl1->send_to(pk.source, wire::Verb::kError,
                   error_payload(pk.verb, pk.packet_id, ErrorCode::kObjNotFound, req.network_id),
                   now, out);
      return;
    }
    if (!it->second.is_public && !it->second.authorized.count(pk.source)) {
      vl1->send_to(pk.source, wire::Verb::kError,
                   error_payload(pk.verb, pk.packet_id, ErrorCode::kNetworkAccessDenied,
                                 req.network_id),
                   now, out);
      return;
    }
    for (auto& chunk : chunks_for(req.network_id, *pk.identity, now)) {
      if (tamper) tamper(chunk);
      vl1->send_to(pk.source, wire::Verb::kOk,
                   reply_payload(wire::Verb::kNetworkConfigRequest, pk.packet_id, chunk), now,
                   out);
    }
  }
};

// Root + A + B + controller C, each member with its Member.
struct MemberNet : Testnet {
  crypto::Identity c = controller_identity();
  wire::InetAddress c_at = control::test::v4(10, 99, 0, 13);
  uint64_t nwid = c.address() << 24 | 0x000001;
  TestController ctl;
  std::unique_ptr<Member> ma, mb;

  MemberNet() {
    net.relays.insert("root");
    Config cfg;
    cfg.identity = c;
    cfg.planet = planet;
    net.add("c", cfg, c_at, now);
    hello_roots("a");
    hello_roots("b");
    hello_roots("c");
    ctl.vl1 = &core("c");
    core("c").set_controller(&ctl);
    ma = std::make_unique<Member>(core("a"));
    mb = std::make_unique<Member>(core("b"));
    core("a").set_member(ma.get());
    core("b").set_member(mb.get());
    ctl.nets[nwid].authorized = {a.address(), b.address()};
  }
  Member& m(const std::string& n) { return n == "a" ? *ma : *mb; }

  void join(const std::string& n, uint64_t id = 0) {
    Actions out;
    m(n).join(id ? id : nwid, LocalSettings{}, now, out);
    net.pump(n, out, now);
  }
  void run(const std::string& n) {
    Actions out;
    m(n).run(now, out);
    net.pump(n, out, now);
  }
  void tap(const std::string& n, const std::vector<uint8_t>& frame, uint64_t id = 0) {
    Actions out;
    m(n).from_tap(id ? id : nwid, frame, now, out);
    net.pump(n, out, now);
  }
  std::vector<TapFrame> drain(const std::string& n) {
    MemberOutput o;
    m(n).drain(o);
    return o.to_tap;
  }
  NetworkStatus status(const std::string& n, uint64_t id = 0) {
    auto i = m(n).network(id ? id : nwid);
    EXPECT_TRUE(i.has_value());
    return i ? i->status : NetworkStatus::kPortError;
  }
  uint64_t mac(const crypto::Identity& who) const { return port::member_mac(who.address(), nwid); }
};

// A MATCH_TAGS_EQUAL rule: tag `id` equal to `value` on both sides.
inline wire::Rule tags_equal(uint32_t id, uint32_t value) {
  wire::Rule r;
  r.t = uint8_t(wire::RuleType::kMatchTagsEqual);
  r.tag_id = id;
  r.tag_value = value;
  return r;
}

inline std::vector<uint8_t> ether(uint64_t dst, uint64_t src, uint16_t type,
                                  const std::vector<uint8_t>& payload) {
  std::vector<uint8_t> f;
  for (int i = 5; i >= 0; --i) f.push_back(uint8_t(dst >> (8 * i)));
  for (int i = 5; i >= 0; --i) f.push_back(uint8_t(src >> (8 * i)));
  f.push_back(uint8_t(type >> 8));
  f.push_back(uint8_t(type));
  f.insert(f.end(), payload.begin(), payload.end());
  return f;
}

// An IPv4 TCP SYN to `dport` (10.1.2.3 -> 10.1.2.4).
inline std::vector<uint8_t> tcp_syn(uint16_t dport) {
  std::vector<uint8_t> l4{0x9c, 0x40, uint8_t(dport >> 8), uint8_t(dport), 0, 0, 0, 1, 0, 0, 0, 0,
                          0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0};
  std::vector<uint8_t> p{0x45, 0, 0, 40, 0x12, 0x34, 0x40, 0, 64, 6, 0, 0, 10, 1, 2, 3, 10, 1, 2, 4};
  p.insert(p.end(), l4.begin(), l4.end());
  return p;
}

// An ARP request from `sender_mac` for 10.1.2.<target>.
inline std::vector<uint8_t> arp_for(uint64_t sender_mac, uint8_t target) {
  std::vector<uint8_t> p{0, 1, 8, 0, 6, 4, 0, 1};
  for (int i = 5; i >= 0; --i) p.push_back(uint8_t(sender_mac >> (8 * i)));
  p.insert(p.end(), {10, 1, 2, 3, 0, 0, 0, 0, 0, 0, 10, 1, 2, target});
  return ether(0xffffffffffffULL, sender_mac, 0x0806, p);
}

}  // namespace flatnet::control::vl2::test
