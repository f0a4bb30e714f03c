// The counters block: writer and reader on a fake block in a plain buffer
// (round trip, a writer racing the reader, a block stuck mid-write, garbage
// counts, names and shapes), then through a real segment (Service publishes,
// Client and the read-only Observer read; a corrupt descriptor is refused).
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "dataplane/ipc/client.hpp"
#include "dataplane/ipc/service.hpp"
#include "dataplane/ipc/stats_block.hpp"
#include "tests/unit/ipc/test_util.hpp"

using namespace flatnet::ipc;
using flatnet::test::ipc_unique_instance;

namespace {

// A block in ordinary memory, 8-byte aligned, sized by the descriptor.
struct FakeBlock {
  explicit FakeBlock(uint32_t max_entries = 16, uint32_t columns = 3) {
    d.offset = FLATNET_IPC_HEADER_SIZE;
    d.max_entries = max_entries;
    d.columns = columns;
    d.name_size = FLATNET_IPC_STATS_NAME_SIZE;
    d.interval_ms = 100;
    d.size = stats::block_bytes(max_entries, columns);
    words.assign(d.size / 8, 0);
  }
  uint8_t* p() { return reinterpret_cast<uint8_t*>(words.data()); }
  flatnet_ipc_stats_head& head() { return *reinterpret_cast<flatnet_ipc_stats_head*>(p()); }
  char* name(uint32_t i) {
    return reinterpret_cast<char*>(p() + stats::kHeadSize + i * FLATNET_IPC_STATS_NAME_SIZE);
  }
  bool read(CounterSnapshot* s, std::string* err, unsigned tries = 200) {
    return stats::read(p(), words.size() * 8, d, s, err, tries);
  }
  flatnet_ipc_stats_desc d{};
  std::vector<uint64_t> words;
};

}  // namespace

TEST(IpcStats, FakeBlockRoundTrip) {
  FakeBlock b;
  CounterSnapshot s;
  std::string err;
  ASSERT_TRUE(b.read(&s, &err)) << err;
  EXPECT_EQ(s.seq, 0u) << "never written";
  EXPECT_EQ(s.size(), 0u);

  ASSERT_TRUE(stats::define(b.p(), b.d, {"relayed", "drop_vl1_hop_limit", "ipc_punt_ok"}, &err))
      << err;
  ASSERT_TRUE(b.read(&s, &err)) << err;
  EXPECT_EQ(s.seq, 2u);
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s.names[1], "drop_vl1_hop_limit");
  EXPECT_EQ(s.total(1), 0u);

  const uint64_t rows[] = {30, 10, 20, 1, 1, 0, 7, 0, 7};
  stats::publish(b.p(), b.d, rows, 3, 123456789);
  ASSERT_TRUE(b.read(&s, &err)) << err;
  EXPECT_EQ(s.seq, 4u);
  EXPECT_EQ(s.updated_ns, 123456789u);
  EXPECT_EQ(s.channels, 2u);
  EXPECT_EQ(s.total(0), 30u);
  EXPECT_EQ(s.channel(0, 0), 10u);
  EXPECT_EQ(s.channel(0, 1), 20u);
  EXPECT_EQ(s.channel(2, 1), 7u);
  auto t = s.totals();
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[0], (std::pair<std::string, uint64_t>("relayed", 30)));
  EXPECT_EQ(t[2], (std::pair<std::string, uint64_t>("ipc_punt_ok", 7)));
}

