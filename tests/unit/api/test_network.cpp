// /network routes (control/api/network_routes.*) against a fake
// NetworkSource, and flatnet-cli's network verbs against them: stock
// 1.14.1's JSON field names and zerotier-cli's output lines.
#include <sys/wait.h>

#include <cstdio>
#include <map>
#include <sstream>

#include "tests/unit/api/fake_source.hpp"

namespace flatnet::control::api::test {
namespace {

class FakeNetworks final : public NetworkSource {
 public:
  std::map<uint64_t, NetworkStatusView> nets;

  static NetworkStatusView sample(uint64_t nwid) {
    NetworkStatusView v;
    v.nwid = nwid;
    v.mac = 0x32b27e5a1e3cULL;
    v.name = "lan";
    v.status = "OK";
    v.type = "PRIVATE";
    v.mtu = 2800;
    v.port_device_name = "ztabcdefgh";
    v.netconf_revision = 7;
    v.assigned_addresses = {"10.147.17.5/24", "fd80:56c2:e21c:0:199:93b2:7e5a:1e3c/88"};
    v.routes = {{"10.147.17.0/24", "", 0, 0}, {"10.0.0.0/8", "10.147.17.1", 0, 5}};
    v.multicast_subscriptions = {{0xffffffffffffULL, 0x0a931105}};
    v.dns_domain = "lan.example";
    v.dns_servers = {"10.147.17.1"};
    return v;
  }
  std::vector<NetworkStatusView> networks() override {
    std::vector<NetworkStatusView> v;
    for (auto& [k, n] : nets) v.push_back(n);
    return v;
  }
  std::optional<NetworkStatusView> network(uint64_t nwid) override {
    auto it = nets.find(nwid);
    if (it == nets.end()) return std::nullopt;
    return it->second;
  }
  bool join_network(uint64_t nwid, const NetworkSettingsChange& c, NetworkStatusView* out,
                    std::string*) override {
    if (!nets.count(nwid)) {
      nets[nwid] = sample(nwid);
      nets[nwid].status = "REQUESTING_CONFIGURATION";
    }
    NetworkStatusView& n = nets[nwid];
    if (c.allow_managed) n.allow_managed = *c.allow_managed;
    if (c.allow_global) n.allow_global = *c.allow_global;
    if (c.allow_default) n.allow_default = *c.allow_default;
    if (c.allow_dns) n.allow_dns = *c.allow_dns;
    *out = n;
    return true;
  }
  bool leave_network(uint64_t nwid) override { return nets.erase(nwid) > 0; }
};

struct WithNetworks {
  FakeNetworks nets;
  std::unique_ptr<Running> api;
  WithNetworks() {
    nets.nets[0x8056c2e21c000001ULL] = FakeNetworks::sample(0x8056c2e21c000001ULL);
    ApiConfig cfg;
    cfg.networks = &nets;
    api = std::make_unique<Running>(cfg);
  }
};

nlohmann::json get_json(const Running& api, const std::string& path, int* status) {
  auto c = api.client();
  auto r = c.Get(path, auth());
  *status = r ? r->status : 0;
  return r ? nlohmann::json::parse(r->body, nullptr, false) : nlohmann::json();
}

TEST(NetworkApi, ListHasStockFields) {
  WithNetworks w;
  int st = 0;
  auto j = get_json(*w.api, "/network", &st);
  ASSERT_EQ(st, 200);
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 1u);
  const auto& n = j[0];
  for (const char* k : {"id", "nwid", "mac", "name", "status", "type", "mtu", "dhcp", "bridge",
                        "broadcastEnabled", "portError", "netconfRevision", "portDeviceName",
                        "allowManaged", "allowGlobal", "allowDefault", "allowDNS",
                        "assignedAddresses", "routes", "multicastSubscriptions", "dns"})
    EXPECT_TRUE(n.contains(k)) << k;
  EXPECT_EQ(n["id"], "8056c2e21c000001");
  EXPECT_EQ(n["nwid"], "8056c2e21c000001");
  EXPECT_EQ(n["mac"], "32:b2:7e:5a:1e:3c");
  EXPECT_EQ(n["mtu"], 2800);
  EXPECT_EQ(n["routes"][0]["via"], nullptr);
  EXPECT_EQ(n["routes"][1]["via"], "10.147.17.1");
  EXPECT_EQ(n["routes"][1]["metric"], 5);
  EXPECT_EQ(n["multicastSubscriptions"][0]["mac"], "ff:ff:ff:ff:ff:ff");
  EXPECT_EQ(n["multicastSubscriptions"][0]["adi"], 0x0a931105);
  EXPECT_EQ(n["dns"]["domain"], "lan.example");
  EXPECT_EQ(n["dns"]["servers"][0], "10.147.17.1");
}

TEST(NetworkApi, GetJoinSetLeave) {
  WithNetworks w;
  int st = 0;
  get_json(*w.api, "/network/1111111111111111", &st);
  EXPECT_EQ(st, 404);
  get_json(*w.api, "/network/zz", &st);
  EXPECT_EQ(st, 404);
  auto c = w.api->client();
  auto r = c.Post("/network/1111111111111111", auth(), "{}", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  auto j = nlohmann::json::parse(r->body);
  EXPECT_EQ(j["status"], "REQUESTING_CONFIGURATION");
  // Only booleans change settings; other keys and bad JSON are ignored, as stock.
  r = c.Post("/network/1111111111111111", auth(), R"({"allowGlobal":true,"allowDNS":"yes"})",
             "application/json");
  ASSERT_TRUE(r);
  j = nlohmann::json::parse(r->body);
  EXPECT_EQ(j["allowGlobal"], true);
  EXPECT_EQ(j["allowDNS"], false);
  r = c.Post("/network/1111111111111111", auth(), "{not json", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  r = c.Delete("/network/1111111111111111", auth());
  ASSERT_TRUE(r);
  EXPECT_EQ(nlohmann::json::parse(r->body), nlohmann::json({{"result", true}}));
  r = c.Delete("/network/1111111111111111", auth());
  ASSERT_TRUE(r);
  EXPECT_EQ(nlohmann::json::parse(r->body), nlohmann::json::object());
  // Without the token: 401, as every route.
  r = c.Get("/network");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
}

struct Run {
  int code = -1;
  std::vector<std::string> lines;
  std::string err;
};

Run run_cli(const Running& api, const std::string& args) {
  const std::string errf = testing::TempDir() + "flatnet_cli_net_stderr.txt";
  const std::string cmd = "timeout 20 " + std::string(FLATNET_CLI_PATH) + " -p" +
                          std::to_string(api.port()) + " -T" + kToken + " " + args + " 2>" + errf;
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

TEST(NetworkCli, ZerotierCliLines) {
  WithNetworks w;
  auto r = run_cli(*w.api, "listnetworks");
  EXPECT_EQ(r.code, 0) << r.err;
  ASSERT_EQ(r.lines.size(), 2u);
  EXPECT_EQ(r.lines[0], "200 listnetworks <nwid> <name> <mac> <status> <type> <dev> <ZT assigned ips>");
  EXPECT_EQ(r.lines[1],
            "200 listnetworks 8056c2e21c000001 lan 32:b2:7e:5a:1e:3c OK PRIVATE ztabcdefgh "
            "10.147.17.5/24,fd80:56c2:e21c:0:199:93b2:7e5a:1e3c/88");
  r = run_cli(*w.api, "get 8056c2e21c000001 ip4");
  EXPECT_EQ(r.code, 0);
  ASSERT_EQ(r.lines.size(), 1u);
  EXPECT_EQ(r.lines[0], "10.147.17.5");
  r = run_cli(*w.api, "get 8056c2e21c000001 mtu");
  ASSERT_EQ(r.lines.size(), 1u);
  EXPECT_EQ(r.lines[0], "2800");
  r = run_cli(*w.api, "get 8056c2e21c000001 allowManaged");
  ASSERT_EQ(r.lines.size(), 1u);
  EXPECT_EQ(r.lines[0], "1");  // booleans as 1/0, as OSUtils::jsonString
  r = run_cli(*w.api, "get 8056c2e21c000001 nosuchkey");
  ASSERT_EQ(r.lines.size(), 1u);
  EXPECT_EQ(r.lines[0], "error, unknown property name");
  r = run_cli(*w.api, "get 1111111111111111 ip");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("unknown network ID"), std::string::npos);

  r = run_cli(*w.api, "join 1111111111111111");
  EXPECT_EQ(r.code, 0);
  ASSERT_EQ(r.lines.size(), 1u);
  EXPECT_EQ(r.lines[0], "200 join OK");
  r = run_cli(*w.api, "set 1111111111111111 allowDefault=1");
  EXPECT_EQ(r.code, 0);
  std::string all;
  for (auto& l : r.lines) all += l;
  auto j = nlohmann::json::parse(all, nullptr, false);
  ASSERT_TRUE(j.is_object()) << all;
  EXPECT_EQ(j["allowDefault"], true);
  r = run_cli(*w.api, "leave 1111111111111111");
  ASSERT_EQ(r.lines.size(), 1u);
  EXPECT_EQ(r.lines[0], "200 leave OK");
  r = run_cli(*w.api, "join 12345");
  EXPECT_EQ(r.code, 2);
  ASSERT_EQ(r.lines.size(), 1u);
  EXPECT_EQ(r.lines[0], "invalid network id");
  r = run_cli(*w.api, "-j listnetworks");
  all.clear();
  for (auto& l : r.lines) all += l + "\n";
  j = nlohmann::json::parse(all, nullptr, false);
  ASSERT_TRUE(j.is_array()) << all;
  EXPECT_EQ(j.size(), 1u);
}

}  // namespace
}  // namespace flatnet::control::api::test
