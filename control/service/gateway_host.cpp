#include "control/service/gateway_host.hpp"

#include <algorithm>
#include <cstring>

#include "control/port/addressing.hpp"
#include "control/vl2/ndp_emulation.hpp"
#include "dataplane/wire/bytes.hpp"
#include "dataplane/wire/rules.hpp"

namespace flatnet::control::service {

namespace {

// Tags and capability tables as the data plane's CREDS_CHUNK takes them
// (h-gwrules: the rules' credentials on the fast path).
ipc::vl2::Credentials credentials_of(std::span<const ::flatnet::vl2::TagValue> tags,
                                     std::span<const std::span<const wire::Rule>> caps) {
  ipc::vl2::Credentials c;
  for (const auto& t : tags) c.tags.push_back({t.id, t.value});
  std::sort(c.tags.begin(), c.tags.end());  // the data plane wants ascending, unique ids
  c.tags.erase(std::unique(c.tags.begin(), c.tags.end(), [](auto& a, auto& b) { return a.id == b.id; }), c.tags.end());
  uint32_t index = 0;
  for (const auto& rules : caps) {
    ipc::vl2::Capability k;
    k.id = index++;  // the order is what the filter uses; the ids are not compared
    wire::Writer w(k.rules);
    wire::write_rules(w, rules);
    c.caps.push_back(std::move(k));
  }
  return c;
}

// What certificates of ownership say a member owns, as the data plane's
// SENDER_IP/MAC_AUTHENTICATED check takes it (sorted, unique lists).
void add_owned(std::span<const wire::CertificateOfOwnership> coos, ipc::vl2::Credentials& c) {
  for (const auto& coo : coos)
    for (const auto& t : coo.things) {
      if (t.type == wire::CooThing::kIpv4) c.ips4.push_back({t.value[0], t.value[1], t.value[2], t.value[3]});
      else if (t.type == wire::CooThing::kIpv6) std::copy_n(t.value.begin(), 16, c.ips6.emplace_back().begin());
      else if (t.type == wire::CooThing::kMac) c.macs.push_back(port::mac_from_bytes(t.value.data()));
    }
  c.sort_owned();
}

bool worth_sending(const ipc::vl2::Credentials& c) { return !c.tags.empty() || !c.caps.empty() || c.owns_any(); }

}  // namespace

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
  d.settings.loop_guard = n->settings.loop_guard;  // <nwid>.local.conf loopGuard=0 turns it off
  if (!cfg.rules.empty()) {
    wire::Writer w(d.rules, FLATNET_IPC_VL2_RULES_MAX);
    wire::write_rules(w, cfg.rules);
    if (!w.ok()) d.rules.clear();  // too long for the data plane: none (accept all)
  }
  d.unsupported_match = (cfg.flags & wire::kConfigFlagUnsupportedMatchIsMatch) != 0;
  // Our own tags and capabilities (config order), what our config's
  // certificates of ownership name (outbound frames) and the NDP-emulated
  // prefixes (inbound); a member's below. Empty ones are not sent: the fast
  // path reads none as none.
  {
    auto c = credentials_of(n->local_tags, n->local_capabilities);
    add_owned(cfg.coos, c);
    const vl2::NdpPrefixes ndp = vl2::ndp_prefixes(cfg);
    c.ndp_6plane = ndp.sixplane;
    c.ndp_rfc4193 = ndp.rfc4193;
    if (worth_sending(c)) d.creds[0] = std::move(c);
  }

