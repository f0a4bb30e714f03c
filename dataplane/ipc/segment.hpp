// Internal to dataplane/ipc: turning the offsets of abi.h into rings and
// slots inside a mapped segment, shared by service.cpp and client.cpp.
// Only inline rte_ring functions are used here, so the client needs DPDK's
// headers but none of its libraries (and no EAL).
#pragma once

#include <rte_ring.h>
#include <rte_ring_peek.h>
#include <rte_ring_peek_zc.h>

#include <cstddef>
#include <cstdint>
#include <ctime>

#include "dataplane/ipc/abi.h"

namespace flatnet::ipc::seg {

inline constexpr unsigned kRingFlags = RING_F_SP_ENQ | RING_F_SC_DEQ;

// Bytes an rte_ring of count elements of esize needs. Same formula as
// rte_ring_get_memsize_elem(), restated so the client can validate a layout
// without linking librte_ring.
inline size_t ring_bytes(uint32_t count, uint32_t esize) {
  size_t sz = sizeof(struct rte_ring) + size_t(count) * esize;
  return (sz + RTE_CACHE_LINE_SIZE - 1) & ~size_t(RTE_CACHE_LINE_SIZE - 1);
}

inline rte_ring* ring(uint8_t* base, const flatnet_ipc_ring_ref& r) {
  return reinterpret_cast<rte_ring*>(base + r.offset);
}

inline uint8_t* slot(uint8_t* base, uint64_t slots_offset, uint32_t slot_size, uint32_t idx) {
  return base + slots_offset + uint64_t(idx) * slot_size;
}
inline flatnet_ipc_slot_meta* slot_meta(uint8_t* s) {
  return reinterpret_cast<flatnet_ipc_slot_meta*>(s);
}
inline uint8_t* slot_data(uint8_t* s) { return s + FLATNET_IPC_SLOT_META_SIZE; }

// The slot state word is handed between processes; the rings' own
// release/acquire orders the slot contents, so these can be relaxed except
// where a comment at the call site says otherwise.
inline uint32_t slot_state(const flatnet_ipc_slot_meta* m) {
  return __atomic_load_n(&m->state, __ATOMIC_ACQUIRE);
}
inline void set_slot_state(flatnet_ipc_slot_meta* m, uint32_t s) {
  __atomic_store_n(&m->state, s, __ATOMIC_RELEASE);
}

// Counters have one writer each: a plain load + store keeps them cheap
// (no locked RMW); readers may see a value one behind.
inline void bump(uint64_t* c, uint64_t n = 1) {
  __atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

inline uint64_t now_mono_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}

// Queue a slot index and set the slot's state in the only order that
// survives a crash of this process at any instruction: reserve the ring
// entry, write the index into it, set the state, then publish. Before the
// publish the ring does not hold the slot (the next owner of this ring end
// rolls the reservation back); after it, the state is already right.
inline bool put_index(rte_ring* r, uint32_t idx, flatnet_ipc_slot_meta* m, uint32_t state) {
  rte_ring_zc_data zcd;
  if (rte_ring_enqueue_zc_bulk_elem_start(r, sizeof idx, 1, &zcd, nullptr) != 1) return false;
  *static_cast<uint32_t*>(zcd.ptr1) = idx;
  set_slot_state(m, state);
  rte_ring_enqueue_zc_elem_finish(r, 1);
  return true;
}

// A new sole consumer (or producer) of an SP/SC ring may find the ring in
// the middle of a peek started by a process that died: head moved, tail
// not. Rolling head back to tail abandons that half-done operation; it is
// safe only because the caller is now the single owner of that end.
inline void reset_cons(rte_ring* r) { r->cons.head = r->cons.tail; }
inline void reset_prod(rte_ring* r) { r->prod.head = r->prod.tail; }

}  // namespace flatnet::ipc::seg
