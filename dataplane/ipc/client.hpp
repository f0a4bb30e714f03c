// The control side of the shared-memory boundary: an ORDINARY process (no
// rte_eal_init, no hugepages) attaches to a running data plane's segment.
// Used by control/ and tools/ (flatnet-tableload). docs/ipc-abi.md has the
// layout and the restart rules.
//
// Only one control may be attached at a time (an flock on the segment file;
// it goes away with the process, so a crashed control never blocks the next).
// Each attach starts a new session: the client puts its ring ends at 0 and
// registers; the data plane takes every slot back, puts its ends at 0 and
// marks each channel ready for this control (docs/ipc-abi.md "Sessions").
// Until a channel is ready the client reads nothing from it; commands may be
// queued at once.
//
// The client refuses a segment that is not a regular file of our own user
// with mode 0600 (opened without following links), or that no running data
// plane holds (its lock on the file), besides checking the header. It keeps
// the layout it validated and clamps every counter and index it reads.
//
// Not thread-safe: one thread uses one Client.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "dataplane/ipc/abi.h"

namespace flatnet::ipc {

// The default segment path for an instance name.
std::string segment_path(const std::string& instance);

// One consistent copy of the segment's counters block (docs/ipc-abi.md "The
// counters block"): names as the data plane wrote them ([a-z0-9_], unique)
// and, per name, the total and one value per channel (workers 0..n-2, the
// main lcore last).
struct CounterSnapshot {
  uint64_t seq = 0;          // publish sequence; 0 = the data plane has not published yet
  uint64_t updated_ns = 0;   // CLOCK_MONOTONIC of that publish (same clock in every process)
  unsigned channels = 0;     // per-channel columns after the total
  std::vector<std::string> names;
  std::vector<uint64_t> values;  // names.size() rows of (1 + channels): total, channel 0..

  size_t size() const { return names.size(); }
  uint64_t total(size_t i) const { return values[i * (1 + channels)]; }
  uint64_t channel(size_t i, unsigned c) const { return values[i * (1 + channels) + 1 + c]; }
  // (name, total) for every entry, in the data plane's order.
  std::vector<std::pair<std::string, uint64_t>> totals() const;
};

class Client {
 public:
  // Maps the segment at `path`, checks magic, ABI version, sizes and state.
  // nullptr + *err (one sentence naming the problem, e.g. "ABI version 2 of
  // the data plane differs from this control's 1") on failure.
  static std::unique_ptr<Client> attach(const std::string& path, std::string* err);
  // Tests: attach to a segment a Service made in memory (ServiceParams::
  // in_memory), in this process. The same header checks; no file, no lock.
  static std::unique_ptr<Client> attach_memory(uint8_t* base, size_t size, std::string* err);
  ~Client();  // detach()
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  void detach();  // clears control_pid; idempotent

  const flatnet_ipc_header& header() const { return *hdr_; }
  uint64_t generation() const { return generation_; }
  // False once the data plane that made this segment is gone: it stopped,
  // its lock on the file is gone, or the path now names a newer segment.
  // Then detach and attach again (tables come back with resync()).
  bool dataplane_alive() const;

  // ---- control -> data plane -------------------------------------------
  // false = command ring full (retry after polling events).
  bool send_command(const flatnet_ipc_command& c);
  // Send up to n commands; returns how many were queued (0 also when the
  // data plane's counter of the ring is impossible: see corrupt()).
  unsigned send_commands(const flatnet_ipc_command* c, unsigned n);
  // Ask for a dump: RESYNC_BEGIN, CONFIG..., PEER..., RESYNC_END events.
  bool resync(uint32_t seq);
  // Copy a packet (a UDP payload) into an inject slot for the data plane to
  // send to dst. false = no free slot or too big.
  bool inject(const uint8_t* pkt, uint32_t len, const flatnet_ipc_phys_addr& dst);

