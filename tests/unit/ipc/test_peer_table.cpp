// Peer table: writer operations, capacity, concurrent lock-free readers
// under QSBR, ageing, and the resync dump through the real segment.
#include <atomic>
#include <chrono>
#include <map>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "dataplane/ipc/client.hpp"
#include "dataplane/ipc/clock.hpp"
#include "dataplane/ipc/service.hpp"
#include "dataplane/tables/peer_table.hpp"
#include "tests/unit/ipc/test_util.hpp"

using namespace flatnet;
using tables::PeerPath;
using tables::PathWord;
using tables::PeerTable;

namespace {

std::unique_ptr<PeerTable> make_table(const std::string& name, uint32_t cap, uint32_t readers = 2) {
  tables::TableParams p;
  p.name = name;
  p.capacity = cap;
  p.max_readers = readers;
  std::string err;
  auto t = PeerTable::create(p, &err);
  EXPECT_TRUE(t) << err;
  return t;
}

// A path that encodes its address and a version, so a reader can tell a
// consistent entry from a torn or recycled one.
flatnet_ipc_phys_addr path_of(uint64_t addr, uint32_t version) {
  flatnet_ipc_phys_addr p{};
  p.family = FLATNET_IPC_AF_INET6;
  for (int i = 0; i < 8; ++i) p.ip[i] = uint8_t(addr >> (8 * i));
  for (int i = 0; i < 4; ++i) p.ip[8 + i] = uint8_t(version >> (8 * i));
  for (int i = 12; i < 16; ++i) p.ip[i] = uint8_t(addr ^ version ^ i);
  p.udp_port = uint16_t(1 + (addr + version) % 65535);
  return p;
}

// IPv4 variant: 16 bits of the address and 16 of the version in the IP,
// the port derived from both.
flatnet_ipc_phys_addr path4_of(uint64_t addr, uint32_t version) {
  flatnet_ipc_phys_addr p{};
  p.family = FLATNET_IPC_AF_INET;
  p.ip[0] = uint8_t(addr);
  p.ip[1] = uint8_t(addr >> 8);
  p.ip[2] = uint8_t(version);
  p.ip[3] = uint8_t(version >> 8);
  p.udp_port = uint16_t(1 + (addr * 31 + (version & 0xffff)) % 65535);
  p.port_id = uint16_t((addr + version) & 0x7f);
  return p;
}
bool consistent4(uint64_t key, uint64_t word) {
  uint8_t ip[4];
  uint16_t port, pid;
  PathWord::unpack4(word, ip, &port, &pid);
  uint64_t a = ip[0] | uint64_t(ip[1]) << 8;
  uint32_t v = ip[2] | uint32_t(ip[3]) << 8;
  flatnet_ipc_phys_addr want = path4_of(key, v);
  return a == (key & 0xffff) && port == want.udp_port && pid == want.port_id;
}
bool consistent(const PeerPath& e) {
  uint64_t a = 0;
  uint32_t v = 0;
  for (int i = 0; i < 8; ++i) a |= uint64_t(e.path.ip[i]) << (8 * i);
  for (int i = 0; i < 4; ++i) v |= uint32_t(e.path.ip[8 + i]) << (8 * i);
  flatnet_ipc_phys_addr want = path_of(a, v);
  return a == e.addr && memcmp(&want, &e.path, sizeof want) == 0;
}

using flatnet::ipc::mono_ns;

}  // namespace

TEST(PeerTable, UpsertLookupDelete) {
  auto t = make_table("uld", 1000);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->lookup(0x1122334455), nullptr);
  EXPECT_EQ(t->upsert(0x1122334455, path_of(0x1122334455, 1)), FLATNET_IPC_OK);
  const PeerPath* e = t->lookup(0x1122334455);
  ASSERT_NE(e, nullptr);
  EXPECT_TRUE(consistent(*e));
  EXPECT_EQ(t->size(), 1u);
  // Replace: a new entry is published, the count stays.
  EXPECT_EQ(t->upsert(0x1122334455, path_of(0x1122334455, 2)), FLATNET_IPC_OK);
  EXPECT_EQ(t->size(), 1u);
  e = t->lookup(0x1122334455);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->path.udp_port, path_of(0x1122334455, 2).udp_port);
  EXPECT_EQ(t->remove(0x1122334455), FLATNET_IPC_OK);
  EXPECT_EQ(t->lookup(0x1122334455), nullptr);
  EXPECT_EQ(t->remove(0x1122334455), FLATNET_IPC_E_NOT_FOUND);
  EXPECT_EQ(t->size(), 0u);
}

