// The gateway's VL2 stages (issue 12): underlay -> LAN (vl2_decap.cpp) and
// LAN -> underlay (vl2_encap.cpp), one stage per file like the relay's.
// They read dataplane/tables' VL2 tables directly (lock-free, valid until the
// worker's quiescent state, which the poll loop reports between bursts) and
// post what they learn on the tables' learn ring; paths come through the
// ControlHooks lookup like the relay's.
#pragma once

#include <cstdint>

#include "dataplane/fastpath/stage.hpp"
#include "dataplane/tables/vl2_tables.hpp"

namespace flatnet::fastpath {

// Things that happened on the VL2 path (not drops; drops are in counters.hpp).
struct Vl2Counters {
  uint64_t decap_frames = 0;      // FRAME / EXT_FRAME / MULTICAST_FRAME out of the LAN port
  uint64_t decap_punted = 0;      // other verbs to us, re-armored and punted
  uint64_t encap_unicast = 0;     // VL1 packets sent for LAN unicast
  uint64_t encap_flooded = 0;     // copies of unknown unicast sent to bridges
  uint64_t encap_multicast = 0;   // MULTICAST_FRAME copies sent
  uint64_t learn_posted = 0;      // learn events posted to the writer
};

// One LAN port bridged into one network.
struct Vl2Port {
  tables::vl2::Vl2Tables* tables = nullptr;
  uint64_t nwid = 0;           // the network the LAN is bridged into
  uint16_t lan_port = 0;       // DPDK port of the LAN
  uint64_t packet_id = 0;      // next VL1 packet id (suite 1) / IV seed (suite 3)
  TxBuffer lan_tx;             // frames for the LAN port
  Vl2Counters c;
};

// Underlay -> LAN. pkts: packet heads addressed to us (vl1_classify's
// punts that are not fragments). Frames for the LAN go to port.lan_tx; what
// is not ours to decide (other verbs, fragmented packets, unknown peers) is
// left, unchanged, in to_punt; failures are counted and freed here.
void vl2_decap(Worker& w, Vl2Port& port, rte_mbuf** pkts, uint16_t n, rte_mbuf** to_punt, uint16_t* n_punt);

// LAN -> underlay: whole Ethernet frames from the LAN port. Armored VL1
// packets in outer headers go to w.tx (or wait for a next hop); failures
// are counted and freed here.
void vl2_encap(Worker& w, Vl2Port& port, rte_mbuf** pkts, uint16_t n);

}  // namespace flatnet::fastpath
