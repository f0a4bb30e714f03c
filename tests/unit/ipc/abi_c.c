/* abi.h must stay plain C: compile it as C and export what the C compiler
 * thinks the sizes and offsets are, for test_abi.cpp to compare. */
#include "dataplane/ipc/abi.h"

const size_t flatnet_c_sizes[] = {
  sizeof(struct flatnet_ipc_header),
  sizeof(struct flatnet_ipc_command),
  sizeof(struct flatnet_ipc_event),
  sizeof(struct flatnet_ipc_slot_meta),
  sizeof(struct flatnet_ipc_phys_addr),
  offsetof(struct flatnet_ipc_header, channels),
  offsetof(struct flatnet_ipc_header, channel_counters),
  offsetof(struct flatnet_ipc_header, instance),
  offsetof(struct flatnet_ipc_command, value),
  offsetof(struct flatnet_ipc_event, path),
  offsetof(struct flatnet_ipc_header, stats),
  sizeof(struct flatnet_ipc_stats_desc),
  sizeof(struct flatnet_ipc_stats_head),
  sizeof(struct flatnet_ipc_ring_state),
  offsetof(struct flatnet_ipc_ring_state, cons),
  offsetof(struct flatnet_ipc_header, channel_ready),
  offsetof(struct flatnet_ipc_header, channel_trust),
  offsetof(struct flatnet_ipc_header, controls_dropped),
};
const size_t flatnet_c_sizes_n = sizeof flatnet_c_sizes / sizeof flatnet_c_sizes[0];
