// VL2 tables: networks, members, key sets, multicast subscribers, and the
// shared QSBR retirement of everything readers may hold (vl2_tables.hpp).
// The MAC table's writer side (learning, LRU, ageing) is in vl2_macs.cpp.
#include "dataplane/tables/vl2_tables.hpp"

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <algorithm>
#include <cstring>
#include <ctime>

#include "dataplane/tables/vl2_internal.hpp"
#include "dataplane/tables/vl2_rules.hpp"

namespace flatnet::tables::vl2 {

using namespace detail;

namespace {
// Relaxed: only tests store it, before the stages they drive run.
std::atomic<uint32_t> g_clock_skew_s{0};
}  // namespace

uint32_t Vl2Tables::now_s() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint32_t(ts.tv_sec) + g_clock_skew_s.load(std::memory_order_relaxed);
}

void Vl2Tables::advance_clock(uint32_t s) { g_clock_skew_s.fetch_add(s, std::memory_order_relaxed); }

std::unique_ptr<Vl2Tables> Vl2Tables::create(const Vl2Params& p, rte_rcu_qsbr* qsbr, std::string* err) {
  auto fail = [&](const std::string& m) {
    if (err) *err = "vl2 tables: " + m;
    return std::unique_ptr<Vl2Tables>();
  };
  if (!qsbr) return fail("no QSBR variable");
  for (uint32_t c : {p.member_capacity, p.mac_capacity, p.peer_capacity, p.group_capacity})
    if (c < 8 || c > (1u << 24)) return fail("capacities must be 8..16777216");
  std::unique_ptr<Vl2Tables> t(new Vl2Tables());
  t->name_ = p.name;
  t->qsbr_ = qsbr;
  t->mac_age_s_ = p.mac_age_s;
  t->cap_members_ = p.member_capacity;
  t->cap_macs_ = p.mac_capacity;
  t->cap_keys_ = p.peer_capacity;
  t->cap_groups_ = p.group_capacity;
  const int socket = p.socket_id < 0 ? SOCKET_ID_ANY : p.socket_id;

  auto make_hash = [&](const char* what, uint32_t entries, uint32_t key_len) -> rte_hash* {
    std::string hname = p.name + "_" + what;
    rte_hash_parameters hp{};
    hp.name = hname.c_str();
    hp.entries = entries + entries / 8 + 64;  // headroom for keys waiting for a grace period
    hp.key_len = key_len;
    hp.hash_func = key_len == 8 ? key8_hash : nullptr;
    hp.socket_id = socket;
    hp.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF | RTE_HASH_EXTRA_FLAGS_EXT_TABLE;
    rte_hash* h = rte_hash_create(&hp);
    if (h && key_len == 8) rte_hash_set_cmp_func(h, key8_cmp);
    return h;
  };
  t->members_ = make_hash("vl2m", p.member_capacity, 8);
  t->macs_ = make_hash("vl2mac", p.mac_capacity, 8);
  t->keys_ = make_hash("vl2k", p.peer_capacity, 8);
  t->groups_ = make_hash("vl2g", p.group_capacity, sizeof(GroupKey));
  t->creds_ = make_hash("vl2c", p.member_capacity, 8);
  if (!t->members_ || !t->macs_ || !t->keys_ || !t->groups_ || !t->creds_)
    return fail(std::string("rte_hash_create: ") + rte_strerror(rte_errno));

  t->lru_ = std::make_unique<MacLru>(uint32_t(rte_hash_max_key_id(t->macs_)) + 1);

  // One defer queue for every kind of retirement; sized so that deleting
  // every live entry at once fits, plus room for replaced objects.
  t->dq_size_ = 2 * p.member_capacity + p.mac_capacity + p.peer_capacity + p.group_capacity + 1024;
  std::string dqname = p.name + "_vl2dq";
  rte_rcu_qsbr_dq_parameters dp{};
  dp.name = dqname.c_str();
  dp.flags = RTE_RCU_QSBR_DQ_MT_UNSAFE;  // one writer
  dp.size = t->dq_size_;
  dp.esize = sizeof(Retired);
  dp.trigger_reclaim_limit = 64;
  dp.max_reclaim_size = 1024;
  dp.free_fn = &Vl2Tables::free_cb;
  dp.p = t.get();
  dp.v = qsbr;
  t->dq_ = rte_rcu_qsbr_dq_create(&dp);
  if (!t->dq_) return fail(std::string("rte_rcu_qsbr_dq_create: ") + rte_strerror(rte_errno));

  // Learn events: many workers produce, the writer alone consumes.
  std::string rname = p.name + "_vl2learn";
  t->learn_ = rte_ring_create_elem(rname.c_str(), sizeof(LearnEvent), rte_align32pow2(p.learn_ring_size),
                                   socket, RING_F_SC_DEQ);
  if (!t->learn_) return fail(std::string("rte_ring_create_elem: ") + rte_strerror(rte_errno));
  return t;
}

