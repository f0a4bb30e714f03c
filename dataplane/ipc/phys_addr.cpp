// The ABI's physical address <-> wire::InetAddress and text (phys_addr.hpp).
#include "dataplane/ipc/phys_addr.hpp"

#include <arpa/inet.h>

#include <cstdlib>
#include <cstring>

namespace flatnet::ipc {

wire::InetAddress to_inet(const flatnet_ipc_phys_addr& a) {
  wire::InetAddress r;
  if (a.family == FLATNET_IPC_AF_INET) {
    r.family = wire::InetAddress::Family::kV4;
    std::memcpy(r.ip.data(), a.ip, 4);
  } else if (a.family == FLATNET_IPC_AF_INET6) {
    r.family = wire::InetAddress::Family::kV6;
    std::memcpy(r.ip.data(), a.ip, 16);
  } else {
    return r;
  }
  r.port = a.udp_port;
  return r;
}

bool to_phys(const wire::InetAddress& ip, uint16_t port_id, flatnet_ipc_phys_addr* out) {
  flatnet_ipc_phys_addr a{};
  if (ip.family == wire::InetAddress::Family::kV4) {
    a.family = FLATNET_IPC_AF_INET;
    std::memcpy(a.ip, ip.ip.data(), 4);
  } else if (ip.family == wire::InetAddress::Family::kV6) {
    a.family = FLATNET_IPC_AF_INET6;
    std::memcpy(a.ip, ip.ip.data(), 16);
  } else {
    return false;
  }
  a.udp_port = ip.port;
  a.port_id = port_id;
  *out = a;
  return true;
}

bool same_phys_addr(const flatnet_ipc_phys_addr& a, const flatnet_ipc_phys_addr& b) {
  if (a.family != b.family || a.udp_port != b.udp_port || a.port_id != b.port_id) return false;
  const size_t n = a.family == FLATNET_IPC_AF_INET ? 4 : a.family == FLATNET_IPC_AF_INET6 ? 16 : 0;
  return std::memcmp(a.ip, b.ip, n) == 0;
}

bool parse_phys_addr(const std::string& s, flatnet_ipc_phys_addr* out) {
  flatnet_ipc_phys_addr a{};
  std::string host, port;
  if (!s.empty() && s[0] == '[') {
    size_t close = s.find(']');
    if (close == std::string::npos || close + 1 >= s.size() || s[close + 1] != ':') return false;
    host = s.substr(1, close - 1);
    port = s.substr(close + 2);
    if (inet_pton(AF_INET6, host.c_str(), a.ip) != 1) return false;
    a.family = FLATNET_IPC_AF_INET6;
  } else {
    size_t colon = s.rfind(':');
    if (colon == std::string::npos) return false;
    host = s.substr(0, colon);
    port = s.substr(colon + 1);
    if (inet_pton(AF_INET, host.c_str(), a.ip) != 1) return false;
    a.family = FLATNET_IPC_AF_INET;
  }
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos)
    return false;
  unsigned long p = strtoul(port.c_str(), nullptr, 10);
  if (p == 0 || p > 65535) return false;
  a.udp_port = uint16_t(p);
  *out = a;
  return true;
}

std::string format_phys_addr(const flatnet_ipc_phys_addr& a) {
  char buf[INET6_ADDRSTRLEN] = "?";
  if (a.family == FLATNET_IPC_AF_INET) {
    inet_ntop(AF_INET, a.ip, buf, sizeof buf);
    return std::string(buf) + ":" + std::to_string(a.udp_port);
  }
  if (a.family == FLATNET_IPC_AF_INET6) {
    inet_ntop(AF_INET6, a.ip, buf, sizeof buf);
    return "[" + std::string(buf) + "]:" + std::to_string(a.udp_port);
  }
  return "none";
}

}  // namespace flatnet::ipc
