// flatnet-tableload against a stand-in data plane: this process creates the
// segment and the table and runs the main-lcore poll on a thread; the tool
// runs as a separate process (no EAL) through popen.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <regex>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "dataplane/ipc/client.hpp"
#include "dataplane/ipc/clock.hpp"
#include "dataplane/ipc/service.hpp"
#include "dataplane/ipc/synthetic.hpp"
#include "dataplane/tables/peer_table.hpp"
#include "tests/unit/ipc/test_util.hpp"

using namespace flatnet;

namespace {

struct ToolRun {
  int status;
  std::string out;
};

ToolRun run(const std::string& cmd) {
  ToolRun r{-1, ""};
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

using flatnet::ipc::mono_ns;

class StandIn {
 public:
  StandIn(uint32_t capacity) {
    ipc::ServiceParams sp;
    sp.instance = test::ipc_unique_instance("tl");
    std::string err;
    svc = ipc::Service::create(sp, &err);
    EXPECT_TRUE(svc) << err;
    tables::TableParams tp;
    tp.name = "tl" + std::to_string(capacity);
    tp.capacity = capacity;
    tp.max_readers = 1;
    table = tables::PeerTable::create(tp, &err);
    EXPECT_TRUE(table) << err;
    if (!svc || !table) return;
    poller = std::thread([this] {
      while (!stop) {
        auto r = svc->poll_main(*table, mono_ns() + skew_ns.load(), [](const ipc::Inject&) { return true; },
                                512);
        rounds.fetch_add(1);
        if (r.commands == 0 && r.events == 0) std::this_thread::sleep_for(std::chrono::microseconds(20));
      }
    });
  }
  // Returns once the poller has run a control presence check that started
  // after this call: the stand-in's clock jumps past the check interval
  // (20 ms) and two more rounds complete (the first may have read the clock
  // before the jump). Waits on rounds, not on time; a bounded count of
  // rounds would mean a stuck poller, which the test's timeout reports.
  void presence_check() {
    skew_ns.fetch_add(25'000'000);
    const uint64_t r0 = rounds.load();
    while (rounds.load() < r0 + 2) std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  ~StandIn() {
    stop = true;
    if (poller.joinable()) poller.join();
  }
  std::unique_ptr<ipc::Service> svc;
  std::unique_ptr<tables::PeerTable> table;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> skew_ns{0};  // added to the poller's clock (presence_check)
  std::atomic<uint64_t> rounds{0};   // poll_main rounds completed
  std::thread poller;
};

const char* tool() { return getenv("FLATNET_TABLELOAD"); }

}  // namespace

TEST(TableLoad, LoadsListsDeletesSyntheticPeers) {
  if (!tool()) GTEST_SKIP() << "FLATNET_TABLELOAD not set (tools/tableload not built)";
  StandIn dp(200000);
  ASSERT_TRUE(dp.svc && dp.table);
  const std::string base = std::string(tool()) + " --segment " + dp.svc->path() + " --timeout 60 ";
  ToolRun r = run(base + "load --count 100000 --seed 7");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("100000 ok, 0 failed"), std::string::npos) << r.out;
  printf("%s", r.out.c_str());  // the load rate, for the record
  EXPECT_EQ(dp.table->size(), 100000u);
  dp.table->reader_register(0);
  for (uint32_t i : {0u, 1u, 4242u, 99999u}) {
    ipc::SyntheticPeer p = ipc::synthetic_peer(7, i);
    const tables::PeerPath* e = dp.table->lookup(p.address);
    ASSERT_NE(e, nullptr) << i;
    flatnet_ipc_phys_addr want = ipc::synthetic_path(p);
    EXPECT_EQ(memcmp(&e->path, &want, sizeof want), 0) << i;
  }
  dp.table->quiescent(0);
  dp.table->reader_offline(0);

  r = run(base + "list --quiet");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("peers: 100000 (table said 100000 at start, dump said 100000)"),
            std::string::npos) << r.out;

  r = run(base + "delete --count 10 --seed 7");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(dp.table->size(), 99990u);
  r = run(base + "delete --count 11 --seed 7");  // the first 10 are gone already
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("10 x not found"), std::string::npos) << r.out;

  r = run(base + "relay on");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(dp.table->relay_enabled());
  r = run(base + "clear");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(dp.table->size(), 0u);
  r = run(base + "stats");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("commands ok"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("counters block: not published yet"), std::string::npos) << r.out;

  // The counters block, read while another control holds the segment:
  // `stats` only looks (no flock, no attach).
  std::string err;
  ASSERT_TRUE(dp.svc->stats_define({"relayed"}, &err)) << err;
  const uint64_t v[] = {5, 7};  // worker 0, main
  dp.svc->stats_publish(v, mono_ns());
  auto ctl = ipc::Client::attach(dp.svc->path(), &err);
  ASSERT_TRUE(ctl) << err;
  std::this_thread::sleep_for(std::chrono::milliseconds(110));  // sessions start >= 100 ms apart
  dp.presence_check();  // the data plane has seen ctl
  const uint64_t attaches = dp.svc->header().main_counters.control_attaches;
  r = run(base + "stats");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("counters block: 20 counters"), std::string::npos) << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex("\\nrelayed +12 +5 +7\\n"))) << r.out;
  r = run(base + "stats --json");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("\"relayed\":[12,5,7]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"ipc_commands_ok\":["), std::string::npos) << r.out;
  EXPECT_EQ(ctl->header().control.control_pid, uint32_t(getpid())) << "stats must not attach";
  dp.presence_check();  // a check after stats ran: no attach was counted meanwhile
  EXPECT_EQ(dp.svc->header().main_counters.control_attaches, attaches);
}

TEST(TableLoad, FilesAndErrors) {
  if (!tool()) GTEST_SKIP() << "FLATNET_TABLELOAD not set (tools/tableload not built)";
  StandIn dp(10);
  ASSERT_TRUE(dp.svc && dp.table);
  const std::string base = std::string(tool()) + " --segment " + dp.svc->path() + " --timeout 20 ";
  std::string dir = "/tmp/" + test::ipc_unique_instance("tlfiles");
  ASSERT_EQ(system(("mkdir -p " + dir).c_str()), 0);
  std::ofstream(dir + "/p.csv") << "address,path\n# two peers\n89e92ceee5,10.0.0.1:9993\n"
                                   "0x1122334455 , [2001:db8::1]:4000\n";
  std::ofstream(dir + "/p.json") << R"([{"address":"aabbccddee","path":"192.0.2.7:9993"}])";
  std::ofstream(dir + "/bad.csv") << "89e92ceee5,10.0.0.1:9993\nff00000001,10.0.0.2:9993\n";
  ToolRun r = run(base + "load --file " + dir + "/p.csv");
  EXPECT_EQ(r.status, 0) << r.out;
  r = run(base + "load --file " + dir + "/p.json");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(dp.table->size(), 3u);
  r = run(base + "load --file " + dir + "/bad.csv");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.out.find("bad.csv:2: bad address"), std::string::npos) << r.out;
  // Capacity 10: loading 20 synthetic peers reports the full table.
  r = run(base + "load --count 20 --seed 3");
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("13 x table full"), std::string::npos) << r.out;
  r = run(std::string(tool()) + " --segment /dev/shm/flatnet-nonexistent.ipc stats");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.out.find("No such file"), std::string::npos) << r.out;
  ASSERT_EQ(system(("rm -rf " + dir).c_str()), 0);
}
