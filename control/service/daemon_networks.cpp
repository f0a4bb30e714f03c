// Daemon as NetworkSource (network_status.hpp): the local API's /network
// routes reach the member host under the loop's mutex, as every
// StatusSource call does (api_lock: Unavailable when the loop is stuck).
#include "control/service/daemon.hpp"

namespace flatnet::control::service {

namespace {
// run() drops the member host (closing the taps) when it stops, while the
// API may still be answering for a moment.
void check_running(const std::unique_ptr<MemberHost>& m) {
  if (!m) throw Unavailable("flatnetd is stopping");
}
}  // namespace

std::vector<NetworkStatusView> Daemon::networks() {
  auto g = api_lock();
  check_running(member_);
  return member_->views();
}

std::optional<NetworkStatusView> Daemon::network(uint64_t nwid) {
  auto g = api_lock();
  check_running(member_);
  return member_->view(nwid);
}

bool Daemon::join_network(uint64_t nwid, const NetworkSettingsChange& change,
                          NetworkStatusView* out, std::string* err) {
  auto g = api_lock();
  check_running(member_);
  Actions a;
  const bool ok = member_->join(nwid, change, mono_ms(), a, err);
  execute(a);
  if (ok)
    if (auto v = member_->view(nwid)) *out = std::move(*v);
  return ok;
}

bool Daemon::leave_network(uint64_t nwid) {
  auto g = api_lock();
  check_running(member_);
  Actions a;
  const bool ok = member_->leave(nwid, mono_ms(), a);
  execute(a);
  return ok;
}

}  // namespace flatnet::control::service
