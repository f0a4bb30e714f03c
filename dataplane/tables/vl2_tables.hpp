// The gateway's VL2 tables, per network: members (address -> present,
// COM valid, bridge), the MAC table (MAC -> a remote member or bridge, or
// "on the LAN"), multicast subscribers per group; and per peer the
// dearmor/armor key set. Read lock-free by the workers, written by ONE
// thread (the main lcore), the same rules as peer_table.hpp:
//
// - Members and MACs are rte_hash tables (RW_CONCURRENCY_LF) whose 8-byte
//   data word IS the entry (MemberWord, MacWord below): a reader's lookup
//   ends in the key store, there is nothing to reclaim but the key slot,
//   which the hash's own QSBR defer queue frees after a grace period.
// - Key sets, network views and subscriber lists are immutable objects
//   behind pointers: an update publishes a new one and retires the old one
//   through an rte_rcu_qsbr defer queue. Retired key sets are destroyed
//   (their bytes wiped, crypto/mb PeerKeyset) only after every reader has
//   passed a quiescent state.
//
// The QSBR variable is shared with the peer table (the workers already
// report one quiescent state per burst there), so a pointer read from these
// tables is valid until the reader's next quiescent() on that variable.
//
// Workers never write. What they learn (a LAN source MAC, a bridge route
// from EXT_FRAME, "this member talked to us") they post as a LearnEvent on
// an in-process multi-producer / single-consumer rte_ring; the writer
// drains it (drain_learn). A full ring loses the event (counted), never the
// frame, so a MAC flood on the LAN costs at most one ring slot per frame and
// never reaches control.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "crypto/mb/burst.hpp"
#include "dataplane/ipc/abi.h"

struct rte_hash;
struct rte_ring;
struct rte_rcu_qsbr;
struct rte_rcu_qsbr_dq;

