// Stage: fast lane. A root's common case — an IPv4/UDP datagram to one of our
// ports (primary or secondary) with a zero UDP checksum, carrying a VL1
// packet head or fragment for someone else below the hop limit — is
// recognised in one pass and goes straight to the relay. Everything else,
// and everything doubtful, takes the full pipeline (eth_input → ip4_input →
// vl1_classify), which repeats the checks and counts a reason. The lane
// passes only what the full pipeline would pass, with the same PktMeta; it
// never drops anything.
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_prefetch.h>
#include <rte_udp.h>

#include "dataplane/fastpath/csum.hpp"
#include "dataplane/fastpath/stage.hpp"
#include "dataplane/wire/vl1.hpp"

namespace flatnet::fastpath {

namespace wire = flatnet::wire;

namespace {

struct LaneKeys {
  uint32_t mac0;    // our MAC, first 4 bytes
  uint16_t mac1;    // and last 2
  uint32_t ip4;     // our IPv4 address as stored in headers
  OurPorts ports;   // our UDP ports (primary, secondary), network order
  uint64_t self;
  bool verify_ip_sum;
};

inline bool lane_one(const LaneKeys& k, rte_mbuf* m) {
  constexpr uint16_t kHdr = sizeof(rte_ether_hdr) + sizeof(rte_ipv4_hdr) + sizeof(rte_udp_hdr);
  if (m->nb_segs != 1 || m->data_len < kHdr + wire::kFragmentHeaderLength + 1) return false;
  const uint8_t* f = rte_pktmbuf_mtod(m, const uint8_t*);
  uint32_t d0, s0;
  uint16_t d1, s1;
  std::memcpy(&d0, f, 4);
  std::memcpy(&d1, f + 4, 2);
  std::memcpy(&s0, f + 6, 4);
  std::memcpy(&s1, f + 10, 2);
  if (d0 != k.mac0 || d1 != k.mac1 || (s0 == k.mac0 && s1 == k.mac1)) return false;
  const auto* eth = reinterpret_cast<const rte_ether_hdr*>(f);
  if (eth->ether_type != RTE_BE16(RTE_ETHER_TYPE_IPV4)) return false;
  const auto* ip = reinterpret_cast<const rte_ipv4_hdr*>(eth + 1);
  uint16_t total = rte_be_to_cpu_16(ip->total_length);
  if (ip->version_ihl != 0x45 || total > m->data_len - sizeof(rte_ether_hdr) ||
      total < sizeof(rte_ipv4_hdr) + sizeof(rte_udp_hdr) ||
      (ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) ||
      ip->next_proto_id != IPPROTO_UDP || ip->dst_addr != k.ip4)
    return false;
  if (k.verify_ip_sum && !(m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_GOOD) && ip4_hdr_sum20(ip) != 0xffff)
    return false;
  const auto* udp = reinterpret_cast<const rte_udp_hdr*>(ip + 1);
  uint16_t ulen = rte_be_to_cpu_16(udp->dgram_len);
  if (!k.ports.has(udp->dst_port) || udp->dgram_cksum != 0 || ulen != total - sizeof(rte_ipv4_hdr))
    return false;
  const uint8_t* d = reinterpret_cast<const uint8_t*>(udp + 1);
  uint16_t len = uint16_t(ulen - sizeof(rte_udp_hdr));
  PktMeta* pm = meta(m);
  if (len > wire::kFragmentHeaderLength && d[wire::kFragIdxIndicator] == wire::kFragmentIndicator) {
    pm->is_fragment = 1;
    pm->vl1_dst = wire::fragment_dest(d);
    pm->vl1_src = 0;
    pm->hops = uint8_t(wire::fragment_hops(d));
  } else if (len >= wire::kPacketHeaderLength) {
    pm->is_fragment = 0;
    pm->vl1_dst = wire::packet_dest(d);
    pm->vl1_src = wire::packet_source(d);
    pm->hops = uint8_t(wire::packet_hops(d));
    if (pm->vl1_src == k.self && k.self != 0) return false;
  } else {
    return false;  // beacons and runts
  }
  if (pm->hops >= wire::kRelayMaxHops || pm->vl1_dst == k.self ||
      wire::address_is_reserved(pm->vl1_dst))
    return false;
  uint16_t frame = uint16_t(sizeof(rte_ether_hdr) + total);
  m->data_len = frame;
  m->pkt_len = frame;
  pm->l3_off = sizeof(rte_ether_hdr);
  pm->l4_off = sizeof(rte_ether_hdr) + sizeof(rte_ipv4_hdr);
  pm->data_off = kHdr;
  pm->data_len = len;
  pm->family = Family::kV4;
  pm->src_ip.set_v4(reinterpret_cast<const uint8_t*>(&ip->src_addr));
  pm->src_port = rte_be_to_cpu_16(udp->src_port);
  pm->v6_csum_ok = 0;
  pm->action = Vl1Action::kRelay;
  return true;
}

}  // namespace

uint16_t fast_lane(Worker& w, rte_mbuf** pkts, uint16_t n, rte_mbuf** fast, uint16_t* n_fast) {
  *n_fast = 0;
  // Relaxed: see Switches. With relaying off nothing is fast.
  if (!w.sw->relay.load(std::memory_order_relaxed) || w.u->ip4.family != Family::kV4) return n;
  LaneKeys k;
  k.ports = our_ports(*w.u);
  std::memcpy(&k.mac0, w.u->mac.b, 4);
  std::memcpy(&k.mac1, w.u->mac.b + 4, 2);
  std::memcpy(&k.ip4, w.u->ip4.b, 4);
  k.self = w.sw->self_address.load(std::memory_order_relaxed);
  k.verify_ip_sum = true;
  uint16_t slow = 0, nf = 0;
  // The relay rewrites the first line of every frame it passes and the lane
  // writes the metadata: fetch both for writing, so a line that another
  // core (the NIC, the generator, memif's copy) wrote last comes over once,
  // already owned, instead of once to read and again to write.
  for (uint16_t i = 0; i < n && i < 8; ++i) {
    rte_prefetch0_write(rte_pktmbuf_mtod(pkts[i], void*));
    rte_prefetch0_write(meta(pkts[i]));
  }
  for (uint16_t i = 0; i < n; ++i) {
    if (i + 8 < n) {
      rte_prefetch0_write(rte_pktmbuf_mtod(pkts[i + 8], void*));
      rte_prefetch0_write(meta(pkts[i + 8]));
    }
    rte_mbuf* m = pkts[i];
    if (lane_one(k, m))
      fast[nf++] = m;
    else
      pkts[slow++] = m;
  }
  *n_fast = nf;
  return slow;
}

}  // namespace flatnet::fastpath
