#include "control/controller/config_builder.hpp"

#include <algorithm>
#include <map>

#include "control/controller/coerce.hpp"
#include "control/controller/rules_compile.hpp"
#include "dataplane/wire/capability.hpp"
#include "dataplane/wire/coo.hpp"
#include "dataplane/wire/tag.hpp"
#include "dataplane/wire/vl1.hpp"

namespace flatnet::control::controller {
namespace {

using Family = wire::InetAddress::Family;

std::vector<wire::ManagedRoute> compile_routes(const Network& n) {
  std::vector<wire::ManagedRoute> out;
  for (const Route& r : n.routes) {
    if (out.size() >= wire::kNetworkMaxRoutes) break;
    const auto t = wire::InetAddress::from_string(r.target);
    if (!t || t->family == Family::kNull) continue;
    wire::ManagedRoute mr;
    mr.target = *t;
    if (r.via) {
      const auto v = wire::InetAddress::from_string(*r.via);
      if (v && v->family == t->family) mr.via = *v;
    }
    out.push_back(mr);
  }
  return out;
}

// Capabilities: the member's, plus (for a new member) the network's
// "default" ones, each signed over to the member.
bool add_capabilities(const Network& n, Member& m, const BuildContext& ctx,
                      wire::NetworkConfig& out) {
  std::map<uint32_t, const nlohmann::json*> by_id;
  if (n.capabilities.is_array())
    for (const auto& cap : n.capabilities) {
      if (!cap.is_object()) continue;
      const uint32_t id = uint32_t(json_uint(field(cap, "id"), 0));
      by_id[id] = &cap;
      if (ctx.new_member && json_bool(field(cap, "default"), false) &&
          std::find(m.capabilities.begin(), m.capabilities.end(), id) == m.capabilities.end())
        m.capabilities.push_back(id);
    }
  for (uint64_t cid : m.capabilities) {
    auto it = by_id.find(uint32_t(cid));
    if (it == by_id.end() || it->second->empty()) continue;
    wire::Capability c;
    c.network_id = n.id;
    c.timestamp = ctx.now;
    c.id = uint32_t(cid);
    c.rules = compile_rules(field(*it->second, "rules"), wire::kCapabilityMaxRules);
    c.max_custody = 1;
    if (!wire::capability_sign(c, ctx.controller, m.address)) return false;
    out.capabilities.push_back(std::move(c));
    if (out.capabilities.size() >= wire::kNetworkMaxCapabilities) break;
  }
  return true;
}

// Tags: the member's, plus the network's defaults it lacks (which stock
// writes into the member record).
bool add_tags(const Network& n, Member& m, const BuildContext& ctx, wire::NetworkConfig& out) {
  std::map<uint32_t, uint32_t> tags;
  for (const auto& [id, value] : m.tags) tags[uint32_t(id)] = uint32_t(value);
  for (const NetworkTag& t : n.tags) {
    const uint32_t id = uint32_t(t.id);
    if (t.default_value && !tags.count(id)) {
      tags[id] = uint32_t(*t.default_value);
      m.tags.emplace_back(id, *t.default_value);
    }
  }
  for (const auto& [id, value] : tags) {
    if (out.tags.size() >= wire::kNetworkMaxTags) break;
    wire::Tag t;
    t.network_id = n.id;
    t.timestamp = ctx.now;
    t.id = id;
    t.value = value;
    t.issued_to = m.address;
    if (!wire::tag_sign(t, ctx.controller)) return false;
    out.tags.push_back(t);
  }
  return true;
}

void add_dns(const Network& n, wire::NetworkConfig& out) {
  if (!n.dns.is_object()) return;
  out.dns.domain = json_string(field(n.dns, "domain"), "").substr(0, wire::kDnsDomainLength - 1);
  const auto& servers = field(n.dns, "servers");
  if (!servers.is_array()) return;
  for (size_t i = 0; i < servers.size() && i < wire::kMaxDnsServers; ++i) {
    const auto a = wire::InetAddress::from_string(json_string(servers[i], ""));
    if (a && !a->is_null()) out.dns.servers.push_back(*a);
  }
}

}  // namespace

int64_t credential_window_ms(const Network& n) {
  const int64_t w = n.certificate_timeout_window_size.value_or(kCredentialWindowDefaultMs);
  return std::clamp(w, kCredentialWindowMinMs, kCredentialWindowMaxMs);
}

bool build_config(const Network& n, Member& m, const BuildContext& ctx, wire::NetworkConfig& out,
                  bool* member_changed) {
  const Member before = m;
  const uint64_t window = uint64_t(credential_window_ms(n));
  out = wire::NetworkConfig{};
  out.network_id = n.id;
  out.type = n.is_private ? wire::NetworkType::kPrivate : wire::NetworkType::kPublic;
  out.timestamp = ctx.now;
  out.credential_time_max_delta = window;
  out.revision = n.revision;
  out.issued_to = m.address;
  if (n.enable_broadcast) out.flags |= wire::kConfigFlagEnableBroadcast;
  out.name = n.name.substr(0, wire::kMaxNetworkNameLength);
  out.mtu = unsigned(std::clamp<uint64_t>(n.mtu, wire::kMinMtu, wire::kMaxMtu));
  out.multicast_limit = uint32_t(n.multicast_limit);

  uint64_t target = 0;
  const auto parse_trace = [&](const std::optional<std::string>& s) {
    return s && s->size() == 10 && parse_member_address(*s, target);
  };
  if (parse_trace(m.remote_trace_target)) {
    out.remote_trace_target = target;
    out.remote_trace_level = uint64_t(m.remote_trace_level);
  } else {
    out.remote_trace_target = parse_trace(n.remote_trace_target) ? target : 0;
    out.remote_trace_level = uint64_t(n.remote_trace_level);
  }

  for (uint64_t b : ctx.active_bridges)
    if (out.specialists.size() < wire::kNetworkMaxSpecialists)
      out.specialists.push_back(wire::kSpecialistActiveBridge | (b & wire::kAddressMask));

  if (!ctx.rules_engine) {
    out.rules.push_back(wire::Rule::action(wire::RuleType::kActionAccept));
  } else {
    out.rules = compile_rules(n.rules, wire::kNetworkMaxRules);
    if (!add_capabilities(n, m, ctx, out) || !add_tags(n, m, ctx, out)) return false;
  }

  out.routes = compile_routes(n);
  const Assignment a = assign_ips(n, m, out.routes, ctx.ips);
  out.static_ips = a.static_ips;
  if (a.ndp_emulation) out.flags |= wire::kConfigFlagNdpEmulation;
  add_dns(n, out);

  if (!out.static_ips.empty()) {
    wire::CertificateOfOwnership coo;
    coo.network_id = n.id;
    coo.timestamp = ctx.now;
    coo.id = 1;
    coo.issued_to = m.address;
    for (const auto& ip : out.static_ips) coo.add_ip(ip);
    if (!wire::coo_sign(coo, ctx.controller)) return false;
    out.coos.push_back(std::move(coo));
  }

  auto com = wire::CertificateOfMembership::issue(ctx.now, window, n.id, ctx.member);
  if (!wire::com_sign(com, ctx.controller)) return false;
  out.com = std::move(com);
  if (member_changed) *member_changed = !(m == before);
  return true;
}

}  // namespace flatnet::control::controller