namespace flatnet::tables::vl2 {

inline constexpr unsigned kMaxNetworks = 64;     // network slots (one LAN each, or one per VLAN)
inline constexpr unsigned kMaxBridges = 16;      // active bridges remembered per network
inline constexpr unsigned kMaxSubscribers = 256; // per multicast group

// ---- network ---------------------------------------------------------------

// What a network's settings are for the fast path; set by control.
struct NetworkSettings {
  uint64_t nwid = 0;
  uint32_t multicast_limit = 32;   // recipients of one multicast (0 = multicast off)
  uint16_t mtu = 2800;             // the network's MTU (largest LAN frame payload)
  bool enable_broadcast = true;    // ff:ff:ff:ff:ff:ff allowed
  bool is_private = true;          // members must hold a valid COM
  bool loop_guard = true;          // drop frames whose source is on our LAN (kLanLoopWindowS)
  uint32_t mac_capacity = 4096;    // MAC table entries of this network
};

struct CompiledRules;  // vl2_rules.hpp
struct CompiledCreds;  // vl2_rules.hpp

// One published, immutable view of a network. Workers hold it for a burst.
struct NetworkView {
  NetworkSettings s;
  const CompiledRules* rules = nullptr;  // the base rule table; nullptr = none installed (accept)
  const CompiledCreds* own = nullptr;    // our tags and capabilities; nullptr = none
  uint8_t slot = 0;                // index used in the member/MAC keys
  uint8_t n_bridges = 0;
  uint64_t bridges[kMaxBridges] = {};  // members with the bridge flag, ascending
};

// ---- members ---------------------------------------------------------------

// The member hash's data word: flags in the low byte, the last time the
// member passed our gate (seconds of CLOCK_MONOTONIC) above. Never 0.
struct MemberWord {
  static constexpr uint64_t kPresent = 1;    // control says: member of the network
  static constexpr uint64_t kComValid = 2;   // its COM agrees with ours (private networks)
  static constexpr uint64_t kBridge = 4;     // an active bridge (may send foreign MACs)
  static constexpr uint64_t kFlagsMask = 0xff;
  static uint64_t flags(uint64_t w) { return w & kFlagsMask; }
  static uint32_t recent_s(uint64_t w) { return uint32_t(w >> 32); }
  // May frames from this member pass the gate of a network with settings s?
  static bool admitted(uint64_t w, bool is_private) {
    return (w & kPresent) && (!is_private || (w & kComValid));
  }
};

// ---- MAC table -------------------------------------------------------------

// The MAC hash's data word. kind kRemote: behind member `addr` (its own
// derived MAC is never stored; a bridged MAC learned from EXT_FRAME or
// installed by control). kind kLan: on our LAN port. `seen_s` (seconds,
// 22 bits, wraps) lets a worker see that an entry needs refreshing without
// asking the writer.
struct MacWord {
  enum Kind : uint8_t { kNone = 0, kRemote = 1, kLan = 2 };
  static uint64_t make(Kind k, uint64_t addr, uint32_t seen_s) {
    return (addr & 0xffffffffffull) | uint64_t(k) << 40 | uint64_t(seen_s & 0x3fffff) << 42;
  }
  static Kind kind(uint64_t w) { return Kind((w >> 40) & 3); }
  static uint64_t addr(uint64_t w) { return w & 0xffffffffffull; }
  static uint32_t seen_s(uint64_t w) { return uint32_t(w >> 42) & 0x3fffff; }
  // Seconds since seen, modulo the 22-bit wrap.
  static uint32_t age_s(uint64_t w, uint32_t now_s) { return (now_s - seen_s(w)) & 0x3fffff; }
};
// A worker re-posts a LAN MAC it already knows once its word is this old,
// so the writer's last-seen time (ageing, LRU) stays within this of the truth
// while a busy MAC costs one event per this many seconds, not one per frame.
inline constexpr uint32_t kMacRefreshS = 2;
// A LAN bridged twice (fastpath/vl2_loop.hpp): a frame from the network
// whose source MAC has a LAN entry younger than this (whole seconds of the
// word's stamp) is a copy of a LAN frame that came back through another
// bridge, and is dropped; a bridge route for such a MAC is not learned.
// Twice kMacRefreshS, so a host that keeps talking on the LAN is always
// inside it; a host that really moved from our LAN to another bridge's is
// cut off for at most this (+1 s of stamp rounding) after its last frame
// on our LAN.
inline constexpr uint32_t kLanLoopWindowS = 2 * kMacRefreshS;

// ---- multicast -------------------------------------------------------------

struct SubscriberList {
  uint32_t n = 0;
  uint64_t addr[kMaxSubscribers];  // ascending, no duplicates
};

// ---- keys -----------------------------------------------------------------

// A peer's key set and the suite we armor with toward it (1 or 3: what the
// peer's protocol version allows, decided by control). Immutable.
struct PeerKey {
  PeerKey(const crypto::SharedKey& key48, crypto::Suite s) : keys(key48), suite(s) {}
  crypto::mb::PeerKeyset keys;  // wiped by its destructor
  crypto::Suite suite;
};

// ---- learn events (workers -> writer) --------------------------------------

struct LearnEvent {
  enum Kind : uint8_t { kLanMac = 1, kBridgeRoute = 2, kRecent = 3 };
  uint8_t kind = 0;
  uint8_t slot = 0;       // network slot
  uint16_t reserved = 0;
  uint32_t reserved2 = 0;
  uint64_t mac = 0;       // kLanMac, kBridgeRoute
  uint64_t addr = 0;      // kBridgeRoute, kRecent
};
static_assert(sizeof(LearnEvent) == 24, "ring element");

// Writer-side counts, read by telemetry (relaxed loads of plain words).
struct Vl2TableCounters {
  uint64_t macs_learned = 0;      // new MAC entries from events
  uint64_t mac_moves = 0;         // a MAC changed side or member
  uint64_t mac_evicted = 0;       // oldest entry out to make room (a flood)
  uint64_t mac_aged = 0;          // idle past the ageing time
  uint64_t learn_events = 0;      // drained from the ring
  uint64_t learn_stale = 0;       // for a network that is gone, or from a non-bridge
  uint64_t loop_routes = 0;       // bridge routes refused: the MAC is on our LAN (kLanLoopWindowS)
  uint64_t learn_ring_full = 0;   // posts refused (counted by workers through post())
  uint64_t keys_wiped = 0;        // key sets destroyed after their grace period
  uint64_t swept = 0;             // entries a SWEEP deleted (vl2_epoch.cpp), keys included
  uint64_t keys_swept = 0;        // of which peer keys
  uint64_t sweep_rounds = 0;      // SWEEP steps (a big table takes several)
};

struct Vl2Params {
  std::string name = "flatnet";   // prefix of the DPDK object names (unique per process)
  uint32_t member_capacity = 1u << 16;  // members, all networks together
  uint32_t mac_capacity = 1u << 16;     // MACs, all networks together
  uint32_t peer_capacity = 1u << 16;    // key sets
  uint32_t group_capacity = 1u << 12;   // multicast groups with subscribers
  uint32_t learn_ring_size = 4096;
  uint32_t mac_age_s = 300;             // LAN and learned MACs not seen for this long go
  int socket_id = -1;
};

class Vl2Tables {
 public:
  // qsbr: the readers' QSBR variable (PeerTable::qsbr()). nullptr + *err on failure.
  static std::unique_ptr<Vl2Tables> create(const Vl2Params& p, rte_rcu_qsbr* qsbr, std::string* err);
  ~Vl2Tables();
  Vl2Tables(const Vl2Tables&) = delete;
  Vl2Tables& operator=(const Vl2Tables&) = delete;

