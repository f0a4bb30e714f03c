// Services both roles give (spec §4.5, §4.6, §4.9): WHOIS answers, bounded
// toward paths that have not proved a round trip, and path confirmation;
// ECHO; acting on RENDEZVOUS; refusing NETWORK_CONFIG_REQUEST.
#include <sodium.h>

#include <algorithm>

#include "control/core/core.hpp"
#include "control/core/ip_scope.hpp"

namespace flatnet::control {

namespace {

// A second WHOIS before the path is confirmed adds to what waits rather than
// replacing it, so the first one's answers are not lost. What waits follows
// the latest request (its packet ID and path: the path the peer uses now).
// It is bounded like one answer (`cap`, whois_max_answers), which is also all
// a single OK(WHOIS) may carry; the requester asks again for anything beyond.
// `rest` holds no duplicates (on_whois de-duplicated it). Returns how many
// addresses were added.
size_t merge_deferred(Peer::DeferredWhois& d, const PhysicalPath& from, uint64_t in_re,
                      const std::vector<uint64_t>& rest, size_t cap) {
  d.in_re = in_re;
  d.path = from;
  std::vector<uint64_t> had(d.addresses);
  std::sort(had.begin(), had.end());
  size_t added = 0;
  for (uint64_t a : rest) {
    if (d.addresses.size() >= cap) break;
    if (std::binary_search(had.begin(), had.end(), a)) continue;
    d.addresses.push_back(a);
    ++added;
  }
  return added;
}

}  // namespace

void Core::on_whois(Peer& p, const PhysicalPath& from, std::span<const uint8_t> payload,
                    std::vector<uint8_t>& packet, size_t wire_len, uint64_t now, Actions& out) {
  Whois q;
  if (decode_whois(payload, q) != DecodeStatus::kOk) {
    count(Drop::malformed);
    return;
  }
  // One answer per address, however often the request names it.
  std::sort(q.addresses.begin(), q.addresses.end());
  q.addresses.erase(std::unique(q.addresses.begin(), q.addresses.end()), q.addresses.end());
  // To a path that has not proved a round trip, nothing larger than the
  // request: its source address may be forged to aim our answer at someone
  // else. The rest waits for the path to answer a challenge (one ECHO).
  // A relayed WHOIS (hops > 0) came from the relay's address, which is no
  // path of the requester's to confirm: it gets what fits, and the rest when
  // the requester asks again directly.
  const bool direct = wire::packet_hops(packet.data()) == 0;
  const bool confirmed = direct && path_confirmed(p, from);
  std::vector<uint64_t> rest;
  answer_whois(p, from, wire::packet_id(packet.data()), q.addresses,
               confirmed ? wire::kMaxPacketLength : wire_len, true, now, out, &rest);
  if (rest.empty() || confirmed || !direct) return;
  if (!p.whois_deferred) p.whois_deferred = std::make_unique<Peer::DeferredWhois>();
  m_.whois_deferred += merge_deferred(*p.whois_deferred, from, wire::packet_id(packet.data()),
                                      rest, cfg_.limits.whois_max_answers);
  sender_.challenge(p, from, now, out);
}

void Core::answer_whois(Peer& p, const PhysicalPath& to, uint64_t in_re,
                        const std::vector<uint64_t>& addresses, size_t budget, bool forward,
                        uint64_t now, Actions& out, std::vector<uint64_t>* rest) {
  OkWhois ok;
  ok.re = ReplyHeader{wire::Verb::kWhois, in_re};
  size_t size = wire::kPacketHeaderLength + kReplyHeaderLength;
  std::vector<uint8_t> scratch;
  for (uint64_t a : addresses) {
    if (ok.identities.size() >= cfg_.limits.whois_max_answers) break;
    // Our own address too: stock leaves ask their root for it every 5 s
    // (Appendix E.2).
    const Peer* t = a == address() ? nullptr : peers_.find(a);
    const crypto::Identity* id = a == address() ? &cfg_.identity : t ? &t->identity : nullptr;
    if (!id) {
      if (!forward) continue;
      ++m_.whois_unknown;
      sender_.ask_upstream(a, p.identity.address(), now, out);
      continue;
    }
    scratch.clear();
    id->append_binary(scratch, false);
    if (size + scratch.size() > budget) {
      if (rest) rest->push_back(a);
      continue;
    }
    size += scratch.size();
    ok.identities.push_back(*id);
  }
  if (ok.identities.empty()) return;  // no reply when nothing is known (spec §4.5)
  PacketBuilder b(p.identity.address(), address(), wire::Verb::kOk, random_packet_id());
  encode_ok_whois(ok, b.payload());
  if (sender_.send(p, b, to, now, out)) m_.whois_answered += ok.identities.size();
}

bool Core::path_confirmed(const Peer& p, const PhysicalPath& from) const {
  return std::any_of(p.paths.begin(), p.paths.end(),
                     [&](const Path& q) { return q.phys == from && q.confirmed; });
}

void Core::confirm_path(Peer& p, const PhysicalPath& from, uint64_t now, Actions& out) {
  for (Path& q : p.paths)
    if (q.phys == from && !q.confirmed) {
      q.confirmed = true;
      ++m_.paths_confirmed;
    }
  if (!p.whois_deferred || !(p.whois_deferred->path == from) || !path_confirmed(p, from)) return;
  const std::unique_ptr<Peer::DeferredWhois> todo = std::move(p.whois_deferred);
  answer_whois(p, from, todo->in_re, todo->addresses, wire::kMaxPacketLength, false, now, out,
               nullptr);
}

void Core::on_echo(Peer& p, const PhysicalPath& from, std::span<const uint8_t> payload,
                   std::vector<uint8_t>& packet, uint64_t now, Actions& out) {
  uint64_t* last = &p.last_echo_reply;
  for (Path& q : p.paths)
    if (q.phys == from) last = &q.last_echo_reply;
  if (*last != 0 && now < *last + cfg_.limits.echo_interval_ms) {
    count(Drop::echo_limited);
    return;
  }
  *last = now;
  PacketBuilder b(p.identity.address(), address(), wire::Verb::kOk, random_packet_id());
  encode_reply_header(ReplyHeader{wire::Verb::kEcho, wire::packet_id(packet.data())}, b.payload());
  b.payload().bytes(payload);
  if (sender_.send(p, b, from, now, out)) ++m_.echo_answered;
}

void Core::on_rendezvous(Peer& p, const PhysicalPath& from, std::span<const uint8_t> payload,
                         uint64_t now, Actions& out) {
  Rendezvous r;
  if (decode_rendezvous(payload, r) != DecodeStatus::kOk) {
    count(Drop::malformed);
    return;
  }
  // Only upstreams may tell us where to send (spec §4.6, pitfall 8).
  if (!p.is_upstream()) {
    count(Drop::not_upstream);
    return;
  }
  if (!peers_.find(r.with)) {
    ++m_.rendezvous_no_path;
    return;
  }
  if (!usable_for_paths(r.at)) {
    count(Drop::unusable_address);
    return;
  }
  ++m_.rendezvous_received;
  PhysicalPath to{from.local_socket, r.at};
  if (r.at.family == wire::InetAddress::Family::kV4) {
    // Opens our NAT's mapping toward the other side without reaching it.
    std::vector<uint8_t> junk(4);
    randombytes_buf(junk.data(), junk.size());
    out.send.push_back(SendDatagram{to, std::move(junk), 2});
    ++m_.tx_datagrams;
  }
  sender_.hello(r.with, to, now, out);
}

void Core::on_network_config_request(Peer& p, const PhysicalPath& from,
                                     std::span<const uint8_t> payload, uint64_t in_re,
                                     uint64_t now, Actions& out) {
  // No controller lives here: say so, as a stock node without one does.
  wire::Reader r(payload);
  const uint64_t nwid = r.u64();
  if (!r.ok()) {
    count(Drop::malformed);
    return;
  }
  Error e;
  e.re = ReplyHeader{wire::Verb::kNetworkConfigRequest, in_re};
  e.code = ErrorCode::kUnsupportedOperation;
  e.detail.resize(8);
  wire::write_be64(e.detail.data(), nwid);
  PacketBuilder b(p.identity.address(), address(), wire::Verb::kError, random_packet_id());
  encode_error(e, b.payload());
  sender_.send(p, b, from, now, out);
}

}  // namespace flatnet::control
