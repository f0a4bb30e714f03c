// flatnet-cli run as a subprocess against the API on a free loopback port
// (fake StatusSource): zerotier-cli output lines and exit codes.
#include <sys/wait.h>

#include <cstdio>
#include <regex>
#include <sstream>

#include "tests/unit/api/fake_source.hpp"

namespace flatnet::control::api::test {
namespace {

struct Run {
  int code = -1;
  std::vector<std::string> lines;  // stdout
  std::string err;                 // stderr
};

Run run_cli(const std::string& args) {
  const std::string errf = testing::TempDir() + "flatnet_cli_stderr.txt";
  const std::string cmd = "timeout 20 " + std::string(FLATNET_CLI_PATH) + " " + args + " 2>" + errf;
  Run r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  std::string out;
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0 && out.size() < (1u << 20)) out.append(buf, n);
  const int st = pclose(p);
  r.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  std::istringstream in(out);
  for (std::string l; std::getline(in, l);) r.lines.push_back(l);
  std::ifstream ef(errf);
  std::getline(ef, r.err, '\0');
  return r;
}

std::string conn(const Running& api) {
  return "-p" + std::to_string(api.port()) + " -T" + kToken + " ";
}

TEST(Cli, Info) {
  Running api;
  auto r = run_cli(conn(api) + "info");
  EXPECT_EQ(r.code, 0) << r.err;
  ASSERT_EQ(r.lines.size(), 1u);
  EXPECT_EQ(r.lines[0], "200 info ee420f0cda 1.14.1 ONLINE");
  // Switches after the verb too (`flatnet info -j`), and -j is raw JSON.
  r = run_cli("info -j " + conn(api));
  EXPECT_EQ(r.code, 0) << r.err;
  std::string all;
  for (auto& l : r.lines) all += l + "\n";
  auto j = nlohmann::json::parse(all, nullptr, false);
  ASSERT_TRUE(j.is_object()) << all;
  EXPECT_EQ(j["address"], "ee420f0cda");
  ASSERT_GE(r.lines.size(), 2u);
  EXPECT_EQ(r.lines[1].rfind(" \"address\"", 0), 0u) << "indent 1 as stock: " << r.lines[1];
}

TEST(Cli, ListPeers) {
  Running api;
  auto r = run_cli(conn(api) + "listpeers");
  EXPECT_EQ(r.code, 0) << r.err;
  ASSERT_EQ(r.lines.size(), 4u);
  EXPECT_EQ(r.lines[0], "200 listpeers <ztaddr> <path> <latency> <version> <role>");
  // ms-since values depend on the wall clock vs the fake's fixed one: match shape.
  EXPECT_TRUE(std::regex_match(r.lines[1],
      std::regex(R"(200 listpeers 359e3db032 10\.99\.0\.1/9993;-?\d+;-?\d+ 28 1\.14\.1 PLANET)")))
      << r.lines[1];
  EXPECT_EQ(r.lines[2], "200 listpeers 7777777777 - -1 - LEAF");
  EXPECT_TRUE(std::regex_match(r.lines[3],
      std::regex(R"(200 listpeers c989c90153 10\.99\.0\.12/9993;-?\d+;-?\d+ 0 1\.14\.1 LEAF)")))
      << r.lines[3];
}

TEST(Cli, Peers) {
  Running api;
  auto r = run_cli(conn(api) + "peers");
  EXPECT_EQ(r.code, 0) << r.err;
  ASSERT_EQ(r.lines.size(), 5u);
  EXPECT_EQ(r.lines[0], "200 peers");
  EXPECT_EQ(r.lines[1], "<ztaddr>   <ver>  <role> <lat> <link>   <lastTX> <lastRX> <path>");
  EXPECT_TRUE(std::regex_match(r.lines[2],
      std::regex(R"(359e3db032 1\.14\.1 PLANET    28 DIRECT -?\d+ +-?\d+ +10\.99\.0\.1/9993)")))
      << r.lines[2];
  EXPECT_EQ(r.lines[3], "7777777777 -      LEAF      -1 RELAY");
}

TEST(Cli, MoonsOrbitDeorbit) {
  Running api;
  auto r = run_cli(conn(api) + "listmoons");
  EXPECT_EQ(r.code, 0) << r.err;
  ASSERT_FALSE(r.lines.empty());
  EXPECT_EQ(r.lines[0], "[");
  r = run_cli(conn(api) + "orbit aaaaaaaaaa c989c90153");
  EXPECT_EQ(r.code, 0) << r.err;
  ASSERT_EQ(r.lines.size(), 1u);
  EXPECT_EQ(r.lines[0], "200 orbit OK");
  ASSERT_EQ(api.src.orbits.size(), 1u);
  EXPECT_EQ(api.src.orbits[0].first, uint64_t(0xaaaaaaaaaaULL));
  EXPECT_EQ(api.src.orbits[0].second, uint64_t(0xc989c90153ULL));
  r = run_cli(conn(api) + "deorbit aaaaaaaaaa");
  EXPECT_EQ(r.code, 0) << r.err;
  ASSERT_EQ(r.lines.size(), 1u);
  EXPECT_EQ(r.lines[0], "200 deorbit OK");
  // Not orbiting any more: "<status> <command> <body>", exit 1.
  r = run_cli(conn(api) + "deorbit aaaaaaaaaa");
  EXPECT_EQ(r.code, 1);
  ASSERT_EQ(r.lines.size(), 1u);
  EXPECT_EQ(r.lines[0].rfind("404 deorbit {", 0), 0u) << r.lines[0];
}

TEST(Cli, Ping) {
  Running api;
  auto r = run_cli(conn(api) + "ping c989c90153 -c 3 -t 50");
  EXPECT_EQ(r.code, 0) << r.err;
  ASSERT_EQ(r.lines.size(), 3u);
  EXPECT_EQ(r.lines[0], "200 ping c989c90153 seq=0 rtt=1.250 ms direct");
  EXPECT_EQ(r.lines[1], "200 ping c989c90153 seq=2 rtt=3.250 ms relayed");
  EXPECT_EQ(r.lines[2], "200 ping c989c90153 3 sent 2 received");
  ASSERT_EQ(api.src.pings.size(), 1u);
  EXPECT_EQ(api.src.pings[0].count, 3);
  EXPECT_EQ(api.src.pings[0].timeout, 50);
  r = run_cli(conn(api) + "ping 0123456789");
  EXPECT_EQ(r.code, 1);
  ASSERT_EQ(r.lines.size(), 1u);
  EXPECT_EQ(r.lines[0].rfind("400 ping {", 0), 0u) << r.lines[0];
}

TEST(Cli, Errors) {
  Running api;
  // Wrong token: the stock "<status> <command> <body>" line, a hint, exit 1.
  auto r = run_cli("-p" + std::to_string(api.port()) + " -Twrong info");
  EXPECT_EQ(r.code, 1);
  ASSERT_EQ(r.lines.size(), 1u);
  EXPECT_EQ(r.lines[0], "401 info {}");
  EXPECT_NE(r.err.find("auth token"), std::string::npos) << r.err;
  // Bad arguments: exit 2, nothing asked of the service.
  for (const char* a : {"", "frobnicate", "orbit aaaaaaaaaa", "orbit aaaaaaaaaa zz", "deorbit x",
                        "ping", "ping 12345", "ping c989c90153 -c", "ping c989c90153 -c 0",
                        "-pnope info", "-q info"}) {
    r = run_cli(conn(api) + a);
    EXPECT_EQ(r.code, 2) << a;
  }
  EXPECT_TRUE(api.src.orbits.empty());
  EXPECT_TRUE(api.src.pings.empty());
  // No token anywhere: exit 2 with a clear message.
  r = run_cli("-D/nonexistent-flatnet-home -p" + std::to_string(api.port()) + " info");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("authtoken.secret"), std::string::npos) << r.err;
  // The token read from <home>/authtoken.secret.
  const std::string home = testing::TempDir() + "flatnet_cli_home";
  std::filesystem::create_directories(home);
  std::ofstream(home + "/authtoken.secret") << kToken << "\n";
  r = run_cli("-D" + home + " -p" + std::to_string(api.port()) + " info");
  EXPECT_EQ(r.code, 0) << r.err;
  // Service not running: exit 1 and says so.
  const uint16_t port = api.port();
  api.server->stop();
  r = run_cli("-p" + std::to_string(port) + " -T" + kToken + " info");
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(r.lines.empty());
  EXPECT_NE(r.err.find("is flatnetd running"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace flatnet::control::api::test
