// A gateway's LAN bridged twice, as the data plane reports it (VL2_LOOP
// events; docs/gateway.md "Loops"). The data plane drops the looped frames
// and counts them (drop_vl2_lan_loop); what to say about it is decided
// here: one clear log line per network at most once a minute, naming the
// MAC and the bridge it came back from, and the current loops for /status
// ("gatewayLoops") and /metrics.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace flatnet::control::service {

class LanLoops {
 public:
  static constexpr uint64_t kLogEveryMs = 60'000;
  // /status lists a network's loop until this long after its last report
  // (the data plane reports a live loop once a second per worker).
  static constexpr uint64_t kShowMs = 60'000;
  // At most this many networks remembered (the data plane bridges <= 64).
  static constexpr size_t kMaxNetworks = 64;

  struct Loop {
    uint64_t nwid = 0;
    uint64_t mac = 0;      // the MAC whose frames looped (the latest report's)
    uint64_t bridge = 0;   // the bridge or member they looped through (VL1 address)
    uint64_t last_ms = 0;  // control's clock (mono ms) of the latest report
    uint64_t reports = 0;  // since control started
  };

  // Records one report; returns the line to log when one is due (the
  // network's first report, then at most one per kLogEveryMs), else "".
  std::string report(uint64_t nwid, uint64_t mac, uint64_t bridge, uint64_t now);
  // Loops reported within kShowMs of now, by network.
  std::vector<Loop> current(uint64_t now) const;
  uint64_t reports() const { return reports_; }

  static std::string mac_text(uint64_t mac);

 private:
  struct Entry {
    Loop loop;
    uint64_t next_log = 0;
    uint64_t since_log = 0;  // reports folded into the next line
  };
  std::map<uint64_t, Entry> by_net_;
  uint64_t reports_ = 0;
};

}  // namespace flatnet::control::service
