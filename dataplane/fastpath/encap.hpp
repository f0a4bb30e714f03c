// Outer header writer for relayed datagrams: Ethernet + IPv4/IPv6 + UDP in
// front of an unchanged VL1 datagram. Inline because the relay calls it for
// every packet.
#pragma once

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "dataplane/fastpath/csum.hpp"
#include "dataplane/fastpath/meta.hpp"
#include "dataplane/fastpath/worker.hpp"

namespace flatnet::fastpath {

inline constexpr uint16_t kOuter4 = sizeof(rte_ether_hdr) + sizeof(rte_ipv4_hdr) + sizeof(rte_udp_hdr);
inline constexpr uint16_t kOuter6 = sizeof(rte_ether_hdr) + sizeof(rte_ipv6_hdr) + sizeof(rte_udp_hdr);

// Makes the headroom in front of the datagram exactly `outer` bytes long.
// Returns false if the mbuf lacks headroom (never with standard pools).
inline bool reshape_outer(rte_mbuf* m, PktMeta* pm, uint16_t outer) {
  if (pm->data_off > outer) {
    rte_pktmbuf_adj(m, uint16_t(pm->data_off - outer));
  } else if (pm->data_off < outer) {
    if (!rte_pktmbuf_prepend(m, uint16_t(outer - pm->data_off))) return false;
  }
  // Drop anything after the datagram (the input trimmed to IP length; the
  // UDP length may be shorter).
  uint32_t frame = uint32_t(outer) + pm->data_len;
  m->data_len = uint16_t(frame);
  m->pkt_len = frame;
  pm->data_off = outer;
  pm->l3_off = sizeof(rte_ether_hdr);
  pm->l4_off = uint16_t(outer - sizeof(rte_udp_hdr));
  return true;
}

// The outer headers start wherever the VL1 packet ends up: 2-byte aligned
// after a FRAME, on an odd address after an EXT_FRAME (its 23-byte prefix
// before the LAN frame, which is not moved). x86 loads and stores any
// alignment at full speed, as DPDK's own header code assumes, so the three
// writers below are exempt from UBSan's alignment check (only that check).
#define FLATNET_UNALIGNED_HEADERS __attribute__((no_sanitize("alignment")))

FLATNET_UNALIGNED_HEADERS
inline void write_eth(rte_mbuf* m, const Mac& src, const Mac& dst, uint16_t type_be) {
  auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
  std::memcpy(eth->dst_addr.addr_bytes, dst.b, 6);
  std::memcpy(eth->src_addr.addr_bytes, src.b, 6);
  eth->ether_type = type_be;
}

FLATNET_UNALIGNED_HEADERS
inline void write_ip4_udp(rte_mbuf* m, const uint8_t* src, const uint8_t* dst, uint16_t sport,
                          uint16_t dport, uint16_t payload) {
  auto* ip = rte_pktmbuf_mtod_offset(m, rte_ipv4_hdr*, sizeof(rte_ether_hdr));
  uint16_t total = uint16_t(sizeof(rte_ipv4_hdr) + sizeof(rte_udp_hdr) + payload);
  uint32_t s4, d4;
  std::memcpy(&s4, src, 4);
  std::memcpy(&d4, dst, 4);
  // The header checksum from the field values in registers: reading the
  // freshly written header back would stall on store forwarding.
  // Words (host order): 0x4500, total, id 0, DF 0x4000, ttl|proto, addresses.
  uint32_t hs = rte_be_to_cpu_32(s4), hd = rte_be_to_cpu_32(d4);
  uint32_t sum = 0x4500u + total + 0x4000u + (64u << 8 | IPPROTO_UDP) + (hs >> 16) + (hs & 0xffff) +
                 (hd >> 16) + (hd & 0xffff);
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  ip->version_ihl = RTE_IPV4_VHL_DEF;
  ip->type_of_service = 0;
  ip->total_length = rte_cpu_to_be_16(total);
  ip->packet_id = 0;
  ip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);  // VL1 fragments; IP never does
  ip->time_to_live = 64;
  ip->next_proto_id = IPPROTO_UDP;
  ip->hdr_checksum = rte_cpu_to_be_16(uint16_t(~sum));
  ip->src_addr = s4;
  ip->dst_addr = d4;
  auto* udp = reinterpret_cast<rte_udp_hdr*>(ip + 1);
  udp->src_port = rte_cpu_to_be_16(sport);
  udp->dst_port = rte_cpu_to_be_16(dport);
  udp->dgram_len = rte_cpu_to_be_16(uint16_t(sizeof(rte_udp_hdr) + payload));
  udp->dgram_cksum = 0;  // valid over IPv4; what stock ZeroTier sends
}

// Writes IPv6 + UDP with the checksum field left for the caller.
FLATNET_UNALIGNED_HEADERS
inline rte_udp_hdr* write_ip6_udp(rte_mbuf* m, const uint8_t* src, const uint8_t* dst,
                                  uint16_t sport, uint16_t dport, uint16_t payload) {
  auto* ip = rte_pktmbuf_mtod_offset(m, rte_ipv6_hdr*, sizeof(rte_ether_hdr));
  ip->vtc_flow = RTE_BE32(6u << 28);
  ip->payload_len = rte_cpu_to_be_16(uint16_t(sizeof(rte_udp_hdr) + payload));
  ip->proto = IPPROTO_UDP;
  ip->hop_limits = 64;
  std::memcpy(ip->src_addr, src, 16);
  std::memcpy(ip->dst_addr, dst, 16);
  auto* udp = reinterpret_cast<rte_udp_hdr*>(ip + 1);
  udp->src_port = rte_cpu_to_be_16(sport);
  udp->dst_port = rte_cpu_to_be_16(dport);
  udp->dgram_len = ip->payload_len;
  return udp;
}

}  // namespace flatnet::fastpath
