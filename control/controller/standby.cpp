#include "control/controller/standby.hpp"

#include <set>
#include <vector>

#include "control/controller/member.hpp"
#include "control/controller/revocations.hpp"
#include "crypto/identity.hpp"
#include "dataplane/wire/credential.hpp"

namespace flatnet::control::controller {

void StandbyGate::packet(const Vl2Packet& pk, uint64_t now, Actions& out) {
  if (!leader_ || !inner_) {
    ++dropped_;
    return;
  }
  // A NETWORK_CONFIG_REQUEST starts with the network ID (spec §10.2);
  // whether it is ours and well formed is the service's to judge -- a
  // sighting of a bad one costs a row that expires.
  if (pk.kind == Vl2Packet::Kind::kRequest && pk.verb == wire::Verb::kNetworkConfigRequest &&
      pk.payload.size() >= 8) {
    uint64_t nwid = 0;
    for (int i = 0; i < 8; ++i) nwid = nwid << 8 | pk.payload[i];
    if (pending_.size() < 1'000'000) pending_[{nwid, pk.source}] = wall_();
  }
  inner_->packet(pk, now, out);
}

store::Status StandbyGate::flush_online(store::Store& s, std::string* err) {
  if (pending_.empty()) return store::Status::kOk;
  std::vector<store::OnlineRecord> rows;
  rows.reserve(pending_.size());
  for (const auto& [k, t] : pending_) rows.push_back({k.first, k.second, t});
  store::Status st = s.put_online(rows, err);
  if (st == store::Status::kOk) pending_.clear();
  return st;
}

TakeoverCounts revoke_on_takeover(store::Store& s, Vl1Link& vl1, std::size_t window,
                                  int64_t wall_ms, int64_t online_ms, uint64_t now,
                                  Actions& out) {
  std::string err;
  uint64_t last = 0;
  store::ChangeBatch b;
  if (s.last_change(last, &err) != store::Status::kOk ||
      s.changes_since(last > window ? last - window : 0, window, b, &err) != store::Status::kOk)
    return TakeoverCounts{0, 0, 0, 1};
  return revoke_for_changes(s, vl1, b.changes, wall_ms, online_ms, now, out);
}

TakeoverCounts revoke_for_changes(store::Store& s, Vl1Link& vl1,
                                  const std::vector<store::Change>& changes, int64_t wall_ms,
                                  int64_t online_ms, uint64_t now, Actions& out) {
  TakeoverCounts c;
  std::string err;
  c.entries = changes.size();
  const uint64_t self = vl1.self().address();
  std::set<std::pair<uint64_t, uint64_t>> targets;
  for (const store::Change& ch : changes) {
    if (!ch.address || wire::controller_of(ch.nwid) != self) continue;
    const auto key = std::make_pair(ch.nwid, *ch.address);
    if (ch.op == store::ChangeOp::kDelete) {
      targets.insert(key);
      continue;
    }
    Member m;
    const store::Status st = s.get_member(ch.nwid, *ch.address, m, &err);
    // Deauthorized, not merely never authorized (a new member asking
    // before anyone let it in holds no COM to revoke).
    if (st == store::Status::kOk && !m.authorized && m.last_deauthorized_time > 0)
      targets.insert(key);
    else if (st == store::Status::kError) ++c.errors;
  }
  std::vector<store::OnlineRecord> online;
  uint64_t online_of = 0;
  bool have = false;
  for (const auto& [nwid, target] : targets) {  // ordered: one online read per network
    if (!have || online_of != nwid) {
      have = true;
      if (s.list_online(nwid, wall_ms - online_ms, online, &err) != store::Status::kOk) {
        ++c.errors;
        online.clear();
      }
      online_of = nwid;
    }
    std::vector<uint8_t> payload;
    if (!revocation_payload(nwid, target, uint64_t(wall_ms), vl1.self(), payload)) {
      ++c.errors;
      continue;
    }
    ++c.targets;
    for (const store::OnlineRecord& o : online) {
      vl1.send_to(o.address, wire::Verb::kNetworkCredentials, payload, now, out);
      ++c.revocations;
    }
  }
  return c;
}

}  // namespace flatnet::control::controller
