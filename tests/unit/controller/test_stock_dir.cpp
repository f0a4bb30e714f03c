// Import of a stock controller.d into the store and export back: the stock
// testnet controller's own directory ($FLATNET_VECTORS) must come back byte
// for byte, and a bad file fails the import with nothing stored.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include "control/controller/store/sqlite_store.hpp"
#include "control/controller/store/stock_dir.hpp"
#include "tests/unit/controller/store_fixture.hpp"

using namespace flatnet::control::controller;
using namespace flatnet::control::controller::store;
using namespace flatnet::control::controller::testing;
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void spit(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

// Relative path -> content of every file under `root`.
std::map<std::string, std::string> tree(const fs::path& root) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.is_regular_file()) out[fs::relative(e.path(), root).string()] = slurp(e.path());
  return out;
}

fs::path stock_controller_d() {
  const char* v = std::getenv("FLATNET_VECTORS");
  if (!v) return {};
  fs::path p = fs::path(v) / "zerotier-1.14.1" / "testnet-ipv6" / "nodes" / "a" / "controller.d";
  std::error_code ec;
  return fs::is_directory(p, ec) ? p : fs::path();
}

}  // namespace

TEST(StockDir, StockControllerDRoundTripsByteForByte) {
  fs::path src = stock_controller_d();
  if (src.empty()) {
    if (std::getenv("CI") && std::string(std::getenv("CI")) == "true") FAIL() << "no vectors";
    GTEST_SKIP() << "stock vectors not found ($FLATNET_VECTORS)";
  }
  TempDir d;
  std::string err;
  auto s = SqliteStore::open(d.file(kDefaultFileName), &err);
  ASSERT_TRUE(s) << err;
  ImportStats st;
  ASSERT_EQ(import_stock_dir(*s, src.string(), 0, &st, &err), Status::kOk) << err;
  EXPECT_EQ(st.networks, 1u);
  EXPECT_EQ(st.members, 2u);
  EXPECT_TRUE(st.skipped.empty());

  // Revisions and identities as stock stored them.
  Member m;
  ASSERT_EQ(s->get_member(0xee420f0cda000001ULL, 0xc989c90153ULL, m, &err), Status::kOk);
  EXPECT_EQ(m.revision, 2u);
  ASSERT_TRUE(m.identity);
  EXPECT_EQ(m.identity->substr(0, 13), "c989c90153:0:");

  const std::string out = d.file("export.d");
  ASSERT_EQ(export_stock_dir(*s, out, &err), Status::kOk) << err;
  auto want = tree(src), got = tree(out);
  EXPECT_EQ(got.size(), want.size());
  for (const auto& [path, text] : want) {
    ASSERT_TRUE(got.count(path)) << path << " not exported";
    EXPECT_EQ(got[path], text) << path;
  }
  struct stat sb;
  ASSERT_EQ(::stat(out.c_str(), &sb), 0);
  EXPECT_EQ(sb.st_mode & 0777, 0700u);
  // Exporting onto an existing export is refused rather than mixed.
  EXPECT_EQ(export_stock_dir(*s, out, &err), Status::kInvalid);
}

// Many members, several networks, through a store and back, then into a
// second store: both stores hold the same records.
TEST(StockDir, ExportImportKeepsEveryRecord) {
  TempDir d;
  std::string err;
  auto a = SqliteStore::open(d.file("a.db"), &err);
  ASSERT_TRUE(a) << err;
  for (uint64_t nw : {kNwid, uint64_t{0xee420f0cda000002ULL}}) {
    ASSERT_EQ(a->put_network(make_network(nw, "n"), nullptr, &err), Status::kOk);
    std::vector<Member> ms;
    for (uint64_t i = 1; i <= 600; ++i) {
      ms.push_back(make_member(0x0100000000ULL * (nw & 0xf) + i * 7, nw));
      ms.back().authorized = i % 2;
    }
    ASSERT_EQ(a->put_members(ms, &err), Status::kOk) << err;
  }
  ASSERT_EQ(export_stock_dir(*a, d.file("x.d"), &err), Status::kOk) << err;
  auto b = SqliteStore::open(d.file("b.db"), &err);
  ASSERT_TRUE(b) << err;
  ImportStats st;
  ASSERT_EQ(import_stock_dir(*b, d.file("x.d"), 0, &st, &err), Status::kOk) << err;
  EXPECT_EQ(st.networks, 2u);
  EXPECT_EQ(st.members, 1200u);
  for (uint64_t nw : {kNwid, uint64_t{0xee420f0cda000002ULL}}) {
    Network na, nb;
    ASSERT_EQ(a->get_network(nw, na, &err), Status::kOk);
    ASSERT_EQ(b->get_network(nw, nb, &err), Status::kOk);
    EXPECT_EQ(na, nb);
    MemberPage pa, pb;
    ASSERT_EQ(a->list_members(nw, 0, 10000, pa, &err), Status::kOk);
    ASSERT_EQ(b->list_members(nw, 0, 10000, pb, &err), Status::kOk);
    EXPECT_EQ(pa.members.size(), 600u);
    EXPECT_EQ(pa.members, pb.members);
  }
}

