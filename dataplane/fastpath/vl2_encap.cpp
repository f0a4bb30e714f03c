// Stage: VL2 encap, LAN -> underlay (issue 12). For each Ethernet frame from
// the LAN port: the source MAC is learned (an event to the tables' writer
// when it is new, moved or due for a refresh), the destination chosen like
// stock's Switch::onLocalEthernet --
//   a member's MAC (§5.2)          -> EXT_FRAME to that member (FRAME when
//                                     the source is our own member MAC),
//   a MAC behind a bridge          -> EXT_FRAME to that bridge,
//   a MAC on the LAN               -> dropped (not ours to forward),
//   unknown unicast                -> EXT_FRAME to each of the network's bridges,
//   broadcast / multicast          -> MULTICAST_FRAME to the bridges, then the
//                                     group's subscribers, up to multicastLimit --
// built in place in front of the Ethernet payload (copies for fan-out),
// armored as bursts per suite with each destination's key, and sent on the
// destination's path (the sibling root when there is none).
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include <algorithm>
#include <cstring>
#include <iterator>

#include "crypto/mb/burst.hpp"
#include "dataplane/fastpath/encap.hpp"
#include "dataplane/fastpath/nexthop.hpp"
#include "dataplane/fastpath/prefetch_w.hpp"
#include "dataplane/fastpath/vl2_loop.hpp"
#include "dataplane/fastpath/vl2.hpp"
#include "dataplane/fastpath/vl2_send.hpp"
#include "dataplane/fastpath/vl2_keys.hpp"
#include "dataplane/wire/vl1.hpp"
#include "dataplane/wire/vl2_frame.hpp"

namespace flatnet::fastpath {

namespace wire = flatnet::wire;
namespace v2 = flatnet::wire::vl2;
using tables::vl2::LearnEvent;
using tables::vl2::MacWord;
using tables::vl2::MemberWord;
using tables::vl2::NetworkView;

namespace {

constexpr unsigned kMaxOut = kVl2MaxOut;  // VL1 packets built from one LAN burst
using Out = Vl2Out;

}  // namespace

uint32_t vl2_build(rte_mbuf* m, uint64_t self, uint64_t to, uint64_t packet_id, uint64_t nwid, uint8_t verb,
                   uint64_t dst, uint64_t src, uint16_t type, uint32_t adi, uint8_t ext_flags) {
  uint8_t vh[40];
  uint32_t hl = 0;
  wire::write_be64(vh, nwid);
  if (verb == uint8_t(wire::Verb::kFrame)) {
    vh[8] = uint8_t(type >> 8);
    vh[9] = uint8_t(type);
    hl = v2::kFrameHeader;
  } else if (verb == uint8_t(wire::Verb::kExtFrame)) {
    vh[8] = ext_flags;
    v2::write_mac(vh + 9, dst);
    v2::write_mac(vh + 15, src);
    vh[21] = uint8_t(type >> 8);
    vh[22] = uint8_t(type);
    hl = v2::kExtFrameHeader;
  } else {  // MULTICAST_FRAME with the source MAC (we bridge other hosts' frames)
    vh[8] = v2::kMcFlagSource;
    v2::write_mac(vh + 9, src);
    v2::write_mac(vh + 15, dst);
    vh[21] = uint8_t(adi >> 24);
    vh[22] = uint8_t(adi >> 16);
    vh[23] = uint8_t(adi >> 8);
    vh[24] = uint8_t(adi);
    vh[25] = uint8_t(type >> 8);
    vh[26] = uint8_t(type);
    hl = 27;
  }
  const uint32_t grow = uint32_t(wire::kPacketHeaderLength) + hl - uint32_t(sizeof(rte_ether_hdr));
  uint8_t* d = reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(m, uint16_t(grow)));
  if (!d) return 0;
  wire::write_be64(d + wire::kIdxPacketId, packet_id);
  wire::write_addr40(d + wire::kIdxDest, to);
  wire::write_addr40(d + wire::kIdxSource, self);
  d[wire::kIdxFlags] = 0;  // not fragmented, hops 0; armor sets the cipher bits
  std::memset(d + wire::kIdxMac, 0, 8);
  d[wire::kIdxVerb] = verb;
  std::memcpy(d + wire::kIdxPayload, vh, hl);
  return m->pkt_len;
}

