// The credentials part of the VL2 reconciler: what the gateway's fast path
// evaluates the rules with (its own, key 0, and each admitted member's
// verified tags, capabilities and certificates of ownership) sent as
// CREDS_CHUNK commands when new or changed, CREDS_DELETE when no longer
// wanted. An attach (a new epoch) forgets them with everything else, so they
// are sent again with the network, and the epoch's sweep deletes those nobody
// set again: nothing stale survives a restart of either side.
#include "control/boundary/vl2_reconciler.hpp"

#include <string>

#include "dataplane/wire/hex.hpp"

namespace flatnet::control::boundary {

namespace vl2 = ::flatnet::ipc::vl2;

bool Vl2Reconciler::pump_creds_deletes(const Put& put) {
  for (auto it = have_.creds.begin(); it != have_.creds.end();) {
    if (want_.creds.count(it->first)) {
      ++it;
      continue;
    }
    if (!put(vl2::creds_delete(have_.settings.nwid, it->first), {Kind::kCreds, it->first})) return false;
    it = have_.creds.erase(it);
  }
  return true;
}

bool Vl2Reconciler::pump_creds_sets(const Put& put) {
  const uint64_t nwid = want_.settings.nwid;
  for (const auto& [addr, c] : want_.creds) {
    auto h = have_.creds.find(addr);
    if (h != have_.creds.end() && h->second == c) continue;
    const std::vector<flatnet_ipc_command> cmds = vl2::creds(nwid, addr, c);
    if (cmds.empty()) {
      // Over the data plane's bounds (64 tags, 32 capabilities, 64 of each
      // owned kind): whatever was installed goes, so the fast path never
      // uses stale ones; the member then has no tags, capabilities or
      // owned addresses there (said in the log, counted).
      ++st_.creds_refused;
      log("credentials of " + wire::hex_address(addr) + " over the data plane's bounds (" +
          std::to_string(c.tags.size()) + " tags, " + std::to_string(c.caps.size()) + " capabilities, " +
          std::to_string(c.ips4.size()) + "/" + std::to_string(c.ips6.size()) + "/" + std::to_string(c.macs.size()) +
          " owned IPv4/IPv6/MACs): not installed");
      if (!put(vl2::creds_delete(nwid, addr), {Kind::kQuietDelete, addr})) return false;
      have_.creds[addr] = c;
      continue;
    }
    for (const flatnet_ipc_command& cmd : cmds)
      if (!put(cmd, {Kind::kCreds, addr})) return false;
    have_.creds[addr] = c;
  }
  return true;
}

}  // namespace flatnet::control::boundary
