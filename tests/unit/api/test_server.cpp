// The HTTP API against a fake StatusSource: auth, every route's JSON shape
// (keys compared with the stock 1.14.1 captures), /metrics format, actions
// plumbing, malformed input.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <regex>
#include <thread>
#include <set>
#include <sstream>

#include "control/api/json.hpp"
#include "control/api/prometheus.hpp"
#include "tests/unit/api/fake_source.hpp"

namespace flatnet::control::api::test {
namespace {

using nlohmann::json;

json body_json(const httplib::Result& r) {
  return r ? json::parse(r->body, nullptr, false) : json();
}

TEST(ApiBind, RefusesNonLoopback) {
  FakeSource src;
  for (const char* a : {"0.0.0.0", "::", "10.0.0.1", "192.168.1.1", "fe80::1", "localhost", ""}) {
    ApiConfig cfg;
    cfg.bind_addresses = {a};
    cfg.port = 0;
    cfg.auth_token = kToken;
    auto st = start_http_api(src, cfg);
    EXPECT_EQ(st.server, nullptr) << a;
    EXPECT_FALSE(st.error.empty()) << a;
  }
  EXPECT_TRUE(is_loopback_address("127.0.0.1"));
  EXPECT_TRUE(is_loopback_address("127.1.2.3"));
  EXPECT_TRUE(is_loopback_address("::1"));
  EXPECT_FALSE(is_loopback_address("128.0.0.1"));
  EXPECT_FALSE(is_loopback_address("::ffff:10.0.0.1"));
}

TEST(ApiBind, RefusesEmptyToken) {
  FakeSource src;
  ApiConfig cfg;
  cfg.bind_addresses = {"127.0.0.1"};
  cfg.port = 0;
  auto st = start_http_api(src, cfg);
  EXPECT_EQ(st.server, nullptr);
}

TEST(ApiBind, BothLoopbacksSamePort) {
  FakeSource src;
  ApiConfig cfg;
  cfg.port = 0;
  cfg.auth_token = kToken;
  auto st = start_http_api(src, cfg);
  ASSERT_NE(st.server, nullptr) << st.error;
  const auto b = st.server->bound();
  ASSERT_GE(b.size(), 1u);
  for (const auto& a : b) {
    httplib::Client c(a, st.server->port());
    c.set_connection_timeout(2);
    auto r = c.Get("/status", auth());
    ASSERT_TRUE(r) << a;
    EXPECT_EQ(r->status, 200) << a;
  }
  st.server->stop();
  st.server->stop();  // idempotent
}

TEST(ApiAuth, TokenRequiredEverywhere) {
  Running api;
  auto c = api.client();
  for (const char* path : {"/status", "/peer", "/peer/c989c90153", "/moon", "/moon/1122334455",
                           "/metrics", "/nonexistent"}) {
    auto r = c.Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 401) << path;
    EXPECT_EQ(r->body, "{}") << path;
    r = c.Get(path, {{"X-ZT1-Auth", "wrong"}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401) << path;
    r = c.Get(path, {{"X-ZT1-Auth", std::string(kToken) + "x"}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401) << path;
  }
  auto r = c.Post("/moon/1122334455", "{}", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  r = c.Delete("/moon/1122334455");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  r = c.Post("/ping/c989c90153");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_TRUE(api.src.orbits.empty());
  EXPECT_TRUE(api.src.deorbits.empty());
  EXPECT_TRUE(api.src.pings.empty());
  // The metrics token opens /metrics only.
  r = c.Get("/status", {{"Authorization", std::string("Bearer ") + kMetricsToken}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
}

TEST(ApiAuth, TokenForms) {
  Running api;
  auto c = api.client();
  auto r = c.Get("/status", {{"x-zt1-auth", kToken}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  r = c.Get((std::string("/status?auth=") + kToken).c_str());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  r = c.Get("/status", {{"Authorization", std::string("bearer ") + kToken}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  r = c.Get("/status", {{"Authorization", std::string("Bearer ") + kToken + " extra"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  // /health is exempt, as stock.
  r = c.Get("/health");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(body_json(r).value("version", ""), "1.14.1");
}

TEST(ApiRoutes, StatusShape) {
  Running api;
  auto c = api.client();
  auto r = c.Get("/status", auth());
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  const json j = body_json(r);
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["address"], "ee420f0cda");
  EXPECT_EQ(j["versionMajor"], 1);
  EXPECT_EQ(j["versionMinor"], 14);
  EXPECT_EQ(j["versionRev"], 1);
  EXPECT_EQ(j["online"], true);
  EXPECT_EQ(j["planetWorldId"], 42424242);
  EXPECT_EQ(j["clock"], api.src.now);
  EXPECT_EQ(j["config"]["settings"]["homeDir"], "/tmp/flatnet-api-test");
  EXPECT_EQ(j["config"]["settings"]["primaryPort"], 9993);
  EXPECT_EQ(j["config"]["settings"]["secondaryPort"], 41234) << "the data plane's, as control read it";
  EXPECT_EQ(j["config"]["settings"]["allowSecondaryPort"], true);

  bool ci;
  auto stock = stock_json("info-a.json", &ci);
  if (!stock) {
    if (ci) FAIL() << "stock vectors missing under CI=true (FLATNET_VECTORS)";
    GTEST_SKIP() << "stock vectors not found (set FLATNET_VECTORS); key comparison skipped";
  }
  ASSERT_FALSE(stock->is_discarded());
  expect_same_keys(*stock, j, "status");
}

TEST(ApiRoutes, PeersShapeAndOrder) {
  Running api;
  auto c = api.client();
  auto r = c.Get("/peer", auth());
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  const json j = body_json(r);
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 3u);
  EXPECT_EQ(j[0]["address"], "359e3db032");
  EXPECT_EQ(j[1]["address"], "7777777777");
  EXPECT_EQ(j[2]["address"], "c989c90153");
  EXPECT_EQ(j[0]["role"], "PLANET");
  EXPECT_EQ(j[0]["latency"], 28);
  EXPECT_EQ(j[0]["paths"][0]["address"], "10.99.0.1/9993");
  EXPECT_EQ(j[0]["paths"][0]["preferred"], true);
  EXPECT_EQ(j[0]["paths"][0]["lastSend"], api.src.now - 2800);
  // Unknown version: stock's -1 fields.
  EXPECT_EQ(j[1]["version"], "-1.-1.-1");
  EXPECT_EQ(j[1]["versionMajor"], -1);
  EXPECT_EQ(j[1]["latency"], -1);
  EXPECT_TRUE(j[1]["paths"].is_array() && j[1]["paths"].empty());

  r = c.Get("/peer/C989C90153", auth());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(body_json(r)["address"], "c989c90153");
  r = c.Get("/peer/0123456789", auth());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "{}");

  bool ci;
  auto stock = stock_json("listpeers-a.json", &ci);
  if (!stock) {
    if (ci) FAIL() << "stock vectors missing under CI=true (FLATNET_VECTORS)";
    GTEST_SKIP() << "stock vectors not found (set FLATNET_VECTORS); key comparison skipped";
  }
  ASSERT_TRUE(stock->is_array());
  expect_same_keys((*stock)[0], j[0], "peer");
  expect_same_keys((*stock)[0], body_json(c.Get("/peer/c989c90153", auth())), "peer/<addr>");
}

TEST(ApiRoutes, BadAddresses) {
  Running api;
  auto c = api.client();
  for (const char* p : {"/peer/c989c9015", "/peer/c989c901533", "/peer/zz89c90153", "/peer/0000000000",
                        "/peer/ff00000001", "/peer/", "/moon/12345", "/moon/xx22334455"}) {
    auto r = c.Get(p, auth());
    ASSERT_TRUE(r) << p;
    EXPECT_EQ(r->status, 400) << p;
    const json j = body_json(r);
    EXPECT_EQ(j.value("error", 0), 400) << p;
    EXPECT_FALSE(j.value("description", "").empty()) << p;
  }
  for (const char* p : {"/nope", "/peer/c989c90153/x", "/network"}) {
    auto r = c.Get(p, auth());
    ASSERT_TRUE(r) << p;
    EXPECT_EQ(r->status, 404) << p;
    EXPECT_EQ(body_json(r).value("error", 0), 404) << p;
  }
}

TEST(ApiRoutes, MoonsOrbitDeorbit) {
  Running api;
  auto c = api.client();
  auto r = c.Get("/moon", auth());
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  json j = body_json(r);
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 1u);
  const std::set<std::string> moon_keys{"id", "roots", "seed", "signature", "timestamp",
                                        "updatesMustBeSignedBy", "waiting"};
  std::set<std::string> keys;
  for (auto& [k, _] : j[0].items()) keys.insert(k);
  EXPECT_EQ(keys, moon_keys);
  EXPECT_EQ(j[0]["id"], "0000001122334455");
  EXPECT_EQ(j[0]["roots"][0]["identity"], "1122334455");
  r = c.Get("/moon/1122334455", auth());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(body_json(r)["timestamp"], 1700000000000);
  r = c.Get("/moon/0000001122334455", auth());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  r = c.Get("/moon/aaaaaaaaaa", auth());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);

  r = c.Post("/moon/aaaaaaaaaa", auth(), R"({"seed":"c989c90153"})", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  j = body_json(r);
  EXPECT_EQ(j["waiting"], true);
  EXPECT_EQ(j["id"], "000000aaaaaaaaaa");
  EXPECT_TRUE(j["roots"].is_array() && j["roots"].empty());
  ASSERT_EQ(api.src.orbits.size(), 1u);
  EXPECT_EQ(api.src.orbits[0].first, 0xaaaaaaaaaaULL);
  EXPECT_EQ(api.src.orbits[0].second, 0xc989c90153ULL);
  // PUT works as POST; an empty body means no seed.
  r = c.Put("/moon/bbbbbbbbbb", auth(), "", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  ASSERT_EQ(api.src.orbits.size(), 2u);
  EXPECT_EQ(api.src.orbits[1].second, 0u);
  // Refused by the source: 400 with its sentence.
  r = c.Post("/moon/deadbeef00", auth(), "{}", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(body_json(r)["description"], "that moon is refused");

  for (const char* bad : {"{", "[1,2]", "\"x\"", R"({"seed":12})", R"({"seed":"c989c9015"})",
                          R"({"seed":"xyz"})", "\xff\xfe"}) {
    r = c.Post("/moon/cccccccccc", auth(), bad, "application/json");
    ASSERT_TRUE(r) << bad;
    EXPECT_EQ(r->status, 400) << bad;
  }
  EXPECT_EQ(api.src.orbits.size(), 2u);

  r = c.Delete("/moon/aaaaaaaaaa", auth());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(body_json(r), json({{"result", true}}));
  ASSERT_EQ(api.src.deorbits.size(), 1u);
  EXPECT_EQ(api.src.deorbits[0], 0xaaaaaaaaaaULL);
  r = c.Delete("/moon/aaaaaaaaaa", auth());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  r = c.Delete("/moon/nothex0000", auth());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
}

TEST(ApiRoutes, Ping) {
  Running api;
  auto c = api.client();
  auto r = c.Post("/ping/c989c90153?count=5&timeout=200", auth(), "", "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  const json j = body_json(r);
  EXPECT_EQ(j["address"], "c989c90153");
  EXPECT_EQ(j["sent"], 5);
  EXPECT_EQ(j["received"], 3);
  ASSERT_EQ(j["replies"].size(), 3u);
  EXPECT_EQ(j["replies"][1]["seq"], 2);
  EXPECT_DOUBLE_EQ(j["replies"][1]["rtt"].get<double>(), 3.25);
  EXPECT_EQ(j["replies"][1]["relayed"], true);
  EXPECT_EQ(j["replies"][0]["relayed"], false);
  ASSERT_EQ(api.src.pings.size(), 1u);
  EXPECT_EQ(api.src.pings[0].count, 5);
  EXPECT_EQ(api.src.pings[0].timeout, 200);
  // Defaults.
  r = c.Post("/ping/c989c90153", auth(), "", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  ASSERT_EQ(api.src.pings.size(), 2u);
  EXPECT_EQ(api.src.pings[1].count, 4);
  EXPECT_EQ(api.src.pings[1].timeout, 1000);
  // Unknown peer: the source's error.
  r = c.Post("/ping/0123456789", auth(), "", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(body_json(r)["description"], "unknown peer");
  for (const char* p : {"/ping/c989c90153?count=0", "/ping/c989c90153?count=101",
                        "/ping/c989c90153?count=abc", "/ping/c989c90153?count=-1",
                        "/ping/c989c90153?timeout=0", "/ping/c989c90153?timeout=99999999999",
                        "/ping/c989c90153?count=", "/ping/nothex"}) {
    r = c.Post(p, auth(), "", "application/json");
    ASSERT_TRUE(r) << p;
    EXPECT_EQ(r->status, 400) << p;
  }
  EXPECT_EQ(api.src.pings.size(), 3u);
}

TEST(ApiRoutes, PingBounded) {
  ApiConfig cfg;
  cfg.max_concurrent_pings = 1;
  Running api(cfg);
  auto c = api.client();
  // count * timeout over the total budget (60 s): refused before the source.
  auto r = c.Post("/ping/c989c90153?count=100&timeout=1000", auth(), "", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_TRUE(api.src.pings.empty());
  // One ping held inside the source: a second one is turned away with 503.
  {
    std::lock_guard<std::mutex> lk(api.src.mu);
    api.src.hold_pings = true;
  }
  std::thread first([&] {
    auto c1 = api.client();
    auto r1 = c1.Post("/ping/c989c90153?count=1", auth(), "", "application/json");
    EXPECT_TRUE(r1 && r1->status == 200);
  });
  ASSERT_TRUE(api.src.wait_held(1));
  r = c.Post("/ping/c989c90153?count=1", auth(), "", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  // Other routes still answer meanwhile.
  r = c.Get("/status", auth());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  api.src.release_pings();
  first.join();
  r = c.Post("/ping/c989c90153?count=1", auth(), "", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

// Bytes that are not HTTP, sent over a raw socket: an error status or a
// closed connection, never a hang; the server keeps serving.
struct RawReply {
  std::string bytes;
  bool closed = false;  // the server ended the connection (EOF or reset), not our 6 s timeout
};

RawReply raw_exchange(uint16_t port, const std::string& bytes) {
  RawReply out;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return out;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{6, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (connect(fd, (sockaddr*)&a, sizeof a) == 0) {
    (void)!write(fd, bytes.data(), bytes.size());
    shutdown(fd, SHUT_WR);
    char buf[4096];
    for (int i = 0; i < 64; ++i) {
      const ssize_t n = read(fd, buf, sizeof buf);
      if (n > 0) { out.bytes.append(buf, size_t(n)); continue; }
      out.closed = n == 0 || errno == ECONNRESET;
      break;
    }
  }
  close(fd);
  return out;
}

TEST(ApiRoutes, MalformedHttp) {
  Running api;
  const std::string tok = std::string("X-ZT1-Auth: ") + kToken + "\r\n";
  for (const std::string& bytes :
       {std::string("GARBAGE\r\n\r\n"), std::string("\x00\x01\x02\xff\r\n\r\n", 8),
        "POST /moon/aaaaaaaaaa HTTP/1.1\r\n" + tok + "Content-Length: 99999999999\r\n\r\n{",
        "GET /status HTTP/1.1\r\n" + tok + "X-Long: " + std::string(100000, 'a') + "\r\n\r\n",
        std::string("GET ") + std::string(20000, '/') + " HTTP/1.1\r\n\r\n"}) {
    const RawReply reply = raw_exchange(api.port(), bytes);
    EXPECT_TRUE(reply.closed) << "connection left hanging: " << bytes.substr(0, 40);
    if (!reply.bytes.empty()) {
      EXPECT_EQ(reply.bytes.rfind("HTTP/1.1 4", 0), 0u) << reply.bytes.substr(0, 80);
    }
  }
  EXPECT_TRUE(api.src.orbits.empty());
  auto c = api.client();
  auto r = c.Get("/status", auth());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST(ApiRoutes, HugeBodyRefused) {
  ApiConfig cfg;
  cfg.max_body_bytes = 4096;
  Running api(cfg);
  auto c = api.client();
  const std::string big = "{\"seed\":\"" + std::string(100000, 'a') + "\"}";
  auto r = c.Post("/moon/aaaaaaaaaa", auth(), big, "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_TRUE(api.src.orbits.empty());
  // The server still answers afterwards.
  r = c.Get("/status", auth());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

// Every line is a comment (# HELP/# TYPE) or `name{labels} value`; every
// sample's name was introduced by HELP and TYPE lines.
void check_exposition(const std::string& text, std::set<std::string>* names) {
  static const std::regex help(R"(# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .*)");
  static const std::regex type(R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge))");
  static const std::regex sample(
      R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*",?)*\})? ([-+]?[0-9.eE+-]+|NaN|[+-]Inf))");
  std::set<std::string> helped, typed;
  std::istringstream in(text);
  std::string line;
  size_t n = 0;
  ASSERT_FALSE(text.empty());
  ASSERT_EQ(text.back(), '\n');
  while (std::getline(in, line)) {
    ++n;
    std::smatch m;
    if (std::regex_match(line, m, help)) {
      EXPECT_TRUE(helped.insert(m[1]).second) << "second HELP for " << m[1];
    } else if (std::regex_match(line, m, type)) {
      EXPECT_TRUE(typed.insert(m[1]).second) << "second TYPE for " << m[1];
    } else if (std::regex_match(line, m, sample)) {
      EXPECT_TRUE(helped.count(m[1])) << line;
      EXPECT_TRUE(typed.count(m[1])) << line;
      names->insert(m[1]);
    } else {
      ADD_FAILURE() << "not exposition format: " << line;
    }
  }
  EXPECT_GT(n, 0u);
}

TEST(ApiRoutes, StuckServiceIs503) {
  Running api;
  api.src.unavailable = true;
  auto c = api.client();
  for (const char* path : {"/status", "/health", "/peer", "/peer/c989c90153"}) {
    auto r = c.Get(path, auth());
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 503) << path;
    const json j = body_json(r);
    EXPECT_EQ(j.value("error", 0), 503) << path;
    EXPECT_NE(j.value("description", "").find("did not answer"), std::string::npos) << r->body;
  }
  api.src.unavailable = false;
  auto r = c.Get("/status", auth());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

// A keep-alive client that reads each whole response before it sends the
// next request (Python's http.client, Prometheus): with Nagle on the
// server's socket, the body of every response after the first waited for
// the client's delayed ACK of the headers (~40 ms). The accepted socket
// must have TCP_NODELAY -- checked on the socket itself, on every connection,
// not by timing requests (a loaded machine makes any time limit flaky; the
// latency is a benchmark's business).
TEST(ApiLatency, KeepAliveRequestsAreNotHeldBackByNagle) {
  Running api;
  const std::string req = std::string("GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-ZT1-Auth: ") +
                          kToken + "\r\n\r\n";
  auto connect_api = [&]() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(api.port());
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
      ::close(fd);
      return -1;
    }
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
  };
  // One request and its whole response (headers, then Content-Length bytes).
  auto exchange = [&](int fd) -> bool {
    if (::send(fd, req.data(), req.size(), 0) != ssize_t(req.size())) return false;
    std::string in;
    char buf[4096];
    size_t need = std::string::npos;
    while (need == std::string::npos || in.size() < need) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return false;
      in.append(buf, size_t(n));
      const size_t end = in.find("\r\n\r\n");
      if (need == std::string::npos && end != std::string::npos) {
        const size_t cl = in.find("Content-Length: ");
        if (cl == std::string::npos || cl > end) return false;
        need = end + 4 + std::stoul(in.substr(cl + 16));
      }
    }
    return in.compare(0, 12, "HTTP/1.1 200") == 0;
  };

  // The server's end of a connection lives in this process: the socket
  // whose peer is the client's local port.
  auto server_side = [](int fd) {
    sockaddr_in mine{};
    socklen_t ml = sizeof mine;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&mine), &ml) != 0) return -1;
    for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
      const int other = std::stoi(e.path().filename().string());
      sockaddr_in peer{};
      socklen_t pl = sizeof peer;
      if (other == fd || ::getpeername(other, reinterpret_cast<sockaddr*>(&peer), &pl) != 0 ||
          peer.sin_family != AF_INET)
        continue;
      if (peer.sin_port == mine.sin_port) return other;
    }
    return -1;
  };

  // Several connections (cpp-httplib closes one after 5 requests), each
  // used for keep-alive requests: every one completes, and the server's
  // socket of every connection has TCP_NODELAY.
  for (int c = 0; c < 3; ++c) {
    const int fd = connect_api();
    ASSERT_GE(fd, 0) << std::strerror(errno);
    ASSERT_TRUE(exchange(fd));
    const int accepted = server_side(fd);
    ASSERT_GE(accepted, 0) << "the server's socket of connection " << c << " was not found";
    int nodelay = 0;
    socklen_t nl = sizeof nodelay;
    ASSERT_EQ(::getsockopt(accepted, IPPROTO_TCP, TCP_NODELAY, &nodelay, &nl), 0);
    EXPECT_NE(nodelay, 0) << "TCP_NODELAY is off on the accepted socket of connection " << c;
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(exchange(fd)) << c << "/" << i;
    ::close(fd);
  }
}

TEST(ApiMetrics, FormatAndAuth) {
  Running api;
  auto c = api.client();
  auto r = c.Get("/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  r = c.Get("/metrics", {{"Authorization", "Bearer wrong"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  r = c.Get("/metrics", {{"Authorization", std::string("Bearer ") + kMetricsToken}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type").rfind("text/plain", 0), 0u);
  std::set<std::string> names;
  check_exposition(r->body, &names);
  for (const char* n : {"flatnet_control_rx_datagrams", "flatnet_control_drops_total",
                        "flatnet_control_peers", "flatnet_bad_name", "flatnet_api_requests_total",
                        "flatnet_api_unauthorized_total"})
    EXPECT_TRUE(names.count(n)) << n;
  EXPECT_NE(r->body.find("flatnet_control_rx_datagrams 1234\n"), std::string::npos);
  EXPECT_NE(r->body.find("flatnet_control_drops_total{reason=\"bad_mac\"} 7\n"), std::string::npos);
  EXPECT_NE(r->body.find("flatnet_control_drops_total{reason=\"we\\\"ird\\\\\\n\"} 1\n"), std::string::npos);
  EXPECT_NE(r->body.find("# TYPE flatnet_control_peers gauge\n"), std::string::npos);
  EXPECT_NE(r->body.find("# HELP flatnet_control_peers peers in the table\\nnow\n"), std::string::npos);
  EXPECT_NE(r->body.find("flatnet_bad_name{_0lbl=\"x\"} 0.5\n"), std::string::npos);
  // Refusals above are counted.
  EXPECT_NE(r->body.find("flatnet_api_unauthorized_total 2\n"), std::string::npos);
  // The auth token opens /metrics too, as stock.
  r = c.Get("/metrics", auth());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST(ApiMetrics, EmptyAndOddValues) {
  EXPECT_EQ(prometheus_text({}), "");
  const std::string t = prometheus_text({{"a", {}, 1.0 / 0.0, "h", MetricType::kGauge},
                                         {"b", {}, -1.0 / 0.0, "h", MetricType::kGauge},
                                         {"c", {}, 0.0 / 0.0, "h", MetricType::kGauge},
                                         {"d", {}, 18446744073709551615.0, "h", MetricType::kCounter}});
  std::set<std::string> names;
  check_exposition(t, &names);
  EXPECT_EQ(names.size(), 4u);
  EXPECT_NE(t.find("a +Inf\n"), std::string::npos);
  EXPECT_NE(t.find("b -Inf\n"), std::string::npos);
  EXPECT_NE(t.find("c NaN\n"), std::string::npos);
}

TEST(ApiJson, AddressParsing) {
  EXPECT_EQ(parse_address("c989c90153"), 0xc989c90153ULL);
  EXPECT_EQ(parse_address("C989C90153"), 0xc989c90153ULL);
  EXPECT_FALSE(parse_address("0000000000"));
  EXPECT_FALSE(parse_address("ff12345678"));
  EXPECT_FALSE(parse_address("c989c9015"));
  EXPECT_FALSE(parse_address("c989c9015g"));
  EXPECT_FALSE(parse_address(""));
  EXPECT_EQ(parse_world("0000001122334455"), 0x1122334455ULL);
  EXPECT_EQ(parse_world("1122334455"), 0x1122334455ULL);
  EXPECT_FALSE(parse_world("112233445"));
  EXPECT_FALSE(parse_world("0000000000"));
  EXPECT_EQ(hex_address(0x12), "0000000012");
  EXPECT_EQ(hex_world(0x12), "0000000000000012");
}

}  // namespace
}  // namespace flatnet::control::api::test
