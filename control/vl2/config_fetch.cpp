// Getting and keeping a network config (spec §4.12, §4.13, §10.1, §10.4):
// NETWORK_CONFIG_REQUEST to the controller (nwid >> 24), chunks from
// OK(NETWORK_CONFIG_REQUEST) and NETWORK_CONFIG verified against the
// controller's identity and reassembled, the status from its ERRORs, and
// ad-hoc networks configured locally.
#include <algorithm>

#include "control/vl2/adhoc.hpp"
#include "control/vl2/frame_codec.hpp"
#include "control/vl2/member.hpp"
#include "crypto/identity.hpp"
#include "dataplane/wire/config_request.hpp"

namespace flatnet::control::vl2 {
namespace {
// What we tell controllers we are (the stock release we are compatible with).
constexpr unsigned kMajor = 1, kMinor = 14, kRevision = 1;
constexpr const char* kOsArch = "linux/x86_64";
}  // namespace

void Member::request_config(Network& n, Ctx& c) {
  if (is_adhoc(n.nwid)) {
    const NetworkStatus before = status(n);
    auto cfg = adhoc_config(n.nwid, self(), c.now);
    if (!cfg) {
      n.failure = Failure::kNotFound;
      status_changed(n, before);
      return;
    }
    std::vector<uint8_t> bytes;
    if (wire::encode_network_config(*cfg, bytes) == wire::ConfigStatus::kOk)
      apply_config(n, std::move(*cfg), std::move(bytes), c.now);
    return;
  }
  wire::ConfigRequest r;
  r.network_id = n.nwid;
  r.metadata = wire::stock_request_metadata(kMajor, kMinor, kRevision, kOsArch);
  if (n.config) {
    r.have_revision = n.config->revision;
    r.have_timestamp = n.config->timestamp;
  }
  std::vector<uint8_t> payload;
  if (!wire::encode_config_request(r, payload)) return;
  send(wire::controller_of(n.nwid), wire::Verb::kNetworkConfigRequest, payload, c);
  counters_.count(Vl2Count::config_requests);
}

void Member::on_config_chunk(const Vl2Packet& pk, bool pushed, Ctx& c) {
  if (pk.payload.size() < 8) {
    counters_.drop(Vl2Drop::config_bad_chunk);
    return;
  }
  const uint64_t nwid = wire::read_be64(pk.payload.data());
  Network* n = find(nwid);
  if (!n) {
    counters_.drop(Vl2Drop::unknown_network);
    return;
  }
  const uint64_t controller = wire::controller_of(nwid);
  const crypto::Identity* ctrl = vl1_.identity_of(controller);
  if (!ctrl) {
    // The sender will repeat (every 5 s we ask again); learn who signs.
    vl1_.want_identity(controller, c.now, c.out);
    counters_.drop(Vl2Drop::config_unknown_controller);
    return;
  }
  std::vector<uint8_t> dict;
  uint64_t update_id = 0;
  wire::ConfigChunk chunk;
  using R = wire::ConfigAssembler::Result;
  const R r = n->assembler.add(pk.payload, *ctrl, &dict, &update_id, &chunk);
  switch (r) {
    case R::kPending:
    case R::kComplete: break;
    case R::kBadSignature: counters_.drop(Vl2Drop::config_bad_signature); return;
    case R::kWrongNetwork: counters_.drop(Vl2Drop::config_not_for_us); return;
    default: counters_.drop(Vl2Drop::config_bad_chunk); return;
  }
  // Fast propagation: a verified chunk goes on, verbatim, to the members we
  // know (not back to its source or to the controller), as stock does.
  if (chunk.flags & wire::kConfigChunkFlagFastPropagate) {
    for (const auto& [peer, m] : n->members)
      if (peer != pk.source && peer != controller && peer != self())
        send(peer, wire::Verb::kNetworkConfig, pk.payload, c);
  }
  if (r != R::kComplete) return;
  wire::NetworkConfig cfg;
  if (wire::decode_network_config(dict, cfg) != wire::ConfigStatus::kOk) {
    counters_.drop(Vl2Drop::config_bad_dictionary);
    return;
  }
  if (!apply_config(*n, std::move(cfg), std::move(dict), c.now)) return;
  if (pushed) {
    // Stock 1.14.1 answers a pushed config with OK whose in-re verb is ECHO.
    uint8_t body[16];
    wire::write_be64(body, nwid);
    wire::write_be64(body + 8, update_id);
    send(pk.source, wire::Verb::kOk, reply_payload(wire::Verb::kEcho, pk.packet_id, body), c);
  }
}

void Member::on_controller_error(const Vl2Packet& pk, Ctx& c) {
  (void)c;
  if (pk.payload.size() < 8) {
    counters_.drop(Vl2Drop::malformed);
    return;
  }
  const uint64_t nwid = wire::read_be64(pk.payload.data());
  Network* n = find(nwid);
  if (!n) {
    counters_.drop(Vl2Drop::unknown_network);
    return;
  }
  if (pk.source != wire::controller_of(nwid)) {
    counters_.drop(Vl2Drop::not_from_controller);
    return;
  }
  const NetworkStatus before = status(*n);
  switch (ErrorCode(pk.error_code)) {
    case ErrorCode::kObjNotFound:
    case ErrorCode::kUnsupportedOperation: n->failure = Failure::kNotFound; break;
    case ErrorCode::kNetworkAccessDenied: n->failure = Failure::kAccessDenied; break;
    case ErrorCode::kNetworkAuthenticationRequired:
      n->failure = Failure::kAuthenticationRequired;
      break;
    default: counters_.drop(Vl2Drop::unexpected_reply); return;
  }
  status_changed(*n, before);
}

bool Member::apply_config(Network& n, wire::NetworkConfig cfg, std::vector<uint8_t> bytes,
                          uint64_t now) {
  if (cfg.network_id != n.nwid || cfg.issued_to != self()) {
    counters_.drop(Vl2Drop::config_not_for_us);
    return false;
  }
  const NetworkStatus before = status(n);
  n.failure = Failure::kNone;
  n.config = std::move(cfg);
  n.config_bytes = std::move(bytes);
  n.config_received_at = now;
  n.last_config_update = now;
  const wire::NetworkConfig& k = *n.config;
  n.local_tags.clear();
  for (const auto& t : k.tags) n.local_tags.push_back({t.id, t.value});
  std::sort(n.local_tags.begin(), n.local_tags.end(),
            [](const auto& a, const auto& b) { return a.id < b.id; });
  n.local_capabilities.clear();
  for (const auto& cap : k.capabilities) n.local_capabilities.emplace_back(cap.rules);
  n.bridges.clear();
  n.we_are_bridge = false;
  for (uint64_t s : k.specialists) {
    if (!(s & wire::kSpecialistActiveBridge)) continue;
    const uint64_t a = s & 0xffffffffffULL;
    if (a == self()) n.we_are_bridge = true;
    n.bridges.push_back(a);
  }
  // Bridge routes are only valid through peers that are still bridges.
  std::erase_if(n.bridge_routes, [&](const auto& e) {
    return std::find(n.bridges.begin(), n.bridges.end(), e.second) == n.bridges.end();
  });
  n.groups = n.tap_groups;
  if (k.broadcast_enabled()) {
    const MulticastGroup bcast{0xffffffffffffULL, 0};
    if (std::find(n.groups.begin(), n.groups.end(), bcast) == n.groups.end())
      n.groups.push_back(bcast);
  }
  counters_.count(Vl2Count::configs_applied);
  pending_.events.push_back({MemberEvent::Kind::kConfig, n.nwid});
  status_changed(n, before);
  return true;
}

}  // namespace flatnet::control::vl2
