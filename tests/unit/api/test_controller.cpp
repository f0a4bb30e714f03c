// The /controller routes on a SqliteStore in a temp dir, and the pure parts
// under them (stock's coercions, rule rendering, POST application). The
// whole route set against stock's recorded answers is the integration test
// controller_api; these pin the rules flatnet adds: refused bodies store
// nothing, the 16,384 limit answers 400, and 400/404 keep stock's empty body.
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "control/api/controller_post.hpp"
#include "control/api/controller_rules.hpp"
#include "control/api/stock_json.hpp"
#include "control/controller/store/sqlite_store.hpp"
#include "tests/unit/api/fake_source.hpp"

namespace flatnet::control::api {
namespace {

using nlohmann::json;
using test::auth;
using test::Running;
namespace fs = std::filesystem;

TEST(StockJson, CoercionsAsStock) {
  EXPECT_EQ(stock::to_uint(json("48"), 1), 48u);
  EXPECT_EQ(stock::to_uint(json(true), 5), 1u);
  EXPECT_EQ(stock::to_uint(json(-1), 5), ~0ull);
  EXPECT_EQ(stock::to_uint(json::array(), 5), 5u);
  EXPECT_TRUE(stock::to_bool(json("true"), false));
  EXPECT_FALSE(stock::to_bool(json("yes"), true));  // only t, T, 1 start a true string
  EXPECT_TRUE(stock::to_bool(json(2), false));
  EXPECT_TRUE(stock::to_bool(json(nullptr), true));  // not coercible: the default
  EXPECT_EQ(stock::to_string(json(123), ""), "123");
  EXPECT_EQ(stock::to_string(json(false), ""), "0");
  auto a = stock::parse_inet("10.1.2.3/24");
  EXPECT_EQ(stock::ip_slash_port(a), "10.1.2.3/24");
  EXPECT_TRUE(stock::prefix_valid(a));
  EXPECT_EQ(stock::ip_string(stock::parse_inet("fd00:0:0:0:0:0:0:7")), "fd00::7");
  EXPECT_EQ(stock::ip_string(stock::parse_inet("bogus:x")), "::");  // a ':' makes it IPv6
  EXPECT_EQ(stock::parse_inet("bogus").family, 0);
  EXPECT_FALSE(stock::prefix_valid(stock::parse_inet("10.0.0.0/33")));
}

TEST(StockRule, RenderedAsStock) {
  EXPECT_EQ(*stock_rule(json{{"type", "ACTION_DROP"}, {"not", true}}),
            (json{{"type", "ACTION_DROP"}}));  // actions carry no not/or
  EXPECT_EQ(*stock_rule(json{{"type", "MATCH_MAC_DEST"}, {"mac", "0200aabbccdd"}}),
            (json{{"type", "MATCH_MAC_DEST"}, {"mac", "02:00:aa:bb:cc:dd"}, {"not", false},
                  {"or", false}}));
  EXPECT_EQ((*stock_rule(json{{"type", "MATCH_IPV4_DEST"}, {"ip", "10.0.0.1/99"}}))["ip"],
            "10.0.0.1/32");
  EXPECT_EQ((*stock_rule(json{{"type", "MATCH_DEST_ZEROTIER_ADDRESS"}, {"zt", "12"}}))["zt"],
            "0000000012");
  EXPECT_EQ((*stock_rule(json{{"type", "MATCH_IP_SOURCE_PORT_RANGE"}, {"start", 5}}))["end"], 5);
  EXPECT_FALSE(stock_rule(json{{"type", "INTEGER_RANGE"}, {"start", 1}}));
  EXPECT_FALSE(stock_rule(json{{"type", "NOPE"}}));
  EXPECT_FALSE(stock_rule(json(7)));
  EXPECT_THROW(stock_rule(json{{"type", "MATCH_CHARACTERISTICS"}, {"mask", true}}),
               json::type_error);
}

TEST(NetworkPost, OnlyStocksFieldsAndQuirks) {
  json n{{"remoteTraceLevel", 3}, {"name", "a"}, {"mtu", 2800}};
  json out = network_post(n, json{{"mtu", 99999}, {"id", "ffff"}, {"creationTime", 1}});
  EXPECT_EQ(out["mtu"], 10000);
  EXPECT_EQ(out["remoteTraceLevel"], 0);  // reset by every POST, as stock
  EXPECT_EQ(out["name"], "a");
  EXPECT_FALSE(out.contains("id"));
  EXPECT_FALSE(out.contains("creationTime"));
  out = network_post(n, json{{"authTokens", json::object({{"x", -1}})}});
  EXPECT_TRUE(out["authTokens"].is_null());
  out = network_post(n, json::array({1, 2}));
  EXPECT_EQ(out["name"], "a");
}

TEST(MemberPost, AuthorizeStampsAndThrowsAsStock) {
  json m{{"authorized", false}};
  json out = member_post(m, json{{"authorized", "1"}}, 1234);
  EXPECT_EQ(out["authorized"], true);
  EXPECT_EQ(out["lastAuthorizedTime"], 1234);
  EXPECT_EQ(out["lastAuthorizedCredentialType"], "api");
  out = member_post(out, json{{"capabilities", json::array({3, 1, "2", 3})}}, 1);
  EXPECT_EQ(out["capabilities"], json::array({1, 2, 3}));
  EXPECT_THROW(member_post(m, json{{"ipAssignments", json::array({5})}}, 1), json::type_error);
}

// The routes over a real store.
struct ControllerApi : ::testing::Test {
  fs::path dir;
  std::unique_ptr<controller::store::SqliteStore> store;
  std::unique_ptr<Running> api;
  static constexpr uint64_t kAddress = 0x0123456789ull;

