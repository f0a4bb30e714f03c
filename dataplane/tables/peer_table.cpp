// Peer/path table: rte_hash (lock-free readers, one writer) over a private
// pool of PeerPath entries, with QSBR delete-then-reclaim (peer_table.hpp).
#include "dataplane/ipc/clock.hpp"
#include "dataplane/tables/peer_table.hpp"

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_memory.h>
#include <rte_rcu_qsbr.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

namespace flatnet::tables {

namespace {

constexpr uint64_t kAddrMask = 0xffffffffffull;

// One retired entry waiting for its grace period: the hash key position to
// free (-1 when the key was not deleted, only its data replaced) and the
// pool slot.
struct Retired {
  int32_t key_pos;
  uint32_t pool_index;
};
static_assert(sizeof(Retired) == 8, "defer queue element");

// The key is always one uint64_t. rte_hash's own compare has no 8-byte
// case and falls back to memcmp, and its default hash loops over the
// length: both are fixed-size here, so give it the one-instruction forms.
uint32_t key8_hash(const void* key, uint32_t, uint32_t init) {
  uint64_t k;
  std::memcpy(&k, key, 8);
  return rte_hash_crc_8byte(k, init);
}
int key8_cmp(const void* a, const void* b, size_t) {
  uint64_t x, y;
  std::memcpy(&x, a, 8);
  std::memcpy(&y, b, 8);
  return x != y;
}

using flatnet::ipc::mono_ns;

inline hash_sig_t sig_of(uint64_t key) { return rte_hash_crc_8byte(key, 0); }  // = key8_hash

bool path_valid(const flatnet_ipc_phys_addr& p) {
  return (p.family == FLATNET_IPC_AF_INET || p.family == FLATNET_IPC_AF_INET6) && p.udp_port != 0;
}

}  // namespace

std::unique_ptr<PeerTable> PeerTable::create(const TableParams& p, std::string* err) {
  auto fail = [&](const std::string& m) {
    if (err) *err = "peer table: " + m;
    return std::unique_ptr<PeerTable>();
  };
  if (p.capacity < 1 || p.capacity > (1u << 26)) return fail("capacity must be 1..67108864");
  if (p.max_readers < 1 || p.max_readers > RTE_MAX_LCORE) return fail("bad max_readers");
  std::unique_ptr<PeerTable> t(new PeerTable());
  t->name_ = p.name;
  t->capacity_ = p.capacity;
  // Retired entries keep their pool slot and hash key slot until a grace
  // period passes; this much headroom lets updates go on meanwhile.
  const uint32_t slack = std::max<uint32_t>(256, p.capacity / 16);
  t->pool_size_ = p.capacity + slack + 1;  // +1: the sibling root entry
  const int socket = p.socket_id < 0 ? SOCKET_ID_ANY : p.socket_id;

  // QSBR variable, one thread id per worker.
  size_t qsz = rte_rcu_qsbr_get_memsize(p.max_readers);
  t->qsbr_ = static_cast<rte_rcu_qsbr*>(rte_zmalloc_socket(nullptr, qsz, RTE_CACHE_LINE_SIZE, socket));
  if (!t->qsbr_ || rte_rcu_qsbr_init(t->qsbr_, p.max_readers) != 0)
    return fail("cannot allocate the QSBR variable (is the EAL initialised?)");
  t->memory_bytes_ += qsz;

  // Pool and free stack.
  size_t pool_bytes = size_t(t->pool_size_) * sizeof(PeerPath);
  t->pool_ = static_cast<PeerPath*>(rte_zmalloc_socket(nullptr, pool_bytes, RTE_CACHE_LINE_SIZE, socket));
  t->free_ = static_cast<uint32_t*>(rte_malloc_socket(nullptr, t->pool_size_ * 4u, 0, socket));
  if (!t->pool_ || !t->free_) return fail("cannot allocate " + std::to_string(pool_bytes) + " bytes of entries");
  t->memory_bytes_ += pool_bytes + t->pool_size_ * 4u;
  for (uint32_t i = 0; i < t->pool_size_; ++i) t->free_[t->n_free_++] = t->pool_size_ - 1 - i;

  // The hash: LF readers, single writer, extendable buckets so that a
  // table below capacity never refuses a key because of cuckoo collisions.
  std::string hname = p.name + "_peers";
  rte_hash_parameters hp{};
  hp.name = hname.c_str();
  hp.entries = p.capacity + slack;
  hp.key_len = sizeof(uint64_t);
  hp.hash_func = key8_hash;
  hp.hash_func_init_val = 0;
  hp.socket_id = socket;
  hp.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF | RTE_HASH_EXTRA_FLAGS_EXT_TABLE;
  t->hash_ = rte_hash_create(&hp);
  if (!t->hash_) return fail(std::string("rte_hash_create: ") + rte_strerror(rte_errno));
  rte_hash_set_cmp_func(t->hash_, key8_cmp);
  t->n_pos_ = uint32_t(rte_hash_max_key_id(t->hash_)) + 1;
  t->by_pos_ = static_cast<std::atomic<PeerPath*>*>(
      rte_zmalloc_socket(nullptr, size_t(t->n_pos_) * sizeof(std::atomic<PeerPath*>), RTE_CACHE_LINE_SIZE, socket));
  if (!t->by_pos_) return fail("cannot allocate the key position index");
  t->memory_bytes_ += size_t(t->n_pos_) * sizeof(std::atomic<PeerPath*>);
  // Estimate: key store (key + data pointer + index, padded), buckets and
  // ext buckets, roughly 2 x 64-byte bucket per 8 entries.
  t->memory_bytes_ += size_t(hp.entries) * 24 + size_t(hp.entries) / 8 * 2 * 64;

  // Defer queue: retired entries go back to the pool after a grace period.
  std::string dqname = p.name + "_dq";
  rte_rcu_qsbr_dq_parameters dp{};
  dp.name = dqname.c_str();
  dp.flags = RTE_RCU_QSBR_DQ_MT_UNSAFE;  // one writer
  dp.size = slack;
  dp.esize = sizeof(Retired);
  dp.trigger_reclaim_limit = 64;
  dp.max_reclaim_size = 256;
  dp.free_fn = &PeerTable::free_cb;
  dp.p = t.get();
  dp.v = t->qsbr_;
  t->dq_size_ = slack;
  t->dq_ = rte_rcu_qsbr_dq_create(&dp);
  if (!t->dq_) return fail(std::string("rte_rcu_qsbr_dq_create: ") + rte_strerror(rte_errno));
  t->memory_bytes_ += size_t(slack) * 2 * 16;
  return t;
}

PeerTable::~PeerTable() {
  if (dq_) rte_rcu_qsbr_dq_delete(dq_);  // reclaims what is left (waits for readers)
  if (hash_) rte_hash_free(hash_);
  rte_free(pool_);
  rte_free(by_pos_);
  rte_free(free_);
  rte_free(qsbr_);
}

// ---- readers --------------------------------------------------------------

void PeerTable::reader_register(unsigned id) {
  rte_rcu_qsbr_thread_register(qsbr_, id);
  rte_rcu_qsbr_thread_online(qsbr_, id);
}
void PeerTable::reader_unregister(unsigned id) {
  rte_rcu_qsbr_thread_offline(qsbr_, id);
  rte_rcu_qsbr_thread_unregister(qsbr_, id);
}
void PeerTable::reader_online(unsigned id) { rte_rcu_qsbr_thread_online(qsbr_, id); }
void PeerTable::reader_offline(unsigned id) { rte_rcu_qsbr_thread_offline(qsbr_, id); }
void PeerTable::quiescent(unsigned id) { rte_rcu_qsbr_quiescent(qsbr_, id); }

const PeerPath* PeerTable::lookup(uint64_t addr) const {
  uint64_t key = addr & kAddrMask;
  int32_t pos = rte_hash_lookup_with_hash(hash_, &key, sig_of(key));
  if (pos < 0 || uint32_t(pos) >= n_pos_) return nullptr;
  return at(pos);  // nullptr while an insert is between its two stores
}

uint64_t PeerTable::lookup_burst(const uint64_t* addrs, unsigned n, uint64_t* words) const {
  uint64_t keys[RTE_HASH_LOOKUP_BULK_MAX];
  const void* kp[RTE_HASH_LOOKUP_BULK_MAX];
  hash_sig_t sig[RTE_HASH_LOOKUP_BULK_MAX];
  void* data[RTE_HASH_LOOKUP_BULK_MAX];
  if (n > RTE_HASH_LOOKUP_BULK_MAX) n = RTE_HASH_LOOKUP_BULK_MAX;
  // The signatures inline (one CRC32 instruction each) instead of a call
  // through the hash's function pointer per key.
  for (unsigned i = 0; i < n; ++i) {
    keys[i] = addrs[i] & kAddrMask;
    kp[i] = &keys[i];
    sig[i] = sig_of(keys[i]);
  }
  uint64_t hits = 0;
  if (n == 0 || rte_hash_lookup_with_hash_bulk_data(hash_, kp, sig, n, &hits, data) < 0) hits = 0;
  for (unsigned i = 0; i < n; ++i) words[i] = (hits >> i) & 1 ? reinterpret_cast<uint64_t>(data[i]) : 0;
  return hits;
}

// ---- writer ---------------------------------------------------------------

void PeerTable::free_cb(void* p, void* elems, unsigned n) {
  auto* t = static_cast<PeerTable*>(p);
  auto* r = static_cast<Retired*>(elems);
  for (unsigned i = 0; i < n; ++i) {
    if (r[i].key_pos >= 0) rte_hash_free_key_with_position(t->hash_, r[i].key_pos);
    t->free_[t->n_free_++] = r[i].pool_index;
  }
  t->retired_ -= n;
}

void PeerTable::reclaim() {
  unsigned freed = 0, pending = 0, avail = 0;
  rte_rcu_qsbr_dq_reclaim(dq_, pool_size_, &freed, &pending, &avail);
}

uint64_t PeerTable::word_for(const PeerPath* e) {
  if (e->path.family == FLATNET_IPC_AF_INET && e->path.port_id <= 0xff)
    return PathWord::pack4(e->path.ip, e->path.udp_port, uint8_t(e->path.port_id));
  return reinterpret_cast<uint64_t>(e);  // 64-byte aligned: bit 0 clear
}

PeerPath* PeerTable::alloc_entry() {
  if (n_free_ == 0) reclaim();
  if (n_free_ == 0) return nullptr;
  PeerPath* e = &pool_[free_[--n_free_]];
  e->pool_index = uint32_t(e - pool_);
  return e;
}

// Room for one more retirement? Every operation that unpublishes an entry
// asks first, so retire() below never finds the defer queue full. When there
// is no room the operation answers BUSY and the service retries it on a
// later round, after the readers (possibly including the main lcore itself,
// when it also polls a port) have reported quiescent states. The writer
// never blocks waiting for readers.
bool PeerTable::can_retire() {
  if (retired_ + 1 < dq_size_) return true;
  reclaim();
  return retired_ + 1 < dq_size_;
}

// After rte_hash_del_key returned pos: the PeerPath leaves the position
// index (readers that still hold it are covered by the grace period) and
// goes, with the key slot, to the defer queue.
void PeerTable::unpublish(int32_t pos) {
  PeerPath* e = at(pos);
  set_at(pos, nullptr);
  --live_;
  if (e) retire(e, pos);
  else ++leaked_;  // a key without its record: cannot happen (one writer)
}

void PeerTable::retire(PeerPath* e, int32_t key_pos) {
  Retired r{key_pos, e->pool_index};
  ++retired_;
  if (rte_rcu_qsbr_dq_enqueue(dq_, &r) == 0) return;
  // Unreachable while can_retire() is asked first; if it happens anyway,
  // leak the entry (counted) rather than free it under a reader.
  --retired_;
  ++leaked_;
}

flatnet_ipc_status PeerTable::upsert(uint64_t addr, const flatnet_ipc_phys_addr& path) {
  uint64_t key = addr & kAddrMask;
  if (key != addr || key == 0 || (key >> 32) == 0xff) return FLATNET_IPC_E_BAD_ARGUMENT;
  if (!path_valid(path)) return FLATNET_IPC_E_BAD_ARGUMENT;
  const hash_sig_t sig = sig_of(key);
  int32_t pos = rte_hash_lookup_with_hash(hash_, &key, sig);
  bool exists = pos >= 0;
  PeerPath* old = exists ? at(pos) : nullptr;
  if (!exists && live_ >= capacity_) return FLATNET_IPC_E_TABLE_FULL;
  if (exists && !can_retire()) return FLATNET_IPC_E_BUSY;
  PeerPath* e = alloc_entry();
  if (!e) return FLATNET_IPC_E_BUSY;
  e->addr = key;
  e->path = path;
  e->flags = 0;
  uint64_t rx = old ? old->last_rx_ns.load(std::memory_order_relaxed)
                    : mono_ns();  // a new path ages from its insertion
  e->last_rx_ns.store(rx, std::memory_order_relaxed);
  // rte_hash publishes the data word with release semantics; readers see
  // either the old path or the complete new one.
  void* word = reinterpret_cast<void*>(word_for(e));
  int rc = rte_hash_add_key_with_hash_data(hash_, &key, sig, word);
  if (rc < 0) {
    // Key slots of deleted keys come back only after a grace period.
    reclaim();
    rc = rte_hash_add_key_with_hash_data(hash_, &key, sig, word);
  }
  if (rc < 0) {
    free_[n_free_++] = e->pool_index;
    return FLATNET_IPC_E_BUSY;
  }
  if (!exists) pos = rte_hash_lookup_with_hash(hash_, &key, sig);
  if (pos < 0 || uint32_t(pos) >= n_pos_) {  // cannot happen: the key was just added
    ++leaked_;
    return FLATNET_IPC_E_BUSY;
  }
  set_at(pos, e);
  if (old) retire(old, -1);
  if (!exists) ++live_;
  return FLATNET_IPC_OK;
}

flatnet_ipc_status PeerTable::remove(uint64_t addr) {
  uint64_t key = addr & kAddrMask;
  if (rte_hash_lookup_with_hash(hash_, &key, sig_of(key)) < 0) return FLATNET_IPC_E_NOT_FOUND;
  if (!can_retire()) return FLATNET_IPC_E_BUSY;
  int32_t pos = rte_hash_del_key_with_hash(hash_, &key, sig_of(key));
  if (pos < 0) return FLATNET_IPC_E_NOT_FOUND;
  unpublish(pos);
  return FLATNET_IPC_OK;
}

bool PeerTable::clear() {
  const void* key;
  void* data;
  uint32_t next = 0;
  // Deleting the entry just returned does not disturb the walk: the
  // iterator is a position in the key store.
  for (uint32_t guard = 0; guard <= pool_size_ && rte_hash_iterate(hash_, &key, &data, &next) >= 0;
       ++guard) {
    if (!can_retire()) return false;  // the rest on a later round
    uint64_t k = *static_cast<const uint64_t*>(key);
    int32_t pos = rte_hash_del_key_with_hash(hash_, &k, sig_of(k));
    if (pos < 0) continue;
    unpublish(pos);
  }
  return true;
}

flatnet_ipc_status PeerTable::set_config(uint32_t key, uint64_t value,
                                         const flatnet_ipc_phys_addr& path) {
  switch (key) {
    case FLATNET_IPC_CFG_RELAY:
      if (value > 1) return FLATNET_IPC_E_BAD_ARGUMENT;
      relay_.store(value != 0, std::memory_order_relaxed);  // a flag, no data behind it
      return FLATNET_IPC_OK;
    case FLATNET_IPC_CFG_SIBLING_ROOT: {
      const PeerPath* old = sibling_.load(std::memory_order_relaxed);
      if (old && !can_retire()) return FLATNET_IPC_E_BUSY;
      PeerPath* e = nullptr;
      if (value != 0) {
        if (!path_valid(path)) return FLATNET_IPC_E_BAD_ARGUMENT;
        e = alloc_entry();
        if (!e) return FLATNET_IPC_E_BUSY;
        e->addr = 0;
        e->path = path;
        e->flags = 0;
        e->last_rx_ns.store(mono_ns(), std::memory_order_relaxed);
      }
      // release: pairs with the acquire in sibling(); the entry is complete
      sibling_.store(e, std::memory_order_release);
      if (old) retire(const_cast<PeerPath*>(old), -1);
      return FLATNET_IPC_OK;
    }
    case FLATNET_IPC_CFG_PATH_MAX_IDLE_MS:
      max_idle_ms_ = value;
      return FLATNET_IPC_OK;
    default:
      return FLATNET_IPC_E_UNKNOWN_KEY;
  }
}

flatnet_ipc_status PeerTable::apply(const flatnet_ipc_command& c) {
  switch (c.type) {
    case FLATNET_IPC_CMD_NOP: return FLATNET_IPC_OK;
    case FLATNET_IPC_CMD_PEER_UPSERT: return upsert(c.addr, c.path);
    case FLATNET_IPC_CMD_PEER_DELETE: return remove(c.addr);
    case FLATNET_IPC_CMD_SET_CONFIG: return set_config(c.key, c.value, c.path);
    case FLATNET_IPC_CMD_PEER_CLEAR: return clear() ? FLATNET_IPC_OK : FLATNET_IPC_E_BUSY;
    default: return FLATNET_IPC_E_UNKNOWN_COMMAND;  // RESYNC is the service's
  }
}

bool PeerTable::dump(uint32_t* cursor, unsigned max,
                     const std::function<bool(const PeerPath&)>& fn) const {
  const void* key;
  void* data;
  for (unsigned n = 0; n < max; ++n) {
    uint32_t before = *cursor;
    int32_t pos = rte_hash_iterate(hash_, &key, &data, cursor);
    if (pos < 0) return false;
    const PeerPath* e = uint32_t(pos) < n_pos_ ? at(pos) : nullptr;
    if (!e) continue;  // not possible for the writer, which is the caller
    if (!fn(*e)) {
      *cursor = before;  // not consumed: give it again next time
      return true;
    }
  }
  return true;
}

unsigned PeerTable::expire(uint64_t now_ns, uint32_t* cursor, unsigned max,
                           const std::function<bool(const PeerPath&)>& expired) {
  if (max_idle_ms_ == 0) return 0;
  const uint64_t idle_ns = max_idle_ms_ * 1000000ull;
  const void* key;
  void* data;
  unsigned gone = 0;
  for (unsigned n = 0; n < max; ++n) {
    const uint32_t at_cursor = *cursor;
    int32_t pos = rte_hash_iterate(hash_, &key, &data, cursor);
    if (pos < 0) {
      *cursor = 0;  // wrap: the next sweep starts over
      break;
    }
    PeerPath* e = uint32_t(pos) < n_pos_ ? at(pos) : nullptr;
    if (!e) continue;
    uint64_t rx = e->last_rx_ns.load(std::memory_order_relaxed);
    if (rx >= now_ns || now_ns - rx <= idle_ns) continue;
    if (!can_retire() || !expired(*e)) {  // next sweep, from this entry
      *cursor = at_cursor;
      break;
    }
    uint64_t k = e->addr;
    if (rte_hash_del_key_with_hash(hash_, &k, sig_of(k)) < 0) continue;
    unpublish(pos);
    ++gone;
  }
  return gone;
}

}  // namespace flatnet::tables
