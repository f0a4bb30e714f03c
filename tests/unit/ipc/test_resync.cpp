// RESYNC through the segment: a big table streams through a small event
// ring under back-pressure without losing or repeating a peer, BEGIN and END
// count right, config comes first in the documented fields, and commands
// queued behind the RESYNC wait until the dump is done (so it is exact).
#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <memory>
#include <thread>
#include <unordered_map>
#include <vector>

#include <gtest/gtest.h>

#include "dataplane/ipc/client.hpp"
#include "dataplane/ipc/clock.hpp"
#include "dataplane/ipc/phys_addr.hpp"
#include "dataplane/ipc/segment.hpp"
#include "dataplane/ipc/service.hpp"
#include "dataplane/ipc/synthetic.hpp"
#include "dataplane/tables/peer_table.hpp"
#include "tests/unit/ipc/test_util.hpp"

using namespace flatnet;

namespace {
using Clock = std::chrono::steady_clock;
constexpr uint32_t kPeers = 100000;

// A data plane (service and peer table, 64-entry rings, 16 slots each) and
// one control attached to it, its session accepted: the setup the tests
// below share. `sink` is the inject sink poll() serves.
struct Served {
  std::unique_ptr<ipc::Service> svc;
  std::unique_ptr<tables::PeerTable> table;
  std::unique_ptr<ipc::Client> c;
  std::function<int(const ipc::Inject&)> sink = [](const ipc::Inject&) { return int(ipc::kInjectTaken); };

  void poll() { svc->poll_main(*table, ipc::mono_ns(), sink); }

