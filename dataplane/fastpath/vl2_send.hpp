// The gateway's way out to members, shared by the VL2 stages: a VL1 packet
// built in front of an Ethernet frame (vl2_build), armored in bursts per
// suite, fragmented to the path MTU and sent on the member's path or the
// root's (vl2_send; both in vl2_encap.cpp); and the rules' outputs -- TEE /
// WATCH copies and REDIRECTs as EXT_FRAMEs with stock's flags
// (vl2_forward.cpp).
#pragma once

#include <algorithm>
#include <cstdint>

#include "dataplane/fastpath/stage.hpp"
#include "dataplane/fastpath/vl2.hpp"
#include "dataplane/wire/vl1.hpp"

namespace flatnet::fastpath {

// One VL1 packet on its way to a member.
struct Vl2Out {
  rte_mbuf* m;
  uint64_t to;
  uint32_t vl1_len;
  const tables::vl2::PeerKey* key;
};
inline constexpr unsigned kVl2MaxOut = TxBuffer::kCap;  // packets one stage call sends

// The largest VL1 packet one datagram carries (spec §2.5: 1432 by default,
// less if the port's MTU is smaller), and the largest in fragments.
inline uint32_t vl2_max_vl1(const Underlay& u) { return std::min<uint32_t>(wire::kDefaultPhysMtu, uint32_t(u.mtu) - 48u); }
inline uint32_t vl2_max_packet(uint32_t max_vl1) {
  return max_vl1 + (wire::kMaxFragments - 1) * (max_vl1 - wire::kFragmentHeaderLength);
}

// Turns the Ethernet frame in m into a VL1 packet to `to` with `verb` and
// the verb's header (ext_flags: EXT_FRAME's flags byte); returns the VL1
// packet's length, 0 if it does not fit (dropped by the caller).
uint32_t vl2_build(rte_mbuf* m, uint64_t self, uint64_t to, uint64_t packet_id, uint64_t nwid, uint8_t verb,
                   uint64_t dst, uint64_t src, uint16_t type, uint32_t adi, uint8_t ext_flags = 0);

// Armors, fragments and sends (or holds for a neighbour) out[0..n).
void vl2_send(Worker& w, Vl2Out* out, unsigned n);

// The frame a rules result was computed on, for vl2_rule_outputs.
struct Vl2FrameRef {
  uint64_t nwid = 0;
  uint64_t dst = 0, src = 0;  // MACs
  uint16_t type = 0;
  const uint8_t* payload = nullptr;
  uint32_t len = 0;
};

// Appends to out (room: cap) the rules' outputs for one frame that was not
// dropped: the base table's and the capability's copies, then the frame
// itself to the REDIRECT target. EXT_FRAME flags as stock: inbound 0x08
// (TEE), 0x1c (WATCH), 0x0a (REDIRECT); outbound 0x02, 0x16, 0x04. Each is a
// fresh mbuf; what cannot be sent is counted (no key, no mbuf, too big).
void vl2_rule_outputs(Worker& w, Vl2Port& port, const RuleResult& r, bool inbound, uint64_t self,
                      const Vl2FrameRef& f, Vl2Out* out, unsigned* n, unsigned cap);

}  // namespace flatnet::fastpath
