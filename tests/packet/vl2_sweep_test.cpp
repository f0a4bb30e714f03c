// The VL2 tables' mark and sweep (dataplane/tables/vl2_epoch.cpp) seen by
// the fast path: a new epoch that sets member A again and not B bridges
// both until its SWEEP (no gap while control re-installs), then only A --
// B's frames have no key any more and go to control, never to the LAN --
// while what was not set by a command (the bridge) stays.
#include "dataplane/ipc/vl2_commands.hpp"
#include "tests/packet/vl2_fixture.hpp"

namespace flatnet::test {
namespace {

namespace cmd = ::flatnet::ipc::vl2;

struct Vl2SweepFixture : Vl2Fixture {
  void ok(flatnet_ipc_command c) {
    ASSERT_EQ(t->apply(c), FLATNET_IPC_OK);
    cmd::wipe_command(c);
  }
  // Member addr and its key, as control's reconciler sends them.
  void member(uint64_t addr, unsigned suite) {
    ok(cmd::member_set(kNw, addr, FLATNET_IPC_VL2_MEMBER_COM_VALID));
    crypto::SharedKey k = key_for(addr);
    ok(cmd::peer_key_set(addr, k.data(), suite));
  }
};

TEST_F(Vl2SweepFixture, KeptMemberBridgesThroughTheSweepSweptOneGoesToControl) {
  ok(cmd::epoch_begin(1));  // a previous control
  member(kA, 1);
  member(kB, 3);
  const std::vector<Bytes> both = {vl1(kA, 0x06, frame_payload(kIpData), crypto::Suite::kSalsa2012Poly1305),
                                   vl1(kB, 0x06, frame_payload(kIpData), crypto::Suite::kAesGmacSiv)};
  ASSERT_EQ(decap(both).lan.size(), 2u) << h.drop_reason();

  ok(cmd::epoch_begin(2));  // the new control: A wanted, B not
  member(kA, 1);
  auto o = decap(both);  // re-installed, not yet swept: both still bridge
  EXPECT_EQ(o.lan.size(), 2u) << h.drop_reason();

  flatnet_ipc_status st;
  unsigned rounds = 0;
  while ((st = t->apply(cmd::sweep(2))) == FLATNET_IPC_E_BUSY && ++rounds < 100) {
  }
  ASSERT_EQ(st, FLATNET_IPC_OK);
  EXPECT_EQ(t->counters().keys_swept, 1u);
  o = decap(both);
  ASSERT_EQ(o.lan.size(), 1u) << h.drop_reason();
  EXPECT_EQ(o.lan[0], eth_frame(v2::mac_from_address(kSelf, kNw), v2::mac_from_address(kA, kNw), 0x0800, kIpData));
  EXPECT_EQ(o.punted.size(), 1u);  // B: no key here any more
  // The bridge, set by the fixture and not by a command, was not swept.
  EXPECT_NE(t->member(t->network(kNw)->slot, kBridge), 0u);
  EXPECT_NE(t->key(kBridge), nullptr);
}

}  // namespace
}  // namespace flatnet::test