Vl2Tables::~Vl2Tables() {
  // Everything still published is retired, then the queue is deleted,
  // which waits for readers and runs free_cb (wiping key sets).
  if (dq_) {
    for (unsigned s = 0; s < kMaxNetworks; ++s)
      if (auto* v = nets_[s].load(std::memory_order_relaxed)) {
        delete v->rules;
        delete v->own;
        delete v;
      }
    const void* key;
    void* data;
    uint32_t next = 0;
    while (keys_ && rte_hash_iterate(keys_, &key, &data, &next) >= 0) {
      delete static_cast<PeerKey*>(data);
      ++ctr_.keys_wiped;
    }
    next = 0;
    while (groups_ && rte_hash_iterate(groups_, &key, &data, &next) >= 0)
      delete static_cast<SubscriberList*>(data);
    next = 0;
    while (creds_ && rte_hash_iterate(creds_, &key, &data, &next) >= 0) delete static_cast<CompiledCreds*>(data);
    rte_rcu_qsbr_dq_delete(dq_);
  }
  if (learn_) rte_ring_free(learn_);
  for (rte_hash* h : {members_, macs_, keys_, groups_, creds_})
    if (h) rte_hash_free(h);
}

// ---- retirement -------------------------------------------------------------

void Vl2Tables::free_cb(void* p, void* elems, unsigned n) {
  auto* t = static_cast<Vl2Tables*>(p);
  auto* r = static_cast<Retired*>(elems);
  for (unsigned i = 0; i < n; ++i) {
    switch (r[i].what) {
      case kRetKey:
        delete static_cast<PeerKey*>(r[i].ptr);  // wipes (PeerKeyset's destructor)
        ++t->ctr_.keys_wiped;
        break;
      case kRetSubs: delete static_cast<SubscriberList*>(r[i].ptr); break;
      case kRetNet: delete static_cast<NetworkView*>(r[i].ptr); break;
      case kRetRules: delete static_cast<CompiledRules*>(r[i].ptr); break;
      case kRetCreds: delete static_cast<CompiledCreds*>(r[i].ptr); break;
      default: break;
    }
    if (r[i].key_pos >= 0) rte_hash_free_key_with_position(t->hash_of(r[i].hash), r[i].key_pos);
  }
  t->retired_ -= n;
}

rte_hash* Vl2Tables::hash_of(uint8_t h) const {
  switch (h) {
    case kHashMembers: return members_;
    case kHashMacs: return macs_;
    case kHashKeys: return keys_;
    case kHashCreds: return creds_;
    default: return groups_;
  }
}

void Vl2Tables::reclaim() {
  unsigned freed = 0, pending = 0, avail = 0;
  rte_rcu_qsbr_dq_reclaim(dq_, dq_size_, &freed, &pending, &avail);
}

bool Vl2Tables::can_retire(unsigned n) {
  if (retired_ + n < dq_size_) return true;
  reclaim();
  return retired_ + n < dq_size_;
}

