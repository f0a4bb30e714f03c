// A gateway's host port (docs/gateway.md "The host port"): the data plane
// owns a net_tap device on the untagged bridged network whose kernel
// interface (named in the IPC header's host_iface) is the gateway machine's
// own membership, and this unit makes that interface look like a member's
// tap: our member MAC (§5.2; the fast path sends what comes from it as our
// own FRAMEs), up while the network is OK, and the
// network's managed addresses and routes (control/port's managed + sync, as
// MemberHost does for taps). Its MTU stays the data plane's (the host
// port's "mtu": larger frames would not fit the data plane's mbufs).
// Checked every kCheckMs; netlink only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "control/port/managed.hpp"
#include "control/port/netlink.hpp"
#include "control/service/backend.hpp"
#include "control/vl2/member.hpp"

namespace flatnet::control::service {

class GatewayHostPort {
 public:
  using LogFn = std::function<void(LogLevel, const std::string&)>;
  explicit GatewayHostPort(LogFn log) : log_(std::move(log)) {}

  static constexpr uint64_t kCheckMs = 500;
  // Brings interface `iface` in line with network `nwid` as `member` knows
  // it; nothing while the interface does not exist (yet).
  void tick(const std::string& iface, uint64_t nwid, const vl2::Member& member, uint64_t self, bool online,
            uint64_t now);

  // For /status.
  bool up() const { return up_; }
  size_t addresses() const { return applied_.addresses.size(); }
  uint64_t errors() const { return errors_; }

 private:
  LogFn log_;
  std::unique_ptr<port::Netlink> nl_;
  bool nl_failed_ = false;
  uint64_t next_ = 0;
  int ifindex_ = 0;
  std::string name_;
  bool up_ = false;
  port::DesiredState applied_;
  uint64_t errors_ = 0;
};

}  // namespace flatnet::control::service
