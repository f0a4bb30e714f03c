// dataplane/tables/vl2_epoch.cpp: the VL2 tables' mark and sweep. What a
// command sets carries the current epoch; a SWEEP deletes every entry of
// another epoch -- members, keys (wiped after their grace period), MAC
// routes, subscribers, credentials, rules, networks -- a bounded number per
// round, and leaves what the new epoch set (and what the data plane
// learned itself) alone.
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include <gtest/gtest.h>

#include "dataplane/ipc/vl2_commands.hpp"
#include "dataplane/tables/vl2_rules.hpp"
#include "dataplane/tables/vl2_tables.hpp"

namespace flatnet::tables::vl2 {
namespace {

constexpr uint64_t kNw = 0x8056c2e21c000001ull;
constexpr uint64_t kA = 0x1111111111ull, kB = 0x2222222222ull;
namespace cmd = ::flatnet::ipc::vl2;

struct Sweep : testing::Test {
  rte_rcu_qsbr* qs = nullptr;
  std::unique_ptr<Vl2Tables> t;
  void SetUp() override {
    static int n = 0;
    qs = static_cast<rte_rcu_qsbr*>(rte_zmalloc(nullptr, rte_rcu_qsbr_get_memsize(4), 64));
    ASSERT_EQ(rte_rcu_qsbr_init(qs, 4), 0);
    Vl2Params p;
    p.name = "vs" + std::to_string(n++);
    p.mac_capacity = 1024;
    p.member_capacity = 2048;
    std::string err;
    t = Vl2Tables::create(p, qs, &err);
    ASSERT_TRUE(t) << err;
  }
  void TearDown() override {
    t.reset();
    rte_free(qs);
  }
  flatnet_ipc_status apply(flatnet_ipc_command c) {
    const flatnet_ipc_status st = t->apply(c);
    cmd::wipe_command(c);
    return st;
  }
  void ok(flatnet_ipc_command c) { ASSERT_EQ(apply(c), FLATNET_IPC_OK); }
  void ok(const std::vector<flatnet_ipc_command>& cs) {
    for (const auto& c : cs) ok(c);
  }
  void network() {
    cmd::NetworkSettings s;
    s.nwid = kNw;
    ok(cmd::network_set(s));
  }
  void member_and_key(uint64_t a, uint8_t k) {
    ok(cmd::member_set(kNw, a, FLATNET_IPC_VL2_MEMBER_COM_VALID));
    uint8_t key[FLATNET_IPC_VL2_KEY_SIZE];
    std::fill(key, key + sizeof key, k);
    ok(cmd::peer_key_set(a, key, 1));
  }
  // Applies SWEEP(epoch) as the service does: again while BUSY. Rounds.
  unsigned sweep(uint32_t epoch) {
    unsigned rounds = 1;
    flatnet_ipc_status st;
    while ((st = apply(cmd::sweep(epoch))) == FLATNET_IPC_E_BUSY && rounds < 1000) ++rounds;
    EXPECT_EQ(st, FLATNET_IPC_OK);
    return rounds;
  }
};

// A restart with another desired set: epoch 1 (the previous control) set A,
// B, their keys, MAC routes, a subscription, credentials and rules; epoch 2
// sets A again (and a new C) but not B, the rules nor the credentials.
// After the sweep the tables hold exactly epoch 2's set; B's key is deleted
// and, once readers passed a quiescent state, wiped. A learned LAN MAC is
// the data plane's own: never swept.
TEST_F(Sweep, LeavesExactlyWhatTheNewEpochSet) {
  constexpr uint64_t kC = 0x3333333333ull;
  rte_rcu_qsbr_thread_register(qs, 0);
  rte_rcu_qsbr_thread_online(qs, 0);
  ok(cmd::epoch_begin(1));
  network();
  member_and_key(kA, 0xaa);
  member_and_key(kB, 0xbb);
  ok(cmd::mac_set(kNw, 0x32000000000aull, kA));
  ok(cmd::mac_set(kNw, 0x32000000000bull, kB));
  ok(cmd::subscribe(kNw, 0xffffffffffffull, 0x0a000001u, kB));
  const std::vector<uint8_t> accept = {0x06, 0x00};  // ACTION_ACCEPT
  ok(cmd::rules(kNw, accept, false));
  cmd::Credentials cr;
  cr.tags.push_back({1, 2});
  ok(cmd::creds(kNw, kB, cr));
  const unsigned slot = t->network(kNw)->slot;
  ASSERT_NE(t->network(kNw)->rules, nullptr);
  LearnEvent e;
  e.kind = LearnEvent::kLanMac;
  e.slot = uint8_t(slot);
  e.mac = 0x0200000000c1ull;
  ASSERT_TRUE(t->post(e));
  ASSERT_EQ(t->drain_learn(8), 1u);
  ASSERT_EQ(t->macs(), 3u);

  ok(cmd::epoch_begin(2));
  network();
  member_and_key(kA, 0xaa);
  member_and_key(kC, 0xcc);
  ok(cmd::mac_set(kNw, 0x32000000000aull, kA));
  // Nothing deleted yet: B still bridges until the sweep.
  EXPECT_NE(t->member(slot, kB), 0u);
  EXPECT_NE(t->key(kB), nullptr);
  EXPECT_EQ(t->epoch(), 2u);
  EXPECT_EQ(apply(cmd::sweep(1)), FLATNET_IPC_E_BAD_ARGUMENT);  // not the current epoch
  sweep(2);

  EXPECT_NE(t->member(slot, kA), 0u);
  EXPECT_NE(t->member(slot, kC), 0u);
  EXPECT_EQ(t->member(slot, kB), 0u);
  EXPECT_EQ(t->members(), 2u);
  EXPECT_NE(t->key(kA), nullptr);
  EXPECT_NE(t->key(kC), nullptr);
  EXPECT_EQ(t->key(kB), nullptr);
  EXPECT_EQ(t->keys(), 2u);
  EXPECT_NE(t->mac(slot, 0x32000000000aull), 0u);
  EXPECT_EQ(t->mac(slot, 0x32000000000bull), 0u);
  EXPECT_NE(t->mac(slot, 0x0200000000c1ull), 0u);  // learned: the data plane's
  EXPECT_EQ(t->subscribers(slot, 0xffffffffffffull, 0x0a000001u), nullptr);
  EXPECT_EQ(t->creds(slot, kB), nullptr);
  ASSERT_NE(t->network(kNw), nullptr);
  EXPECT_EQ(t->network(kNw)->rules, nullptr);  // epoch 2 set none
  EXPECT_EQ(t->counters().keys_swept, 1u);
  // member B, key B, MAC B, subscription, credentials, rules
  EXPECT_EQ(t->counters().swept, 6u);
  EXPECT_EQ(t->stamped(), 6u);  // network, A, C, their keys, A's route
  // B's key and A's replaced one are wiped once the reader moved on.
  EXPECT_EQ(t->counters().keys_wiped, 0u);
  rte_rcu_qsbr_quiescent(qs, 0);
  t->reclaim();
  EXPECT_EQ(t->counters().keys_wiped, 2u);  // B's, and A's replaced by epoch 2's
  rte_rcu_qsbr_thread_offline(qs, 0);
  rte_rcu_qsbr_thread_unregister(qs, 0);
}

// A big table is swept over several rounds, each deleting at most
// kSweepPerRound; a network the new epoch did not set goes last, with
// what the data plane learned on it.
TEST_F(Sweep, BoundedPerRoundNetworkLast) {
  ok(cmd::epoch_begin(7));
  network();
  constexpr unsigned kN = 1000;
  for (unsigned i = 1; i <= kN; ++i) ok(cmd::member_set(kNw, i, FLATNET_IPC_VL2_MEMBER_COM_VALID));
  ASSERT_EQ(t->members(), kN);
  ok(cmd::epoch_begin(8));
  unsigned rounds = 1;
  const uint32_t before = t->members();
  EXPECT_EQ(apply(cmd::sweep(8)), FLATNET_IPC_E_BUSY);
  EXPECT_EQ(before - t->members(), Vl2Tables::kSweepPerRound);  // one round's worth
  EXPECT_NE(t->network(kNw), nullptr);                           // members first
  rounds += sweep(8);
  EXPECT_GE(rounds, kN / Vl2Tables::kSweepPerRound + 1);
  EXPECT_EQ(t->members(), 0u);
  EXPECT_EQ(t->network(kNw), nullptr);
  EXPECT_EQ(t->stamped(), 0u);
  EXPECT_EQ(t->counters().swept, kN + 1);
  EXPECT_EQ(sweep(8), 1u);  // nothing left: done at once
}

// Deletes unstamp; a set that failed stamps nothing; entries the data
// plane installed itself (no command) are never swept.
TEST_F(Sweep, OnlyWhatControlSetIsStamped) {
  NetworkSettings s;
  s.nwid = kNw + 1;
  ASSERT_EQ(t->network_set(s), FLATNET_IPC_OK);  // the config's default network
  ok(cmd::epoch_begin(3));
  EXPECT_EQ(apply(cmd::member_set(kNw, kA, 0)), FLATNET_IPC_E_NOT_FOUND);  // no such network
  network();
  member_and_key(kA, 1);
  EXPECT_EQ(t->stamped(), 3u);
  ok(cmd::member_delete(kNw, kA));
  ok(cmd::peer_key_delete(kA));
  EXPECT_EQ(t->stamped(), 1u);
  ok(cmd::epoch_begin(4));
  sweep(4);
  EXPECT_EQ(t->network(kNw), nullptr);
  EXPECT_NE(t->network(kNw + 1), nullptr);
  EXPECT_EQ(apply(cmd::epoch_begin(0)), FLATNET_IPC_E_BAD_ARGUMENT);
}

}  // namespace
}  // namespace flatnet::tables::vl2