  // ---- readers (workers) --------------------------------------------------
  // The network's view, or nullptr. Valid until the reader's quiescent().
  const NetworkView* network(uint64_t nwid) const;
  const NetworkView* network_at(unsigned slot) const {
    return slot < kMaxNetworks ? nets_[slot].load(std::memory_order_acquire) : nullptr;
  }
  // The member word of addr in the network, 0 when not a member.
  uint64_t member(unsigned slot, uint64_t addr) const;
  // The MAC word, 0 when unknown.
  uint64_t mac(unsigned slot, uint64_t mac48) const;
  // Up to 64 MACs of one network at once; words[i] = 0 when unknown.
  void mac_burst(unsigned slot, const uint64_t* macs, unsigned n, uint64_t* words) const;
  // The peer's key set or nullptr. Valid until quiescent().
  const PeerKey* key(uint64_t addr) const;
  // Up to 64 at once (one bulk lookup: rte_hash fetches the buckets of all
  // together, so a burst from many peers waits for memory once, not per
  // peer); out[i] = nullptr when none. Valid until quiescent().
  void key_burst(const uint64_t* addrs, unsigned n, const PeerKey** out) const;
  // Up to 64 member words at once, the i-th of addrs[i] in slots[i]; 0 when
  // not a member.
  void member_burst(const uint8_t* slots, const uint64_t* addrs, unsigned n, uint64_t* words) const;
  // Subscribers of (mac, adi) or nullptr. Valid until quiescent().
  const SubscriberList* subscribers(unsigned slot, uint64_t mac48, uint32_t adi) const;
  // A member's tags and capabilities (vl2_creds.cpp), or nullptr when
  // control installed none. Valid until quiescent().
  const CompiledCreds* creds(unsigned slot, uint64_t addr) const;
  // How many members of the network have credentials installed (0: no
  // lookup needed). Relaxed: a hint, the lookup itself is the truth.
  uint32_t creds_in(unsigned slot) const {
    return slot < kMaxNetworks ? creds_per_slot_[slot].load(std::memory_order_relaxed) : 0;
  }
  // Posts a learn event; false when the ring is full (counted).
  bool post(const LearnEvent& e);
  // Seconds on the clock the words use (CLOCK_MONOTONIC, plus what
  // advance_clock added: packet fixtures age entries without waiting).
  static uint32_t now_s();
  static void advance_clock(uint32_t s);

