// The VL2 commands end to end inside one process: control's builders
// (dataplane/ipc/vl2_commands) through a real segment's command ring to the
// service's main-lcore poll, applied to the VL2 tables. Checks each command's
// effect, the RESULT of a refused one, that a data plane without a lan port
// refuses them, and that no byte of a key is left in the segment.
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include <chrono>
#include <cstring>
#include <thread>

#include <gtest/gtest.h>

#include "dataplane/ipc/client.hpp"
#include "dataplane/ipc/clock.hpp"
#include "dataplane/ipc/service.hpp"
#include "dataplane/ipc/vl2_commands.hpp"
#include "dataplane/tables/peer_table.hpp"
#include "dataplane/tables/vl2_rules.hpp"
#include "dataplane/tables/vl2_tables.hpp"
#include "tests/unit/ipc/test_util.hpp"

namespace flatnet {
namespace {

constexpr uint64_t kNw = 0x8056c2e21c000001ull;

struct Gateway : testing::Test {
  std::unique_ptr<ipc::Service> svc;
  std::unique_ptr<tables::PeerTable> table;
  std::unique_ptr<tables::vl2::Vl2Tables> vl2;
  std::unique_ptr<ipc::Client> c;
  ipc::Service::CommandHook hook = [this](const flatnet_ipc_command& cmd) { return vl2->apply(cmd); };
  bool with_hook = true;
  std::vector<flatnet_ipc_event> results;

  void SetUp() override {
    static int n = 0;
    std::string err;
    ipc::ServiceParams sp;
    sp.instance = test::ipc_unique_instance("vl2cmd");
    sp.command_ring = 64;
    sp.event_ring = 64;
    sp.punt_slots = 16;
    sp.inject_slots = 16;
    sp.lan_network = kNw;
    sp.lan_port_id = 3;
    ASSERT_TRUE(svc = ipc::Service::create(sp, &err)) << err;
    tables::TableParams tp;
    tp.name = "vc" + std::to_string(n);
    tp.capacity = 64;
    tp.max_readers = 1;
    ASSERT_TRUE(table = tables::PeerTable::create(tp, &err)) << err;
    tables::vl2::Vl2Params vp;
    vp.name = "vc" + std::to_string(n++);
    ASSERT_TRUE(vl2 = tables::vl2::Vl2Tables::create(vp, table->qsbr(), &err)) << err;
    ASSERT_TRUE(c = ipc::Client::attach(svc->path(), &err)) << err;
    for (int i = 0; i < 100 && !c->session_ready(); ++i) {
      poll();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ASSERT_TRUE(c->session_ready());
  }
  void poll() {
    svc->poll_main(*table, ipc::mono_ns(), [](const ipc::Inject&) { return int(ipc::kInjectTaken); }, 64, 32,
                   with_hook ? &hook : nullptr);
    c->poll_events([&](const flatnet_ipc_event& e) {
      if (e.type == FLATNET_IPC_EV_RESULT) results.push_back(e);
    });
  }
  void send(flatnet_ipc_command cmd) {
    ASSERT_TRUE(c->send_command(cmd));
    ipc::vl2::wipe_command(cmd);
    poll();
  }
};

TEST_F(Gateway, CommandsReachTheTables) {
  EXPECT_EQ(c->header().lan_network, kNw);  // what control's /status shows
  EXPECT_EQ(c->header().lan_port_id, 3);
  ipc::vl2::NetworkSettings s;
  s.nwid = kNw;
  s.multicast_limit = 7;
  s.mtu = 1500;
  s.is_private = false;
  send(ipc::vl2::network_set(s));
  const auto* v = vl2->network(kNw);
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->s.multicast_limit, 7u);
  EXPECT_EQ(v->s.mtu, 1500);
  EXPECT_FALSE(v->s.is_private);
  send(ipc::vl2::member_set(kNw, 0x0a0a0a0a0a, FLATNET_IPC_VL2_MEMBER_BRIDGE));
  EXPECT_EQ(vl2->network(kNw)->n_bridges, 1);
  uint8_t key[48];
  for (int i = 0; i < 48; ++i) key[i] = uint8_t(0xc0 ^ i);
  send(ipc::vl2::peer_key_set(0x0a0a0a0a0a, key, 3));
  ASSERT_NE(vl2->key(0x0a0a0a0a0a), nullptr);
  EXPECT_EQ(vl2->key(0x0a0a0a0a0a)->suite, crypto::Suite::kAesGmacSiv);
  EXPECT_EQ(std::memcmp(vl2->key(0x0a0a0a0a0a)->keys.key48(), key, 48), 0);
  send(ipc::vl2::mac_set(kNw, 0x06aabbccdd02ull, 0x0a0a0a0a0a));
  EXPECT_EQ(tables::vl2::MacWord::addr(vl2->mac(v->slot, 0x06aabbccdd02ull)), 0x0a0a0a0a0aull);
  send(ipc::vl2::subscribe(kNw, 0xffffffffffffull, 0x0a010203, 0x0a0a0a0a0a));
  ASSERT_NE(vl2->subscribers(v->slot, 0xffffffffffffull, 0x0a010203), nullptr);
  EXPECT_TRUE(results.empty());  // no refusal, no ACK asked

