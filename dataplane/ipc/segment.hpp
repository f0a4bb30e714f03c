// Internal to dataplane/ipc: the one way either side touches the mapped
// segment (a bounds-checked view), and the two ends of an SPSC ring whose
// geometry each side keeps privately. Shared by service*.cpp and client.cpp;
// no DPDK, so the client needs none of it.
//
// Why our own ring and not rte_ring: rte_ring keeps its size and mask inside
// the ring and re-reads them on every call, so whoever can write the segment
// can make the other side index past the ring. Here the only shared state of
// a ring is its two counters (abi.h flatnet_ipc_ring_state); the offset,
// capacity and element size are copied once from the layout the data plane
// created (or the control validated) and every counter read from the peer is
// clamped against them.
#pragma once

#include <fcntl.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "dataplane/ipc/abi.h"
#include "dataplane/ipc/clock.hpp"

namespace flatnet::ipc::seg {

// An access outside the view is a bug of this side (every offset is computed
// from private geometry and every index is bounded first), never the peer's
// doing: stop at once rather than touch memory we do not own. The tests run
// a data plane over a heap buffer so that ASan sees the same accesses.
[[noreturn]] inline void out_of_bounds(uint64_t off, uint64_t len, uint64_t size) {
  fprintf(stderr, "flatnet ipc: access [%llu, +%llu) outside the %llu-byte segment\n",
          static_cast<unsigned long long>(off), static_cast<unsigned long long>(len),
          static_cast<unsigned long long>(size));
  abort();
}

// The mapped segment as [base, base + size). Every access of the data plane
// (and of the client) goes through at<T>(): the check is one compare, and the
// offsets it is given never come from the segment itself.
class View {
 public:
  View() = default;
  View(uint8_t* base, uint64_t size) : base_(base), size_(size) {}
  template <class T>
  T* at(uint64_t off, uint64_t n = 1) const {
    const uint64_t len = n * sizeof(T);
    if (off > size_ || len > size_ - off) [[unlikely]]
      out_of_bounds(off, len, size_);
    return reinterpret_cast<T*>(base_ + off);
  }
  uint8_t* base() const { return base_; }
  uint64_t size() const { return size_; }

 private:
  uint8_t* base_ = nullptr;
  uint64_t size_ = 0;
};

// A ring's geometry as this side knows it (from its own copy of the layout).
struct RingGeom {
  uint64_t offset = 0;    // of the flatnet_ipc_ring_state
  uint32_t capacity = 0;  // power of two
  uint32_t esize = 0;
  uint32_t mask() const { return capacity - 1; }
  uint64_t elem_offset(uint32_t pos) const {
    return offset + FLATNET_IPC_RING_STATE_SIZE + uint64_t(pos & mask()) * esize;
  }
};

inline RingGeom geom(const flatnet_ipc_ring_ref& r) { return {r.offset, r.count, r.esize}; }

// Bytes a ring of count elements of esize takes in the segment (64-aligned).
inline uint64_t ring_bytes(uint32_t count, uint32_t esize) {
  return (FLATNET_IPC_RING_STATE_SIZE + uint64_t(count) * esize + 63) & ~uint64_t(63);
}

// The producer end. Its position lives here (private) and is published to
// the ring's prod line; the consumer's cons is read and clamped.
class RingWriter {
 public:
  void bind(const View& v, const RingGeom& g) {
    v_ = v;
    g_ = g;
    st_ = v.at<flatnet_ipc_ring_state>(g.offset);
    v.at<uint8_t>(g.offset + FLATNET_IPC_RING_STATE_SIZE, uint64_t(g.capacity) * g.esize);
  }
  // Start a session at position pos (both sides start at 0).
  void reset(uint32_t pos) {
    pos_ = pos;
    // release: pairs with the consumer's acquire load of prod (avail()).
    __atomic_store_n(&st_->prod, pos_, __ATOMIC_RELEASE);
  }
  // Free entries, or false if the consumer's counter is impossible (it
  // claims to have consumed more than was produced, or the ring holds more
  // than its capacity): the caller stops trusting the peer.
  bool room(uint32_t* n) const {
    // acquire: pairs with the consumer's release store of cons, so the
    // entries it has read are ours to overwrite.
    const uint32_t cons = __atomic_load_n(&st_->cons, __ATOMIC_ACQUIRE);
    const uint32_t used = pos_ - cons;
    if (used > g_.capacity) return false;
    *n = g_.capacity - used;
    return true;
  }
  // The i-th entry past the published position (i < room).
  template <class T>
  T* entry(uint32_t i) const {
    return v_.at<T>(g_.elem_offset(pos_ + i));
  }
  // Make k entries written with entry() visible to the consumer.
  void publish(uint32_t k) {
    pos_ += k;
    // release: pairs with the consumer's acquire load of prod; orders the
    // entries (and any slot contents written before them) before the count.
    __atomic_store_n(&st_->prod, pos_, __ATOMIC_RELEASE);
  }
  uint32_t pos() const { return pos_; }
  uint32_t capacity() const { return g_.capacity; }