void Vl2Tables::retire(void* ptr, uint8_t what, uint8_t hash, int32_t key_pos) {
  Retired r{ptr, key_pos, what, hash, 0};
  ++retired_;
  if (rte_rcu_qsbr_dq_enqueue(dq_, &r) == 0) return;
  // can_retire() is asked first, so this is not reached; leaking is safer
  // than freeing under a reader.
  --retired_;
  ++leaked_;
}

// ---- networks ---------------------------------------------------------------

int Vl2Tables::slot_of(uint64_t nwid) const {
  for (unsigned s = 0; s < kMaxNetworks; ++s) {
    const NetworkView* v = nets_[s].load(std::memory_order_relaxed);
    if (v && v->s.nwid == nwid) return int(s);
  }
  return -1;
}

const NetworkView* Vl2Tables::network(uint64_t nwid) const {
  const unsigned hi = high_slot_.load(std::memory_order_acquire);
  for (unsigned s = 0; s < hi; ++s) {
    // acquire: pairs with the release store in publish_network; the view is complete
    const NetworkView* v = nets_[s].load(std::memory_order_acquire);
    if (v && v->s.nwid == nwid) return v;
  }
  return nullptr;
}

flatnet_ipc_status Vl2Tables::publish_network(unsigned slot, const NetworkView& next) {
  const NetworkView* old = nets_[slot].load(std::memory_order_relaxed);
  if (old && !can_retire(1)) return FLATNET_IPC_E_BUSY;
  auto* v = new NetworkView(next);
  v->slot = uint8_t(slot);
  // release: readers that see the pointer see the whole view
  nets_[slot].store(v, std::memory_order_release);
  if (slot + 1 > high_slot_.load(std::memory_order_relaxed))
    high_slot_.store(slot + 1, std::memory_order_release);
  if (old) retire(const_cast<NetworkView*>(old), kRetNet, 0, -1);
  return FLATNET_IPC_OK;
}

flatnet_ipc_status Vl2Tables::network_set(const NetworkSettings& s) {
  if (s.nwid == 0 || s.mac_capacity == 0 || s.mtu < 576) return FLATNET_IPC_E_BAD_ARGUMENT;
  int slot = slot_of(s.nwid);
  NetworkView next;
  if (slot >= 0) {
    next = *nets_[slot].load(std::memory_order_relaxed);
  } else {
    // Round-robin over free slots so that a slot is not reused while
    // readers might still hold keys of the network that had it.
    for (unsigned i = 0; i < kMaxNetworks && slot < 0; ++i) {
      unsigned c = (next_slot_ + i) % kMaxNetworks;
      if (!nets_[c].load(std::memory_order_relaxed)) slot = int(c);
    }
    if (slot < 0) return FLATNET_IPC_E_TABLE_FULL;
    next_slot_ = (unsigned(slot) + 1) % kMaxNetworks;
    lru_->reset_slot(unsigned(slot));
  }
  next.s = s;
  return publish_network(unsigned(slot), next);
}

