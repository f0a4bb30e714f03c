// Per-packet metadata kept in the mbuf private area (rte_mbuf_to_priv).
//
// Stages fill it as they parse, so later stages never re-parse headers and a
// failed packet carries its drop reason to the end of the burst. The pool
// must be created with priv_size >= sizeof(PktMeta): use make_pool().
#pragma once

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <cstdint>

#include "dataplane/fastpath/addr.hpp"
#include "dataplane/fastpath/counters.hpp"

namespace flatnet::fastpath {

enum class Vl1Action : uint8_t { kNone, kPunt, kRelay };

struct PktMeta {
  uint16_t l3_off;        // start of the IP header
  uint16_t l4_off;        // start of the UDP/ICMP header
  uint16_t data_off;      // start of the UDP payload (the VL1 datagram)
  uint16_t data_len;      // UDP payload length
  Family family;          // outer IP family as received
  Drop reason;            // valid only for packets in a failure tail
  Vl1Action action;
  uint8_t hops;           // VL1 hop count as received
  uint8_t is_fragment;
  uint8_t v6_csum_ok;     // IPv6 UDP checksum was verified on receive
  uint16_t src_port;      // outer UDP source port (host order)
  uint64_t vl1_dst;       // 40-bit destination
  uint64_t vl1_src;       // 40-bit source (0 for fragments)
  IpAddr src_ip;          // outer source (the physical path)
};

inline PktMeta* meta(rte_mbuf* m) { return static_cast<PktMeta*>(rte_mbuf_to_priv(m)); }

inline constexpr uint16_t kPrivSize = (sizeof(PktMeta) + RTE_MBUF_PRIV_ALIGN - 1) &
                                      ~uint16_t(RTE_MBUF_PRIV_ALIGN - 1);

// A packet pool whose mbufs carry PktMeta. data_room 0 means the default.
rte_mempool* make_pool(const char* name, unsigned n, int socket, uint16_t data_room = 0);

}  // namespace flatnet::fastpath
