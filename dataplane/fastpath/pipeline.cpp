// One received burst through the stages:
//
//   fast_lane ─────────── (IPv4/UDP VL1 relay candidates) ────────┐
//   eth_input ─┬─ arp ──────────────────────────────► tx (replies) │
//              ├─ ip4_input ─┬─ icmp4 echo ─────────► tx
//              │             └─ udp:port ─┐
//              └─ ip6_input ─┬─ icmp6/ND ───────────► tx
//                            └─ udp:port ─┴─ vl1_classify ─┬─ relay ◄┘ ─► tx / neighbour queue
//                                                          └─ [vl2_decap ─► LAN] ─ punt ──► control
//
// On a gateway (w.vl2 set) packets to us meet vl2_decap first: frame verbs
// from members go out of the LAN port, the rest is punted unchanged.
//
// Every stage counts its drops under one reason; nothing is freed silently.
#include <rte_cycles.h>

#include <algorithm>
#include <cstring>

#include "dataplane/fastpath/stage.hpp"
#include "dataplane/fastpath/vl2.hpp"

namespace flatnet::fastpath {

void process_burst(Worker& w, rte_mbuf** pkts, uint16_t n) {
  if (n == 0) return;
  w.now = rte_get_tsc_cycles();
  w.c->rx_packets += n;
  uint64_t bytes = 0;
  for (uint16_t i = 0; i < n; ++i) bytes += pkts[i]->pkt_len;
  w.c->rx_bytes += bytes;

  rte_mbuf* to_relay[kBurst];
  uint16_t nr = 0;
  n = fast_lane(w, pkts, n, to_relay, &nr);

  EthSorted s;
  if (n) eth_input(w, pkts, n, s);
  if (s.n_arp) arp_input(w, s.arp, s.n_arp);
  uint16_t k4 = s.n_ip4 ? ip4_input(w, s.ip4, s.n_ip4) : 0;
  uint16_t k6 = s.n_ip6 ? ip6_input(w, s.ip6, s.n_ip6) : 0;

  rte_mbuf* udp[kBurst];
  uint16_t nu = 0;
  for (uint16_t i = 0; i < k4; ++i) udp[nu++] = s.ip4[i];
  for (uint16_t i = 0; i < k6; ++i) udp[nu++] = s.ip6[i];
  uint16_t k = nu ? vl1_classify(w, udp, nu) : 0;
  drop_tail(w, udp + k, uint16_t(nu - k));

  rte_mbuf* to_punt[kBurst];
  uint16_t np = 0;
  for (uint16_t i = 0; i < k; ++i) {
    if (meta(udp[i])->action == Vl1Action::kRelay)
      to_relay[nr++] = udp[i];
    else
      to_punt[np++] = udp[i];
  }
  if (nr) {
    uint16_t nfail = 0;
    uint16_t r = relay(w, to_relay, nr, &nfail);
    for (uint16_t i = 0; i < r; ++i) tx_push(w, to_relay[i]);
    drop_tail(w, to_relay + r, nfail);
  }
  if (np && w.vl2) {
    rte_mbuf* rest[kDecapPuntMax];
    uint16_t nr2 = 0;
    vl2_decap(w, *w.vl2, to_punt, np, rest, &nr2);
    for (uint16_t at = 0; at < nr2; at += kBurst) {  // punt takes a burst at a time
      const uint16_t k2 = uint16_t(std::min<unsigned>(kBurst, nr2 - at));
      const uint16_t ok = punt(w, rest + at, k2);
      drop_tail(w, rest + at, uint16_t(k2 - ok));
    }
    np = 0;
  }
  if (np) {
    uint16_t ok = punt(w, to_punt, np);
    drop_tail(w, to_punt, uint16_t(np - ok));
  }
}

void housekeeping(Worker& w) {
  if (w.neigh->pending() == 0) return;
  w.now = rte_get_tsc_cycles();
  uint16_t room = uint16_t(TxBuffer::kCap - w.tx.n);
  unsigned flushed = w.neigh->take_resolved(w.tx.pkts + w.tx.n, room);
  w.tx.n = uint16_t(w.tx.n + flushed);
  w.c->neigh_flushed += flushed;
  rte_mbuf* expired[64];
  unsigned ne = w.neigh->take_expired(w.now, expired, 64);
  for (unsigned i = 0; i < ne; ++i) drop_one(w, expired[i], Drop::neigh_timeout);
  IpAddr due[8];
  unsigned nd = w.neigh->due_requests(w.now, due, 8);
  for (unsigned i = 0; i < nd; ++i) {
    if (due[i].family == Family::kV4)
      arp_request(w, due[i]);
    else
      nd_solicit(w, due[i]);
  }
}

}  // namespace flatnet::fastpath
