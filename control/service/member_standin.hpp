// A stand-in for control/vl2/member.hpp (the member helper's work, not yet
// merged): the interface of VL2-PLAN.md with a member that joins and
// leaves but never configures a network. Lets member_host build and its
// port/API/CLI code be exercised before the real member lands; removed
// when it does.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include "control/core/actions.hpp"
#include "control/core/metrics.hpp"
#include "control/core/verbs.hpp"
#include "control/core/vl2_hook.hpp"
#include "dataplane/wire/network_config.hpp"

namespace flatnet::control::vl2 {

enum class NetworkStatus : uint8_t { kRequestingConfiguration, kOk, kAccessDenied, kNotFound,
                                     kPortError, kClientTooOld, kAuthenticationRequired };
inline const char* to_string(NetworkStatus s) {
  static const char* n[] = {"REQUESTING_CONFIGURATION", "OK", "ACCESS_DENIED", "NOT_FOUND",
                            "PORT_ERROR", "CLIENT_TOO_OLD", "AUTHENTICATION_REQUIRED"};
  return n[size_t(s)];
}
struct LocalSettings {
  bool allow_managed = true, allow_global = false, allow_default = false, allow_dns = false;
};
struct NetworkInfo {
  uint64_t nwid = 0;
  NetworkStatus status = NetworkStatus::kRequestingConfiguration;
  uint64_t mac = 0;
  LocalSettings settings;
  std::optional<wire::NetworkConfig> config;
  std::vector<uint8_t> config_bytes;
  uint64_t config_received_at = 0;
};
struct TapFrame {
  uint64_t nwid = 0;
  std::vector<uint8_t> frame;
};
struct MemberEvent {
  enum class Kind : uint8_t { kConfig, kStatus };
  Kind kind;
  uint64_t nwid;
};
struct MemberOutput {
  std::vector<TapFrame> to_tap;
  std::vector<MemberEvent> events;
};

class Member final : public Vl2Handler {
 public:
  explicit Member(Vl1Link& vl1) : vl1_(vl1) {}
  void packet(const Vl2Packet&, uint64_t, Actions&) override {}
  bool join(uint64_t nwid, const LocalSettings& s, uint64_t, Actions&) {
    if (nets_.count(nwid)) return false;
    NetworkInfo& n = nets_[nwid];
    n.nwid = nwid;
    n.settings = s;
    return true;
  }
  bool leave(uint64_t nwid, uint64_t, Actions&) { return nets_.erase(nwid) > 0; }
  bool restore(uint64_t nwid, std::span<const uint8_t>, uint64_t) { return nets_.count(nwid); }
  bool set_settings(uint64_t nwid, const LocalSettings& s) {
    auto it = nets_.find(nwid);
    if (it == nets_.end()) return false;
    it->second.settings = s;
    return true;
  }
  void from_tap(uint64_t, std::span<const uint8_t>, uint64_t, Actions&) {}
  void set_subscriptions(uint64_t, std::vector<MulticastGroup>, uint64_t, Actions&) {}
  void run(uint64_t, Actions&) {}
  uint64_t next_deadline() const { return UINT64_MAX; }
  std::vector<NetworkInfo> networks() const {
    std::vector<NetworkInfo> v;
    for (auto& [k, n] : nets_) v.push_back(n);
    return v;
  }
  std::optional<NetworkInfo> network(uint64_t nwid) const {
    auto it = nets_.find(nwid);
    if (it == nets_.end()) return std::nullopt;
    return it->second;
  }
  void drain(MemberOutput&) {}
  std::vector<CounterSample> metrics() const { return {}; }

 private:
  [[maybe_unused]] Vl1Link& vl1_;
  std::map<uint64_t, NetworkInfo> nets_;
};

}  // namespace flatnet::control::vl2
