#include "dataplane/fastpath/neighbor.hpp"

#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_malloc.h>

#include <sodium.h>

#include <cstdlib>
#include <cstring>
#include <new>

namespace flatnet::fastpath {

namespace {
enum : uint8_t { kEmpty = 0, kIncomplete = 1, kReachable = 2, kStatic = 3 };
}

struct NeighborTable::Entry {
  // Odd while a writer is changing the entry. Writers hold lock_; readers
  // load it with acquire before and after copying the fields (seqlock).
  std::atomic<uint32_t> seq{0};
  uint8_t state = kEmpty;
  IpAddr ip;
  Mac mac;
  uint64_t updated = 0;
  uint64_t requested = 0;
};

NeighborTable::NeighborTable(const Limits& l, uint64_t hz) : lim_(l), hz_(hz) {
  unsigned cap = 16;
  while (cap < l.capacity) cap <<= 1;
  mask_ = cap - 1;
  entries_ = new Entry[cap];
  if (lim_.pending_max == 0) lim_.pending_max = 1;
  held_ = std::make_unique<Held[]>(lim_.pending_max);
  pending_timeout_ = uint64_t(l.pending_timeout_s * double(hz));
  request_interval_ = uint64_t(l.request_interval_s * double(hz));
  // randombytes_buf aborts rather than return a weak key; sodium_init makes
  // it safe to call from any thread and is a no-op after the first time.
  if (sodium_init() < 0) std::abort();
  randombytes_buf(key_, sizeof key_);
  static_assert(sizeof key_ == crypto_shorthash_siphash24_KEYBYTES);
  rte_spinlock_init(&lock_);
}

NeighborTable::~NeighborTable() {
  for (unsigned i = 0; i < n_pending_; ++i) rte_pktmbuf_free(held_[i].m);
  delete[] entries_;
}

uint32_t NeighborTable::slot_of(const IpAddr& ip) const {
  // Keyed: with an unkeyed hash (FNV, or CRC even with a random initial
  // value, whose collisions do not depend on it) anyone who can make us
  // learn or resolve addresses could pick ones that land in one window.
  uint8_t in[1 + sizeof ip.b];
  in[0] = uint8_t(ip.family);
  std::memcpy(in + 1, ip.b, ip.size());
  uint8_t h[crypto_shorthash_siphash24_BYTES];
  crypto_shorthash_siphash24(h, in, 1 + ip.size(), key_);
  uint32_t v;
  std::memcpy(&v, h, sizeof v);
  return v & mask_;
}

bool NeighborTable::lookup(const IpAddr& ip, Mac* mac) const {
  uint32_t s = slot_of(ip);
  for (unsigned i = 0; i < kProbe; ++i) {
    const Entry& e = entries_[(s + i) & mask_];
    for (int attempt = 0; attempt < 4; ++attempt) {
      uint32_t s1 = e.seq.load(std::memory_order_acquire);
      if (s1 & 1) continue;
      uint8_t state = e.state;
      bool same = e.ip == ip;
      Mac m = e.mac;
      // Orders the field reads above before the re-check of seq.
      std::atomic_thread_fence(std::memory_order_acquire);
      if (e.seq.load(std::memory_order_relaxed) != s1) continue;
      if (!same) break;
      if (state == kReachable || state == kStatic) {
        *mac = m;
        return true;
      }
      return false;
    }
  }
  return false;
}

void NeighborTable::publish(Entry* e, uint8_t state, const Mac* mac, uint64_t now) {
  // Writer side of the seqlock; lock_ is held so there is one writer.
  e->seq.fetch_add(1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  e->state = state;
  if (mac) e->mac = *mac;
  e->updated = now;
  // Release: the fields above are visible before seq turns even again.
  e->seq.fetch_add(1, std::memory_order_release);
  gen_.fetch_add(1, std::memory_order_release);
}

NeighborTable::Entry* NeighborTable::find_locked(const IpAddr& ip) {
  uint32_t s = slot_of(ip);
  for (unsigned i = 0; i < kProbe; ++i) {
    Entry* e = &entries_[(s + i) & mask_];
    if (e->state != kEmpty && e->ip == ip) return e;
  }
  return nullptr;
}

NeighborTable::Entry* NeighborTable::claim_locked(const IpAddr& ip) {
  uint32_t s = slot_of(ip);
  Entry* victim = nullptr;
  for (unsigned i = 0; i < kProbe; ++i) {
    Entry* e = &entries_[(s + i) & mask_];
    if (e->state == kEmpty) {
      victim = e;
      break;
    }
    if (e->state != kStatic && (!victim || e->updated < victim->updated)) victim = e;
  }
  if (!victim) return nullptr;  // a window full of static entries
  victim->seq.fetch_add(1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  victim->ip = ip;
  victim->state = kEmpty;
  victim->requested = 0;
  victim->seq.fetch_add(1, std::memory_order_release);
  return victim;
}

void NeighborTable::learn(const IpAddr& ip, const Mac& mac, bool is_static) {
  uint64_t now = rte_get_tsc_cycles();
  rte_spinlock_lock(&lock_);
  Entry* e = find_locked(ip);
  if (e && e->state == kStatic && !is_static) {
    rte_spinlock_unlock(&lock_);
    return;
  }
  if (!e) e = claim_locked(ip);
  if (e) publish(e, is_static ? kStatic : kReachable, &mac, now);
  rte_spinlock_unlock(&lock_);
}

NeighborTable::Refresh NeighborTable::refresh(const IpAddr& ip, const Mac& mac, Update how) {
  uint64_t now = rte_get_tsc_cycles();
  rte_spinlock_lock(&lock_);
  Refresh r = Refresh::kUnknown;
  if (Entry* e = find_locked(ip)) {
    r = Refresh::kUpdated;
    if (e->state == kStatic) {
      // configured: never replaced by what the link says
    } else if (how == Update::kNoOverride && e->state == kReachable &&
               std::memcmp(e->mac.b, mac.b, 6) != 0) {
      r = Refresh::kKept;
    } else {
      publish(e, kReachable, &mac, now);
    }
  }
  rte_spinlock_unlock(&lock_);
  return r;
}

NeighborTable::Hold NeighborTable::hold(const IpAddr& ip, rte_mbuf* m, uint64_t now) {
  rte_spinlock_lock(&lock_);
  if (n_pending_ >= lim_.pending_max) {
    rte_spinlock_unlock(&lock_);
    return Hold::kFull;
  }
  held_[n_pending_++] = Held{ip, m, now};
  pending_hint_.store(n_pending_, std::memory_order_relaxed);
  Hold r = Hold::kQueued;
  Entry* e = find_locked(ip);
  if (!e) {
    e = claim_locked(ip);
    if (e) publish(e, kIncomplete, nullptr, now);
  }
  if (e && e->state == kIncomplete && (e->requested == 0 || now - e->requested >= request_interval_)) {
    e->requested = now;
    r = Hold::kQueuedSendRequest;
  } else if (!e) {
    r = Hold::kQueuedSendRequest;  // no slot to remember it by: ask anyway
  }
  rte_spinlock_unlock(&lock_);
  return r;
}

unsigned NeighborTable::take_resolved(rte_mbuf** out, unsigned cap) {
  if (pending() == 0) return 0;
  unsigned n = 0;
  rte_spinlock_lock(&lock_);
  unsigned keep = 0;
  for (unsigned i = 0; i < n_pending_; ++i) {
    Mac mac;
    Entry* e = n < cap ? find_locked(held_[i].nh) : nullptr;
    if (e && (e->state == kReachable || e->state == kStatic)) {
      mac = e->mac;
      auto* eth = rte_pktmbuf_mtod(held_[i].m, rte_ether_hdr*);
      std::memcpy(eth->dst_addr.addr_bytes, mac.b, 6);
      out[n++] = held_[i].m;
    } else {
      held_[keep++] = held_[i];
    }
  }
  n_pending_ = keep;
  pending_hint_.store(keep, std::memory_order_relaxed);
  rte_spinlock_unlock(&lock_);
  return n;
}

unsigned NeighborTable::take_expired(uint64_t now, rte_mbuf** out, unsigned cap) {
  if (pending() == 0) return 0;
  unsigned n = 0, keep = 0;
  rte_spinlock_lock(&lock_);
  for (unsigned i = 0; i < n_pending_; ++i) {
    if (n < cap && now - held_[i].since >= pending_timeout_)
      out[n++] = held_[i].m;
    else
      held_[keep++] = held_[i];
  }
  n_pending_ = keep;
  pending_hint_.store(keep, std::memory_order_relaxed);
  rte_spinlock_unlock(&lock_);
  return n;
}

unsigned NeighborTable::due_requests(uint64_t now, IpAddr* out, unsigned cap) {
  if (pending() == 0) return 0;
  unsigned n = 0;
  rte_spinlock_lock(&lock_);
  for (unsigned i = 0; i < n_pending_ && n < cap; ++i) {
    Entry* e = find_locked(held_[i].nh);
    if (e && e->state == kIncomplete && now - e->requested >= request_interval_) {
      e->requested = now;
      out[n++] = e->ip;
    }
  }
  rte_spinlock_unlock(&lock_);
  return n;
}

unsigned NeighborTable::size() const {
  unsigned n = 0;
  for (unsigned i = 0; i <= mask_; ++i)
    if (entries_[i].state == kReachable || entries_[i].state == kStatic) ++n;
  return n;
}

}  // namespace flatnet::fastpath
