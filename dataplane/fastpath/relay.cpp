// Stage: RELAY (spec §7.2). For datagrams not addressed to us: drop at the
// hop limit, look the destination's path up (one burst call), bump the hop
// bits in place, rewrite Ethernet/IP/UDP towards the path and hand the packet
// on for transmit. No decryption, no copy. Over IPv6 the UDP checksum is
// updated incrementally from the verified one (RFC 1624), or computed when
// the packet came in over IPv4.
#include "dataplane/fastpath/csum.hpp"
#include "dataplane/fastpath/encap.hpp"
#include "dataplane/fastpath/nexthop.hpp"
#include "dataplane/fastpath/relay_events.hpp"
#include "dataplane/fastpath/stage.hpp"
#include "dataplane/wire/vl1.hpp"

namespace flatnet::fastpath {

namespace wire = flatnet::wire;

namespace {

inline void relay_one(Worker& w, rte_mbuf* m, const PathView* found, rte_mbuf** pkts,
                      Partition& p) {
  const Underlay& u = *w.u;
  PktMeta* pm = meta(m);
  PathView sib;
  const PathView* path = found;
  if (!path) {
    // Control hears of the miss either way: with a sibling root the packet
    // still goes out, but a peer control wants may have aged out of the
    // table and only this event tells it (rate-limited like any other).
    report_unknown(w, pm->vl1_dst, pm->vl1_src, PuntInfo{pm->src_ip, pm->src_port, m->port, 0});
    if (!w.hooks->sibling || !w.hooks->sibling(w.hooks->ctx, &sib)) {
      p.fail(m, Drop::vl1_unknown_dest);
      return;
    }
    path = &sib;
  }
  bool v4 = path->family == Family::kV4;
  if (path->port == pm->src_port && pm->src_ip.equals(path->family, path->ip)) {
    p.fail(m, Drop::vl1_loop);
    return;
  }
  const IpAddr& own = v4 ? u.ip4 : u.ip6;
  if (own.family != path->family) {
    p.fail(m, Drop::vl1_no_route);
    return;
  }
  uint16_t l3len = uint16_t((v4 ? sizeof(rte_ipv4_hdr) : sizeof(rte_ipv6_hdr)) +
                            sizeof(rte_udp_hdr) + pm->data_len);
  if (l3len > u.mtu) {
    p.fail(m, Drop::vl1_oversize);
    return;
  }
  IpAddr dst;
  if (v4) {
    dst.set_v4(path->ip);
  } else {
    dst.family = Family::kV6;
    std::memcpy(dst.b, path->ip, 16);
  }
  const IpAddr& nh = next_hop(u, dst);
  Mac mac;
  bool resolved = resolve(w, nh, &mac);

  // The hop bits: byte 18 of a head, byte 15 of a fragment. For the IPv6
  // checksum we need the aligned 16-bit word holding it (the UDP payload
  // starts 8 bytes, an even count, into the checksummed data).
  uint8_t* d = rte_pktmbuf_mtod_offset(m, uint8_t*, pm->data_off);
  size_t hop_at = pm->is_fragment ? wire::kFragIdxHops : wire::kIdxFlags;
  size_t word_at = hop_at & ~size_t(1);
  bool incremental = !v4 && pm->family == Family::kV6 && pm->v6_csum_ok;
  CsumUpdate ck(0);
  if (incremental) {
    auto* oip = rte_pktmbuf_mtod_offset(m, const rte_ipv6_hdr*, pm->l3_off);
    auto* oudp = rte_pktmbuf_mtod_offset(m, const rte_udp_hdr*, pm->l4_off);
    ck = CsumUpdate(rte_be_to_cpu_16(oudp->dgram_cksum));
    ck.remove(oip->src_addr, 32);  // src and dst are adjacent
    ck.remove(reinterpret_cast<const uint8_t*>(&oudp->src_port), 4);
    ck.remove(d + word_at, 2);
  }
  if (pm->is_fragment)
    wire::fragment_increment_hops(d);
  else
    wire::packet_increment_hops(d);

  reshape_outer(m, pm, v4 ? kOuter4 : kOuter6);  // headroom >= 128: cannot fail
  // From the primary port, whichever of our ports the packet came in on.
  if (v4) {
    write_eth(m, u.mac, mac, RTE_BE16(RTE_ETHER_TYPE_IPV4));
    write_ip4_udp(m, own.b, path->ip, u.udp_port, path->port, pm->data_len);
  } else {
    write_eth(m, u.mac, mac, RTE_BE16(RTE_ETHER_TYPE_IPV6));
    rte_udp_hdr* udp = write_ip6_udp(m, own.b, path->ip, u.udp_port, path->port, pm->data_len);
    if (incremental) {
      auto* ip = rte_pktmbuf_mtod_offset(m, const rte_ipv6_hdr*, sizeof(rte_ether_hdr));
      ck.add(ip->src_addr, 32);
      ck.add(reinterpret_cast<const uint8_t*>(&udp->src_port), 4);
      ck.add(d + word_at, 2);
      udp->dgram_cksum = rte_cpu_to_be_16(ck.udp_result());
    } else {
      udp->dgram_cksum = 0;
      udp->dgram_cksum = rte_ipv6_udptcp_cksum(
          rte_pktmbuf_mtod_offset(m, const rte_ipv6_hdr*, sizeof(rte_ether_hdr)), udp);
    }
  }
  m->ol_flags = 0;
  m->port = path->tx_port;

  uint64_t src = pm->vl1_src, vdst = pm->vl1_dst;
  bool head = !pm->is_fragment;
  if (resolved)
    p.good(pkts, m);
  else if (!hold_for_neighbor(w, m, nh, p))
    return;
  if (found && head && src != 0) report_pair(w, src, vdst);
  if (found)
    ++w.c->relayed;
  else
    ++w.c->relayed_sibling;
}

// The optional per-peer relay limit (off by default; police.hpp): heads are
// charged to their VL1 source, fragments (which carry none) to their
// physical source. Packets at the hop limit are left for that check.
// Compacts pkts; the refused go to p.
[[gnu::noinline]] uint16_t relay_police(Worker& w, rte_mbuf** pkts, uint16_t n, Partition& p) {
  BucketTable& t = w.police.relay;
  uint16_t k = 0;
  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    const PktMeta* pm = meta(m);
    uint64_t key = pm->is_fragment || pm->vl1_src == 0 ? source_key(pm->src_ip) : pm->vl1_src;
    if (pm->hops < wire::kRelayMaxHops && !t.take(key, w.now))
      p.fail(m, Drop::relay_limited);
    else
      pkts[k++] = m;
  }
  return k;
}

}  // namespace

