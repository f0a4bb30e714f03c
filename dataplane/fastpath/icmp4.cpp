// ICMP echo (RFC 792): the request becomes the reply in place. Any other
// ICMP type is a counted drop: the data plane is not a host stack.
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>

#include "dataplane/fastpath/stage.hpp"

namespace flatnet::fastpath {

bool icmp4_echo(Worker& w, rte_mbuf* m) {
  PktMeta* pm = meta(m);
  uint16_t len = uint16_t(m->data_len - pm->l4_off);
  if (len < sizeof(rte_icmp_hdr)) {
    pm->reason = Drop::icmp4_malformed;
    return false;
  }
  auto* icmp = rte_pktmbuf_mtod_offset(m, rte_icmp_hdr*, pm->l4_off);
  if (rte_raw_cksum(icmp, len) != 0xffff) {
    pm->reason = Drop::icmp4_malformed;
    return false;
  }
  if (icmp->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || icmp->icmp_code != 0) {
    pm->reason = Drop::icmp4_type;
    return false;
  }
  icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
  icmp->icmp_cksum = 0;
  icmp->icmp_cksum = uint16_t(~rte_raw_cksum(icmp, len));

  auto* ip = rte_pktmbuf_mtod_offset(m, rte_ipv4_hdr*, pm->l3_off);
  rte_be32_t src = ip->src_addr;
  ip->src_addr = ip->dst_addr;
  ip->dst_addr = src;
  ip->time_to_live = 64;
  ip->hdr_checksum = 0;
  ip->hdr_checksum = rte_ipv4_cksum(ip);

  auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
  eth->dst_addr = eth->src_addr;
  std::memcpy(eth->src_addr.addr_bytes, w.u->mac.b, 6);
  ++w.c->icmp4_echo_replies;
  return true;
}

}  // namespace flatnet::fastpath
