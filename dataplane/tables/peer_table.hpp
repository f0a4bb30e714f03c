// The peer/path table: 40-bit ZeroTier address -> the physical path the data
// plane relays that peer's packets to.
//
// Readers are the workers: lookups never lock. The table is an rte_hash with
// RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF whose 8-byte data word is the path
// itself for an IPv4 path (PathWord: address, UDP port and DPDK port packed
// with a tag bit), so the relay's lookup ends in the hash's key store with
// no pointer to chase; for an IPv6 path the word is a pointer to the
// PeerPath. Every peer also has a PeerPath in a private pool (the writer's
// record: dump, ageing, last receive), found by the key's position in the
// hash (by_pos_). An update never changes a PeerPath a reader may hold — it
// publishes a new one and retires the old one through an rte_rcu_qsbr defer
// queue. Each worker reports a quiescent state once per burst
// (quiescent()), after which it holds no PeerPath pointer.
//
// The writer is ONE thread, the main lcore: upsert/remove/set_* and apply()
// may only be called there. It never blocks on readers: when retired
// entries still wait for a grace period and there is no room for more, an
// operation answers FLATNET_IPC_E_BUSY and is retried later (the service
// does this). The main lcore may itself be a registered reader. Capacity is fixed at creation (default 1M peers)
// and an insert past it fails with FLATNET_IPC_E_TABLE_FULL.
//
// Needs an initialised EAL (rte_hash and the defer queue allocate with
// rte_malloc). Workers must register: reader_register(thread_id) once, then
// quiescent(thread_id) per burst, reader_offline/online around sleeps.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <string>

#include "dataplane/ipc/abi.h"

struct rte_hash;
struct rte_rcu_qsbr;
struct rte_rcu_qsbr_dq;

namespace flatnet::tables {

inline constexpr uint32_t kDefaultCapacity = 1u << 20;  // 1,048,576 peers

// One entry, one cache line. Immutable once published except last_rx_ns,
// which workers refresh with relaxed stores (a stale read only delays
// ageing by one sweep).
struct alignas(64) PeerPath {
  uint64_t addr;                        // 40-bit address, low bits
  flatnet_ipc_phys_addr path;           // where to send this peer's packets
  std::atomic<uint64_t> last_rx_ns;     // CLOCK_MONOTONIC of last receive; 0 = never
  uint32_t flags;                       // reserved for dpcore (e.g. cached next hop)
  uint32_t pool_index;                  // private: slot in the pool
};
static_assert(sizeof(PeerPath) == 64, "one cache line per entry");

// The hash's data word. Bit 0 set: an IPv4 path inline — bits 8..15 the DPDK
// port, 16..31 the UDP port (host order), 32..63 the address bytes as they
// sit in memory. Bit 0 clear: a PeerPath* (64-byte aligned), used for IPv6
// paths and for DPDK ports above 255. 0 is never a valid word.
struct PathWord {
  static constexpr uint64_t kInline4 = 1;
  static bool inline4(uint64_t w) { return w & kInline4; }
  static uint64_t pack4(const uint8_t ip[4], uint16_t udp_port, uint8_t port_id) {
    uint32_t a;
    std::memcpy(&a, ip, 4);
    return uint64_t(a) << 32 | uint64_t(udp_port) << 16 | uint64_t(port_id) << 8 | kInline4;
  }
  static void unpack4(uint64_t w, uint8_t ip[4], uint16_t* udp_port, uint16_t* port_id) {
    uint32_t a = uint32_t(w >> 32);
    std::memcpy(ip, &a, 4);
    *udp_port = uint16_t(w >> 16);
    *port_id = uint8_t(w >> 8);
  }
  static const PeerPath* entry(uint64_t w) { return reinterpret_cast<const PeerPath*>(w); }
};

struct TableParams {
  std::string name = "flatnet";         // rte_hash / defer queue name prefix (unique per process)
  uint32_t capacity = kDefaultCapacity; // max live peers
  uint32_t max_readers = 8;             // worker threads (QSBR thread ids 0..max_readers-1)
  int socket_id = -1;                   // SOCKET_ID_ANY
};

class PeerTable {
 public:
  // Returns nullptr and sets *err (one sentence) on failure.
  static std::unique_ptr<PeerTable> create(const TableParams& p, std::string* err);
  ~PeerTable();
  PeerTable(const PeerTable&) = delete;
  PeerTable& operator=(const PeerTable&) = delete;

  // ---- reader side (workers) -------------------------------------------
  void reader_register(unsigned thread_id);    // once per worker thread
  void reader_unregister(unsigned thread_id);
  void reader_online(unsigned thread_id);
  void reader_offline(unsigned thread_id);     // before sleeping
  void quiescent(unsigned thread_id);          // after each burst: drop all PeerPath*

