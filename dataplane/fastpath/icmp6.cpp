// ICMPv6 on the underlay port: echo request -> reply, and neighbour
// discovery (RFC 4861): answer solicitations for our addresses, learn
// link-layer addresses from advertisements we solicited (and refresh known
// neighbours from advertisements and solicitations), and solicit next hops
// the relay needs. Everything else is a counted drop.
#include <rte_ether.h>
#include <rte_ip.h>

#include "dataplane/fastpath/stage.hpp"

namespace flatnet::fastpath {

namespace {

constexpr uint8_t kEchoRequest = 128, kEchoReply = 129, kNs = 135, kNa = 136;
constexpr uint8_t kOptSrcLl = 1, kOptTgtLl = 2;
constexpr size_t kIcmp6Hdr = 4, kNdFixed = 24;  // type code cksum + 20 (NS/NA)

bool is_link_local(const uint8_t* a) { return a[0] == 0xfe && (a[1] & 0xc0) == 0x80; }
bool is_unspecified(const uint8_t* a) {
  static constexpr uint8_t z[16] = {};
  return std::memcmp(a, z, 16) == 0;
}

void solicited_node(const uint8_t* target, uint8_t* group, uint8_t* mac) {
  static constexpr uint8_t kPrefix[13] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff};
  std::memcpy(group, kPrefix, 13);
  std::memcpy(group + 13, target + 13, 3);
  mac[0] = 0x33;
  mac[1] = 0x33;
  std::memcpy(mac + 2, group + 12, 4);
}

// Finds a link-layer address option of `type` in [p, p+len). RFC 4861 4.6:
// each option length is in 8-byte units and zero is invalid.
const uint8_t* find_ll_option(const uint8_t* p, size_t len, uint8_t type, bool* bad) {
  while (len >= 2) {
    size_t olen = size_t(p[1]) * 8;
    if (olen == 0 || olen > len) {
      *bad = true;
      return nullptr;
    }
    if (p[0] == type && olen >= 8) return p + 2;
    p += olen;
    len -= olen;
  }
  return nullptr;
}

// A link-layer address a neighbour can have: not zero, not multicast.
bool usable_mac(const uint8_t* mac) {
  static constexpr uint8_t z[6] = {};
  return (mac[0] & 1) == 0 && std::memcmp(mac, z, 6) != 0;
}

uint16_t l4_cksum(const rte_ipv6_hdr* ip, const void* l4) {
  return rte_ipv6_udptcp_cksum(ip, l4);
}

// Our address to answer from: link-local peers get our link-local.
const IpAddr& our_source(const Underlay& u, const uint8_t* peer) {
  if (is_link_local(peer) || u.ip6.family != Family::kV6) return u.ip6_ll;
  return u.ip6;
}

void finish_reply(Worker& w, rte_mbuf* m, rte_ipv6_hdr* ip, uint8_t* icmp, uint16_t icmp_len) {
  ip->payload_len = rte_cpu_to_be_16(icmp_len);
  uint16_t frame = uint16_t(meta(m)->l4_off + icmp_len);
  m->data_len = frame;
  m->pkt_len = frame;
  icmp[2] = icmp[3] = 0;
  uint16_t ck = l4_cksum(ip, icmp);
  std::memcpy(icmp + 2, &ck, 2);
  auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
  eth->dst_addr = eth->src_addr;
  std::memcpy(eth->src_addr.addr_bytes, w.u->mac.b, 6);
  tx_push(w, m);
}

}  // namespace