  // Refusals come back as RESULTs: a suite that does not exist, an unknown network.
  send(ipc::vl2::peer_key_set(0x0b0b0b0b0b, key, 2, 41));
  send(ipc::vl2::member_set(kNw + 1, 0x0b0b0b0b0b, 0, 42));
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].seq, 41u);
  EXPECT_EQ(results[0].status, uint32_t(FLATNET_IPC_E_BAD_ARGUMENT));
  EXPECT_EQ(results[1].status, uint32_t(FLATNET_IPC_E_NOT_FOUND));

  // Rules in pieces: 80 bytes of ACCEPTs take three RULES_CHUNK commands.
  std::vector<uint8_t> accepts;
  for (int i = 0; i < 40; ++i) accepts.insert(accepts.end(), {0x01, 0x00});
  auto pieces = ipc::vl2::rules(kNw, accepts, true);
  ASSERT_EQ(pieces.size(), 3u);
  for (auto& p : pieces) send(p);
  ASSERT_NE(vl2->network(kNw)->rules, nullptr);
  EXPECT_EQ(vl2->network(kNw)->rules->n, 40u);
  EXPECT_TRUE(vl2->network(kNw)->rules->unsupported_match);
  EXPECT_EQ(results.size(), 2u);

  // Nothing of the key is left in the segment (ring entries are wiped).
  const uint8_t* mem = svc->memory();
  const size_t size = svc->memory_size();
  for (size_t i = 0; i + 16 <= size; ++i) ASSERT_NE(std::memcmp(mem + i, key, 16), 0) << "key bytes at " << i;

  send(ipc::vl2::unsubscribe(kNw, 0xffffffffffffull, 0x0a010203, 0x0a0a0a0a0a));
  send(ipc::vl2::mac_delete(kNw, 0x06aabbccdd02ull));
  send(ipc::vl2::peer_key_delete(0x0a0a0a0a0a));
  send(ipc::vl2::member_delete(kNw, 0x0a0a0a0a0a));
  send(ipc::vl2::network_delete(kNw));
  EXPECT_EQ(results.size(), 2u);
  EXPECT_EQ(vl2->network(kNw), nullptr);
  EXPECT_EQ(vl2->keys(), 0u);
}

// A SWEEP bigger than one round (vl2_epoch.cpp) through the ring: the
// service applies it again each round while the tables answer BUSY, the
// commands behind it wait, and its RESULT (F_ACK) comes once it finished.
TEST_F(Gateway, SweepRunsOverSeveralRoundsThenAnswers) {
  send(ipc::vl2::epoch_begin(5));
  ipc::vl2::NetworkSettings s;
  s.nwid = kNw;
  send(ipc::vl2::network_set(s));
  constexpr unsigned kN = 600;
  for (unsigned i = 1; i <= kN; ++i) send(ipc::vl2::member_set(kNw, i, FLATNET_IPC_VL2_MEMBER_COM_VALID));
  ASSERT_EQ(vl2->members(), kN);
  send(ipc::vl2::epoch_begin(6));
  send(ipc::vl2::network_set(s));
  send(ipc::vl2::sweep(6, 77, FLATNET_IPC_CMD_F_ACK));
  EXPECT_GT(vl2->members(), 0u);  // one round: not done yet
  EXPECT_TRUE(results.empty());
  send(ipc::vl2::member_set(kNw, 0x0c0c0c0c0c, FLATNET_IPC_VL2_MEMBER_COM_VALID));  // queued behind it
  for (int i = 0; i < 100 && results.empty(); ++i) poll();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].seq, 77u);
  EXPECT_EQ(results[0].status, uint32_t(FLATNET_IPC_OK));
  EXPECT_GT(vl2->counters().sweep_rounds, 1u);
  poll();
  EXPECT_EQ(vl2->members(), 1u);  // the one set after the sweep
  EXPECT_NE(vl2->network(kNw), nullptr);
  EXPECT_EQ(vl2->counters().swept, kN);
}

TEST_F(Gateway, RefusedWithoutALanPort) {
  with_hook = false;
  ipc::vl2::NetworkSettings s;
  s.nwid = kNw;
  send(ipc::vl2::network_set(s, 9));
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].status, uint32_t(FLATNET_IPC_E_UNKNOWN_COMMAND));
}

}  // namespace
}  // namespace flatnet
