// The data-plane side of the shared-memory boundary (docs/ipc-abi.md).
//
// Service::create() builds the segment: a 0600 file under /dev/shm (locked
// for as long as this data plane runs), header, our own SPSC rings and slot
// areas. Workers call punt()/event() on their own channel; the main lcore
// calls poll_main() which applies commands to the PeerTable, streams resync
// dumps, hands injected packets to the caller, and tracks whether a control
// is attached. When no trusted control is attached, punts and events are
// counted (no_control) and dropped instead of queued.
//
// Nothing in the segment is trusted: the geometry is kept privately, every
// counter and index control wrote is bounded, and a control that writes an
// impossible ring counter is dropped (counted) until the next one attaches.
//
// Threading: channel c's punt()/event() from one thread only (worker c, or
// the main lcore for main_channel()); everything else from the main lcore.
// Needs no EAL itself; the PeerTable it drives does.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/ipc/abi.h"

namespace flatnet::tables { class PeerTable; }

namespace flatnet::ipc {

struct ServiceParams {
  std::string instance = "default";  // names the segment
  std::string path;                  // default FLATNET_IPC_PATH_PREFIX + instance + ".ipc"
  uint32_t workers = 1;              // channels = workers + 1 (main lcore last)
  uint32_t punt_slots = 1024;        // per channel, power of two
  uint32_t inject_slots = 1024;      // power of two
  uint32_t event_ring = 4096;        // per channel, power of two
  uint32_t command_ring = 4096;      // power of two
  uint32_t slot_data = 2048;         // packet bytes per slot (multiple of 64)
  uint32_t stats_entries = 256;      // name slots of the counters block
  uint32_t stats_interval_ms = 100;  // counters block publish period (stats_due)
  uint16_t udp_port = 0;             // published in the header for control (0 = unknown)
  uint16_t secondary_port = 0;       // 0 = none
  uint64_t lan_network = 0;          // a gateway's bridged network (header, for /status); 0 = none
  uint16_t lan_port_id = 0;
  std::vector<std::pair<uint16_t, uint64_t>> lan_vlans;
  std::string host_iface;            // a gateway's host port interface (header; at most 15 characters)  // VLAN ID -> network (header; at most 16)
  // Tests: the segment in a heap buffer instead of a file (no path, no
  // lock), so AddressSanitizer watches every access the data plane makes;
  // a control reaches it with Client::attach_memory().
  bool in_memory = false;
};

// What a worker knows about a punted packet.
struct PuntMeta {
  flatnet_ipc_phys_addr src{};       // physical source
  flatnet_ipc_phys_addr local{};     // our address it arrived on (optional)
  uint64_t time_ns = 0;              // rx time, CLOCK_MONOTONIC
};

// An injected packet as the main lcore sees it: valid during the callback.
struct Inject {
  const uint8_t* data;
  uint32_t len;
  flatnet_ipc_phys_addr dst;
};

// What the inject sink did with a packet. Each outcome is counted once:
// taken = injects_ok, no room = injects_no_mbuf (both here), refused = by
// the sink's owner (the fast path's drop_inject_bad), not here.
enum InjectVerdict : int { kInjectNoRoom = 0, kInjectTaken = 1, kInjectRefused = 2 };

class Service {
 public:
  static std::unique_ptr<Service> create(const ServiceParams& p, std::string* err);
  ~Service();  // marks the segment STOPPED, unmaps and unlinks it
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  unsigned n_channels() const;
  unsigned main_channel() const { return n_channels() - 1; }
  const std::string& path() const { return path_; }
  uint64_t generation() const;
  const flatnet_ipc_header& header() const { return *hdr_; }

  // ---- producers (worker c / main lcore) -------------------------------
  // Copy pkt into a slot and queue it. false = dropped and counted.
  bool punt(unsigned channel, const uint8_t* pkt, uint32_t len, const PuntMeta& m);
  // Queue an event (channel field is filled in). false = dropped and counted.
  bool event(unsigned channel, const flatnet_ipc_event& ev);
  // Free room in the channel's event ring (producers may check before bursts).
  unsigned event_room(unsigned channel) const;
  // The channel's punt slots handed to control (queued or held there) of
  // *slots, counting the ones it has given back. Channel c's thread only.
  bool punt_fill(unsigned channel, unsigned* used, unsigned* slots);

  // ---- main lcore ------------------------------------------------------
  struct PollResult {
    unsigned commands = 0;  // commands applied
    unsigned injects = 0;   // injects handed to the sink
    unsigned events = 0;    // main-channel events queued (results, dump)
  };
  // One round: control presence check, up to max_commands commands applied
  // to `table` (a pending resync dump is continued first, and commands wait
  // until it is done so the dump is exact), table reclaim, expiry sweep,
  // and up to max_injects injects given to `sink`, which returns an
  // InjectVerdict (a bool works too: true = taken, false = no room).
  // Commands of the VL2 range (FLATNET_IPC_CMD_VL2_*) go to `vl2` (a
  // gateway's tables; E_UNKNOWN_COMMAND without one). A PEER_KEY_SET's ring
  // entry and every copy the service made are wiped once it is applied.
  using CommandHook = std::function<flatnet_ipc_status(const flatnet_ipc_command&)>;
  PollResult poll_main(tables::PeerTable& table, uint64_t now_ns,
                       const std::function<int(const Inject&)>& sink,
                       unsigned max_commands = 64, unsigned max_injects = 32,
                       const CommandHook* vl2 = nullptr);
  // True if a live, trusted control is attached (as of the last poll_main).
  bool control_present() const;
  // The control-tracking step of poll_main on its own (tests without a
  // table): notice a control attach, detach, die or corrupt the segment;
  // start a session for a new one. Main lcore.
  void track_control(uint64_t now_ns);
  // The segment's memory (for in_memory tests: what a control attaches to).
  uint8_t* memory() const;
  size_t memory_size() const;

  // ---- counters block (main lcore; docs/ipc-abi.md "The counters block") --
  // Names the counters the caller will publish; the service appends its own
  // ipc_* counters (channel and main counters of the header). Once, before
  // stats_publish. false + *err for a name that is not [a-z0-9_] (1..47
  // characters, no leading digit), a repeat, or too many names.
  bool stats_define(const std::vector<std::string>& names, std::string* err);
  // True when stats_interval_ms has passed since the last publish.
  bool stats_due(uint64_t now_ns) const;
  // values[i * n_channels() + c] = counter i (in stats_define order) of
  // channel c. Adds the total column and the ipc_* rows and stores them
  // under the block's seqlock. No allocation; a no-op before stats_define.
  void stats_publish(const uint64_t* values, uint64_t now_ns);
  // The names as published: the caller's, then the ipc_* ones.
  const std::vector<std::string>& stats_names() const;

 private:
  Service() = default;
  void accept_control(uint32_t epoch);
  void end_session();
  void drop_control();
  void repair_header();
  void repair_stats();
  void sync_channel(unsigned channel);
  void channel_corrupt(unsigned channel);
  void take_returns(unsigned channel);
  struct Impl;
  std::unique_ptr<Impl> impl_;
  flatnet_ipc_header* hdr_ = nullptr;
  std::string path_;
};

}  // namespace flatnet::ipc
