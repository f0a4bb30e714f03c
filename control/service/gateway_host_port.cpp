// The gateway's host port interface (gateway_host_port.hpp).
#include "control/service/gateway_host_port.hpp"

#include <algorithm>
#include <cstring>

#include "control/port/addressing.hpp"
#include "control/port/naming.hpp"
#include "control/port/sync.hpp"

namespace flatnet::control::service {

void GatewayHostPort::tick(const std::string& iface, uint64_t nwid, const vl2::Member& member, uint64_t self,
                           bool online, uint64_t now) {
  if (iface.empty() || now < next_) return;
  next_ = now + kCheckMs;
  if (!nl_) {
    if (nl_failed_) return;
    std::string err;
    nl_ = port::Netlink::open(&err);
    if (!nl_) {
      nl_failed_ = true;
      log_(LogLevel::kWarn, "gateway host port " + iface + ": netlink: " + err);
      return;
    }
  }
  const std::optional<vl2::NetworkInfo> info = member.network(nwid);
  if (!info) return;
  int index = 0;
  if (nl_->link_index(iface, &index) != 0 || index == 0) {
    ifindex_ = 0;  // not there (yet): the data plane creates it
    return;
  }
  port::LinkInfo link;
  if (nl_->link_get(index, &link) != 0) return;
  if (index != ifindex_) {  // a new interface (a restarted data plane): nothing of ours on it
    ifindex_ = index;
    name_ = iface;
    applied_ = {};
    log_(LogLevel::kInfo, "gateway host port " + iface + " (network " + port::nwid_hex(nwid) + ") found");
  }
  const bool up = info->status == vl2::NetworkStatus::kOk;
  const port::Mac mac = port::member_mac(self, nwid);
  port::LinkChange c;
  if (link.mac != mac) c.mac = mac;
  if (link.up != up) c.up = up;
  if (c.mac || c.up) {
    if (int rc = nl_->link_set(index, c); rc < 0) {
      ++errors_;
      log_(LogLevel::kWarn, "gateway host port " + iface + ": link change: " + std::strerror(-rc));
      return;
    }
    if (c.up || c.mac)
      log_(LogLevel::kInfo, "gateway host port " + iface + " " + (up ? "up" : "down") + " mac " +
                                port::mac_string(mac) + " (network " + port::nwid_hex(nwid) + ")");
  }
  up_ = up;
  if (!up) return;
  std::vector<wire::InetAddress> assigned;
  std::vector<port::ConfigRoute> routes;
  if (info->config) {
    assigned = info->config->static_ips;
    for (const auto& r : info->config->routes) routes.push_back({r.target, r.via});
  }
  std::vector<wire::InetAddress> have;
  nl_->address_dump(index, &have);
  port::ManagedSettings s;
  s.allow_managed = info->settings.allow_managed;
  s.allow_global = info->settings.allow_global;
  s.allow_default = info->settings.allow_default;
  const port::DesiredState want = port::desired_state(s, assigned, routes, have, online);
  const port::SyncResult r = port::sync_link(*nl_, index, want, &applied_);
  if (r.added || r.removed)
    log_(LogLevel::kInfo, "gateway host port " + iface + ": " + std::to_string(r.added) +
                              " managed addresses/routes added, " + std::to_string(r.removed) + " removed");
  for (const std::string& e : r.errors) {
    ++errors_;
    log_(LogLevel::kWarn, "gateway host port " + iface + ": " + e);
  }
}

}  // namespace flatnet::control::service
