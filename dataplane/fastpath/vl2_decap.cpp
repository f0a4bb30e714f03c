// Stage: VL2 decap, underlay -> LAN (issue 12). Packet heads addressed to
// us from a peer whose key control installed are dearmored as one burst
// (crypto/mb, suites 1 and 3; the key is looked up once per run of packets
// from the same peer). FRAME, EXT_FRAME and MULTICAST_FRAME for the bridged
// network pass the member gate (present, COM valid on a private network),
// the source-MAC rules of spec §4.8/§4.15, and become Ethernet frames in
// place for the LAN port. Every other verb (and a compressed or COM-carrying
// frame verb) is armored again, which gives back exactly the received bytes
// (same key, same packet id / IV), and punted to control as before.
#include <rte_ether.h>

#include <cstring>

#include "crypto/mb/burst.hpp"
#include "dataplane/fastpath/prefetch_w.hpp"
#include "dataplane/fastpath/vl2.hpp"
#include "dataplane/fastpath/vl2_keys.hpp"
#include "dataplane/fastpath/vl2_loop.hpp"
#include "dataplane/fastpath/vl2_reasm.hpp"
#include "dataplane/fastpath/vl2_send.hpp"
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

enum class Outcome : uint8_t { kLan, kPunt, kDrop };

struct Parsed {
  uint64_t dst = 0, src = 0;
  uint16_t type = 0;
  uint32_t data_off = 0;  // offset of the Ethernet payload in the VL1 packet
  // EXT_FRAME with a foreign source MAC from a member that is not a bridge:
  // dropped unless the rules super-accept it (stock checks bridging after
  // the filter, and skips the check for its accept 2).
  bool foreign = false;
};

// Parses a dearmored frame verb. False = drop (reason set) or punt (*punt).
bool parse_frame(const uint8_t* d, uint32_t len, uint8_t verb, const NetworkView& net, uint64_t self,
                 uint64_t sender, uint64_t sender_word, Parsed* f, Drop* why, bool* punt) {
  const uint8_t* p = d + wire::kIdxPayload;
  const uint32_t plen = len - uint32_t(wire::kIdxPayload);
  const uint64_t nwid = net.s.nwid;
  const uint64_t our_mac = v2::mac_from_address(self, nwid);
  const uint64_t sender_mac = v2::mac_from_address(sender, nwid);
  *why = Drop::vl2_malformed;
  if (verb == uint8_t(wire::Verb::kFrame)) {
    if (plen < v2::kFrameHeader) return false;
    f->dst = our_mac;
    f->src = sender_mac;
    f->type = uint16_t(p[8] << 8 | p[9]);
    f->data_off = uint32_t(wire::kIdxPayload + v2::kFrameHeader);
    return true;
  }
  if (verb == uint8_t(wire::Verb::kExtFrame)) {
    if (plen < v2::kExtFrameHeader) return false;
    if (p[8] & v2::kExtFlagCom) {  // deprecated inline COM: control parses credentials
      *punt = true;
      return false;
    }
    f->dst = v2::read_mac(p + 9);
    f->src = v2::read_mac(p + 15);
    f->type = uint16_t(p[21] << 8 | p[22]);
    f->data_off = uint32_t(wire::kIdxPayload + v2::kExtFrameHeader);
    if (v2::mac_is_multicast(f->dst) && net.s.multicast_limit == 0) {
      *why = Drop::vl2_multicast_off;
      return false;
    }
  } else {  // MULTICAST_FRAME
    if (plen < 9) return false;
    const uint8_t flags = p[8];
    if (flags & v2::kMcFlagCom) {
      *punt = true;
      return false;
    }
    uint32_t o = 9 + ((flags & v2::kMcFlagLimit) ? 4 : 0);
    f->src = sender_mac;
    if (flags & v2::kMcFlagSource) {
      if (plen < o + 6) return false;
      f->src = v2::read_mac(p + o);
      o += 6;
    }
    if (plen < o + 12) return false;
    f->dst = v2::read_mac(p + o);
    f->type = uint16_t(p[o + 10] << 8 | p[o + 11]);
    f->data_off = uint32_t(wire::kIdxPayload) + o + 12;
    if (net.s.multicast_limit == 0 || !v2::mac_is_multicast(f->dst)) {
      *why = Drop::vl2_multicast_off;
      return false;
    }
    if (len - f->data_off > v2::kMulticastMaxData) {
      *why = Drop::vl2_oversize;
      return false;
    }
  }
  if (f->src == 0 || v2::mac_is_multicast(f->src) || f->src == our_mac) return false;
  if (f->src != sender_mac && !(sender_word & MemberWord::kBridge)) {
    if (verb == uint8_t(wire::Verb::kExtFrame)) {
      f->foreign = true;
      return true;
    }
    *why = Drop::vl2_foreign_source;
    return false;
  }
  return true;
}

