// A StatusSource with fixed, known state that records the actions asked of
// it, and helpers to run the API on a free loopback port.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <httplib.h>

#include <nlohmann/json.hpp>

#include "control/api/api.hpp"

namespace flatnet::control::api::test {

inline constexpr const char* kToken = "tok3n-for-tests-0123456789";
inline constexpr const char* kMetricsToken = "metr1cs-token";

class FakeSource final : public StatusSource {
 public:
  int64_t now = 1795568531012;
  std::atomic<bool> unavailable{false};  // node()/peers() throw Unavailable (a stuck flatnetd)

  NodeStatus node() override {
    if (unavailable) throw Unavailable("flatnetd's event loop did not answer within 2000 ms");
    NodeStatus n;
    n.address = 0xee420f0cdaULL;
    n.public_identity = "ee420f0cda:0:eaf6";
    n.version = "1.14.1";
    n.online = true;
    n.planet_id = 42424242;
    n.planet_timestamp = 1795567005000;
    n.udp_port = 9993;
    n.secondary_port = 41234;
    n.clock_ms = now;
    return n;
  }
  std::vector<PeerStatus> peers() override {
    if (unavailable) throw Unavailable("flatnetd's event loop did not answer within 2000 ms");
    // Out of order on purpose: /peer must sort by address.
    PeerStatus leaf{0xc989c90153ULL, "1.14.1", 0, Role::kLeaf, false,
                    {{"10.99.0.12/9993", now - 1071, now - 1071, true, true}}};
    PeerStatus root{0x359e3db032ULL, "1.14.1", 28, Role::kPlanet, false,
                    {{"10.99.0.1/9993", now - 2800, now - 2800, true, true}}};
    PeerStatus fresh{0x7777777777ULL, "", -1, Role::kLeaf, true, {}};
    return {leaf, root, fresh};
  }
  std::vector<MoonStatus> moons() override {
    std::lock_guard<std::mutex> lk(mu);
    return moon_list;
  }
  std::vector<MetricSample> metrics() override {
    return {
        {"flatnet_control_rx_datagrams", {}, 1234, "datagrams fed to the core", MetricType::kCounter},
        {"flatnet_control_drops_total", {{"reason", "bad_mac"}}, 7, "drops by reason", MetricType::kCounter},
        {"flatnet_control_drops_total", {{"reason", "we\"ird\\\n"}}, 1, "", MetricType::kCounter},
        {"flatnet_control_peers", {}, 3, "peers in the table\nnow", MetricType::kGauge},
        {"flatnet bad-name", {{"0lbl", "x"}}, 0.5, "a name needing repair", MetricType::kGauge},
    };
  }
  bool orbit(uint64_t world, uint64_t seed, std::string* err) override {
    std::lock_guard<std::mutex> lk(mu);
    if (world == 0xdeadbeef00ULL) { *err = "that moon is refused"; return false; }
    orbits.emplace_back(world, seed);
    moon_list.push_back({world, 0, seed, {}, true});
    return true;
  }
  bool deorbit(uint64_t world, std::string* err) override {
    std::lock_guard<std::mutex> lk(mu);
    for (auto it = moon_list.begin(); it != moon_list.end(); ++it)
      if (it->id == world) { moon_list.erase(it); deorbits.push_back(world); return true; }
    *err = "not orbiting";
    return false;
  }
  PingResult ping(uint64_t addr, int count, int timeout_ms) override {
    std::unique_lock<std::mutex> lk(mu);
    pings.push_back({addr, count, timeout_ms});
    if (hold_pings) {
      // Held until release_pings() (at most 10 s), to test concurrency limits.
      ++pings_held;
      cv.notify_all();
      cv.wait_for(lk, std::chrono::seconds(10), [this] { return !hold_pings; });
    }
    PingResult r;
    if (addr != 0xc989c90153ULL) { r.error = "unknown peer"; return r; }
    r.ok = true;
    r.sent = count;
    // Every second ECHO is lost; odd ones came back through a root.
    for (int i = 0; i < count; i += 2) r.replies.push_back({i, 1.25 + i, (i / 2) % 2 == 1});
    return r;
  }

  // Waits (at most 5 s) until `n` pings are being held.
  bool wait_held(int n) {
    std::unique_lock<std::mutex> lk(mu);
    return cv.wait_for(lk, std::chrono::seconds(5), [&] { return pings_held >= n; });
  }
  void release_pings() {
    std::lock_guard<std::mutex> lk(mu);
    hold_pings = false;
    cv.notify_all();
  }

  struct PingCall { uint64_t addr; int count, timeout; };
  std::mutex mu;
  std::condition_variable cv;
  bool hold_pings = false;
  int pings_held = 0;
  std::vector<MoonStatus> moon_list{{0x1122334455ULL, 1700000000000, 0, {0x1122334455ULL}, false}};
  std::vector<std::pair<uint64_t, uint64_t>> orbits;
  std::vector<uint64_t> deorbits;
  std::vector<PingCall> pings;
};

// The API on a free port of 127.0.0.1.
struct Running {
  FakeSource src;
  std::unique_ptr<ApiServer> server;
  explicit Running(ApiConfig cfg = {}) {
    cfg.bind_addresses = {"127.0.0.1"};
    cfg.port = 0;
    cfg.auth_token = kToken;
    cfg.metrics_token = kMetricsToken;
    cfg.home_dir = "/tmp/flatnet-api-test";
    auto st = start_http_api(src, cfg);
    if (!st.server) ADD_FAILURE() << st.error;
    server = std::move(st.server);
  }
  uint16_t port() const { return server ? server->port() : 0; }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port());
    c.set_connection_timeout(2);
    c.set_read_timeout(5);
    return c;
  }
};

inline httplib::Headers auth() { return {{"X-ZT1-Auth", kToken}}; }

// A stock capture file, or nullopt with the test failed (CI=true) or
// skipped by the caller (elsewhere).
inline std::optional<nlohmann::json> stock_json(const std::string& name, bool* fail_ci) {
  const char* v = std::getenv("FLATNET_VECTORS");
  const std::filesystem::path p =
      std::filesystem::path(v ? v : "") / "zerotier-1.14.1" / "testnet-planet" / name;
  std::ifstream f(p);
  const char* ci = std::getenv("CI");
  *fail_ci = ci && std::string(ci) == "true";
  if (!v || !f) return std::nullopt;
  return nlohmann::json::parse(f, nullptr, false);
}

// Key sets equal at every object level (arrays: compare the first element).
inline void expect_same_keys(const nlohmann::json& stock, const nlohmann::json& ours,
                             const std::string& where) {
  ASSERT_EQ(stock.type(), ours.type()) << where;
  if (stock.is_object()) {
    std::vector<std::string> a, b;
    for (auto& [k, _] : stock.items()) a.push_back(k);
    for (auto& [k, _] : ours.items()) b.push_back(k);
    EXPECT_EQ(a, b) << where;
    for (auto& [k, v] : stock.items())
      if (ours.contains(k) && (v.is_object() || (v.is_array() && !v.empty() && v[0].is_object())))
        expect_same_keys(v, ours[k], where + "." + k);
  } else if (stock.is_array() && !stock.empty() && !ours.empty()) {
    expect_same_keys(stock[0], ours[0], where + "[0]");
  }
}

}  // namespace flatnet::control::api::test
