#include "control/service/gateway_host.hpp"

#include <algorithm>
#include <cstring>

#include "control/port/addressing.hpp"
#include "dataplane/wire/bytes.hpp"
#include "dataplane/wire/rules.hpp"

namespace flatnet::control::service {

boundary::Vl2Desired GatewayHost::desired(uint64_t nwid, const vl2::Member& member, const Core& core) {
  boundary::Vl2Desired d;
  const vl2::Network* n = member.network_state(nwid);
  if (!n || !n->config) return d;
  const wire::NetworkConfig& cfg = *n->config;
  d.settings.nwid = nwid;
  d.settings.mtu = uint16_t(std::clamp<unsigned>(cfg.mtu, 576, 10000));
  d.settings.multicast_limit = uint32_t(std::min<uint64_t>(cfg.multicast_limit, UINT32_MAX));
  d.settings.enable_broadcast = cfg.broadcast_enabled();
  d.settings.is_private = !cfg.is_public();
  if (!cfg.rules.empty()) {
    wire::Writer w(d.rules, FLATNET_IPC_VL2_RULES_MAX);
    wire::write_rules(w, cfg.rules);
    if (!w.ok()) d.rules.clear();  // too long for the data plane: none (accept all)
  }
  d.unsupported_match = (cfg.flags & wire::kConfigFlagUnsupportedMatchIsMatch) != 0;

  const uint64_t self = core.self().address();
  auto is_bridge = [&](uint64_t a) { return std::find(n->bridges.begin(), n->bridges.end(), a) != n->bridges.end(); };
  // Members whose credentials pass the gate now; on a public network every
  // peer with a record. Their key and suite come with them: a member the
  // core has no key for yet is left to the punt path (the core learns it).
  for (const auto& [addr, rec] : n->members) {
    (void)rec;
    if (addr == self || !member.admits(nwid, addr)) continue;
    const Peer* p = core.peers().find(addr);
    if (!p || !p->keys) continue;
    uint32_t flags = FLATNET_IPC_VL2_MEMBER_PRESENT | FLATNET_IPC_VL2_MEMBER_COM_VALID;
    if (is_bridge(addr)) flags |= FLATNET_IPC_VL2_MEMBER_BRIDGE;
    d.members[addr] = flags;
    boundary::Vl2Key& k = d.keys[addr];
    std::memcpy(k.key.data(), p->keys->key48().data(), k.key.size());
    k.suite = unsigned(p->suite());
    d.macs[port::member_mac(addr, nwid)] = addr;
  }
  for (const auto& [mac, bridge] : n->bridge_routes)
    if (d.members.count(bridge)) d.macs[mac] = bridge;
  n->subscriptions.for_each([&](const MulticastGroup& g, uint64_t addr) {
    if (d.members.count(addr)) d.subscribers.insert({g.mac, g.adi, addr});
  });
  return d;
}

void GatewayHost::solicit(uint64_t nwid, vl2::Member& member, const Core& core, uint64_t now, Actions& out) {
  const vl2::Network* n = member.network_state(nwid);
  if (!n || !n->config) return;
  if (settle_at_ == 0) settle_at_ = now + (n->config->is_public() ? 0 : kSettleMs);
  if (n->config->is_public() || now < next_scan_) return;
  next_scan_ = now + kSolicitScanMs;
  const uint64_t self = core.self().address();
  std::vector<uint64_t> ask;
  core.peers().for_each([&](const Peer& p) {
    const uint64_t a = p.identity.address();
    if (a == self || p.is_upstream() || !p.keys || member.admits(nwid, a)) return;
    auto it = asked_.find(a);
    if (it != asked_.end() && now - it->second < kSolicitMs) return;
    ask.push_back(a);
  });
  // The network's other active bridges too, met or not: a LAN frame for
  // another site goes to them, and the fast path drops it while there is no
  // key (vl2_no_key), so no frame would ever make the core meet them. The
  // request does: the core asks the root for the bridge's identity, says
  // HELLO, and the bridge answers with its credentials (and asks for ours).
  for (uint64_t a : n->bridges) {
    if (a == self || member.admits(nwid, a) || std::find(ask.begin(), ask.end(), a) != ask.end()) continue;
    auto it = asked_.find(a);
    if (it == asked_.end() || now - it->second >= kSolicitMs) ask.push_back(a);
  }
  for (uint64_t a : ask) {
    if (asked_.size() >= kMaxSolicited && !asked_.count(a)) asked_.clear();  // bounded; worst case asks again
    asked_[a] = now;
    member.request_credentials(nwid, a, now, out);
  }
  // And ours to every member we admit (rate-limited per member by the
  // member's re-push interval): the frames they get from us come from the
  // fast path, which cannot attach credentials, and a member LIKEs its
  // groups only to peers it admits -- without them, a LAN host's ARP for a
  // member that never sent to the LAN has no subscriber to go to.
  for (const auto& [a, rec] : n->members) {
    (void)rec;
    if (a != self && member.admits(nwid, a)) member.present_credentials(nwid, a, now, out);
  }
}

}  // namespace flatnet::control::service
