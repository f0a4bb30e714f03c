// Mark and sweep of the VL2 tables (docs/ipc-abi.md "Epochs: restart
// without a gap"). A control that (re)attaches begins a new epoch, installs
// everything it wants again -- entries that did not change are overwritten
// with themselves, so the fast path never sees a gap -- and then sweeps:
// every entry it did not set again under the new epoch is what a previous
// control (or this one before a lost session) installed and nobody wants
// any more, and goes. Keys included: a swept key set is retired like any
// other and wiped when its grace period ends.
//
// The stamps are the writer's own, one ordered map keyed by what the
// entry is (StampKind, then its network and identity):
//   kStSub    (nwid, MAC, ADI, member)   kStMac   (nwid, MAC)
//   kStCreds  (nwid, member; 0 = ours)   kStMember (nwid, member)
//   kStRules  (nwid)                     kStKey   (0, peer)
//   kStNet    (nwid)
// so a sweep walks them in that order and resumes after the last stamp it
// handled, whatever else changed since (a bounded number per round, like
// the MAC ageing; the service applies the SWEEP again while it answers BUSY).
#include <rte_hash.h>

#include <limits>

#include "dataplane/tables/vl2_internal.hpp"
#include "dataplane/tables/vl2_rules.hpp"

namespace flatnet::tables::vl2 {

using namespace detail;

flatnet_ipc_status Vl2Tables::epoch_begin(uint32_t epoch) {
  if (epoch == 0) return FLATNET_IPC_E_BAD_ARGUMENT;
  epoch_ = epoch;
  sweep_epoch_ = 0;  // a sweep of another epoch never resumes
  return FLATNET_IPC_OK;
}

void Vl2Tables::unstamp_network(uint64_t nwid) {
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  for (uint8_t k : {kStSub, kStMac, kStCreds, kStMember, kStRules, kStNet})
    stamps_.erase(stamps_.lower_bound(Stamp{k, nwid, 0, 0, 0}), stamps_.upper_bound(Stamp{k, nwid, kMax, kMax, kMax}));
}

void Vl2Tables::stamp_applied(const flatnet_ipc_vl2_command& c, bool set) {
  // A set that failed stamps nothing; a delete unstamps even when the entry
  // was already gone (NOT_FOUND).
  const auto& t = c.u.t;
  const uint64_t addr = c.addr & kAddr40;
  auto stamp_if = [&](const Stamp& s) {
    if (set) stamp(s);
  };
  switch (c.type) {
    case FLATNET_IPC_CMD_VL2_NETWORK_SET: stamp_if({kStNet, t.nwid}); break;
    case FLATNET_IPC_CMD_VL2_NETWORK_DELETE: unstamp_network(t.nwid); break;
    case FLATNET_IPC_CMD_VL2_MEMBER_SET: stamp_if({kStMember, t.nwid, addr}); break;
    case FLATNET_IPC_CMD_VL2_MEMBER_DELETE: unstamp({kStMember, t.nwid, addr}); break;
    case FLATNET_IPC_CMD_VL2_PEER_KEY_SET: stamp_if({kStKey, 0, addr}); break;
    case FLATNET_IPC_CMD_VL2_PEER_KEY_DELETE: unstamp({kStKey, 0, addr}); break;
    case FLATNET_IPC_CMD_VL2_MAC_SET: stamp_if({kStMac, t.nwid, t.mac & kMac48}); break;
    case FLATNET_IPC_CMD_VL2_MAC_DELETE: unstamp({kStMac, t.nwid, t.mac & kMac48}); break;
    case FLATNET_IPC_CMD_VL2_SUBSCRIBE: stamp_if({kStSub, t.nwid, t.mac & kMac48, t.adi, addr}); break;
    case FLATNET_IPC_CMD_VL2_UNSUBSCRIBE: unstamp({kStSub, t.nwid, t.mac & kMac48, t.adi, addr}); break;
    case FLATNET_IPC_CMD_VL2_CREDS_DELETE: unstamp({kStCreds, t.nwid, addr}); break;
    default: break;  // RULES_CHUNK / CREDS_CHUNK: stamped by apply() when the last piece installs
  }
}

flatnet_ipc_status Vl2Tables::rules_clear(uint64_t nwid) {
  const int slot = slot_of(nwid);
  if (slot < 0) return FLATNET_IPC_E_NOT_FOUND;
  rules_staging_.erase(nwid);
  const NetworkView* cur = nets_[slot].load(std::memory_order_relaxed);
  if (!cur->rules) return FLATNET_IPC_E_NOT_FOUND;
  if (!can_retire(2)) return FLATNET_IPC_E_BUSY;
  const CompiledRules* old = cur->rules;
  NetworkView next = *cur;
  next.rules = nullptr;  // none installed: accept, as before control's first rules
  const flatnet_ipc_status st = publish_network(unsigned(slot), next);
  if (st == FLATNET_IPC_OK) retire(const_cast<CompiledRules*>(old), kRetRules, 0, -1);
  return st;
}

flatnet_ipc_status Vl2Tables::sweep_one(const Stamp& s) {
  switch (s.kind) {
    case kStSub: return subscriber_remove(s.nwid, s.a, uint32_t(s.b), s.c);
    case kStMac: {
      // Only a route control pinned: a MAC seen elsewhere since is the
      // workers' (learned), and ages like one.
      const int slot = slot_of(s.nwid);
      if (slot < 0) return FLATNET_IPC_E_NOT_FOUND;
      const uint64_t key = mac_key(unsigned(slot), s.a);
      const int32_t pos = rte_hash_lookup_with_hash(macs_, &key, sig8(key));
      if (pos < 0 || !lru_->pinned[uint32_t(pos)]) return FLATNET_IPC_E_NOT_FOUND;
      return mac_delete(key, false) ? FLATNET_IPC_OK : FLATNET_IPC_E_BUSY;
    }
    case kStCreds: return creds_remove(s.nwid, s.a);
    case kStMember: return member_remove(s.nwid, s.a);
    case kStRules: return rules_clear(s.nwid);
    case kStKey: return key_remove(s.a);
    case kStNet: {
      const flatnet_ipc_status st = network_remove(s.nwid);
      if (st != FLATNET_IPC_E_BUSY) unstamp_network(s.nwid);
      return st;
    }
    default: return FLATNET_IPC_E_NOT_FOUND;
  }
}

flatnet_ipc_status Vl2Tables::sweep_step(uint32_t epoch, unsigned max) {
  if (epoch == 0 || epoch != epoch_) return FLATNET_IPC_E_BAD_ARGUMENT;  // a sweep of an epoch since replaced
  if (sweep_epoch_ != epoch) {  // a new sweep starts from the first stamp
    sweep_epoch_ = epoch;
    sweep_at_ = Stamp{};
  }
  ++ctr_.sweep_rounds;
  auto it = stamps_.lower_bound(sweep_at_);
  for (unsigned n = 0; it != stamps_.end(); ++n) {
    if (n == max) {
      sweep_at_ = it->first;
      return FLATNET_IPC_E_BUSY;
    }
    if (it->second == epoch) {
      ++it;
      continue;
    }
    const Stamp s = it->first;
    const flatnet_ipc_status st = sweep_one(s);
    if (st == FLATNET_IPC_E_BUSY) {  // retired entries not yet reclaimable: this one again next round
      sweep_at_ = s;
      return st;
    }
    stamps_.erase(s);
    if (st == FLATNET_IPC_OK) {
      ++ctr_.swept;
      if (s.kind == kStKey) ++ctr_.keys_swept;
    }
    it = stamps_.upper_bound(s);
  }
  sweep_epoch_ = 0;
  return FLATNET_IPC_OK;
}

}  // namespace flatnet::tables::vl2