  // ---- writer (main lcore only) -------------------------------------------
  flatnet_ipc_status network_set(const NetworkSettings& s);
  flatnet_ipc_status network_remove(uint64_t nwid);  // its members, MACs and groups too
  // The network's rules (spec §10.9 binary form, the config's "R"), decoded
  // and compiled here; unsupported_match = the network's
  // RULES_RESULT_OF_UNSUPPORTED_MATCH flag.
  flatnet_ipc_status rules_set(uint64_t nwid, std::span<const uint8_t> rules_bin, bool unsupported_match);
  // A member's credentials (the CREDS_CHUNK blob, vl2_rules.hpp), decoded
  // and compiled here; addr 0 = the gateway's own (published with the view).
  flatnet_ipc_status creds_set(uint64_t nwid, uint64_t addr, std::span<const uint8_t> blob);
  flatnet_ipc_status creds_remove(uint64_t nwid, uint64_t addr);
  flatnet_ipc_status member_set(uint64_t nwid, uint64_t addr, uint64_t flags);
  flatnet_ipc_status member_remove(uint64_t nwid, uint64_t addr);
  // The 48-byte shared key; copied into a PeerKeyset, the caller wipes its copy.
  flatnet_ipc_status key_set(uint64_t addr, const crypto::SharedKey& key48,
                             crypto::Suite suite = crypto::Suite::kSalsa2012Poly1305);
  flatnet_ipc_status key_remove(uint64_t addr);
  // A route installed by control: mac is behind member addr (kRemote).
  flatnet_ipc_status mac_set(uint64_t nwid, uint64_t mac48, uint64_t addr);
  flatnet_ipc_status mac_remove(uint64_t nwid, uint64_t mac48);
  flatnet_ipc_status subscriber_add(uint64_t nwid, uint64_t mac48, uint32_t adi, uint64_t addr);
  flatnet_ipc_status subscriber_remove(uint64_t nwid, uint64_t mac48, uint32_t adi, uint64_t addr);
  // Applies one VL2 command of the IPC ABI (FLATNET_IPC_CMD_VL2_*);
  // vl2_apply.cpp. The caller wipes its copies of a PEER_KEY_SET.
  flatnet_ipc_status apply(const flatnet_ipc_command& c);
  // ---- epochs (vl2_epoch.cpp; docs/ipc-abi.md "Epochs") --------------
  // What control sets through apply() is stamped with the current epoch
  // (0 until the first EPOCH_BEGIN); entries the data plane made itself
  // (learned MACs, the configured network's defaults) carry no stamp and
  // are never swept.
  flatnet_ipc_status epoch_begin(uint32_t epoch);
  // One bounded step of the sweep of epoch (which must be the current one):
  // visits up to max stamps, deleting those of another epoch (keys wiped
  // after their grace period). OK when none is left, BUSY while some are
  // (the service applies the command again next round).
  flatnet_ipc_status sweep_step(uint32_t epoch, unsigned max);
  uint32_t epoch() const { return epoch_; }
  size_t stamped() const { return stamps_.size(); }
  static constexpr unsigned kSweepPerRound = 256;
  // Applies up to max queued learn events; returns how many.
  unsigned drain_learn(unsigned max);
  // Deletes up to max learned MACs not seen for mac_age_s (oldest first,
  // per network); routes control installed never age. Returns how many.
  unsigned age_macs(uint32_t now_s, unsigned max);
  void reclaim();

  uint32_t members() const { return n_members_; }
  uint32_t macs() const { return n_macs_; }
  uint32_t macs_of(uint64_t nwid) const;
  uint32_t keys() const { return n_keys_; }
  uint32_t creds_count() const { return n_creds_; }
  const Vl2TableCounters& counters() const { return ctr_; }
  rte_rcu_qsbr* qsbr() const { return qsbr_; }