TEST(IpcStats, DefineRefusesBadNames) {
  FakeBlock b(4, 2);
  std::string err;
  EXPECT_FALSE(stats::define(b.p(), b.d, {"Relayed"}, &err));
  EXPECT_NE(err.find("'Relayed'"), std::string::npos) << err;
  EXPECT_FALSE(stats::define(b.p(), b.d, {"9lives"}, &err));
  EXPECT_FALSE(stats::define(b.p(), b.d, {""}, &err));
  EXPECT_FALSE(stats::define(b.p(), b.d, {std::string(FLATNET_IPC_STATS_NAME_SIZE, 'a')}, &err));
  EXPECT_TRUE(stats::define(b.p(), b.d, {std::string(FLATNET_IPC_STATS_NAME_SIZE - 1, 'a')}, &err))
      << err;
  EXPECT_FALSE(stats::define(b.p(), b.d, {"a", "b", "a"}, &err));
  EXPECT_NE(err.find("twice"), std::string::npos) << err;
  EXPECT_FALSE(stats::define(b.p(), b.d, {"a", "b", "c", "d", "e"}, &err));
  EXPECT_NE(err.find("room for 4"), std::string::npos) << err;
}

// A writer publishing as fast as it can while the reader reads: every
// snapshot the reader accepts is one publish (row i of publish k holds k+i
// in every channel column and the matching total), never a mix.
TEST(IpcStats, ReaderNeverSeesATornPublish) {
  FakeBlock b(64, 3);
  std::vector<std::string> names;
  for (int i = 0; i < 64; ++i) names.push_back(std::string("c").append(std::to_string(i)));
  std::string err;
  ASSERT_TRUE(stats::define(b.p(), b.d, names, &err)) << err;
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    std::vector<uint64_t> rows(64 * 3);
    for (uint64_t k = 1; !stop.load(std::memory_order_relaxed); ++k) {
      for (uint64_t i = 0; i < 64; ++i) {
        rows[i * 3 + 1] = rows[i * 3 + 2] = k + i;
        rows[i * 3] = 2 * (k + i);
      }
      stats::publish(b.p(), b.d, rows.data(), 64, k);
      // Bursts of back-to-back publishes (readers overlap them and must
      // retry), then a pause (so a reader also gets through).
      if (k % 8 == 0) std::this_thread::sleep_for(std::chrono::microseconds(20));
    }
  });
  // Bounded by counts, not by time: 200 accepted snapshots, or give up
  // after a million attempts (a reader that never gets through is a bug,
  // however slow the machine or the sanitizer build).
  unsigned ok = 0, busy = 0, bad = 0;
  uint64_t last_seq = 0;
  for (unsigned attempt = 0; ok < 200 && attempt < 1000000; ++attempt) {
    CounterSnapshot s;
    if (!b.read(&s, &err, 50)) {
      ++busy;
      EXPECT_NE(err.find("still being written"), std::string::npos) << err;
      continue;
    }
    ++ok;
    if (s.size() != 64 || s.seq % 2 || s.seq < last_seq) ++bad;
    last_seq = s.seq;
    const uint64_t k = s.updated_ns;
    for (size_t i = 0; i < s.size() && k; ++i)
      if (s.channel(i, 0) != k + i || s.channel(i, 1) != k + i || s.total(i) != 2 * (k + i)) {
        ++bad;
        break;
      }
  }
  stop = true;
  writer.join();
  EXPECT_EQ(bad, 0u);
  EXPECT_EQ(ok, 200u) << busy << " reads gave up";
}

TEST(IpcStats, StuckMidWriteGivesUpBounded) {
  FakeBlock b;
  std::string err;
  ASSERT_TRUE(stats::define(b.p(), b.d, {"x"}, &err)) << err;
  b.head().seq = 7;  // a writer that died between its two seq stores
  CounterSnapshot s;
  // Bounded by its count of tries (the message says how many), not by time.
  EXPECT_FALSE(b.read(&s, &err));
  EXPECT_NE(err.find("still being written after 200 tries"), std::string::npos) << err;
  // The next publish makes it readable again.
  const uint64_t row[] = {1, 1, 0};
  stats::publish(b.p(), b.d, row, 1, 5);
  EXPECT_TRUE(b.read(&s, &err)) << err;
  EXPECT_EQ(s.seq % 2, 0u);
  EXPECT_EQ(s.total(0), 1u);
}