TEST(PeerTable, BadArgumentsRefused) {
  auto t = make_table("bad", 10);
  ASSERT_TRUE(t);
  flatnet_ipc_phys_addr ok = path_of(5, 0), nofam = ok, noport = ok;
  nofam.family = 0;
  noport.udp_port = 0;
  EXPECT_EQ(t->upsert(0, ok), FLATNET_IPC_E_BAD_ARGUMENT);               // reserved
  EXPECT_EQ(t->upsert(0xff00000001, ok), FLATNET_IPC_E_BAD_ARGUMENT);    // reserved
  EXPECT_EQ(t->upsert(0x10000000000, ok), FLATNET_IPC_E_BAD_ARGUMENT);   // > 40 bits
  EXPECT_EQ(t->upsert(5, nofam), FLATNET_IPC_E_BAD_ARGUMENT);
  EXPECT_EQ(t->upsert(5, noport), FLATNET_IPC_E_BAD_ARGUMENT);
  flatnet_ipc_command c{};
  c.type = 99;
  EXPECT_EQ(t->apply(c), FLATNET_IPC_E_UNKNOWN_COMMAND);
  EXPECT_EQ(t->set_config(77, 1, ok), FLATNET_IPC_E_UNKNOWN_KEY);
  EXPECT_EQ(t->size(), 0u);
}

TEST(PeerTable, CapacityFullIsClearError) {
  constexpr uint32_t kCap = 500;
  auto t = make_table("cap", kCap);
  ASSERT_TRUE(t);
  for (uint32_t i = 1; i <= kCap; ++i) ASSERT_EQ(t->upsert(i, path_of(i, 0)), FLATNET_IPC_OK) << i;
  EXPECT_EQ(t->upsert(kCap + 1, path_of(kCap + 1, 0)), FLATNET_IPC_E_TABLE_FULL);
  EXPECT_EQ(t->upsert(7, path_of(7, 1)), FLATNET_IPC_OK) << "updating a known peer still works";
  EXPECT_EQ(t->remove(3), FLATNET_IPC_OK);
  EXPECT_EQ(t->upsert(kCap + 1, path_of(kCap + 1, 0)), FLATNET_IPC_OK);
  EXPECT_EQ(t->size(), kCap);
  // Churn well past pool + hash headroom: reclaim must keep up (no readers
  // registered, so every grace period is immediate).
  for (uint32_t r = 0; r < 20; ++r)
    for (uint32_t i = 1; i <= kCap; i += 3) {
      ASSERT_EQ(t->remove(i == 3 ? kCap + 1 : i), FLATNET_IPC_OK);
      ASSERT_EQ(t->upsert(i == 3 ? kCap + 1 : i, path_of(i, r)), FLATNET_IPC_OK);
    }
  EXPECT_EQ(t->size(), kCap);
  EXPECT_GT(t->memory_bytes(), size_t(kCap) * sizeof(PeerPath));
}