namespace {

constexpr unsigned kMaxDatagrams = kMaxOut * 3;  // a network MTU of 2800 takes at most 3

// Fresh mbufs for a call's fragments, taken from the pool at once and
// pulled into the cache before the burst's armor: they were last freed by
// whichever core sent or received them, so allocating one at a time waited
// for its header lines (rte_pktmbuf_reset) and then for its data lines
// (the copy), twice per fragment in a row (perf: half of vl2_send's
// samples for 1,500-byte frames). Prefetched for writing, the misses
// overlap each other and the crypto.
struct FragMbufs {
  rte_mbuf* m[kMaxOut * 2];
  unsigned n = 0, used = 0;
  void take(Worker& w, unsigned want) {
    want = std::min<unsigned>(want, unsigned(std::size(m)));
    if (want == 0 || rte_mempool_get_bulk(w.pool, reinterpret_cast<void**>(m), want) != 0) return;
    n = want;
    const uint32_t priv = rte_pktmbuf_priv_size(w.pool);
    for (unsigned i = 0; i < n; ++i) {
      auto* b = reinterpret_cast<const uint8_t*>(m[i]);
      prefetch_w(b);       // rte_mbuf, first line (reset)
      prefetch_w(b + 64);  // second line (next, nb_segs' neighbours)
      // The data room after the metadata: outer headers, fragment header
      // and payload (up to ~1,460 bytes; the first two lines are what the
      // copy and the headers write first).
      const uint8_t* room = b + sizeof(rte_mbuf) + priv + RTE_PKTMBUF_HEADROOM;
      prefetch_w(room - 64);
      prefetch_w(room);
    }
  }
  rte_mbuf* next() {
    if (used < n) {
      rte_mbuf* f = m[used++];
      rte_pktmbuf_reset(f);
      return f;
    }
    return nullptr;
  }
  void give_back(Worker& w) {
    if (used < n) rte_mempool_put_bulk(w.pool, reinterpret_cast<void**>(m + used), n - used);
    n = used = 0;
  }
};

// Splits an armored packet o (len > mtu) into its head, trimmed to mtu, and
// fragment mbufs (from fm, else the pool); writes the datagrams to dg and
// returns how many. Fragments that cannot get an mbuf are counted (the peer
// will drop the incomplete packet, as it would a lost datagram).
unsigned fragment(Worker& w, const Out& o, uint32_t mtu, FragMbufs& fm, Out* dg) {
  const uint8_t* p = rte_pktmbuf_mtod(o.m, const uint8_t*);
  const uint32_t per = mtu - uint32_t(wire::kFragmentHeaderLength);
  const uint32_t total = 1 + (o.vl1_len - mtu + per - 1) / per;
  unsigned n = 0;
  uint32_t pos = mtu;
  for (uint32_t fno = 1; fno < total; ++fno) {
    const uint32_t len = std::min(per, o.vl1_len - pos);
    rte_mbuf* f = fm.next();
    if (!f) f = rte_pktmbuf_alloc(w.pool);
    // One segment, empty: the length is set, not appended (no walk to the
    // last segment through the second line).
    const uint32_t flen = uint32_t(wire::kFragmentHeaderLength) + len;
    if (!f || rte_pktmbuf_tailroom(f) < flen) {
      if (f) rte_pktmbuf_free(f);
      w.c->count_drop(Drop::no_mbuf);
      pos += len;
      continue;
    }
    f->data_len = uint16_t(flen);
    f->pkt_len = flen;
    uint8_t* d = rte_pktmbuf_mtod(f, uint8_t*);
    std::memcpy(d + wire::kFragIdxPacketId, p + wire::kIdxPacketId, 8);
    std::memcpy(d + wire::kFragIdxDest, p + wire::kIdxDest, wire::kAddressLength);
    d[wire::kFragIdxIndicator] = wire::kFragmentIndicator;
    d[wire::kFragIdxNo] = uint8_t(total << 4 | fno);
    d[wire::kFragIdxHops] = 0;
    std::memcpy(d + wire::kFragIdxPayload, p + pos, len);
    pos += len;
    dg[1 + n++] = {f, o.to, flen, o.key};
    ++w.c->vl2_encap_fragments;
  }
  rte_pktmbuf_trim(o.m, uint16_t(o.vl1_len - mtu));
  dg[0] = {o.m, o.to, mtu, o.key};
  return 1 + n;
}

}  // namespace