void icmp6_input(Worker& w, rte_mbuf* m) {
  PktMeta* pm = meta(m);
  auto* ip = rte_pktmbuf_mtod_offset(m, rte_ipv6_hdr*, pm->l3_off);
  auto* icmp = rte_pktmbuf_mtod_offset(m, uint8_t*, pm->l4_off);
  size_t len = rte_be_to_cpu_16(ip->payload_len);
  if (len < kIcmp6Hdr + 4 || rte_ipv6_udptcp_cksum_verify(ip, icmp) != 0) {
    drop_one(w, m, Drop::icmp6_malformed);
    return;
  }
  const Underlay& u = *w.u;
  uint8_t type = icmp[0];
  if (type == kEchoRequest && icmp[1] == 0) {
    uint8_t peer[16];
    std::memcpy(peer, ip->src_addr, 16);
    const IpAddr& src = our_source(u, peer);
    std::memcpy(ip->src_addr, src.b, 16);
    std::memcpy(ip->dst_addr, peer, 16);
    ip->hop_limits = 64;
    icmp[0] = kEchoReply;
    ++w.c->icmp6_echo_replies;
    finish_reply(w, m, ip, icmp, uint16_t(len));
    return;
  }
  if (type != kNs && type != kNa) {
    drop_one(w, m, Drop::icmp6_type);
    return;
  }
  // RFC 4861 7.1.1 / 7.1.2 validity checks.
  if (ip->hop_limits != 255 || icmp[1] != 0 || len < kNdFixed) {
    drop_one(w, m, Drop::nd_malformed);
    return;
  }
  const uint8_t* target = icmp + 8;
  if (target[0] == 0xff) {
    drop_one(w, m, Drop::nd_malformed);
    return;
  }
  bool bad = false;
  const uint8_t* ll =
      find_ll_option(icmp + kNdFixed, len - kNdFixed, type == kNs ? kOptSrcLl : kOptTgtLl, &bad);
  if (bad) {
    drop_one(w, m, Drop::nd_malformed);
    return;
  }
  if (type == kNa) {
    // An advertisement only updates a next hop we solicited (its entry is
    // waiting, created when a packet was held for it) or one we already
    // know: anyone on the link can send advertisements, and learning
    // unasked-for ones would let them fill the table and evict real next
    // hops. Everything else is a counted drop.
    if (!ll || !usable_mac(ll)) {
      drop_one(w, m, Drop::nd_no_lladdr);
      return;
    }
    // RFC 4861 7.2.5: without the Override flag an advertisement completes
    // a next hop we are resolving, or refreshes a neighbour with the same
    // MAC, but never re-points a known neighbour to another MAC.
    Mac mac;
    std::memcpy(mac.b, ll, 6);
    bool override_flag = (icmp[4] & 0x20) != 0;
    auto r = w.neigh->refresh(IpAddr::v6(target), mac,
                              override_flag ? NeighborTable::Update::kOverride
                                            : NeighborTable::Update::kNoOverride);
    if (r == NeighborTable::Refresh::kUnknown) {
      drop_one(w, m, Drop::nd_unsolicited);
      return;
    }
    if (r == NeighborTable::Refresh::kKept) {
      drop_one(w, m, Drop::nd_no_override);
      return;
    }
    ++w.c->nd_learned;
    rte_pktmbuf_free(m);
    return;
  }
  // Neighbour solicitation.
  bool for_us = u.ip6.equals(Family::kV6, target) || u.ip6_ll.equals(Family::kV6, target);
  if (!for_us) {
    drop_one(w, m, Drop::nd_not_for_us);
    return;
  }
  bool dad = is_unspecified(ip->src_addr);
  if (dad && ll) {  // RFC 4861 7.1.1: no source link-layer option in DAD
    drop_one(w, m, Drop::nd_malformed);
    return;
  }
  // The solicitation is answered whoever sent it, but its source
  // link-layer address only completes a next hop we are resolving or
  // refreshes a known neighbour with the same MAC: a solicitation creates no
  // entry and never re-points one (RFC 4861 7.2.3 would mark the entry
  // stale under the new MAC and probe it; we have no stale state, so a
  // moved neighbour is re-learned from an NA with Override or ARP instead).
  if (ll && usable_mac(ll)) {
    Mac mac;
    std::memcpy(mac.b, ll, 6);
    if (w.neigh->refresh(IpAddr::v6(ip->src_addr), mac, NeighborTable::Update::kNoOverride) ==
        NeighborTable::Refresh::kUpdated)
      ++w.c->nd_learned;
  }
  // Advertisement: to the soliciting node, or all-nodes for DAD.
  uint8_t peer[16];
  std::memcpy(peer, ip->src_addr, 16);
  if (dad) {
    static constexpr uint8_t kAllNodes[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0,
                                              0,    0,    0, 0, 0, 0, 0, 1};
    std::memcpy(peer, kAllNodes, 16);
  }
  uint8_t tgt[16];
  std::memcpy(tgt, target, 16);
  std::memcpy(ip->src_addr, tgt, 16);
  std::memcpy(ip->dst_addr, peer, 16);
  ip->hop_limits = 255;
  constexpr uint16_t kNaLen = kNdFixed + 8;
  if (rte_pktmbuf_tailroom(m) + (m->data_len - pm->l4_off) < kNaLen) {
    drop_one(w, m, Drop::no_mbuf);
    return;
  }
  icmp[0] = kNa;
  icmp[1] = 0;
  icmp[4] = uint8_t(dad ? 0x20 : 0x60);  // Override, plus Solicited unless DAD
  icmp[5] = icmp[6] = icmp[7] = 0;
  std::memcpy(icmp + 8, tgt, 16);
  icmp[24] = kOptTgtLl;
  icmp[25] = 1;
  std::memcpy(icmp + 26, u.mac.b, 6);
  ++w.c->nd_adverts;
  finish_reply(w, m, ip, icmp, kNaLen);
  if (dad) {
    auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
    static constexpr uint8_t kAllNodesMac[6] = {0x33, 0x33, 0, 0, 0, 1};
    std::memcpy(eth->dst_addr.addr_bytes, kAllNodesMac, 6);
  }
}

