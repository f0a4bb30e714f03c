// The data plane trusts nothing in the segment: a control that writes random
// bytes over all of it (header, ring state, ring entries, slots) while a
// worker punts and the main lcore applies commands and sends injects at full
// rate. The data plane must not crash, must not touch memory outside the
// segment, must count the corruption and drop that control, and must serve
// the next control normally.
//
// The segment is a heap buffer here (ServiceParams::in_memory), so that an
// AddressSanitizer build sees every access the data plane makes (ASan does
// not watch mmap'd memory); in every build the service reaches the segment
// only through seg::View::at(), which aborts the process on an access outside
// it. Bounded: ~1 s of scribbling, a few seconds at most in all.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "dataplane/ipc/client.hpp"
#include "dataplane/ipc/clock.hpp"
#include "dataplane/ipc/segment.hpp"
#include "dataplane/ipc/service.hpp"
#include "dataplane/tables/peer_table.hpp"
#include "tests/unit/ipc/test_util.hpp"

using namespace flatnet;

namespace {

using Clock = std::chrono::steady_clock;

using flatnet::ipc::mono_ns;

// The worker's punts: 4-byte sequence, then bytes derived from it.
uint32_t punt_len(uint32_t seq) { return 40 + seq % 200; }
uint8_t punt_byte(uint32_t seq, uint32_t i) { return uint8_t(seq * 7 + i); }

// A control's injects: the same idea with another pattern.
uint32_t inject_len(uint32_t seq) { return 60 + seq % 300; }
uint8_t inject_byte(uint32_t seq, uint32_t i) { return uint8_t(seq * 13 + i * 3); }

struct Region {
  uint64_t off, len;
};

}  // namespace

