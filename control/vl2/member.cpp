// The member's public face: joining and leaving, the dispatch of VL2
// packets, timers, and what the host reads back. The work is in
// config_fetch.cpp, credentials.cpp, member_frames.cpp and
// member_multicast.cpp.
#include "control/vl2/member.hpp"

#include <algorithm>

#include "control/port/addressing.hpp"
#include "crypto/identity.hpp"

namespace flatnet::control::vl2 {

const char* to_string(NetworkStatus s) {
  switch (s) {
    case NetworkStatus::kRequestingConfiguration: return "REQUESTING_CONFIGURATION";
    case NetworkStatus::kOk: return "OK";
    case NetworkStatus::kAccessDenied: return "ACCESS_DENIED";
    case NetworkStatus::kNotFound: return "NOT_FOUND";
    case NetworkStatus::kPortError: return "PORT_ERROR";
    case NetworkStatus::kClientTooOld: return "CLIENT_TOO_OLD";
    case NetworkStatus::kAuthenticationRequired: return "AUTHENTICATION_REQUIRED";
  }
  return "UNKNOWN";
}

Member::Member(Vl1Link& vl1)
    : vl1_(vl1), rule_random_(vl1.self().address() ^ 0x5eed), rng_(vl1.self().address()) {}

uint64_t Member::self() const { return vl1_.self().address(); }

Network* Member::find(uint64_t nwid) {
  auto it = networks_.find(nwid);
  return it == networks_.end() ? nullptr : &it->second;
}
const Network* Member::find(uint64_t nwid) const {
  auto it = networks_.find(nwid);
  return it == networks_.end() ? nullptr : &it->second;
}

void Member::send(uint64_t to, wire::Verb verb, std::span<const uint8_t> payload, Ctx& c) {
  vl1_.send_to(to, verb, payload, c.now, c.out);
}

// Stock's Network::_status(): a controller's refusal wins over a config
// held from before, so a de-authorized member shows ACCESS_DENIED.
NetworkStatus Member::status(const Network& n) const {
  if (n.port_error) return NetworkStatus::kPortError;
  switch (n.failure) {
    case Failure::kAccessDenied: return NetworkStatus::kAccessDenied;
    case Failure::kNotFound: return NetworkStatus::kNotFound;
    case Failure::kAuthenticationRequired: return NetworkStatus::kAuthenticationRequired;
    case Failure::kNone: break;
  }
  return n.config ? NetworkStatus::kOk : NetworkStatus::kRequestingConfiguration;
}

void Member::status_changed(const Network& n, NetworkStatus before) {
  if (status(n) != before) pending_.events.push_back({MemberEvent::Kind::kStatus, n.nwid});
}

bool Member::join(uint64_t nwid, const LocalSettings& s, uint64_t now, Actions& out) {
  if (nwid == 0) return false;
  if (Network* n = find(nwid)) {
    n->settings = s;
    return false;
  }
  Network& n =
      networks_.try_emplace(nwid, nwid, port::member_mac(self(), nwid)).first->second;
  n.settings = s;
  pending_.events.push_back({MemberEvent::Kind::kStatus, nwid});
  Ctx c{now, out};
  request_config(n, c);
  n.next_check = now + kConfigCheckMs;
  return true;
}

bool Member::leave(uint64_t nwid, uint64_t, Actions&) {
  if (networks_.erase(nwid) == 0) return false;
  pending_.events.push_back({MemberEvent::Kind::kStatus, nwid});
  return true;
}

bool Member::restore(uint64_t nwid, std::span<const uint8_t> bytes, uint64_t now) {
  if (nwid == 0) return false;
  Network& n =
      networks_.try_emplace(nwid, nwid, port::member_mac(self(), nwid)).first->second;
  n.next_check = now;  // refresh at the next run(), as stock re-requests a saved config
  wire::NetworkConfig cfg;
  if (wire::decode_network_config(bytes, cfg) != wire::ConfigStatus::kOk) return false;
  if (!apply_config(n, std::move(cfg), {bytes.begin(), bytes.end()}, now)) return false;
  n.last_config_update = 0;  // stock: still re-request, it is likely outdated
  return true;
}

bool Member::set_settings(uint64_t nwid, const LocalSettings& s) {
  Network* n = find(nwid);
  if (!n) return false;
  n->settings = s;
  pending_.events.push_back({MemberEvent::Kind::kConfig, nwid});
  return true;
}

bool Member::set_port_error(uint64_t nwid, bool error) {
  Network* n = find(nwid);
  if (!n) return false;
  const NetworkStatus before = status(*n);
  n->port_error = error;
  status_changed(*n, before);
  return true;
}

void Member::packet(const Vl2Packet& pk, uint64_t now, Actions& out) {
  Ctx c{now, out};
  using V = wire::Verb;
  switch (pk.kind) {
    case Vl2Packet::Kind::kRequest:
      switch (pk.verb) {
        case V::kFrame: return on_frame(pk, c);
        case V::kExtFrame: return on_ext_frame(pk, c);
        case V::kMulticastFrame: return on_multicast_frame(pk, c);
        case V::kNetworkCredentials: return on_credentials(pk, c);
        case V::kNetworkConfig: return on_config_chunk(pk, true, c);
        case V::kMulticastLike: return on_multicast_like(pk, c);
        default: counters_.drop(Vl2Drop::unexpected_reply); return;
      }
    case Vl2Packet::Kind::kOk:
      switch (pk.in_re_verb) {
        case V::kNetworkConfigRequest: return on_config_chunk(pk, false, c);
        case V::kMulticastGather:
        case V::kMulticastFrame: return on_gather_result(pk, c);
        default: return;  // OK(EXT_FRAME), OK(NETWORK_CONFIG): nothing to do
      }
    case Vl2Packet::Kind::kError:
      if (pk.error_code == uint8_t(ErrorCode::kNeedMembershipCertificate))
        return on_need_credentials(pk, c);
      if (pk.error_code == uint8_t(ErrorCode::kUnwantedMulticast))
        return on_unwanted_multicast(pk, c);
      if (pk.in_re_verb == V::kNetworkConfigRequest) return on_controller_error(pk, c);
      counters_.drop(Vl2Drop::unexpected_reply);
      return;
  }
}

void Member::run(uint64_t now, Actions& out) {
  Ctx c{now, out};
  for (auto& [nwid, n] : networks_) {
    // Held frames whose sender never proved membership.
    while (!n.held.empty() && n.held.front().expires <= now) {
      n.held.pop_front();
      counters_.drop(Vl2Drop::not_member);
    }
    expire_multicast(n, now);
    if (now < n.next_check) continue;
    n.next_check = now + kConfigCheckMs;
    // Stock's ping check: while unconfigured every 5 s, then every 60 s
    // after the last accepted config.
    if (!n.config || now - n.last_config_update >= kConfigRefreshMs)
      request_config(n, c);
    announce_added(n, c);  // groups that became ours without a context (restore)
    announce(n, c);
    n.subscriptions.expire(now);
    n.recent.expire(now);
  }
  // Forget rate-limit entries of quiet peers.
  std::erase_if(credentials_seen_,
                [&](const auto& e) { return now > e.second + kCredentialsRequestRateMs; });
}

uint64_t Member::next_deadline() const {
  uint64_t d = UINT64_MAX;
  for (const auto& [nwid, n] : networks_) {
    d = std::min(d, n.next_check);
    if (!n.held.empty()) d = std::min(d, n.held.front().expires);
    if (!n.pending.empty()) d = std::min(d, n.pending.front().expires);
  }
  return d;
}

NetworkInfo Member::info(const Network& n) const {
  NetworkInfo i;
  i.nwid = n.nwid;
  i.status = status(n);
  i.mac = n.mac;
  i.settings = n.settings;
  i.config = n.config;
  i.config_bytes = n.config_bytes;
  i.config_received_at = n.config_received_at;
  return i;
}

std::vector<NetworkInfo> Member::networks() const {
  std::vector<NetworkInfo> v;
  for (const auto& [nwid, n] : networks_) v.push_back(info(n));
  return v;
}

std::optional<NetworkInfo> Member::network(uint64_t nwid) const {
  const Network* n = find(nwid);
  if (!n) return std::nullopt;
  return info(*n);
}

void Member::drain(MemberOutput& out) {
  for (auto& f : pending_.to_tap) out.to_tap.push_back(std::move(f));
  for (auto& e : pending_.events) out.events.push_back(e);
  pending_.to_tap.clear();
  pending_.events.clear();
}

std::vector<CounterSample> Member::metrics() const {
  static constexpr const char* kDropNames[] = {
#define FLATNET_X(name, text) "flatnet_vl2_drop_" #name,
      FLATNET_VL2_DROPS(FLATNET_X)
#undef FLATNET_X
  };
  static constexpr const char* kDropHelp[] = {
#define FLATNET_X(name, text) text,
      FLATNET_VL2_DROPS(FLATNET_X)
#undef FLATNET_X
  };
  static constexpr const char* kCountNames[] = {
#define FLATNET_X(name, text) "flatnet_vl2_" #name,
      FLATNET_VL2_COUNTS(FLATNET_X)
#undef FLATNET_X
  };
  static constexpr const char* kCountHelp[] = {
#define FLATNET_X(name, text) text,
      FLATNET_VL2_COUNTS(FLATNET_X)
#undef FLATNET_X
  };
  std::vector<CounterSample> v;
  for (size_t i = 0; i < counters_.drops.size(); ++i)
    v.push_back({kDropNames[i], kDropHelp[i], counters_.drops[i]});
  for (size_t i = 0; i < counters_.counts.size(); ++i)
    v.push_back({kCountNames[i], kCountHelp[i], counters_.counts[i]});
  v.push_back({"flatnet_vl2_networks", "networks joined", networks_.size()});
  return v;
}

bool Member::admits(uint64_t nwid, uint64_t peer) const {
  const Network* n = find(nwid);
  return n && gate(*n, peer, vl1_.identity_of(peer));
}

uint64_t Member::bridge_for(uint64_t nwid, uint64_t mac) const {
  const Network* n = find(nwid);
  if (!n) return 0;
  auto it = n->bridge_routes.find(mac);
  return it == n->bridge_routes.end() ? 0 : it->second;
}

size_t Member::known_subscribers(uint64_t nwid, const MulticastGroup& g) const {
  const Network* n = find(nwid);
  return n ? n->subscriptions.known(g) : 0;
}

}  // namespace flatnet::control::vl2