// Rewrites the mbuf so that it holds just the Ethernet frame.
void to_ethernet(rte_mbuf* m, uint32_t vl1_off, uint32_t vl1_len, const Parsed& f) {
  const uint32_t eth_off = vl1_off + f.data_off - uint32_t(sizeof(rte_ether_hdr));
  uint8_t* e = rte_pktmbuf_mtod_offset(m, uint8_t*, eth_off);
  v2::write_mac(e, f.dst);
  v2::write_mac(e + 6, f.src);
  e[12] = uint8_t(f.type >> 8);
  e[13] = uint8_t(f.type);
  rte_pktmbuf_adj(m, uint16_t(eth_off));
  const uint32_t frame = vl1_len - f.data_off + uint32_t(sizeof(rte_ether_hdr));
  m->data_len = uint16_t(frame);
  m->pkt_len = frame;
}

}  // namespace

void vl2_decap(Worker& w, Vl2Port& port, rte_mbuf** pkts, uint16_t n, rte_mbuf** to_punt, uint16_t* n_punt) {
  *n_punt = 0;
  auto& t = *port.tables;
  const uint64_t self = w.sw->self_address.load(std::memory_order_relaxed);  // relaxed: see Switches
  // The network of a packet: the port's untagged one or a VLAN's (one-entry cache).
  uint64_t last_nwid = 0;
  const NetworkView* last_net = nullptr;

  // 1. Which packets are ours to open: whole packets (fragments joined)
  //    from a peer with a key, cipher 1 or 3; the keys looked up as one burst.
  Reasm& ra = port.reasm;
  const bool joining = ra.big != nullptr;
  if (joining) reasm_expire(w, ra);
  crypto::mb::Packet mp[kBurst];
  rte_mbuf* mine[kBurst];
  int8_t origin[kBurst];  // reassembler slot of a joined packet, -1 for a whole one
  uint16_t nm = 0;
  uint64_t src_of[kBurst];
  // A joined packet that is not ours to open (its bytes as received): its
  // pieces go to control, a head joined in place trimmed back first.
  auto punt_joined = [&](rte_mbuf* a, int slot) {
    if (reasm_unjoin(ra, slot, a)) to_punt[(*n_punt)++] = a;
    else rte_pktmbuf_free(a);
    reasm_release(ra, slot, to_punt, n_punt);
  };
  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    PktMeta* pm = meta(m);
    uint8_t* d = rte_pktmbuf_mtod_offset(m, uint8_t*, pm->data_off);
    int slot = -1;
    const bool piece = pm->is_fragment || (pm->data_len >= wire::kPacketHeaderLength && wire::packet_fragmented(d));
    if (piece && joining) {
      m = reasm_add(w, ra, m, &slot);
      if (!m) continue;  // held for its other pieces, or dropped and counted
      pm = meta(m);
      d = rte_pktmbuf_mtod_offset(m, uint8_t*, pm->data_off);
    }
    // Byte 18 is read only once the packet is known to have it (a beacon has 13 bytes).
    const bool sized = pm->data_len >= wire::kPacketHeaderLength;
    const auto c = sized ? wire::packet_cipher(d) : wire::Cipher::kPoly1305None;
    if ((piece && !joining) || pm->vl1_src == 0 || !sized ||
        (c != wire::Cipher::kSalsa2012Poly1305 && c != wire::Cipher::kAesGmacSiv)) {
      if (slot >= 0) punt_joined(m, slot);
      else to_punt[(*n_punt)++] = m;
      continue;
    }
    mp[nm] = {d, pm->data_len, nullptr};
    src_of[nm] = pm->vl1_src;
    origin[nm] = int8_t(slot);
    mine[nm++] = m;
  }
  // The packets' lines owned by this core before dearmor decrypts them in
  // place: the sender's core (the generator's; a NIC's DMA) wrote them and
  // the parse so far only read them, so each first store would wait for
  // ownership, one line after another. Asked for together, over the key
  // lookups, the waits overlap.
  for (uint16_t k = 0; k < nm; ++k) {
    const auto* b = reinterpret_cast<const uint8_t*>(uintptr_t(mp[k].data) & ~uintptr_t(RTE_CACHE_LINE_SIZE - 1));
    const uint8_t* end = mp[k].data + mp[k].len;
    for (; b < end; b += RTE_CACHE_LINE_SIZE) prefetch_w(b);
  }
  // The burst's keys at once (vl2_keys.hpp); packets without one go to control.
  const tables::vl2::PeerKey* keys[kBurst];
  vl2_keys_burst(t, src_of, nm, keys);
  uint16_t kept = 0;
  for (uint16_t k = 0; k < nm; ++k) {
    if (!keys[k]) {  // control has not installed a key: its business
      if (origin[k] >= 0) punt_joined(mine[k], origin[k]);
      else to_punt[(*n_punt)++] = mine[k];
      continue;
    }
    mp[kept] = {mp[k].data, mp[k].len, &keys[k]->keys};
    src_of[kept] = src_of[k];
    origin[kept] = origin[k];
    mine[kept++] = mine[k];
  }
  nm = kept;
  if (nm == 0) return;

  crypto::DearmorResult verdict[kBurst];
  uint8_t ivs[kBurst][8];
  crypto::mb::dearmor_burst({mp, nm}, verdict, ivs);

  // The senders' member words at once (one bulk lookup, as the keys): the
  // network of each frame verb found as the loop below finds it.
  uint64_t mws[kBurst];
  {
    uint8_t slots[kBurst];
    uint64_t addrs[kBurst], words[kBurst];
    uint16_t at[kBurst], nq = 0;
    for (uint16_t k = 0; k < nm; ++k) {
      mws[k] = 0;
      const uint8_t* d = mp[k].data;
      if (verdict[k] != crypto::DearmorResult::kOk || mp[k].len < wire::kIdxPayload + 8) continue;
      const uint64_t nwid = wire::read_be64(d + wire::kIdxPayload);
      if (!port.vlan_of(nwid)) continue;
      if (nwid != last_nwid) {
        last_nwid = nwid;
        last_net = t.network(nwid);
      }
      if (!last_net) continue;
      slots[nq] = uint8_t(last_net->slot);
      addrs[nq] = src_of[k];
      at[nq++] = k;
    }
    t.member_burst(slots, addrs, nq, words);
    for (uint16_t q = 0; q < nq; ++q) mws[at[q]] = words[q];
  }

  // 2. Frame verbs to the LAN; the rest re-armored for control.
  crypto::mb::Packet rearm1[kBurst], rearm3[kBurst];
  uint16_t n1 = 0, n3 = 0;
  Partition fail;
  Vl2Out fwd[kVl2MaxOut];
  unsigned n_fwd = 0;
  const uint32_t now_s = tables::vl2::Vl2Tables::now_s();
  rte_mbuf* unjoin[kBurst];  // punted heads joined in place, trimmed once re-armored
  uint16_t unjoin_end[kBurst];
  uint16_t n_unjoin = 0;
  for (uint16_t k = 0; k < nm; ++k) {
    rte_mbuf* m = mine[k];
    PktMeta* pm = meta(m);
    uint8_t* d = mp[k].data;
    // A joined packet's pieces are freed once its fate is known (a drop
    // is counted once, on the joined packet), or punted instead of it.
    auto settle = [&](rte_mbuf** out, uint16_t* n_out) {
      if (origin[k] >= 0) reasm_release(ra, origin[k], out, n_out);
    };
    if (verdict[k] != crypto::DearmorResult::kOk) {
      settle(nullptr, nullptr);
      fail.fail(m, Drop::vl2_bad_mac);
      continue;
    }
    const uint8_t vb = d[wire::kIdxVerb];
    const uint8_t verb = vb & wire::kVerbMask;
    const bool frame_verb = verb == uint8_t(wire::Verb::kFrame) || verb == uint8_t(wire::Verb::kExtFrame) ||
                            verb == uint8_t(wire::Verb::kMulticastFrame);
    bool punt = !frame_verb || (vb & wire::kVerbFlagCompressed);
    // Counted, delivered as stock does (vl2_dup.hpp).
    if (frame_verb && port.dups.repeat(pm->vl1_src, wire::packet_id(d))) ++w.c->vl2_duplicates;
    Drop why = Drop::vl2_malformed;
    Parsed f;
    if (!punt) {
      const uint32_t plen = pm->data_len - uint32_t(wire::kIdxPayload);
      const uint64_t nwid = plen >= 8 ? wire::read_be64(d + wire::kIdxPayload) : 0;
      if (plen < 8) {
        settle(nullptr, nullptr);
        fail.fail(m, Drop::vl2_malformed);
        continue;
      }
      const uint16_t vid = port.vlan_of(nwid);
      if (vid && nwid != last_nwid) {
        last_nwid = nwid;
        last_net = t.network(nwid);
      }
      const NetworkView* net = vid ? last_net : nullptr;
      if (!net) {
        settle(nullptr, nullptr);
        fail.fail(m, Drop::vl2_unknown_network);
        continue;
      }
      const uint64_t mw = mws[k];
      if (!MemberWord::admitted(mw, net->s.is_private)) {
        settle(nullptr, nullptr);
        fail.fail(m, Drop::vl2_gate);
        continue;
      }
      if (parse_frame(d, pm->data_len, verb, *net, self, pm->vl1_src, mw, &f, &why, &punt)) {
        if (pm->data_len - f.data_off > net->s.mtu) {
          settle(nullptr, nullptr);
          fail.fail(m, Drop::vl2_oversize);
          continue;
        }
        if (vl2_lan_loop(w, port, *net, pm->vl1_src, f.src, now_s)) {  // vl2_loop.hpp
          settle(nullptr, nullptr);
          fail.fail(m, Drop::vl2_lan_loop);
          continue;
        }
        RuleFrame rf;
        rf.inbound = true;
        rf.self = self;
        rf.peer = pm->vl1_src;
        rf.mac_source = f.src;
        rf.mac_dest = f.dst;
        rf.ethertype = f.type;
        rf.payload = d + f.data_off;
        rf.payload_len = pm->data_len - f.data_off;
        rf.local = net->own;
        rf.remote = rules_remote(t, *net, pm->vl1_src, true);
        const RuleResult rr = rules_evaluate(net->rules, rf, &port.rnd);
        if (rr.verdict == RuleVerdict::kDrop) {
          settle(nullptr, nullptr);
          fail.fail(m, Drop::vl2_rules);
          continue;
        }
        if (rr.copy.to || rr.cap_copy.to || rr.verdict == RuleVerdict::kRedirect) {  // TEE / WATCH / REDIRECT
          vl2_rule_outputs(w, port, rr, true, self, {net->s.nwid, f.dst, f.src, f.type, rf.payload, rf.payload_len},
                           fwd, &n_fwd, kVl2MaxOut);
          if (rr.verdict == RuleVerdict::kRedirect) {  // not delivered here: sent to the target
            settle(nullptr, nullptr);
            rte_pktmbuf_free(m);
            continue;
          }
        }
        if (f.foreign && rr.verdict != RuleVerdict::kSuperAccept) {
          settle(nullptr, nullptr);
          fail.fail(m, Drop::vl2_foreign_source);
          continue;
        }
        // What we learned: the member talked to us; a bridged source MAC is behind it.
        if (MemberWord::recent_s(mw) + 30 < now_s) {
          LearnEvent e;
          e.kind = LearnEvent::kRecent;
          e.slot = net->slot;
          e.addr = pm->vl1_src;
          w.c->vl2_learn_posted += t.post(e);
        }
        if (f.src != v2::mac_from_address(pm->vl1_src, nwid) && !f.foreign) {
          uint64_t word = t.mac(net->slot, f.src);
          if (MacWord::kind(word) != MacWord::kRemote || MacWord::addr(word) != pm->vl1_src ||
              MacWord::age_s(word, now_s) >= tables::vl2::kMacRefreshS) {
            LearnEvent e;
            e.kind = LearnEvent::kBridgeRoute;
            e.slot = net->slot;
            e.mac = f.src;
            e.addr = pm->vl1_src;
            w.c->vl2_learn_posted += t.post(e);
          }
        }
        settle(nullptr, nullptr);
        to_ethernet(m, pm->data_off, pm->data_len, f);
        if (vid != Vl2Port::kNoVlan) {  // the network's VLAN on the LAN
          m->vlan_tci = vid;
          if (rte_vlan_insert(&m) != 0) {
            fail.fail(m, Drop::vl2_malformed);
            continue;
          }
        }
        ++w.c->vl2_decap_frames;
        if (port.lan_tx.n < TxBuffer::kCap) port.lan_tx.pkts[port.lan_tx.n++] = m;
        else fail.fail(m, Drop::tx_full);
        continue;
      }
      if (!punt) {
        settle(nullptr, nullptr);
        fail.fail(m, why);
        continue;
      }
    }
    ++w.c->vl2_decap_punted;
    if (origin[k] >= 0 && !ra.slot[origin[k]].head_end) {  // the pieces as received, not the joined copy
      settle(to_punt, n_punt);
      rte_pktmbuf_free(m);
      continue;
    }
    // A head joined in place is re-armored whole below, then trimmed back to
    // its received bytes (reasm_unjoin); its fragments follow it unchanged.
    if (origin[k] >= 0) {
      unjoin_end[n_unjoin] = ra.slot[origin[k]].head_end;  // the slot is released below
      unjoin[n_unjoin++] = m;
    }
    // Back to the bytes we received: suite 3 needs its sender IV in bytes 0..7.
    if (wire::packet_cipher(d) == wire::Cipher::kAesGmacSiv) {
      std::memcpy(d, ivs[k], 8);
      rearm3[n3++] = mp[k];
    } else {
      rearm1[n1++] = mp[k];
    }
    to_punt[(*n_punt)++] = m;
    if (origin[k] >= 0) settle(to_punt, n_punt);
  }
  if (n1) crypto::mb::armor_burst({rearm1, n1}, crypto::Suite::kSalsa2012Poly1305);
  if (n3) crypto::mb::armor_burst({rearm3, n3}, crypto::Suite::kAesGmacSiv);
  for (uint16_t u = 0; u < n_unjoin; ++u) reasm_trim(unjoin[u], unjoin_end[u]);
  drop_tail(w, fail.bad, fail.n_bad);
  vl2_send(w, fwd, n_fwd);  // the rules' copies and redirects
}

}  // namespace flatnet::fastpath
