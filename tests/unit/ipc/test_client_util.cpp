// Physical-address text and command builders used by control and tools.
#include <gtest/gtest.h>

#include "dataplane/ipc/client.hpp"
#include "dataplane/ipc/phys_addr.hpp"
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

// The one place the ABI's address meets the C++ IP:port type: both families
// round-trip with the DPDK port beside them, a null address has no ABI form
// and an ABI address of no known family becomes null.
TEST(IpcPhysAddr, ConvertsToAndFromInetAddress) {
  for (const char* text : {"192.0.2.7:9993", "[2001:db8::1]:65535"}) {
    flatnet_ipc_phys_addr a{};
    ASSERT_TRUE(parse_phys_addr(text, &a)) << text;
    a.port_id = 3;
    flatnet::wire::InetAddress ip = to_inet(a);
    EXPECT_FALSE(ip.is_null()) << text;
    EXPECT_EQ(uint8_t(ip.family), a.family) << text;
    EXPECT_EQ(ip.port, a.udp_port) << text;
    flatnet_ipc_phys_addr back{};
    ASSERT_TRUE(to_phys(ip, 3, &back)) << text;
    EXPECT_TRUE(same_phys_addr(a, back)) << text;
    EXPECT_EQ(format_phys_addr(back), text);
  }
  flatnet::wire::InetAddress ip4;  // fields only: this test does not link flatnet_wire
  ip4.family = flatnet::wire::InetAddress::Family::kV4;
  ip4.ip = {10, 1, 2, 3};
  ip4.port = 20000;
  flatnet_ipc_phys_addr p{};
  ASSERT_TRUE(to_phys(ip4, 0, &p));
  EXPECT_EQ(format_phys_addr(p), "10.1.2.3:20000");
  EXPECT_TRUE(same_phys_addr(p, phys_v4(0x0a010203, 20000)));
  EXPECT_FALSE(same_phys_addr(p, phys_v4(0x0a010203, 20000, 1))) << "the DPDK port is part of a path";
  EXPECT_FALSE(same_phys_addr(p, phys_v4(0x0a010204, 20000)));

  flatnet_ipc_phys_addr untouched = p;
  EXPECT_FALSE(to_phys(flatnet::wire::InetAddress{}, 0, &untouched));
  EXPECT_TRUE(same_phys_addr(untouched, p)) << "a failed conversion writes nothing";
  flatnet_ipc_phys_addr odd{};
  odd.family = 5;
  odd.udp_port = 1;
  EXPECT_TRUE(to_inet(odd).is_null());
  EXPECT_TRUE(to_inet(flatnet_ipc_phys_addr{}).is_null());
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
