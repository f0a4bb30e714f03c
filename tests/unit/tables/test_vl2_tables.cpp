// dataplane/tables/vl2_tables: the gateway's VL2 tables (members, MACs,
// key sets, subscribers, the learn ring) with one writer and QSBR readers.
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "dataplane/tables/vl2_tables.hpp"

namespace flatnet::tables::vl2 {
namespace {

constexpr uint64_t kNw = 0x8056c2e21c000001ull;

struct Fixture : testing::Test {
  rte_rcu_qsbr* qs = nullptr;
  std::unique_ptr<Vl2Tables> t;
  void SetUp() override {
    static int n = 0;
    size_t sz = rte_rcu_qsbr_get_memsize(4);
    qs = static_cast<rte_rcu_qsbr*>(rte_zmalloc(nullptr, sz, 64));
    ASSERT_EQ(rte_rcu_qsbr_init(qs, 4), 0);
    Vl2Params p;
    p.name = "vt" + std::to_string(n++);
    p.mac_capacity = 1024;
    p.learn_ring_size = 64;
    p.mac_age_s = 100;
    std::string err;
    t = Vl2Tables::create(p, qs, &err);
    ASSERT_TRUE(t) << err;
    NetworkSettings s;
    s.nwid = kNw;
    s.mac_capacity = 8;
    ASSERT_EQ(t->network_set(s), FLATNET_IPC_OK);
  }
  void TearDown() override {
    t.reset();
    rte_free(qs);
  }
  unsigned slot() { return t->network(kNw)->slot; }
};

crypto::SharedKey key_of(uint8_t b) {
  crypto::SharedKey k;
  for (size_t i = 0; i < k.size(); ++i) k.data()[i] = uint8_t(b + i);
  return k;
}

TEST_F(Fixture, NetworksAndMembers) {
  EXPECT_EQ(t->network(kNw + 1), nullptr);
  EXPECT_EQ(t->member_set(kNw + 1, 0x1122334455, MemberWord::kPresent), FLATNET_IPC_E_NOT_FOUND);
  EXPECT_EQ(t->member_set(kNw, 0, MemberWord::kPresent), FLATNET_IPC_E_BAD_ARGUMENT);
  EXPECT_EQ(t->member_set(kNw, 1ull << 40, MemberWord::kPresent), FLATNET_IPC_E_BAD_ARGUMENT);
  EXPECT_EQ(t->member(slot(), 0x1122334455), 0u);
  ASSERT_EQ(t->member_set(kNw, 0x1122334455, MemberWord::kPresent | MemberWord::kComValid), FLATNET_IPC_OK);
  uint64_t w = t->member(slot(), 0x1122334455);
  EXPECT_TRUE(MemberWord::admitted(w, true));
  ASSERT_EQ(t->member_set(kNw, 0x1122334455, MemberWord::kPresent), FLATNET_IPC_OK);  // COM expired
  w = t->member(slot(), 0x1122334455);
  EXPECT_FALSE(MemberWord::admitted(w, true));
  EXPECT_TRUE(MemberWord::admitted(w, false));
  // Bridges are listed in the network's view, ascending.
  ASSERT_EQ(t->member_set(kNw, 0x99, MemberWord::kPresent | MemberWord::kBridge), FLATNET_IPC_OK);
  ASSERT_EQ(t->member_set(kNw, 0x42, MemberWord::kPresent | MemberWord::kBridge), FLATNET_IPC_OK);
  const NetworkView* v = t->network(kNw);
  ASSERT_EQ(v->n_bridges, 2);
  EXPECT_EQ(v->bridges[0], 0x42u);
  EXPECT_EQ(v->bridges[1], 0x99u);
  ASSERT_EQ(t->member_remove(kNw, 0x42), FLATNET_IPC_OK);
  EXPECT_EQ(t->network(kNw)->n_bridges, 1);
  EXPECT_EQ(t->member_remove(kNw, 0x42), FLATNET_IPC_E_NOT_FOUND);
  EXPECT_EQ(t->members(), 2u);
}

// The burst readers the fast path uses give what the one-at-a-time ones do;
// a member that is not a bridge leaves the bridge list alone.
TEST_F(Fixture, BurstLookupsMatchSingleLookups) {
  ASSERT_EQ(t->member_set(kNw, 0x42, MemberWord::kPresent | MemberWord::kBridge), FLATNET_IPC_OK);
  const NetworkView* before = t->network(kNw);
  for (uint64_t a = 0x100; a < 0x140; a += 2) {
    ASSERT_EQ(t->member_set(kNw, a, MemberWord::kPresent | MemberWord::kComValid), FLATNET_IPC_OK);
    ASSERT_EQ(t->key_set(a, key_of(uint8_t(a))), FLATNET_IPC_OK);
  }
  EXPECT_EQ(t->network(kNw), before);  // no new view published for non-bridges
  ASSERT_EQ(t->member_remove(kNw, 0x102), FLATNET_IPC_OK);
  EXPECT_EQ(t->network(kNw), before);
  uint64_t addrs[64];
  uint8_t slots[64];
  for (unsigned i = 0; i < 64; ++i) {
    addrs[i] = 0x100 + i;  // every other one present
    slots[i] = uint8_t(slot());
  }
  slots[5] = uint8_t(slot() + 1);  // another network: not a member there
  const PeerKey* keys[64];
  uint64_t words[64];
  t->key_burst(addrs, 64, keys);
  t->member_burst(slots, addrs, 64, words);
  for (unsigned i = 0; i < 64; ++i) {
    EXPECT_EQ(keys[i], t->key(addrs[i])) << i;
    EXPECT_EQ(words[i], i == 5 ? 0u : t->member(slot(), addrs[i])) << i;
  }
  EXPECT_NE(keys[0], nullptr);
  EXPECT_EQ(keys[1], nullptr);
  EXPECT_EQ(words[2], 0u);  // removed
  t->key_burst(addrs, 0, keys);  // nothing asked, nothing read
}

TEST_F(Fixture, KeysReplacedAndWipedAfterGracePeriod) {
  rte_rcu_qsbr_thread_register(qs, 0);
  rte_rcu_qsbr_thread_online(qs, 0);
  ASSERT_EQ(t->key_set(0x1122334455, key_of(1)), FLATNET_IPC_OK);
  const PeerKey* k1 = t->key(0x1122334455);
  ASSERT_NE(k1, nullptr);
  EXPECT_EQ(k1->keys.key48()[0], 1);
  ASSERT_EQ(t->key_set(0x1122334455, key_of(7)), FLATNET_IPC_OK);
  // The reader still holds k1: it must not be freed yet.
  t->reclaim();
  EXPECT_EQ(t->counters().keys_wiped, 0u);
  EXPECT_EQ(k1->keys.key48()[0], 1);
  EXPECT_EQ(t->key(0x1122334455)->keys.key48()[0], 7);
  rte_rcu_qsbr_quiescent(qs, 0);
  t->reclaim();
  EXPECT_EQ(t->counters().keys_wiped, 1u);
  ASSERT_EQ(t->key_remove(0x1122334455), FLATNET_IPC_OK);
  EXPECT_EQ(t->key(0x1122334455), nullptr);
  EXPECT_EQ(t->key_remove(0x1122334455), FLATNET_IPC_E_NOT_FOUND);
  rte_rcu_qsbr_quiescent(qs, 0);
  t->reclaim();
  EXPECT_EQ(t->counters().keys_wiped, 2u);
  EXPECT_EQ(t->keys(), 0u);
  rte_rcu_qsbr_thread_offline(qs, 0);
  rte_rcu_qsbr_thread_unregister(qs, 0);
}

TEST_F(Fixture, LanMacsLearnedMovesCountedFloodBounded) {
  const unsigned s = slot();
  LearnEvent e;
  e.kind = LearnEvent::kLanMac;
  e.slot = uint8_t(s);
  e.mac = 0x020000000001ull;
  ASSERT_TRUE(t->post(e));
  EXPECT_EQ(t->drain_learn(100), 1u);
  uint64_t w = t->mac(s, e.mac);
  EXPECT_EQ(MacWord::kind(w), MacWord::kLan);
  EXPECT_EQ(t->counters().macs_learned, 1u);
  // The same MAC behind a bridge member: a move.
  ASSERT_EQ(t->member_set(kNw, 0x77, MemberWord::kPresent | MemberWord::kBridge), FLATNET_IPC_OK);
  LearnEvent b = e;
  b.kind = LearnEvent::kBridgeRoute;
  b.addr = 0x77;
  // Within the loop window the fresh LAN entry stands (a LAN bridged
  // twice, vl2_macs.cpp); a host that really moved is followed after it.
  ASSERT_TRUE(t->post(b));
  t->drain_learn(100);
  EXPECT_EQ(MacWord::kind(t->mac(s, e.mac)), MacWord::kLan);
  EXPECT_EQ(t->counters().loop_routes, 1u);
  Vl2Tables::advance_clock(kLanLoopWindowS);
  ASSERT_TRUE(t->post(b));
  // From a member that is not a bridge: refused.
  LearnEvent nb = b;
  nb.mac = 0x020000000099ull;
  nb.addr = 0x78;
  ASSERT_TRUE(t->post(nb));
  t->drain_learn(100);
  w = t->mac(s, e.mac);
  EXPECT_EQ(MacWord::kind(w), MacWord::kRemote);
  EXPECT_EQ(MacWord::addr(w), 0x77u);
  EXPECT_EQ(t->counters().mac_moves, 1u);
  EXPECT_EQ(t->mac(s, nb.mac), 0u);
  EXPECT_EQ(t->counters().learn_stale, 1u);
  // A control route is pinned: a flood does not push it out.
  ASSERT_EQ(t->mac_set(kNw, 0x02aa00000001ull, 0x77), FLATNET_IPC_OK);
  EXPECT_EQ(t->mac_set(kNw, 0x03aa00000001ull, 0x77), FLATNET_IPC_E_BAD_ARGUMENT);  // multicast
  // Flood: 40 new LAN MACs into a network bounded at 8.
  for (uint64_t i = 0; i < 40; ++i) {
    LearnEvent f = e;
    f.mac = 0x060000000000ull + i;
    ASSERT_TRUE(t->post(f));
    if (i % 16 == 15) t->drain_learn(100);
  }
  t->drain_learn(100);
  EXPECT_EQ(t->macs_of(kNw), 8u);
  EXPECT_NE(t->mac(s, 0x02aa00000001ull), 0u);          // pinned survives
  EXPECT_NE(t->mac(s, 0x060000000000ull + 39), 0u);     // newest in
  EXPECT_EQ(t->mac(s, 0x060000000000ull + 0), 0u);      // oldest out
  EXPECT_GE(t->counters().mac_evicted, 33u);
}

TEST_F(Fixture, LearnRingFullIsCountedNotBlocking) {
  LearnEvent e;
  e.kind = LearnEvent::kLanMac;
  e.slot = uint8_t(slot());
  unsigned ok = 0;
  for (unsigned i = 0; i < 200; ++i) {
    e.mac = 0x020000000000ull + i;
    ok += t->post(e);
  }
  EXPECT_LT(ok, 200u);
  EXPECT_EQ(t->drain_learn(1000), ok);
  EXPECT_EQ(t->counters().learn_ring_full, 200u - ok);
}

TEST_F(Fixture, MacsAgeOldestFirstPinnedStay) {
  const unsigned s = slot();
  ASSERT_EQ(t->mac_set(kNw, 0x02aa00000001ull, 0x77), FLATNET_IPC_OK);
  LearnEvent e;
  e.kind = LearnEvent::kLanMac;
  e.slot = uint8_t(s);
  e.mac = 0x020000000001ull;
  t->post(e);
  t->drain_learn(10);
  const uint32_t now = Vl2Tables::now_s();
  EXPECT_EQ(t->age_macs(now + 50, 100), 0u);
  EXPECT_EQ(t->age_macs(now + 101, 100), 1u);
  EXPECT_EQ(t->mac(s, e.mac), 0u);
  EXPECT_NE(t->mac(s, 0x02aa00000001ull), 0u);
  EXPECT_EQ(t->counters().mac_aged, 1u);
}

TEST_F(Fixture, SubscribersSortedBoundedRemoved) {
  const unsigned s = slot();
  const uint64_t bc = 0xffffffffffffull;
  EXPECT_EQ(t->subscribers(s, bc, 0x0a000001), nullptr);
  for (uint64_t a : {0x30ull, 0x10ull, 0x20ull, 0x10ull})
    ASSERT_EQ(t->subscriber_add(kNw, bc, 0x0a000001, a), FLATNET_IPC_OK);
  const SubscriberList* l = t->subscribers(s, bc, 0x0a000001);
  ASSERT_NE(l, nullptr);
  ASSERT_EQ(l->n, 3u);
  EXPECT_EQ(l->addr[0], 0x10u);
  EXPECT_EQ(l->addr[2], 0x30u);
  EXPECT_EQ(t->subscribers(s, bc, 0), nullptr);  // another ADI, another group
  EXPECT_EQ(t->subscriber_remove(kNw, bc, 0x0a000001, 0x99), FLATNET_IPC_E_NOT_FOUND);
  for (uint64_t a : {0x30ull, 0x10ull, 0x20ull})
    ASSERT_EQ(t->subscriber_remove(kNw, bc, 0x0a000001, a), FLATNET_IPC_OK);
  EXPECT_EQ(t->subscribers(s, bc, 0x0a000001), nullptr);
}

TEST_F(Fixture, NetworkRemoveTakesItsEntries) {
  const unsigned s = slot();
  ASSERT_EQ(t->member_set(kNw, 0x77, MemberWord::kPresent), FLATNET_IPC_OK);
  ASSERT_EQ(t->mac_set(kNw, 0x02aa00000001ull, 0x77), FLATNET_IPC_OK);
  ASSERT_EQ(t->subscriber_add(kNw, 0x333300000001ull, 0, 0x77), FLATNET_IPC_OK);
  ASSERT_EQ(t->network_remove(kNw), FLATNET_IPC_OK);
  EXPECT_EQ(t->network(kNw), nullptr);
  EXPECT_EQ(t->member(s, 0x77), 0u);
  EXPECT_EQ(t->mac(s, 0x02aa00000001ull), 0u);
  EXPECT_EQ(t->subscribers(s, 0x333300000001ull, 0), nullptr);
  EXPECT_EQ(t->members(), 0u);
  EXPECT_EQ(t->macs(), 0u);
  EXPECT_EQ(t->network_remove(kNw), FLATNET_IPC_E_NOT_FOUND);
  // A new network gets another slot (not reused at once).
  NetworkSettings n2;
  n2.nwid = kNw + 5;
  ASSERT_EQ(t->network_set(n2), FLATNET_IPC_OK);
  EXPECT_NE(t->network(kNw + 5)->slot, s);
}

// A reader thread looks keys and subscriber lists up under QSBR while the
// writer replaces them: every object it sees is complete (its bytes match
// the version it names) and none is freed under it (ASan/valgrind would
// see it; here the content check catches reuse).
TEST_F(Fixture, ConcurrentReadersSeeWholeObjects) {
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> bad{0}, seen{0};
  rte_rcu_qsbr_thread_register(qs, 1);
  std::thread r([&] {
    rte_rcu_qsbr_thread_online(qs, 1);
    const unsigned s = slot();
    while (!stop.load(std::memory_order_relaxed)) {
      for (int i = 0; i < 64; ++i) {
        if (auto* k = t->key(0x55)) {
          const uint8_t* b = k->keys.key48();
          if (b[47] != uint8_t(b[0] + 47)) ++bad;
          ++seen;
        }
        if (auto* l = t->subscribers(s, 0xffffffffffffull, 0)) {
          for (uint32_t j = 1; j < l->n; ++j)
            if (l->addr[j] <= l->addr[j - 1]) ++bad;
        }
      }
      rte_rcu_qsbr_quiescent(qs, 1);
    }
    rte_rcu_qsbr_thread_offline(qs, 1);
  });
  for (unsigned i = 0; i < 3000; ++i) {
    while (t->key_set(0x55, key_of(uint8_t(i))) == FLATNET_IPC_E_BUSY) t->reclaim();
    while (t->subscriber_add(kNw, 0xffffffffffffull, 0, 1 + i % 200) == FLATNET_IPC_E_BUSY) t->reclaim();
    if (i % 3 == 0) t->subscriber_remove(kNw, 0xffffffffffffull, 0, 1 + (i * 7) % 200);
    t->reclaim();
  }
  stop = true;
  r.join();
  rte_rcu_qsbr_thread_unregister(qs, 1);
  EXPECT_EQ(bad.load(), 0u);
  EXPECT_GT(t->counters().keys_wiped, 0u);
}

}  // namespace
}  // namespace flatnet::tables::vl2
