// Two processes: this test is the data plane (Service + PeerTable, EAL up);
// ipc_control_peer, a program with no DPDK library at all, is the control.
// Commands, resync, punts and injects all cross the process boundary.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "dataplane/ipc/client.hpp"
#include "dataplane/ipc/clock.hpp"
#include "dataplane/ipc/service.hpp"
#include "dataplane/tables/peer_table.hpp"
#include "tests/unit/ipc/test_util.hpp"

using namespace flatnet;

namespace {

using flatnet::ipc::mono_ns;

}  // namespace

TEST(IpcProcess, ControlPeerWithoutEal) {
  const char* peer = getenv("IPC_CONTROL_PEER");
  ASSERT_NE(peer, nullptr) << "meson sets IPC_CONTROL_PEER to the helper's path";
  std::string err;
  ipc::ServiceParams sp;
  sp.instance = test::ipc_unique_instance("proc");
  sp.workers = 1;
  sp.punt_slots = 64;
  sp.event_ring = 256;
  sp.command_ring = 256;
  auto svc = ipc::Service::create(sp, &err);
  ASSERT_TRUE(svc) << err;
  tables::TableParams tp;
  tp.name = "proc";
  tp.capacity = 4096;
  tp.max_readers = 1;
  auto table = tables::PeerTable::create(tp, &err);
  ASSERT_TRUE(table) << err;

  constexpr uint32_t kPeers = 3000, kPunts = 500, kInjects = 300;
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    execl(peer, peer, svc->path().c_str(), std::to_string(kPeers).c_str(),
          std::to_string(kPunts).c_str(), std::to_string(kInjects).c_str(), (char*)nullptr);
    _exit(127);
  }
  uint32_t punted = 0, injected = 0, inject_bad = 0;
  int status = -1;
  auto dl = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < dl) {
    svc->poll_main(*table, mono_ns(), [&](const ipc::Inject& in) {
      bool ok = in.len == 200 + injected % 100 && in.dst.udp_port == 9993 + injected % 100;
      for (uint32_t b = 0; ok && b < in.len; ++b) ok = in.data[b] == uint8_t(b + injected);
      inject_bad += !ok;
      ++injected;
      return true;
    });
    if (svc->control_present() && punted < kPunts && table->size() == kPeers) {
      uint8_t pkt[700];
      uint32_t len = 100 + punted;
      pkt[0] = uint8_t(punted);
      for (uint32_t b = 1; b < len; ++b) pkt[b] = uint8_t(b ^ punted);
      ipc::PuntMeta m;
      m.src.family = FLATNET_IPC_AF_INET;
      m.src.udp_port = 4242;
      if (svc->punt(svc->main_channel(), pkt, len, m)) ++punted;
    }
    pid_t w = waitpid(child, &status, WNOHANG);
    if (w == child) {
      // Drain injects queued just before the child exited.
      for (int i = 0; i < 100; ++i) svc->poll_main(*table, mono_ns(), [&](const ipc::Inject& in) {
        bool ok = in.len == 200 + injected % 100;
        inject_bad += !ok;
        ++injected;
        return true;
      });
      break;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  if (status == -1) {
    kill(child, SIGKILL);
    waitpid(child, &status, 0);
    FAIL() << "control peer did not finish in time";
  }
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "control peer failed at step " << WEXITSTATUS(status);
  EXPECT_EQ(table->size(), kPeers);
  const tables::PeerPath* e = table->lookup(0x0100000000ull + 1234);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->path.ip[2], 1234 >> 8);
  EXPECT_EQ(e->path.ip[3], 1234 & 0xff);
  EXPECT_EQ(e->path.udp_port, 9993 + 1234 % 100);
  EXPECT_EQ(punted, kPunts);
  EXPECT_EQ(injected, kInjects);
  EXPECT_EQ(inject_bad, 0u);
  EXPECT_EQ(svc->header().main_counters.commands_ok, kPeers + 2);  // + NOP + RESYNC
  EXPECT_EQ(svc->header().main_counters.resyncs, 1u);
  // The child is gone without detaching... it returned from main, so the
  // Client destructor detached it; the data plane sees no control now.
  for (int i = 0; i < 10 && svc->control_present(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    svc->poll_main(*table, mono_ns(), [](const ipc::Inject&) { return true; });
  }
  EXPECT_FALSE(svc->control_present());
}

// A control that dies without detaching: the main lcore notices within its
// presence interval, counts the loss, and from then on counts punts and
// events instead of queueing them.
TEST(IpcProcess, CrashedControlNoticed) {
  std::string err;
  ipc::ServiceParams sp;
  sp.instance = test::ipc_unique_instance("lost");
  auto svc = ipc::Service::create(sp, &err);
  ASSERT_TRUE(svc) << err;
  tables::TableParams tp;
  tp.name = "lost";
  tp.capacity = 16;
  tp.max_readers = 1;
  auto table = tables::PeerTable::create(tp, &err);
  ASSERT_TRUE(table) << err;
  auto none = [](const ipc::Inject&) { return true; };
  int ready[2], go[2];
  ASSERT_EQ(pipe(ready), 0);
  ASSERT_EQ(pipe(go), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::string e;
    auto c = ipc::Client::attach(svc->path(), &e);
    char b = c ? 'a' : 'x';
    if (write(ready[1], &b, 1) != 1) _exit(2);
    if (read(go[0], &b, 1) != 1) _exit(3);
    _exit(0);  // no detach: the control line still names this pid
  }
  char b = 0;
  ASSERT_EQ(read(ready[0], &b, 1), 1);
  ASSERT_EQ(b, 'a');
  uint64_t now = mono_ns();
  svc->poll_main(*table, now, none);
  EXPECT_TRUE(svc->control_present());
  EXPECT_EQ(svc->header().main_counters.control_attaches, 1u);
  uint8_t pkt[40] = {};
  EXPECT_TRUE(svc->punt(0, pkt, sizeof pkt, ipc::PuntMeta{}));
  ASSERT_EQ(write(go[1], &b, 1), 1);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_EQ(svc->header().control.control_pid, uint32_t(child)) << "crash left the pid behind";
  svc->poll_main(*table, now + 1'000'000'000ull, none);  // past the presence interval
  EXPECT_FALSE(svc->control_present());
  EXPECT_EQ(svc->header().main_counters.control_losses, 1u);
  EXPECT_FALSE(svc->punt(0, pkt, sizeof pkt, ipc::PuntMeta{}));
  EXPECT_EQ(svc->header().channel_counters[0].punt_no_control, 1u);
  for (int fd : {ready[0], ready[1], go[0], go[1]}) close(fd);
}
