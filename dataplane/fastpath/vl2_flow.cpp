#include "dataplane/fastpath/vl2_flow.hpp"

#include <rte_byteorder.h>
#include <rte_hash_crc.h>

#include <cstring>

namespace flatnet::fastpath {

namespace {

constexpr uint16_t kEthIp4 = 0x0800, kEthIp6 = 0x86dd, kEthVlan = 0x8100;
constexpr uint8_t kTcp = 6, kUdp = 17;

uint16_t be16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }

// The L3 header after Ethernet (and one 802.1Q tag where `tags`), its type
// and the VLAN ID (0 untagged); nullptr when the frame is too short.
const uint8_t* l3_of(const rte_mbuf* m, bool tags, uint16_t* type, uint16_t* vid, uint32_t* len) {
  const uint8_t* d = rte_pktmbuf_mtod(m, const uint8_t*);
  uint32_t n = m->data_len;
  if (n < 14) return nullptr;
  *type = be16(d + 12);
  *vid = 0;
  d += 14;
  n -= 14;
  if (tags && *type == kEthVlan) {
    if (n < 4) return nullptr;
    *vid = be16(d) & 0x0fff;
    *type = be16(d + 2);
    d += 4;
    n -= 4;
  }
  *len = n;
  return d;
}

// Source, destination, protocol and the 4 port bytes of an unfragmented TCP
// / UDP packet (only UDP where udp_only) into key; its length, 0 for none.
unsigned ip_key(uint16_t type, const uint8_t* l3, uint32_t len, bool udp_only, bool with_dst, uint8_t* key) {
  if (type == kEthIp4) {
    if (len < 20 || (l3[0] >> 4) != 4) return 0;
    const unsigned ihl = (l3[0] & 0x0f) * 4u;
    const uint8_t proto = l3[9];
    if (ihl < 20 || len < ihl + 4 || (be16(l3 + 6) & 0x3fff) != 0) return 0;  // MF or an offset: a fragment
    if (proto != kUdp && (udp_only || proto != kTcp)) return 0;
    unsigned k = 0;
    std::memcpy(key + k, l3 + 12, 4), k += 4;
    if (with_dst) std::memcpy(key + k, l3 + 16, 4), k += 4;
    key[k++] = proto;
    std::memcpy(key + k, l3 + ihl, 4), k += 4;
    return k;
  }
  if (type == kEthIp6) {
    if (len < 44 || (l3[0] >> 4) != 6) return 0;
    const uint8_t nh = l3[6];  // extension headers (fragments among them) are not followed
    if (nh != kUdp && (udp_only || nh != kTcp)) return 0;
    unsigned k = 0;
    std::memcpy(key + k, l3 + 8, 16), k += 16;
    if (with_dst) std::memcpy(key + k, l3 + 24, 16), k += 16;
    key[k++] = nh;
    std::memcpy(key + k, l3 + 40, 4), k += 4;
    return k;
  }
  return 0;
}

uint32_t hash_key(const uint8_t* key, unsigned len, uint32_t init) { return rte_hash_crc(key, len, init); }

}  // namespace

FlowOwners::FlowOwners(uint64_t window_cycles) {
  const uint64_t w = window_cycles >> kTickShift;
  window = uint32_t(w ? (w < 0x7fffffffu ? w : 0x7fffffffu) : 1);
  refresh = window / 4 ? window / 4 : 1;
}

bool underlay_flow(const rte_mbuf* m, uint32_t* hash) {
  uint16_t type, vid;
  uint32_t len;
  const uint8_t* l3 = l3_of(m, false, &type, &vid, &len);
  if (!l3) return false;
  uint8_t key[40];
  // Our own address is the destination of every datagram: source and ports say the path.
  const unsigned k = ip_key(type, l3, len, true, false, key);
  if (k == 0) return false;
  *hash = hash_key(key, k, 0x5f1a0d1u);
  return true;
}

bool lan_flow(const rte_mbuf* m, uint32_t* hash) {
  uint16_t type, vid;
  uint32_t len;
  const uint8_t* l3 = l3_of(m, true, &type, &vid, &len);
  if (!l3) return false;
  uint8_t key[40];
  const unsigned k = ip_key(type, l3, len, false, true, key);
  if (k == 0) return false;
  *hash = hash_key(key, k, 0x1a4f0000u | vid);
  return true;
}

unsigned underlay_flow_moves(FlowOwners& t, rte_mbuf* const* pkts, uint16_t n, unsigned worker, uint64_t now) {
  unsigned moves = 0;
  uint32_t h;
  for (uint16_t i = 0; i < n; ++i)
    if (underlay_flow(pkts[i], &h)) moves += t.stamp(h, worker, now);
  return moves;
}

unsigned lan_flow_moves(FlowOwners& t, rte_mbuf* const* pkts, uint16_t n, unsigned worker, uint64_t now) {
  unsigned moves = 0;
  uint32_t h;
  for (uint16_t i = 0; i < n; ++i)
    if (lan_flow(pkts[i], &h)) moves += t.stamp(h, worker, now);
  return moves;
}

}  // namespace flatnet::fastpath
