// The local HTTP API of flatnetd (stock zerotier-one's routes and JSON
// shapes, §12.3 of the wire spec) plus /metrics and flatnet's POST /ping.
// It only reads and asks through StatusSource; it owns no protocol state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "control/service/network_status.hpp"
#include "control/api/controller_routes.hpp"
#include "control/service/status.hpp"

namespace flatnet::control::api {

struct ApiConfig {
  // Loopback only: anything else is refused by start_http_api. An address
  // that cannot be bound (no IPv6 on the host) is skipped unless it is the
  // only one.
  std::vector<std::string> bind_addresses{"127.0.0.1", "::1"};
  uint16_t port = 9993;             // 0: pick a free port (tests)
  std::string auth_token;           // authtoken.secret; must not be empty
  std::string metrics_token;        // metricstoken.secret; empty: /metrics only with auth_token
  std::string home_dir;             // reported in /status config.settings.homeDir
  NetworkSource* networks = nullptr;  // /network routes (network_routes.hpp); null: not served
  size_t max_body_bytes = 16384;    // larger request bodies: 413
  int max_ping_count = 100;         // POST /ping bounds (400 beyond)
  int max_ping_timeout_ms = 10000;
  int64_t max_ping_total_ms = 60000;  // count * timeout
  int max_concurrent_pings = 2;       // more at once: 503
  // The /controller routes (controller_routes.hpp) when store is set; they
  // raise the body limit to kControllerMaxBody.
  ControllerAccess controller;
};

// A running server; destroying it (or stop()) closes the sockets and joins
// the server threads.
class ApiServer {
 public:
  virtual ~ApiServer() = default;
  virtual uint16_t port() const = 0;               // the bound port
  virtual std::vector<std::string> bound() const = 0;  // addresses actually listening
  virtual void stop() = 0;
};

struct ApiStart {
  std::unique_ptr<ApiServer> server;  // null on failure
  std::string error;                  // one sentence when server is null
};

// `src` must outlive the returned server.
ApiStart start_http_api(StatusSource& src, const ApiConfig& cfg);

// True for 127.0.0.0/8 and ::1 (the only addresses the API may bind).
bool is_loopback_address(const std::string& ip);

// Reads a token file (authtoken.secret, metricstoken.secret) with trailing
// whitespace removed; "" if unreadable.
std::string read_token_file(const std::string& path);

}  // namespace flatnet::control::api
