#include "dataplane/runtime/gateway.hpp"

#include <rte_cycles.h>
#include <rte_ethdev.h>

#include <random>

#include "dataplane/fastpath/meta.hpp"
#include "dataplane/runtime/eal_args.hpp"

namespace flatnet::runtime {

bool gateway_port(const PortConfig& pc, unsigned queues, unsigned rx_desc, unsigned tx_desc, rte_mempool* pool,
                  Gateway* g, std::string* err) {
  if (!setup_port(port_name(pc.devargs), queues, rx_desc, tx_desc, pc.mtu, pool, &g->lan, err, kRssLan))
    return false;
  // A bridge takes every frame on the LAN, whatever its destination MAC.
  const int rc = rte_eth_promiscuous_enable(g->lan.port_id);
  if (rc != 0 && rc != -ENOTSUP) {
    *err = "lan port " + pc.devargs + ": cannot enable promiscuous mode";
    return false;
  }
  g->nwid = pc.network;
  g->vlans = pc.vlans;
  return true;
}

bool gateway_host_port(const PortConfig& pc, unsigned queues, unsigned rx_desc, unsigned tx_desc,
                       rte_mempool* pool, Gateway* g, std::string* err) {
  if (!setup_port(port_name(pc.devargs), queues, rx_desc, tx_desc, pc.mtu, pool, &g->host, err, kRssLan))
    return false;
  g->has_host = true;
  g->host_iface = pc.iface;
  return true;
}

bool gateway_tables(const Config& c, unsigned pollers, rte_rcu_qsbr* qsbr, Gateway* g, std::string* err) {
  tables::vl2::Vl2Params p;
  p.name = "fn_" + c.instance;
  p.mac_capacity = c.vl2_mac_capacity;
  p.member_capacity = c.vl2_peer_capacity;
  p.peer_capacity = c.vl2_peer_capacity;
  p.mac_age_s = c.vl2_mac_age_s;
  g->tables = tables::vl2::Vl2Tables::create(p, qsbr, err);
  if (!g->tables) return false;
  // The bridged networks are installed with defaults until control sets their own.
  std::vector<uint64_t> nets;
  if (g->nwid) nets.push_back(g->nwid);
  for (const auto& v : g->vlans) nets.push_back(v.second);
  for (uint64_t id : nets) {
    tables::vl2::NetworkSettings s;
    s.nwid = id;
    s.mac_capacity = c.vl2_mac_capacity;
    if (g->tables->network_set(s) != FLATNET_IPC_OK) {
      *err = "vl2 tables: cannot install a bridged network";
      return false;
    }
  }
  // Joined packets (fragments of a member's frame over 1,395 bytes) need
  // one mbuf for the whole packet, up to 10,024 bytes: a pool of its own.
  g->big_pool = fastpath::make_pool(("fn_" + c.instance + "_big").c_str(), 256 * pollers + 255, SOCKET_ID_ANY,
                                    uint16_t(10240 + RTE_PKTMBUF_HEADROOM));
  if (!g->big_pool) {
    *err = "vl2: cannot allocate the reassembly pool";
    return false;
  }
  // Several pollers: who carried each flow last, counted when it moves
  // (vl2_flow.hpp). A frame can wait in a queue while its worker sleeps
  // (idle_sleep_max_us) or shares its core: a 10 ms window covers both.
  if (pollers > 1) {
    g->under_flows = std::make_unique<fastpath::FlowOwners>(rte_get_tsc_hz() / 100);
    g->lan_flows = std::make_unique<fastpath::FlowOwners>(rte_get_tsc_hz() / 100);
  }
  std::random_device rd;
  for (unsigned i = 0; i < pollers; ++i) {
    auto v = std::make_unique<fastpath::Vl2Port>();
    v->tables = g->tables.get();
    v->nwid = g->nwid;
    for (const auto& [vid, id] : g->vlans) v->vlans[v->n_vlans++] = {vid, id};
    v->lan_port = g->lan.port_id;
    v->has_host = g->has_host;
    v->host_port = g->host.port_id;
    v->reasm.big = g->big_pool;
    v->reasm.timeout = rte_get_tsc_hz();  // 1 s, stock's ZT_FRAGMENTED_PACKET_RECEIVE_TIMEOUT
    if (c.vl2_lan_multicast_pps) {  // a token bucket in TSC cycles, a burst of 64 frames
      v->lan_multicast.cost = rte_get_tsc_hz() / c.vl2_lan_multicast_pps;
      v->lan_multicast.cap = v->lan_multicast.cost * 64;
      v->lan_multicast.credit = v->lan_multicast.cap;
      v->lan_multicast.last = rte_get_tsc_cycles();
    }
    // LAN groups told to control: each again after 10 s at most, and at
    // most 100 events a second (a burst of 32) per poller.
    v->group_repeat = 10 * rte_get_tsc_hz();
    v->group_events.cost = rte_get_tsc_hz() / 100;
    v->group_events.cap = v->group_events.cost * 32;
    v->group_events.credit = v->group_events.cap;
    v->group_events.last = rte_get_tsc_cycles();
    v->packet_id = packet_id_start(i, uint64_t(rd()) << 32 | rd());
    v->rnd = (uint64_t(rd()) << 32 | rd()) | 1;  // the rules' RANDOM: its own draws per poller, never 0
    g->ports.push_back(std::move(v));
  }
  return true;
}

uint64_t packet_id_start(unsigned poller, uint64_t rnd) {
  return (uint64_t(poller & 0xff) << 56) | (rnd & ((1ull << 55) - 1));
}

unsigned gateway_round(Gateway& g, uint64_t now_ns) {
  unsigned work = g.tables->drain_learn(256);
  if (now_ns >= g.next_age_ns) {
    work += g.tables->age_macs(tables::vl2::Vl2Tables::now_s(), 256);
    g.next_age_ns = now_ns + 1'000'000'000ull;
  }
  g.tables->reclaim();
  return work;
}

void gateway_counters(const Gateway& g, fastpath::CoreCounters& c) {
  const tables::vl2::Vl2TableCounters& t = g.tables->counters();
  c.vl2_swept = t.swept;
  c.vl2_keys_swept = t.keys_swept;
  c.vl2_keys_wiped = t.keys_wiped;
}

}  // namespace flatnet::runtime