flatnet_ipc_status Vl2Tables::network_remove(uint64_t nwid) {
  int slot = slot_of(nwid);
  if (slot < 0) return FLATNET_IPC_E_NOT_FOUND;
  // Everything of the slot goes first; a BUSY here is retried by the
  // caller and resumes where it stopped (what is gone stays gone).
  auto drop_all = [&](rte_hash* h, uint8_t which, auto&& of_slot) -> bool {
    const void* key;
    void* data;
    uint32_t next = 0;
    while (rte_hash_iterate(h, &key, &data, &next) >= 0) {
      if (!of_slot(key)) continue;
      if (!can_retire(2)) return false;
      if (which == kHashMacs) {
        if (!mac_delete(load64(key), false)) return false;
        continue;
      }
      int32_t pos = rte_hash_del_key(h, key);
      if (pos < 0) continue;
      if (which == kHashMembers) --n_members_;
      if (which == kHashGroups) --n_groups_;
      if (which == kHashCreds) {
        --n_creds_;
        creds_per_slot_[slot].fetch_sub(1, std::memory_order_relaxed);
      }
      const uint8_t what = which == kHashGroups ? kRetSubs : which == kHashCreds ? kRetCreds : kRetSlot;
      retire(what == kRetSlot ? nullptr : data, what, which, pos);
    }
    return true;
  };
  const uint64_t s = uint64_t(slot);
  if (!drop_all(members_, kHashMembers, [&](const void* k) { return load64(k) >> 40 == s; }) ||
      !drop_all(macs_, kHashMacs, [&](const void* k) { return load64(k) >> 48 == s; }) ||
      !drop_all(groups_, kHashGroups,
                [&](const void* k) { return static_cast<const GroupKey*>(k)->slot_mac >> 48 == s; }) ||
      !drop_all(creds_, kHashCreds, [&](const void* k) { return load64(k) >> 40 == s; }))
    return FLATNET_IPC_E_BUSY;
  if (!can_retire(3)) return FLATNET_IPC_E_BUSY;
  const NetworkView* old = nets_[slot].load(std::memory_order_relaxed);
  nets_[slot].store(nullptr, std::memory_order_release);
  if (old->rules) retire(const_cast<CompiledRules*>(old->rules), kRetRules, 0, -1);
  if (old->own) retire(const_cast<CompiledCreds*>(old->own), kRetCreds, 0, -1);
  retire(const_cast<NetworkView*>(old), kRetNet, 0, -1);
  rules_staging_.erase(nwid);
  for (auto it = creds_staging_.begin(); it != creds_staging_.end();)
    it = it->first.first == nwid ? creds_staging_.erase(it) : std::next(it);
  return FLATNET_IPC_OK;
}

flatnet_ipc_status Vl2Tables::rules_set(uint64_t nwid, std::span<const uint8_t> rules_bin, bool unsupported_match) {
  int slot = slot_of(nwid);
  if (slot < 0) return FLATNET_IPC_E_NOT_FOUND;
  std::vector<wire::Rule> rules;
  if (wire::decode_rules(rules_bin, rules) != wire::RuleStatus::kOk) return FLATNET_IPC_E_BAD_ARGUMENT;
  if (!can_retire(2)) return FLATNET_IPC_E_BUSY;
  auto compiled = std::make_unique<CompiledRules>();
  if (!compile_rules(rules, unsupported_match, compiled.get())) return FLATNET_IPC_E_BAD_ARGUMENT;
  const NetworkView* cur = nets_[slot].load(std::memory_order_relaxed);
  const CompiledRules* old_rules = cur->rules;
  NetworkView next = *cur;
  next.rules = compiled.get();
  // The view and its rules are retired together: a reader holding the old
  // view may still be evaluating the old rules until its grace period ends.
  flatnet_ipc_status st = publish_network(unsigned(slot), next);
  if (st != FLATNET_IPC_OK) return st;
  compiled.release();
  if (old_rules) retire(const_cast<CompiledRules*>(old_rules), kRetRules, 0, -1);
  return FLATNET_IPC_OK;
}

// ---- members ----------------------------------------------------------------

uint64_t Vl2Tables::member(unsigned slot, uint64_t addr) const {
  uint64_t key = member_key(slot, addr);
  void* data = nullptr;
  if (rte_hash_lookup_with_hash_data(members_, &key, sig8(key), &data) < 0) return 0;
  return reinterpret_cast<uint64_t>(data);
}

flatnet_ipc_status Vl2Tables::rebuild_bridges(unsigned slot) {
  const NetworkView* cur = nets_[slot].load(std::memory_order_relaxed);
  NetworkView next = *cur;
  next.n_bridges = 0;
  const void* key;
  void* data;
  uint32_t it = 0;
  while (rte_hash_iterate(members_, &key, &data, &it) >= 0) {
    uint64_t k = load64(key);
    if (k >> 40 != slot || !(reinterpret_cast<uint64_t>(data) & MemberWord::kBridge)) continue;
    if (next.n_bridges < kMaxBridges) next.bridges[next.n_bridges++] = k & kAddr40;
  }
  std::sort(next.bridges, next.bridges + next.n_bridges);
  if (next.n_bridges == cur->n_bridges &&
      std::equal(next.bridges, next.bridges + next.n_bridges, cur->bridges))
    return FLATNET_IPC_OK;
  return publish_network(slot, next);
}

