// ConfigService::run: following the store's journal to revoke and push
// (stock's onNetworkMemberDeauthorize / onNetworkUpdate /
// onNetworkMemberUpdate), so a change made by the API, another flatnetd on
// the same database, or an import reaches online members without waiting
// for their next request.
#include <algorithm>

#include "control/controller/config_service.hpp"
#include "control/controller/revocations.hpp"

namespace flatnet::control::controller {

bool ConfigService::run(uint64_t now, Actions& out) {
  std::string err;
  if (!journal_started_) {
    if (store_.last_change(journal_seq_, &err) != store::Status::kOk) {
      ++c_.store_errors;
      return false;
    }
    journal_started_ = true;
  }
  bool more = false;
  gone_.clear();  // per run: a network may be created again
  store::ChangeBatch b;
  if (store_.changes_since(journal_seq_, kJournalBatch, b, &err) != store::Status::kOk) {
    ++c_.store_errors;
  } else if (b.gap) {
    // Entries were lost (trimmed, or a restore went back in time): what we
    // cache may be stale. Members get the truth at their next request.
    ++c_.journal_gaps;
    index_.clear();
    if (store_.last_change(journal_seq_, &err) != store::Status::kOk) ++c_.store_errors;
  } else {
    for (const store::Change& ch : b.changes) {
      journal_seq_ = ch.seq;
      on_change(ch, now, out);
    }
    more = b.changes.size() == kJournalBatch;
  }
  answer_deferred(now, out);
  if (now >= next_prune_) {  // a walk of the whole table: once a second is enough
    online_.prune(now);
    next_prune_ = now + 1000;
  }
  send_pushes(now, out);
  return more || !deferred_.empty();
}

void ConfigService::on_change(const store::Change& ch, uint64_t now, Actions& out) {
  if (wire::controller_of(ch.nwid) != address()) return;
  std::string err;
  if (!ch.address) {
    net_hash_.erase(ch.nwid);
    if (ch.op == store::ChangeOp::kDelete) {
      // Its members' own delete entries revoke them.
      index_.forget(ch.nwid);
      return;
    }
    Network n;
    const store::Status st = store_.get_network(ch.nwid, n, &err);
    if (st != store::Status::kOk) {
      if (st != store::Status::kNotFound) ++c_.store_errors;
      return;
    }
    // Members whose last config came from this very content need nothing.
    const uint64_t h = network_hash(n);
    for (OnlineMember* om : online_.online(ch.nwid, now))
      if (om->authorized && om->network_hash != h) queue_push(ch.nwid, om->address);
    return;
  }
  const uint64_t addr = *ch.address;
  const auto key = std::make_pair(ch.nwid, addr);
  if (ch.op == store::ChangeOp::kDelete) {
    index_.remove(ch.nwid, addr);
    revoked_.erase(key);
    OnlineMember* om = online_.find(ch.nwid, addr);
    // A deleted network's members: only the online ones hold COMs anyone
    // is using, and revoking all of a large network to all its online
    // members would be members x online packets. The rest learn NOT_FOUND
    // at their next request.
    if (!network_gone(ch.nwid) || (om && now - om->last_request < kOnlineMs))
      revoke(ch.nwid, addr, now, out);
    if (om) om->authorized = false;
    return;
  }
  Member m;
  const store::Status st = store_.get_member(ch.nwid, addr, m, &err);
  if (st == store::Status::kNotFound) return;  // deleted since; its delete entry follows
  if (st != store::Status::kOk) {
    ++c_.store_errors;
    return;
  }
  index_.update(m);
  OnlineMember* om = online_.find(ch.nwid, addr);
  if (!m.authorized) {
    // Revoke once per deauthorization: when the member held a config from
    // us, or the record says it was deauthorized after its last
    // authorization (lastDeauthorizedTime, set by the API).
    const bool had_config = om && om->authorized;
    const bool deauthorized = m.last_deauthorized_time > m.last_authorized_time;
    auto it = revoked_.find(key);
    const bool done = it != revoked_.end() && it->second == m.last_deauthorized_time;
    if ((had_config || deauthorized) && !done) {
      revoke(ch.nwid, addr, now, out);
      revoked_[key] = m.last_deauthorized_time;
    }
    if (om) om->authorized = false;
    return;
  }
  revoked_.erase(key);
  // The content its last answer came from (our own write after an answer,
  // or a change we read while answering) needs no push.
  if (om && om->member_hash == record_hash(m)) return;
  if (om && now - om->last_request < kOnlineMs) queue_push(ch.nwid, addr);
}

bool ConfigService::network_gone(uint64_t nwid) {
  auto it = gone_.find(nwid);
  if (it != gone_.end()) return it->second;
  Network n;
  std::string err;
  const bool gone = store_.get_network(nwid, n, &err) == store::Status::kNotFound;
  return gone_[nwid] = gone;
}

void ConfigService::revoke(uint64_t nwid, uint64_t target, uint64_t now, Actions& out) {
  const auto to = online_.online(nwid, now);
  if (to.empty()) return;  // nobody to tell; offline members' COMs expire (§10.5)
  std::vector<uint8_t> payload;
  if (!revocation_payload(nwid, target, uint64_t(wall_()), vl1_.self(), payload)) {
    ++c_.sign_errors;
    return;
  }
  for (OnlineMember* om : to) {
    vl1_.send_to(om->address, wire::Verb::kNetworkCredentials, payload, now, out);
    ++c_.revocations_sent;
  }
}

void ConfigService::queue_push(uint64_t nwid, uint64_t address) {
  if (push_queued_.insert({nwid, address}).second) push_queue_.emplace_back(nwid, address);
}

void ConfigService::send_pushes(uint64_t now, Actions& out) {
  const uint64_t elapsed = now - last_run_;
  last_run_ = now;
  push_budget_ = std::min<double>(double(kPushesPerSecond),
                                  push_budget_ + double(elapsed) * kPushesPerSecond / 1000.0);
  while (!push_queue_.empty() && push_budget_ >= 1) {
    const auto key = push_queue_.front();
    push_queue_.pop_front();
    push_queued_.erase(key);
    OnlineMember* om = online_.find(key.first, key.second);
    if (!om || now - om->last_request >= kOnlineMs) continue;
    push_budget_ -= 1;
    const crypto::Identity id = om->identity;
    const wire::Dictionary md = om->metadata;
    answer(key.first, id, md, 0, now, out);
  }
}

}  // namespace flatnet::control::controller
