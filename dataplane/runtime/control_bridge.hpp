// Binds the fast path's ControlHooks to the IPC service (punts, events) and
// the peer table (path lookups, QSBR), both owned by "ipc". The fast path
// itself knows neither, so the packet fixtures can bind test doubles.
#pragma once

#include "dataplane/fastpath/worker.hpp"
#include "dataplane/ipc/service.hpp"
#include "dataplane/tables/peer_table.hpp"

namespace flatnet::runtime {

struct ControlBridge {
  ipc::Service* service = nullptr;
  tables::PeerTable* table = nullptr;
  uint16_t port_id = 0;
  fastpath::IpAddr local4, local6;
};

// Fills hooks with functions that call into b (which must outlive them).
void bind_hooks(ControlBridge& b, fastpath::ControlHooks* hooks);

// The events the bridge queues, built field by field as abi.h says.
flatnet_ipc_event unknown_dest_event(uint64_t dst, uint64_t src, const fastpath::PuntInfo& from,
                                     uint64_t now_ns);
flatnet_ipc_event relay_pair_event(uint64_t src, uint64_t dst, uint32_t count, uint64_t now_ns);
flatnet_ipc_event vl2_group_event(uint64_t nwid, uint64_t mac, uint32_t adi, uint32_t kind, uint64_t now_ns);
// The LAN bridged twice (abi.h VL2_LOOP): `mac` on our LAN came back from `bridge`.
flatnet_ipc_event vl2_loop_event(uint64_t nwid, uint64_t mac, uint64_t bridge, uint64_t now_ns);

// The fast path's compact addresses (fastpath/addr.hpp: IpAddr + port,
// PathView) <-> the ABI's flatnet_ipc_phys_addr: the only copy of these
// conversions. Everything outside the per-packet code speaks
// wire::InetAddress and converts in dataplane/ipc/phys_addr.hpp instead.
// to_phys: a punt's source or our local address (port_id = rx port).
flatnet_ipc_phys_addr to_phys(const fastpath::IpAddr& ip, uint16_t udp_port, uint16_t port_id);
// from_phys: a table path or an inject's destination; false if the family
// is neither IPv4 nor IPv6.
bool from_phys(const flatnet_ipc_phys_addr& a, fastpath::PathView* out);
// A table path equals a punted packet's source (IP, UDP port; the DPDK port
// is not compared: a path may be learned on either port).
bool same_path(const flatnet_ipc_phys_addr& a, const fastpath::PuntInfo& i);

}  // namespace flatnet::runtime