TEST(StockDir, BadFileFailsTheImportNamingIt) {
  TempDir d;
  const fs::path root = fs::path(d.path()) / "controller.d" / "network";
  spit(root / "ee420f0cda000001.json", R"({"id":"ee420f0cda000001","objtype":"network"})");
  spit(root / "ee420f0cda000001" / "member" / "c989c90153.json",
       R"({"id":"c989c90153","nwid":"ee420f0cda000001"})");
  spit(root / "ee420f0cda000001" / "member" / "1111111111.json",
       R"({"id":"1111111111","nwid":"ee420f0cda000001","authorized":"yes"})");
  spit(root / "README", "not a record");  // stock skips it; so do we, and say so
  spit(root / "ee420f0cda000009" / "member" / "c989c90153.json",  // no network record
       R"({"id":"c989c90153","nwid":"ee420f0cda000009"})");
  std::string err;
  auto s = SqliteStore::open(d.file(kDefaultFileName), &err);
  ASSERT_TRUE(s) << err;
  ImportStats st;
  EXPECT_EQ(import_stock_dir(*s, d.file("controller.d"), 0, &st, &err), Status::kInvalid);
  EXPECT_NE(err.find("1111111111.json"), std::string::npos) << err;
  EXPECT_NE(err.find("authorized"), std::string::npos) << err;
  std::vector<uint64_t> ids;
  ASSERT_EQ(s->list_networks(ids, &err), Status::kOk);
  EXPECT_TRUE(ids.empty());  // nothing partly stored

  // A file whose id disagrees with its name.
  spit(root / "ee420f0cda000001" / "member" / "1111111111.json",
       R"({"id":"2222222222","nwid":"ee420f0cda000001"})");
  EXPECT_EQ(import_stock_dir(*s, d.file("controller.d"), 0, &st, &err), Status::kInvalid);
  EXPECT_NE(err.find("1111111111.json"), std::string::npos) << err;

  // Garbage bytes.
  spit(root / "ee420f0cda000001" / "member" / "1111111111.json", std::string("\x00\xff{", 3));
  EXPECT_EQ(import_stock_dir(*s, d.file("controller.d"), 0, &st, &err), Status::kInvalid);
  EXPECT_NE(err.find("not valid JSON"), std::string::npos) << err;

  fs::remove(root / "ee420f0cda000001" / "member" / "1111111111.json");
  ASSERT_EQ(import_stock_dir(*s, d.file("controller.d"), 0, &st, &err), Status::kOk) << err;
  EXPECT_EQ(st.members, 1u);
  ASSERT_EQ(st.skipped.size(), 2u);
  std::sort(st.skipped.begin(), st.skipped.end());
  EXPECT_NE(st.skipped[0].find("README"), std::string::npos);
  EXPECT_NE(st.skipped[1].find("ee420f0cda000009"), std::string::npos);

  EXPECT_EQ(import_stock_dir(*s, d.file("nowhere"), 0, &st, &err), Status::kNotFound);
}

// A network with no members has no member/ directory in stock's controller.d
// (stock creates it with the first member): the import takes the network.
TEST(StockDir, NetworkWithoutMemberDirectoryImports) {
  TempDir d;
  const fs::path root = fs::path(d.path()) / "controller.d" / "network";
  spit(root / "ee420f0cda000002.json", R"({"id":"ee420f0cda000002","objtype":"network"})");
  spit(root / "ee420f0cda000003.json", R"({"id":"ee420f0cda000003","objtype":"network"})");
  spit(root / "ee420f0cda000003" / "member" / "c989c90153.json",
       R"({"id":"c989c90153","nwid":"ee420f0cda000003"})");
  std::string err;
  auto s = SqliteStore::open(d.file(kDefaultFileName), &err);
  ASSERT_TRUE(s) << err;
  ImportStats st;
  ASSERT_EQ(import_stock_dir(*s, d.file("controller.d"), 0, &st, &err), Status::kOk) << err;
  EXPECT_EQ(st.networks, 2u);
  EXPECT_EQ(st.members, 1u);
}