 private:
  struct MacLru;
  // An entry control set, in the order a sweep deletes them (what hangs
  // off a member before it, the network last). a, b, c: see vl2_epoch.cpp.
  enum StampKind : uint8_t { kStSub = 0, kStMac, kStCreds, kStMember, kStRules, kStKey, kStNet };
  struct Stamp {
    uint8_t kind = 0;
    uint64_t nwid = 0, a = 0, b = 0, c = 0;
    auto operator<=>(const Stamp&) const = default;
  };
  void stamp(const Stamp& s) { stamps_[s] = epoch_; }
  void unstamp(const Stamp& s) { stamps_.erase(s); }
  void unstamp_network(uint64_t nwid);
  // Stamps (or unstamps) what an applied command set (or deleted).
  void stamp_applied(const flatnet_ipc_vl2_command& c, bool set);
  flatnet_ipc_status sweep_one(const Stamp& s);
  flatnet_ipc_status rules_clear(uint64_t nwid);
  Vl2Tables() = default;
  int slot_of(uint64_t nwid) const;
  flatnet_ipc_status publish_network(unsigned slot, const NetworkView& next);
  flatnet_ipc_status rebuild_bridges(unsigned slot);
  flatnet_ipc_status subscriber_change(uint64_t nwid, uint64_t mac48, uint32_t adi, uint64_t addr, bool add);
  bool can_retire(unsigned n);
  // Hands ptr (what: see vl2_internal.hpp) and/or a key position of one of
  // the hashes to the defer queue; freed after a grace period.
  void retire(void* ptr, uint8_t what, uint8_t hash, int32_t key_pos);
  rte_hash* hash_of(uint8_t h) const;
  static void free_cb(void* p, void* elems, unsigned n);
  flatnet_ipc_status mac_put(unsigned slot, uint64_t mac48, uint64_t word, bool pinned, bool learned);
  bool mac_delete(uint64_t key, bool evicted);
  void learn_one(const LearnEvent& e);
  uint32_t member_capacity_() const { return cap_members_; }
  uint32_t key_capacity_() const { return cap_keys_; }
  uint32_t group_capacity_() const { return cap_groups_; }

  rte_rcu_qsbr* qsbr_ = nullptr;
  rte_rcu_qsbr_dq* dq_ = nullptr;
  rte_hash* members_ = nullptr;
  rte_hash* macs_ = nullptr;
  rte_hash* keys_ = nullptr;
  rte_hash* groups_ = nullptr;
  rte_hash* creds_ = nullptr;   // (slot, member) -> CompiledCreds*
  std::atomic<uint32_t> creds_per_slot_[kMaxNetworks] = {};
  rte_ring* learn_ = nullptr;
  std::atomic<const NetworkView*> nets_[kMaxNetworks] = {};
  std::atomic<unsigned> high_slot_{0};  // readers scan slots below it
  unsigned next_slot_ = 0;
  // Writer-private: the MAC table's per-network LRU (oldest out on a flood)
  // and ageing, indexed by the hash's key position.
  std::unique_ptr<MacLru> lru_;
  uint32_t n_members_ = 0, n_macs_ = 0, n_keys_ = 0, n_groups_ = 0, n_creds_ = 0;
  uint32_t cap_members_ = 0, cap_macs_ = 0, cap_keys_ = 0, cap_groups_ = 0;
  uint32_t mac_age_s_ = 300;
  uint32_t dq_size_ = 0, retired_ = 0;
  uint64_t leaked_ = 0;
  Vl2TableCounters ctr_;
  std::atomic<uint64_t> ring_full_{0};  // relaxed: a count bumped by several workers
  // RULES_CHUNK commands being gathered, per network (writer only).
  std::unordered_map<uint64_t, std::vector<uint8_t>> rules_staging_;
  // CREDS_CHUNK commands being gathered, per (network, member).
  std::map<std::pair<uint64_t, uint64_t>, std::vector<uint8_t>> creds_staging_;
  std::string name_;
  // Writer only: the epoch of what control last set, per entry (one map,
  // ordered, so a sweep resumes from where it stopped whatever changed).
  uint32_t epoch_ = 0;
  std::map<Stamp, uint32_t> stamps_;
  Stamp sweep_at_{};
  uint32_t sweep_epoch_ = 0;  // the sweep in progress (sweep_at_ valid), 0 none
};

}  // namespace flatnet::tables::vl2
