// The HTTP server: one cpp-httplib Server per loopback address, each on its
// own thread, all sharing one route table built here. Every request passes
// the token check in the pre-routing hook before any handler runs.
#include <arpa/inet.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include <httplib.h>

#include "control/api/api.hpp"
#include "control/api/json.hpp"
#include "control/api/network_routes.hpp"
#include "control/api/prometheus.hpp"

namespace flatnet::control::api {

namespace {

using nlohmann::json;

// Token comparison that does not stop at the first differing byte.
bool same_token(const std::string& a, const std::string& b) {
  if (a.empty() || a.size() != b.size()) return false;
  unsigned char d = 0;
  for (size_t i = 0; i < a.size(); ++i) d |= (unsigned char)(a[i] ^ b[i]);
  return d == 0;
}

// "Bearer <token>" (scheme case-insensitive, exactly two parts) -> token.
std::string bearer(const httplib::Request& req) {
  const std::string h = req.get_header_value("Authorization");
  const auto sp = h.find(' ');
  if (sp == std::string::npos || h.find(' ', sp + 1) != std::string::npos) return {};
  std::string scheme = h.substr(0, sp);
  for (auto& c : scheme) c = char(std::tolower((unsigned char)c));
  return scheme == "bearer" ? h.substr(sp + 1) : std::string();
}

void send_json(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& why) {
  send_json(res, status, {{"error", status}, {"description", why}});
}

struct Shared {
  StatusSource& src;
  ApiConfig cfg;
  std::atomic<uint64_t> requests{0}, unauthorized{0}, bad_requests{0};
  std::atomic<int> pings_running{0};

  Shared(StatusSource& s, const ApiConfig& c) : src(s), cfg(c) {}

  bool authorized(const httplib::Request& req) const {
    const std::string& tok = cfg.auth_token;
    if (req.path == "/health") return true;  // exempt from the token, as stock
    const std::string b = bearer(req);
    if (req.path == "/metrics" && same_token(b, cfg.metrics_token)) return true;
    return same_token(req.get_header_value("X-ZT1-Auth"), tok) ||
           same_token(req.get_param_value("auth"), tok) || same_token(b, tok);
  }

  std::vector<MetricSample> api_metrics() const {
    auto c = [](const char* n, const char* h, uint64_t v) {
      return MetricSample{n, {}, double(v), h, MetricType::kCounter};
    };
    return {c("flatnet_api_requests_total", "HTTP API requests received", requests.load()),
            c("flatnet_api_unauthorized_total", "HTTP API requests refused with 401",
              unauthorized.load()),
            c("flatnet_api_bad_requests_total", "HTTP API requests refused with 400",
              bad_requests.load())};
  }

