// The controller's records against stock 1.14.1's own JSON: every network and
// member object the stock testnet controller wrote ($FLATNET_VECTORS) is read
// into the model and rendered back, and must equal the original field by
// field. Plus defaults and the refusal of wrong types.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "control/controller/limits.hpp"
#include "control/controller/member.hpp"
#include "control/controller/network.hpp"

using namespace flatnet::control::controller;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

fs::path vectors_root() {
  const char* v = std::getenv("FLATNET_VECTORS");
  return v ? fs::path(v) / "zerotier-1.14.1" : fs::path();
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Every stock controller record in the vectors: the API's answers
// (controller-*.json) and the files of each testnet's controller.d.
std::vector<fs::path> stock_records(const char* kind) {
  std::vector<fs::path> out;
  fs::path root = vectors_root();
  std::error_code ec;
  if (root.empty() || !fs::is_directory(root, ec)) return out;
  for (const auto& e : fs::recursive_directory_iterator(root, ec)) {
    if (!e.is_regular_file()) continue;
    std::string name = e.path().filename().string();
    std::string parent = e.path().parent_path().filename().string();
    bool member_file = parent == "member";
    bool network_file = parent == "network";
    if (std::string(kind) == "network" &&
        (name == "controller-network.json" || (network_file && name.size() == 21)))
      out.push_back(e.path());
    if (std::string(kind) == "member" &&
        (name.rfind("controller-member-", 0) == 0 || member_file))
      out.push_back(e.path());
  }
  return out;
}

void skip_or_fail_without_vectors(std::size_t n) {
  if (n > 0) return;
  if (std::getenv("CI") && std::string(std::getenv("CI")) == "true")
    FAIL() << "stock vectors missing under $FLATNET_VECTORS";
  GTEST_SKIP() << "stock vectors not found ($FLATNET_VECTORS)";
}

void expect_same_fields(const json& stock, const json& ours, const std::string& file) {
  for (auto it = stock.begin(); it != stock.end(); ++it) {
    ASSERT_TRUE(ours.contains(it.key())) << file << ": field " << it.key() << " lost";
    EXPECT_EQ(ours[it.key()], it.value()) << file << ": field " << it.key();
  }
  for (auto it = ours.begin(); it != ours.end(); ++it)
    EXPECT_TRUE(stock.contains(it.key())) << file << ": field " << it.key() << " added";
}

}  // namespace

TEST(ControllerModel, StockNetworksRoundTrip) {
  auto files = stock_records("network");
  skip_or_fail_without_vectors(files.size());
  EXPECT_GE(files.size(), 6u);  // one API answer per testnet, plus controller.d files
  for (const auto& f : files) {
    std::string text = slurp(f), err;
    Network n;
    ASSERT_TRUE(parse_network(text, 0, n, &err)) << f << ": " << err;
    json stock = json::parse(text);
    expect_same_fields(stock, network_to_json(n), f.string());
    EXPECT_EQ(network_to_json(n).dump(), text) << f << ": not byte-identical";
  }
}

TEST(ControllerModel, StockMembersRoundTrip) {
  auto files = stock_records("member");
  skip_or_fail_without_vectors(files.size());
  for (const auto& f : files) {
    std::string text = slurp(f), err;
    Member m;
    ASSERT_TRUE(parse_member(text, 0, m, &err)) << f << ": " << err;
    json stock = json::parse(text);
    expect_same_fields(stock, member_to_json(m), f.string());
    EXPECT_EQ(member_to_json(m).dump(), text) << f << ": not byte-identical";
  }
}

TEST(ControllerModel, StockValuesReadAsTyped) {
  auto files = stock_records("member");
  skip_or_fail_without_vectors(files.size());
  Member m;
  std::string err;
  fs::path f = vectors_root() / "testnet-ipv6" / "controller-member-a.json";
  ASSERT_TRUE(parse_member(slurp(f), 0, m, &err)) << err;
  EXPECT_EQ(m.address, 0xee420f0cdaULL);
  EXPECT_EQ(m.nwid, 0xee420f0cda000001ULL);
  EXPECT_TRUE(m.authorized);
  EXPECT_EQ(m.ip_assignments, std::vector<std::string>{"10.99.100.11"});
  EXPECT_EQ(m.last_authorized_credential_type, "api");
  EXPECT_FALSE(m.last_authorized_credential.has_value());
  EXPECT_EQ(m.v_major, -1);
  Network n;
  ASSERT_TRUE(parse_network(slurp(vectors_root() / "testnet-ipv6" / "controller-network.json"),
                            0, n, &err)) << err;
  EXPECT_EQ(n.id, 0xee420f0cda000001ULL);
  EXPECT_EQ(n.mtu, 2800u);
  ASSERT_EQ(n.routes.size(), 1u);
  EXPECT_EQ(n.routes[0].target, "10.99.100.0/24");
  EXPECT_FALSE(n.routes[0].via.has_value());
  ASSERT_EQ(n.ip_assignment_pools.size(), 1u);
  EXPECT_TRUE(n.v4_assign_zt);
}

