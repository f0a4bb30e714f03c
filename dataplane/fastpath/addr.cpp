#include "dataplane/fastpath/addr.hpp"

#include <arpa/inet.h>

#include <cstdio>

namespace flatnet::fastpath {

std::optional<IpAddr> parse_ip(const std::string& s) {
  IpAddr a;
  if (inet_pton(AF_INET, s.c_str(), a.b) == 1) {
    a.family = Family::kV4;
    return a;
  }
  if (inet_pton(AF_INET6, s.c_str(), a.b) == 1) {
    a.family = Family::kV6;
    return a;
  }
  return std::nullopt;
}

std::optional<Mac> parse_mac(const std::string& s) {
  Mac m;
  unsigned v[6];
  char tail;
  if (std::sscanf(s.c_str(), "%x:%x:%x:%x:%x:%x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
                  &tail) != 6)
    return std::nullopt;
  for (int i = 0; i < 6; ++i) {
    if (v[i] > 0xff) return std::nullopt;
    m.b[i] = uint8_t(v[i]);
  }
  return m;
}

std::string to_string(const IpAddr& a) {
  char buf[INET6_ADDRSTRLEN] = "-";
  if (a.family == Family::kV4) inet_ntop(AF_INET, a.b, buf, sizeof buf);
  if (a.family == Family::kV6) inet_ntop(AF_INET6, a.b, buf, sizeof buf);
  return buf;
}

std::string to_string(const Mac& m) {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", m.b[0], m.b[1], m.b[2], m.b[3],
                m.b[4], m.b[5]);
  return buf;
}

}  // namespace flatnet::fastpath