  // nullptr when unknown. The pointer is valid until this reader's next
  // quiescent() call.
  const PeerPath* lookup(uint64_t addr) const;
  // Up to 64 addresses; words[i] = the PathWord, 0 when unknown. Returns the
  // hit mask. A PeerPath behind a word is valid until quiescent().
  uint64_t lookup_burst(const uint64_t* addrs, unsigned n, uint64_t* words) const;
  static void touch(const PeerPath* e, uint64_t now_ns) {
    // relaxed: a timestamp with no ordering against anything else
    const_cast<PeerPath*>(e)->last_rx_ns.store(now_ns, std::memory_order_relaxed);
  }
  bool relay_enabled() const { return relay_.load(std::memory_order_relaxed); }
  // The sibling root's path or nullptr; valid until quiescent() like lookup().
  const PeerPath* sibling() const { return sibling_.load(std::memory_order_acquire); }

  // ---- writer side (main lcore only) -----------------------------------
  flatnet_ipc_status upsert(uint64_t addr, const flatnet_ipc_phys_addr& path);
  flatnet_ipc_status remove(uint64_t addr);
  // Deletes every peer; false = stopped early for lack of reclaim room
  // (call again after readers were quiescent; apply() answers BUSY).
  bool clear();
  flatnet_ipc_status set_config(uint32_t key, uint64_t value, const flatnet_ipc_phys_addr& path);
  uint64_t path_max_idle_ms() const { return max_idle_ms_; }
  // Applies one command (not RESYNC, which the service streams with dump()).
  flatnet_ipc_status apply(const flatnet_ipc_command& c);
  // Resumable walk for resync: calls fn for entries starting at *cursor
  // (0 to begin) until fn returns false or max entries were given; returns
  // false when the walk is complete. The writer must not change the table
  // between calls if the dump must be exact (the service holds commands).
  bool dump(uint32_t* cursor, unsigned max, const std::function<bool(const PeerPath&)>& fn) const;
  // Deletes up to max entries idle for longer than path_max_idle_ms
  // (never-received entries are aged from their insertion time), calling
  // expired(entry) before each delete. Resumable like dump(). When expired()
  // returns false (its report could not be queued) the entry stays, the
  // cursor stays on it and the sweep stops: a path control was never told
  // about is not deleted behind its back.
  unsigned expire(uint64_t now_ns, uint32_t* cursor, unsigned max,
                  const std::function<bool(const PeerPath&)>& expired);
  // Runs QSBR reclaim of retired entries; cheap, call from the main loop.
  void reclaim();

  uint32_t size() const { return live_; }
  uint32_t retired() const { return retired_; }  // waiting for a grace period
  uint64_t leaked() const { return leaked_; }
  uint32_t capacity() const { return capacity_; }
  // Bytes of memory the table reserved at creation (hash + pool + QSBR).
  size_t memory_bytes() const { return memory_bytes_; }
  rte_rcu_qsbr* qsbr() const { return qsbr_; }

 private:
  PeerTable() = default;
  PeerPath* alloc_entry();
  static uint64_t word_for(const PeerPath* e);
  PeerPath* at(int32_t pos) const { return by_pos_[pos].load(std::memory_order_acquire); }
  void set_at(int32_t pos, PeerPath* e) { by_pos_[pos].store(e, std::memory_order_release); }
  bool can_retire();
  void retire(PeerPath* e, int32_t key_pos);
  void unpublish(int32_t pos);
  static void free_cb(void* p, void* elems, unsigned n);

  rte_hash* hash_ = nullptr;
  rte_rcu_qsbr* qsbr_ = nullptr;
  rte_rcu_qsbr_dq* dq_ = nullptr;
  PeerPath* pool_ = nullptr;
  std::atomic<PeerPath*>* by_pos_ = nullptr;  // key position in the hash -> its PeerPath
  uint32_t n_pos_ = 0;
  uint32_t* free_ = nullptr;   // stack of free pool indices
  uint32_t n_free_ = 0;
  uint32_t pool_size_ = 0;
  uint32_t capacity_ = 0;
  uint32_t live_ = 0;
  uint32_t retired_ = 0;   // entries in the defer queue
  uint32_t dq_size_ = 0;
  uint64_t leaked_ = 0;    // retirements the defer queue refused (should stay 0)
  size_t memory_bytes_ = 0;
  uint64_t max_idle_ms_ = 0;
  std::atomic<bool> relay_{false};
  std::atomic<const PeerPath*> sibling_{nullptr};
  std::string name_;
};

}  // namespace flatnet::tables