flatnet_ipc_status Vl2Tables::member_set(uint64_t nwid, uint64_t addr, uint64_t flags) {
  int slot = slot_of(nwid);
  if (slot < 0) return FLATNET_IPC_E_NOT_FOUND;
  if (addr == 0 || (addr & ~kAddr40) || (flags & ~MemberWord::kFlagsMask)) return FLATNET_IPC_E_BAD_ARGUMENT;
  uint64_t key = member_key(unsigned(slot), addr);
  void* old = nullptr;
  const bool exists = rte_hash_lookup_with_hash_data(members_, &key, sig8(key), &old) >= 0;
  if (!exists && n_members_ >= member_capacity_()) return FLATNET_IPC_E_TABLE_FULL;
  // Keep the "recently communicated" stamp across flag changes.
  uint64_t word = (flags | MemberWord::kPresent) | (exists ? reinterpret_cast<uint64_t>(old) & ~MemberWord::kFlagsMask : 0);
  if (!(flags & MemberWord::kPresent)) word &= ~MemberWord::kPresent;
  if (word == 0) word = MemberWord::kFlagsMask + 1;  // never 0 (0 reads as "absent")
  int rc = rte_hash_add_key_with_hash_data(members_, &key, sig8(key), reinterpret_cast<void*>(word));
  if (rc < 0) {
    reclaim();
    rc = rte_hash_add_key_with_hash_data(members_, &key, sig8(key), reinterpret_cast<void*>(word));
  }
  if (rc < 0) return FLATNET_IPC_E_BUSY;
  if (!exists) ++n_members_;
  // Only a change of the bridge bit changes the bridge list: rebuilding it
  // for every new member made installing n members O(n^2) (10,000 members
  // took seconds of the writer's time).
  const uint64_t was = exists ? reinterpret_cast<uint64_t>(old) : 0;
  if ((was ^ word) & MemberWord::kBridge) return rebuild_bridges(unsigned(slot));
  return FLATNET_IPC_OK;
}

flatnet_ipc_status Vl2Tables::member_remove(uint64_t nwid, uint64_t addr) {
  int slot = slot_of(nwid);
  if (slot < 0) return FLATNET_IPC_E_NOT_FOUND;
  uint64_t key = member_key(unsigned(slot), addr);
  void* old = nullptr;
  if (rte_hash_lookup_with_hash_data(members_, &key, sig8(key), &old) < 0) return FLATNET_IPC_E_NOT_FOUND;
  if (!can_retire(2)) return FLATNET_IPC_E_BUSY;
  int32_t pos = rte_hash_del_key_with_hash(members_, &key, sig8(key));
  if (pos < 0) return FLATNET_IPC_E_NOT_FOUND;
  --n_members_;
  retire(nullptr, kRetSlot, kHashMembers, pos);
  if (reinterpret_cast<uint64_t>(old) & MemberWord::kBridge) return rebuild_bridges(unsigned(slot));
  return FLATNET_IPC_OK;
}

// ---- keys -------------------------------------------------------------------

const PeerKey* Vl2Tables::key(uint64_t addr) const {
  uint64_t k = addr & kAddr40;
  void* data = nullptr;
  if (rte_hash_lookup_with_hash_data(keys_, &k, sig8(k), &data) < 0) return nullptr;
  return static_cast<const PeerKey*>(data);
}

void Vl2Tables::key_burst(const uint64_t* addrs, unsigned n, const PeerKey** out) const {
  uint64_t keys[RTE_HASH_LOOKUP_BULK_MAX];
  const void* kp[RTE_HASH_LOOKUP_BULK_MAX];
  hash_sig_t sig[RTE_HASH_LOOKUP_BULK_MAX];
  void* data[RTE_HASH_LOOKUP_BULK_MAX];
  n = std::min<unsigned>(n, RTE_HASH_LOOKUP_BULK_MAX);
  for (unsigned i = 0; i < n; ++i) {
    keys[i] = addrs[i] & kAddr40;
    kp[i] = &keys[i];
    sig[i] = sig8(keys[i]);
  }
  uint64_t hits = 0;
  if (n == 0 || rte_hash_lookup_with_hash_bulk_data(keys_, kp, sig, n, &hits, data) < 0) hits = 0;
  for (unsigned i = 0; i < n; ++i) out[i] = (hits >> i) & 1 ? static_cast<const PeerKey*>(data[i]) : nullptr;
}