TEST(IpcStats, GarbageRejected) {
  std::string err;
  CounterSnapshot s;
  {  // more entries than the block holds
    FakeBlock b(8, 3);
    ASSERT_TRUE(stats::define(b.p(), b.d, {"a"}, &err));
    b.head().n_entries = 9;
    EXPECT_FALSE(b.read(&s, &err));
    EXPECT_NE(err.find("n_entries 9 exceeds the block's 8"), std::string::npos) << err;
    b.head().n_entries = 0xffffffffu;
    EXPECT_FALSE(b.read(&s, &err));
  }
  {  // a name with no terminator, one with a bad character, a repeat
    FakeBlock b(8, 3);
    ASSERT_TRUE(stats::define(b.p(), b.d, {"a", "b"}, &err));
    memset(b.name(1), 'q', FLATNET_IPC_STATS_NAME_SIZE);
    EXPECT_FALSE(b.read(&s, &err));
    EXPECT_NE(err.find("entry 1 has no legal name"), std::string::npos) << err;
    memcpy(b.name(1), "b{x=\"1\"}", 9);
    EXPECT_FALSE(b.read(&s, &err));
    memcpy(b.name(1), "a\0", 2);
    EXPECT_FALSE(b.read(&s, &err));
    EXPECT_NE(err.find("twice"), std::string::npos) << err;
    memcpy(b.name(1), "b\0", 2);
    EXPECT_TRUE(b.read(&s, &err)) << err;
  }
  {  // bad shapes are refused before the block is touched
    FakeBlock b(8, 3);
    flatnet_ipc_stats_desc d = b.d;
    d.name_size = 32;
    EXPECT_FALSE(stats::read(b.p(), b.words.size() * 8, d, &s, &err));
    d = b.d;
    d.columns = 1;
    EXPECT_FALSE(stats::read(b.p(), b.words.size() * 8, d, &s, &err));
    d.columns = FLATNET_IPC_MAX_CHANNELS + 2;
    EXPECT_FALSE(stats::read(b.p(), b.words.size() * 8, d, &s, &err));
    d = b.d;
    d.max_entries = 0;
    EXPECT_FALSE(stats::read(b.p(), b.words.size() * 8, d, &s, &err));
    d.max_entries = FLATNET_IPC_STATS_MAX_ENTRIES + 1;
    EXPECT_FALSE(stats::read(b.p(), b.words.size() * 8, d, &s, &err));
    d = b.d;
    d.max_entries = 9;  // claims more than the memory holds
    EXPECT_FALSE(stats::read(b.p(), b.words.size() * 8, d, &s, &err));
    EXPECT_NE(err.find("larger than its memory"), std::string::npos) << err;
  }
}

TEST(IpcStats, DescriptorChecks) {
  FakeBlock b(8, 3);
  const uint64_t seg = 1 << 20;
  EXPECT_EQ(stats::check_desc(b.d, 2, seg), "");
  flatnet_ipc_stats_desc d = b.d;
  EXPECT_NE(stats::check_desc(d, 3, seg), "") << "columns must be 1 + channels";
  d.offset = 64;
  EXPECT_NE(stats::check_desc(d, 2, seg), "") << "inside the header";
  d.offset = FLATNET_IPC_HEADER_SIZE + 8;
  EXPECT_NE(stats::check_desc(d, 2, seg), "") << "unaligned";
  d.offset = seg - 64;
  EXPECT_NE(stats::check_desc(d, 2, seg), "") << "past the end";
  d.offset = UINT64_MAX & ~uint64_t(63);
  EXPECT_NE(stats::check_desc(d, 2, seg), "") << "wraps around";
  d = b.d;
  d.size = UINT64_MAX;
  EXPECT_NE(stats::check_desc(d, 2, seg), "");
  d.size = b.d.size - 64;
  EXPECT_NE(stats::check_desc(d, 2, seg), "") << "too small for max_entries";
  EXPECT_EQ(stats::block_bytes(FLATNET_IPC_STATS_MAX_ENTRIES + 1, 3), UINT64_MAX);
}