// A record holding only its keys gets stock's initNetwork/initMember
// defaults.
TEST(ControllerModel, DefaultsAreStocks) {
  Network n;
  std::string err;
  ASSERT_TRUE(parse_network(R"({"id":"ee420f0cda000002"})", 1234, n, &err)) << err;
  json j = network_to_json(n);
  json want = json::parse(R"({
    "authTokens":[null],"authorizationEndpoint":"","capabilities":[],"clientId":"",
    "creationTime":1234,"dns":[],"enableBroadcast":true,"id":"ee420f0cda000002",
    "ipAssignmentPools":[],"mtu":2800,"multicastLimit":32,"name":"","nwid":"ee420f0cda000002",
    "objtype":"network","private":true,"remoteTraceLevel":0,"remoteTraceTarget":null,
    "revision":0,"routes":[],"rules":[{"not":false,"or":false,"type":"ACTION_ACCEPT"}],
    "rulesSource":"","ssoEnabled":false,"tags":[],"v4AssignMode":{"zt":false},
    "v6AssignMode":{"6plane":false,"rfc4193":false,"zt":false}})");
  EXPECT_EQ(j, want) << j.dump();

  Member m;
  ASSERT_TRUE(parse_member(R"({"id":"c989c90153","nwid":"ee420f0cda000002"})", 99, m, &err))
      << err;
  json mj = member_to_json(m);
  json mwant = json::parse(R"({
    "activeBridge":false,"address":"c989c90153","authenticationExpiryTime":0,"authorized":false,
    "capabilities":[],"creationTime":99,"id":"c989c90153","ipAssignments":[],
    "lastAuthorizedCredential":null,"lastAuthorizedCredentialType":null,"lastAuthorizedTime":0,
    "lastDeauthorizedTime":0,"noAutoAssignIps":false,"nwid":"ee420f0cda000002",
    "objtype":"member","remoteTraceLevel":0,"remoteTraceTarget":null,"revision":0,
    "ssoExempt":false,"tags":[],"vMajor":-1,"vMinor":-1,"vProto":-1,"vRev":-1})");
  EXPECT_EQ(mj, mwant) << mj.dump();
}

TEST(ControllerModel, UnknownFieldsKeptComputedDropped) {
  Member m;
  std::string err;
  ASSERT_TRUE(parse_member(R"({"id":"c989c90153","nwid":"ee420f0cda000002",
      "futureField":{"x":[1,2]},"clock":5,"recentLog":[],"name":"laptop"})", 0, m, &err)) << err;
  json j = member_to_json(m);
  EXPECT_EQ(j["futureField"], json::parse(R"({"x":[1,2]})"));
  EXPECT_EQ(j["name"], "laptop");
  EXPECT_FALSE(j.contains("clock"));
  EXPECT_FALSE(j.contains("recentLog"));
}

// Read by stock's config builder but never written by its API.
TEST(ControllerModel, CertificateTimeoutWindowSizeOptional) {
  Network n;
  std::string err;
  ASSERT_TRUE(parse_network(R"({"id":"ee420f0cda000002","certificateTimeoutWindowSize":7200000})",
                            0, n, &err)) << err;
  EXPECT_EQ(n.certificate_timeout_window_size, 7200000);
  EXPECT_EQ(network_to_json(n)["certificateTimeoutWindowSize"], 7200000);
  ASSERT_TRUE(parse_network(R"({"id":"ee420f0cda000002"})", 0, n, &err));
  EXPECT_FALSE(network_to_json(n).contains("certificateTimeoutWindowSize"));
  EXPECT_FALSE(parse_network(R"({"id":"ee420f0cda000002","certificateTimeoutWindowSize":"1"})", 0,
                             n, &err));
}

// A partial v6AssignMode (stock's POST writes only the keys it was given)
// stays partial.
TEST(ControllerModel, PartialV6AssignModeKept) {
  Network n;
  std::string err;
  ASSERT_TRUE(parse_network(R"({"id":"ee420f0cda000002","v6AssignMode":{"zt":true}})", 0, n,
                            &err)) << err;
  EXPECT_EQ(network_to_json(n)["v6AssignMode"], json::parse(R"({"zt":true})"));
}

struct BadCase {
  const char* text;
  const char* expect_in_error;
};

