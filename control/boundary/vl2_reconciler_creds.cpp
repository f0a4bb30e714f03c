// The caps/tags part of the VL2 reconciler: the credentials the gateway's
// fast path evaluates the rules with (its own, key 0, and each admitted
// member's verified tags and capabilities) sent as CREDS_CHUNK commands when
// new or changed, CREDS_DELETE when no longer wanted. An attach (a new
// epoch) forgets them with everything else, so they are sent again with
// the network, and the epoch's sweep deletes those nobody set again:
// nothing stale survives a restart of either side.
#include "control/boundary/vl2_reconciler.hpp"

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
      // Over the data plane's bounds (64 tags, 32 capabilities): whatever
      // was installed goes, so the fast path never uses stale ones; the
      // member then has no tags or capabilities there (said in the log).
      log("credentials of " + wire::hex_address(addr) + " over the data plane's bounds: not installed");
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