// Two reader threads look up, hold entries across a burst and re-check them
// before reporting quiescence, while the writer replaces and deletes the
// same keys. A recycled-too-early entry shows up as an inconsistent one.
// IPv6 paths are entries behind the hash's data word; IPv4 paths are the
// word itself, which must never mix one version's address with another's
// port.
void concurrent_readers(bool v4) {
  constexpr uint32_t kKeys = 256;
  auto t = make_table(v4 ? "conc4" : "conc6", kKeys, 2);  // small pool: recycling is frequent
  ASSERT_TRUE(t);
  auto path = [v4](uint64_t a, uint32_t v) { return v4 ? path4_of(a, v) : path_of(a, v); };
  for (uint32_t i = 1; i <= kKeys; ++i) ASSERT_EQ(t->upsert(i, path(i, 0)), FLATNET_IPC_OK);
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> bad{0}, hits{0}, bursts{0};
  auto reader = [&](unsigned id) {
    t->reader_register(id);
    uint64_t seed = id + 1;
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!stop && std::chrono::steady_clock::now() < until) {
      const PeerPath* held[32];
      uint64_t keys[32], words[32];
      for (int i = 0; i < 32; ++i) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        keys[i] = 1 + (seed >> 33) % kKeys;
      }
      t->lookup_burst(keys, 32, words);
      for (int i = 0; i < 32; ++i) {
        held[i] = nullptr;
        if (!words[i]) continue;
        if (PathWord::inline4(words[i])) {
          // An inline IPv4 path: the word itself is the whole answer.
          ++hits;
          if (!v4 || !consistent4(keys[i], words[i])) ++bad;
          continue;
        }
        held[i] = PathWord::entry(words[i]);
        if (v4 || held[i]->addr != keys[i] || !consistent(*held[i])) ++bad;
      }
      for (int spin = 0; spin < 200; ++spin) asm volatile("" ::: "memory");
      for (int i = 0; i < 32; ++i)  // still intact at the end of the burst?
        if (held[i]) {
          ++hits;
          if (held[i]->addr != keys[i] || !consistent(*held[i])) ++bad;
        }
      t->quiescent(id);
      ++bursts;
    }
    t->reader_unregister(id);
  };
  std::thread r0(reader, 0), r1(reader, 1);
  uint64_t ops = 0, failures = 0;
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  for (uint32_t v = 1; ops < 2'000'000 && failures == 0 && std::chrono::steady_clock::now() < until;
       ++v) {
    for (uint32_t i = 1; i <= kKeys; ++i, ++ops) {
      const bool del = (i + v) % 5 == 0;
      auto op = [&] { return del ? t->remove(i) : t->upsert(i, path(i, v)); };
      flatnet_ipc_status st = op();
      // BUSY is allowed (grace periods pending): retry after reclaim.
      for (int tries = 0; st == FLATNET_IPC_E_BUSY && tries < 100000; ++tries) {
        std::this_thread::yield();
        t->reclaim();
        st = op();
      }
      if (st == FLATNET_IPC_E_NOT_FOUND) continue;
      failures += st != FLATNET_IPC_OK;  // not ASSERT: the readers must be joined
    }
    t->reclaim();
  }
  stop = true;
  r0.join();
  r1.join();
  EXPECT_EQ(failures, 0u);
  EXPECT_EQ(bad.load(), 0u);
  EXPECT_EQ(t->leaked(), 0u);
  EXPECT_GT(hits.load(), 0u);
  EXPECT_GT(bursts.load(), 0u);
  EXPECT_GT(ops, uint64_t(kKeys) * 4);
}

TEST(PeerTable, ConcurrentReadersUnderQsbr) { concurrent_readers(false); }
TEST(PeerTable, ConcurrentReadersInlineIpv4) { concurrent_readers(true); }

// An IPv4 path travels in the hash's data word: what the relay reads is
// what was upserted, for every field, and the writer's record (lookup,
// dump) is unchanged by the packing.
TEST(PeerTable, Ipv4PathInlineInWord) {
  auto t = make_table("inl", 16);
  ASSERT_TRUE(t);
  flatnet_ipc_phys_addr p{};
  p.family = FLATNET_IPC_AF_INET;
  const uint8_t ip[4] = {198, 51, 100, 254};
  std::memcpy(p.ip, ip, 4);
  p.udp_port = 65535;
  p.port_id = 7;
  ASSERT_EQ(t->upsert(0xfe12345678, p), FLATNET_IPC_OK);
  flatnet_ipc_phys_addr p6 = path_of(0x0102030405, 3);
  ASSERT_EQ(t->upsert(0x0102030405, p6), FLATNET_IPC_OK);
  flatnet_ipc_phys_addr big = p;  // a DPDK port id that does not fit the word
  big.port_id = 300;
  ASSERT_EQ(t->upsert(0x0a0b0c0d0e, big), FLATNET_IPC_OK);
  uint64_t keys[4] = {0xfe12345678, 0x0102030405, 0x0a0b0c0d0e, 0x0909090909}, w[4];
  EXPECT_EQ(t->lookup_burst(keys, 4, w), 0b0111u);
  ASSERT_TRUE(PathWord::inline4(w[0]));
  uint8_t got[4];
  uint16_t port, pid;
  PathWord::unpack4(w[0], got, &port, &pid);
  EXPECT_EQ(memcmp(got, ip, 4), 0);
  EXPECT_EQ(port, 65535);
  EXPECT_EQ(pid, 7);
  ASSERT_FALSE(PathWord::inline4(w[1]));
  EXPECT_EQ(memcmp(&PathWord::entry(w[1])->path, &p6, sizeof p6), 0);
  ASSERT_FALSE(PathWord::inline4(w[2])) << "port 300 needs the entry";
  EXPECT_EQ(PathWord::entry(w[2])->path.port_id, 300);
  EXPECT_EQ(w[3], 0u);
  const PeerPath* e = t->lookup(0xfe12345678);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(memcmp(&e->path, &p, sizeof p), 0);
  // Replaced, then removed: the word follows.
  p.udp_port = 9993;
  ASSERT_EQ(t->upsert(0xfe12345678, p), FLATNET_IPC_OK);
  t->lookup_burst(keys, 1, w);
  PathWord::unpack4(w[0], got, &port, &pid);
  EXPECT_EQ(port, 9993);
  ASSERT_EQ(t->remove(0xfe12345678), FLATNET_IPC_OK);
  EXPECT_EQ(t->lookup_burst(keys, 1, w), 0u);
  EXPECT_EQ(t->lookup(0xfe12345678), nullptr);
  unsigned dumped = 0;
  uint32_t cursor = 0;
  while (t->dump(&cursor, 8, [&](const PeerPath& x) {
    EXPECT_TRUE(x.addr == 0x0102030405 || x.addr == 0x0a0b0c0d0e);
    ++dumped;
    return true;
  })) {
  }
  EXPECT_EQ(dumped, 2u);
}

