// Unicast Ethernet frames both ways (spec §4.7, §4.8, §5.2): from the tap
// to a member (FRAME) or to a host behind a bridge (EXT_FRAME), and from
// peers to the tap, with the membership gate and the rules (§10.9) on
// every frame in and out.
#include <algorithm>

#include "control/port/addressing.hpp"
#include "control/vl2/frame_codec.hpp"
#include "control/vl2/member.hpp"
#include "control/vl2/ndp_emulation.hpp"
#include "crypto/identity.hpp"

namespace flatnet::control::vl2 {

namespace fv = ::flatnet::vl2;

namespace {

// Ownership for the SENDER_*_AUTHENTICATED characteristics: the
// certificates of ownership of the frame's sender and, for a peer's frame
// (`ndp_config` set), the addresses NDP emulation derives from member
// addresses (stock's hasCertificateOfOwnershipFor, which ends with
// _isV6NDPEmulated; our own outbound frames get only our COOs, as stock).
class CooOwnership final : public fv::Ownership {
 public:
  explicit CooOwnership(std::span<const wire::CertificateOfOwnership> coos,
                        const wire::NetworkConfig* ndp_config = nullptr)
      : coos_(coos), ndp_config_(ndp_config) {}
  bool owns_ip(std::span<const uint8_t> ip) const override {
    const wire::InetAddress a = ip.size() == 4 ? wire::InetAddress::v4(ip.data(), 0)
                                               : wire::InetAddress::v6(ip.data(), 0);
    return std::any_of(coos_.begin(), coos_.end(), [&](const auto& c) { return c.owns_ip(a); }) ||
           (ndp_config_ && ndp_emulated_owner(*ndp_config_, ip));
  }
  bool owns_mac(const fv::Mac& mac) const override {
    for (const auto& c : coos_)
      for (const auto& t : c.things)
        if (t.type == wire::CooThing::kMac && std::equal(mac.begin(), mac.end(), t.value.begin()))
          return true;
    return false;
  }

