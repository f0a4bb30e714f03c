// Stage helper: the network rules' TEE / WATCH / REDIRECT on the gateway
// (stock's filterIncomingPacket / filterOutgoingPacket send these after the
// filter): each output is a new EXT_FRAME to the target member, carrying the
// frame's MACs, ethertype and the first `len` bytes of its payload, with the
// flags stock sets, built into a fresh mbuf and sent through the same armor
// and path code as vl2_encap's packets (vl2_send.hpp).
#include <rte_ether.h>

#include <cstring>

#include "dataplane/fastpath/vl2_send.hpp"
#include "dataplane/wire/vl2_frame.hpp"

namespace flatnet::fastpath {

namespace {

// EXT_FRAME flags stock sets on rule outputs (0x10 asks the target for an
// OK: a WATCH wants to know it arrived).
constexpr uint8_t kTeeIn = 0x08, kWatchIn = 0x1c, kRedirectIn = 0x0a;
constexpr uint8_t kTeeOut = 0x02, kWatchOut = 0x16, kRedirectOut = 0x04;

bool forward_one(Worker& w, Vl2Port& port, uint64_t self, const Vl2FrameRef& f, uint64_t to, uint8_t flags,
                 uint32_t len, Vl2Out* out, unsigned* n, unsigned cap) {
  const tables::vl2::PeerKey* key = port.tables->key(to);
  if (!key) {
    w.c->count_drop(Drop::vl2_no_key);
    return false;
  }
  if (*n >= cap) {
    w.c->count_drop(Drop::tx_full);
    return false;
  }
  rte_mbuf* m = rte_pktmbuf_alloc(w.pool);
  uint8_t* e = m ? reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, uint16_t(sizeof(rte_ether_hdr) + len))) : nullptr;
  if (!e) {
    // A frame bigger than one buffer of the worker's pool is not copied.
    if (m) rte_pktmbuf_free(m);
    w.c->count_drop(Drop::no_mbuf);
    return false;
  }
  wire::vl2::write_mac(e, f.dst);
  wire::vl2::write_mac(e + 6, f.src);
  e[12] = uint8_t(f.type >> 8);
  e[13] = uint8_t(f.type);
  std::memcpy(e + sizeof(rte_ether_hdr), f.payload, len);
  const uint32_t max_vl1 = vl2_max_vl1(*w.u);
  const uint32_t vl1 = vl2_build(m, self, to, port.packet_id++, f.nwid, uint8_t(wire::Verb::kExtFrame), f.dst, f.src,
                                 f.type, 0, flags);
  if (vl1 == 0 || vl1 > vl2_max_packet(max_vl1)) {
    rte_pktmbuf_free(m);
    w.c->count_drop(Drop::vl2_oversize);
    return false;
  }
  // The flag is authenticated: set before armor (spec §2.5).
  if (vl1 > max_vl1) rte_pktmbuf_mtod(m, uint8_t*)[wire::kIdxFlags] |= wire::kFlagFragmented;
  out[(*n)++] = {m, to, vl1, key};
  return true;
}

}  // namespace

void vl2_rule_outputs(Worker& w, Vl2Port& port, const RuleResult& r, bool inbound, uint64_t self,
                      const Vl2FrameRef& f, Vl2Out* out, unsigned* n, unsigned cap) {
  if (r.verdict == RuleVerdict::kDrop) return;
  for (const RuleCopy* c : {&r.copy, &r.cap_copy}) {
    if (!c->to) continue;
    const uint8_t flags = inbound ? (c->watch ? kWatchIn : kTeeIn) : (c->watch ? kWatchOut : kTeeOut);
    w.c->vl2_rules_copies += forward_one(w, port, self, f, c->to, flags, std::min(c->len, f.len), out, n, cap);
  }
  if (r.verdict == RuleVerdict::kRedirect) {
    w.c->vl2_rules_redirects +=
        forward_one(w, port, self, f, r.redirect_to, inbound ? kRedirectIn : kRedirectOut, f.len, out, n, cap);
  }
}

}  // namespace flatnet::fastpath
