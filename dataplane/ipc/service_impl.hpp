// Internal to dataplane/ipc: the data plane's private view of its segment,
// shared by service.cpp (creation, producers) and service_main.cpp (the
// main-lcore poll). Everything the data plane needs to find its way around
// the segment is here, in process memory; nothing is read back from the
// segment except the peer's ring counters (clamped), the slot indices and
// lengths control wrote (bounded), and the control line (a hint).
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "dataplane/ipc/segment.hpp"
#include "dataplane/ipc/service.hpp"

namespace flatnet::ipc {

// One channel's producer-side state, touched only by the channel's thread
// (worker c, or the main lcore for the last channel) except `corrupt`.
struct alignas(64) ChannelState {
  seg::RingWriter punt;
  seg::RingWriter event;
  seg::RingReader punt_free;
  uint64_t slots_offset = 0;
  uint32_t slot_count = 0;
  std::vector<uint32_t> free;  // slot indices this side may fill (a stack)
  std::vector<uint8_t> held;   // 1 = handed to control (queued or held there)
  uint32_t held_n = 0;
  uint64_t session = 0;        // session word the rings are set up for (0: none yet)
  bool trusted = false;        // false after this channel saw control corrupt a ring
  // The session word in which this channel found a ring counter impossible.
  // Written by the channel's thread (release), read by the main lcore
  // (acquire) to drop that control.
  std::atomic<uint64_t> corrupt{0};
};

struct Service::Impl {
  seg::View view;
  flatnet_ipc_header layout{};  // what we wrote: geometry and the fixed header fields
  bool heap = false;            // tests: a heap buffer, no file
  int fd = -1;                  // keeps the data plane's lock on the file
  unsigned n_channels = 0;
  uint32_t slot_size = 0;
  uint32_t slot_data = 0;
  ChannelState ch[FLATNET_IPC_MAX_CHANNELS];
  // main lcore: command/inject rings and the inject slots
  seg::RingReader command;
  seg::RingReader inject;
  seg::RingWriter inject_free;
  uint64_t inject_offset = 0;
  uint32_t inject_count = 0;
  std::vector<uint8_t> inject_held;  // 1 = handed to control
  // Sessions. The main lcore accepts a control and publishes the session
  // word (session number << 32 | the control's attach_epoch) with release;
  // each channel's thread loads it (acquire) before using its rings and sets
  // them up afresh when it changed. `present` (release / acquire) gates
  // whether producers queue at all; it is private, so a control cannot
  // switch it on.
  std::atomic<uint64_t> session{0};
  std::atomic<uint32_t> present{0};
  uint32_t session_n = 0;
  bool serving = false;  // main lcore: reading this session's command and inject rings
  uint32_t acc_pid = 0, acc_epoch = 0;  // the control the main lcore last looked at
  uint64_t next_presence_ns = 0;
  uint64_t next_accept_ns = 0;  // no new session before this (rate limit)
  // main lcore state
  bool dumping = false;
  uint32_t dump_cursor = 0;
  uint32_t dump_seq = 0;
  uint32_t dump_count = 0;
  bool have_pending = false;  // a command the table answered BUSY for, or a RESYNC waiting
  flatnet_ipc_command pending{};
  // RESULT events this session's control missed since the last barrier
  // RESULT, which reports (and resets) it in its count.
  uint32_t events_dropped = 0;
  uint32_t expire_cursor = 0;
  uint64_t next_expire_ns = 0;
  // counters block (main lcore)
  uint8_t* stats_block = nullptr;
  flatnet_ipc_stats_desc stats_desc{};
  std::vector<std::string> stats_names;  // caller's, then kIpcStatNames
  size_t stats_user = 0;                 // how many of them are the caller's
  std::vector<uint64_t> stats_rows;      // stats_names.size() x columns
  uint64_t stats_next_ns = 0;
  uint64_t stats_last_ns = 0;            // updated_ns of the last publish
  bool stats_defined = false;
};

}  // namespace flatnet::ipc
