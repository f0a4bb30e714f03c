// The VL2 commands of the IPC ABI (abi.h FLATNET_IPC_CMD_VL2_*) applied to
// the tables on the main lcore. The key of PEER_KEY_SET goes straight into a
// PeerKeyset; the service wipes every copy of the command. What a command
// set is stamped with the current epoch (vl2_epoch.cpp).
#include <sodium.h>

#include <cstring>

#include "dataplane/tables/vl2_tables.hpp"

namespace flatnet::tables::vl2 {

flatnet_ipc_status Vl2Tables::apply(const flatnet_ipc_command& cmd) {
  flatnet_ipc_vl2_command c;
  std::memcpy(&c, &cmd, sizeof c);
  const auto& t = c.u.t;
  flatnet_ipc_status st = FLATNET_IPC_E_UNKNOWN_COMMAND;
  switch (c.type) {
    case FLATNET_IPC_CMD_VL2_NETWORK_SET: {
      NetworkSettings s;
      if (const NetworkView* cur = network(t.nwid)) s = cur->s;
      s.nwid = t.nwid;
      s.multicast_limit = t.multicast_limit;
      s.mtu = t.mtu;
      s.enable_broadcast = t.net_flags & FLATNET_IPC_VL2_NET_BROADCAST;
      s.is_private = t.net_flags & FLATNET_IPC_VL2_NET_PRIVATE;
      s.loop_guard = !(t.net_flags & FLATNET_IPC_VL2_NET_NO_LOOP_GUARD);
      if (t.mac_capacity) s.mac_capacity = t.mac_capacity;
      st = network_set(s);
      break;
    }
    case FLATNET_IPC_CMD_VL2_NETWORK_DELETE: st = network_remove(t.nwid); break;
    case FLATNET_IPC_CMD_VL2_MEMBER_SET:
      st = t.member_flags & ~uint32_t(MemberWord::kPresent | MemberWord::kComValid | MemberWord::kBridge)
               ? FLATNET_IPC_E_BAD_ARGUMENT
               : member_set(t.nwid, c.addr, t.member_flags);
      break;
    case FLATNET_IPC_CMD_VL2_MEMBER_DELETE: st = member_remove(t.nwid, c.addr); break;
    case FLATNET_IPC_CMD_VL2_PEER_KEY_SET: {
      const unsigned suite = c.flags >> FLATNET_IPC_VL2_SUITE_SHIFT;
      if (suite != 1 && suite != 3) {
        st = FLATNET_IPC_E_BAD_ARGUMENT;
        break;
      }
      crypto::SharedKey k;
      std::memcpy(k.data(), c.u.key, k.size());
      st = key_set(c.addr, k, crypto::Suite(suite));  // k wipes itself (SecretBytes)
      break;
    }
    case FLATNET_IPC_CMD_VL2_PEER_KEY_DELETE: st = key_remove(c.addr); break;
    case FLATNET_IPC_CMD_VL2_MAC_SET: st = mac_set(t.nwid, t.mac, c.addr); break;
    case FLATNET_IPC_CMD_VL2_MAC_DELETE: st = mac_remove(t.nwid, t.mac); break;
    case FLATNET_IPC_CMD_VL2_SUBSCRIBE: st = subscriber_add(t.nwid, t.mac, t.adi, c.addr); break;
    case FLATNET_IPC_CMD_VL2_UNSUBSCRIBE: st = subscriber_remove(t.nwid, t.mac, t.adi, c.addr); break;
    case FLATNET_IPC_CMD_VL2_RULES_CHUNK: {
      // Gathered per network; offset 0 starts over, the last piece installs.
      const auto& r = c.u.r;
      if (!network(r.nwid)) {
        st = FLATNET_IPC_E_NOT_FOUND;
        break;
      }
      if (r.total == 0 || r.total > FLATNET_IPC_VL2_RULES_MAX || r.len > FLATNET_IPC_VL2_RULES_CHUNK ||
          uint64_t(r.offset) + r.len > r.total) {
        st = FLATNET_IPC_E_BAD_ARGUMENT;
        break;
      }
      std::vector<uint8_t>& buf = rules_staging_[r.nwid];
      if (r.offset == 0) buf.clear();
      if (buf.size() != r.offset) {  // a piece missing or out of order: start again
        rules_staging_.erase(r.nwid);
        st = FLATNET_IPC_E_BAD_ARGUMENT;
        break;
      }
      buf.insert(buf.end(), r.data, r.data + r.len);
      st = FLATNET_IPC_OK;
      if (buf.size() == r.total) {
        st = rules_set(r.nwid, buf, r.flags & FLATNET_IPC_VL2_RULES_UNSUPPORTED);
        if (st == FLATNET_IPC_E_BUSY) {  // retried whole by the service: keep the pieces but this one
          buf.resize(r.offset);
          break;
        }
        if (st == FLATNET_IPC_OK) stamp({kStRules, r.nwid});
        rules_staging_.erase(r.nwid);
      }
      break;
    }
    case FLATNET_IPC_CMD_VL2_CREDS_CHUNK: {
      // As RULES_CHUNK, per (network, member); the last piece installs.
      const auto& r = c.u.r;
      if (!network(r.nwid)) {
        st = FLATNET_IPC_E_NOT_FOUND;
        break;
      }
      if (r.total == 0 || r.total > FLATNET_IPC_VL2_CREDS_MAX || r.len > FLATNET_IPC_VL2_RULES_CHUNK ||
          uint64_t(r.offset) + r.len > r.total) {
        st = FLATNET_IPC_E_BAD_ARGUMENT;
        break;
      }
      const auto id = std::make_pair(r.nwid, c.addr);
      std::vector<uint8_t>& buf = creds_staging_[id];
      if (r.offset == 0) buf.clear();
      if (buf.size() != r.offset) {
        creds_staging_.erase(id);
        st = FLATNET_IPC_E_BAD_ARGUMENT;
        break;
      }
      buf.insert(buf.end(), r.data, r.data + r.len);
      st = FLATNET_IPC_OK;
      if (buf.size() == r.total) {
        st = creds_set(r.nwid, c.addr, buf);
        if (st == FLATNET_IPC_E_BUSY) {
          buf.resize(r.offset);
          break;
        }
        if (st == FLATNET_IPC_OK) stamp({kStCreds, r.nwid, c.addr & 0xffffffffffull});
        creds_staging_.erase(id);
      }
      break;
    }
    case FLATNET_IPC_CMD_VL2_CREDS_DELETE: st = creds_remove(t.nwid, c.addr); break;
    case FLATNET_IPC_CMD_VL2_EPOCH_BEGIN: st = epoch_begin(c.u.e.epoch); break;
    case FLATNET_IPC_CMD_VL2_SWEEP: st = sweep_step(c.u.e.epoch, kSweepPerRound); break;
    default: break;
  }
  // The epoch stamps (vl2_epoch.cpp): what was set carries the current
  // epoch; what was deleted (or was not there) carries none.
  if (st == FLATNET_IPC_OK || st == FLATNET_IPC_E_NOT_FOUND) stamp_applied(c, st == FLATNET_IPC_OK);
  sodium_memzero(&c, sizeof c);  // our copy of a key, if it was one
  return st;
}

}  // namespace flatnet::tables::vl2
