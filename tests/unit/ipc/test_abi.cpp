// The ABI is its sizes and offsets: abi.h static_asserts them; here the C
// and C++ compilers must agree, and a real segment must match the header.
#include <cstddef>

#include <gtest/gtest.h>

#include "dataplane/ipc/abi.h"

extern "C" const size_t flatnet_c_sizes[];
extern "C" const size_t flatnet_c_sizes_n;

TEST(IpcAbi, CAndCppAgree) {
  const size_t cpp[] = {
      sizeof(flatnet_ipc_header),
      sizeof(flatnet_ipc_command),
      sizeof(flatnet_ipc_event),
      sizeof(flatnet_ipc_slot_meta),
      sizeof(flatnet_ipc_phys_addr),
      offsetof(flatnet_ipc_header, channels),
      offsetof(flatnet_ipc_header, channel_counters),
      offsetof(flatnet_ipc_header, instance),
      offsetof(flatnet_ipc_command, value),
      offsetof(flatnet_ipc_event, path),
      offsetof(flatnet_ipc_header, stats),
      sizeof(flatnet_ipc_stats_desc),
      sizeof(flatnet_ipc_stats_head),
      sizeof(flatnet_ipc_ring_state),
      offsetof(flatnet_ipc_ring_state, cons),
      offsetof(flatnet_ipc_header, channel_ready),
      offsetof(flatnet_ipc_header, channel_trust),
      offsetof(flatnet_ipc_header, controls_dropped),
  };
  ASSERT_EQ(flatnet_c_sizes_n, sizeof cpp / sizeof cpp[0]);
  for (size_t i = 0; i < flatnet_c_sizes_n; ++i) EXPECT_EQ(flatnet_c_sizes[i], cpp[i]) << "item " << i;
}

TEST(IpcAbi, FixedSizes) {
  EXPECT_EQ(sizeof(flatnet_ipc_header), 4096u);
  EXPECT_EQ(sizeof(flatnet_ipc_command), 64u);
  EXPECT_EQ(sizeof(flatnet_ipc_event), 64u);
  EXPECT_EQ(sizeof(flatnet_ipc_slot_meta), 64u);
  EXPECT_EQ(offsetof(flatnet_ipc_header, generation), 24u);
  EXPECT_EQ(offsetof(flatnet_ipc_header, control), 128u);
  EXPECT_EQ(offsetof(flatnet_ipc_header, channels), 256u);
  // Every cache line written by a different party starts on a line.
  EXPECT_EQ(offsetof(flatnet_ipc_header, control) % 64, 0u);
  EXPECT_EQ(offsetof(flatnet_ipc_header, main_counters) % 64, 0u);
  EXPECT_EQ(offsetof(flatnet_ipc_header, channel_counters) % 64, 0u);
  EXPECT_EQ(sizeof(flatnet_ipc_channel_counters), 64u);
  EXPECT_EQ(offsetof(flatnet_ipc_header, stats), 2368u);
  EXPECT_EQ(offsetof(flatnet_ipc_header, stats) % 64, 0u);
  EXPECT_EQ(sizeof(flatnet_ipc_stats_head), 64u);
  // A ring's two counters on lines of their own (one writer each).
  EXPECT_EQ(sizeof(flatnet_ipc_ring_state), 128u);
  EXPECT_EQ(offsetof(flatnet_ipc_ring_state, cons), 64u);
  EXPECT_EQ(offsetof(flatnet_ipc_header, channel_ready) % 64, 0u);
  EXPECT_EQ(offsetof(flatnet_ipc_header, channel_trust) % 64, 0u);
  EXPECT_EQ(offsetof(flatnet_ipc_header, controls_dropped) % 64, 0u);
}

TEST(IpcAbi, MagicSpellsName) {
  uint64_t m = FLATNET_IPC_MAGIC;
  char s[9] = {};
  for (int i = 0; i < 8; ++i) s[i] = char(m >> (8 * i));
  EXPECT_STREQ(s, "FLNETIPC");
}