  // Empty on success, else what failed.
  std::string start(const char* name, uint32_t event_ring, uint32_t command_ring,
                    uint32_t capacity) {
    std::string err;
    ipc::ServiceParams sp;
    sp.instance = test::ipc_unique_instance(name);
    sp.event_ring = event_ring;
    sp.command_ring = command_ring;
    sp.punt_slots = 16;
    sp.inject_slots = 16;
    if (!(svc = ipc::Service::create(sp, &err))) return err;
    tables::TableParams tp;
    tp.name = name;
    tp.capacity = capacity;
    tp.max_readers = 1;
    if (!(table = tables::PeerTable::create(tp, &err))) return err;
    if (!(c = ipc::Client::attach(svc->path(), &err))) return err;
    for (int i = 0; i < 100 && !c->session_ready(); ++i) {
      poll();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return c->session_ready() ? "" : "the session was not accepted in 100 polls";
  }
};
}  // namespace

TEST(IpcResync, HundredThousandPeersUnderBackPressure) {
  std::string err;
  ipc::ServiceParams sp;
  sp.instance = test::ipc_unique_instance("resync");
  sp.event_ring = 512;  // 100,000 peers through 512 entries: the ring is full most of the time
  sp.command_ring = 64;
  sp.punt_slots = 16;
  sp.inject_slots = 16;
  auto svc = ipc::Service::create(sp, &err);
  ASSERT_TRUE(svc) << err;
  tables::TableParams tp;
  tp.name = "resync";
  tp.capacity = 131072;
  tp.max_readers = 1;
  auto table = tables::PeerTable::create(tp, &err);
  ASSERT_TRUE(table) << err;
  // The table as the main lcore would have it, loaded directly (the command
  // ring is not what is under test here).
  for (uint32_t i = 0; i < kPeers; ++i) {
    ipc::SyntheticPeer p = ipc::synthetic_peer(3, i);
    ASSERT_EQ(table->apply(ipc::make_upsert(p.address, ipc::synthetic_path(p))), FLATNET_IPC_OK) << i;
  }
  flatnet_ipc_phys_addr sib{};
  ASSERT_TRUE(ipc::parse_phys_addr("192.0.2.7:9993", &sib));
  flatnet_ipc_command cfg = ipc::make_config(FLATNET_IPC_CFG_SIBLING_ROOT, 1);
  cfg.path = sib;
  ASSERT_EQ(table->apply(cfg), FLATNET_IPC_OK);
  ASSERT_EQ(table->apply(ipc::make_config(FLATNET_IPC_CFG_PATH_MAX_IDLE_MS, 3600000)), FLATNET_IPC_OK);
  ASSERT_EQ(table->apply(ipc::make_config(FLATNET_IPC_CFG_RELAY, 1)), FLATNET_IPC_OK);
  ASSERT_EQ(table->size(), kPeers);

  auto c = ipc::Client::attach(svc->path(), &err);
  ASSERT_TRUE(c) << err;
  ASSERT_TRUE(c->resync(77));
  // Queued behind the RESYNC: must not show up in the dump, must be applied after it.
  const uint64_t late = 0x0badc0ffeeull;
  ASSERT_TRUE(c->send_command(ipc::make_upsert(late, ipc::synthetic_path(ipc::synthetic_peer(3, 0)), 78,
                                               FLATNET_IPC_CMD_F_ACK)));

  std::atomic<bool> stop{false};
  std::thread main_lcore([&] {
    while (!stop.load(std::memory_order_relaxed)) {
      auto r = svc->poll_main(*table, ipc::mono_ns(), [](const ipc::Inject&) { return true; });
      if (r.events == 0) std::this_thread::yield();
    }
  });

  std::unordered_map<uint64_t, uint32_t> seen;  // address -> times dumped
  seen.reserve(kPeers * 2);
  uint32_t begin = 0, end = 0, peers = 0, order_errors = 0, late_ack_at = 0, events = 0;
  bool begun = false, ended = false, late_acked = false, late_in_dump = false;
  std::unordered_map<uint32_t, flatnet_ipc_event> config;  // key -> event
  for (auto dl = Clock::now() + std::chrono::seconds(60); !(ended && late_acked) && Clock::now() < dl;) {
    // Small reads: the consumer is slower than the dump wants to be.
    c->poll_events([&](const flatnet_ipc_event& e) {
      ++events;
      switch (e.type) {
        case FLATNET_IPC_EV_RESYNC_BEGIN:
          begun = true;
          begin = e.count;
          if (e.seq != 77) ++order_errors;
          break;
        case FLATNET_IPC_EV_CONFIG:
          if (!begun || peers > 0 || e.seq != 77) ++order_errors;
          config[e.status] = e;
          break;
        case FLATNET_IPC_EV_PEER:
          if (!begun || ended || e.seq != 77) ++order_errors;
          if (e.addr == late) late_in_dump = true;
          ++seen[e.addr];
          ++peers;
          break;
        case FLATNET_IPC_EV_RESYNC_END:
          ended = true;
          end = e.count;
          if (e.seq != 77) ++order_errors;
          break;
        case FLATNET_IPC_EV_RESULT:
          if (e.seq == 78 && e.status == FLATNET_IPC_OK) {
            late_acked = true;
            late_ack_at = events;
            if (!ended) ++order_errors;  // the command waited for the dump
          }
          break;
      }
    }, 37);
    std::this_thread::yield();
  }
  stop = true;
  main_lcore.join();
  ASSERT_TRUE(ended) << "RESYNC_END after " << peers << " peers";
  EXPECT_EQ(order_errors, 0u);
  EXPECT_EQ(begin, kPeers);
  EXPECT_EQ(end, kPeers);
  EXPECT_EQ(peers, kPeers);
  EXPECT_EQ(seen.size(), size_t(kPeers)) << "every peer once";
  uint32_t twice = 0, missing = 0;
  for (uint32_t i = 0; i < kPeers; ++i) {
    auto it = seen.find(ipc::synthetic_peer(3, i).address);
    if (it == seen.end()) ++missing;
    else if (it->second != 1) ++twice;
  }
  EXPECT_EQ(missing, 0u);
  EXPECT_EQ(twice, 0u);
  EXPECT_FALSE(late_in_dump) << "the dump is the table as of the RESYNC";
  EXPECT_TRUE(late_acked);
  EXPECT_GT(late_ack_at, kPeers);
  EXPECT_NE(table->lookup(late), nullptr);
  // CONFIG events: status = key, addr = value, path for the sibling (abi.h).
  ASSERT_EQ(config.size(), 3u);
  EXPECT_EQ(config[FLATNET_IPC_CFG_RELAY].addr, 1u);
  EXPECT_EQ(config[FLATNET_IPC_CFG_PATH_MAX_IDLE_MS].addr, 3600000u);
  EXPECT_EQ(config[FLATNET_IPC_CFG_SIBLING_ROOT].addr, 1u);
  EXPECT_EQ(ipc::format_phys_addr(config[FLATNET_IPC_CFG_SIBLING_ROOT].path), "192.0.2.7:9993");
  EXPECT_EQ(svc->header().channel_counters[svc->main_channel()].event_ring_full, 0u)
      << "the dump waits for room instead of losing events";
}

// A command is applied only when its possible RESULT fits in the event ring
// (beside the 16 entries kept for RESULTs): refusals queued faster than
// control drains events wait instead of being applied and their RESULT
// dropped. The barrier behind them reports 0 lost RESULTs in its count.
TEST(IpcResync, CommandWaitsForResultRoom) {
  Served d;
  ASSERT_EQ(d.start("resroom", 32, 128, 1024), "");
  auto& c = d.c;
  auto& svc = d.svc;
  auto poll = [&] { d.poll(); };
  constexpr uint32_t kRefused = 100;  // each a NOT_FOUND RESULT, 3 ring-fulls' worth
  for (uint32_t i = 0; i < kRefused; ++i) ASSERT_TRUE(c->send_command(ipc::make_delete(1000 + i, i + 1)));
  flatnet_ipc_command barrier{};
  barrier.type = FLATNET_IPC_CMD_NOP;
  barrier.flags = FLATNET_IPC_CMD_F_ACK;
  barrier.seq = 5000;
  ASSERT_TRUE(c->send_command(barrier));
  for (int i = 0; i < 10; ++i) poll();  // nobody drains: the ring fills, commands wait
  uint32_t refused = 0, barriers = 0, barrier_count = 99;
  for (int round = 0; round < 200 && barriers == 0; ++round) {
    c->poll_events([&](const flatnet_ipc_event& e) {
      if (e.type != FLATNET_IPC_EV_RESULT) return;
      if (e.seq == 5000) {
        ++barriers;
        barrier_count = e.count;
      } else if (e.status == FLATNET_IPC_E_NOT_FOUND) {
        ++refused;
        EXPECT_EQ(e.count, uint32_t(FLATNET_IPC_CMD_PEER_DELETE));  // non-barrier: command type
      }
    });
    poll();
  }
  EXPECT_EQ(refused, kRefused) << "every refusal reached control";
  EXPECT_EQ(barriers, 1u);
  EXPECT_EQ(barrier_count, 0u) << "no RESULT lost";
  EXPECT_EQ(c->header().channel_counters[svc->main_channel()].event_ring_full, 0u);
}

// An inject the sink refuses (the fast path counted it inject_bad) is not
// also counted injects_ok or injects_no_mbuf: each outcome is counted once.
TEST(IpcResync, RefusedInjectCountedOnce) {
  Served d;
  ASSERT_EQ(d.start("injverdict", 64, 64, 64), "");
  auto& c = d.c;
  int verdict = ipc::kInjectRefused;
  d.sink = [&](const ipc::Inject&) { return verdict; };
  auto poll = [&] { d.poll(); };
  flatnet_ipc_phys_addr dst{};
  ASSERT_TRUE(ipc::parse_phys_addr("192.0.2.9:9993", &dst));
  const uint8_t pkt[40] = {1};
  ASSERT_TRUE(c->inject(pkt, sizeof pkt, dst));
  poll();
  verdict = ipc::kInjectNoRoom;
  ASSERT_TRUE(c->inject(pkt, sizeof pkt, dst));
  poll();
  verdict = ipc::kInjectTaken;
  ASSERT_TRUE(c->inject(pkt, sizeof pkt, dst));
  poll();
  const flatnet_ipc_main_counters& k = c->header().main_counters;
  EXPECT_EQ(k.injects_ok, 1u);
  EXPECT_EQ(k.injects_no_mbuf, 1u);
  EXPECT_EQ(k.injects_bad, 0u);
}

// Once another control began attaching (attach_epoch changed, 0 included),
// the main lcore no longer reads the command or inject ring under the old
// session: what is there may be the new control's, queued before its session.
TEST(IpcResync, NothingServedWhileAnotherControlAttaches) {
  Served d;
  ASSERT_EQ(d.start("epochgate", 64, 64, 64), "");
  auto& c = d.c;
  auto& svc = d.svc;
  auto& table = d.table;
  unsigned sunk = 0;
  d.sink = [&](const ipc::Inject&) {
    ++sunk;
    return int(ipc::kInjectTaken);
  };
  auto poll = [&] { d.poll(); };
  auto* hdr = reinterpret_cast<flatnet_ipc_header*>(svc->memory());
  const uint32_t epoch = hdr->control.attach_epoch;
  // A new control's first step: epoch 0 ("a control is changing").
  __atomic_store_n(&hdr->control.attach_epoch, 0u, __ATOMIC_RELEASE);
  const ipc::SyntheticPeer p = ipc::synthetic_peer(5, 1);
  ASSERT_TRUE(c->send_command(ipc::make_upsert(p.address, ipc::synthetic_path(p), 1)));
  const uint8_t pkt[40] = {1};
  ASSERT_TRUE(c->inject(pkt, sizeof pkt, ipc::synthetic_path(p)));
  for (int i = 0; i < 5; ++i) poll();
  EXPECT_EQ(table->lookup(p.address), nullptr) << "applied under a session that is over";
  EXPECT_EQ(hdr->main_counters.commands_ok, 0u);
  EXPECT_EQ(sunk, 0u) << "an inject read under a session that is over";
  // A different nonzero epoch: still not served under the old session.
  __atomic_store_n(&hdr->control.attach_epoch, epoch ^ 0x5a5a5a5au, __ATOMIC_RELEASE);
  hdr->control.control_pid = 0;  // not alive: no new session is accepted either
  for (int i = 0; i < 5; ++i) poll();
  EXPECT_EQ(table->lookup(p.address), nullptr);
  EXPECT_EQ(sunk, 0u);
}