TEST(IpcCorruption, RandomBytesOverTheWholeSegment) {
  std::string err;
  ipc::ServiceParams sp;
  sp.instance = test::ipc_unique_instance("scribble");
  sp.in_memory = true;
  sp.workers = 1;
  sp.punt_slots = 64;
  sp.inject_slots = 32;
  sp.event_ring = 128;
  sp.command_ring = 128;
  sp.slot_data = 512;
  auto svc = ipc::Service::create(sp, &err);
  ASSERT_TRUE(svc) << err;
  ASSERT_TRUE(svc->stats_define({"relayed"}, &err)) << err;
  tables::TableParams tp;
  tp.name = "scribble";
  tp.capacity = 1024;
  tp.max_readers = 1;
  auto table = tables::PeerTable::create(tp, &err);
  ASSERT_TRUE(table) << err;

  uint8_t* const base = svc->memory();
  const uint64_t size = svc->memory_size();
  const flatnet_ipc_header layout = svc->header();  // the test's own copy, taken before any scribble

  std::atomic<bool> stop{false};
  // ---- worker 0: punts and events at full rate --------------------------
  std::thread worker([&] {
    uint8_t pkt[512];
    uint32_t seq = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      const uint32_t len = punt_len(seq);
      memcpy(pkt, &seq, 4);
      for (uint32_t i = 4; i < len; ++i) pkt[i] = punt_byte(seq, i);
      ipc::PuntMeta m;
      m.src.family = FLATNET_IPC_AF_INET;
      m.src.udp_port = 7777;
      svc->punt(0, pkt, len, m);
      flatnet_ipc_event ev{};
      ev.type = FLATNET_IPC_EV_RELAY_PAIR;
      ev.addr = seq;
      ev.count = 1;
      svc->event(0, ev);
      unsigned used, slots;
      svc->punt_fill(0, &used, &slots);
      ++seq;
      if (seq % 64 == 0) std::this_thread::yield();
    }
  });
  // ---- main lcore: commands, dumps, injects ------------------------------
  std::atomic<uint64_t> outside{0};        // inject data handed to the sink outside the segment
  std::atomic<uint32_t> good_injects{0};   // well-formed injects of control B
  std::atomic<bool> count_injects{false};
  std::thread main_lcore([&] {
    auto sink = [&](const ipc::Inject& in) {
      if (in.data < base || in.len > size || in.data + in.len > base + size ||
          in.len > sp.slot_data)
        outside.fetch_add(1);
      if (count_injects.load() && in.len >= 4) {
        uint32_t seq;
        memcpy(&seq, in.data, 4);
        bool ok = in.len == inject_len(seq) && in.dst.udp_port == 4000;
        for (uint32_t i = 4; ok && i < in.len; ++i) ok = in.data[i] == inject_byte(seq, i);
        if (ok) good_injects.fetch_add(1);
      }
      return true;
    };
    while (!stop.load(std::memory_order_relaxed)) {
      svc->poll_main(*table, mono_ns(), sink);
      const uint64_t v[] = {1, 2};
      if (svc->stats_due(mono_ns())) svc->stats_publish(v, mono_ns());
    }
  });

  // ---- control A: behaves for a moment, then scribbles -------------------
  auto a = ipc::Client::attach_memory(base, size, &err);
  ASSERT_TRUE(a) << err;
  for (auto dl = Clock::now() + std::chrono::seconds(5); !a->session_ready() && Clock::now() < dl;)
    std::this_thread::yield();
  ASSERT_TRUE(a->session_ready());
  for (int i = 0; i < 200; ++i) {
    a->poll_punts([](const flatnet_ipc_slot_meta&, const uint8_t*, uint32_t) {});
    a->poll_events([](const flatnet_ipc_event&) {});
    uint8_t p[100] = {};
    a->inject(p, sizeof p, flatnet_ipc_phys_addr{});
    a->send_command(ipc::make_upsert(0x1000000000ull + i, flatnet_ipc_phys_addr{}));
  }

  // Where to aim: every ring's two counter lines, the header, ring entries
  // and the counters block, the slots. Phase 1 spares the control line and
  // the counter lines of the header, so that what the data plane counts in
  // that phase can be read back; phase 2 spares nothing.
  std::vector<Region> rings;
  auto add_ring = [&](const flatnet_ipc_ring_ref& r) {
    rings.push_back({r.offset, 4});
    rings.push_back({r.offset + 64, 4});
  };
  for (unsigned c = 0; c < layout.n_channels; ++c) {
    add_ring(layout.channels[c].punt);
    add_ring(layout.channels[c].punt_free);
    add_ring(layout.channels[c].event);
  }
  add_ring(layout.command);
  add_ring(layout.inject);
  add_ring(layout.inject_free);
  const uint64_t slots_start = layout.channels[0].slots_offset;
  const std::vector<Region> header_phase1 = {
      {0, 128},                                                                // lines 0-1
      {offsetof(flatnet_ipc_header, channels), 16 * sizeof(flatnet_ipc_channel_desc)},
      {offsetof(flatnet_ipc_header, instance), 128},                           // name, stats desc
      {offsetof(flatnet_ipc_header, channel_ready), 64},
  };
  std::mt19937_64 rng(12345);
  std::vector<uint8_t> junk(512);
  // The scribbling control also attaches again and again (every ~10 ms, a
  // new session each time it gets through the header checks) and keeps
  // injecting, punting and sending commands, so the data plane meets
  // garbage inside trusted sessions, not only after it dropped one.
  uint64_t reattaches = 0;
  auto scribble = [&](bool spare_counters, std::chrono::milliseconds how_long) {
    uint64_t writes = 0;
    auto next_attach = Clock::now();
    for (auto dl = Clock::now() + how_long; Clock::now() < dl; ++writes) {
      if (Clock::now() >= next_attach) {
        next_attach = Clock::now() + std::chrono::milliseconds(10);
        a.reset();
        a = ipc::Client::attach_memory(base, size, &err);
        reattaches += a != nullptr;
      }
      for (auto& b : junk) b = uint8_t(rng());
      Region r;
      // Weights: ring counters rarely (each hit ends the session soon), so
      // that sessions last and the data plane meets garbage indices,
      // lengths and entries inside them.
      const unsigned pick = unsigned(rng() % 100);
      switch (pick < 2 ? 0 : pick < 10 ? 1 : pick < 40 ? 2 : pick < 80 ? 3 : 4) {
        case 0:  // a ring counter, or its whole line
          r = rings[rng() % rings.size()];
          if (rng() % 4 == 0) r.len = 64;
          break;
        case 1:  // the header
          if (spare_counters) {
            const Region& h = header_phase1[rng() % header_phase1.size()];
            r.off = h.off + rng() % h.len;
            r.len = std::min<uint64_t>(1 + rng() % 64, h.off + h.len - r.off);
          } else {
            r.off = rng() % FLATNET_IPC_HEADER_SIZE;
            r.len = 1 + rng() % 256;
          }
          break;
        case 2:  // ring entries, counters block
          r.off = FLATNET_IPC_HEADER_SIZE + rng() % (slots_start - FLATNET_IPC_HEADER_SIZE);
          r.len = 1 + rng() % 256;
          break;
        case 3:  // slot metas and data
          r.off = slots_start + rng() % (size - slots_start);
          r.len = 1 + rng() % 512;
          break;
        default:  // the whole segment (past the header in phase 1), a little at a time
          r.off = spare_counters ? FLATNET_IPC_HEADER_SIZE + rng() % (size - FLATNET_IPC_HEADER_SIZE)
                                 : rng() % size;
          r.len = 1 + rng() % 512;
          break;
      }
      r.len = std::min(r.len, size - r.off);
      memcpy(base + r.off, junk.data(), r.len);
      // Keep playing the control too: what it reads and writes now is garbage.
      if (a) {
        a->poll_punts([](const flatnet_ipc_slot_meta&, const uint8_t*, uint32_t) {}, 8);
        a->poll_events([](const flatnet_ipc_event&) {}, 8);
        uint8_t p[64] = {};
        if (a->inject(p, sizeof p, flatnet_ipc_phys_addr{})) {
          // ... and then lies about the lengths of what it queued.
          for (uint32_t i = 0; i < layout.inject_slot_count; ++i) {
            const uint32_t len = uint32_t(rng());
            memcpy(base + layout.inject_slots_offset + uint64_t(i) * layout.slot_size +
                       offsetof(flatnet_ipc_slot_meta, len),
                   &len, sizeof len);
          }
        }
        a->send_command(ipc::make_delete(rng() & 0xffffffffffull));
      }
      if (writes % 64 == 0) std::this_thread::yield();
    }
    return writes;
  };
  const uint64_t w1 = scribble(true, std::chrono::milliseconds(500));
  // Let the main lcore act on what the channels reported.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const flatnet_ipc_header& live = svc->header();
  uint64_t ring_corrupt = 0, slot_bad = 0;
  for (unsigned c = 0; c < layout.n_channels; ++c) {
    ring_corrupt += __atomic_load_n(&live.channel_trust[c].ring_corrupt, __ATOMIC_RELAXED);
    slot_bad += __atomic_load_n(&live.channel_trust[c].slot_bad, __ATOMIC_RELAXED);
  }
  const uint64_t dropped = __atomic_load_n(&live.controls_dropped, __ATOMIC_RELAXED);
  EXPECT_GE(ring_corrupt, 1u) << "impossible ring counters must be counted (" << w1 << " writes)";
  EXPECT_GE(dropped, 1u) << "and the control dropped";
  EXPECT_GE(reattaches, 2u) << "the scribbler got new sessions";
  const uint64_t w2 = scribble(false, std::chrono::milliseconds(500));
  a.reset();  // control A goes away
  EXPECT_EQ(outside.load(), 0u);

  // ---- control B: attaches once the data plane has repaired the header ---
  std::unique_ptr<ipc::Client> b;
  for (auto dl = Clock::now() + std::chrono::seconds(5); !b && Clock::now() < dl;) {
    b = ipc::Client::attach_memory(base, size, &err);
    if (!b) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(b) << "the next control must be able to attach: " << err;
  for (auto dl = Clock::now() + std::chrono::seconds(5); !b->session_ready() && Clock::now() < dl;)
    std::this_thread::yield();
  ASSERT_TRUE(b->session_ready());
  EXPECT_TRUE(svc->control_present());
  count_injects = true;
  // Commands: a NOP with ACK comes back as a RESULT.
  flatnet_ipc_command nop{};
  nop.type = FLATNET_IPC_CMD_NOP;
  nop.flags = FLATNET_IPC_CMD_F_ACK;
  nop.seq = 0x5eed;
  ASSERT_TRUE(b->send_command(nop));
  bool acked = false;
  uint32_t punts = 0, bad_punts = 0, sent = 0;
  for (auto dl = Clock::now() + std::chrono::seconds(10);
       (!acked || punts < 200 || good_injects.load() < 100) && Clock::now() < dl;) {
    b->poll_events([&](const flatnet_ipc_event& e) {
      if (e.type == FLATNET_IPC_EV_RESULT && e.seq == 0x5eed && e.status == FLATNET_IPC_OK) acked = true;
    });
    b->poll_punts([&](const flatnet_ipc_slot_meta& m, const uint8_t* d, uint32_t len) {
      uint32_t seq;
      memcpy(&seq, d, 4);
      bool ok = len == punt_len(seq) && m.addr.udp_port == 7777;
      for (uint32_t i = 4; ok && i < len; ++i) ok = d[i] == punt_byte(seq, i);
      ok ? ++punts : ++bad_punts;
    });
    if (sent < 100) {
      uint8_t p[400];
      const uint32_t len = inject_len(sent);
      memcpy(p, &sent, 4);
      for (uint32_t i = 4; i < len; ++i) p[i] = inject_byte(sent, i);
      flatnet_ipc_phys_addr dst{};
      dst.family = FLATNET_IPC_AF_INET;
      dst.udp_port = 4000;
      if (b->inject(p, len, dst)) ++sent;
    }
    std::this_thread::yield();
  }
  stop = true;
  worker.join();
  main_lcore.join();
  EXPECT_TRUE(acked) << "control B's command was answered";
  EXPECT_GE(punts, 200u) << "control B receives punts";
  EXPECT_EQ(bad_punts, 0u) << "and every one of them whole";
  EXPECT_EQ(good_injects.load(), 100u) << "control B's injects are sent";
  EXPECT_EQ(b->corrupt(), 0u);
  ipc::CounterSnapshot snap;
  EXPECT_TRUE(b->read_counters(&snap, &err)) << "the counters block was repaired: " << err;
  EXPECT_EQ(outside.load(), 0u) << "no inject outside the segment";
  RecordProperty("scribbles", std::to_string(w1 + w2));
  RecordProperty("sessions", std::to_string(reattaches));
  RecordProperty("dropped", std::to_string(dropped));
}