  void bad(httplib::Response& res, const std::string& why) {
    ++bad_requests;
    send_error(res, 400, why);
  }
};

void add_routes(httplib::Server& s, Shared& sh) {
  s.set_payload_max_length(sh.cfg.max_body_bytes);
  // cpp-httplib sends a response's headers and body in two writes. With
  // Nagle on, the body waits for the ACK of the headers, which a keep-alive
  // client delays (~40 ms on Linux): every request after the first then
  // took ~27 ms on average. Set on the listening socket, inherited by the
  // accepted ones.
  s.set_tcp_nodelay(true);
  s.set_keep_alive_timeout(2);
  s.set_read_timeout(5);
  s.set_write_timeout(5);

  s.set_pre_routing_handler([&sh](const httplib::Request& req, httplib::Response& res) {
    ++sh.requests;
    if (sh.authorized(req)) return httplib::Server::HandlerResponse::Unhandled;
    ++sh.unauthorized;
    send_json(res, 401, json::object());
    return httplib::Server::HandlerResponse::Handled;
  });
  // Unknown routes and library-level refusals (413, 400 from the parser)
  // get a JSON body too; handlers that set their own body keep it.
  s.set_error_handler(httplib::Server::HandlerWithResponse(
      [](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty() || is_controller_path(req.path))  // stock's empty 400/404 there
      return httplib::Server::HandlerResponse::Unhandled;
    const char* why = res.status == 404   ? "no such route"
                      : res.status == 413 ? "request body too large"
                                          : "request refused";
    send_error(res, res.status, why);
    return httplib::Server::HandlerResponse::Handled;
  }));
  s.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "internal error";
    int status = 500;
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const Unavailable& e) {  // flatnetd's loop did not let go in time
      what = e.what();
      status = 503;
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    send_error(res, status, what);
  });

  s.Get("/status", [&sh](const httplib::Request&, httplib::Response& res) {
    send_json(res, 200, node_json(sh.src.node(), sh.cfg.home_dir));
  });
  s.Get("/health", [&sh](const httplib::Request&, httplib::Response& res) {
    json n = node_json(sh.src.node(), sh.cfg.home_dir);
    json h;
    for (const char* k : {"online", "versionMajor", "versionMinor", "versionRev", "versionBuild",
                          "version", "clock"})
      h[k] = n[k];
    send_json(res, 200, h);
  });

  s.Get("/peer", [&sh](const httplib::Request&, httplib::Response& res) {
    auto peers = sh.src.peers();
    std::sort(peers.begin(), peers.end(),
              [](const PeerStatus& a, const PeerStatus& b) { return a.address < b.address; });
    json a = json::array();
    for (const auto& p : peers) a.push_back(peer_json(p));
    send_json(res, 200, a);
  });
  s.Get(R"(/peer/([^/]*))", [&sh](const httplib::Request& req, httplib::Response& res) {
    const auto addr = parse_address(req.matches[1].str());
    if (!addr) return sh.bad(res, "peer address must be 10 hex digits");
    for (const auto& p : sh.src.peers())
      if (p.address == *addr) return send_json(res, 200, peer_json(p));
    send_json(res, 200, json::object());  // stock: {} for an unknown peer
  });

  s.Get("/moon", [&sh](const httplib::Request&, httplib::Response& res) {
    json a = json::array();
    for (const auto& m : sh.src.moons()) a.push_back(moon_json(m));
    send_json(res, 200, a);
  });
  s.Get(R"(/moon/([^/]*))", [&sh](const httplib::Request& req, httplib::Response& res) {
    const auto id = parse_world(req.matches[1].str());
    if (!id) return sh.bad(res, "moon ID must be 10 or 16 hex digits");
    for (const auto& m : sh.src.moons())
      if (m.id == *id) return send_json(res, 200, moon_json(m));
    send_json(res, 404, json::object());
  });
  auto orbit = [&sh](const httplib::Request& req, httplib::Response& res) {
    const auto id = parse_world(req.matches[1].str());
    if (!id) return sh.bad(res, "moon ID must be 10 or 16 hex digits");
    uint64_t seed = 0;
    if (!req.body.empty()) {
      const json body = json::parse(req.body, nullptr, false);
      if (body.is_discarded() || !body.is_object()) return sh.bad(res, "body is not a JSON object");
      if (auto it = body.find("seed"); it != body.end() && !it->is_null()) {
        std::optional<uint64_t> s;
        if (it->is_string()) s = parse_address(it->get<std::string>());
        if (!s) return sh.bad(res, "seed must be a 10-hex-digit address");
        seed = *s;
      }
    }
    std::string err;
    if (!sh.src.orbit(*id, seed, &err)) return sh.bad(res, err.empty() ? "orbit refused" : err);
    for (const auto& m : sh.src.moons())
      if (m.id == *id && !m.waiting) return send_json(res, 200, moon_json(m));
    send_json(res, 200, moon_waiting_json(*id));
  };
  s.Post(R"(/moon/([^/]*))", orbit);
  s.Put(R"(/moon/([^/]*))", orbit);
  s.Delete(R"(/moon/([^/]*))", [&sh](const httplib::Request& req, httplib::Response& res) {
    const auto id = parse_world(req.matches[1].str());
    if (!id) return sh.bad(res, "moon ID must be 10 or 16 hex digits");
    std::string err;
    if (!sh.src.deorbit(*id, &err))
      return send_error(res, 404, err.empty() ? "not orbiting that moon" : err);
    send_json(res, 200, {{"result", true}});
  });

  auto ping = [&sh](const httplib::Request& req, httplib::Response& res) {
    const auto addr = parse_address(req.matches[1].str());
    if (!addr) return sh.bad(res, "peer address must be 10 hex digits");
    auto int_param = [&req](const char* k, int def, int lo, int hi) -> std::optional<int> {
      if (!req.has_param(k)) return def;
      const std::string v = req.get_param_value(k);
      if (v.empty() || v.size() > 6 || v.find_first_not_of("0123456789") != std::string::npos)
        return std::nullopt;
      const int n = std::stoi(v);
      if (n < lo || n > hi) return std::nullopt;
      return n;
    };
    const auto count = int_param("count", 4, 1, sh.cfg.max_ping_count);
    const auto timeout = int_param("timeout", 1000, 1, sh.cfg.max_ping_timeout_ms);
    if (!count) return sh.bad(res, "count must be 1.." + std::to_string(sh.cfg.max_ping_count));
    if (!timeout)
      return sh.bad(res, "timeout must be 1.." + std::to_string(sh.cfg.max_ping_timeout_ms) + " ms");
    // A ping holds a server worker for up to count * timeout: bound both the
    // total and how many run at once so pings cannot starve other requests.
    if (int64_t(*count) * *timeout > sh.cfg.max_ping_total_ms)
      return sh.bad(res, "count * timeout must be at most " + std::to_string(sh.cfg.max_ping_total_ms) + " ms");
    if (sh.pings_running.fetch_add(1) >= sh.cfg.max_concurrent_pings) {
      --sh.pings_running;
      return send_error(res, 503, "too many pings running; try again later");
    }
    PingResult r;
    try {
      r = sh.src.ping(*addr, *count, *timeout);
    } catch (...) {
      --sh.pings_running;
      throw;
    }
    --sh.pings_running;
    if (!r.ok) return sh.bad(res, r.error.empty() ? "ping refused" : r.error);
    send_json(res, 200, ping_json(*addr, r));
  };
  s.Post(R"(/ping/([^/]*))", ping);
  s.Put(R"(/ping/([^/]*))", ping);

  if (sh.cfg.networks) add_network_routes(s, *sh.cfg.networks);

  s.Get("/metrics", [&sh](const httplib::Request&, httplib::Response& res) {
    auto samples = sh.src.metrics();
    for (auto& m : sh.api_metrics()) samples.push_back(std::move(m));
    res.status = 200;
    res.set_content(prometheus_text(samples), "text/plain; version=0.0.4");
  });

  if (sh.cfg.controller.store) add_controller_routes(s, sh.cfg.controller);
}