  void SetUp() override {
    dir = fs::temp_directory_path() / ("fna-ctl-api-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::string err;
    store = controller::store::SqliteStore::open((dir / "controller.db").string(), &err);
    ASSERT_TRUE(store) << err;
    ApiConfig cfg;
    cfg.controller = {store.get(), kAddress};
    api = std::make_unique<Running>(cfg);
  }
  void TearDown() override {
    api.reset();
    store.reset();
    fs::remove_all(dir);
  }
  httplib::Result post(const std::string& path, const std::string& body) {
    return api->client().Post(path, auth(), body, "application/json");
  }
  httplib::Result get(const std::string& path) { return api->client().Get(path, auth()); }
};

TEST_F(ControllerApi, CreateUnderOurPrefixAndEmptyErrorBodies) {
  auto r = post("/controller/network", "{}");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  const std::string id = json::parse(r->body)["id"];
  EXPECT_EQ(id.substr(0, 10), "0123456789");
  r = post("/controller/network/0123456789______", R"({"name":"x"})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  r = post("/controller/network/9999999999______", "{}");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(r->body, "");  // stock's empty body, not the API's JSON error
  r = get("/controller/network/00000000000000ff");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->body, "");
  r = get("/controller/network/" + id + "?jsonp=cb");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body.substr(0, 3), "cb(");
}

TEST_F(ControllerApi, RefusedBodiesStoreNothing) {
  auto r = post("/controller/network", R"({"name":"before"})");
  ASSERT_TRUE(r && r->status == 200);
  const std::string id = json::parse(r->body)["id"];
  const std::string before = get("/controller/network/" + id)->body;

  json big = json::array();
  for (int i = 0; i < 16385; ++i) big.push_back(json{{"target", "10.0.0.0/8"}});
  r = post("/controller/network/" + id, json{{"name", "after"}, {"routes", big}}.dump());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);  // stock cuts the list; flatnet refuses the change
  r = post("/controller/network/" + id, R"({"name":"after",)");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);  // bad JSON: stock's 500
  EXPECT_EQ(get("/controller/network/" + id)->body, before);

  const std::string mpath = "/controller/network/" + id + "/member/abcdef0123";
  ASSERT_EQ(post(mpath, R"({"name":"m"})")->status, 200);
  const std::string mbefore = get(mpath)->body;
  r = post(mpath, R"({"name":"changed","ipAssignments":["10.0.0.1",5]})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);  // stock throws on the number, before saving
  EXPECT_EQ(get(mpath)->body, mbefore);
}

TEST_F(ControllerApi, DeepNestingRefusedNotACrash) {
  auto r = post("/controller/network", "{}");
  ASSERT_TRUE(r && r->status == 200);
  const std::string id = json::parse(r->body)["id"];
  // 500,000 levels: enough to overflow a server thread's stack if rendered.
  const std::string deep = R"({"dns":{"domain":)" + std::string(500000, '[') +
                           std::string(500000, ']') + "}}";
  r = post("/controller/network/" + id, deep);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  r = post("/controller/network/" + id + "/member/abcdef0123", deep);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  // Brackets inside strings do not count.
  r = post("/controller/network/" + id, R"({"name":")" + std::string(1000, '[') + R"("})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(get("/controller/network/" + id)->status, 200);
}

TEST_F(ControllerApi, ConcurrentMemberPostsAllLand) {
  auto r = post("/controller/network", "{}");
  ASSERT_TRUE(r && r->status == 200);
  const std::string id = json::parse(r->body)["id"];
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        char addr[16];
        std::snprintf(addr, sizeof addr, "%010x", 0x100 + t * 100 + i);
        auto c = api->client();
        auto rr = c.Post("/controller/network/" + id + "/member/" + addr, auth(),
                         R"({"authorized":true})", "application/json");
        EXPECT_TRUE(rr && rr->status == 200);
      }
    });
  for (auto& t : ts) t.join();
  const json list = json::parse(get("/controller/network/" + id + "/member")->body);
  EXPECT_EQ(list.size(), 80u);
  const json meta = json::parse(get("/unstable/controller/network/" + id + "/member")->body)["meta"];
  EXPECT_EQ(meta["authorizedCount"], 80);
}

TEST(ControllerApiOff, NoStoreNoRoutes) {
  Running api;
  auto r = api.client().Get("/controller", auth());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
}

}  // namespace
}  // namespace flatnet::control::api
