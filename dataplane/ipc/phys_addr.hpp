// The boundary's physical (underlay) address, struct flatnet_ipc_phys_addr
// of abi.h, and its conversions -- defined here once for everyone who
// crosses the boundary: control (service/dataplane_backend, boundary), the
// tools (tableload), the data plane's runtime and the tests.
//
// flatnet_ipc_phys_addr is the ABI's wire format (plain C, fixed layout);
// wire::InetAddress is the one C++ IP:port type; the DPDK port id that the
// ABI struct also carries travels beside the InetAddress (control keeps it
// as PhysicalPath::local_socket). The text form is "ip:port" /
// "[ip6]:port" (tableload peer files, the data plane's config, logs);
// InetAddress's own "<ip>/<port>" is ZeroTier's JSON form and stays there.
//
// Only the fields of wire::InetAddress are used, so this needs its header
// but not the flatnet_wire library. Built as flatnet_ipc_phys (no DPDK).
#pragma once

#include <cstdint>
#include <string>

#include "dataplane/ipc/abi.h"
#include "dataplane/wire/inet_address.hpp"

namespace flatnet::ipc {

// ABI -> InetAddress: the IP and UDP port; a null address for
// FLATNET_IPC_AF_NONE or a family the ABI does not define.
wire::InetAddress to_inet(const flatnet_ipc_phys_addr& a);

// InetAddress (+ the DPDK port id) -> ABI. False (and *out untouched) for a
// null address, which has no ABI form other than "none".
bool to_phys(const wire::InetAddress& ip, uint16_t port_id, flatnet_ipc_phys_addr* out);

// An IPv4 path from a host-order address (the synthetic peer set's form).
inline flatnet_ipc_phys_addr phys_v4(uint32_t ip, uint16_t udp_port, uint16_t port_id = 0) {
  flatnet_ipc_phys_addr a{};
  a.family = FLATNET_IPC_AF_INET;
  a.udp_port = udp_port;
  a.port_id = port_id;
  a.ip[0] = uint8_t(ip >> 24);
  a.ip[1] = uint8_t(ip >> 16);
  a.ip[2] = uint8_t(ip >> 8);
  a.ip[3] = uint8_t(ip);
  return a;
}

// Equal as the data plane uses them: family, UDP port, DPDK port and the
// family's IP bytes (bytes past an IPv4 address and reserved fields ignored).
bool same_phys_addr(const flatnet_ipc_phys_addr& a, const flatnet_ipc_phys_addr& b);

// Text: "192.0.2.7:9993", "[2001:db8::1]:9993"; port 1..65535. parse leaves
// port_id 0 and returns false on anything else; format gives "none" for a
// family that is neither IPv4 nor IPv6.
bool parse_phys_addr(const std::string& s, flatnet_ipc_phys_addr* out);
std::string format_phys_addr(const flatnet_ipc_phys_addr& a);

}  // namespace flatnet::ipc
