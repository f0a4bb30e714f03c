// Stage: IPv4 input. Validates the header (RFC 1122 3.2.1), keeps what is
// addressed to us, answers ICMP echo through icmp4.cpp, and passes UDP
// datagrams to flatnet's ports (primary or secondary) on with their PktMeta
// filled in. A zero UDP checksum is valid over IPv4 (stock ZeroTier sends
// only zeros).
#include <rte_ip.h>
#include <rte_prefetch.h>
#include <rte_udp.h>

#include "dataplane/fastpath/csum.hpp"
#include "dataplane/fastpath/stage.hpp"

namespace flatnet::fastpath {

namespace {

// Returns true if m continues as a UDP datagram for us; otherwise m was
// either queued as an ICMP reply or failed into p.
inline bool ip4_one(Worker& w, const OurPorts& ports, rte_mbuf* m, Partition& p) {
  PktMeta* pm = meta(m);
  uint16_t avail = uint16_t(m->data_len - pm->l3_off);
  if (avail < sizeof(rte_ipv4_hdr)) {
    p.fail(m, Drop::ip4_malformed);
    return false;
  }
  auto* ip = rte_pktmbuf_mtod_offset(m, rte_ipv4_hdr*, pm->l3_off);
  unsigned ihl = (ip->version_ihl & 0x0f) * 4u;
  uint16_t total = rte_be_to_cpu_16(ip->total_length);
  if ((ip->version_ihl >> 4) != 4 || ihl < sizeof(rte_ipv4_hdr) || total < ihl || total > avail) {
    p.fail(m, Drop::ip4_malformed);
    return false;
  }
  bool sum_ok = ihl == sizeof(rte_ipv4_hdr) ? ip4_hdr_sum20(ip) == 0xffff : rte_raw_cksum(ip, ihl) == 0xffff;
  if (!(m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_GOOD) && !sum_ok) {
    p.fail(m, Drop::ip4_checksum);
    return false;
  }
  if (ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) {
    p.fail(m, Drop::ip4_fragment);
    return false;
  }
  if (!w.u->ip4.equals(Family::kV4, reinterpret_cast<const uint8_t*>(&ip->dst_addr))) {
    p.fail(m, Drop::ip4_not_for_us);
    return false;
  }
  // Drop the Ethernet padding so lengths below are the IP ones.
  uint16_t frame = uint16_t(pm->l3_off + total);
  m->data_len = frame;
  m->pkt_len = frame;
  pm->l4_off = uint16_t(pm->l3_off + ihl);
  if (ip->next_proto_id == IPPROTO_ICMP) {
    if (icmp4_echo(w, m)) {
      tx_push(w, m);
    } else {
      p.fail(m, pm->reason);
    }
    return false;
  }
  if (ip->next_proto_id != IPPROTO_UDP) {
    p.fail(m, Drop::ip4_proto);
    return false;
  }
  auto* udp = rte_pktmbuf_mtod_offset(m, rte_udp_hdr*, pm->l4_off);
  uint16_t l4len = uint16_t(total - ihl);
  uint16_t ulen = l4len >= sizeof(rte_udp_hdr) ? rte_be_to_cpu_16(udp->dgram_len) : 0;
  if (ulen < sizeof(rte_udp_hdr) || ulen > l4len) {
    p.fail(m, Drop::udp_malformed);
    return false;
  }
  if (!ports.has(udp->dst_port)) {
    p.fail(m, Drop::udp_port);
    return false;
  }
  if (udp->dgram_cksum != 0 && w.u->verify_udp4_csum) {
    uint64_t l4f = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
    bool ok = l4f == RTE_MBUF_F_RX_L4_CKSUM_GOOD ||
              (l4f != RTE_MBUF_F_RX_L4_CKSUM_BAD && rte_ipv4_udptcp_cksum_verify(ip, udp) == 0);
    if (!ok) {
      p.fail(m, Drop::udp_checksum);
      return false;
    }
  }
  pm->family = Family::kV4;
  pm->src_ip.set_v4(reinterpret_cast<const uint8_t*>(&ip->src_addr));
  pm->src_port = rte_be_to_cpu_16(udp->src_port);
  pm->data_off = uint16_t(pm->l4_off + sizeof(rte_udp_hdr));
  pm->data_len = uint16_t(ulen - sizeof(rte_udp_hdr));
  pm->v6_csum_ok = 0;
  return true;
}

}  // namespace

uint16_t ip4_input(Worker& w, rte_mbuf** pkts, uint16_t n) {
  Partition p;
  const OurPorts ports = our_ports(*w.u);
  uint16_t i = 0;
  for (; i + 4 <= n; i += 4) {
    rte_mbuf* a = pkts[i];
    rte_mbuf* b = pkts[i + 1];
    rte_mbuf* c = pkts[i + 2];
    rte_mbuf* d = pkts[i + 3];
    if (ip4_one(w, ports, a, p)) p.good(pkts, a);
    if (ip4_one(w, ports, b, p)) p.good(pkts, b);
    if (ip4_one(w, ports, c, p)) p.good(pkts, c);
    if (ip4_one(w, ports, d, p)) p.good(pkts, d);
  }
  for (; i < n; ++i)
    if (ip4_one(w, ports, pkts[i], p)) p.good(pkts, pkts[i]);
  uint16_t k = p.n_good;
  drop_tail(w, p.bad, p.n_bad);
  return k;
}

}  // namespace flatnet::fastpath
