// control/boundary TableReconciler against a model data plane: a command
// ring of fixed room, a table of fixed capacity, RESULTs for failures and
// F_ACK, a RESYNC dump, ageing.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <map>
#include <vector>

#include "control/boundary/table_reconciler.hpp"
#include "dataplane/ipc/phys_addr.hpp"

namespace flatnet::control::boundary {
namespace {

flatnet_ipc_phys_addr path(uint32_t n, uint16_t port = 9993) {
  return ipc::phys_v4(0x0a000000u | (n & 0xffffffu), port);
}

// What flatnet-dataplane's main lcore does with commands (service_main.cpp),
// reduced to the table: applied in order, RESULT on failure or F_ACK.
struct ModelDataplane {
  size_t ring_room = 4095;       // command ring capacity
  size_t per_poll = 64;          // commands applied per poll
  size_t capacity = 1u << 20;    // table capacity
  bool drop_dump_tail = false;   // lose PEER events (an incomplete dump)
  bool lose_failures = false;    // the event ring is full: failure RESULTs are lost
  uint32_t lost = 0;             // ...counted, and reported in the next barrier's count
  std::deque<flatnet_ipc_command> ring;
  std::map<uint64_t, flatnet_ipc_phys_addr> table;
  bool has_sibling = false;
  flatnet_ipc_phys_addr sibling{};
  std::vector<flatnet_ipc_event> events;
  std::vector<flatnet_ipc_command> applied;

  TableReconciler::Sink sink() {
    return [this](const flatnet_ipc_command& c) {
      if (ring.size() >= ring_room) return false;
      ring.push_back(c);
      return true;
    };
  }
  void result(const flatnet_ipc_command& c, uint32_t st, uint32_t count = 0) {
    flatnet_ipc_event e{};
    e.type = FLATNET_IPC_EV_RESULT;
    e.seq = c.seq;
    e.addr = c.addr;
    e.status = st;
    e.count = count;
    events.push_back(e);
  }
  void poll() {
    for (size_t i = 0; i < per_poll && !ring.empty(); ++i) {
      flatnet_ipc_command c = ring.front();
      ring.pop_front();
      applied.push_back(c);
      uint32_t st = FLATNET_IPC_OK;
      switch (c.type) {
        case FLATNET_IPC_CMD_NOP: break;
        case FLATNET_IPC_CMD_PEER_UPSERT:
          if (c.path.family == FLATNET_IPC_AF_NONE || c.path.udp_port == 0) st = FLATNET_IPC_E_BAD_ARGUMENT;
          else if (!table.count(c.addr) && table.size() >= capacity) st = FLATNET_IPC_E_TABLE_FULL;
          else table[c.addr] = c.path;
          break;
        case FLATNET_IPC_CMD_PEER_DELETE:
          st = table.erase(c.addr) ? FLATNET_IPC_OK : FLATNET_IPC_E_NOT_FOUND;
          break;
        case FLATNET_IPC_CMD_SET_CONFIG:
          has_sibling = c.value != 0;
          sibling = c.path;
          break;
        case FLATNET_IPC_CMD_RESYNC: dump(c.seq); break;
      }
      if (st != FLATNET_IPC_OK && lose_failures) {
        ++lost;
        continue;
      }
      if (c.type == FLATNET_IPC_CMD_NOP && (c.flags & FLATNET_IPC_CMD_F_ACK)) {
        result(c, st, lost);  // a barrier: how many events it could not queue
        lost = 0;
        continue;
      }
      if (st != FLATNET_IPC_OK || (c.flags & FLATNET_IPC_CMD_F_ACK)) result(c, st);
    }
  }
  void dump(uint32_t seq) {
    flatnet_ipc_event b{};
    b.type = FLATNET_IPC_EV_RESYNC_BEGIN;
    b.seq = seq;
    b.count = uint32_t(table.size());
    events.push_back(b);
    flatnet_ipc_event cfg{};
    cfg.type = FLATNET_IPC_EV_CONFIG;
    cfg.seq = seq;
    cfg.status = FLATNET_IPC_CFG_RELAY;
    cfg.addr = 1;
    events.push_back(cfg);
    cfg.status = FLATNET_IPC_CFG_PATH_MAX_IDLE_MS;
    cfg.addr = 300000;
    events.push_back(cfg);
    cfg.status = FLATNET_IPC_CFG_SIBLING_ROOT;
    cfg.addr = has_sibling;
    cfg.path = sibling;
    events.push_back(cfg);
    uint32_t n = 0;
    for (auto& [a, p] : table) {
      if (drop_dump_tail && n >= table.size() / 2) break;
      flatnet_ipc_event e{};
      e.type = FLATNET_IPC_EV_PEER;
      e.seq = seq;
      e.addr = a;
      e.path = p;
      events.push_back(e);
      ++n;
    }
    flatnet_ipc_event end{};
    end.type = FLATNET_IPC_EV_RESYNC_END;
    end.seq = seq;
    end.count = uint32_t(table.size());
    events.push_back(end);
  }
  void age_out(uint64_t addr) {
    auto it = table.find(addr);
    if (it == table.end()) return;
    flatnet_ipc_event e{};
    e.type = FLATNET_IPC_EV_PATH_EXPIRED;
    e.addr = addr;
    e.path = it->second;
    table.erase(it);
    events.push_back(e);
  }
  void unknown_dest(uint64_t dst) {
    flatnet_ipc_event e{};
    e.type = FLATNET_IPC_EV_UNKNOWN_DEST;
    e.addr = dst;
    events.push_back(e);
  }
};

struct Rig {
  ModelDataplane dp;
  TableReconciler r;
  std::vector<std::string> logs;
  uint64_t now = 1000;
  unsigned restarted = 0;