  // ---- data plane -> control -------------------------------------------
  // Calls fn for up to max punted packets over all channels; the slot is
  // returned to the data plane when fn returns. Returns the number seen.
  unsigned poll_punts(const std::function<void(const flatnet_ipc_slot_meta&, const uint8_t*,
                                               uint32_t)>& fn,
                      unsigned max = 64);
  unsigned poll_events(const std::function<void(const flatnet_ipc_event&)>& fn, unsigned max = 256);

  // A consistent copy of the counters block. false + *err when the block
  // stays mid-write past a bounded number of retries or holds garbage
  // (counts, names); true with an empty snapshot before the first publish.
  bool read_counters(CounterSnapshot* out, std::string* err) const;

  uint32_t max_packet() const;  // slot data size
  // True once the data plane has set up this session on every channel's
  // rings it has used (the main channel at least): results can arrive.
  bool session_ready() const;
  // Ring counters or slot indices of the data plane found impossible (this
  // client then stops using that ring): a corrupt segment.
  uint64_t corrupt() const { return corrupt_; }
  // True when this session is over though the data plane runs: its
  // accepted_epoch has not named ours for kSessionGraceNs, or we saw a
  // corrupt ring (corrupt() > 0). The caller re-attaches (a new epoch).
  bool session_lost() const;
  static constexpr uint64_t kSessionGraceNs = 1'000'000'000;  // 1 s

 private:
  Client();
  static std::unique_ptr<Client> setup(std::unique_ptr<Client> c, const flatnet_ipc_header& h,
                                       std::string* err);
  void heartbeat();
  bool ready(unsigned channel) const;

  struct Rings;
  std::unique_ptr<Rings> rings_;
  flatnet_ipc_header* hdr_ = nullptr;  // live: state, control line, counters
  flatnet_ipc_header layout_{};        // validated copy: every offset and size
  uint8_t* base_ = nullptr;
  size_t size_ = 0;
  bool mapped_ = false;                // munmap on detach (not for attach_memory)
  int fd_ = -1;
  uint64_t generation_ = 0;
  uint64_t ino_ = 0;
  uint32_t epoch_ = 0;                 // this session's attach_epoch
  std::string path_;
  unsigned next_channel_ = 0;  // round-robin start for fairness
  uint64_t corrupt_ = 0;
  mutable uint64_t lost_since_ns_ = 0;  // session_lost: when accepted_epoch stopped naming us
};

// A read-only look at a segment for tools and monitors: the same header
// checks as Client::attach, but no flock, no control registration and no
// recovery, so it works beside an attached control and changes nothing.
class Observer {
 public:
  static std::unique_ptr<Observer> open(const std::string& path, std::string* err);
  ~Observer();
  Observer(const Observer&) = delete;
  Observer& operator=(const Observer&) = delete;

  // The live header (counters change under you; offsets come from a checked copy).
  const flatnet_ipc_header& header() const { return *hdr_; }
  bool dataplane_alive() const;
  bool read_counters(CounterSnapshot* out, std::string* err) const;

 private:
  Observer() = default;
  const flatnet_ipc_header* hdr_ = nullptr;
  flatnet_ipc_header layout_{};
  const uint8_t* base_ = nullptr;
  size_t size_ = 0;
  int fd_ = -1;  // kept open to ask whether the data plane still holds its lock
};

// Command builders.
flatnet_ipc_command make_upsert(uint64_t addr, const flatnet_ipc_phys_addr& path, uint32_t seq = 0,
                                uint16_t flags = 0);
flatnet_ipc_command make_delete(uint64_t addr, uint32_t seq = 0, uint16_t flags = 0);
flatnet_ipc_command make_config(uint32_t key, uint64_t value, uint32_t seq = 0,
                                uint16_t flags = FLATNET_IPC_CMD_F_ACK);
// Physical addresses (text, InetAddress) are in phys_addr.hpp.

}  // namespace flatnet::ipc
