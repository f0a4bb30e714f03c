// NetworkConfig <-> dictionary (see network_config.hpp).
#include "dataplane/wire/network_config.hpp"

#include <algorithm>
#include <cstring>

namespace flatnet::wire {

const char* to_string(ConfigStatus s) {
  switch (s) {
    case ConfigStatus::kOk: return "ok";
    case ConfigStatus::kNoNetworkId: return "config has no network ID";
    case ConfigStatus::kNoIssuedTo: return "config has no issued-to address";
    case ConfigStatus::kOldFormat: return "config format older than 6";
    case ConfigStatus::kBadCom: return "bad certificate of membership";
    case ConfigStatus::kBadCapability: return "bad capability";
    case ConfigStatus::kBadTag: return "bad tag";
    case ConfigStatus::kBadCoo: return "bad certificate of ownership";
    case ConfigStatus::kBadSpecialists: return "bad specialists";
    case ConfigStatus::kBadRoutes: return "bad routes";
    case ConfigStatus::kBadStaticIps: return "bad static IPs";
    case ConfigStatus::kBadRules: return "bad rules";
    case ConfigStatus::kBadDns: return "bad DNS";
    case ConfigStatus::kTooMany: return "list over its limit";
    case ConfigStatus::kTooLong: return "config too long";
    case ConfigStatus::kBadDictionary: return "config is not a valid dictionary";
  }
  return "?";
}

namespace {

// Stock reads text values into fixed char arrays: cut at NUL, truncated to
// the array size minus one.
std::string text_value(const Dictionary& d, std::string_view key, size_t max) {
  const std::string* v = d.get(key);
  if (!v) return {};
  std::string s = v->substr(0, std::min(max, std::strlen(v->c_str())));
  return s;
}

// Reads `key` as a concatenation of credentials, with `read` one at a time.
template <typename T, typename ReadFn>
bool read_all(const Dictionary& d, std::string_view key, size_t limit, std::vector<T>& out,
              ReadFn read, bool* too_many) {
  Reader r(d.get_bytes(key));
  while (r.remaining() > 0) {
    if (out.size() == limit) {
      *too_many = true;
      return false;
    }
    T x;
    if (read(r, x) != CredentialStatus::kOk) return false;
    out.push_back(std::move(x));
  }
  return true;
}

ConfigStatus read_dns(std::span<const uint8_t> v, DnsConfig& out) {
  Reader r(v);
  char domain[kDnsDomainLength];
  r.bytes(reinterpret_cast<uint8_t*>(domain), sizeof domain);
  if (!r.ok()) return ConfigStatus::kBadDns;
  domain[kDnsDomainLength - 1] = 0;
  out.domain = domain;
  for (size_t i = 0; i < kMaxDnsServers; ++i) {
    InetAddress a;
    if (read_inet_address(r, a) != InetStatus::kOk) return ConfigStatus::kBadDns;
    if (!a.is_null()) out.servers.push_back(a);
  }
  return ConfigStatus::kOk;
}

}  // namespace

ConfigStatus network_config_from_dictionary(const Dictionary& d, NetworkConfig& out) {
  NetworkConfig c;
  c.network_id = d.get_u64("nwid");
  if (c.network_id == 0) return ConfigStatus::kNoNetworkId;
  c.timestamp = d.get_u64("ts");
  c.credential_time_max_delta = d.get_u64("ctmd");
  c.revision = d.get_u64("r");
  c.issued_to = d.get_u64("id") & 0xffffffffffULL;
  if (c.issued_to == 0) return ConfigStatus::kNoIssuedTo;
  c.remote_trace_target = d.get_u64("tt") & 0xffffffffffULL;
  c.remote_trace_level = d.get_u64("tl");
  c.multicast_limit = d.get_u64("ml");
  c.name = text_value(d, "n", kMaxNetworkNameLength);
  const uint64_t mtu = d.get_u64("mtu", kDefaultMtu);
  c.mtu = unsigned(std::clamp<uint64_t>(mtu, kMinMtu, kMaxMtu));
  if (d.get_u64("v") < 6) return ConfigStatus::kOldFormat;
  c.flags = d.get_u64("f");
  c.type = NetworkType(uint8_t(d.get_u64("t", 0)));

  if (const auto v = d.get_bytes("C"); d.get("C")) {
    CertificateOfMembership com;
    if (decode_com(v, com) != CredentialStatus::kOk) return ConfigStatus::kBadCom;
    c.com = std::move(com);
  }
  bool too_many = false;
  if (!read_all(d, "CAP", kNetworkMaxCapabilities, c.capabilities, read_capability, &too_many))
    return too_many ? ConfigStatus::kTooMany : ConfigStatus::kBadCapability;
  std::stable_sort(c.capabilities.begin(), c.capabilities.end(),
                   [](const Capability& a, const Capability& b) { return a.id < b.id; });
  if (!read_all(d, "TAG", kNetworkMaxTags, c.tags, read_tag, &too_many))
    return too_many ? ConfigStatus::kTooMany : ConfigStatus::kBadTag;
  std::stable_sort(c.tags.begin(), c.tags.end(),
                   [](const Tag& a, const Tag& b) { return a.id < b.id; });
  {
    // Stock parses every COO but keeps the first four.
    Reader r(d.get_bytes("COO"));
    while (r.remaining() > 0) {
      CertificateOfOwnership x;
      if (read_coo(r, x) != CredentialStatus::kOk) return ConfigStatus::kBadCoo;
      if (c.coos.size() < kNetworkMaxCoos) c.coos.push_back(std::move(x));
    }
  }
  {
    const auto v = d.get_bytes("S");
    if (v.size() % 8 != 0) return ConfigStatus::kBadSpecialists;
    if (v.size() / 8 > kNetworkMaxSpecialists) return ConfigStatus::kTooMany;
    Reader r(v);
    while (r.remaining() > 0) c.specialists.push_back(r.u64());
  }
  {
    Reader r(d.get_bytes("RT"));
    while (r.remaining() > 0) {
      if (c.routes.size() == kNetworkMaxRoutes) return ConfigStatus::kTooMany;
      ManagedRoute rt;
      if (read_inet_address(r, rt.target) != InetStatus::kOk ||
          read_inet_address(r, rt.via) != InetStatus::kOk)
        return ConfigStatus::kBadRoutes;
      rt.flags = r.u16();
      rt.metric = r.u16();
      if (!r.ok()) return ConfigStatus::kBadRoutes;
      c.routes.push_back(rt);
    }
  }
  {
    Reader r(d.get_bytes("I"));
    while (r.remaining() > 0) {
      if (c.static_ips.size() == kNetworkMaxStaticIps) return ConfigStatus::kTooMany;
      InetAddress a;
      if (read_inet_address(r, a) != InetStatus::kOk) return ConfigStatus::kBadStaticIps;
      c.static_ips.push_back(a);
    }
  }
  if (d.get("R")) {
    switch (decode_rules(d.get_bytes("R"), c.rules, kNetworkMaxRules)) {
      case RuleStatus::kOk: break;
      case RuleStatus::kTooManyRules: return ConfigStatus::kTooMany;
      default: return ConfigStatus::kBadRules;
    }
  }
  if (d.get("DNS")) {
    if (const auto s = read_dns(d.get_bytes("DNS"), c.dns); s != ConfigStatus::kOk) return s;
  }

  c.sso_version = d.get_u64("ssov", 0);
  c.sso_enabled = d.get_bool("ssoe", false);
  if (c.sso_enabled && c.sso_version == 0) {
    c.authentication_url = text_value(d, "aurl", 2047);
    c.authentication_expiry_time = d.get_i64("aexpt", 0);
  } else if (c.sso_enabled && c.sso_version == 1) {
    c.authentication_url = text_value(d, "aurl", 2047);
    c.issuer_url = text_value(d, "iurl", 2047);
    c.central_endpoint_url = text_value(d, "ssoce", 2047);
    c.sso_nonce = text_value(d, "sson", 127);
    c.sso_state = text_value(d, "ssos", 255);
    c.sso_client_id = text_value(d, "ssocid", 255);
    c.sso_provider = d.get("ssop") ? text_value(d, "ssop", 63) : "default";
  }
  out = std::move(c);
  return ConfigStatus::kOk;
}

ConfigStatus network_config_to_dictionary(const NetworkConfig& c, Dictionary& out) {
  if (c.capabilities.size() > kNetworkMaxCapabilities || c.tags.size() > kNetworkMaxTags ||
      c.coos.size() > kNetworkMaxCoos || c.specialists.size() > kNetworkMaxSpecialists ||
      c.routes.size() > kNetworkMaxRoutes || c.static_ips.size() > kNetworkMaxStaticIps ||
      c.rules.size() > kNetworkMaxRules || c.dns.servers.size() > kMaxDnsServers)
    return ConfigStatus::kTooMany;
  Dictionary d;
  d.add_u64("v", kNetworkConfigVersion);
  d.add_u64("nwid", c.network_id);
  d.add_u64("ts", c.timestamp);
  d.add_u64("ctmd", c.credential_time_max_delta);
  d.add_u64("r", c.revision);
  d.add_address("id", c.issued_to);
  d.add_address("tt", c.remote_trace_target);
  d.add_u64("tl", c.remote_trace_level);
  d.add_u64("f", c.flags);
  d.add_u64("ml", c.multicast_limit);
  d.add_u64("t", uint64_t(c.type));
  d.add("n", std::string_view(c.name).substr(0, kMaxNetworkNameLength));
  d.add_u64("mtu", c.mtu);

  std::vector<uint8_t> b;
  Writer w(b);
  if (c.com) {
    if (!write_com(w, *c.com)) return ConfigStatus::kBadCom;
    d.add("C", b);
  }
  b.clear();
  for (const auto& x : c.capabilities)
    if (!write_capability(w, x)) return ConfigStatus::kBadCapability;
  if (!b.empty()) d.add("CAP", b);
  b.clear();
  for (const auto& x : c.tags) write_tag(w, x);
  if (!b.empty()) d.add("TAG", b);
  b.clear();
  for (const auto& x : c.coos)
    if (!write_coo(w, x)) return ConfigStatus::kBadCoo;
  if (!b.empty()) d.add("COO", b);
  b.clear();
  for (uint64_t s : c.specialists) w.u64(s);
  if (!b.empty()) d.add("S", b);
  b.clear();
  for (const auto& rt : c.routes) {
    write_inet_address(w, rt.target);
    write_inet_address(w, rt.via);
    w.u16(rt.flags);
    w.u16(rt.metric);
  }
  if (!b.empty()) d.add("RT", b);
  b.clear();
  for (const auto& a : c.static_ips) write_inet_address(w, a);
  if (!b.empty()) d.add("I", b);
  b.clear();
  if (!c.rules.empty()) {
    write_rules(w, c.rules);
    d.add("R", b);
    b.clear();
  }
  {
    uint8_t domain[kDnsDomainLength] = {};
    std::memcpy(domain, c.dns.domain.data(), std::min(c.dns.domain.size(), kDnsDomainLength - 1));
    w.bytes(domain, sizeof domain);
    for (size_t i = 0; i < kMaxDnsServers; ++i)
      write_inet_address(w, i < c.dns.servers.size() ? c.dns.servers[i] : InetAddress());
    d.add("DNS", b);
    b.clear();
  }
  if (!w.ok()) return ConfigStatus::kTooLong;

  if (c.sso_version == 0) {
    d.add_u64("ssov", 0);
    d.add_bool("ssoe", c.sso_enabled);
    if (c.sso_enabled) {
      if (!c.authentication_url.empty()) d.add("aurl", c.authentication_url);
      d.add_i64("aexpt", c.authentication_expiry_time);
    }
  } else if (c.sso_version == 1) {
    d.add_u64("ssov", 1);
    d.add_bool("ssoe", c.sso_enabled);
    d.add("iurl", c.issuer_url);
    d.add("ssoce", c.central_endpoint_url);
    d.add("sson", c.sso_nonce);
    d.add("ssos", c.sso_state);
    d.add("ssocid", c.sso_client_id);
    d.add("ssop", c.sso_provider);
  }
  out = std::move(d);
  return ConfigStatus::kOk;
}

ConfigStatus decode_network_config(std::span<const uint8_t> text, NetworkConfig& out) {
  Dictionary d;
  switch (parse_dictionary(text, d)) {
    case DictStatus::kOk: break;
    case DictStatus::kTooLong: return ConfigStatus::kTooLong;
    default: return ConfigStatus::kBadDictionary;
  }
  return network_config_from_dictionary(d, out);
}

ConfigStatus encode_network_config(const NetworkConfig& c, std::vector<uint8_t>& out) {
  Dictionary d;
  if (const auto s = network_config_to_dictionary(c, d); s != ConfigStatus::kOk) return s;
  return encode_dictionary(d, out) == DictStatus::kOk ? ConfigStatus::kOk : ConfigStatus::kTooLong;
}

}  // namespace flatnet::wire