uint16_t relay(Worker& w, rte_mbuf** pkts, uint16_t n, uint16_t* n_failed) {
  rte_mbuf* cand[kBurst];
  uint64_t addrs[kBurst];
  PathView paths[kBurst];
  bool found[kBurst];
  Partition p;
  uint16_t nc = 0;
  // One test per burst: with the limit off the relay pays nothing more.
  if (__builtin_expect(w.police.relay.on(), 0)) n = relay_police(w, pkts, n, p);
  for (uint16_t i = 0; i < n; ++i) {
    PktMeta* pm = meta(pkts[i]);
    if (pm->hops >= wire::kRelayMaxHops) {
      p.fail(pkts[i], Drop::vl1_hop_limit);
      continue;
    }
    cand[nc] = pkts[i];
    addrs[nc++] = pm->vl1_dst;
  }
  if (nc == 0) {
    *n_failed = p.n_bad;
    return p.finish(pkts);
  }
  if (w.hooks->lookup)
    w.hooks->lookup(w.hooks->ctx, addrs, nc, paths, found);
  else
    std::fill(found, found + nc, false);
  for (uint16_t j = 0; j < nc; ++j) relay_one(w, cand[j], found[j] ? &paths[j] : nullptr, pkts, p);
  *n_failed = p.n_bad;
  return p.finish(pkts);
}

}  // namespace flatnet::fastpath
