// Stage: Ethernet input. Sorts a received burst by ethertype into ARP, IPv4
// and IPv6 lists; everything else is a counted drop. Unicast frames must be
// addressed to the port; broadcast and multicast pass (ARP, ND).
#include <rte_ether.h>
#include <rte_prefetch.h>

#include "dataplane/fastpath/stage.hpp"

namespace flatnet::fastpath {

namespace {

inline bool mac_eq(const rte_ether_addr& a, const Mac& b) {
  // Two loads instead of a memcmp call: this runs for every frame.
  uint32_t a0, b0;
  uint16_t a1, b1;
  std::memcpy(&a0, a.addr_bytes, 4);
  std::memcpy(&a1, a.addr_bytes + 4, 2);
  std::memcpy(&b0, b.b, 4);
  std::memcpy(&b1, b.b + 4, 2);
  return a0 == b0 && a1 == b1;
}

inline void sort_one(Worker& w, rte_mbuf* m, EthSorted& out, Partition& p) {
  if (m->nb_segs != 1) {
    // Only jumbo frames span mbufs; stages read headers and payload as one run.
    p.fail(m, Drop::eth_multiseg);
    return;
  }
  if (m->data_len < sizeof(rte_ether_hdr)) {
    p.fail(m, Drop::eth_runt);
    return;
  }
  const auto* eth = rte_pktmbuf_mtod(m, const rte_ether_hdr*);
  if (mac_eq(eth->src_addr, w.u->mac)) {
    p.fail(m, Drop::eth_from_self);
    return;
  }
  if (!rte_is_multicast_ether_addr(&eth->dst_addr) && !mac_eq(eth->dst_addr, w.u->mac)) {
    p.fail(m, Drop::eth_not_for_us);
    return;
  }
  PktMeta* pm = meta(m);
  pm->l3_off = sizeof(rte_ether_hdr);
  switch (eth->ether_type) {
    case RTE_BE16(RTE_ETHER_TYPE_IPV4):
      out.ip4[out.n_ip4++] = m;
      break;
    case RTE_BE16(RTE_ETHER_TYPE_IPV6):
      out.ip6[out.n_ip6++] = m;
      break;
    case RTE_BE16(RTE_ETHER_TYPE_ARP):
      out.arp[out.n_arp++] = m;
      break;
    default:
      p.fail(m, Drop::eth_type);
  }
}

}  // namespace

void eth_input(Worker& w, rte_mbuf** pkts, uint16_t n, EthSorted& out) {
  Partition p;
  uint16_t i = 0;
  // Headers (and the PktMeta line every later stage writes) of packets
  // i+4..i+7 are fetched while i..i+3 are sorted.
  for (uint16_t k = 0; k < n && k < 4; ++k) {
    rte_prefetch0(rte_pktmbuf_mtod(pkts[k], void*));
    rte_prefetch0(meta(pkts[k]));
  }
  for (; i + 4 <= n; i += 4) {
    for (uint16_t k = i + 4; k < n && k < i + 8; ++k) {
      rte_prefetch0(rte_pktmbuf_mtod(pkts[k], void*));
      rte_prefetch0(meta(pkts[k]));
    }
    sort_one(w, pkts[i], out, p);
    sort_one(w, pkts[i + 1], out, p);
    sort_one(w, pkts[i + 2], out, p);
    sort_one(w, pkts[i + 3], out, p);
  }
  for (; i < n; ++i) sort_one(w, pkts[i], out, p);
  drop_tail(w, p.bad, p.n_bad);
}

}  // namespace flatnet::fastpath