void vl2_encap(Worker& w, Vl2Port& port, rte_mbuf** pkts, uint16_t n) {
  auto& t = *port.tables;
  const Underlay& u = *w.u;
  const uint64_t self = w.sw->self_address.load(std::memory_order_relaxed);  // relaxed: see Switches
  Partition fail;
  if (self == 0) {
    for (uint16_t i = 0; i < n; ++i) fail.fail(pkts[i], Drop::vl2_unknown_network);
    drop_tail(w, fail.bad, fail.n_bad);
    return;
  }
  // The network of a frame: the untagged one, or its VLAN's (one-entry cache).
  uint64_t last_nwid = 0;
  const NetworkView* last_net = nullptr;
  auto network_of = [&](uint64_t id) {
    if (id != last_nwid) {
      last_nwid = id;
      last_net = id ? t.network(id) : nullptr;
    }
    return last_net;
  };
  const uint32_t now_s = tables::vl2::Vl2Tables::now_s();
  // The largest VL1 packet one datagram carries (spec §2.5: 1432 by
  // default, less if the port's MTU is smaller).
  const uint32_t max_vl1 = std::min<uint32_t>(wire::kDefaultPhysMtu, uint32_t(u.mtu) - 48u);

  Out out[kMaxOut];
  unsigned no = 0;
  uint64_t last_key_addr = 0;
  const tables::vl2::PeerKey* last_key = nullptr;
  auto key_of = [&](uint64_t a) {
    if (a != last_key_addr) {
      last_key_addr = a;
      last_key = t.key(a);
    }
    return last_key;
  };

  // The burst's LAN-source words and its member destinations' keys at
  // once (one bulk lookup each; vl2_keys.hpp), for the untagged frames of
  // the port's network; the loop looks up the rest one at a time.
  uint64_t pre_src[kBurst], pre_srcw[kBurst], pre_dst[kBurst];
  const tables::vl2::PeerKey* pre_key[kBurst];
  const NetworkView* pre_net = n <= kBurst ? network_of(port.nwid) : nullptr;
  if (pre_net) {
    for (uint16_t i = 0; i < n; ++i) {
      pre_src[i] = pre_dst[i] = 0;
      const rte_mbuf* m = pkts[i];
      // The headroom lines the VL1 and outer headers go into (up to 79
      // bytes in front of the frame: 42 outer, 37 VL1/EXT_FRAME less the
      // Ethernet header), owned by this core before the writes: the sender
      // of the frame wrote from the frame on, and whoever handled the mbuf
      // last (here the generator reading returned datagrams; on a NIC the
      // DMA) holds these. Written one packet at a time they were the largest
      // stall of 64-byte encap.
      const auto* e0 = rte_pktmbuf_mtod(m, const uint8_t*);
      prefetch_w(e0 - 80);
      prefetch_w(e0 - 1);
      prefetch_w(m);
      if (m->data_len < sizeof(rte_ether_hdr) || m->nb_segs != 1) continue;
      const uint8_t* e = rte_pktmbuf_mtod(m, const uint8_t*);
      if (uint16_t(e[12] << 8 | e[13]) == RTE_ETHER_TYPE_VLAN) continue;
      pre_src[i] = v2::read_mac(e + 6);
      const uint64_t dst = v2::read_mac(e);
      if (v2::mac_is_member(dst, pre_net->s.nwid)) pre_dst[i] = v2::address_from_mac(dst, pre_net->s.nwid);
    }
    t.mac_burst(pre_net->slot, pre_src, n, pre_srcw);
    vl2_keys_burst(t, pre_dst, n, pre_key);
  }

  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    if (m->data_len < sizeof(rte_ether_hdr) || m->nb_segs != 1) {
      fail.fail(m, Drop::vl2_lan_malformed);
      continue;
    }
    const uint8_t* e = rte_pktmbuf_mtod(m, const uint8_t*);
    uint64_t frame_nwid = port.nwid;
    if (uint16_t(e[12] << 8 | e[13]) == RTE_ETHER_TYPE_VLAN) {  // 802.1Q: the tag names the network
      if (m->data_len < sizeof(rte_ether_hdr) + sizeof(rte_vlan_hdr) ||
          !(frame_nwid = port.nwid_of_vlan(uint16_t((e[14] << 8 | e[15]) & 0xfff))) || rte_vlan_strip(m) != 0) {
        fail.fail(m, Drop::vl2_lan_malformed);
        continue;
      }
      e = rte_pktmbuf_mtod(m, const uint8_t*);
    }
    const NetworkView* net = network_of(frame_nwid);
    // The pre-pass's words hold for this frame: untagged, the port's network.
    const bool pre = pre_net && net == pre_net && pre_src[i] != 0;
    if (!net) {
      fail.fail(m, Drop::vl2_unknown_network);
      continue;
    }
    const uint64_t nwid = net->s.nwid;
    const uint64_t our_mac = v2::mac_from_address(self, nwid);
    const uint64_t dst = v2::read_mac(e);
    const uint64_t src = v2::read_mac(e + 6);
    const uint16_t type = uint16_t(e[12] << 8 | e[13]);
    if (src == 0 || v2::mac_is_multicast(src) || type == RTE_ETHER_TYPE_VLAN) {  // double tags too
      fail.fail(m, Drop::vl2_lan_malformed);
      continue;
    }
    if (m->data_len - sizeof(rte_ether_hdr) > net->s.mtu) {
      fail.fail(m, Drop::vl2_oversize);
      continue;
    }
    // Learn the source (the writer decides; we only tell it when it matters).
    if (src != our_mac) {
      const uint64_t sw = pre ? pre_srcw[i] : t.mac(net->slot, src);
      if (vl2_lan_echo(w, port, *net, src, sw, now_s)) {  // vl2_loop.hpp
        fail.fail(m, Drop::vl2_lan_loop);
        continue;
      }
      if (MacWord::kind(sw) != MacWord::kLan || MacWord::age_s(sw, now_s) >= tables::vl2::kMacRefreshS) {
        LearnEvent ev;
        ev.kind = LearnEvent::kLanMac;
        ev.slot = net->slot;
        ev.mac = src;
        w.c->vl2_learn_posted += t.post(ev);
      }
    }
    // Destinations.
    uint64_t to[tables::vl2::kMaxBridges + tables::vl2::kMaxSubscribers];
    unsigned nt = 0;
    uint8_t verb = uint8_t(wire::Verb::kExtFrame);
    uint32_t adi = 0;
    bool flood = false;
    if (v2::mac_is_multicast(dst)) {
      if (net->s.multicast_limit == 0 || (dst == v2::kBroadcastMac && !net->s.enable_broadcast &&
                                          type != RTE_ETHER_TYPE_ARP)) {
        fail.fail(m, Drop::vl2_multicast_off);
        continue;
      }
      if (port.lan_multicast.cost && !port.lan_multicast.take(w.now)) {
        fail.fail(m, Drop::vl2_lan_multicast_limited);
        continue;
      }
      verb = uint8_t(wire::Verb::kMulticastFrame);
      adi = v2::multicast_adi(dst, type, e + sizeof(rte_ether_hdr), m->data_len - sizeof(rte_ether_hdr));
      vl2_lan_groups(w, port, nwid, dst, adi, type, e + sizeof(rte_ether_hdr), m->data_len - sizeof(rte_ether_hdr));
      // Bridges first, then the group's subscribers, no duplicates, up to the limit.
      for (unsigned b = 0; b < net->n_bridges && nt < net->s.multicast_limit; ++b)
        if (net->bridges[b] != self) to[nt++] = net->bridges[b];
      if (const auto* sl = t.subscribers(net->slot, dst, adi)) {
        for (uint32_t s = 0; s < sl->n && nt < net->s.multicast_limit; ++s) {
          const uint64_t a = sl->addr[s];
          if (a == self || std::find(to, to + nt, a) != to + nt) continue;
          to[nt++] = a;
        }
      }
    } else if (v2::mac_is_member(dst, nwid)) {
      const uint64_t a = v2::address_from_mac(dst, nwid);
      if (a == self) {
        fail.fail(m, Drop::vl2_lan_local);  // our own member MAC: the host port's, not the LAN's
        continue;
      }
      to[nt++] = a;
      if (src == our_mac) verb = uint8_t(wire::Verb::kFrame);
    } else {
      const uint64_t dw = t.mac(net->slot, dst);
      if (MacWord::kind(dw) == MacWord::kLan) {
        fail.fail(m, Drop::vl2_lan_local);
        continue;
      }
      if (MacWord::kind(dw) == MacWord::kRemote) {
        to[nt++] = MacWord::addr(dw);
      } else {
        flood = true;
        for (unsigned b = 0; b < net->n_bridges; ++b)
          if (net->bridges[b] != self) to[nt++] = net->bridges[b];
      }
    }
    if (nt == 0) {
      fail.fail(m, Drop::vl2_no_recipient);
      continue;
    }
    // Outbound rules, once per frame: the destination member is named for
    // a unicast to one member, 0 for multicast and floods (stock names
    // each recipient of a flood; the difference matters only to rules on
    // the destination address).
    RuleFrame rf;
    rf.self = self;
    rf.peer = (nt == 1 && !v2::mac_is_multicast(dst)) ? to[0] : 0;
    rf.mac_source = src;
    rf.mac_dest = dst;
    rf.ethertype = type;
    rf.payload = e + sizeof(rte_ether_hdr);
    rf.payload_len = m->data_len - uint32_t(sizeof(rte_ether_hdr));
    rf.local = net->own;
    rf.remote = rules_remote(t, *net, rf.peer);
    const RuleResult rr = rules_evaluate(net->rules, rf, &port.rnd);
    if (rr.verdict == RuleVerdict::kDrop) {
      fail.fail(m, Drop::vl2_rules);
      continue;
    }
    if (rr.copy.to || rr.cap_copy.to || rr.verdict == RuleVerdict::kRedirect) {  // TEE / WATCH / REDIRECT
      vl2_rule_outputs(w, port, rr, false, self, {nwid, dst, src, type, rf.payload, rf.payload_len}, out, &no,
                       kMaxOut);
      if (rr.verdict == RuleVerdict::kRedirect) {  // sent to the target instead
        rte_pktmbuf_free(m);
        continue;
      }
    }
    // One VL1 packet per destination: copies for all but the last.
    for (unsigned k = 0; k < nt; ++k) {
      const tables::vl2::PeerKey* key = pre && pre_dst[i] == to[k] ? pre_key[i] : key_of(to[k]);
      if (!key) {
        w.c->count_drop(Drop::vl2_no_key);
        continue;
      }
      if (no >= kMaxOut) {
        w.c->count_drop(Drop::tx_full);
        continue;
      }
      rte_mbuf* c = k + 1 == nt ? m : rte_pktmbuf_copy(m, w.pool, 0, UINT32_MAX);
      if (!c) {
        w.c->count_drop(Drop::no_mbuf);
        continue;
      }
      const uint32_t len = vl2_build(c, self, to[k], port.packet_id++, nwid, verb, dst, src, type, adi);
      if (len == 0 || len > max_vl1 + (wire::kMaxFragments - 1) * (max_vl1 - wire::kFragmentHeaderLength)) {
        if (c == m) m = nullptr;
        rte_pktmbuf_free(c);
        w.c->count_drop(Drop::vl2_oversize);
        continue;
      }
      // The flag is authenticated: set before armor (spec §2.5).
      if (len > max_vl1) rte_pktmbuf_mtod(c, uint8_t*)[wire::kIdxFlags] |= wire::kFlagFragmented;
      if (c == m) m = nullptr;
      out[no++] = {c, to[k], len, key};
      if (verb == uint8_t(wire::Verb::kMulticastFrame)) ++w.c->vl2_encap_multicast;
      else if (flood) ++w.c->vl2_encap_flooded;
      else ++w.c->vl2_encap_unicast;
    }
    if (m) rte_pktmbuf_free(m);  // every copy failed; each failure was counted
  }
  drop_tail(w, fail.bad, fail.n_bad);
  vl2_send(w, out, no);
}