void Vl2Tables::member_burst(const uint8_t* slots, const uint64_t* addrs, unsigned n, uint64_t* words) const {
  uint64_t keys[RTE_HASH_LOOKUP_BULK_MAX];
  const void* kp[RTE_HASH_LOOKUP_BULK_MAX];
  hash_sig_t sig[RTE_HASH_LOOKUP_BULK_MAX];
  void* data[RTE_HASH_LOOKUP_BULK_MAX];
  n = std::min<unsigned>(n, RTE_HASH_LOOKUP_BULK_MAX);
  for (unsigned i = 0; i < n; ++i) {
    keys[i] = member_key(slots[i], addrs[i]);
    kp[i] = &keys[i];
    sig[i] = sig8(keys[i]);
  }
  uint64_t hits = 0;
  if (n == 0 || rte_hash_lookup_with_hash_bulk_data(members_, kp, sig, n, &hits, data) < 0) hits = 0;
  for (unsigned i = 0; i < n; ++i) words[i] = (hits >> i) & 1 ? reinterpret_cast<uint64_t>(data[i]) : 0;
}

flatnet_ipc_status Vl2Tables::key_set(uint64_t addr, const crypto::SharedKey& key48, crypto::Suite suite) {
  if (addr == 0 || (addr & ~kAddr40)) return FLATNET_IPC_E_BAD_ARGUMENT;
  if (suite != crypto::Suite::kSalsa2012Poly1305 && suite != crypto::Suite::kAesGmacSiv)
    return FLATNET_IPC_E_BAD_ARGUMENT;
  uint64_t k = addr;
  void* old = nullptr;
  const bool exists = rte_hash_lookup_with_hash_data(keys_, &k, sig8(k), &old) >= 0;
  if (!exists && n_keys_ >= key_capacity_()) return FLATNET_IPC_E_TABLE_FULL;
  if (exists && !can_retire(1)) return FLATNET_IPC_E_BUSY;
  auto* ks = new PeerKey(key48, suite);
  int rc = rte_hash_add_key_with_hash_data(keys_, &k, sig8(k), ks);
  if (rc < 0) {
    reclaim();
    rc = rte_hash_add_key_with_hash_data(keys_, &k, sig8(k), ks);
  }
  if (rc < 0) {
    delete ks;
    return FLATNET_IPC_E_BUSY;
  }
  if (exists) retire(old, kRetKey, 0, -1);
  else ++n_keys_;
  return FLATNET_IPC_OK;
}

flatnet_ipc_status Vl2Tables::key_remove(uint64_t addr) {
  uint64_t k = addr & kAddr40;
  void* old = nullptr;
  if (rte_hash_lookup_with_hash_data(keys_, &k, sig8(k), &old) < 0) return FLATNET_IPC_E_NOT_FOUND;
  if (!can_retire(1)) return FLATNET_IPC_E_BUSY;
  int32_t pos = rte_hash_del_key_with_hash(keys_, &k, sig8(k));
  if (pos < 0) return FLATNET_IPC_E_NOT_FOUND;
  --n_keys_;
  retire(old, kRetKey, kHashKeys, pos);
  return FLATNET_IPC_OK;
}

// ---- multicast subscribers --------------------------------------------------

const SubscriberList* Vl2Tables::subscribers(unsigned slot, uint64_t mac48, uint32_t adi) const {
  GroupKey k{uint64_t(slot) << 48 | (mac48 & kMac48), adi};
  void* data = nullptr;
  if (rte_hash_lookup_data(groups_, &k, &data) < 0) return nullptr;
  return static_cast<const SubscriberList*>(data);
}