TEST(ControllerModel, WrongTypesRefusedNamingTheField) {
  const BadCase network_cases[] = {
      {"", "not valid JSON"},
      {"{\"id\":", "not valid JSON"},
      {"[1,2]", "expected a JSON object"},
      {R"({"name":"x"})", "\"id\""},
      {R"({"id":"ee420f0cda00000"})", "\"id\""},
      {R"({"id":"0000000000000000"})", "\"id\""},
      {R"({"id":"ee420f0cda00000g"})", "\"id\""},
      {R"({"id":"ee420f0cda000001","nwid":"ee420f0cda000002"})", "\"nwid\""},
      {R"({"id":"ee420f0cda000001","objtype":"member"})", "\"objtype\""},
      {R"({"id":"ee420f0cda000001","private":"yes"})", "\"private\""},
      {R"({"id":"ee420f0cda000001","mtu":-5})", "\"mtu\""},
      {R"({"id":"ee420f0cda000001","mtu":2800.5})", "\"mtu\""},
      {R"({"id":"ee420f0cda000001","name":7})", "\"name\""},
      {R"({"id":"ee420f0cda000001","routes":{}})", "\"routes\""},
      {R"({"id":"ee420f0cda000001","routes":[{"via":null}]})", "routes[0]"},
      {R"({"id":"ee420f0cda000001","routes":[{"target":5}]})", "routes[0].target"},
      {R"({"id":"ee420f0cda000001","rules":[{"not":false}]})", "rules[0]"},
      {R"({"id":"ee420f0cda000001","tags":[{"id":-1}]})", "tags[0].id"},
      {R"({"id":"ee420f0cda000001","v4AssignMode":{"zt":1}})", "v4AssignMode"},
      {R"({"id":"ee420f0cda000001","dns":"x"})", "\"dns\""},
      {R"({"id":"ee420f0cda000001","revision":null})", "\"revision\""},
  };
  for (const auto& c : network_cases) {
    Network n;
    std::string err;
    EXPECT_FALSE(parse_network(c.text, 0, n, &err)) << c.text;
    EXPECT_NE(err.find(c.expect_in_error), std::string::npos) << c.text << " -> " << err;
  }
  const BadCase member_cases[] = {
      {R"({"id":"c989c90153"})", "\"nwid\""},
      {R"({"nwid":"ee420f0cda000001"})", "\"id\""},
      {R"({"id":"c989c9015","nwid":"ee420f0cda000001"})", "\"id\""},
      {R"({"id":"c989c90153","nwid":"ee420f0cda000001","address":"c989c90154"})", "\"address\""},
      {R"({"id":"c989c90153","nwid":"ee420f0cda000001","authorized":"true"})", "\"authorized\""},
      {R"({"id":"c989c90153","nwid":"ee420f0cda000001","ipAssignments":[1]})", "ipAssignments[0]"},
      {R"({"id":"c989c90153","nwid":"ee420f0cda000001","tags":[[1]]})", "tags[0]"},
      {R"({"id":"c989c90153","nwid":"ee420f0cda000001","capabilities":["a"]})", "capabilities[0]"},
      {R"({"id":"c989c90153","nwid":"ee420f0cda000001","vMajor":"1"})", "\"vMajor\""},
      {R"({"id":"c989c90153","nwid":"ee420f0cda000001","identity":null})", "\"identity\""},
  };
  for (const auto& c : member_cases) {
    Member m;
    std::string err;
    EXPECT_FALSE(parse_member(c.text, 0, m, &err)) << c.text;
    EXPECT_NE(err.find(c.expect_in_error), std::string::npos) << c.text << " -> " << err;
  }
}

// Stock truncates arrays at 16,384 entries; flatnet refuses the record.
TEST(ControllerModel, ArraysOverTheLimitRefused) {
  json m = {{"id", "c989c90153"}, {"nwid", "ee420f0cda000001"}};
  m["capabilities"] = json::array();
  for (std::size_t i = 0; i < kMaxArrayEntries; ++i) m["capabilities"].push_back(i);
  Member out;
  std::string err;
  EXPECT_TRUE(member_from_json(m, 0, out, &err)) << err;
  m["capabilities"].push_back(1);
  EXPECT_FALSE(member_from_json(m, 0, out, &err));
  EXPECT_NE(err.find("16384"), std::string::npos) << err;

  json n = {{"id", "ee420f0cda000001"}, {"routes", json::array()}};
  for (std::size_t i = 0; i <= kMaxArrayEntries; ++i)
    n["routes"].push_back({{"target", "10.0.0.0/8"}, {"via", nullptr}});
  Network nout;
  EXPECT_FALSE(network_from_json(n, 0, nout, &err));
  EXPECT_NE(err.find("\"routes\""), std::string::npos) << err;
}

// A record nested deeper than kMaxJsonDepth (an unknown field of a stock
// file, say) is refused before parsing: a million '[' would otherwise
// overflow the stack when the record is rendered back.
TEST(ControllerModel, DeeplyNestedRecordRefusedNotACrash) {
  const std::string deep = std::string(1000000, '[') + std::string(1000000, ']');
  Member m;
  Network n;
  std::string err;
  EXPECT_FALSE(parse_member(R"({"id":"c989c90153","nwid":"ee420f0cda000001","x":)" + deep + "}",
                            0, m, &err));
  EXPECT_NE(err.find("nested deeper"), std::string::npos) << err;
  EXPECT_FALSE(parse_network(R"({"id":"ee420f0cda000001","x":)" + deep + "}", 0, n, &err));
  EXPECT_NE(err.find("nested deeper"), std::string::npos) << err;
  // Brackets inside strings do not count; stock's own depth passes.
  EXPECT_TRUE(parse_member(R"({"id":"c989c90153","nwid":"ee420f0cda000001","x":")" +
                               std::string(100, '[') + R"("})",
                           0, m, &err)) << err;
  EXPECT_TRUE(json_nesting_within(R"({"a":[{"b":[[1]]}]})", 5));
  EXPECT_FALSE(json_nesting_within(R"({"a":[{"b":[[1]]}]})", 4));
}