  const uint64_t self = core.self().address();
  auto is_bridge = [&](uint64_t a) { return std::find(n->bridges.begin(), n->bridges.end(), a) != n->bridges.end(); };
  // Members whose credentials pass the gate now; on a public network every
  // peer with a record. Their key and suite come with them: a member the
  // core has no key for yet is left to the punt path (the core learns it).
  for (const auto& [addr, rec] : n->members) {
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
    // Its verified tags and capabilities (in id order, as stock asks them
    // inbound) and certificates of ownership (within the time window).
    auto c = credentials_of(rec.tags(cfg), rec.capability_rules(cfg));
    add_owned(rec.coos(cfg), c);
    if (worth_sending(c)) d.creds[addr] = std::move(c);
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
  // Subscribers from gathers (groups LAN hosts send to) that never talked
  // to us: the member asks them too, the core looks up their identity first.
  n->subscriptions.for_each([&](const MulticastGroup&, uint64_t a) {
    if (a == self || member.admits(nwid, a) || std::find(ask.begin(), ask.end(), a) != ask.end()) return;
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
  // The peers the data plane still served when we attached (remeet()):
  // those admitted meanwhile are done, the others asked a bounded number
  // per scan; the core WHOISes the ones it does not know.
  if (!remeet_.empty() && now >= remeet_until_) remeet_.clear();
  std::erase_if(remeet_, [&](uint64_t a) {
    const Peer* p = core.peers().find(a);
    return a == self || (p && p->is_upstream()) || member.admits(nwid, a);
  });
  size_t remeets = 0;
  for (uint64_t a : remeet_) {
    if (remeets >= kMaxRemeetPerScan) break;
    auto it = asked_.find(a);
    if (it != asked_.end() && now - it->second < kSolicitMs) continue;
    if (std::find(ask.begin(), ask.end(), a) != ask.end()) continue;
    ask.push_back(a);
    ++remeets;
  }
  for (uint64_t a : ask) {
    // No root reached yet (a restarted control, its network config and
    // peers restored from disk): asked at a later scan, not marked asked.
    if (!core.can_send_to(a, now)) continue;
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

void GatewayHost::remeet(const std::vector<uint64_t>& peers, uint64_t now) {
  remeet_until_ = now + kRemeetMs;
  // What was asked before the data plane took our packets (a control
  // starts with its network config and peers from disk and solicits at
  // once; the session is up only now) is lost: ask again, at once.
  asked_.clear();
  next_scan_ = 0;
  for (uint64_t a : peers) remeet_.push_back(a & wire::kAddressMask);
  std::sort(remeet_.begin(), remeet_.end());
  remeet_.erase(std::unique(remeet_.begin(), remeet_.end()), remeet_.end());
  if (remeet_.size() > kMaxSolicited) remeet_.resize(kMaxSolicited);
}

void GatewayHost::lan_group(uint64_t nwid, const MulticastGroup& g, uint32_t kind, uint64_t now) {
  if (nwid == 0 || nwid != lan_nwid_) return;
  ++lan_events_;
  const auto key = std::make_pair(g.mac, g.adi);
  if (kind == FLATNET_IPC_VL2_GROUP_SENT) {
    auto it = gathered_.find(key);
    if (it == gathered_.end()) {
      if (gathered_.size() >= kMaxLanGroups) return;
      gathered_.emplace(key, 0);
    } else if (now - it->second >= kLanGatherMs) {
      it->second = 0;  // due again
    }
    return;
  }
  if (kind != FLATNET_IPC_VL2_GROUP_JOINED) return;
  auto it = joined_.find(key);
  if (it != joined_.end()) {
    it->second = now;
    return;
  }
  if (joined_.size() >= kMaxLanGroups) return;
  joined_.emplace(key, now);
  joined_changed_ = true;
}

void GatewayHost::lan_tick(uint64_t nwid, vl2::Member& member, uint64_t now, Actions& out) {
  if (nwid != lan_nwid_) {  // a data plane bridging another network: start over
    lan_nwid_ = nwid;
    joined_changed_ = !joined_.empty();
    joined_.clear();
    gathered_.clear();
  }
  unsigned gathers = 0;
  for (auto it = gathered_.begin(); it != gathered_.end() && gathers < kMaxGathersPerTick;) {
    if (it->second == 0) {
      member.gather(nwid, MulticastGroup{it->first.first, it->first.second}, now, out);
      it->second = now ? now : 1;
      ++gathers;
    } else if (now - it->second >= kLanGroupExpireMs) {  // not sent to for long: forgotten
      it = gathered_.erase(it);
      continue;
    }
    ++it;
  }
  if (now >= next_expiry_) {
    next_expiry_ = now + 1'000;
    joined_changed_ |= std::erase_if(joined_, [&](const auto& e) { return now - e.second >= kLanGroupExpireMs; }) > 0;
  }
  if (!joined_changed_) return;
  std::vector<MulticastGroup> groups;
  groups.reserve(joined_.size());
  for (const auto& [k, when] : joined_) groups.push_back({k.first, k.second});
  member.set_subscriptions(nwid, std::move(groups), now, out);
  joined_changed_ = false;
}

}  // namespace flatnet::control::service
