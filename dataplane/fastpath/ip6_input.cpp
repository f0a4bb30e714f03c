// Stage: IPv6 input. Validates the fixed header, accepts our unicast
// addresses (global and link-local) plus the multicast groups neighbour
// discovery needs, hands ICMPv6 to icmp6.cpp and passes UDP datagrams to
// flatnet's ports (primary or secondary) on. IPv6 UDP must carry a valid
// checksum (RFC 8200 8.1). Extension headers are not parsed: a counted drop.
#include <rte_ip.h>
#include <rte_udp.h>

#include "dataplane/fastpath/stage.hpp"

namespace flatnet::fastpath {

namespace {

// ff02::1 (all nodes) or ff02::1:ffXX:XXXX matching one of our addresses.
inline bool our_multicast(const Underlay& u, const uint8_t* d) {
  static constexpr uint8_t kAllNodes[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  static constexpr uint8_t kSolicited[13] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff};
  if (std::memcmp(d, kAllNodes, 16) == 0) return true;
  if (std::memcmp(d, kSolicited, 13) != 0) return false;
  auto tail_is = [&](const IpAddr& a) {
    return a.family == Family::kV6 && std::memcmp(a.b + 13, d + 13, 3) == 0;
  };
  return tail_is(u.ip6) || tail_is(u.ip6_ll);
}

inline bool ip6_one(Worker& w, const OurPorts& ports, rte_mbuf* m, Partition& p) {
  PktMeta* pm = meta(m);
  uint16_t avail = uint16_t(m->data_len - pm->l3_off);
  if (avail < sizeof(rte_ipv6_hdr)) {
    p.fail(m, Drop::ip6_malformed);
    return false;
  }
  auto* ip = rte_pktmbuf_mtod_offset(m, rte_ipv6_hdr*, pm->l3_off);
  uint16_t plen = rte_be_to_cpu_16(ip->payload_len);
  if ((rte_be_to_cpu_32(ip->vtc_flow) >> 28) != 6 || plen > avail - sizeof(rte_ipv6_hdr)) {
    p.fail(m, Drop::ip6_malformed);
    return false;
  }
  const Underlay& u = *w.u;
  bool unicast = u.ip6.equals(Family::kV6, ip->dst_addr) || u.ip6_ll.equals(Family::kV6, ip->dst_addr);
  if (!unicast && !our_multicast(u, ip->dst_addr)) {
    p.fail(m, Drop::ip6_not_for_us);
    return false;
  }
  uint16_t frame = uint16_t(pm->l3_off + sizeof(rte_ipv6_hdr) + plen);
  m->data_len = frame;
  m->pkt_len = frame;
  pm->l4_off = uint16_t(pm->l3_off + sizeof(rte_ipv6_hdr));
  if (ip->proto == IPPROTO_ICMPV6) {
    icmp6_input(w, m);  // consumes m
    return false;
  }
  if (ip->proto != IPPROTO_UDP || !unicast) {
    p.fail(m, Drop::ip6_next_header);
    return false;
  }
  auto* udp = rte_pktmbuf_mtod_offset(m, rte_udp_hdr*, pm->l4_off);
  uint16_t ulen = plen >= sizeof(rte_udp_hdr) ? rte_be_to_cpu_16(udp->dgram_len) : 0;
  if (ulen < sizeof(rte_udp_hdr) || ulen != plen) {  // no jumbograms, no trailers
    p.fail(m, Drop::udp_malformed);
    return false;
  }
  if (!ports.has(udp->dst_port)) {
    p.fail(m, Drop::udp_port);
    return false;
  }
  uint64_t l4f = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
  bool ok = udp->dgram_cksum != 0 &&
            (l4f == RTE_MBUF_F_RX_L4_CKSUM_GOOD ||
             (l4f != RTE_MBUF_F_RX_L4_CKSUM_BAD && rte_ipv6_udptcp_cksum_verify(ip, udp) == 0));
  if (!ok) {
    p.fail(m, Drop::udp_checksum);
    return false;
  }
  pm->family = Family::kV6;
  pm->src_ip = IpAddr::v6(ip->src_addr);
  pm->src_port = rte_be_to_cpu_16(udp->src_port);
  pm->data_off = uint16_t(pm->l4_off + sizeof(rte_udp_hdr));
  pm->data_len = uint16_t(ulen - sizeof(rte_udp_hdr));
  pm->v6_csum_ok = 1;
  return true;
}

}  // namespace

uint16_t ip6_input(Worker& w, rte_mbuf** pkts, uint16_t n) {
  Partition p;
  const OurPorts ports = our_ports(*w.u);
  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    if (ip6_one(w, ports, m, p)) p.good(pkts, m);
  }
  uint16_t k = p.n_good;
  drop_tail(w, p.bad, p.n_bad);
  return k;
}

}  // namespace flatnet::fastpath
