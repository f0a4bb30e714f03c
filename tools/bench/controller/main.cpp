// flatnet-bench-controller: the controller store alone (no API, no network
// config), on a network of --members members made through the store:
// bulk insert, authorize one member (read, change, write: one transaction),
// read one member, list members paged, count, and disk/memory per member.
// SQLite by default; --pg CONNINFO runs the same against PostgreSQL (an
// empty database; e.g. under tools/scripts/pg-test-server.sh). Not a test;
// numbers and the machine they came from: docs/bench-controller.md.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "control/controller/store/pg_store.hpp"
#include "control/controller/store/sqlite_store.hpp"
#include "tools/bench/controller/bench_util.hpp"
#include "tools/bench/controller/config_bench.hpp"
#include "tools/bench/controller/push_sim.hpp"

using namespace flatnet::control::controller;
using namespace flatnet::control::controller::store;
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
  std::string dir;          // where controller.db goes; a new temp dir if empty
  uint64_t members = 100'000;
  int samples = 1000;       // timed single operations per row
  std::size_t page = 100;
  bool keep = false;
  bool power_safe = true;   // --sync full (default) | normal
  std::string pg;           // --pg: a PostgreSQL connection string instead of SQLite
  uint64_t online = 10'000; // members online for the push row
  int push_rounds = 3;      // network changes pushed over the member simulator (0: skip it)
};

double us(Clock::time_point a, Clock::time_point b) {
  return double(std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count()) / 1000.0;
}

struct Summary {
  double p50 = 0, p99 = 0, min = 0, max = 0;
};

Summary summarise(std::vector<double> v) {
  Summary s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  auto at = [&](double q) { return v[std::min(v.size() - 1, std::size_t(q * double(v.size())))]; };
  s.p50 = at(0.5);
  s.p99 = at(0.99);
  s.min = v.front();
  s.max = v.back();
  return s;
}

void row(const char* what, const Summary& s, std::size_t n) {
  std::printf("%-34s p50 %9.1f us  p99 %9.1f us  (min %.1f, max %.1f, n=%zu)\n", what, s.p50,
              s.p99, s.min, s.max, n);
}

uint64_t file_bytes(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 ? uint64_t(st.st_size) : 0;
}

Member make_member(uint64_t nwid, uint64_t address, int64_t now) {
  Member m;
  m.nwid = nwid;
  m.address = address;
  m.creation_time = now;
  m.ip_assignments.push_back("10." + std::to_string((address >> 16) & 0xff) + "." +
                             std::to_string((address >> 8) & 0xff) + "." +
                             std::to_string(address & 0xff));
  // A real identity string's length (address:0:public key hex).
  m.identity = format_member_address(address) + ":0:" + std::string(128, 'e');
  m.v_major = 1;
  m.v_minor = 14;
  m.v_rev = 1;
  m.v_proto = 12;
  m.authorized = true;
  return m;
}

