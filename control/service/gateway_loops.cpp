#include "control/service/gateway_loops.hpp"

#include <cstdio>

#include "dataplane/wire/hex.hpp"

namespace flatnet::control::service {

std::string LanLoops::mac_text(uint64_t mac) {
  char b[18];
  std::snprintf(b, sizeof b, "%02x:%02x:%02x:%02x:%02x:%02x", unsigned(mac >> 40) & 0xff,
                unsigned(mac >> 32) & 0xff, unsigned(mac >> 24) & 0xff, unsigned(mac >> 16) & 0xff,
                unsigned(mac >> 8) & 0xff, unsigned(mac) & 0xff);
  return b;
}

std::string LanLoops::report(uint64_t nwid, uint64_t mac, uint64_t bridge, uint64_t now) {
  ++reports_;
  auto it = by_net_.find(nwid);
  if (it == by_net_.end()) {
    if (by_net_.size() >= kMaxNetworks) return "";  // not a network the data plane can bridge
    it = by_net_.emplace(nwid, Entry{}).first;
    it->second.loop.nwid = nwid;
  }
  Entry& e = it->second;
  e.loop.mac = mac;
  e.loop.bridge = bridge;
  e.loop.last_ms = now;
  ++e.loop.reports;
  ++e.since_log;
  if (e.next_log != 0 && now < e.next_log) return "";
  e.next_log = now + kLogEveryMs;
  std::string line = "gateway: network " + wire::hex_id(nwid) + ": its LAN is bridged twice: frames of " +
                     mac_text(mac) + " looped through " + wire::hex_address(bridge) + " (" +
                     std::to_string(e.since_log) +
                     (e.since_log == 1 ? " report" : " reports") +
                     "); the data plane drops them (drop_vl2_lan_loop). Remove one of the two bridges of this "
                     "LAN, or keep them apart (one LAN each).";
  e.since_log = 0;
  return line;
}

std::vector<LanLoops::Loop> LanLoops::current(uint64_t now) const {
  std::vector<Loop> out;
  for (const auto& [nwid, e] : by_net_)
    if (now - e.loop.last_ms <= kShowMs) out.push_back(e.loop);
  return out;
}

}  // namespace flatnet::control::service
