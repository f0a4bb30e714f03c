// Fragments of VL1 packets addressed to a gateway, joined on the fast path
// (spec §2.6-2.7): a worker's small table of partial packets keyed by packet
// id and physical source, as stock's (32 slots, 1 s). A head followed by its
// one fragment (a member's 1,396..~1,500-byte frame) is joined in place: the
// fragment's payload appended to the head's mbuf when it has the tailroom
// (a 2 KB mbuf does for any frame of a 1,500-byte LAN). Anything else (more
// pieces, the fragment first, a head without room) is copied into one mbuf
// of the large pool. Either way the pieces not in the joined mbuf are kept,
// unchanged, until decap has decided: a frame verb frees them, any other
// verb punts them to control exactly as they arrived (a head joined in
// place is first given back its received bytes: reasm_unjoin).
#pragma once

#include <rte_mbuf.h>

#include <cstdint>

namespace flatnet::fastpath {

struct Worker;

struct Reasm {
  static constexpr unsigned kSlots = 32;
  static constexpr unsigned kMaxPieces = 7;  // head + 6 fragments (wire::kMaxFragments)
  struct Slot {
    uint64_t id = 0;      // VL1 packet id
    uint64_t path = 0;    // physical source (address and UDP port, hashed)
    uint64_t born = 0;    // TSC of the first piece
    rte_mbuf* piece[kMaxPieces] = {};  // [0] the head, [i] fragment i
    uint8_t total = 0;    // pieces in all; 0 until a fragment says
    uint8_t have = 0;     // bit i: piece i is here
    bool busy = false;
    bool held = false;    // complete; pieces kept until decap decides
    uint16_t head_end = 0;  // joined in place: the head's received bytes end here (piece[0] empty: the head is the joined mbuf); 0 = copied
  };
  Slot slot[kSlots];
  unsigned busy = 0;          // slots in use
  uint64_t timeout = 0;       // TSC cycles a partial packet may wait
  rte_mempool* big = nullptr; // data room for a whole packet (10,024 bytes); nullptr = no reassembly
};

// Adds a piece (a fragment, or a head with the FRAGMENTED flag). Returns
// the assembled packet (the reassembler's slot index in *slot) when this
// piece completes one, nullptr otherwise (held, or dropped and counted).
rte_mbuf* reasm_add(Worker& w, Reasm& r, rte_mbuf* m, int* slot);
// After decap decided on an assembled packet: its pieces are freed, or
// (punt) appended to out[*n] (room for Reasm::kMaxPieces needed).
void reasm_release(Reasm& r, int slot, rte_mbuf** out, uint16_t* n);
// A joined packet of `slot` that decap punts: when it was joined in place,
// trims it back to the head's bytes as received (the caller has restored
// them if it dearmored them) and returns true; the head is then the caller's
// to punt, and reasm_release gives only the fragments. False: a copy.
bool reasm_unjoin(Reasm& r, int slot, rte_mbuf* a);
// The trim of reasm_unjoin, for a head decap re-armors after its slot was
// released (head_end read from the slot before).
void reasm_trim(rte_mbuf* a, uint16_t head_end);
// Drops partial packets older than the timeout (each piece counted).
void reasm_expire(Worker& w, Reasm& r);

}  // namespace flatnet::fastpath
