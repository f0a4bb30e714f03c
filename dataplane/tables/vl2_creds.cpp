// Members' credentials on the gateway (tags and capabilities, the rules'
// inputs beside the base table): the gateway's own, published with the
// network's view, and each peer's, in a hash of (slot, member) -> an
// immutable CompiledCreds. One writer (the main lcore); a replaced or removed
// object is retired through the QSBR defer queue like a key set.
#include <rte_hash.h>

#include "dataplane/tables/vl2_internal.hpp"
#include "dataplane/tables/vl2_rules.hpp"

namespace flatnet::tables::vl2 {

using namespace detail;

const CompiledCreds* Vl2Tables::creds(unsigned slot, uint64_t addr) const {
  uint64_t key = member_key(slot, addr);
  void* data = nullptr;
  if (rte_hash_lookup_with_hash_data(creds_, &key, sig8(key), &data) < 0) return nullptr;
  return static_cast<const CompiledCreds*>(data);
}

flatnet_ipc_status Vl2Tables::creds_set(uint64_t nwid, uint64_t addr, std::span<const uint8_t> blob) {
  const int slot = slot_of(nwid);
  if (slot < 0) return FLATNET_IPC_E_NOT_FOUND;
  if (addr & ~kAddr40) return FLATNET_IPC_E_BAD_ARGUMENT;
  auto next = std::make_unique<CompiledCreds>();
  if (!decode_creds(blob, next.get())) return FLATNET_IPC_E_BAD_ARGUMENT;
  if (!can_retire(2)) return FLATNET_IPC_E_BUSY;
  if (addr == 0) {  // ours: a new view; the old view and its creds are retired together
    const NetworkView* cur = nets_[slot].load(std::memory_order_relaxed);
    const CompiledCreds* old = cur->own;
    NetworkView v = *cur;
    v.own = next.get();
    const flatnet_ipc_status st = publish_network(unsigned(slot), v);
    if (st != FLATNET_IPC_OK) return st;
    next.release();
    if (old) retire(const_cast<CompiledCreds*>(old), kRetCreds, 0, -1);
    return FLATNET_IPC_OK;
  }
  uint64_t key = member_key(unsigned(slot), addr);
  void* old = nullptr;
  const bool exists = rte_hash_lookup_with_hash_data(creds_, &key, sig8(key), &old) >= 0;
  if (!exists && n_creds_ >= member_capacity_()) return FLATNET_IPC_E_TABLE_FULL;
  int rc = rte_hash_add_key_with_hash_data(creds_, &key, sig8(key), next.get());
  if (rc < 0) {
    reclaim();
    rc = rte_hash_add_key_with_hash_data(creds_, &key, sig8(key), next.get());
  }
  if (rc < 0) return FLATNET_IPC_E_BUSY;
  next.release();
  if (exists) {
    retire(old, kRetCreds, 0, -1);
  } else {
    ++n_creds_;
    creds_per_slot_[slot].fetch_add(1, std::memory_order_relaxed);  // relaxed: a hint (creds_in)
  }
  return FLATNET_IPC_OK;
}

flatnet_ipc_status Vl2Tables::creds_remove(uint64_t nwid, uint64_t addr) {
  const int slot = slot_of(nwid);
  if (slot < 0) return FLATNET_IPC_E_NOT_FOUND;
  if (!can_retire(2)) return FLATNET_IPC_E_BUSY;
  if (addr == 0) {
    const NetworkView* cur = nets_[slot].load(std::memory_order_relaxed);
    if (!cur->own) return FLATNET_IPC_E_NOT_FOUND;
    const CompiledCreds* old = cur->own;
    NetworkView v = *cur;
    v.own = nullptr;
    const flatnet_ipc_status st = publish_network(unsigned(slot), v);
    if (st == FLATNET_IPC_OK) retire(const_cast<CompiledCreds*>(old), kRetCreds, 0, -1);
    return st;
  }
  uint64_t key = member_key(unsigned(slot), addr);
  void* old = nullptr;
  if (rte_hash_lookup_with_hash_data(creds_, &key, sig8(key), &old) < 0) return FLATNET_IPC_E_NOT_FOUND;
  const int32_t pos = rte_hash_del_key_with_hash(creds_, &key, sig8(key));
  if (pos < 0) return FLATNET_IPC_E_NOT_FOUND;
  --n_creds_;
  creds_per_slot_[slot].fetch_sub(1, std::memory_order_relaxed);
  retire(old, kRetCreds, kHashCreds, pos);
  return FLATNET_IPC_OK;
}

}  // namespace flatnet::tables::vl2
