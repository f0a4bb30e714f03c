// Stage: the host port (issue 12, "Ports and roles"). A net_tap port whose
// kernel interface carries the gateway's own member MAC (§5.2) on the
// untagged bridged network, so the gateway machine itself is a member:
//   - frames from the host port must come from that MAC; a frame for a host
//     on the LAN goes straight out of the LAN port (the host interface is in
//     effect one more host on the bridged segment), unknown unicast and
//     broadcast / multicast go out of the LAN port as a copy and on to
//     vl2_encap, which sends FRAME to a member (its source is our member MAC);
//   - frames the LAN sends to our member MAC go to the host port (vl2_encap
//     would drop them as LAN-local), and a copy of LAN broadcast / multicast;
//   - frames vl2_decap left for the LAN port that are for our member MAC
//     (FRAME to us) move to the host port, broadcast / multicast are copied.
// Tagged frames (VLAN-mapped networks) never concern the host port.
#include <rte_ether.h>

#include "dataplane/fastpath/vl2.hpp"
#include "dataplane/wire/vl2_frame.hpp"

namespace flatnet::fastpath {

namespace v2 = flatnet::wire::vl2;
using tables::vl2::MacWord;

namespace {

inline void push(Worker& w, TxBuffer& tx, rte_mbuf* m) {
  if (tx.n < TxBuffer::kCap) tx.pkts[tx.n++] = m;
  else drop_one(w, m, Drop::tx_full);
}

inline void push_copy(Worker& w, TxBuffer& tx, rte_mbuf* m) {
  rte_mbuf* c = rte_pktmbuf_copy(m, w.pool, 0, UINT32_MAX);
  if (!c) {
    w.c->count_drop(Drop::no_mbuf);
    return;
  }
  push(w, tx, c);
}

inline bool untagged(const rte_mbuf* m) {
  if (m->data_len < sizeof(rte_ether_hdr) || m->nb_segs != 1) return false;
  const uint8_t* e = rte_pktmbuf_mtod(m, const uint8_t*);
  return uint16_t(e[12] << 8 | e[13]) != RTE_ETHER_TYPE_VLAN;
}

}  // namespace

uint64_t host_member_mac(Worker& w, const Vl2Port& port) {
  const uint64_t self = w.sw->self_address.load(std::memory_order_relaxed);  // relaxed: see Switches
  return (self && port.nwid) ? v2::mac_from_address(self, port.nwid) : 0;
}

void vl2_host_from_decap(Worker& w, Vl2Port& port) {
  const uint64_t ours = host_member_mac(w, port);
  if (!port.has_host || ours == 0) return;
  TxBuffer& lan = port.lan_tx;
  uint16_t keep = 0;
  for (uint16_t i = 0; i < lan.n; ++i) {
    rte_mbuf* m = lan.pkts[i];
    if (untagged(m)) {
      const uint64_t dst = v2::read_mac(rte_pktmbuf_mtod(m, const uint8_t*));
      if (dst == ours) {
        push(w, port.host_tx, m);
        continue;
      }
      if (v2::mac_is_multicast(dst)) push_copy(w, port.host_tx, m);
    }
    lan.pkts[keep++] = m;
  }
  lan.n = keep;
}

uint16_t vl2_host_from_lan(Worker& w, Vl2Port& port, rte_mbuf** pkts, uint16_t n) {
  const uint64_t ours = host_member_mac(w, port);
  if (!port.has_host || ours == 0) return n;
  const tables::vl2::NetworkView* net = port.tables->network(port.nwid);
  const uint32_t now_s = tables::vl2::Vl2Tables::now_s();
  uint16_t keep = 0;
  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    if (untagged(m)) {
      const uint8_t* e = rte_pktmbuf_mtod(m, const uint8_t*);
      const uint64_t dst = v2::read_mac(e);
      if (dst == ours) {
        // vl2_encap does not see it: the sender is learned here, so the
        // host's answers are switched to the LAN rather than flooded.
        const uint64_t src = v2::read_mac(e + 6);
        if (net && src != 0 && src != ours && !v2::mac_is_multicast(src)) {
          const uint64_t sw = port.tables->mac(net->slot, src);
          if (MacWord::kind(sw) != MacWord::kLan || MacWord::age_s(sw, now_s) >= tables::vl2::kMacRefreshS) {
            tables::vl2::LearnEvent ev;
            ev.kind = tables::vl2::LearnEvent::kLanMac;
            ev.slot = net->slot;
            ev.mac = src;
            w.c->vl2_learn_posted += port.tables->post(ev);
          }
        }
        push(w, port.host_tx, m);
        continue;
      }
      if (v2::mac_is_multicast(dst)) push_copy(w, port.host_tx, m);
    }
    pkts[keep++] = m;
  }
  return keep;
}

uint16_t vl2_host_input(Worker& w, Vl2Port& port, rte_mbuf** pkts, uint16_t n) {
  const uint64_t ours = host_member_mac(w, port);
  const tables::vl2::NetworkView* net = ours ? port.tables->network(port.nwid) : nullptr;
  Partition fail;
  uint16_t keep = 0;
  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    if (!net) {
      fail.fail(m, Drop::vl2_unknown_network);
      continue;
    }
    const uint8_t* e = rte_pktmbuf_mtod(m, const uint8_t*);
    if (!untagged(m) || v2::read_mac(e + 6) != ours) {
      fail.fail(m, Drop::vl2_host_source);
      continue;
    }
    const uint64_t dst = v2::read_mac(e);
    if (v2::mac_is_multicast(dst)) {
      push_copy(w, port.lan_tx, m);  // the LAN hears it, then the members
    } else if (!v2::mac_is_member(dst, port.nwid)) {
      const uint64_t dw = port.tables->mac(net->slot, dst);
      if (MacWord::kind(dw) == MacWord::kLan) {  // a host on the LAN: switched here
        push(w, port.lan_tx, m);
        continue;
      }
      if (MacWord::kind(dw) != MacWord::kRemote) push_copy(w, port.lan_tx, m);  // unknown: the LAN too
    }
    pkts[keep++] = m;
  }
  drop_tail(w, fail.bad, fail.n_bad);
  return keep;
}

}  // namespace flatnet::fastpath
