// The MAC table: reader lookups, the writer's learning from workers' events,
// control's routes, the per-network bound (oldest out) and ageing.
#include <rte_hash.h>

#include <algorithm>

#include "dataplane/tables/vl2_internal.hpp"
#include "dataplane/tables/vl2_tables.hpp"

namespace flatnet::tables::vl2 {

using namespace detail;

uint64_t Vl2Tables::mac(unsigned slot, uint64_t mac48) const {
  uint64_t key = mac_key(slot, mac48);
  void* data = nullptr;
  if (rte_hash_lookup_with_hash_data(macs_, &key, sig8(key), &data) < 0) return 0;
  return reinterpret_cast<uint64_t>(data);
}

void Vl2Tables::mac_burst(unsigned slot, const uint64_t* macs, unsigned n, uint64_t* words) const {
  uint64_t keys[RTE_HASH_LOOKUP_BULK_MAX];
  const void* kp[RTE_HASH_LOOKUP_BULK_MAX];
  hash_sig_t sig[RTE_HASH_LOOKUP_BULK_MAX];
  void* data[RTE_HASH_LOOKUP_BULK_MAX];
  n = std::min<unsigned>(n, RTE_HASH_LOOKUP_BULK_MAX);
  for (unsigned i = 0; i < n; ++i) {
    keys[i] = mac_key(slot, macs[i]);
    kp[i] = &keys[i];
    sig[i] = sig8(keys[i]);
  }
  uint64_t hits = 0;
  if (n == 0 || rte_hash_lookup_with_hash_bulk_data(macs_, kp, sig, n, &hits, data) < 0) hits = 0;
  for (unsigned i = 0; i < n; ++i) words[i] = (hits >> i) & 1 ? reinterpret_cast<uint64_t>(data[i]) : 0;
}

uint32_t Vl2Tables::macs_of(uint64_t nwid) const {
  int s = slot_of(nwid);
  return s < 0 ? 0 : lru_->count[s] + lru_->pinned_count[s];
}

bool Vl2Tables::mac_delete(uint64_t key, bool evicted) {
  if (!can_retire(1)) return false;
  int32_t pos = rte_hash_del_key_with_hash(macs_, &key, sig8(key));
  if (pos < 0) return true;
  if (lru_->pinned[pos]) {
    lru_->pinned[pos] = 0;
    --lru_->pinned_count[key >> 48];
  }
  lru_->unlink(uint32_t(pos));
  --n_macs_;
  if (evicted) ++ctr_.mac_evicted;
  retire(nullptr, kRetSlot, kHashMacs, pos);
  return true;
}

// word: the new MacWord. pinned: installed by control (never aged or
// evicted). learned: from a worker's event (moves are counted).
flatnet_ipc_status Vl2Tables::mac_put(unsigned slot, uint64_t mac48, uint64_t word, bool pinned, bool learned) {
  const NetworkView* v = nets_[slot].load(std::memory_order_relaxed);
  if (!v) return FLATNET_IPC_E_NOT_FOUND;
  const uint64_t key = mac_key(slot, mac48);
  void* old = nullptr;
  int32_t pos = rte_hash_lookup_with_hash_data(macs_, &key, sig8(key), &old);
  const bool exists = pos >= 0;
  if (exists) {
    uint64_t o = reinterpret_cast<uint64_t>(old);
    if (learned && (MacWord::kind(o) != MacWord::kind(word) || MacWord::addr(o) != MacWord::addr(word)))
      ++ctr_.mac_moves;
    // A learned fact does not override a route control pinned to the same
    // place, but a MAC seen somewhere else has moved, whoever installed it.
    if (lru_->pinned[pos] && learned && MacWord::kind(o) == MacWord::kind(word) &&
        MacWord::addr(o) == MacWord::addr(word))
      word = MacWord::make(MacWord::kind(o), MacWord::addr(o), MacWord::seen_s(word));
  } else {
    // The network's bound: the least recently seen learned MAC makes room
    // (a flood of new source MACs pushes out old ones, never the table).
    if (!pinned && lru_->count[slot] + lru_->pinned_count[slot] >= v->s.mac_capacity) {
      if (lru_->head[slot] == MacLru::kNil || !mac_delete(lru_->key[lru_->head[slot]], true))
        return lru_->head[slot] == MacLru::kNil ? FLATNET_IPC_E_TABLE_FULL : FLATNET_IPC_E_BUSY;
    }
    if (n_macs_ >= cap_macs_) {
      if (pinned || lru_->head[slot] == MacLru::kNil) return FLATNET_IPC_E_TABLE_FULL;
      if (!mac_delete(lru_->key[lru_->head[slot]], true)) return FLATNET_IPC_E_BUSY;
    }
  }
  int rc = rte_hash_add_key_with_hash_data(macs_, &key, sig8(key), reinterpret_cast<void*>(word));
  if (rc < 0) {
    reclaim();
    rc = rte_hash_add_key_with_hash_data(macs_, &key, sig8(key), reinterpret_cast<void*>(word));
  }
  if (rc < 0) return FLATNET_IPC_E_BUSY;
  if (!exists) {
    ++n_macs_;
    if (learned) ++ctr_.macs_learned;
    pos = rte_hash_lookup_with_hash(macs_, &key, sig8(key));
    if (pos < 0) return FLATNET_IPC_E_BUSY;  // cannot happen: just added by the one writer
  }
  const uint32_t p = uint32_t(pos);
  if (pinned && !lru_->pinned[p]) {
    lru_->unlink(p);
    lru_->key[p] = key;
    lru_->pinned[p] = 1;
    ++lru_->pinned_count[slot];
  } else if (!lru_->pinned[p]) {
    lru_->push_back(p, key, now_s());  // full seconds; the word keeps only 22 bits
  }
  return FLATNET_IPC_OK;
}

flatnet_ipc_status Vl2Tables::mac_set(uint64_t nwid, uint64_t mac48, uint64_t addr) {
  int slot = slot_of(nwid);
  if (slot < 0) return FLATNET_IPC_E_NOT_FOUND;
  if ((mac48 & ~kMac48) || (mac48 >> 40) & 1 || addr == 0 || (addr & ~kAddr40))
    return FLATNET_IPC_E_BAD_ARGUMENT;  // multicast MACs are never routes
  return mac_put(unsigned(slot), mac48, MacWord::make(MacWord::kRemote, addr, now_s()), true, false);
}

flatnet_ipc_status Vl2Tables::mac_remove(uint64_t nwid, uint64_t mac48) {
  int slot = slot_of(nwid);
  if (slot < 0) return FLATNET_IPC_E_NOT_FOUND;
  uint64_t key = mac_key(unsigned(slot), mac48);
  if (rte_hash_lookup_with_hash(macs_, &key, sig8(key)) < 0) return FLATNET_IPC_E_NOT_FOUND;
  return mac_delete(key, false) ? FLATNET_IPC_OK : FLATNET_IPC_E_BUSY;
}

void Vl2Tables::learn_one(const LearnEvent& e) {
  const NetworkView* v = e.slot < kMaxNetworks ? nets_[e.slot].load(std::memory_order_relaxed) : nullptr;
  if (!v) {
    ++ctr_.learn_stale;
    return;
  }
  const uint32_t now = now_s();
  switch (e.kind) {
    case LearnEvent::kLanMac:
      if ((e.mac & ~kMac48) || (e.mac >> 40) & 1 || e.mac == 0) break;
      mac_put(e.slot, e.mac, MacWord::make(MacWord::kLan, 0, now), false, true);
      return;
    case LearnEvent::kBridgeRoute: {
      // The worker checked the bridge flag; the writer checks again, since
      // control may have changed it since.
      if ((e.mac & ~kMac48) || (e.mac >> 40) & 1 || e.mac == 0) break;
      if (!(member(e.slot, e.addr) & MemberWord::kBridge)) break;
      // A MAC seen on our LAN within the loop window is not behind another
      // bridge: its frame came back through a second bridge of the same LAN.
      // The worker drops such frames; this catches the first one, which it
      // may have read before the LAN entry was stored here (the LAN event
      // is ahead of this one on the ring), so the LAN entry is not
      // overwritten and every later copy is dropped.
      if (v->s.loop_guard) {
        const uint64_t cur = mac(e.slot, e.mac);
        if (MacWord::kind(cur) == MacWord::kLan && MacWord::age_s(cur, now) < kLanLoopWindowS) {
          ++ctr_.loop_routes;
          return;
        }
      }
      mac_put(e.slot, e.mac, MacWord::make(MacWord::kRemote, e.addr, now), false, true);
      return;
    }
    case LearnEvent::kRecent: {
      uint64_t key = member_key(e.slot, e.addr);
      void* old = nullptr;
      if (rte_hash_lookup_with_hash_data(members_, &key, sig8(key), &old) < 0) break;
      uint64_t w = (reinterpret_cast<uint64_t>(old) & 0xffffffffull) | uint64_t(now) << 32;
      rte_hash_add_key_with_hash_data(members_, &key, sig8(key), reinterpret_cast<void*>(w));
      return;
    }
    default: break;
  }
  ++ctr_.learn_stale;
}

unsigned Vl2Tables::age_macs(uint32_t now_s, unsigned max) {
  unsigned gone = 0;
  for (unsigned s = 0; s < kMaxNetworks && gone < max; ++s) {
    while (gone < max && lru_->head[s] != MacLru::kNil) {
      uint32_t h = lru_->head[s];
      if (now_s - lru_->seen[h] <= mac_age_s_) break;  // the oldest is young enough: all are
      if (!mac_delete(lru_->key[h], false)) return gone;
      ++ctr_.mac_aged;
      ++gone;
    }
  }
  return gone;
}

}  // namespace flatnet::tables::vl2