TEST(PeerTable, ConfigRelayAndSibling) {
  auto t = make_table("cfg", 10);
  ASSERT_TRUE(t);
  EXPECT_FALSE(t->relay_enabled()) << "a leaf relays nothing until told";
  EXPECT_EQ(t->set_config(FLATNET_IPC_CFG_RELAY, 1, {}), FLATNET_IPC_OK);
  EXPECT_TRUE(t->relay_enabled());
  EXPECT_EQ(t->set_config(FLATNET_IPC_CFG_RELAY, 2, {}), FLATNET_IPC_E_BAD_ARGUMENT);
  EXPECT_EQ(t->sibling(), nullptr);
  flatnet_ipc_phys_addr sib = path_of(99, 9);
  EXPECT_EQ(t->set_config(FLATNET_IPC_CFG_SIBLING_ROOT, 1, sib), FLATNET_IPC_OK);
  ASSERT_NE(t->sibling(), nullptr);
  EXPECT_EQ(memcmp(&t->sibling()->path, &sib, sizeof sib), 0);
  EXPECT_EQ(t->set_config(FLATNET_IPC_CFG_SIBLING_ROOT, 0, {}), FLATNET_IPC_OK);
  EXPECT_EQ(t->sibling(), nullptr);
}

TEST(PeerTable, ExpireByLastReceive) {
  auto t = make_table("age", 100);
  ASSERT_TRUE(t);
  for (uint32_t i = 1; i <= 50; ++i) ASSERT_EQ(t->upsert(i, path_of(i, 0)), FLATNET_IPC_OK);
  ASSERT_EQ(t->set_config(FLATNET_IPC_CFG_PATH_MAX_IDLE_MS, 1000, {}), FLATNET_IPC_OK);
  uint64_t later = mono_ns() + 5'000'000'000ull;
  for (uint32_t i = 1; i <= 50; i += 2) PeerTable::touch(t->lookup(i), later - 10'000'000);
  std::vector<uint64_t> gone;
  uint32_t cursor = 0;
  unsigned n = 0;
  for (int round = 0; round < 10; ++round)
    n += t->expire(later, &cursor, 16, [&](const PeerPath& e) {
      gone.push_back(e.addr);
      return true;
    });
  EXPECT_EQ(n, 25u);
  EXPECT_EQ(gone.size(), 25u);
  for (uint64_t a : gone) EXPECT_EQ(a % 2, 0u);
  EXPECT_EQ(t->size(), 25u);
  EXPECT_NE(t->lookup(1), nullptr);
  EXPECT_EQ(t->lookup(2), nullptr);
}

