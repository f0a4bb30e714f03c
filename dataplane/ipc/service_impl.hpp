// Internal to dataplane/ipc: the data plane's private view of its segment,
// shared by service.cpp (creation, producers) and service_main.cpp (the
// main-lcore poll).
#pragma once

#include <string>
#include <vector>

#include "dataplane/ipc/segment.hpp"
#include "dataplane/ipc/service.hpp"

namespace flatnet::ipc {

struct Service::Impl {
  uint8_t* base = nullptr;
  size_t size = 0;
  unsigned n_channels = 0;
  uint32_t slot_data = 0;
  rte_ring* punt[FLATNET_IPC_MAX_CHANNELS] = {};
  rte_ring* punt_free[FLATNET_IPC_MAX_CHANNELS] = {};
  rte_ring* event[FLATNET_IPC_MAX_CHANNELS] = {};
  rte_ring* command = nullptr;
  rte_ring* inject = nullptr;
  rte_ring* inject_free = nullptr;
  // main lcore state
  uint64_t next_presence_ns = 0;
  uint32_t seen_epoch = 0;
  uint32_t seen_pid = 0;
  bool dumping = false;
  uint32_t dump_cursor = 0;
  uint32_t dump_seq = 0;
  uint32_t dump_count = 0;
  bool have_pending = false;  // a command the table answered BUSY for
  flatnet_ipc_command pending{};
  uint32_t expire_cursor = 0;
  uint64_t next_expire_ns = 0;
  // counters block (main lcore)
  uint8_t* stats_block = nullptr;
  flatnet_ipc_stats_desc stats_desc{};
  std::vector<std::string> stats_names;  // caller's, then kIpcStatNames
  size_t stats_user = 0;                 // how many of them are the caller's
  std::vector<uint64_t> stats_rows;      // stats_names.size() x columns
  uint64_t stats_next_ns = 0;
  bool stats_defined = false;
};


}  // namespace flatnet::ipc