class Impl final : public ApiServer {
 public:
  Impl(StatusSource& src, const ApiConfig& cfg) : sh_(src, cfg) {}
  ~Impl() override { stop(); }

  std::string start() {
    const auto& cfg = sh_.cfg;
    if (cfg.auth_token.empty()) return "no auth token (authtoken.secret) configured";
    if (cfg.bind_addresses.empty()) return "no bind address";
    for (const auto& a : cfg.bind_addresses)
      if (!is_loopback_address(a)) return "refusing to bind " + a + ": the API listens on loopback only";
    int port = cfg.port;
    for (const auto& a : cfg.bind_addresses) {
      auto s = std::make_unique<httplib::Server>();
      add_routes(*s, sh_);
      int got = -1;
      if (port == 0) got = s->bind_to_any_port(a);
      else if (s->bind_to_port(a, port)) got = port;
      if (got <= 0) {
        // A missing IPv6 loopback is not fatal while another address listens.
        if (cfg.bind_addresses.size() == 1) return "cannot bind " + a + " port " + std::to_string(port);
        skipped_.push_back(a);
        continue;
      }
      port = got;
      bound_.push_back(a);
      servers_.push_back(std::move(s));
    }
    if (servers_.empty()) return "cannot bind any of the loopback addresses on port " + std::to_string(cfg.port);
    port_ = uint16_t(port);
    for (auto& s : servers_) {
      httplib::Server* p = s.get();
      threads_.emplace_back([p] { p->listen_after_bind(); });
    }
    return {};
  }

  uint16_t port() const override { return port_; }
  std::vector<std::string> bound() const override { return bound_; }

  void stop() override {
    std::lock_guard<std::mutex> lk(stop_mu_);
    for (auto& s : servers_) s->stop();
    for (auto& t : threads_)
      if (t.joinable()) t.join();
    threads_.clear();
  }

 private:
  Shared sh_;
  std::vector<std::unique_ptr<httplib::Server>> servers_;
  std::vector<std::thread> threads_;
  std::vector<std::string> bound_, skipped_;
  uint16_t port_ = 0;
  std::mutex stop_mu_;
};

}  // namespace

bool is_loopback_address(const std::string& ip) {
  in_addr v4;
  if (inet_pton(AF_INET, ip.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6;
  if (inet_pton(AF_INET6, ip.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

std::string read_token_file(const std::string& path) {
  std::ifstream f(path);
  if (!f) return {};
  std::string tok;
  std::getline(f, tok);
  while (!tok.empty() && std::isspace((unsigned char)tok.back())) tok.pop_back();
  return tok;
}

ApiStart start_http_api(StatusSource& src, const ApiConfig& cfg) {
  auto impl = std::make_unique<Impl>(src, cfg);
  if (std::string err = impl->start(); !err.empty()) return {nullptr, err};
  return {std::move(impl), {}};
}

}  // namespace flatnet::control::api
