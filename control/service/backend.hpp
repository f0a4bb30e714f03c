// Where flatnetd's datagrams come from and go to. Two implementations:
// a kernel UDP socket (leaves, tests, a software root) and a running
// flatnet-dataplane attached through dataplane/ipc (a DPDK root).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "control/boundary/table_reconciler.hpp"
#include "control/boundary/vl2_reconciler.hpp"
#include "control/core/actions.hpp"
#include "control/service/ingress_limit.hpp"
#include "control/service/udp_batch.hpp"
#include "dataplane/wire/inet_address.hpp"

namespace flatnet::control::service {

struct BackendEvents {
  // A datagram for the core (from its physical source).
  std::function<void(const PhysicalPath&, std::span<const uint8_t>)> datagram;
  // A whole receive batch (one recvmmsg, GRO runs cut) at once, so the core
  // dearmors it as bursts (Core::receive_burst). A backend that batches
  // calls this when it is set, else `datagram` per datagram.
  std::function<void(std::span<const ReceivedDatagram>)> burst;
  // The data plane relayed packets from `src` to `dst`.
  std::function<void(uint64_t src, uint64_t dst)> relayed_pair;
  // The data plane restarted (or we re-attached) and its table dump has
  // been reconciled: re-feed the desired table (core.resync; what is
  // already wanted costs nothing).
  std::function<void()> restarted;
  // A gateway's LAN and a multicast group (the data plane's VL2_GROUP
  // event): kind FLATNET_IPC_VL2_GROUP_JOINED or _SENT. May be unset.
  std::function<void(uint64_t nwid, uint64_t mac, uint32_t adi, uint32_t kind)> lan_group;
  // A gateway's LAN bridged twice (the data plane's VL2_LOOP event): frames
  // of `mac` looped through `bridge` (a bridge or member). May be unset.
  std::function<void(uint64_t nwid, uint64_t mac, uint64_t bridge)> lan_loop;
  // A line for the log from the backend (table refusals, incomplete dumps).
  std::function<void(LogLevel, const std::string&)> log;
};

class Backend {
 public:
  virtual ~Backend() = default;
  // Handles up to `budget` inputs; returns how many.
  virtual unsigned poll(const BackendEvents& ev, unsigned budget) = 0;
  // May only queue the datagram (the UDP backend batches): queued ones go
  // out by the next flush(), poll() or wait(). false = refused at once
  // (no address it can send to).
  virtual bool send(const SendDatagram& d) = 0;
  // Sends what is queued; returns how many datagrams failed since the last
  // call (including ones queued and failed inside poll() or wait()).
  virtual unsigned flush() { return 0; }
  // A desired-state update of the data plane's table (no-op for UDP): the
  // data-plane backend keeps it until the data plane confirms it
  // (control/boundary). false = a path it cannot express (counted).
  virtual bool table(const TableCommand& c) = 0;
  // Everything control knows is in the desired table (the peers cache is
  // restored): entries of the data plane's dump nobody wants may go.
  virtual void table_complete(uint64_t now) { (void)now; }
  // The table reconciler's state, for /metrics; nullopt without a data plane.
  virtual std::optional<boundary::ReconcilerStats> table_state() const { return std::nullopt; }
  // Blocks up to `ms` for input (0 = don't block).
  virtual void wait(int ms) = 0;
  // An fd that polls readable when input is waiting, so the loop can wait
  // for it together with the member's taps; -1 if there is none.
  virtual int wait_fd() const { return -1; }
  virtual int64_t local_socket() const = 0;
  virtual uint16_t port() const = 0;
  virtual uint16_t secondary_port() const { return 0; }  // 0 = none
  virtual std::string describe() const = 0;
  // The addresses it listens on (the bound socket; none for a wildcard
  // bind or a data plane): /status listeningOn, and what a leaf pushes.
  virtual std::vector<wire::InetAddress> local_addresses() const { return {}; }
  // True if packets for other nodes reach the core, which must then relay
  // them itself (a root on a kernel socket); a data plane relays alone.
  virtual bool software_relay() const { return false; }
  // The data plane's counters as (name, total over its workers), read from
  // the segment's counters block (docs/ipc-abi.md); names are [a-z0-9_],
  // e.g. "relayed", "drop_vl1_hop_limit", "ipc_punt_ok". Empty when the
  // data plane is detached or has not published yet. The UDP backend,
  // standing in for a data plane, reports its ingress limiter's punt
  // counters here under the same names. Bounded (a few ms at worst); call
  // it where poll() is called from.
  virtual std::vector<std::pair<std::string, uint64_t>> dataplane_counters() { return {}; }
  // A gateway data plane (one with a `lan` port, docs/gateway.md): the
  // network its LAN port bridges, 0 = none (or not attached).
  virtual uint64_t lan_network() const { return 0; }
  // Its host port's kernel interface (net_tap, on lan_network()), "" = none.
  virtual std::string host_interface() const { return {}; }
  // What its VL2 tables should hold (control/boundary/vl2_reconciler);
  // ignored without a gateway data plane.
  virtual void vl2_desired(boundary::Vl2Desired d) { (void)d; }
  // A gateway's 802.1Q-mapped networks (the data plane's "vlans"), each
  // bridged and reconciled like lan_network(): its tables go through
  // vl2_desired_for. Peer keys are per peer, not per network: control puts
  // them all in lan_network()'s desired state (the first bridged network's
  // when there is no untagged one), so one reconciler owns each key.
  virtual std::vector<uint64_t> lan_vlan_networks() const { return {}; }
  virtual void vl2_desired_for(uint64_t nwid, boundary::Vl2Desired d) { (void)nwid; (void)d; }
  virtual std::optional<boundary::Vl2ReconcilerStats> vl2_state() const { return std::nullopt; }
  // A gateway's: once after each (re)attach, when the data plane's table
  // dump is read (so packets reach it now), the peers that table held --
  // the members it may still be bridging, which a restarted control must
  // meet again before its VL2 sweep (GatewayHost::remeet). nullopt between.
  virtual std::optional<std::vector<uint64_t>> take_dumped_peers() { return std::nullopt; }
};

// "ip:port" (IPv4 or [IPv6]:port); nullptr + *err on failure. Datagrams
// pass the data plane's punt limits first (ingress_limit.hpp), counted
// through dataplane_counters() under the data plane's names. `opt`: the
// batching and offloads (udp_batch.hpp); all on by default.
std::unique_ptr<Backend> make_udp_backend(const std::string& bind, std::string* err,
                                          const IngressLimits& limits = {},
                                          UdpOptions opt = {});
// Attaches to flatnet-dataplane instance `instance`.
std::unique_ptr<Backend> make_dataplane_backend(const std::string& instance, std::string* err);

}  // namespace flatnet::control::service