bool nd_solicit(Worker& w, const IpAddr& target) {
  const Underlay& u = *w.u;
  const IpAddr& src = our_source(u, target.b);
  if (src.family != Family::kV6) return false;
  rte_mbuf* m = rte_pktmbuf_alloc(w.pool);
  if (!m) {
    w.c->count_drop(Drop::no_mbuf);
    return false;
  }
  constexpr uint16_t kIcmpLen = kNdFixed + 8;
  constexpr uint16_t kLen = sizeof(rte_ether_hdr) + sizeof(rte_ipv6_hdr) + kIcmpLen;
  auto* eth = reinterpret_cast<rte_ether_hdr*>(rte_pktmbuf_append(m, kLen));
  if (!eth) {
    rte_pktmbuf_free(m);
    return false;
  }
  std::memset(eth, 0, kLen);
  auto* ip = reinterpret_cast<rte_ipv6_hdr*>(eth + 1);
  auto* icmp = reinterpret_cast<uint8_t*>(ip + 1);
  solicited_node(target.b, ip->dst_addr, eth->dst_addr.addr_bytes);
  std::memcpy(eth->src_addr.addr_bytes, u.mac.b, 6);
  eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV6);
  ip->vtc_flow = RTE_BE32(6u << 28);
  ip->payload_len = rte_cpu_to_be_16(kIcmpLen);
  ip->proto = IPPROTO_ICMPV6;
  ip->hop_limits = 255;
  std::memcpy(ip->src_addr, src.b, 16);
  icmp[0] = kNs;
  std::memcpy(icmp + 8, target.b, 16);
  icmp[24] = kOptSrcLl;
  icmp[25] = 1;
  std::memcpy(icmp + 26, u.mac.b, 6);
  uint16_t ck = l4_cksum(ip, icmp);
  std::memcpy(icmp + 2, &ck, 2);
  ++w.c->nd_solicits;
  tx_push(w, m);
  return true;
}

}  // namespace flatnet::fastpath
