// Physical-address text and command builders used by control and tools.
#include <gtest/gtest.h>

#include "dataplane/ipc/client.hpp"
#include "dataplane/ipc/synthetic.hpp"

using namespace flatnet::ipc;

TEST(IpcClientUtil, ParsesAndFormatsPaths) {
  flatnet_ipc_phys_addr a{};
  ASSERT_TRUE(parse_phys_addr("192.0.2.7:9993", &a));
  EXPECT_EQ(a.family, FLATNET_IPC_AF_INET);
  EXPECT_EQ(a.udp_port, 9993);
  EXPECT_EQ(a.ip[0], 192);
  EXPECT_EQ(a.ip[3], 7);
  EXPECT_EQ(format_phys_addr(a), "192.0.2.7:9993");
  ASSERT_TRUE(parse_phys_addr("[2001:db8::1]:65535", &a));
  EXPECT_EQ(a.family, FLATNET_IPC_AF_INET6);
  EXPECT_EQ(a.udp_port, 65535);
  EXPECT_EQ(a.ip[0], 0x20);
  EXPECT_EQ(a.ip[15], 1);
  EXPECT_EQ(format_phys_addr(a), "[2001:db8::1]:65535");
  for (const char* bad : {"", "1.2.3.4", "1.2.3.4:", "1.2.3.4:0", "1.2.3.4:65536", "1.2.3:9",
                          "1.2.3.4:99x", "[2001:db8::1]", "[2001:db8::1]9993", "2001:db8::1:9993",
                          "[1.2.3.4]:9", "host:9993", "1.2.3.4:-1"}) {
    flatnet_ipc_phys_addr b{};
    EXPECT_FALSE(parse_phys_addr(bad, &b)) << bad;
  }
  flatnet_ipc_phys_addr none{};
  EXPECT_EQ(format_phys_addr(none), "none");
}

TEST(IpcClientUtil, CommandBuilders) {
  flatnet_ipc_phys_addr p{};
  ASSERT_TRUE(parse_phys_addr("10.0.0.1:1", &p));
  flatnet_ipc_command u = make_upsert(0x89e92ceee5, p, 7, FLATNET_IPC_CMD_F_ACK);
  EXPECT_EQ(u.type, FLATNET_IPC_CMD_PEER_UPSERT);
  EXPECT_EQ(u.addr, 0x89e92ceee5u);
  EXPECT_EQ(u.seq, 7u);
  EXPECT_EQ(u.flags, FLATNET_IPC_CMD_F_ACK);
  EXPECT_EQ(memcmp(&u.path, &p, sizeof p), 0);
  EXPECT_EQ(u.reserved, 0u);
  flatnet_ipc_command d = make_delete(5, 8);
  EXPECT_EQ(d.type, FLATNET_IPC_CMD_PEER_DELETE);
  EXPECT_EQ(d.flags, 0);
  flatnet_ipc_command c = make_config(FLATNET_IPC_CFG_RELAY, 1);
  EXPECT_EQ(c.type, FLATNET_IPC_CMD_SET_CONFIG);
  EXPECT_EQ(c.key, uint32_t(FLATNET_IPC_CFG_RELAY));
  EXPECT_EQ(c.value, 1u);
  EXPECT_EQ(c.flags, FLATNET_IPC_CMD_F_ACK);
}

// The synthetic mapping is shared with flatnet-pktgen; pin it.
TEST(IpcClientUtil, SyntheticPeersStable) {
  SyntheticPeer p0 = synthetic_peer(1, 0), p9 = synthetic_peer(1, 99999);
  EXPECT_EQ(p0.ip, 0x0a800001u);
  EXPECT_EQ(p0.port, 20000);
  EXPECT_EQ(p9.ip, 0x0a800000u + 100000);
  EXPECT_EQ(p9.port, 20000 + 99999 % 40000);
  EXPECT_EQ(p0.address, synthetic_mix(0x100000001b3ull) & 0xffffffffffull);
  for (uint32_t i = 0; i < 100000; ++i) {
    uint64_t a = synthetic_peer(7, i).address;
    ASSERT_NE(a, 0u);
    ASSERT_NE(a >> 32, 0xffu);
    ASSERT_EQ(a >> 40, 0u);
  }
  flatnet_ipc_phys_addr path = synthetic_path(p0, 3);
  EXPECT_EQ(format_phys_addr(path), "10.128.0.1:20000");
  EXPECT_EQ(path.port_id, 3);
}