flatnet_ipc_status Vl2Tables::subscriber_change(uint64_t nwid, uint64_t mac48, uint32_t adi, uint64_t addr,
                                                bool add) {
  int slot = slot_of(nwid);
  if (slot < 0) return FLATNET_IPC_E_NOT_FOUND;
  if (addr == 0 || (addr & ~kAddr40) || (mac48 & ~kMac48)) return FLATNET_IPC_E_BAD_ARGUMENT;
  GroupKey k{uint64_t(slot) << 48 | mac48, adi};
  void* data = nullptr;
  const bool exists = rte_hash_lookup_data(groups_, &k, &data) >= 0;
  const auto* cur = static_cast<const SubscriberList*>(data);
  if (!add && !exists) return FLATNET_IPC_E_NOT_FOUND;
  if (!exists && n_groups_ >= group_capacity_()) return FLATNET_IPC_E_TABLE_FULL;
  if (!can_retire(1)) return FLATNET_IPC_E_BUSY;
  auto next = std::make_unique<SubscriberList>();
  if (cur) *next = *cur;
  uint64_t* b = next->addr;
  uint64_t* e = next->addr + next->n;
  uint64_t* at = std::lower_bound(b, e, addr);
  const bool present = at != e && *at == addr;
  if (add) {
    if (present) return FLATNET_IPC_OK;
    if (next->n >= kMaxSubscribers) return FLATNET_IPC_E_TABLE_FULL;
    std::move_backward(at, e, e + 1);
    *at = addr;
    ++next->n;
  } else {
    if (!present) return FLATNET_IPC_E_NOT_FOUND;
    std::move(at + 1, e, at);
    --next->n;
  }
  if (next->n == 0) {  // the group goes
    int32_t pos = rte_hash_del_key(groups_, &k);
    if (pos < 0) return FLATNET_IPC_E_NOT_FOUND;
    --n_groups_;
    retire(data, kRetSubs, kHashGroups, pos);
    return FLATNET_IPC_OK;
  }
  SubscriberList* nl = next.release();
  int rc = rte_hash_add_key_data(groups_, &k, nl);
  if (rc < 0) {
    reclaim();
    rc = rte_hash_add_key_data(groups_, &k, nl);
  }
  if (rc < 0) {
    delete nl;
    return FLATNET_IPC_E_BUSY;
  }
  if (exists) retire(data, kRetSubs, 0, -1);
  else ++n_groups_;
  return FLATNET_IPC_OK;
}

flatnet_ipc_status Vl2Tables::subscriber_add(uint64_t nwid, uint64_t mac48, uint32_t adi, uint64_t addr) {
  return subscriber_change(nwid, mac48, adi, addr, true);
}
flatnet_ipc_status Vl2Tables::subscriber_remove(uint64_t nwid, uint64_t mac48, uint32_t adi, uint64_t addr) {
  return subscriber_change(nwid, mac48, adi, addr, false);
}

// ---- learn ring -------------------------------------------------------------

bool Vl2Tables::post(const LearnEvent& e) {
  if (rte_ring_mp_enqueue_elem(learn_, const_cast<LearnEvent*>(&e), sizeof(LearnEvent)) == 0) return true;
  ring_full_.fetch_add(1, std::memory_order_relaxed);
  return false;
}

unsigned Vl2Tables::drain_learn(unsigned max) {
  LearnEvent ev[32];
  unsigned done = 0;
  while (done < max) {
    unsigned want = std::min<unsigned>(32, max - done);
    unsigned n = rte_ring_sc_dequeue_burst_elem(learn_, ev, sizeof(LearnEvent), want, nullptr);
    for (unsigned i = 0; i < n; ++i) learn_one(ev[i]);
    done += n;
    if (n < want) break;
  }
  ctr_.learn_events += done;
  ctr_.learn_ring_full = ring_full_.load(std::memory_order_relaxed);
  return done;
}

}  // namespace flatnet::tables::vl2
