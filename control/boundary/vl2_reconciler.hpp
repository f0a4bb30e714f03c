// A gateway's VL2 tables (issue 12, docs/gateway.md) as a reconciled state,
// beside table_reconciler's VL1 peer table: control says what it WANTS the
// data plane's tables for the bridged network to hold (Vl2Desired: the
// network's settings and rules, members with their gate flags, peer keys,
// MAC routes, multicast subscribers) and this unit sends the difference
// from what it has INSTALLED, as the command ring takes it.
//
//   set_desired(Vl2Desired)  ──pump()──▶  VL2_* commands (deletes first, then
//   (from gateway_host, a few            network/rules, keys, members, MACs,
//    times a second)                      subscribers), then NOP+F_ACK
//          ▲
//          └── on_event(): RESULT of a VL2 command (failure: the item is
//              forgotten as installed and retried after kRetryMs) or of our
//              barrier (everything before it is confirmed)
//
// The VL2 tables are not part of the data plane's RESYNC dump (docs/ipc-abi.md
// "VL2 commands"): they are control's state, kept by mark and sweep
// (docs/ipc-abi.md "Epochs: restart without a gap"). On every attach (a
// data plane restart, or this control starting next to a running data
// plane) this unit begins a new epoch (VL2_EPOCH_BEGIN, a random nonzero
// number), sends everything it wants again -- what did not change is
// overwritten with itself, so bridging has no gap -- and, once all of it
// is confirmed and kSweepGraceMs have passed since the first desired state
// (members of a restarted control present their credentials again
// meanwhile), a
// VL2_SWEEP: the data plane deletes every entry not set again under the new
// epoch, keys included (wiped). A gateway bridging several networks runs
// one reconciler per network; one of them (the epoch owner, the one that
// holds the keys) begins and sweeps for all, and sweeps only once the
// others are synced too (set_others_synced), or kSweepDeadlineMs after
// that whatever they are.
//
// Our commands use seqs with kSeqBit set, so the backend can route their
// RESULTs here and the peer table's to table_reconciler (its seqs count up
// from 1 and never reach that bit in practice).
//
// Keys: held here only as long as they are desired (wiped when replaced or
// dropped), leave only in PEER_KEY_SET commands (wiped by the sink's caller
// after send), and never appear in a log line or a stat.
//
// No I/O, single-threaded; memory bounded by what the desired state holds.
#pragma once

#include <string.h>  // explicit_bzero

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "dataplane/ipc/abi.h"
#include "dataplane/ipc/vl2_commands.hpp"

namespace flatnet::control::boundary {

struct Vl2Key {
  std::array<uint8_t, FLATNET_IPC_VL2_KEY_SIZE> key{};
  unsigned suite = 1;  // what we armor with toward the peer: 1 or 3
  Vl2Key() = default;
  Vl2Key(const Vl2Key&) = default;
  Vl2Key& operator=(const Vl2Key&) = default;
  ~Vl2Key() { explicit_bzero(key.data(), key.size()); }
  bool operator==(const Vl2Key& o) const { return key == o.key && suite == o.suite; }
};

using Vl2Group = std::tuple<uint64_t, uint32_t, uint64_t>;  // (group MAC, ADI, member)

struct Vl2Desired {
  ipc::vl2::NetworkSettings settings;     // settings.nwid 0 = no network
  std::vector<uint8_t> rules;             // spec §10.9 binary form; empty = none
  bool unsupported_match = false;
  std::map<uint64_t, uint32_t> members;   // address -> FLATNET_IPC_VL2_MEMBER_* flags
  std::map<uint64_t, Vl2Key> keys;        // address -> key and suite
  std::map<uint64_t, uint64_t> macs;      // MAC -> member or bridge behind it
  std::set<Vl2Group> subscribers;
  // Tags and capabilities the rules use (vl2_reconciler_creds.cpp): key 0 is
  // the gateway's own, any other a member's (only members in `members`).
  std::map<uint64_t, ipc::vl2::Credentials> creds;
};

struct Vl2ReconcilerStats {
  uint64_t sweeps = 0;                     // SWEEPs the data plane finished (one per attach normally)
  uint64_t members = 0, keys = 0, macs = 0, subscribers = 0;  // desired (gauges)
  uint64_t pending = 0;                    // 1 while the installed state differs
  uint64_t in_flight = 0;                  // commands sent, not yet confirmed
  uint64_t commands_sent = 0, ring_full = 0, failures = 0, reinstalls = 0, barriers_confirmed = 0;
  // Members' credentials over the data plane's bounds (tags, capabilities,
  // owned addresses): not installed, so the member has none there.
  uint64_t creds_refused = 0;
};

class Vl2Reconciler {
 public:
  using Sink = std::function<bool(flatnet_ipc_command&)>;  // true = queued (the caller wipes it)
  using Logger = std::function<void(const std::string&)>;