 private:
  std::span<const wire::CertificateOfOwnership> coos_;
  const wire::NetworkConfig* ndp_config_;
};

uint64_t mac_of(const fv::Mac& m) { return port::mac_from_bytes(m.data()); }

std::vector<uint8_t> ethernet(uint64_t dest, uint64_t src, uint16_t ethertype,
                              std::span<const uint8_t> data) {
  std::vector<uint8_t> f(14 + data.size());
  const auto d = port::mac_bytes(dest), s = port::mac_bytes(src);
  std::copy(d.begin(), d.end(), f.begin());
  std::copy(s.begin(), s.end(), f.begin() + 6);
  f[12] = uint8_t(ethertype >> 8);
  f[13] = uint8_t(ethertype);
  std::copy(data.begin(), data.end(), f.begin() + 14);
  return f;
}

}  // namespace

fv::FilterResult Member::filter(Network& n, fv::Direction dir, uint64_t peer,
                                const fv::FrameView& f) {
  const wire::NetworkConfig& k = *n.config;
  fv::FilterInput in;
  in.direction = dir;
  in.self = self();
  in.peer = peer;
  in.frame = &f;
  in.local_tags = fv::TagSet{n.local_tags};
  in.random = &rule_random_;
  in.unsupported_match_result = (k.flags & wire::kConfigFlagUnsupportedMatchIsMatch) != 0;
  auto it = peer ? n.members.find(peer) : n.members.end();
  const Membership* m = it == n.members.end() ? nullptr : &it->second;
  const auto remote_values = m ? m->tags(k) : std::vector<fv::TagValue>{};
  fv::TagSet remote{remote_values};
  if (m) in.remote_tags = &remote;
  if (dir == fv::Direction::kOutbound) {
    CooOwnership own(k.coos);
    in.ownership = &own;
    return fv::evaluate(in, k.rules, n.local_capabilities);
  }
  // Without a record of the sender it owns no COO, but the NDP-emulated
  // prefixes still count: stock's filter makes an empty record for every
  // inbound sender (Network::_membership). (pass_gate makes one here too, so
  // this is for a record pruned in between.)
  const auto coos = m ? m->coos(k) : std::vector<wire::CertificateOfOwnership>{};
  CooOwnership own(coos, &k);
  in.ownership = &own;
  const auto caps = m ? m->capability_rules(k) : std::vector<std::span<const wire::Rule>>{};
  return fv::evaluate(in, k.rules, caps);
}

void Member::send_rule_copies(Network& n, const fv::FilterResult& r, bool inbound,
                              uint64_t dest_mac, uint64_t src_mac, uint16_t ethertype,
                              std::span<const uint8_t> data, Ctx& c) {
  for (const fv::CopyTarget* t : {&r.copy, &r.capability_copy}) {
    if (t->address == 0 || t->address == self()) continue;
    const uint8_t flags = t->watch ? (inbound ? 0x1c : kExtFlagWatch)
                                   : (inbound ? 0x08 : kExtFlagTee);
    const auto part = data.first(std::min<size_t>(t->length, data.size()));
    send(t->address, wire::Verb::kExtFrame,
         encode_ext_frame(n.nwid, flags, dest_mac, src_mac, ethertype, part), c);
    counters_.count(Vl2Count::rule_copies);
  }
  if (r.verdict == fv::Verdict::kRedirect && r.redirect_to && r.redirect_to != self()) {
    send(r.redirect_to, wire::Verb::kExtFrame,
         encode_ext_frame(n.nwid, kExtFlagRedirect, dest_mac, src_mac, ethertype, data), c);
    counters_.count(Vl2Count::rule_copies);
  }
}

bool Member::deliver(Network& n, uint64_t peer, uint64_t dest_mac, uint64_t src_mac,
                     uint16_t ethertype, std::span<const uint8_t> data, bool multicast, Ctx& c) {
  TapFrame tf{n.nwid, ethernet(dest_mac, src_mac, ethertype, data)};
  fv::FrameView f;
  fv::parse_ethernet(tf.frame, f);
  const fv::FilterResult r = filter(n, fv::Direction::kInbound, peer, f);
  if (r.verdict == fv::Verdict::kDrop) {
    counters_.drop(Vl2Drop::rules);
    return false;
  }
  send_rule_copies(n, r, true, dest_mac, src_mac, ethertype, data, c);
  if (r.verdict == fv::Verdict::kRedirect) return false;
  pending_.to_tap.push_back(std::move(tf));
  if (multicast) {
    counters_.count(Vl2Count::rx_multicast);
  } else {
    counters_.count(Vl2Count::rx_frames);
    n.recent.touch(peer, c.now);
  }
  return true;
}

void Member::learn_bridge_route(Network& n, uint64_t mac, uint64_t bridge) {
  auto it = n.bridge_routes.find(mac);
  if (it != n.bridge_routes.end()) {
    it->second = bridge;  // the host moved behind another bridge
    return;
  }
  // Bounded: an arbitrary old route makes room (relearned on its next frame).
  if (n.bridge_routes.size() >= kMaxBridgeRoutes) n.bridge_routes.erase(n.bridge_routes.begin());
  n.bridge_routes.emplace(mac, bridge);
  counters_.count(Vl2Count::bridge_routes_learned);
}

void Member::on_frame(const Vl2Packet& pk, Ctx& c) {
  FrameMsg m;
  if (!decode_frame(pk.payload, m)) {
    counters_.drop(Vl2Drop::malformed);
    return;
  }
  Network* n = find(m.nwid);
  if (!n) return counters_.drop(Vl2Drop::unknown_network);
  if (!n->config) return counters_.drop(Vl2Drop::no_config);
  if (!pass_gate(*n, pk, c)) return hold(*n, pk, c);
  if (m.payload.size() > n->config->mtu) return counters_.drop(Vl2Drop::oversize);
  deliver(*n, pk.source, n->mac, port::member_mac(pk.source, m.nwid), m.ethertype, m.payload,
          false, c);
}

void Member::on_ext_frame(const Vl2Packet& pk, Ctx& c) {
  ExtFrameMsg m;
  if (!decode_ext_frame(pk.payload, m)) return counters_.drop(Vl2Drop::malformed);
  Network* n = find(m.nwid);
  if (!n) return counters_.drop(Vl2Drop::unknown_network);
  if (!n->config) return counters_.drop(Vl2Drop::no_config);
  if (m.com) add_com(*n, *m.com, c);  // the deprecated inline COM still counts
  if (!pass_gate(*n, pk, c)) return hold(*n, pk, c);
  if (m.payload.size() > n->config->mtu) return counters_.drop(Vl2Drop::oversize);
  const auto src = port::mac_bytes(m.source);
  if (m.source == 0 || m.source == n->mac || (src[0] & 1))
    return counters_.drop(Vl2Drop::bad_source_mac);
  if (m.source != port::member_mac(pk.source, m.nwid)) {
    // A host behind the sender: only an active bridge may speak for one.
    if (std::find(n->bridges.begin(), n->bridges.end(), pk.source) == n->bridges.end())
      return counters_.drop(Vl2Drop::not_bridge);
    learn_bridge_route(*n, m.source, pk.source);
  }
  const bool multicast = (port::mac_bytes(m.dest)[0] & 1) != 0;
  if (!multicast && m.dest != n->mac && !n->we_are_bridge)
    return counters_.drop(Vl2Drop::bridging_not_allowed);
  if (multicast && n->config->multicast_limit == 0)
    return counters_.drop(Vl2Drop::multicast_disabled);
  if (!deliver(*n, pk.source, m.dest, m.source, m.ethertype, m.payload, multicast, c)) return;
  if (m.flags & kExtFlagAck) {
    uint8_t body[8];
    wire::write_be64(body, m.nwid);
    send(pk.source, wire::Verb::kOk, reply_payload(wire::Verb::kExtFrame, pk.packet_id, body), c);
  }
}

void Member::from_tap(uint64_t nwid, std::span<const uint8_t> frame, uint64_t now,
                      Actions& out) {
  Ctx c{now, out};
  Network* n = find(nwid);
  if (!n) return counters_.drop(Vl2Drop::unknown_network);
  if (!n->config) return counters_.drop(Vl2Drop::no_config);
  fv::FrameView f;
  if (!fv::parse_ethernet(frame, f)) return counters_.drop(Vl2Drop::malformed);
  if (f.payload.size() > n->config->mtu) return counters_.drop(Vl2Drop::oversize);
  const uint64_t src = mac_of(f.source);
  // Another source MAC is a LAN host's frame; only a bridge may carry it.
  if (src == 0 || fv::is_multicast(f.source) || (src != n->mac && !n->we_are_bridge))
    return counters_.drop(Vl2Drop::bad_source_mac);
  if (fv::is_multicast(f.dest)) return multicast_from_tap(*n, f, src, c);
  unicast_from_tap(*n, f, mac_of(f.dest), src, c);
}

void Member::unicast_from_tap(Network& n, const fv::FrameView& f, uint64_t dest_mac,
                              uint64_t src_mac, Ctx& c) {
  std::vector<uint64_t> to;
  // A host learned behind a bridge first: a LAN host's locally administered
  // MAC can share the network's first octet (1 in 64 at random), and read as
  // a member's it names an address nobody has.
  if (auto r = n.bridge_routes.find(dest_mac); r != n.bridge_routes.end()) {
    to.push_back(r->second);
  } else if (port::is_member_mac(dest_mac, n.nwid)) {
    to.push_back(port::mac_to_address(dest_mac, n.nwid));
  } else {
    // Unknown host behind some bridge: every active bridge gets a copy, as
    // stock does (bounded by ZT_MAX_BRIDGE_SPAM).
    for (uint64_t b : n.bridges)
      if (b != self() && to.size() < kMaxBridgeSpam) to.push_back(b);
    if (to.empty()) return counters_.drop(Vl2Drop::no_bridge);
  }
  for (uint64_t peer : to) {
    if (peer == self()) {
      counters_.drop(Vl2Drop::self_destination);
      continue;
    }
    const fv::FilterResult r = filter(n, fv::Direction::kOutbound, peer, f);
    if (r.verdict == fv::Verdict::kDrop) {
      counters_.drop(Vl2Drop::rules);
      continue;
    }
    send_rule_copies(n, r, false, dest_mac, src_mac, f.ethertype, f.payload, c);
    if (r.verdict == fv::Verdict::kRedirect) continue;
    push_credentials_if_needed(n, peer, c);
    // FRAME only when both MACs are the members' own; anything bridged
    // travels as EXT_FRAME with the MACs spelled out.
    if (src_mac == n.mac && dest_mac == port::member_mac(peer, n.nwid)) {
      // The frame goes from the tap's buffer straight into the packet.
      uint8_t head[10];
      wire::write_be64(head, n.nwid);
      head[8] = uint8_t(f.ethertype >> 8);
      head[9] = uint8_t(f.ethertype);
      vl1_.send_parts_to(peer, wire::Verb::kFrame, head, f.payload, c.now, c.out);
    } else {
      send(peer, wire::Verb::kExtFrame,
           encode_ext_frame(n.nwid, 0, dest_mac, src_mac, f.ethertype, f.payload), c);
    }
    counters_.count(Vl2Count::tx_frames);
    n.recent.touch(peer, c.now);
  }
}

}  // namespace flatnet::control::vl2