 private:
  View v_;
  RingGeom g_;
  flatnet_ipc_ring_state* st_ = nullptr;
  uint32_t pos_ = 0;
};

// The consumer end: its position is private and published to cons; the
// producer's prod is read and clamped.
class RingReader {
 public:
  void bind(const View& v, const RingGeom& g) {
    v_ = v;
    g_ = g;
    st_ = v.at<flatnet_ipc_ring_state>(g.offset);
    v.at<uint8_t>(g.offset + FLATNET_IPC_RING_STATE_SIZE, uint64_t(g.capacity) * g.esize);
  }
  void reset(uint32_t pos) {
    pos_ = pos;
    // release: pairs with the producer's acquire load of cons (room()).
    __atomic_store_n(&st_->cons, pos_, __ATOMIC_RELEASE);
  }
  // Entries ready to read, or false if the producer's counter is impossible
  // (more entries than the ring holds, or behind what we have read).
  bool avail(uint32_t* n) const {
    // acquire: pairs with the producer's release store of prod, so the
    // entries below it (and the slots they name) are written.
    const uint32_t prod = __atomic_load_n(&st_->prod, __ATOMIC_ACQUIRE);
    const uint32_t ready = prod - pos_;
    if (ready > g_.capacity) return false;
    *n = ready;
    return true;
  }
  template <class T>
  const T* entry(uint32_t i) const {
    return v_.at<const T>(g_.elem_offset(pos_ + i));
  }
  // Give k read entries back to the producer.
  void consume(uint32_t k) {
    pos_ += k;
    // release: pairs with the producer's acquire load of cons; our reads of
    // the entries happen before the producer may overwrite them.
    __atomic_store_n(&st_->cons, pos_, __ATOMIC_RELEASE);
  }
  uint32_t pos() const { return pos_; }

 private:
  View v_;
  RingGeom g_;
  flatnet_ipc_ring_state* st_ = nullptr;
  uint32_t pos_ = 0;
};

// Slot s of an area (the caller has checked idx < count of its own layout).
inline uint64_t slot_offset(uint64_t slots_offset, uint32_t slot_size, uint32_t idx) {
  return slots_offset + uint64_t(idx) * slot_size;
}

// Counters have one writer each: a plain load + store keeps them cheap
// (no locked RMW); readers may see a value one behind. The value read may
// have been scribbled by a control: it is only a number.
inline void bump(uint64_t* c, uint64_t n = 1) {
  __atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

// The data plane holds an open-file-description write lock on byte 0 of its
// segment file for as long as it runs: the kernel drops it when the process
// dies, so "is a data plane behind this file" is answered by the lock, not
// by a pid that may have been reused. (flock is the controls' lock on the
// same file; Linux keeps the two kinds of lock independent.)
inline bool dp_lock_take(int fd) {
  struct flock l{};
  l.l_type = F_WRLCK;
  l.l_whence = SEEK_SET;
  l.l_start = 0;
  l.l_len = 1;
  return fcntl(fd, F_OFD_SETLK, &l) == 0;
}
// True when some open file description other than fd's holds the lock.
inline bool dp_lock_held(int fd) {
  struct flock l{};
  l.l_type = F_WRLCK;
  l.l_whence = SEEK_SET;
  l.l_start = 0;
  l.l_len = 1;
  return fcntl(fd, F_OFD_GETLK, &l) == 0 && l.l_type != F_UNLCK;
}

// The attached control holds the same kind of lock on byte 1 for its
// lifetime (Client::attach): the data plane asks it (F_OFD_GETLK from its
// own descriptor, whose lock is on byte 0) to learn whether its control
// still runs, which a pid cannot tell across PID namespaces or after reuse.
inline bool ctl_lock_take(int fd) {
  struct flock l{};
  l.l_type = F_WRLCK;
  l.l_whence = SEEK_SET;
  l.l_start = 1;
  l.l_len = 1;
  return fcntl(fd, F_OFD_SETLK, &l) == 0;
}
inline bool ctl_lock_held(int fd) {
  struct flock l{};
  l.l_type = F_WRLCK;
  l.l_whence = SEEK_SET;
  l.l_start = 1;
  l.l_len = 1;
  return fcntl(fd, F_OFD_GETLK, &l) == 0 && l.l_type != F_UNLCK;
}

}  // namespace flatnet::ipc::seg