void vl2_send(Worker& w, Vl2Out* out, unsigned no) {
  if (no == 0) return;
  const Underlay& u = *w.u;
  const uint32_t max_vl1 = vl2_max_vl1(u);
  // Armor: one burst per suite; the fragments' mbufs fetched meanwhile.
  crypto::mb::Packet b1[kMaxOut], b3[kMaxOut];
  unsigned n1 = 0, n3 = 0, n_frag = 0;
  for (unsigned k = 0; k < no; ++k) {
    uint8_t* d = rte_pktmbuf_mtod(out[k].m, uint8_t*);
    crypto::mb::Packet p{d, out[k].vl1_len, &out[k].key->keys};
    if (out[k].key->suite == crypto::Suite::kAesGmacSiv) b3[n3++] = p;
    else b1[n1++] = p;
    if (out[k].vl1_len > max_vl1)
      n_frag += (out[k].vl1_len - max_vl1 + (max_vl1 - wire::kFragmentHeaderLength) - 1) /
                (max_vl1 - wire::kFragmentHeaderLength);
  }
  FragMbufs fm;
  fm.take(w, n_frag);
  if (n1) crypto::mb::armor_burst({b1, n1}, crypto::Suite::kSalsa2012Poly1305);
  if (n3) crypto::mb::armor_burst({b3, n3}, crypto::Suite::kAesGmacSiv);

  // Packets over one datagram: the head keeps the first max_vl1 bytes, the
  // rest goes into fragments of their own (spec §2.5, as wire::split_packet).
  Out dg[kMaxDatagrams];
  unsigned nd = 0;
  for (unsigned k = 0; k < no; ++k) {
    if (out[k].vl1_len <= max_vl1) {
      dg[nd++] = out[k];
      continue;
    }
    nd += fragment(w, out[k], max_vl1, fm, dg + nd);
  }
  fm.give_back(w);

  // Paths, in lookups of at most a burst, then outer headers.
  for (unsigned base = 0; base < nd; base += kBurst) {
    const unsigned cnt = std::min<unsigned>(kBurst, nd - base);
    uint64_t addrs[kBurst];
    PathView paths[kBurst];
    bool found[kBurst];
    for (unsigned k = 0; k < cnt; ++k) addrs[k] = dg[base + k].to;
    if (w.hooks->lookup) w.hooks->lookup(w.hooks->ctx, addrs, cnt, paths, found);
    else std::fill(found, found + cnt, false);
    PathView sib;
    bool have_sib = false, asked_sib = false;
    Partition p;
    for (unsigned k = 0; k < cnt; ++k) {
      rte_mbuf* m = dg[base + k].m;
      const PathView* path = found[k] ? &paths[k] : nullptr;
      if (!path) {
        if (!asked_sib) {
          have_sib = w.hooks->sibling && w.hooks->sibling(w.hooks->ctx, &sib);
          asked_sib = true;
        }
        if (have_sib) path = &sib;
      }
      const bool v4 = path && path->family == Family::kV4;
      const IpAddr& own = v4 ? u.ip4 : u.ip6;
      if (!path || own.family != path->family) {
        p.fail(m, Drop::vl2_no_path);
        continue;
      }
      // The VL1 packet starts at the mbuf's data (vl2_build, fragment);
      // the outer headers go in front. PktMeta is not written: nothing
      // reads it on the way out, and its line (behind the rte_mbuf) is one
      // this core has not touched for a LAN frame -- a miss per packet.
      const uint16_t outer = v4 ? kOuter4 : kOuter6;
      const uint32_t vl1_len = dg[base + k].vl1_len;
      if (m->data_off < outer) {  // headroom >= 128 (kOuter6 is 62): cannot happen
        p.fail(m, Drop::no_mbuf);
        continue;
      }
      m->data_off = uint16_t(m->data_off - outer);
      m->data_len = uint16_t(outer + vl1_len);
      m->pkt_len = outer + vl1_len;
      IpAddr dst;
      dst.family = path->family;
      std::memcpy(dst.b, path->ip, v4 ? 4 : 16);
      const IpAddr& nh = next_hop(u, dst);
      Mac mac;
      const bool resolved = resolve(w, nh, &mac);
      if (v4) {
        write_eth(m, u.mac, mac, RTE_BE16(RTE_ETHER_TYPE_IPV4));
        write_ip4_udp(m, own.b, path->ip, u.udp_port, path->port, uint16_t(vl1_len));
      } else {
        write_eth(m, u.mac, mac, RTE_BE16(RTE_ETHER_TYPE_IPV6));
        rte_udp_hdr* udp = write_ip6_udp(m, own.b, path->ip, u.udp_port, path->port, uint16_t(vl1_len));
        udp->dgram_cksum = 0;
        udp->dgram_cksum = rte_ipv6_udptcp_cksum(
            rte_pktmbuf_mtod_offset(m, const rte_ipv6_hdr*, sizeof(rte_ether_hdr)), udp);
      }
      m->ol_flags = 0;
      m->port = path->tx_port;
      if (resolved) tx_push(w, m);
      else hold_for_neighbor(w, m, nh, p);
    }
    drop_tail(w, p.bad, p.n_bad);
  }
}

}  // namespace flatnet::fastpath