int usage() {
  std::fprintf(stderr,
               "usage: flatnet-bench-controller [--dir DIR] [--members N] [--samples N]"
               " [--page N] [--online N] [--push-rounds N] [--sync full|normal] [--pg CONNINFO] [--keep]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* v = nullptr;
    if (a == "--keep") o.keep = true;
    else if (a == "--dir" && (v = next())) o.dir = v;
    else if (a == "--pg" && (v = next())) o.pg = v;
    else if (a == "--sync" && (v = next()) && (!std::strcmp(v, "full") || !std::strcmp(v, "normal")))
      o.power_safe = !std::strcmp(v, "full");
    else if (a == "--members" && (v = next())) o.members = std::strtoull(v, nullptr, 10);
    else if (a == "--samples" && (v = next())) o.samples = std::atoi(v);
    else if (a == "--page" && (v = next())) o.page = std::strtoull(v, nullptr, 10);
    else if (a == "--online" && (v = next())) o.online = std::strtoull(v, nullptr, 10);
    else if (a == "--push-rounds" && (v = next())) o.push_rounds = std::atoi(v);
    else return usage();
  }
  if (o.members == 0 || o.samples <= 0 || o.page == 0) return usage();
  bool made_dir = false;
  if (o.dir.empty()) {
    std::string t = (std::filesystem::temp_directory_path() / "flatnet-bench-ctl-XXXXXX").string();
    if (!mkdtemp(t.data())) return 1;
    o.dir = t;
    made_dir = true;
  }
  const std::string path = o.dir + "/" + kDefaultFileName;
  const long rss0 = flatnet::bench::rss_kib();
  std::string err;
  std::unique_ptr<Store> s;
  SqliteStore* sqlite = nullptr;  // backup/restore and the file's size are SQLite's
  if (o.pg.empty()) {
    auto sq = SqliteStore::open(path, &err, SqliteStore::Options{o.power_safe});
    sqlite = sq.get();
    s = std::move(sq);
  } else {
    s = PgStore::open(o.pg, &err);
  }
  if (!s) {
    std::fprintf(stderr, "open: %s\n", err.c_str());
    return 1;
  }
  // The controller's identity must be real (its network IDs start with its
  // address, and it signs); the members' need not (config_bench.cpp).
  const flatnet::crypto::Identity controller = flatnet::crypto::Identity::generate();
  const uint64_t nwid = controller.address() << 24 | 1;
  const int64_t now = 1795571972850;
  Network n;
  n.id = nwid;
  n.name = "bench";
  n.creation_time = now;
  if (s->put_network(n, nullptr, &err) != Status::kOk) {
    std::fprintf(stderr, "%s\n", err.c_str());
    return 1;
  }
  if (sqlite)
    std::printf("store: %s (SQLite %s, WAL, synchronous=%s)\n", path.c_str(), sqlite3_libversion(),
                o.power_safe ? "FULL" : "NORMAL");
  else
    std::printf("store: PostgreSQL (%s), libpq %d\n", o.pg.c_str(), PQlibVersion());

  // Bulk insert, 1,000 members per transaction.
  std::vector<uint64_t> addrs;
  for (uint64_t i = 1; i <= o.members; ++i) addrs.push_back(0x1000000000ULL + i * 2654435761ULL % 0xefffffffffULL);
  std::sort(addrs.begin(), addrs.end());
  addrs.erase(std::unique(addrs.begin(), addrs.end()), addrs.end());
  std::shuffle(addrs.begin(), addrs.end(), std::mt19937_64(1));
  auto t0 = Clock::now();
  for (std::size_t i = 0; i < addrs.size(); i += 1000) {
    std::vector<Member> batch;
    for (std::size_t j = i; j < std::min(addrs.size(), i + 1000); ++j)
      batch.push_back(make_member(nwid, addrs[j], now));
    if (s->put_members(batch, &err) != Status::kOk) {
      std::fprintf(stderr, "insert: %s\n", err.c_str());
      return 1;
    }
  }
  auto t1 = Clock::now();
  std::printf("%-34s %zu members in %.2f s (%.0f members/s, 1,000 per transaction)\n",
              "bulk insert", addrs.size(), us(t0, t1) / 1e6, double(addrs.size()) / (us(t0, t1) / 1e6));

  std::mt19937_64 rng(2);
  auto pick = [&] { return addrs[rng() % addrs.size()]; };

  // Create one member per transaction (the API's member POST of a new one).
  std::vector<double> lat;
  for (int i = 0; i < o.samples; ++i) {
    Member m = make_member(nwid, 0xf000000000ULL + uint64_t(i) + 1, now);
    auto a = Clock::now();
    if (s->put_member(m, nullptr, &err) != Status::kOk) return 1;
    lat.push_back(us(a, Clock::now()));
  }
  row("create one member", summarise(lat), lat.size());

  // Authorize one member: read it, flip it, write it (one transaction).
  lat.clear();
  for (int i = 0; i < o.samples; ++i) {
    uint64_t a = pick();
    auto t = Clock::now();
    Member m;
    if (s->get_member(nwid, a, m, &err) != Status::kOk) return 1;
    m.authorized = !m.authorized;
    m.last_authorized_time = now + i;
    m.last_authorized_credential_type = "api";
    if (s->put_member(m, nullptr, &err) != Status::kOk) return 1;
    lat.push_back(us(t, Clock::now()));
  }
  row("authorize one member (get+put)", summarise(lat), lat.size());

  lat.clear();
  for (int i = 0; i < o.samples; ++i) {
    uint64_t a = pick();
    auto t = Clock::now();
    Member m;
    if (s->get_member(nwid, a, m, &err) != Status::kOk) return 1;
    lat.push_back(us(t, Clock::now()));
  }
  row("get one member", summarise(lat), lat.size());

  // Walk the whole network in pages.
  lat.clear();
  uint64_t after = 0, seen = 0;
  auto w0 = Clock::now();
  for (;;) {
    MemberPage p;
    auto t = Clock::now();
    if (s->list_members(nwid, after, o.page, p, &err) != Status::kOk) return 1;
    lat.push_back(us(t, Clock::now()));
    seen += p.members.size();
    if (!p.next_after) break;
    after = *p.next_after;
  }
  auto w1 = Clock::now();
  char what[64];
  std::snprintf(what, sizeof what, "list members, page of %zu", o.page);
  row(what, summarise(lat), lat.size());
  std::printf("%-34s %llu members in %.2f s\n", "list all members paged",
              (unsigned long long)seen, us(w0, w1) / 1e6);

  lat.clear();
  for (int i = 0; i < 20; ++i) {
    MemberCounts c;
    auto t = Clock::now();
    if (s->count_members(nwid, c, &err) != Status::kOk) return 1;
    lat.push_back(us(t, Clock::now()));
  }
  row("count members (total+authorized)", summarise(lat), lat.size());

  // Backup and restore of the whole store (online backup API).
  if (sqlite) {
    const std::string b = o.dir + "/backup.db";
    auto t = Clock::now();
    if (sqlite->backup_to(b, &err) != Status::kOk) {
      std::fprintf(stderr, "backup: %s\n", err.c_str());
      return 1;
    }
    auto t2 = Clock::now();
    if (sqlite->restore_from(b, &err) != Status::kOk) {
      std::fprintf(stderr, "restore: %s\n", err.c_str());
      return 1;
    }
    auto t3 = Clock::now();
    std::printf("%-34s backup %.2f s (%.1f MiB), restore %.2f s\n", "backup/restore whole store",
                us(t, t2) / 1e6, double(file_bytes(b)) / 1048576.0, us(t2, t3) / 1e6);
    std::filesystem::remove(b);
  }

  const long rss1 = flatnet::bench::rss_kib();
  // The controller role on the same network (config_bench.cpp).
  if (!flatnet::bench::bench_config_requests(*s, controller, nwid, addrs, o.samples,
                                              o.online)) {
    std::fprintf(stderr, "config requests: store failure\n");
    return 1;
  }
  // The same change pushed over real cores (push_sim.cpp).
  if (o.push_rounds > 0 &&
      !flatnet::bench::bench_push_over_cores(*s, controller, nwid, addrs, o.online, o.push_rounds)) {
    std::fprintf(stderr, "push over cores failed\n");
    return 1;
  }
  s.reset();  // closing checkpoints the WAL into the database file
  uint64_t bytes = file_bytes(path) + file_bytes(path + "-wal");
  if (!o.pg.empty()) {
    // The whole database on the server (tables, indexes, journal).
    auto c = pg::connect(o.pg, &err);
    pg::Result r;
    if (c) r = pg::exec(c.get(), "SELECT pg_database_size(current_database())");
    bytes = r.ok() && r.rows() == 1 ? uint64_t(r.int64(0, 0)) : 0;
  }
  std::printf("%-34s %.0f bytes/member (%.1f MiB for %llu members)\n", "disk", double(bytes) / double(seen),
              double(bytes) / 1048576.0, (unsigned long long)seen);
  std::printf("%-34s %ld KiB RSS growth over the run (store keeps no per-member state in memory;"
              " SQLite's page cache is bounded)\n", "memory", rss1 - rss0);
  if (made_dir && !o.keep) std::filesystem::remove_all(o.dir);
  return 0;
}