  Rig() : r([this](const std::string& s) { logs.push_back(s); }) {}

  // One control loop turn and one data-plane poll.
  void turn() {
    r.pump(now, dp.sink());
    dp.poll();
    std::vector<flatnet_ipc_event> ev;
    ev.swap(dp.events);
    for (const auto& e : ev) restarted += r.on_event(e, now);
    now += 1;
  }
  void settle(unsigned max_turns = 100000) {
    for (unsigned i = 0; i < max_turns; ++i) {
      turn();
      if (!r.busy(now) && dp.ring.empty() && dp.events.empty()) return;
    }
  }
};

TEST(TableReconciler, EveryPeerArrivesThroughASmallRing) {
  Rig g;
  g.dp.ring_room = 100;  // far fewer than the peers
  g.r.attached(g.now);
  for (uint32_t i = 1; i <= 20000; ++i) g.r.want_upsert(i, path(i));
  g.settle();
  EXPECT_EQ(g.dp.table.size(), 20000u);
  const ReconcilerStats s = g.r.stats();
  EXPECT_EQ(s.desired, 20000u);
  EXPECT_EQ(s.confirmed, 20000u);
  EXPECT_EQ(s.pending + s.in_flight, 0u);
  EXPECT_GT(s.ring_full, 0u);
  EXPECT_EQ(g.restarted, 1u);  // the (empty) dump ended once
}

TEST(TableReconciler, RepeatedUpdatesOfOneAddressCoalesce) {
  Rig g;
  g.r.attached(g.now);
  g.settle();
  for (uint32_t i = 0; i < 50; ++i) g.r.want_upsert(7, path(i));
  g.settle();
  size_t upserts = 0;
  for (const auto& c : g.dp.applied) upserts += c.type == FLATNET_IPC_CMD_PEER_UPSERT;
  EXPECT_EQ(upserts, 1u);
  EXPECT_TRUE(ipc::same_phys_addr(g.dp.table.at(7), path(49)));
  EXPECT_EQ(g.r.stats().coalesced, 49u);
  // Same path again: nothing sent.
  const size_t before = g.dp.applied.size();
  g.r.want_upsert(7, path(49));
  g.settle();
  EXPECT_EQ(g.dp.applied.size(), before);
}

TEST(TableReconciler, DataPlaneRestartRestoresEverything) {
  Rig g;
  g.r.attached(g.now);
  for (uint32_t i = 1; i <= 5000; ++i) g.r.want_upsert(i, path(i));
  g.r.want_sibling(path(99999, 9994));
  g.settle();
  ASSERT_EQ(g.dp.table.size(), 5000u);
  // A new data plane: empty table, no sibling.
  g.dp = ModelDataplane{};
  g.r.detached();
  g.r.attached(g.now);
  g.settle();
  EXPECT_EQ(g.dp.table.size(), 5000u);
  EXPECT_TRUE(g.dp.has_sibling);
  EXPECT_EQ(g.r.stats().confirmed, 5000u);
  EXPECT_EQ(g.r.stats().config_corrected, 1u);
  EXPECT_EQ(g.r.stats().dp_relay, 1u);  // reported, not corrected
  EXPECT_EQ(g.r.stats().dp_path_max_idle_ms, 300000u);
}

TEST(TableReconciler, ControlRestartSendsOnlyWhatDiffersAndDeletesStaleAfterGrace) {
  Rig g;
  for (uint32_t i = 1; i <= 1000; ++i) g.dp.table[i] = path(i);
  g.dp.table[5000] = path(5000);  // control will not want this one
  g.r.attached(g.now);
  for (uint32_t i = 1; i <= 1000; ++i) g.r.want_upsert(i, path(i == 10 ? 777 : i));
  g.settle();
  // Only address 10 differed.
  size_t upserts = 0;
  for (const auto& c : g.dp.applied) upserts += c.type == FLATNET_IPC_CMD_PEER_UPSERT;
  EXPECT_EQ(upserts, 1u);
  EXPECT_TRUE(ipc::same_phys_addr(g.dp.table.at(10), path(777)));
  EXPECT_EQ(g.r.stats().confirmed, 1000u);
  // The dump's addresses, once (a gateway's control re-meets them).
  std::vector<uint64_t> dumped = g.r.take_dumped();
  EXPECT_EQ(dumped.size(), 1001u);
  EXPECT_NE(std::find(dumped.begin(), dumped.end(), 5000u), dumped.end());
  EXPECT_TRUE(g.r.take_dumped().empty());
  // Not complete yet: the stale peer stays.
  EXPECT_TRUE(g.dp.table.count(5000));
  g.r.desired_complete(g.now);
  g.settle();
  EXPECT_TRUE(g.dp.table.count(5000));  // grace period
  g.now += TableReconciler::kStaleGraceMs + 1;
  g.settle();
  EXPECT_FALSE(g.dp.table.count(5000));
  EXPECT_EQ(g.r.stats().dump_stale_deleted, 1u);
  EXPECT_EQ(g.dp.table.size(), 1000u);
}

TEST(TableReconciler, IncompleteDumpResendsWhatItDidNotShow) {
  Rig g;
  for (uint32_t i = 1; i <= 1000; ++i) g.dp.table[i] = path(i);
  g.dp.drop_dump_tail = true;
  g.r.attached(g.now);
  for (uint32_t i = 1; i <= 1000; ++i) g.r.want_upsert(i, path(i));
  g.settle();
  EXPECT_EQ(g.r.stats().dumps_incomplete, 1u);
  EXPECT_EQ(g.r.stats().confirmed, 1000u);
  size_t upserts = 0;
  for (const auto& c : g.dp.applied) upserts += c.type == FLATNET_IPC_CMD_PEER_UPSERT;
  EXPECT_EQ(upserts, 500u);  // the half the dump did not show
}

TEST(TableReconciler, TableFullIsRetriedWithBackoff) {
  Rig g;
  g.dp.capacity = 10;
  g.r.attached(g.now);
  for (uint32_t i = 1; i <= 20; ++i) g.r.want_upsert(i, path(i));
  g.settle(2000);
  EXPECT_EQ(g.dp.table.size(), 10u);
  ReconcilerStats s = g.r.stats();
  EXPECT_EQ(s.backoff, 10u);
  EXPECT_EQ(s.failures_table_full, 10u);
  EXPECT_EQ(g.logs.size(), 1u);  // once when the table filled, not per address
  // Room appears; after the backoff they go in.
  g.dp.capacity = 100;
  g.now += TableReconciler::kBackoffMinMs + 1;
  g.settle();
  EXPECT_EQ(g.dp.table.size(), 20u);
  s = g.r.stats();
  EXPECT_EQ(s.confirmed, 20u);
  EXPECT_EQ(s.retries, 10u);
}

TEST(TableReconciler, RefusalsDoNotFloodTheLog) {
  Rig g;
  g.r.attached(g.now);
  for (uint32_t i = 1; i <= 1000; ++i) g.r.want_upsert(i, path(i, 0));  // all bad
  g.settle();
  EXPECT_EQ(g.r.stats().failures_bad_argument, 1000u);
  EXPECT_EQ(g.r.stats().rejected, 1000u);
  EXPECT_EQ(g.logs.size(), size_t(TableReconciler::kLogLines));
}

TEST(TableReconciler, BadArgumentIsDroppedAndLoggedOnce) {
  Rig g;
  g.r.attached(g.now);
  flatnet_ipc_phys_addr bad = path(1, 0);  // port 0
  g.r.want_upsert(42, bad);
  g.settle();
  g.now += 100000;
  g.settle();
  ReconcilerStats s = g.r.stats();
  EXPECT_EQ(s.rejected, 1u);
  EXPECT_EQ(s.failures_bad_argument, 1u);
  EXPECT_EQ(g.logs.size(), 1u);
  // Traffic for it does not bring the bad path back either.
  g.dp.unknown_dest(42);
  g.settle();
  EXPECT_EQ(g.r.stats().failures_bad_argument, 1u);
  // A good path does.
  g.r.want_upsert(42, path(1));
  g.settle();
  EXPECT_TRUE(g.dp.table.count(42));
}

TEST(TableReconciler, AgedOutPeerComesBackOnItsNextPacket) {
  Rig g;
  g.r.attached(g.now);
  g.r.want_upsert(5, path(5));
  g.settle();
  g.dp.age_out(5);
  g.settle();
  EXPECT_FALSE(g.dp.table.count(5));  // not re-installed without traffic
  EXPECT_EQ(g.r.stats().expired, 1u);
  g.dp.unknown_dest(5);
  g.settle();
  EXPECT_TRUE(g.dp.table.count(5));
  EXPECT_EQ(g.r.stats().unknown_dest_resent, 1u);
  EXPECT_EQ(g.r.stats().confirmed, 1u);
  // An address control does not know: counted, nothing sent.
  g.dp.unknown_dest(6);
  g.settle();
  EXPECT_EQ(g.r.stats().unknown_dest_unwanted, 1u);
  EXPECT_FALSE(g.dp.table.count(6));
}

TEST(TableReconciler, AgedOutPeerWantedAgainWithTheSamePathIsResent) {
  Rig g;
  g.r.attached(g.now);
  g.r.want_upsert(5, path(5));
  g.settle();
  g.dp.age_out(5);
  g.settle();
  EXPECT_FALSE(g.dp.table.count(5));
  // The core says the same thing again (it never re-announces an unchanged
  // path on its own, so this is the cue): the peer goes back in.
  g.r.want_upsert(5, path(5));
  g.settle();
  EXPECT_TRUE(g.dp.table.count(5));
  EXPECT_EQ(g.r.stats().expired_resent, 1u);
  EXPECT_EQ(g.r.stats().confirmed, 1u);
  // Confirmed now: the same want again sends nothing.
  const size_t applied = g.dp.applied.size();
  g.r.want_upsert(5, path(5));
  g.settle();
  EXPECT_EQ(g.dp.applied.size(), applied);
}

TEST(TableReconciler, AgedOutPeerHeardOverItsPathIsResent) {
  Rig g;
  g.r.attached(g.now);
  g.r.want_upsert(5, path(5));
  g.r.want_upsert(7, path(7));
  g.settle();
  EXPECT_FALSE(g.r.on_heard(5, path(5), g.now));  // confirmed: nothing to do
  g.dp.age_out(5);
  g.settle();
  EXPECT_FALSE(g.r.on_heard(5, path(6), g.now));  // not over its wanted path
  EXPECT_FALSE(g.r.on_heard(9, path(9), g.now));  // not a wanted peer
  EXPECT_TRUE(g.r.on_heard(5, path(5), g.now));
  EXPECT_FALSE(g.r.on_heard(5, path(5), g.now));  // on its way already
  g.settle();
  EXPECT_TRUE(g.dp.table.count(5));
  EXPECT_EQ(g.r.stats().heard_resent, 1u);
  EXPECT_EQ(g.r.stats().confirmed, 2u);
  // Aged out again within the rate limit: waits for it.
  g.dp.age_out(5);
  g.settle();
  EXPECT_FALSE(g.r.on_heard(5, path(5), g.now));
  g.now += TableReconciler::kUnknownResendMs;
  EXPECT_TRUE(g.r.on_heard(5, path(5), g.now));
  g.settle();
  EXPECT_TRUE(g.dp.table.count(5));
}

TEST(TableReconciler, BarrierReportingLostEventsRereadsTheTable) {
  Rig g;
  g.dp.capacity = 1;
  g.r.attached(g.now);
  g.settle();
  // The event ring is full while 6 is refused: its failure RESULT is lost,
  // and the barrier says so.
  g.dp.lose_failures = true;
  g.r.want_upsert(5, path(5));
  g.r.want_upsert(6, path(6));
  g.r.pump(g.now, g.dp.sink());
  g.dp.poll();
  g.dp.lose_failures = false;
  g.settle();
  const ReconcilerStats s = g.r.stats();
  EXPECT_EQ(s.barrier_lost_events, 1u);
  EXPECT_EQ(s.dumps, 2u);  // attach, then the re-read
  EXPECT_TRUE(g.dp.table.count(5));
  EXPECT_FALSE(g.dp.table.count(6));
  EXPECT_EQ(s.confirmed, 1u);  // 6 is not taken for confirmed...
  EXPECT_EQ(s.backoff, 1u);    // ...it was sent again and refused in the open
  EXPECT_EQ(s.failures_table_full, 1u);
}

TEST(TableReconciler, BarrierWithZeroCountIsAnOrdinaryBarrier) {
  Rig g;  // a data plane that loses nothing (or predates the count) sends 0
  g.r.attached(g.now);
  g.r.want_upsert(5, path(5));
  g.settle();
  EXPECT_EQ(g.r.stats().barrier_lost_events, 0u);
  EXPECT_EQ(g.r.stats().dumps, 1u);
  EXPECT_EQ(g.r.stats().confirmed, 1u);
}

TEST(TableReconciler, DesiredGaugeFollowsDeletesWithoutAWalk) {
  Rig g;
  g.r.attached(g.now);
  for (uint32_t i = 1; i <= 10; ++i) g.r.want_upsert(i, path(i));
  g.r.want_sibling(path(99));
  g.settle();
  EXPECT_EQ(g.r.stats().desired, 10u);
  g.r.want_delete(3);
  g.r.want_delete(4);
  EXPECT_EQ(g.r.stats().desired, 8u);  // a delete wanted, not yet confirmed
  g.r.want_upsert(4, path(4));         // changed its mind
  EXPECT_EQ(g.r.stats().desired, 9u);
  g.settle();
  EXPECT_EQ(g.r.stats().desired, 9u);  // 3's delete confirmed and forgotten
  g.r.attached(g.now);                 // a re-attach keeps what is wanted
  g.r.want_delete(5);                  // unknown: the dump decides
  g.settle();
  EXPECT_EQ(g.r.stats().desired, 8u);
  EXPECT_FALSE(g.dp.table.count(5));
  const ReconcilerStats s = g.r.stats();
  EXPECT_EQ(s.confirmed + s.pending + s.in_flight, 8u);
}

TEST(TableReconciler, ConfirmedPeerLostByTheDataPlaneIsResentOnUnknownDest) {
  Rig g;
  g.r.attached(g.now);
  g.r.want_upsert(5, path(5));
  g.settle();
  g.dp.table.clear();  // lost without a PATH_EXPIRED
  g.dp.unknown_dest(5);
  g.dp.unknown_dest(5);  // a burst: one re-upsert per second
  g.settle();
  EXPECT_TRUE(g.dp.table.count(5));
  EXPECT_EQ(g.r.stats().unknown_dest_resent, 1u);
}

TEST(TableReconciler, DeletesAreConfirmedAndForgotten) {
  Rig g;
  g.r.attached(g.now);
  g.r.want_upsert(5, path(5));
  g.settle();
  g.r.want_delete(5);
  g.r.want_delete(9);  // never wanted: nothing to do
  g.settle();
  EXPECT_FALSE(g.dp.table.count(5));
  const ReconcilerStats s = g.r.stats();
  EXPECT_EQ(s.desired, 0u);
  EXPECT_EQ(s.pending + s.in_flight + s.confirmed, 0u);
}

TEST(TableReconciler, LostBarrierTimesOutAndItsBatchIsSentAgain) {
  Rig g;
  g.r.attached(g.now);
  g.settle();
  g.r.want_upsert(5, path(5));
  g.r.pump(g.now, g.dp.sink());
  g.dp.poll();
  g.dp.events.clear();  // the barrier's RESULT is lost (event ring full)
  g.dp.table.clear();   // and so, say, was the peer
  g.now += TableReconciler::kBarrierTimeoutMs + 1;
  g.settle();
  EXPECT_TRUE(g.dp.table.count(5));
  EXPECT_EQ(g.r.stats().barrier_timeouts, 1u);
  EXPECT_EQ(g.r.stats().confirmed, 1u);
}

TEST(TableReconciler, StalledDumpCountsAsIncomplete) {
  Rig g;
  g.r.attached(g.now);
  g.r.want_upsert(5, path(5));
  g.r.pump(g.now, g.dp.sink());
  g.dp.ring.clear();  // the RESYNC never arrives
  g.now += TableReconciler::kDumpStallMs + 1;
  g.settle();
  EXPECT_EQ(g.r.stats().dumps_incomplete, 1u);
  EXPECT_TRUE(g.dp.table.count(5));
}

TEST(TableReconciler, NothingIsSentWhileDetached) {
  Rig g;
  g.r.want_upsert(5, path(5));
  g.settle(10);
  EXPECT_TRUE(g.dp.applied.empty());
  g.r.attached(g.now);
  g.settle();
  EXPECT_TRUE(g.dp.table.count(5));
}

}  // namespace
}  // namespace flatnet::control::boundary
