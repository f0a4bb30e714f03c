// The neighbour table: IPv4 (ARP) and IPv6 (ND) next hops -> MAC, shared by
// all workers of a port, plus the bounded queue of packets awaiting
// resolution.
//
// Reads are lock-free (a sequence counter per entry, retried a bounded number
// of times); writes are rare (ARP/ND traffic, housekeeping) and take one
// spinlock. The cache is bounded: an entry lands in one of kProbe slots after
// its hash and, when all are taken, evicts the least recently updated
// dynamic entry. The hash is SipHash-2-4 under a random key drawn when the
// table is made, so a sender on the link cannot choose addresses that share
// one probe window and evict the next hops the relay needs. The awaiting
// queue is bounded too; packets in it time out.
#pragma once

#include <rte_mbuf.h>
#include <rte_spinlock.h>

#include <atomic>
#include <cstdint>
#include <memory>

#include "dataplane/fastpath/addr.hpp"

namespace flatnet::fastpath {

class NeighborTable {
 public:
  struct Limits {
    unsigned capacity = 1024;      // rounded up to a power of two
    unsigned pending_max = 256;    // packets awaiting resolution, all next hops
    double pending_timeout_s = 3;  // then neigh_timeout
    double request_interval_s = 1; // per next hop
  };

  NeighborTable(const Limits& l, uint64_t hz);
  ~NeighborTable();
  NeighborTable(const NeighborTable&) = delete;
  NeighborTable& operator=(const NeighborTable&) = delete;

  // Lock-free. True if ip has a known MAC.
  bool lookup(const IpAddr& ip, Mac* mac) const;
  // Changes whenever any entry changes; a one-entry cache compares it.
  // Acquire pairs with the release increment in publish().
  uint32_t generation() const { return gen_.load(std::memory_order_acquire); }

  // Records ip -> mac (from ARP, ND or config). Static entries never age out
  // and are never replaced by learned ones.
  void learn(const IpAddr& ip, const Mac& mac, bool is_static = false);
  // Records ip -> mac only if ip already has an entry: a next hop we are
  // resolving (a packet is held for it) or one we know. Creates nothing.
  // ARP and ND use this so that unasked-for messages cannot fill the table.
  // kOverride may re-point a known neighbour to another MAC (an ARP message,
  // an NA with the Override flag); kNoOverride only completes a next hop we
  // are resolving or refreshes one whose MAC is the same (an NA without
  // Override, RFC 4861 7.2.5; an NS's source link-layer address, 7.2.3).
  // A static entry always keeps its MAC.
  enum class Update { kOverride, kNoOverride };
  enum class Refresh {
    kUnknown,  // no entry: nothing recorded
    kUpdated,  // entry completed, refreshed or re-pointed (static: kept)
    kKept,     // kNoOverride and a different MAC: the entry is unchanged
  };
  Refresh refresh(const IpAddr& ip, const Mac& mac, Update how = Update::kOverride);

  enum class Hold { kQueued, kQueuedSendRequest, kFull };
  // Keeps m until ip resolves. kQueuedSendRequest: the caller should send an
  // ARP request / neighbour solicitation now (rate-limited per next hop).
  Hold hold(const IpAddr& ip, rte_mbuf* m, uint64_t now);

  // Moves held packets whose next hop is now known into out (dst MAC written
  // into their Ethernet header), up to cap. Returns how many.
  unsigned take_resolved(rte_mbuf** out, unsigned cap);
  // Moves held packets older than the timeout into out, up to cap.
  unsigned take_expired(uint64_t now, rte_mbuf** out, unsigned cap);
  // Next hops still unresolved whose request interval has passed; marks them
  // as requested now.
  unsigned due_requests(uint64_t now, IpAddr* out, unsigned cap);

  unsigned pending() const { return pending_hint_.load(std::memory_order_relaxed); }
  unsigned capacity() const { return mask_ + 1; }
  unsigned size() const;  // entries with a MAC (for stats)

 private:
  static constexpr unsigned kProbe = 8;
  struct Entry;
  struct Held {
    IpAddr nh;
    rte_mbuf* m;
    uint64_t since;
  };
  uint32_t slot_of(const IpAddr& ip) const;
  Entry* find_locked(const IpAddr& ip);
  Entry* claim_locked(const IpAddr& ip);
  void publish(Entry* e, uint8_t state, const Mac* mac, uint64_t now);

  Limits lim_;
  uint64_t hz_;
  unsigned mask_;
  Entry* entries_;
  std::unique_ptr<Held[]> held_;
  unsigned n_pending_ = 0;  // under lock_
  // Copy of n_pending_ for lock-free "anything held?" peeks; relaxed: a
  // stale value only delays a flush to the next housekeeping round.
  std::atomic<unsigned> pending_hint_{0};
  uint64_t pending_timeout_;
  uint64_t request_interval_;
  uint8_t key_[16];  // SipHash key, random per table (see slot_of)
  mutable rte_spinlock_t lock_;
  std::atomic<uint32_t> gen_{0};
};

}  // namespace flatnet::fastpath
