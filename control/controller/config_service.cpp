#include "control/controller/config_service.hpp"

#include "control/controller/config_builder.hpp"
#include "control/core/packet.hpp"
#include "control/core/verbs.hpp"
#include "dataplane/wire/config_chunk.hpp"
#include "dataplane/wire/config_request.hpp"
#include "dataplane/wire/credential.hpp"

namespace flatnet::control::controller {
namespace {

// Stock's token check: metadata "a" = "token:<t>", <t> a key of the
// network's authTokens whose expiry is 0 or in the future.
bool token_admits(const Network& n, const wire::Dictionary& md, int64_t wall, std::string* token) {
  const std::string* a = md.get("a");
  if (!a || a->size() <= 6 || a->compare(0, 6, "token:") != 0) return false;
  if (!n.auth_tokens.is_object()) return false;
  auto it = n.auth_tokens.find(a->substr(6));
  if (it == n.auth_tokens.end() || !it->is_number()) return false;
  const double expiry = it->get<double>();
  if (expiry != 0 && expiry <= double(wall)) return false;
  *token = a->substr(6);
  return true;
}

}  // namespace

ConfigService::ConfigService(Vl1Link& vl1, store::Store& store, WallClock wall)
    : vl1_(vl1), store_(store), wall_(std::move(wall)), index_(store) {
  // Changes made before we start are in the records we read on demand; the
  // journal matters from here on.
  std::string err;
  journal_started_ = store_.last_change(journal_seq_, &err) == store::Status::kOk;
}

uint64_t ConfigService::address() const { return vl1_.self().address(); }

void ConfigService::packet(const Vl2Packet& pk, uint64_t now, Actions& out) {
  // OK(NETWORK_CONFIG) acknowledges a push; nothing depends on it.
  if (pk.kind != Vl2Packet::Kind::kRequest || pk.verb != wire::Verb::kNetworkConfigRequest ||
      !pk.identity)
    return;
  wire::ConfigRequest req;
  if (wire::decode_config_request(pk.payload, req) != wire::RequestStatus::kOk) {
    ++c_.malformed;
    return;
  }
  if (wire::controller_of(req.network_id) != address()) {
    ++c_.not_ours;
    return;
  }
  switch (online_.admit(req.network_id, pk.source, now)) {
    case OnlineMembers::Admit::kYes: break;
    case OnlineMembers::Admit::kTooSoon: ++c_.rate_limited; return;
    case OnlineMembers::Admit::kFull: ++c_.online_full; return;
  }
  ++c_.requests;
  answer(req.network_id, *pk.identity, req.metadata, pk.packet_id, now, out);
}

void ConfigService::answer(uint64_t nwid, const crypto::Identity& id,
                           const wire::Dictionary& metadata, uint64_t request_id, uint64_t now,
                           Actions& out) {
  const uint64_t addr = id.address();
  const int64_t wall = wall_();
  std::string err;
  Network n;
  switch (store_.get_network(nwid, n, &err)) {
    case store::Status::kOk: break;
    case store::Status::kNotFound:
      // No entry kept for a network that does not exist: requests for any
      // of 2^24 IDs must not grow the table.
      online_.erase(nwid, addr);
      ++c_.not_found;
      send_error(nwid, addr, request_id, uint8_t(ErrorCode::kObjNotFound), now, out);
      return;
    default: ++c_.store_errors; return;
  }
  Member m;
  bool is_new = false;
  switch (store_.get_member(nwid, addr, m, &err)) {
    case store::Status::kOk: break;
    case store::Status::kNotFound:
      is_new = true;
      m = Member{};
      m.nwid = nwid;
      m.address = addr;
      m.creation_time = wall;
      break;
    default: ++c_.store_errors; return;
  }
  const Member stored = m;
  const std::string id_text = id.to_string(false);
  if (m.identity && !m.identity->empty()) {
    // A known member's identity must match in full: an address collision
    // must not take over a member's place.
    if (*m.identity != id_text) {
      ++c_.access_denied;
      send_error(nwid, addr, request_id, uint8_t(ErrorCode::kNetworkAccessDenied), now, out);
      return;
    }
  } else {
    m.identity = id_text;
  }

  bool authorized = m.authorized;
  std::string token;
  if (!authorized && !n.is_private) {
    authorized = true;
    m.last_authorized_credential_type = "public";
    m.last_authorized_credential.reset();
  } else if (!authorized && token_admits(n, metadata, wall, &token)) {
    authorized = true;
    m.last_authorized_credential_type = "token";
    m.last_authorized_credential = token;
  }
  if (authorized && !m.authorized) {
    m.authorized = true;
    m.last_authorized_time = wall;
  }

  OnlineMember& om = online_.get(nwid, addr);
  om.identity = id;
  if (request_id) om.metadata = metadata;
  om.authorized = authorized;
  om.network_hash = network_hash(n);
  if (authorized && request_id) {
    m.v_major = int64_t(metadata.get_u64("majv", 0));
    m.v_minor = int64_t(metadata.get_u64("minv", 0));
    m.v_rev = int64_t(metadata.get_u64("revv", 0));
    m.v_proto = int64_t(metadata.get_u64("pv", 0));
  }

  wire::NetworkConfig nc;
  bool sign_ok = true;
  if (authorized) {
    bool failed = false;
    const NetworkIndex::Entry* e = index_.get(nwid, kIndexPagesPerRequest, &failed, &err);
    if (failed) {
      ++c_.store_errors;
      return;
    }
    if (!e) {
      // A large network's index is still loading: answer from run() once
      // it is, rather than stall the loop for the whole load.
      if (!request_id) return;  // a push: the next change or request brings it
      if (deferred_.size() >= kMaxDeferred && !deferred_.count({nwid, addr})) {
        ++c_.deferred_dropped;
        return;
      }
      deferred_[{nwid, addr}] = request_id;
      ++c_.deferred;
      return;
    }
    std::vector<uint64_t> bridges(e->bridges.begin(), e->bridges.end());
    BuildContext ctx{vl1_.self(), id, uint64_t(wall), metadata.get_u64("revr", 0) > 0, is_new,
                     bridges, e->ips};
    sign_ok = build_config(n, m, ctx, nc, nullptr);
  }

  if (is_new || !(m == stored)) {
    store::PutResult res;
    if (store_.put_member(m, &res, &err) != store::Status::kOk) {
      ++c_.store_errors;
      return;
    }
    m.revision = res.revision;
    index_.update(m);
  }
  om.member_hash = record_hash(m);

  if (!authorized) {
    ++c_.access_denied;
    send_error(nwid, addr, request_id, uint8_t(ErrorCode::kNetworkAccessDenied), now, out);
    return;
  }
  if (!sign_ok) {
    ++c_.sign_errors;
    send_error(nwid, addr, request_id, uint8_t(ErrorCode::kObjNotFound), now, out);
    return;
  }
  if (send_config(nc, addr, request_id, now, out)) {
    ++c_.configs_sent;
    if (!request_id) ++c_.pushes;
  }
}

void ConfigService::answer_deferred(uint64_t now, Actions& out) {
  if (deferred_.empty()) return;
  std::string err;
  if (index_.loading()) index_.step(kIndexPagesPerRun, &err);
  for (auto it = deferred_.begin(); it != deferred_.end();) {
    const auto [nwid, addr] = it->first;
    const uint64_t request_id = it->second;
    bool failed = false;
    if (!index_.get(nwid, 0, &failed, &err) && !failed) {
      ++it;
      continue;
    }
    it = deferred_.erase(it);
    OnlineMember* om = online_.find(nwid, addr);
    if (!om) continue;
    const crypto::Identity id = om->identity;
    const wire::Dictionary md = om->metadata;
    answer(nwid, id, md, request_id, now, out);
  }
}

uint64_t ConfigService::network_hash(const Network& n) {
  auto it = net_hash_.find(n.id);
  if (it != net_hash_.end() && it->second.first == n.revision) return it->second.second;
  const uint64_t h = record_hash(n);
  net_hash_[n.id] = {n.revision, h};
  return h;
}

void ConfigService::send_error(uint64_t nwid, uint64_t to, uint64_t request_id, uint8_t code,
                               uint64_t now, Actions& out) {
  if (!request_id) return;  // a push has nothing to answer; stock sends nothing either
  Error e;
  e.re = ReplyHeader{wire::Verb::kNetworkConfigRequest, request_id};
  e.code = ErrorCode(code);
  e.detail.resize(8);
  wire::write_be64(e.detail.data(), nwid);
  std::vector<uint8_t> payload;
  wire::Writer w(payload);
  encode_error(e, w);
  vl1_.send_to(to, wire::Verb::kError, payload, now, out);
}

bool ConfigService::send_config(const wire::NetworkConfig& nc, uint64_t to, uint64_t request_id,
                                uint64_t now, Actions& out) {
  std::vector<uint8_t> dict;
  if (wire::encode_network_config(nc, dict) != wire::ConfigStatus::kOk) {
    ++c_.sign_errors;
    return false;
  }
  uint64_t update_id = 0;
  while (update_id == 0) update_id = random_packet_id();
  const auto chunks = wire::make_config_chunks(nc.network_id, dict, update_id, vl1_.self());
  if (chunks.empty()) {
    ++c_.sign_errors;
    return false;
  }
  for (const auto& chunk : chunks) {
    if (request_id) {
      std::vector<uint8_t> payload;
      wire::Writer w(payload);
      encode_reply_header(ReplyHeader{wire::Verb::kNetworkConfigRequest, request_id}, w);
      w.bytes(chunk);
      vl1_.send_to(to, wire::Verb::kOk, payload, now, out);
    } else {
      vl1_.send_to(to, wire::Verb::kNetworkConfig, chunk, now, out);
    }
  }
  return true;
}

}  // namespace flatnet::control::controller