// An expiry whose report cannot be queued leaves the entry in the table and
// the cursor on it: the next sweep reports and deletes it.
TEST(PeerTable, ExpireKeepsEntryWhenNotReported) {
  auto t = make_table("age-refuse", 100);
  ASSERT_TRUE(t);
  for (uint32_t i = 1; i <= 10; ++i) ASSERT_EQ(t->upsert(i, path_of(i, 0)), FLATNET_IPC_OK);
  ASSERT_EQ(t->set_config(FLATNET_IPC_CFG_PATH_MAX_IDLE_MS, 1000, {}), FLATNET_IPC_OK);
  const uint64_t later = mono_ns() + 5'000'000'000ull;
  uint32_t cursor = 0;
  unsigned calls = 0;
  EXPECT_EQ(t->expire(later, &cursor, 16, [&](const PeerPath&) {
    ++calls;
    return false;
  }), 0u);
  EXPECT_EQ(calls, 1u);  // the sweep stopped at the first refusal
  EXPECT_EQ(t->size(), 10u);
  std::vector<uint64_t> gone;
  for (int round = 0; round < 4; ++round) {
    t->reclaim();
    t->expire(later, &cursor, 16, [&](const PeerPath& e) {
      gone.push_back(e.addr);
      return true;
    });
  }
  EXPECT_EQ(gone.size(), 10u);
  EXPECT_EQ(t->size(), 0u);
}

// Commands in through the command ring, dump out through the event ring
// (smaller than the table, so the dump streams over several polls).
TEST(PeerTable, ResyncDumpEqualsContents) {
  auto t = make_table("dump", 5000);
  ASSERT_TRUE(t);
  ipc::ServiceParams sp;
  sp.instance = test::ipc_unique_instance("dump");
  sp.event_ring = 256;
  sp.command_ring = 1024;
  std::string err;
  auto svc = ipc::Service::create(sp, &err);
  ASSERT_TRUE(svc) << err;
  auto c = ipc::Client::attach(svc->path(), &err);
  ASSERT_TRUE(c) << err;
  auto none = [](const ipc::Inject&) { return true; };
  std::map<uint64_t, flatnet_ipc_phys_addr> want;
  uint32_t sent = 0, errors = 0;
  for (uint64_t a = 0x2000000000; a < 0x2000000000 + 3000; ++a) {
    flatnet_ipc_command cmd = ipc::make_upsert(a, path_of(a, 1), uint32_t(a));
    while (!c->send_command(cmd)) {
      svc->poll_main(*t, mono_ns(), none);
      c->poll_events([&](const flatnet_ipc_event& e) { errors += e.type == FLATNET_IPC_EV_RESULT; });
    }
    want[a] = path_of(a, 1);
    ++sent;
    if (a % 3 == 0) {  // some deletes, some updates
      while (!c->send_command(ipc::make_delete(a))) svc->poll_main(*t, mono_ns(), none);
      want.erase(a);
    } else if (a % 7 == 0) {
      while (!c->send_command(ipc::make_upsert(a, path_of(a, 2)))) svc->poll_main(*t, mono_ns(), none);
      want[a] = path_of(a, 2);
    }
  }
  for (int i = 0; i < 10000 && !c->send_command(ipc::make_config(FLATNET_IPC_CFG_RELAY, 1, 42)); ++i)
    svc->poll_main(*t, mono_ns(), none);
  bool queued = false;
  for (int i = 0; i < 10000 && !(queued = c->resync(43)); ++i) svc->poll_main(*t, mono_ns(), none);
  ASSERT_TRUE(queued);
  std::map<uint64_t, flatnet_ipc_phys_addr> got;
  bool ended = false, relay_seen = false, acked = false;
  uint32_t begin_count = 0, end_count = 0;
  for (int i = 0; i < 100000 && !ended; ++i) {
    svc->poll_main(*t, mono_ns(), none);
    c->poll_events([&](const flatnet_ipc_event& e) {
      switch (e.type) {
        case FLATNET_IPC_EV_RESULT:
          if (e.seq == 42 && e.status == FLATNET_IPC_OK) acked = true;
          else ++errors;
          break;
        case FLATNET_IPC_EV_RESYNC_BEGIN: begin_count = e.count; break;
        case FLATNET_IPC_EV_CONFIG:
          if (e.status == FLATNET_IPC_CFG_RELAY) relay_seen = e.addr == 1;
          break;
        case FLATNET_IPC_EV_PEER: got[e.addr] = e.path; break;
        case FLATNET_IPC_EV_RESYNC_END: end_count = e.count; ended = true; break;
      }
    });
  }
  ASSERT_TRUE(ended);
  EXPECT_EQ(errors, 0u);
  EXPECT_TRUE(acked);
  EXPECT_TRUE(relay_seen);
  EXPECT_EQ(begin_count, want.size());
  EXPECT_EQ(end_count, want.size());
  ASSERT_EQ(got.size(), want.size());
  for (auto& [a, p] : want) {
    auto it = got.find(a);
    ASSERT_NE(it, got.end()) << std::hex << a;
    EXPECT_EQ(memcmp(&it->second, &p, sizeof p), 0) << std::hex << a;
  }
  EXPECT_EQ(t->size(), want.size());
}

