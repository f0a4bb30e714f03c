#include "control/service/controller_host.hpp"

#include "control/controller/store/sqlite_store.hpp"
#include "control/service/clock.hpp"

namespace flatnet::control::service {

std::unique_ptr<ControllerHost> ControllerHost::open(const std::string& home,
                                                     const std::string& db, std::string* err) {
  auto h = std::make_unique<ControllerHost>();
  if (db.rfind("postgresql://", 0) == 0 || db.rfind("postgres://", 0) == 0) {
    *err = "controllerDb: the PostgreSQL backend is not built into this flatnetd";
    return nullptr;
  }
  h->location_ = db.empty() ? home + "/controller.db" : db;
  std::string why;
  h->store_ = controller::store::SqliteStore::open(h->location_, &why);
  if (!h->store_) {
    *err = "controller store " + h->location_ + ": " + why;
    return nullptr;
  }
  return h;
}

controller::ConfigService& ControllerHost::start(Vl1Link& vl1) {
  address_ = vl1.self().address();
  service_ = std::make_unique<controller::ConfigService>(vl1, *store_, [] { return wall_ms(); });
  return *service_;
}

void ControllerHost::run(uint64_t now, Actions& out) {
  if (!service_ || now < next_run_) return;
  // A backlog (a bulk change) is read on the next turn, not 100 ms later.
  next_run_ = service_->run(now, out) ? now : now + kControllerRunMs;
}

std::vector<MetricSample> ControllerHost::metrics() const {
  std::vector<MetricSample> out;
  if (!service_) return out;
  const controller::ControllerCounters& c = service_->counters();
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
  out.push_back(MetricSample{"flatnet_controller_online_members", {},
                             double(service_->online_count()),
                             "members that asked for a config in the last 120 s",
                             MetricType::kGauge});
  return out;
}

}  // namespace flatnet::control::service
