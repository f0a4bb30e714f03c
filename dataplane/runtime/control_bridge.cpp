#include "dataplane/ipc/clock.hpp"
#include "dataplane/runtime/control_bridge.hpp"

#include <rte_prefetch.h>
#include <time.h>

#include <cstring>


namespace flatnet::runtime {

using fastpath::Family;
using fastpath::PathView;

namespace {

using flatnet::ipc::mono_ns;

void lookup(void* ctx, const uint64_t* addrs, unsigned n, PathView* paths, bool* found) {
  using tables::PathWord;
  auto* b = static_cast<ControlBridge*>(ctx);
  uint64_t w[fastpath::kBurst];
  b->table->lookup_burst(addrs, n, w);
  // IPv4 paths come inline in the hash's data word. IPv6 paths are entries
  // behind a pointer: fetch all of them before reading any, so the misses
  // overlap instead of queueing.
  for (unsigned i = 0; i < n; ++i)
    if (w[i] && !PathWord::inline4(w[i])) rte_prefetch0(PathWord::entry(w[i]));
  for (unsigned i = 0; i < n; ++i) {
    if (!w[i]) {
      found[i] = false;
    } else if (PathWord::inline4(w[i])) {
      paths[i].family = Family::kV4;
      PathWord::unpack4(w[i], paths[i].ip, &paths[i].port, &paths[i].tx_port);
      found[i] = true;
    } else {
      found[i] = from_phys(PathWord::entry(w[i])->path, &paths[i]);
    }
  }
}

bool sibling(void* ctx, PathView* out) {
  auto* b = static_cast<ControlBridge*>(ctx);
  const tables::PeerPath* s = b->table->sibling();
  return s && from_phys(s->path, out);
}

// The punt stage asks this for every punted packet head, before its limits:
// a known peer over its known path is served first. It also ages paths by
// last receive even while control is away: such a head refreshes the path.
// Punts are the slow path, so the lookup costs the relay nothing.
bool known_peer(void* ctx, unsigned, uint64_t addr, const fastpath::PuntInfo& info) {
  auto* b = static_cast<ControlBridge*>(ctx);
  const tables::PeerPath* e = b->table->lookup(addr);
  if (!e || !same_path(e->path, info)) return false;
  tables::PeerTable::touch(e, info.time_ns ? info.time_ns : mono_ns());
  return true;
}

// Slots of the worker's punt channel handed to control and not yet given
// back: the service keeps that count privately (it reads nothing of the
// segment's layout for it).
bool punt_fill(void* ctx, unsigned worker, unsigned* used, unsigned* slots) {
  auto* b = static_cast<ControlBridge*>(ctx);
  if (!b->service || worker >= b->service->n_channels()) return false;
  return b->service->punt_fill(worker, used, slots);
}

bool punt(void* ctx, unsigned worker, const uint8_t* d, uint16_t len, const fastpath::PuntInfo& info) {
  auto* b = static_cast<ControlBridge*>(ctx);
  uint64_t now = info.time_ns ? info.time_ns : mono_ns();
  ipc::PuntMeta m;
  m.src = to_phys(info.src, info.src_port, info.rx_port);
  const fastpath::IpAddr& local = info.src.family == Family::kV4 ? b->local4 : b->local6;
  if (local.valid()) m.local = to_phys(local, 0, info.rx_port);
  m.time_ns = now;
  return b->service->punt(worker, d, len, m);
}

}  // namespace

// The events as abi.h defines their fields (the table above enum
// flatnet_ipc_event_type).
flatnet_ipc_event unknown_dest_event(uint64_t dst, uint64_t src, const fastpath::PuntInfo& from,
                                     uint64_t now_ns) {
  flatnet_ipc_event ev{};
  ev.type = FLATNET_IPC_EV_UNKNOWN_DEST;
  ev.time_ns = now_ns;
  ev.addr = dst;
  ev.addr2 = src;
  ev.path = to_phys(from.src, from.src_port, from.rx_port);
  return ev;
}

flatnet_ipc_event relay_pair_event(uint64_t src, uint64_t dst, uint32_t count, uint64_t now_ns) {
  flatnet_ipc_event ev{};
  ev.type = FLATNET_IPC_EV_RELAY_PAIR;
  ev.time_ns = now_ns;
  ev.addr = src;
  ev.addr2 = dst;
  ev.count = count;
  return ev;
}

flatnet_ipc_event vl2_group_event(uint64_t nwid, uint64_t mac, uint32_t adi, uint32_t kind, uint64_t now_ns) {
  flatnet_ipc_event ev{};
  ev.type = FLATNET_IPC_EV_VL2_GROUP;
  ev.time_ns = now_ns;
  ev.addr = nwid;
  ev.addr2 = mac;
  ev.status = adi;
  ev.count = kind;
  return ev;
}

flatnet_ipc_event vl2_loop_event(uint64_t nwid, uint64_t mac, uint64_t bridge, uint64_t now_ns) {
  flatnet_ipc_event ev{};
  ev.type = FLATNET_IPC_EV_VL2_LOOP;
  ev.time_ns = now_ns;
  ev.addr = nwid;
  ev.addr2 = mac;
  ev.status = uint32_t(bridge >> 32) & 0xff;
  ev.count = uint32_t(bridge);
  return ev;
}

namespace {

bool unknown_dest(void* ctx, unsigned worker, uint64_t dst, uint64_t src,
                  const fastpath::PuntInfo& from) {
  auto* b = static_cast<ControlBridge*>(ctx);
  return b->service->event(worker, unknown_dest_event(dst, src, from, mono_ns()));
}

bool relaying_pair(void* ctx, unsigned worker, uint64_t src, uint64_t dst, uint32_t count) {
  auto* b = static_cast<ControlBridge*>(ctx);
  return b->service->event(worker, relay_pair_event(src, dst, count, mono_ns()));
}

bool lan_group(void* ctx, unsigned worker, uint64_t nwid, uint64_t mac, uint32_t adi, uint32_t kind) {
  auto* b = static_cast<ControlBridge*>(ctx);
  return b->service->event(worker, vl2_group_event(nwid, mac, adi, kind, mono_ns()));
}

bool lan_loop(void* ctx, unsigned worker, uint64_t nwid, uint64_t mac, uint64_t bridge) {
  auto* b = static_cast<ControlBridge*>(ctx);
  return b->service->event(worker, vl2_loop_event(nwid, mac, bridge, mono_ns()));
}

void quiescent(void* ctx, unsigned worker) {
  static_cast<ControlBridge*>(ctx)->table->quiescent(worker);
}

void sleeping(void* ctx, unsigned worker, bool asleep) {
  auto* b = static_cast<ControlBridge*>(ctx);
  if (asleep)
    b->table->reader_offline(worker);
  else
    b->table->reader_online(worker);
}

}  // namespace

flatnet_ipc_phys_addr to_phys(const fastpath::IpAddr& ip, uint16_t udp_port, uint16_t port_id) {
  flatnet_ipc_phys_addr a{};
  a.family = uint8_t(ip.family);  // Family values are the ABI's 4 and 6
  a.udp_port = udp_port;
  a.port_id = port_id;
  std::memcpy(a.ip, ip.b, 16);
  return a;
}

bool same_path(const flatnet_ipc_phys_addr& a, const fastpath::PuntInfo& i) {
  return a.family == uint8_t(i.src.family) && a.udp_port == i.src_port &&
         std::memcmp(a.ip, i.src.b, i.src.size()) == 0;
}

bool from_phys(const flatnet_ipc_phys_addr& a, PathView* out) {
  if (a.family != FLATNET_IPC_AF_INET && a.family != FLATNET_IPC_AF_INET6) return false;
  out->family = Family(a.family);
  out->port = a.udp_port;
  out->tx_port = a.port_id;
  std::memcpy(out->ip, a.ip, 16);
  return true;
}

void bind_hooks(ControlBridge& b, fastpath::ControlHooks* h) {
  static_assert(uint8_t(Family::kV4) == FLATNET_IPC_AF_INET && uint8_t(Family::kV6) == FLATNET_IPC_AF_INET6);
  h->ctx = &b;
  h->lookup = lookup;
  h->sibling = sibling;
  h->punt = punt;
  h->known_peer = known_peer;
  h->punt_fill = punt_fill;
  h->unknown_dest = unknown_dest;
  h->relaying_pair = relaying_pair;
  h->lan_group = lan_group;
  h->lan_loop = lan_loop;
  h->quiescent = quiescent;
  h->sleeping = sleeping;
}

}  // namespace flatnet::runtime