  static constexpr uint32_t kSeqBit = 0x80000000u;
  static constexpr uint64_t kRetryMs = 1000;
  static constexpr uint64_t kBarrierTimeoutMs = 5000;
  // A sweep waits this long after the first desired state with the
  // network since the attach (a restarted control's members present their
  // credentials again meanwhile, so they are not swept out) and until
  // everything is confirmed; after kSweepDeadlineMs it waits no more for
  // other networks' reconcilers. 10 s: a restarted control re-meets its
  // members only as they answer its requests (the fast path carries their
  // traffic, control never sees it), a few seconds on a loaded machine;
  // a member not admitted again by then is swept (and installed again
  // when it is), one deauthorized while control was away bridges that long.
  static constexpr uint64_t kSweepGraceMs = 10000;
  static constexpr uint64_t kSweepDeadlineMs = 60000;

  explicit Vl2Reconciler(Logger log = {}) : log_(std::move(log)) {}

  void set_desired(Vl2Desired d);
  const Vl2Desired& desired() const { return want_; }

  // A (new) data plane, or a new session with it: a new epoch, everything
  // sent again under it, then the sweep (nothing deleted before it).
  void attached();
  void detached() { attached_ = false; }
  // false: another reconciler of this control begins and sweeps the epochs
  // (a gateway's second and further networks); call before attached().
  void set_epoch_owner(bool owner) { owner_ = owner; }
  // The owner's EPOCH_BEGIN is on the ring: the others may send.
  bool epoch_begun() const { return begun_; }
  uint32_t epoch() const { return epoch_; }
  // The desired network is known and everything sent for it confirmed.
  bool synced() const;
  // The owner: whether the other networks' reconcilers are synced.
  void set_others_synced(bool yes) { others_synced_ = yes; }
  static bool owns(uint32_t seq) { return (seq & kSeqBit) != 0; }
  // A gateway bridging several networks (802.1Q-mapped, docs/gateway.md)
  // runs one reconciler per network, each in its own seq space (bits
  // 24..30 of its seqs; 0 for the first), so a RESULT finds its reconciler.
  void set_seq_space(unsigned space) { space_ = (uint32_t(space) & 0x7fu) << 24; }
  static unsigned seq_space(uint32_t seq) { return (seq >> 24) & 0x7fu; }
  unsigned seq_space_of() const { return space_ >> 24; }
  // A RESULT event whose seq owns() is true.
  void on_result(const flatnet_ipc_event& e, uint64_t now);
  unsigned pump(uint64_t now, const Sink& sink);
  Vl2ReconcilerStats stats() const;

 private:
  enum class Kind : uint8_t { kNetwork, kKey, kMember, kMac, kSub, kQuietDelete, kCreds, kEpoch };
  struct Sent {
    Kind kind;
    uint64_t a = 0;   // address or MAC
    Vl2Group g{};
  };
  uint32_t next_seq() { seq_ = (seq_ + 1) & 0x00ffffffu; return seq_ | kSeqBit | space_; }
  bool send(flatnet_ipc_command c, const Sent& s, const Sink& sink);
  void log(const std::string& line);
  void begin_epoch();
  // Credentials (vl2_reconciler_creds.cpp): those no longer wanted deleted,
  // then those new or changed sent; false when the ring filled (pump stops).
  using Put = std::function<bool(flatnet_ipc_command, const Sent&)>;
  bool pump_creds_deletes(const Put& put);
  bool pump_creds_sets(const Put& put);

  Logger log_;
  Vl2Desired want_;
  Vl2Desired have_;           // what was sent and not refused
  bool have_network_ = false; // have_.settings/rules sent
  bool attached_ = false;
  bool reset_ = false;        // NETWORK_DELETE of have_/want_ nwid first
  uint64_t deleted_nwid_ = 0; // a network to delete (reset or the nwid changed)
  uint64_t retry_at_ = 0;
  uint32_t seq_ = 0;
  uint32_t space_ = 0;        // set_seq_space
  // Epochs (mark and sweep).
  bool owner_ = true;
  uint32_t epoch_ = 0;
  bool begun_ = false;        // EPOCH_BEGIN queued (always true for a non-owner)
  bool swept_ = false;        // SWEEP queued for this epoch
  bool new_epoch_ = false;    // a refused EPOCH_BEGIN / SWEEP: begin another
  bool others_synced_ = true;
  bool attach_at_known_ = false;
  uint64_t attach_at_ = 0;    // the first pump after attached() with a desired network
  uint64_t epoch_seed_ = 0;
  std::unordered_map<uint32_t, Sent> in_flight_;
  uint32_t barrier_seq_ = 0;
  uint64_t barrier_at_ = 0;
  unsigned log_lines_ = 0;
  Vl2ReconcilerStats st_;
};

}  // namespace flatnet::control::boundary
