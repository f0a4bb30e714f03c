#include "dataplane/runtime/lcore.hpp"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_prefetch.h>

#include <cstring>

#include "dataplane/fastpath/stage.hpp"
#include "dataplane/fastpath/vl2.hpp"

namespace flatnet::runtime {

// Set by the signal handler, read by every loop. Relaxed: loops only need
// to notice eventually; shutdown joins the lcores afterwards.
std::atomic<bool> g_stop{false};

void flush_tx(Poller& p) {
  fastpath::TxBuffer& tx = p.w.tx;
  if (tx.n == 0) return;
  // Bytes are summed before the burst: a sent mbuf belongs to the driver
  // (af_packet frees it at once). The refused ones are subtracted below.
  uint64_t bytes = 0;
  for (uint16_t i = 0; i < tx.n; ++i) bytes += tx.pkts[i]->pkt_len;
  uint16_t sent = 0;
  // A full ring is usually a moment's congestion: two more tries, then drop.
  for (int attempt = 0; attempt < 3 && sent < tx.n; ++attempt)
    sent = uint16_t(sent + rte_eth_tx_burst(p.port, p.queue, tx.pkts + sent, uint16_t(tx.n - sent)));
  fastpath::CoreCounters& c = *p.w.c;
  if (sent < tx.n) {
    c.drop[size_t(fastpath::Drop::tx_full)] += tx.n - sent;
    for (uint16_t i = sent; i < tx.n; ++i) bytes -= tx.pkts[i]->pkt_len;
    rte_pktmbuf_free_bulk(tx.pkts + sent, tx.n - sent);
  }
  c.tx_packets += sent;
  c.tx_bytes += bytes;
  tx.n = 0;
}

// Sends a gateway port's frames (same queue number as the underlay: one
// queue pair per poller on each port); counts into *packets / *bytes.
void flush_port(Poller& p, uint16_t port, fastpath::TxBuffer& tx, uint64_t* packets, uint64_t* out_bytes) {
  if (tx.n == 0) return;
  uint64_t bytes = 0;
  for (uint16_t i = 0; i < tx.n; ++i) bytes += tx.pkts[i]->pkt_len;
  uint16_t sent = 0;
  for (int attempt = 0; attempt < 3 && sent < tx.n; ++attempt)
    sent = uint16_t(sent + rte_eth_tx_burst(port, p.queue, tx.pkts + sent, uint16_t(tx.n - sent)));
  fastpath::CoreCounters& c = *p.w.c;
  if (sent < tx.n) {
    c.drop[size_t(fastpath::Drop::tx_full)] += tx.n - sent;
    for (uint16_t i = sent; i < tx.n; ++i) bytes -= tx.pkts[i]->pkt_len;
    rte_pktmbuf_free_bulk(tx.pkts + sent, tx.n - sent);
  }
  *packets += sent;
  *out_bytes += bytes;
  tx.n = 0;
}

// The frames vl2_decap and the host port left for the LAN port, and those
// for the host port (vl2_host.cpp).
void flush_lan(Poller& p) {
  fastpath::Vl2Port& v = *p.w.vl2;
  fastpath::CoreCounters& c = *p.w.c;
  flush_port(p, v.lan_port, v.lan_tx, &c.lan_tx_packets, &c.lan_tx_bytes);
  if (v.has_host) flush_port(p, v.host_port, v.host_tx, &c.host_tx_packets, &c.host_tx_bytes);
}

// The LAN port's frames: encapsulated toward the network's members.
unsigned poll_lan(Poller& p) {
  rte_mbuf* pkts[fastpath::kBurst];
  uint16_t n = rte_eth_rx_burst(p.w.vl2->lan_port, p.queue, pkts, fastpath::kBurst);
  if (n == 0) return 0;
  fastpath::CoreCounters& c = *p.w.c;
  c.lan_rx_packets += n;
  for (uint16_t i = 0; i < n; ++i) c.lan_rx_bytes += pkts[i]->pkt_len;
  p.w.now = rte_get_tsc_cycles();
  // The move counters' line is touched only when something moved.
  if (p.lan_flows)
    if (unsigned m = fastpath::lan_flow_moves(*p.lan_flows, pkts, n, p.w.id, p.w.now)) c.vl2_flow_moves_encap += m;
  const uint16_t rest = fastpath::vl2_host_from_lan(p.w, *p.w.vl2, pkts, n);
  if (rest) fastpath::vl2_encap(p.w, *p.w.vl2, pkts, rest);
  return n;
}

// The host port's frames (the gateway machine's own, from our member MAC):
// to the LAN and / or encapsulated toward the members (vl2_host.cpp).
unsigned poll_host(Poller& p) {
  fastpath::Vl2Port& v = *p.w.vl2;
  rte_mbuf* pkts[fastpath::kBurst];
  uint16_t n = rte_eth_rx_burst(v.host_port, p.queue, pkts, fastpath::kBurst);
  if (n == 0) return 0;
  fastpath::CoreCounters& c = *p.w.c;
  c.host_rx_packets += n;
  for (uint16_t i = 0; i < n; ++i) c.host_rx_bytes += pkts[i]->pkt_len;
  p.w.now = rte_get_tsc_cycles();
  if (p.lan_flows)  // the gateway machine's own flows, in the LAN's table (other addresses)
    if (unsigned m = fastpath::lan_flow_moves(*p.lan_flows, pkts, n, p.w.id, p.w.now)) c.vl2_flow_moves_encap += m;
  const uint16_t rest = fastpath::vl2_host_input(p.w, v, pkts, n);
  if (rest) fastpath::vl2_encap(p.w, v, pkts, rest);
  return n;
}

unsigned poll_once(Poller& p) {
  rte_mbuf* pkts[fastpath::kBurst];
  uint16_t n = rte_eth_rx_burst(p.port, p.queue, pkts, fastpath::kBurst);
  for (uint16_t i = 0; i < n; ++i) rte_prefetch0_write(pkts[i]);  // for the next round
  if (p.n_held) {
    if (p.under_flows)  // before the stages: they free or reuse the mbufs
      if (unsigned m = fastpath::underlay_flow_moves(*p.under_flows, p.held, p.n_held, p.w.id, rte_get_tsc_cycles()))
        p.w.c->vl2_flow_moves_decap += m;
    fastpath::process_burst(p.w, p.held, p.n_held);
  }
  if (p.w.vl2 && p.w.vl2->has_host) fastpath::vl2_host_from_decap(p.w, *p.w.vl2);
  std::memcpy(p.held, pkts, n * sizeof(rte_mbuf*));
  p.n_held = n;
  if (p.w.neigh->pending()) fastpath::housekeeping(p.w);
  unsigned from_main = 0;
  if (p.from_main) {
    unsigned room = fastpath::TxBuffer::kCap - p.w.tx.n;
    from_main = rte_ring_sc_dequeue_burst(p.from_main, reinterpret_cast<void**>(p.w.tx.pkts + p.w.tx.n),
                                          room, nullptr);
    p.w.tx.n = uint16_t(p.w.tx.n + from_main);
  }
  unsigned lan = p.w.vl2 ? poll_lan(p) : 0;
  if (p.w.vl2 && p.w.vl2->has_host) lan += poll_host(p);
  if (p.w.vl2 && p.w.vl2->reasm.busy) {  // partial packets time out even when nothing comes
    p.w.now = rte_get_tsc_cycles();
    fastpath::reasm_expire(p.w, p.w.vl2->reasm);
  }
  flush_tx(p);
  if (p.w.vl2) flush_lan(p);
  const fastpath::ControlHooks& h = *p.w.hooks;
  if (h.quiescent) h.quiescent(h.ctx, p.w.id);
  ++p.w.c->polls;
  if (n == 0 && lan == 0) ++p.w.c->empty_polls;
  p.idle.got(n + from_main + lan);
  return n + from_main + lan;
}

void back_off(Poller& p) {
  switch (p.idle.next()) {
    case IdleBackoff::Action::kNone:
      return;
    case IdleBackoff::Action::kPause:
      rte_pause();
      return;
    case IdleBackoff::Action::kSleep: {
      const fastpath::ControlHooks& h = *p.w.hooks;
      if (h.sleeping) h.sleeping(h.ctx, p.w.id, true);
      ++p.w.c->idle_sleeps;
      p.idle.sleep();
      if (h.sleeping) h.sleeping(h.ctx, p.w.id, false);
    }
  }
}

void drain(Poller& p) {
  if (p.n_held == 0) return;
  fastpath::process_burst(p.w, p.held, p.n_held);
  p.n_held = 0;
  if (p.w.vl2 && p.w.vl2->has_host) fastpath::vl2_host_from_decap(p.w, *p.w.vl2);
  flush_tx(p);
  if (p.w.vl2) flush_lan(p);
}

int worker_main(void* arg) {
  auto& p = *static_cast<Poller*>(arg);
  while (!g_stop.load(std::memory_order_relaxed)) {
    poll_once(p);
    back_off(p);
  }
  drain(p);
  return 0;
}

}  // namespace flatnet::runtime
