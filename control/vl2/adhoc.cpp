#include "control/vl2/adhoc.hpp"

#include <string>

#include "control/port/addressing.hpp"
#include "control/vl2/rules_engine.hpp"

namespace flatnet::control::vl2 {
namespace {

// Stock's ZT_NETWORKCONFIG_DEFAULT_CREDENTIAL_TIME_MAX_MAX_DELTA.
constexpr uint64_t kAdhocCredentialDelta = 7'200'000;

wire::Rule rule(wire::RuleType t, uint8_t bits = 0) {
  wire::Rule r;
  r.t = uint8_t(uint8_t(t) | bits);
  return r;
}

wire::NetworkConfig base(uint64_t nwid, uint64_t self, uint64_t now) {
  wire::NetworkConfig c;
  c.network_id = nwid;
  c.timestamp = now;
  c.credential_time_max_delta = kAdhocCredentialDelta;
  c.revision = 1;
  c.issued_to = self;
  c.flags = wire::kConfigFlagNdpEmulation;
  c.mtu = wire::kDefaultMtu;
  c.type = wire::NetworkType::kPublic;
  return c;
}

std::string hex4(uint16_t v) {
  static const char* hx = "0123456789abcdef";
  std::string s;
  for (int i = 3; i >= 0; --i) s += hx[(v >> (4 * i)) & 15];
  return s;
}

}  // namespace

std::optional<wire::NetworkConfig> adhoc_config(uint64_t nwid, uint64_t self, uint64_t now) {
  using T = wire::RuleType;
  if (!is_adhoc(nwid)) return std::nullopt;
  if ((nwid & 0xffffff) == 0) {
    // ffSSSSEEEE000000: IPv6 only, TCP/UDP to ports SSSS..EEEE, replies.
    const uint16_t start = uint16_t(nwid >> 40), end = uint16_t(nwid >> 24);
    if (end < start) return std::nullopt;
    wire::NetworkConfig c = base(nwid, self, now);
    c.multicast_limit = 0;
    c.static_ips.push_back(port::sixplane_address(nwid, self));
    wire::Rule r = rule(T::kMatchEthertype, wire::kRuleNot);
    r.ethertype = 0x86dd;
    c.rules.push_back(r);
    c.rules.push_back(rule(T::kActionDrop));
    r = rule(T::kMatchIpProtocol);
    r.ip_protocol = 0x3a;
    c.rules.push_back(r);
    c.rules.push_back(rule(T::kActionAccept));
    r = rule(T::kMatchIpProtocol);
    r.ip_protocol = 0x11;
    c.rules.push_back(r);
    r = rule(T::kMatchIpProtocol, wire::kRuleOr);
    r.ip_protocol = 0x06;
    c.rules.push_back(r);
    r = rule(T::kMatchIpDestPortRange);
    r.range = {start, end};
    c.rules.push_back(r);
    c.rules.push_back(rule(T::kActionAccept));
    r = rule(T::kMatchCharacteristics, wire::kRuleNot);
    r.characteristics = ::flatnet::vl2::kCharTcpFlagSyn;
    c.rules.push_back(r);
    c.rules.push_back(rule(T::kActionAccept));
    r = rule(T::kMatchCharacteristics);
    r.characteristics = ::flatnet::vl2::kCharTcpFlagSyn;
    c.rules.push_back(r);
    r.characteristics = ::flatnet::vl2::kCharTcpFlagAck;
    c.rules.push_back(r);
    c.rules.push_back(rule(T::kActionAccept));
    c.rules.push_back(rule(T::kActionDrop));
    c.name = "adhoc-" + hex4(start) + "-" + hex4(end);
    return c;
  }
  if ((nwid & 0xff) == 0x01) {
    // ffAAaaaaaaaaaa01: accept-all, AA.x.y.z/8 from our address, 6plane.
    const uint64_t hub = (nwid >> 8) & 0xffffffffffULL;
    const uint8_t ip[4] = {uint8_t(nwid >> 48), uint8_t(self >> 16), uint8_t(self >> 8),
                           uint8_t(self)};
    wire::NetworkConfig c = base(nwid, self, now);
    c.multicast_limit = 1024;
    if (hub) c.specialists.push_back(hub);
    c.static_ips.push_back(port::sixplane_address(nwid, self));
    c.static_ips.push_back(wire::InetAddress::v4(ip, 8));
    c.rules.push_back(rule(T::kActionAccept));
    c.name = "adhoc-" + std::to_string(ip[0]) + ".0.0.0";
    return c;
  }
  return std::nullopt;
}

}  // namespace flatnet::control::vl2
