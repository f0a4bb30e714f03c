// Command builders and physical-address text for control and tools.
#include <arpa/inet.h>

#include <cstdlib>
#include <cstring>

#include "dataplane/ipc/client.hpp"

namespace flatnet::ipc {

flatnet_ipc_command make_upsert(uint64_t addr, const flatnet_ipc_phys_addr& path, uint32_t seq,
                                uint16_t flags) {
  flatnet_ipc_command c{};
  c.type = FLATNET_IPC_CMD_PEER_UPSERT;
  c.flags = flags;
  c.seq = seq;
  c.addr = addr;
  c.path = path;
  return c;
}

flatnet_ipc_command make_delete(uint64_t addr, uint32_t seq, uint16_t flags) {
  flatnet_ipc_command c{};
  c.type = FLATNET_IPC_CMD_PEER_DELETE;
  c.flags = flags;
  c.seq = seq;
  c.addr = addr;
  return c;
}

flatnet_ipc_command make_config(uint32_t key, uint64_t value, uint32_t seq, uint16_t flags) {
  flatnet_ipc_command c{};
  c.type = FLATNET_IPC_CMD_SET_CONFIG;
  c.flags = flags;
  c.seq = seq;
  c.key = key;
  c.value = value;
  return c;
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