// Through a real segment: what the data plane's main lcore does, read by a
// control (Client) and by a read-only Observer at the same time.
TEST(IpcStats, ServicePublishesClientAndObserverRead) {
  ServiceParams p;
  p.instance = ipc_unique_instance("stats");
  p.workers = 2;
  p.punt_slots = 64;
  p.inject_slots = 32;
  p.event_ring = 128;
  p.command_ring = 128;
  std::string err;
  auto svc = Service::create(p, &err);
  ASSERT_TRUE(svc) << err;
  EXPECT_FALSE(svc->stats_define({"ipc_punt_ok"}, &err)) << "the service's own names are taken";
  ASSERT_TRUE(svc->stats_define({"relayed", "drop_tx_full"}, &err)) << err;
  EXPECT_EQ(svc->stats_names().size(), 2u + 19u);
  EXPECT_EQ(svc->stats_names()[2], "ipc_punt_ok");

  uint8_t pkt[40] = {};
  for (int i = 0; i < 5; ++i) svc->punt(1, pkt, sizeof pkt, PuntMeta{});  // no control: counted
  EXPECT_TRUE(svc->stats_due(1));
  const uint64_t values[] = {10, 20, 1,   // relayed: worker 0, worker 1, main
                             0, 3, 4};    // drop_tx_full
  svc->stats_publish(values, 1000);
  EXPECT_FALSE(svc->stats_due(1000 + 99 * 1000000ull));
  EXPECT_TRUE(svc->stats_due(1000 + 100 * 1000000ull));

  auto c = Client::attach(svc->path(), &err);
  ASSERT_TRUE(c) << err;
  auto o = Observer::open(svc->path(), &err);
  ASSERT_TRUE(o) << "an observer needs no flock: " << err;
  EXPECT_EQ(svc->header().control.control_pid, uint32_t(getpid())) << "the observer registers nothing";
  CounterSnapshot a, b;
  ASSERT_TRUE(c->read_counters(&a, &err)) << err;
  ASSERT_TRUE(o->read_counters(&b, &err)) << err;
  EXPECT_EQ(a.names, b.names);
  EXPECT_EQ(a.values, b.values);
  EXPECT_EQ(a.channels, 3u);
  ASSERT_EQ(a.size(), 21u);
  EXPECT_EQ(a.names[0], "relayed");
  EXPECT_EQ(a.total(0), 31u);
  EXPECT_EQ(a.channel(0, 2), 1u);
  EXPECT_EQ(a.total(1), 7u);
  auto find = [&](const std::string& n) {
    for (size_t i = 0; i < a.size(); ++i)
      if (a.names[i] == n) return int(i);
    return -1;
  };
  const int nc = find("ipc_punt_no_control");
  ASSERT_GE(nc, 0);
  EXPECT_EQ(a.total(size_t(nc)), 5u);
  EXPECT_EQ(a.channel(size_t(nc), 1), 5u);
  ASSERT_GE(find("ipc_control_losses"), 0);
  EXPECT_EQ(a.updated_ns, 1000u);
}

TEST(IpcStats, CorruptDescriptorRefusedAtAttach) {
  ServiceParams p;
  p.instance = ipc_unique_instance("statsbad");
  p.punt_slots = 64;
  p.inject_slots = 32;
  p.event_ring = 128;
  p.command_ring = 128;
  std::string err;
  auto svc = Service::create(p, &err);
  ASSERT_TRUE(svc) << err;
  int fd = open(svc->path().c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  const uint64_t off = svc->header().segment_size;  // the block "starts" at the end
  ASSERT_EQ(pwrite(fd, &off, sizeof off,
                   offsetof(flatnet_ipc_header, stats) + offsetof(flatnet_ipc_stats_desc, offset)),
            ssize_t(sizeof off));
  close(fd);
  EXPECT_FALSE(Client::attach(svc->path(), &err));
  EXPECT_NE(err.find("bad counters block"), std::string::npos) << err;
  EXPECT_FALSE(Observer::open(svc->path(), &err));
  EXPECT_NE(err.find("bad counters block"), std::string::npos) << err;
}
