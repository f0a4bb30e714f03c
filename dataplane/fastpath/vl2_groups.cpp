// Stage helper: the multicast groups of a gateway's LAN (issue 12). Stock's
// bridge LIKEs the groups of its own tap; a flatnet gateway has no tap, so
// the groups LAN hosts want come from their IGMP / MLD reports, which
// vl2_encap forwards like any multicast and also shows here. Each joined
// group, and each group a LAN host sends to (control gathers its
// subscribers), becomes a VL2_GROUP event to control -- de-duplicated per
// (network, group, ADI, kind) for Vl2Port::group_repeat and cut by a token
// bucket, both counted (vl2_group_events, vl2_group_limited).
#include <algorithm>

#include "dataplane/fastpath/vl2.hpp"
#include "dataplane/ipc/abi.h"

namespace flatnet::fastpath {

namespace {

constexpr uint16_t kIpv4 = 0x0800, kIpv6 = 0x86dd;

uint16_t be16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }

uint64_t v4_group_mac(const uint8_t* g) {
  return 0x01005e000000ull | uint64_t(g[1] & 0x7f) << 16 | uint64_t(g[2]) << 8 | g[3];
}
uint64_t v6_group_mac(const uint8_t* g) {
  return 0x333300000000ull | uint64_t(g[12]) << 24 | uint64_t(g[13]) << 16 | uint64_t(g[14]) << 8 | g[15];
}

// RFC 3376 / 3810 record types: IS_INCLUDE 1, IS_EXCLUDE 2, TO_INCLUDE 3,
// TO_EXCLUDE 4, ALLOW_NEW 5, BLOCK_OLD 6. An include with no source (and
// BLOCK_OLD) is a leave, which we let expire rather than act on.
bool record_joins(uint8_t type, uint16_t sources) {
  return type == 2 || type == 4 || ((type == 1 || type == 3 || type == 5) && sources > 0);
}

unsigned igmp(const uint8_t* ip, uint32_t len, uint64_t* macs, unsigned max) {
  if (len < 20 || (ip[0] >> 4) != 4 || ip[9] != 2) return 0;
  const uint32_t ihl = uint32_t(ip[0] & 0xf) * 4;
  const uint32_t total = std::min<uint32_t>(be16(ip + 2), len);
  if (ihl < 20 || total < ihl + 8) return 0;
  const uint8_t* m = ip + ihl;
  const uint32_t mlen = total - ihl;
  unsigned n = 0;
  if (m[0] == 0x12 || m[0] == 0x16) {  // v1 / v2 membership report
    if ((m[4] & 0xf0) == 0xe0 && n < max) macs[n++] = v4_group_mac(m + 4);
    return n;
  }
  if (m[0] != 0x22) return 0;  // v3 membership report
  const unsigned records = be16(m + 6);
  uint32_t off = 8;
  for (unsigned r = 0; r < records && n < max; ++r) {
    if (off + 8 > mlen) break;
    const uint8_t* rec = m + off;
    const uint16_t sources = be16(rec + 2);
    if (record_joins(rec[0], sources) && (rec[4] & 0xf0) == 0xe0) macs[n++] = v4_group_mac(rec + 4);
    off += 8 + 4u * sources + 4u * rec[1];
  }
  return n;
}

unsigned mld(const uint8_t* ip, uint32_t len, uint64_t* macs, unsigned max) {
  if (len < 40 || (ip[0] >> 4) != 6) return 0;
  const uint32_t total = std::min<uint32_t>(40u + be16(ip + 4), len);
  uint8_t next = ip[6];
  uint32_t off = 40;
  // Hop-by-hop (MLD carries the router alert), routing, destination options.
  for (int i = 0; i < 4 && (next == 0 || next == 43 || next == 60); ++i) {
    if (off + 8 > total) return 0;
    next = ip[off];
    off += (uint32_t(ip[off + 1]) + 1) * 8;
  }
  if (next != 58 || off + 8 > total) return 0;
  const uint8_t* m = ip + off;
  const uint32_t mlen = total - off;
  unsigned n = 0;
  if (m[0] == 131) {  // MLDv1 report
    if (mlen >= 24 && m[8] == 0xff && n < max) macs[n++] = v6_group_mac(m + 8);
    return n;
  }
  if (m[0] != 143) return 0;  // MLDv2 report
  const unsigned records = be16(m + 6);
  uint32_t roff = 8;
  for (unsigned r = 0; r < records && n < max; ++r) {
    if (roff + 20 > mlen) break;
    const uint8_t* rec = m + roff;
    const uint16_t sources = be16(rec + 2);
    if (record_joins(rec[0], sources) && rec[4] == 0xff) macs[n++] = v6_group_mac(rec + 4);
    roff += 20 + 16u * sources + 4u * rec[1];
  }
  return n;
}

void notice(Worker& w, Vl2Port& port, uint64_t nwid, uint64_t mac, uint32_t adi, uint32_t kind) {
  if (!w.hooks->lan_group) return;
  const uint64_t key = (nwid * 0x9e3779b97f4a7c15ull) ^ (mac << 8) ^ (uint64_t(adi) << 20) ^ kind;
  Vl2Port::GroupSlot& s = port.group_seen[(key ^ key >> 29 ^ key >> 47) % Vl2Port::kGroupSlots];
  if (s.key == key && s.when != 0 && w.now - s.when < port.group_repeat) return;
  if (port.group_events.cost && !port.group_events.take(w.now)) {
    ++w.c->vl2_group_limited;
    return;
  }
  if (!w.hooks->lan_group(w.hooks->ctx, w.id, nwid, mac, adi, kind)) {
    ++w.c->events_dropped;
    return;
  }
  s.key = key;
  s.when = w.now ? w.now : 1;
  ++w.c->vl2_group_events;
}

}  // namespace

unsigned lan_group_joins(uint16_t ethertype, const uint8_t* l3, uint32_t len, uint64_t* macs, unsigned max) {
  if (ethertype == kIpv4) return igmp(l3, len, macs, max);
  if (ethertype == kIpv6) return mld(l3, len, macs, max);
  return 0;
}

void vl2_lan_groups(Worker& w, Vl2Port& port, uint64_t nwid, uint64_t dst, uint32_t adi, uint16_t ethertype,
                    const uint8_t* l3, uint32_t len) {
  uint64_t joined[8];
  const unsigned n = lan_group_joins(ethertype, l3, len, joined, 8);
  for (unsigned i = 0; i < n; ++i) notice(w, port, nwid, joined[i], 0, FLATNET_IPC_VL2_GROUP_JOINED);
  if (n == 0) notice(w, port, nwid, dst, adi, FLATNET_IPC_VL2_GROUP_SENT);
}

}  // namespace flatnet::fastpath
