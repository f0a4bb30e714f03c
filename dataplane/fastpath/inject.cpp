// Packets control asks the data plane to send (HELLO replies, RENDEZVOUS,
// WHOIS answers...): a VL1 datagram plus a physical destination becomes an
// Ethernet/IP/UDP frame from our address and port, resolved like a relayed
// packet.
#include "dataplane/fastpath/encap.hpp"
#include "dataplane/fastpath/nexthop.hpp"
#include "dataplane/fastpath/stage.hpp"

namespace flatnet::fastpath {

namespace {
InjectResult inject_one(Worker& w, const uint8_t* data, uint32_t len, const PathView& dst);
}

InjectResult inject(Worker& w, const uint8_t* data, uint32_t len, const PathView& dst) {
  InjectResult r = inject_one(w, data, len, dst);
  if (r == InjectResult::kBad || r == InjectResult::kNoRoute || r == InjectResult::kTooBig)
    w.c->count_drop(Drop::inject_bad);
  return r;
}

namespace {

InjectResult inject_one(Worker& w, const uint8_t* data, uint32_t len, const PathView& dst) {
  const Underlay& u = *w.u;
  bool v4 = dst.family == Family::kV4;
  if (!v4 && dst.family != Family::kV6) return InjectResult::kBad;
  const IpAddr& own = v4 ? u.ip4 : u.ip6;
  if (own.family != dst.family || dst.port == 0) return InjectResult::kNoRoute;
  uint16_t outer = v4 ? kOuter4 : kOuter6;
  size_t l3len = size_t(outer - sizeof(rte_ether_hdr)) + len;
  if (l3len > u.mtu) return InjectResult::kTooBig;
  rte_mbuf* m = rte_pktmbuf_alloc(w.pool);
  if (!m) return InjectResult::kNoMbuf;
  uint8_t* p = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, uint16_t(outer + len)));
  if (!p) {
    rte_pktmbuf_free(m);
    return InjectResult::kTooBig;
  }
  std::memcpy(p + outer, data, len);
  IpAddr to;
  to.family = dst.family;
  std::memcpy(to.b, dst.ip, v4 ? 4 : 16);
  const IpAddr& nh = next_hop(u, to);
  Mac mac;
  bool resolved = resolve(w, nh, &mac);
  // Always from the primary port (never the secondary).
  if (v4) {
    write_eth(m, u.mac, mac, RTE_BE16(RTE_ETHER_TYPE_IPV4));
    write_ip4_udp(m, own.b, dst.ip, u.udp_port, dst.port, uint16_t(len));
  } else {
    write_eth(m, u.mac, mac, RTE_BE16(RTE_ETHER_TYPE_IPV6));
    rte_udp_hdr* udp = write_ip6_udp(m, own.b, dst.ip, u.udp_port, dst.port, uint16_t(len));
    udp->dgram_cksum = 0;
    udp->dgram_cksum = rte_ipv6_udptcp_cksum(
        rte_pktmbuf_mtod_offset(m, const rte_ipv6_hdr*, sizeof(rte_ether_hdr)), udp);
  }
  if (resolved) {
    tx_push(w, m);
    return InjectResult::kSent;
  }
  Partition p_fail;
  if (!hold_for_neighbor(w, m, nh, p_fail)) {
    drop_tail(w, p_fail.bad, p_fail.n_bad);
    return InjectResult::kQueueFull;
  }
  return InjectResult::kQueued;
}

}  // namespace
}  // namespace flatnet::fastpath
