// Credentials on the wire (spec §4.11, §10.5-§10.8): our COM, capabilities,
// tags and certificates of ownership pushed to peers before the first frame
// and on request; theirs verified against the controller and kept per
// peer; revocations applied at once and re-broadcast when they ask for
// fast propagation; and the membership gate of §10.7.
#include <algorithm>

#include "control/vl2/frame_codec.hpp"
#include "control/vl2/member.hpp"
#include "crypto/identity.hpp"
#include "dataplane/wire/network_credentials.hpp"

namespace flatnet::control::vl2 {

bool Member::gate(const Network& n, uint64_t peer, const crypto::Identity* id) const {
  if (!n.config) return false;
  if (n.config->is_public()) return true;
  if (!id) return false;
  auto it = n.members.find(peer);
  return it != n.members.end() && it->second.admits(*n.config, *id);
}

bool Member::pass_gate(Network& n, const Vl2Packet& pk, Ctx& c) {
  if (!gate(n, pk.source, pk.identity)) return false;
  membership(n, pk.source, c.now);
  return true;
}

Membership& Member::membership(Network& n, uint64_t peer, uint64_t now) {
  auto it = n.members.find(peer);
  if (it == n.members.end()) {
    if (n.members.size() >= kMaxMemberships) {
      // Bounded: the record idle longest makes room (it is rebuilt from the
      // peer's next credentials if it comes back).
      auto oldest = std::min_element(n.members.begin(), n.members.end(), [](auto& a, auto& b) {
        return a.second.last_seen < b.second.last_seen;
      });
      n.members.erase(oldest);
    }
    it = n.members.try_emplace(peer).first;
  }
  it->second.last_seen = now;
  return it->second;
}

void Member::push_credentials(Network& n, uint64_t peer, Ctx& c) {
  if (!n.config || peer == self()) return;
  wire::NetworkCredentials nc;
  if (n.config->com) nc.coms.push_back(*n.config->com);
  nc.capabilities = n.config->capabilities;
  nc.tags = n.config->tags;
  nc.coos = n.config->coos;
  std::vector<uint8_t> payload;
  if (!wire::encode_network_credentials(nc, payload)) return;
  send(peer, wire::Verb::kNetworkCredentials, payload, c);
  membership(n, peer, c.now).last_pushed = c.now;
  counters_.count(Vl2Count::credentials_pushed);
}

void Member::push_credentials_if_needed(Network& n, uint64_t peer, Ctx& c) {
  if (!n.config || !n.config->com) return;  // nothing to show (public / ad-hoc)
  const Membership& m = membership(n, peer, c.now);
  if (m.last_pushed < n.last_config_update || c.now - m.last_pushed > kCredentialsRepushMs)
    push_credentials(n, peer, c);
}

void Member::on_need_credentials(const Vl2Packet& pk, Ctx& c) {
  if (pk.payload.size() < 8) {
    counters_.drop(Vl2Drop::malformed);
    return;
  }
  Network* n = find(wire::read_be64(pk.payload.data()));
  if (!n) {
    counters_.drop(Vl2Drop::unknown_network);
    return;
  }
  if (!n->config || !n->config->com) return;
  const Membership& m = membership(*n, pk.source, c.now);
  if (m.last_pushed < n->last_config_update || c.now - m.last_pushed > kCredentialsRequestRateMs)
    push_credentials(*n, pk.source, c);
}

void Member::hold(Network& n, const Vl2Packet& pk, Ctx& c) {
  send(pk.source, wire::Verb::kError,
       error_payload(pk.verb, pk.packet_id, ErrorCode::kNeedMembershipCertificate, n.nwid), c);
  counters_.count(Vl2Count::credentials_requested);
  if (n.held.size() >= kMaxHeld) {
    n.held.pop_front();
    counters_.drop(Vl2Drop::held_full);
  }
  n.held.push_back({pk.source, pk.verb, pk.packet_id, c.now + kHoldMs,
                    {pk.payload.begin(), pk.payload.end()}});
  counters_.count(Vl2Count::frames_held);
}

bool Member::request_credentials(uint64_t nwid, uint64_t peer, uint64_t now, Actions& out) {
  Network* n = find(nwid);
  if (!n || !n->config || n->config->is_public()) return false;
  Ctx c{now, out};
  send(peer, wire::Verb::kError, error_payload(wire::Verb::kFrame, 0, ErrorCode::kNeedMembershipCertificate, nwid), c);
  counters_.count(Vl2Count::credentials_requested);
  return true;
}

bool Member::present_credentials(uint64_t nwid, uint64_t peer, uint64_t now, Actions& out) {
  Network* n = find(nwid);
  if (!n || !n->config || !n->config->com) return false;
  Ctx c{now, out};
  push_credentials_if_needed(*n, peer, c);
  return true;
}

void Member::replay_held(uint64_t peer, Ctx& c) {
  const crypto::Identity* id = vl1_.identity_of(peer);
  for (auto& [nwid, n] : networks_) {
    if (n.held.empty() || !gate(n, peer, id)) continue;
    std::vector<HeldFrame> again;
    for (auto it = n.held.begin(); it != n.held.end();) {
      if (it->peer == peer) {
        again.push_back(std::move(*it));
        it = n.held.erase(it);
      } else {
        ++it;
      }
    }
    for (const HeldFrame& h : again) {
      Vl2Packet pk;
      pk.kind = Vl2Packet::Kind::kRequest;
      pk.source = peer;
      pk.identity = id;
      pk.verb = h.verb;
      pk.packet_id = h.packet_id;
      pk.payload = h.payload;
      packet(pk, c.now, c.out);
    }
  }
}

namespace {
// Maps a verification result to a drop (and asks for a missing signer).
template <typename Counters, typename Link>
bool verified(wire::VerifyResult r, uint64_t need, Counters& counters, Link& vl1, uint64_t now,
              Actions& out) {
  if (r == wire::VerifyResult::kOk) return true;
  if (r == wire::VerifyResult::kNeedIdentity) {
    vl1.want_identity(need, now, out);
    counters.drop(Vl2Drop::credential_need_identity);
  } else {
    counters.drop(Vl2Drop::credential_bad_signature);
  }
  return false;
}
}  // namespace

AddResult Member::add_com(Network& n, const wire::CertificateOfMembership& com, Ctx& c) {
  if (com.network_id() != n.nwid || com.issued_to() == 0) return AddResult::kRejected;
  const wire::IdentityLookup lookup = [this](uint64_t a) { return vl1_.identity_of(a); };
  uint64_t need = 0;
  if (!verified(wire::com_verify(com, lookup, &need), need, counters_, vl1_, c.now, c.out))
    return AddResult::kRedundant;  // counted already
  return membership(n, com.issued_to(), c.now).add_com(com);
}

void Member::on_credentials(const Vl2Packet& pk, Ctx& c) {
  auto [seen, fresh] = credentials_seen_.try_emplace(pk.source, c.now);
  if (!fresh) {
    if (c.now - seen->second < kCredentialsRequestRateMs) {
      counters_.drop(Vl2Drop::credential_rate_limited);
      return;
    }
    seen->second = c.now;
  }
  wire::NetworkCredentials nc;
  if (wire::decode_network_credentials(pk.payload, nc) != wire::CredentialStatus::kOk) {
    counters_.drop(Vl2Drop::credential_malformed);
    return;
  }
  const wire::IdentityLookup lookup = [this](uint64_t a) { return vl1_.identity_of(a); };
  bool accepted = false;
  auto note = [&](AddResult r) {
    if (r == AddResult::kAccepted) accepted = true;
    if (r == AddResult::kRejected) counters_.drop(Vl2Drop::credential_rejected);
  };
  uint64_t need = 0;
  for (const auto& com : nc.coms)
    if (Network* n = find(com.network_id())) note(add_com(*n, com, c));
  for (const auto& cap : nc.capabilities) {
    Network* n = find(cap.network_id);
    if (!n || cap.issued_to() == 0) continue;
    if (!verified(wire::capability_verify(cap, lookup, &need), need, counters_, vl1_, c.now,
                  c.out))
      continue;
    note(membership(*n, cap.issued_to(), c.now).add_capability(cap));
  }
  for (const auto& tag : nc.tags) {
    Network* n = find(tag.network_id);
    if (!n || tag.issued_to == 0) continue;
    if (!verified(wire::tag_verify(tag, lookup, &need), need, counters_, vl1_, c.now, c.out))
      continue;
    note(membership(*n, tag.issued_to, c.now).add_tag(tag));
  }
  for (const auto& coo : nc.coos) {
    Network* n = find(coo.network_id);
    if (!n || coo.issued_to == 0) continue;
    if (!verified(wire::coo_verify(coo, lookup, &need), need, counters_, vl1_, c.now, c.out))
      continue;
    note(membership(*n, coo.issued_to, c.now).add_coo(coo));
  }
  for (const auto& rev : nc.revocations) {
    Network* n = find(rev.network_id);
    if (!n || rev.target == 0 || rev.target == self()) continue;
    if (!verified(wire::revocation_verify(rev, lookup, &need), need, counters_, vl1_, c.now,
                  c.out))
      continue;
    if (membership(*n, rev.target, c.now).revoke(rev) != AddResult::kAccepted) continue;
    counters_.count(Vl2Count::revocations_applied);
    if (!rev.fast_propagate()) continue;
    // Stock's re-broadcast: the revocation alone, to every member we hold
    // a record of but the one it came from and its signer.
    wire::NetworkCredentials fwd;
    fwd.revocations.push_back(rev);
    std::vector<uint8_t> payload;
    if (!wire::encode_network_credentials(fwd, payload)) continue;
    for (const auto& [peer, m] : n->members) {
      if (peer == pk.source || peer == rev.signed_by || peer == self()) continue;
      send(peer, wire::Verb::kNetworkCredentials, payload, c);
      counters_.count(Vl2Count::revocations_forwarded);
    }
  }
  if (accepted) replay_held(pk.source, c);
}

}  // namespace flatnet::control::vl2