// The table being full comes back to the control as a RESULT error.
TEST(PeerTable, FullReportedToControl) {
  auto t = make_table("fullc", 10);
  ASSERT_TRUE(t);
  ipc::ServiceParams sp;
  sp.instance = test::ipc_unique_instance("fullc");
  std::string err;
  auto svc = ipc::Service::create(sp, &err);
  ASSERT_TRUE(svc) << err;
  auto c = ipc::Client::attach(svc->path(), &err);
  ASSERT_TRUE(c) << err;
  for (uint64_t a = 1; a <= 12; ++a) ASSERT_TRUE(c->send_command(ipc::make_upsert(a, path_of(a, 0), uint32_t(a))));
  std::vector<flatnet_ipc_event> res;
  for (int i = 0; i < 10; ++i) {
    svc->poll_main(*t, mono_ns(), [](const ipc::Inject&) { return true; });
    c->poll_events([&](const flatnet_ipc_event& e) { res.push_back(e); });
  }
  ASSERT_EQ(res.size(), 2u);
  EXPECT_EQ(res[0].seq, 11u);
  EXPECT_EQ(res[0].status, uint32_t(FLATNET_IPC_E_TABLE_FULL));
  EXPECT_EQ(res[1].seq, 12u);
  EXPECT_EQ(svc->header().main_counters.commands_failed, 2u);
  EXPECT_EQ(svc->header().main_counters.commands_ok, 10u);
}

// The main lcore may poll a port itself and so be a registered reader of
// the table it writes. A big delete must then not wait for its own
// quiescent state (that would never come): it answers BUSY, and completes
// once the caller has reported quiescence between rounds.
TEST(PeerTable, WriterThatIsAlsoAReaderNeverBlocks) {
  constexpr uint32_t kCap = 4000;  // headroom for retirements: 256
  auto t = make_table("selfrd", kCap, 1);
  ASSERT_TRUE(t);
  t->reader_register(0);
  for (uint32_t i = 1; i <= kCap; ++i) ASSERT_EQ(t->upsert(i, path_of(i, 0)), FLATNET_IPC_OK);
  flatnet_ipc_command clr{};
  clr.type = FLATNET_IPC_CMD_PEER_CLEAR;
  unsigned rounds = 0;
  flatnet_ipc_status st = FLATNET_IPC_E_BUSY;
  for (; st == FLATNET_IPC_E_BUSY && rounds < 1000; ++rounds) {
    st = t->apply(clr);    // one main-loop round of command work
    t->quiescent(0);       // the same thread's poll burst ends
  }
  EXPECT_EQ(st, FLATNET_IPC_OK);
  EXPECT_GT(rounds, 5u) << "4000 deletes cannot fit one round's headroom";
  EXPECT_EQ(t->size(), 0u);
  EXPECT_EQ(t->leaked(), 0u);
  // Updates of a full table behave the same way.
  for (uint32_t i = 1; i <= kCap; ++i) ASSERT_EQ(t->upsert(i, path_of(i, 0)), FLATNET_IPC_OK);
  uint32_t busy = 0;
  for (uint32_t i = 1; i <= kCap; ++i) {
    flatnet_ipc_status s2 = t->upsert(i, path_of(i, 1));
    for (int k = 0; s2 == FLATNET_IPC_E_BUSY && k < 10; ++k) {
      ++busy;
      t->quiescent(0);
      s2 = t->upsert(i, path_of(i, 1));
    }
    ASSERT_EQ(s2, FLATNET_IPC_OK) << i;
  }
  EXPECT_GT(busy, 0u);
  t->reader_unregister(0);
}
