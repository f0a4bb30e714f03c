#include "control/service/controller_host.hpp"

#include <algorithm>

#include "control/controller/online.hpp"
#include "control/controller/store/notified_store.hpp"
#include "control/controller/store/open_store.hpp"
#include "control/controller/store/sqlite_store.hpp"
#include "control/service/clock.hpp"

namespace flatnet::control::service {

std::unique_ptr<ControllerHost> ControllerHost::open(const std::string& home,
                                                     const std::string& db, std::string* err) {
  auto h = std::make_unique<ControllerHost>();
  const std::string where = db.empty() ? home + "/" + controller::store::kDefaultFileName : db;
  // A connection string may hold a password: it is never logged.
  const bool pg = controller::store::names_postgresql(where);
  h->location_ = pg ? "PostgreSQL" : where;
  if (pg) h->conninfo_ = where;
  std::string why;
  h->store_ = controller::store::open_store(where, &why);
  if (!h->store_) {
    *err = "controller store " + h->location_ + ": " + why;
    return nullptr;
  }
  // The service follows the journal through a store that asks the
  // database only after a NOTIFY (PostgreSQL; with SQLite it asks each run).
  auto feed = h->store_->open_feed(0, &why);
  if (!feed) {
    *err = "controller store " + h->location_ + ": change feed: " + why;
    return nullptr;
  }
  h->journal_ = std::make_unique<controller::store::NotifiedStore>(*h->store_, std::move(feed));
  return h;
}

namespace {

constexpr uint64_t kOnlineFlushMs = 1000;       // sightings written at most once a second
constexpr uint64_t kOnlineExpireMs = 600'000;   // old sightings dropped every 10 min
constexpr int64_t kOnlineKeepMs = 3'600'000;    // ... when older than an hour

}  // namespace

void ControllerHost::make_service() {
  // A new service follows the journal from its end: what came before is in
  // the records it reads on demand, and on a takeover revoke_on_takeover()
  // covers what the old leader may not have acted on.
  service_ = std::make_unique<controller::ConfigService>(*vl1_, *journal_,
                                                         [] { return wall_ms(); });
  gate_->set_inner(service_.get());
}

Vl2Handler& ControllerHost::start(Vl1Link& vl1) {
  vl1_ = &vl1;
  address_ = vl1.self().address();
  gate_ = std::make_unique<controller::StandbyGate>(nullptr, [] { return wall_ms(); });
  // SQLite: the only instance, leading from the start. PostgreSQL: a
  // standby (no service yet) until run() holds the lock.
  if (conninfo_.empty()) {
    make_service();
    gate_->set_leader(true);
  }
  return *gate_;
}

void ControllerHost::leadership(uint64_t now, Actions& out) {
  if (!leadership_) {
    if (now < next_lock_retry_) return;  // retrying the lock's connection
    leadership_ = controller::store::Leadership::open(conninfo_, address_, &lock_error_);
    if (!leadership_) {
      next_lock_retry_ = now + 1000;
      return;
    }
  }
  switch (leadership_->run(now, &lock_error_)) {
    case controller::store::Leadership::Change::kGained: {
      ++takeovers_;
      make_service();
      gate_->set_leader(true);
      // What the old leader may not have sent before it died.
      const auto c = controller::revoke_on_takeover(
          *store_, *vl1_, controller::kTakeoverWindow, wall_ms(),
          int64_t(controller::kOnlineMs), now, out);
      takeover_revocations_ += c.revocations;
      // The new service knows no member online until they ask again
      // (within kOnlineMs): until then the host also revokes, for each
      // change, to the members the store saw online.
      std::string err;
      bridge_until_ = store_->last_change(bridge_seq_, &err) == controller::store::Status::kOk
                          ? now + controller::kOnlineMs
                          : 0;
      break;
    }
    case controller::store::Leadership::Change::kLost:
      ++losses_;
      gate_->set_leader(false);
      break;
    case controller::store::Leadership::Change::kNone:
      break;
  }
}

void ControllerHost::bridge(uint64_t now, Actions& out) {
  // Only when the service's read found the journal signalled, so the
  // bridge adds no query of its own to an idle controller.
  controller::store::ChangeBatch b;
  std::string err;
  if (store_->changes_since(bridge_seq_, controller::kTakeoverWindow, b, &err) !=
          controller::store::Status::kOk ||
      b.changes.empty())
    return;
  bridge_seq_ = b.changes.back().seq;
  const auto c = controller::revoke_for_changes(*store_, *vl1_, b.changes, wall_ms(),
                                                int64_t(controller::kOnlineMs), now, out);
  takeover_revocations_ += c.revocations;
}

uint64_t ControllerHost::next_run() const {
  uint64_t t = service_ && gate_ && gate_->leader() ? next_run_ : UINT64_MAX;
  if (!conninfo_.empty())
    t = std::min(t, leadership_ ? leadership_->next_deadline() : next_lock_retry_);
  return t;
}

void ControllerHost::run(uint64_t now, Actions& out) {
  if (!gate_) return;  // not started
  if (!conninfo_.empty()) leadership(now, out);
  if (!service_ || !gate_->leader() || now < next_run_) return;
  // A backlog (a bulk change) is read on the next turn, not 100 ms later.
  const uint64_t queries = journal_->journal_queries();
  next_run_ = service_->run(now, out) ? now : now + kControllerRunMs;
  if (now < bridge_until_ && journal_->journal_queries() != queries) bridge(now, out);
  if (now >= next_flush_) {
    next_flush_ = now + kOnlineFlushMs;
    std::string err;
    if (gate_->flush_online(*store_, &err) != controller::store::Status::kOk) ++online_errors_;
  }
  if (now >= next_expire_) {
    next_expire_ = now + kOnlineExpireMs;
    std::string err;
    if (store_->expire_online(wall_ms() - kOnlineKeepMs, &err) != controller::store::Status::kOk)
      ++online_errors_;
  }
}

std::vector<MetricSample> ControllerHost::metrics() const {
  std::vector<MetricSample> out;
  if (!gate_) return out;
  // A standby has no service yet: its counters read zero.
  const controller::ControllerCounters c = service_ ? service_->counters()
                                                    : controller::ControllerCounters{};
  auto add = [&](const char* what, uint64_t v, const char* help) {
    out.push_back(MetricSample{"flatnet_controller_" + std::string(what) + "_total", {}, double(v),
                               help, MetricType::kCounter});
  };
  add("requests", c.requests, "NETWORK_CONFIG_REQUESTs for our networks");
  add("rate_limited", c.rate_limited, "requests ignored: the same member within 1,000 ms");
  add("online_full", c.online_full, "requests ignored: the online table was full");
  add("malformed", c.malformed, "requests that did not decode");
  add("not_ours", c.not_ours, "requests for another controller's network");
  add("configs_sent", c.configs_sent, "configs sent (answers and pushes)");
  add("pushes", c.pushes, "configs pushed after a change");
  add("not_found", c.not_found, "ERROR(OBJ_NOT_FOUND) answers");
  add("access_denied", c.access_denied, "ERROR(NETWORK_ACCESS_DENIED) answers");
  add("revocations_sent", c.revocations_sent, "revocations sent to online members");
  add("deferred", c.deferred, "requests answered once their network's index had loaded");
  add("deferred_dropped", c.deferred_dropped, "requests not deferred: too many waiting");
  add("store_errors", c.store_errors, "requests or changes the store failed on");
  add("sign_errors", c.sign_errors, "configs or credentials that could not be signed");
  add("journal_gaps", c.journal_gaps, "times the store journal lost entries we had not read");
  add("standby_dropped", gate_ ? gate_->dropped() : 0, "requests ignored as a standby");
  add("takeovers", takeovers_, "times this instance took the leader lock");
  add("leader_losses", losses_, "times this instance lost the leader lock and went silent");
  add("takeover_revocations", takeover_revocations_, "revocations sent on taking over and in the online window after");
  add("online_store_errors", online_errors_, "failed writes of the online set");
  out.push_back(MetricSample{"flatnet_controller_leader", {}, leader() ? 1.0 : 0.0,
                             "1 while this instance speaks for the controller", MetricType::kGauge});
  add("journal_queries", journal_->journal_queries(), "journal reads (after a NOTIFY with PostgreSQL)");
  add("journal_skips", journal_->journal_skips(), "journal reads saved: nothing was notified");
  out.push_back(MetricSample{"flatnet_controller_online_members", {},
                             double(service_ ? service_->online_count() : 0),
                             "members that asked for a config in the last 120 s",
                             MetricType::kGauge});
  return out;
}

}  // namespace flatnet::control::service
