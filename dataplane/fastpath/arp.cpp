// Stage: ARP. Answers requests for our IPv4 address by turning the request
// into the reply in place, and builds requests for next hops the relay needs.
// The sender of an ARP aimed at us is recorded only for a next hop we are
// resolving (a packet is held for it) or a neighbour we already know: anyone
// on the link can send ARP with any sender address, and learning them all
// would cycle the table's probe windows and evict the gateway (as for ND in
// icmp6.cpp).
#include <rte_arp.h>
#include <rte_ether.h>

#include "dataplane/fastpath/stage.hpp"

namespace flatnet::fastpath {

namespace {

void arp_one(Worker& w, rte_mbuf* m, Partition& p) {
  if (m->data_len < sizeof(rte_ether_hdr) + sizeof(rte_arp_hdr)) {
    p.fail(m, Drop::arp_malformed);
    return;
  }
  auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
  auto* arp = reinterpret_cast<rte_arp_hdr*>(eth + 1);
  if (arp->arp_hardware != RTE_BE16(RTE_ARP_HRD_ETHER) ||
      arp->arp_protocol != RTE_BE16(RTE_ETHER_TYPE_IPV4) || arp->arp_hlen != 6 ||
      arp->arp_plen != 4) {
    p.fail(m, Drop::arp_malformed);
    return;
  }
  uint16_t op = rte_be_to_cpu_16(arp->arp_opcode);
  const auto& d = arp->arp_data;
  if (w.u->ip4.family != Family::kV4 || !w.u->ip4.equals(Family::kV4, reinterpret_cast<const uint8_t*>(&d.arp_tip))) {
    p.fail(m, Drop::arp_not_for_us);
    return;
  }
  if (op != RTE_ARP_OP_REQUEST && op != RTE_ARP_OP_REPLY) {
    p.fail(m, Drop::arp_malformed);
    return;
  }
  // A sender MAC we could neither learn nor answer, or a reply that says
  // nothing (0.0.0.0 is only meaningful in a request: an RFC 5227 probe,
  // which we answer without learning). Counted, so that every ARP frame
  // ends as a drop, a learned entry or a reply.
  if (rte_is_zero_ether_addr(&d.arp_sha) || rte_is_multicast_ether_addr(&d.arp_sha) ||
      (op == RTE_ARP_OP_REPLY && d.arp_sip == 0)) {
    p.fail(m, Drop::arp_bad_sender);
    return;
  }
  IpAddr sender = IpAddr::v4(reinterpret_cast<const uint8_t*>(&d.arp_sip));
  Mac smac;
  std::memcpy(smac.b, d.arp_sha.addr_bytes, 6);
  // ARP has no Override flag: a known neighbour that answers from another
  // MAC has moved (or failed over), so the new MAC replaces the old one.
  bool known = d.arp_sip != 0 &&
               w.neigh->refresh(sender, smac) != NeighborTable::Refresh::kUnknown;
  if (known) ++w.c->arp_learned;
  if (op == RTE_ARP_OP_REPLY) {
    if (!known) {
      p.fail(m, Drop::arp_unsolicited);
      return;
    }
    rte_pktmbuf_free(m);  // learned (counted above); nothing to send
    return;
  }
  // Request for us: reply in place, to the sender's MAC from the frame (the
  // reply needs no table entry; an unknown sender stays unknown).
  arp->arp_opcode = RTE_BE16(RTE_ARP_OP_REPLY);
  arp->arp_data.arp_tha = d.arp_sha;
  std::memcpy(arp->arp_data.arp_sha.addr_bytes, w.u->mac.b, 6);
  uint32_t sip = d.arp_sip;
  arp->arp_data.arp_sip = d.arp_tip;
  arp->arp_data.arp_tip = sip;
  std::memcpy(eth->dst_addr.addr_bytes, smac.b, 6);
  std::memcpy(eth->src_addr.addr_bytes, w.u->mac.b, 6);
  // Pad to the Ethernet minimum (kernels send 42-byte ARPs to raw sockets).
  constexpr uint16_t kMin = 60;
  uint16_t len = uint16_t(sizeof(rte_ether_hdr) + sizeof(rte_arp_hdr));
  if (m->data_len < kMin && rte_pktmbuf_tailroom(m) >= kMin - m->data_len)
    std::memset(rte_pktmbuf_mtod_offset(m, uint8_t*, m->data_len), 0, kMin - m->data_len);
  if (rte_pktmbuf_tailroom(m) + m->data_len >= kMin) len = kMin;
  m->data_len = len;
  m->pkt_len = len;
  ++w.c->arp_replies;
  tx_push(w, m);
}

}  // namespace

void arp_input(Worker& w, rte_mbuf** pkts, uint16_t n) {
  Partition p;
  for (uint16_t i = 0; i < n; ++i) arp_one(w, pkts[i], p);
  drop_tail(w, p.bad, p.n_bad);
}

bool arp_request(Worker& w, const IpAddr& target) {
  if (w.u->ip4.family != Family::kV4) return false;
  rte_mbuf* m = rte_pktmbuf_alloc(w.pool);
  if (!m) {
    w.c->count_drop(Drop::no_mbuf);
    return false;
  }
  constexpr uint16_t kLen = 60;  // padded to the Ethernet minimum
  auto* eth = reinterpret_cast<rte_ether_hdr*>(rte_pktmbuf_append(m, kLen));
  if (!eth) {
    rte_pktmbuf_free(m);
    return false;
  }
  std::memset(eth, 0, kLen);
  std::memset(eth->dst_addr.addr_bytes, 0xff, 6);
  std::memcpy(eth->src_addr.addr_bytes, w.u->mac.b, 6);
  eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
  auto* arp = reinterpret_cast<rte_arp_hdr*>(eth + 1);
  arp->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
  arp->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
  arp->arp_hlen = 6;
  arp->arp_plen = 4;
  arp->arp_opcode = RTE_BE16(RTE_ARP_OP_REQUEST);
  std::memcpy(arp->arp_data.arp_sha.addr_bytes, w.u->mac.b, 6);
  std::memcpy(&arp->arp_data.arp_sip, w.u->ip4.b, 4);
  std::memcpy(&arp->arp_data.arp_tip, target.b, 4);
  ++w.c->arp_requests;
  tx_push(w, m);
  return true;
}

}  // namespace flatnet::fastpath
