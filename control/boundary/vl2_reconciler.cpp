#include "control/boundary/vl2_reconciler.hpp"

#include <random>

#include "dataplane/wire/hex.hpp"

namespace flatnet::control::boundary {

namespace vl2 = ::flatnet::ipc::vl2;

namespace {

bool same_settings(const vl2::NetworkSettings& a, const vl2::NetworkSettings& b) {
  return a.nwid == b.nwid && a.multicast_limit == b.multicast_limit && a.mtu == b.mtu &&
         a.enable_broadcast == b.enable_broadcast && a.is_private == b.is_private && a.loop_guard == b.loop_guard &&
         a.mac_capacity == b.mac_capacity;
}

}  // namespace

void Vl2Reconciler::set_desired(Vl2Desired d) { want_ = std::move(d); }

void Vl2Reconciler::attached() {
  attached_ = true;
  in_flight_.clear();
  barrier_seq_ = 0;
  retry_at_ = 0;
  begin_epoch();
  attach_at_known_ = false;
}

void Vl2Reconciler::begin_epoch() {
  // The data plane may hold anything (a previous control's state, or ours
  // before a lost session): nothing is deleted now; what we want is sent
  // again under a new epoch and the rest swept once that is confirmed.
  have_ = {};
  have_network_ = false;
  new_epoch_ = false;
  swept_ = false;
  begun_ = !owner_;
  if (owner_) {
    // Random per process (a new control must not reuse its predecessor's
    // epoch: their entries would then look current), then counting.
    if (epoch_seed_ == 0) epoch_seed_ = (uint64_t(std::random_device{}()) << 32) | std::random_device{}();
    epoch_ = uint32_t(epoch_seed_ + st_.reinstalls);
    if (epoch_ == 0) epoch_ = 1;
  }
  ++st_.reinstalls;
}

bool Vl2Reconciler::synced() const {
  return attached_ && begun_ && want_.settings.nwid != 0 && in_flight_.empty() && barrier_seq_ == 0 &&
         !stats().pending;
}

void Vl2Reconciler::log(const std::string& line) {
  // Bounded: a data plane refusing everything must not flood the log.
  if (log_ && log_lines_ < 20) {
    ++log_lines_;
    log_("vl2 tables: " + line);
  }
}

bool Vl2Reconciler::send(flatnet_ipc_command c, const Sent& s, const Sink& sink) {
  c.seq = next_seq();
  const bool ok = sink(c);
  vl2::wipe_command(c);  // a PEER_KEY_SET's key
  if (!ok) {
    ++st_.ring_full;
    return false;
  }
  in_flight_[seq_ | kSeqBit | space_] = s;
  ++st_.commands_sent;
  return true;
}

void Vl2Reconciler::on_result(const flatnet_ipc_event& e, uint64_t now) {
  if (barrier_seq_ && e.seq == barrier_seq_) {
    // Everything sent before the barrier that was not refused is installed.
    for (auto it = in_flight_.begin(); it != in_flight_.end();)
      it = ((it->first & ~kSeqBit) < (barrier_seq_ & ~kSeqBit)) ? in_flight_.erase(it) : std::next(it);
    barrier_seq_ = 0;
    ++st_.barriers_confirmed;
    if (e.count > 0) {  // the data plane lost RESULTs: our view may be wrong
      log("the data plane lost " + std::to_string(e.count) + " results: installing again");
      reset_ = true;
    }
    return;
  }
  auto it = in_flight_.find(e.seq);
  if (it == in_flight_.end()) return;
  const Sent s = it->second;
  in_flight_.erase(it);
  if (s.kind == Kind::kEpoch) {
    if (e.status == FLATNET_IPC_OK) {
      if (e.count == FLATNET_IPC_CMD_VL2_SWEEP) ++st_.sweeps;
      return;
    }
    // Our epoch is not the data plane's (another control began one since):
    // a new one, everything sent again, swept again.
    ++st_.failures;
    log("epoch command type " + std::to_string(e.count) + " refused with status " + std::to_string(e.status) +
        ": beginning another epoch");
    new_epoch_ = true;
    retry_at_ = now + kRetryMs;
    return;
  }
  if (e.status == FLATNET_IPC_OK) return;
  if (s.kind == Kind::kQuietDelete) return;  // a reset's delete: NOT_FOUND is expected
  ++st_.failures;
  log("command type " + std::to_string(e.count) + " refused with status " + std::to_string(e.status) +
      " (" + wire::hex_address(s.a) + "): retrying");
  // Forget it as installed; the next pump after kRetryMs sends it again.
  switch (s.kind) {
    case Kind::kNetwork: reset_ = true; break;
    case Kind::kKey: have_.keys.erase(s.a); break;
    case Kind::kMember:
      have_.members.erase(s.a);
      if (e.status == FLATNET_IPC_E_NOT_FOUND) reset_ = true;  // the network is gone
      break;
    case Kind::kMac: have_.macs.erase(s.a); break;
    case Kind::kSub: have_.subscribers.erase(s.g); break;
    case Kind::kCreds: have_.creds.erase(s.a); break;
    case Kind::kQuietDelete:
    case Kind::kEpoch: break;
  }
  retry_at_ = now + kRetryMs;
}

unsigned Vl2Reconciler::pump(uint64_t now, const Sink& sink) {
  if (!attached_ || now < retry_at_) return 0;
  if (barrier_seq_ && now - barrier_at_ > kBarrierTimeoutMs) {
    // The barrier's RESULT never came: we do not know what was applied.
    barrier_seq_ = 0;
    in_flight_.clear();
    reset_ = true;
  }
  unsigned n = 0;
  auto put = [&](flatnet_ipc_command c, Sent s) {
    if (!send(c, s, sink)) return false;
    ++n;
    return true;
  };
  if (!attach_at_known_ && want_.settings.nwid != 0) {
    // The grace period counts from the first desired state with the
    // network after the attach: a control that just started gathers its
    // members' credentials first (GatewayHost::kSettleMs), then they are
    // given kSweepGraceMs more before the sweep.
    attach_at_known_ = true;
    attach_at_ = now;
  }
  // Our view may be wrong (a lost barrier or RESULT, a refused network):
  // the owner installs everything again under a new epoch and sweeps, with
  // no gap; another network's reconciler deletes its network and installs
  // it again (below).
  if (reset_ && owner_) {
    reset_ = false;
    new_epoch_ = true;
  }
  if (new_epoch_ && owner_) begin_epoch();
  if (!begun_) {
    // Before anything of this epoch: what follows on the ring is stamped with it.
    if (!put(vl2::epoch_begin(epoch_), {Kind::kEpoch})) return n;
    begun_ = true;
  }
  const Put put_fn = [&](flatnet_ipc_command c, const Sent& s) { return put(c, s); };
  const uint64_t nwid = want_.settings.nwid;
  // A reset waits until the network to delete is known (a control that
  // just started has no config yet): otherwise it would delete nothing and
  // the data plane's old members would survive the re-install.
  if (reset_ && nwid == 0 && have_.settings.nwid == 0) return 0;
  if (reset_ || (have_network_ && have_.settings.nwid != nwid)) {
    // Repeated if the ring fills midway: deleting twice is harmless.
    const uint64_t old_nwid = have_.settings.nwid;
    if (old_nwid && !put(vl2::network_delete(old_nwid), {Kind::kQuietDelete, old_nwid})) return n;
    if (nwid && nwid != old_nwid && !put(vl2::network_delete(nwid), {Kind::kQuietDelete, nwid})) return n;
    if (reset_) ++st_.reinstalls;
    // Peer keys are not per network: drop them all so none is left stale.
    for (const auto& [addr, k] : have_.keys)
      if (!want_.keys.count(addr) && !put(vl2::peer_key_delete(addr), {Kind::kQuietDelete, addr})) return n;
    have_ = {};
    have_network_ = false;
    reset_ = false;
  }
  // What is installed but no longer wanted goes first.
  if (!pump_creds_deletes(put_fn)) return n;
  for (auto it = have_.subscribers.begin(); it != have_.subscribers.end();) {
    if (want_.subscribers.count(*it)) { ++it; continue; }
    const auto& [mac, adi, member] = *it;
    if (!put(vl2::unsubscribe(have_.settings.nwid, mac, adi, member), {Kind::kSub, member, *it})) return n;
    it = have_.subscribers.erase(it);
  }
  for (auto it = have_.macs.begin(); it != have_.macs.end();) {
    if (want_.macs.count(it->first)) { ++it; continue; }
    if (!put(vl2::mac_delete(have_.settings.nwid, it->first), {Kind::kMac, it->first})) return n;
    it = have_.macs.erase(it);
  }
  for (auto it = have_.members.begin(); it != have_.members.end();) {
    if (want_.members.count(it->first)) { ++it; continue; }
    if (!put(vl2::member_delete(have_.settings.nwid, it->first), {Kind::kMember, it->first})) return n;
    it = have_.members.erase(it);
  }
  for (auto it = have_.keys.begin(); it != have_.keys.end();) {
    if (want_.keys.count(it->first)) { ++it; continue; }
    if (!put(vl2::peer_key_delete(it->first), {Kind::kKey, it->first})) return n;
    it = have_.keys.erase(it);
  }
  if (nwid != 0) {
    if (!have_network_ || !same_settings(have_.settings, want_.settings) || have_.rules != want_.rules ||
        have_.unsupported_match != want_.unsupported_match) {
      if (!put(vl2::network_set(want_.settings), {Kind::kNetwork, nwid})) return n;
      have_.settings = want_.settings;
      have_network_ = false;
      for (const flatnet_ipc_command& c : vl2::rules(nwid, want_.rules, want_.unsupported_match))
        if (!put(c, {Kind::kNetwork, nwid})) return n;
      have_.rules = want_.rules;
      have_.unsupported_match = want_.unsupported_match;
      have_network_ = true;
    }
    for (const auto& [addr, k] : want_.keys) {
      auto h = have_.keys.find(addr);
      if (h != have_.keys.end() && h->second == k) continue;
      if (!put(vl2::peer_key_set(addr, k.key.data(), k.suite), {Kind::kKey, addr})) return n;
      have_.keys[addr] = k;
    }
    for (const auto& [addr, flags] : want_.members) {
      auto h = have_.members.find(addr);
      if (h != have_.members.end() && h->second == flags) continue;
      if (!put(vl2::member_set(nwid, addr, flags), {Kind::kMember, addr})) return n;
      have_.members[addr] = flags;
    }
    if (!pump_creds_sets(put_fn)) return n;
    for (const auto& [mac, behind] : want_.macs) {
      auto h = have_.macs.find(mac);
      if (h != have_.macs.end() && h->second == behind) continue;
      if (!put(vl2::mac_set(nwid, mac, behind), {Kind::kMac, mac})) return n;
      have_.macs[mac] = behind;
    }
    for (const Vl2Group& g : want_.subscribers) {
      if (have_.subscribers.count(g)) continue;
      const auto& [mac, adi, member] = g;
      if (!put(vl2::subscribe(nwid, mac, adi, member), {Kind::kSub, member, g})) return n;
      have_.subscribers.insert(g);
    }
  }
  // The sweep: once per epoch, when all we want is confirmed (the others'
  // too) and the grace period is over. F_ACK: its RESULT says it finished.
  if (owner_ && !swept_ && attach_at_known_ && now >= attach_at_ + kSweepGraceMs &&
      ((synced() && others_synced_) || now >= attach_at_ + kSweepDeadlineMs)) {
    if (!put(vl2::sweep(epoch_, 0, FLATNET_IPC_CMD_F_ACK), {Kind::kEpoch})) return n;
    swept_ = true;
  }
  if (!in_flight_.empty() && barrier_seq_ == 0) {
    flatnet_ipc_command b{};
    b.type = FLATNET_IPC_CMD_NOP;
    b.flags = FLATNET_IPC_CMD_F_ACK;
    b.seq = next_seq();
    if (sink(b)) {
      barrier_seq_ = b.seq;
      barrier_at_ = now;
      ++n;
    } else {
      ++st_.ring_full;
    }
  }
  return n;
}

Vl2ReconcilerStats Vl2Reconciler::stats() const {
  Vl2ReconcilerStats s = st_;
  s.members = want_.members.size();
  s.keys = want_.keys.size();
  s.macs = want_.macs.size();
  s.subscribers = want_.subscribers.size();
  s.in_flight = in_flight_.size();
  s.pending = (!have_network_ && want_.settings.nwid) || have_.members != want_.members ||
              have_.macs != want_.macs || have_.subscribers != want_.subscribers ||
              have_.keys.size() != want_.keys.size() || have_.creds != want_.creds;
  return s;
}

}  // namespace flatnet::control::boundary
