#include "control/api/stock_json.hpp"

#include <arpa/inet.h>

#include <cstdio>
#include <cstdlib>

namespace flatnet::control::api::stock {

using nlohmann::json;

namespace {

uint64_t number_as_uint(const json& v) {
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer()) return uint64_t(v.get<int64_t>());
  // Stock casts a float straight to uint64_t, which is undefined outside
  // its range; here such a float saturates (0 or the maximum) instead.
  const double d = v.get<double>();
  if (!(d > -9.2e18)) return 0;
  if (d >= 1.8e19) return ~0ull;
  return d < 0 ? uint64_t(int64_t(d)) : uint64_t(d);
}

}  // namespace

uint64_t to_uint(const json& v, uint64_t dflt) {
  if (v.is_number()) return number_as_uint(v);
  if (v.is_string()) return std::strtoull(v.get_ref<const std::string&>().c_str(), nullptr, 10);
  if (v.is_boolean()) return v.get<bool>() ? 1 : 0;
  return dflt;
}

bool to_bool(const json& v, bool dflt) {
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number()) return number_as_uint(v) > 0;
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    return !s.empty() && (s[0] == 't' || s[0] == 'T' || s[0] == '1');
  }
  return dflt;
}

std::string to_string(const json& v, const std::string& dflt) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number()) return std::to_string((unsigned long long)number_as_uint(v));
  if (v.is_boolean()) return v.get<bool>() ? "1" : "0";
  return dflt;
}

uint64_t hex_to_uint(const std::string& s) { return std::strtoull(s.c_str(), nullptr, 16); }

Inet parse_inet(const std::string& s) {
  Inet a;
  if (s.empty() || s.size() >= 64) return a;
  std::string host = s;
  if (auto slash = s.find('/'); slash != std::string::npos) {
    host = s.substr(0, slash);
    a.port = unsigned(std::strtoul(s.c_str() + slash + 1, nullptr, 10)) & 0xffff;
  }
  if (host.find(':') != std::string::npos) {
    a.family = 6;
    if (inet_pton(AF_INET6, host.c_str(), a.ip.data()) != 1) a.ip.fill(0);
  } else if (host.find('.') != std::string::npos) {
    a.family = 4;
    if (inet_pton(AF_INET, host.c_str(), a.ip.data()) != 1) a.ip.fill(0);
  } else {
    a.port = 0;
  }
  return a;
}

std::string ip_string(const Inet& a) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (a.family == 4) inet_ntop(AF_INET, a.ip.data(), buf, sizeof buf);
  else if (a.family == 6) inet_ntop(AF_INET6, a.ip.data(), buf, sizeof buf);
  return buf;
}

std::string ip_slash_port(const Inet& a) {
  std::string ip = ip_string(a);
  return ip.empty() ? ip : ip + "/" + std::to_string(a.port);
}

bool prefix_valid(const Inet& a) {
  return (a.family == 4 && a.port <= 32) || (a.family == 6 && a.port <= 128);
}

std::string hex10(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "%.10llx", (unsigned long long)(v & 0xffffffffffull));
  return b;
}

std::string hex16(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "%.16llx", (unsigned long long)v);
  return b;
}

}  // namespace flatnet::control::api::stock
