// The runtime's bridge from fast-path hooks to the IPC service, through a
// real Service (in memory) and Client: the events arrive with the fields
// abi.h gives them, and the punt ring's fill is the service's own count.
#include <gtest/gtest.h>

#include <vector>

#include "dataplane/ipc/client.hpp"
#include "dataplane/ipc/clock.hpp"
#include "dataplane/ipc/phys_addr.hpp"
#include "dataplane/ipc/segment.hpp"
#include "dataplane/ipc/service.hpp"
#include "dataplane/runtime/control_bridge.hpp"
#include "dataplane/tables/peer_table.hpp"

using namespace flatnet;

TEST(Bridge, EventsCarryTheDocumentedFields) {
  std::string err;
  ipc::ServiceParams sp;
  sp.instance = "bridge-test";
  sp.in_memory = true;
  sp.punt_slots = 16;
  sp.inject_slots = 16;
  sp.event_ring = 64;
  sp.command_ring = 64;
  auto svc = ipc::Service::create(sp, &err);
  ASSERT_TRUE(svc) << err;
  tables::TableParams tp;
  tp.name = "bridge";
  tp.capacity = 64;
  tp.max_readers = 1;
  auto table = tables::PeerTable::create(tp, &err);
  ASSERT_TRUE(table) << err;
  runtime::ControlBridge b;
  b.service = svc.get();
  b.table = table.get();
  fastpath::ControlHooks hooks;
  runtime::bind_hooks(b, &hooks);

  auto c = ipc::Client::attach_memory(svc->memory(), svc->memory_size(), &err);
  ASSERT_TRUE(c) << err;
  svc->track_control(ipc::mono_ns());
  ASSERT_TRUE(svc->control_present());

  const uint8_t ip[4] = {192, 0, 2, 9};
  fastpath::PuntInfo from{fastpath::IpAddr::v4(ip), 5000, 1, 0};
  ASSERT_TRUE(hooks.unknown_dest(hooks.ctx, 0, 0x0c0c0c0c0cull, 0x0a0a0a0a0aull, from));
  ASSERT_TRUE(hooks.relaying_pair(hooks.ctx, 0, 0x0a0a0a0a0aull, 0x0b0b0b0b0bull, 50));
  std::vector<flatnet_ipc_event> evs;
  c->poll_events([&](const flatnet_ipc_event& e) { evs.push_back(e); });
  ASSERT_EQ(evs.size(), 2u);
  EXPECT_EQ(evs[0].type, FLATNET_IPC_EV_UNKNOWN_DEST);
  EXPECT_EQ(evs[0].addr, 0x0c0c0c0c0cull) << "addr = VL1 destination";
  EXPECT_EQ(evs[0].addr2, 0x0a0a0a0a0aull) << "addr2 = VL1 source";
  EXPECT_EQ(ipc::format_phys_addr(evs[0].path), "192.0.2.9:5000") << "path = physical source";
  EXPECT_EQ(evs[0].path.port_id, 1);
  EXPECT_NE(evs[0].time_ns, 0u);
  EXPECT_EQ(evs[1].type, FLATNET_IPC_EV_RELAY_PAIR);
  EXPECT_EQ(evs[1].addr, 0x0a0a0a0a0aull);
  EXPECT_EQ(evs[1].addr2, 0x0b0b0b0b0bull);
  EXPECT_EQ(evs[1].count, 50u) << "count = packets since the last report";

  // punt_fill is the service's private count of slots with control.
  unsigned used = 99, slots = 0;
  ASSERT_TRUE(hooks.punt_fill(hooks.ctx, 0, &used, &slots));
  EXPECT_EQ(used, 0u);
  EXPECT_EQ(slots, 16u);
  uint8_t pkt[32] = {};
  ASSERT_TRUE(svc->punt(0, pkt, sizeof pkt, ipc::PuntMeta{}));
  ASSERT_TRUE(svc->punt(0, pkt, sizeof pkt, ipc::PuntMeta{}));
  ASSERT_TRUE(hooks.punt_fill(hooks.ctx, 0, &used, &slots));
  EXPECT_EQ(used, 2u);
  EXPECT_EQ(c->poll_punts([](auto&, auto, auto) {}), 2u);
  ASSERT_TRUE(hooks.punt_fill(hooks.ctx, 0, &used, &slots));
  EXPECT_EQ(used, 0u) << "slots handed back count as free again";
}
