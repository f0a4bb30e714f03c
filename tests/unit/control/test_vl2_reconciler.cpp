// control/boundary/vl2_reconciler against a model of the data plane's VL2
// tables: what it sends for a desired state, its diffs, re-installs on
// attach (a new epoch, then the sweep), back-pressure from a full ring, and
// retries after a refusal.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "control/boundary/vl2_reconciler.hpp"

namespace flatnet::control::boundary {
namespace {

constexpr uint64_t kNwid = 0x8056c2e21c000001ull;
constexpr uint64_t kA = 0x1111111111ull, kB = 0x2222222222ull;

// The data plane's tables as the commands leave them; every barrier answered.
// Epochs as the writer keeps them (dataplane/tables/vl2_epoch.cpp): what a
// command sets carries the current epoch; a SWEEP of the current epoch
// deletes (at once here) everything stamped otherwise, a key "wiped".
struct Model {
  std::set<uint64_t> networks;
  std::map<uint64_t, uint32_t> members;
  std::map<uint64_t, unsigned> keys;
  std::map<uint64_t, uint64_t> macs;
  std::set<Vl2Group> subs;
  uint32_t epoch = 0;
  std::map<std::pair<int, uint64_t>, uint32_t> stamps;  // (what, id) -> epoch; subs by member
  std::vector<uint64_t> wiped;                          // keys the sweep deleted
  size_t deletes = 0;                                   // entries deleted by a *_DELETE command
  std::vector<uint16_t> types;          // every command seen, in order
  std::vector<flatnet_ipc_event> results;
  size_t room = SIZE_MAX;               // commands the ring takes before it is full
  uint16_t refuse_type = 0;             // answer this type with TABLE_FULL (once)

  bool take(flatnet_ipc_command& c) {
    if (room == 0) return false;
    --room;
    flatnet_ipc_vl2_command v;
    std::memcpy(&v, &c, sizeof v);
    types.push_back(v.type);
    auto result = [&](uint32_t status, uint32_t count) {
      flatnet_ipc_event e{};
      e.type = FLATNET_IPC_EV_RESULT;
      e.seq = v.seq;
      e.status = status;
      e.count = count;
      results.push_back(e);
    };
    if (v.type == refuse_type) {
      refuse_type = 0;
      result(FLATNET_IPC_E_TABLE_FULL, v.type);
      return true;
    }
    switch (v.type) {
      case FLATNET_IPC_CMD_NOP: result(FLATNET_IPC_OK, 0); break;
      case FLATNET_IPC_CMD_VL2_NETWORK_SET: networks.insert(v.u.t.nwid), stamps[{0, v.u.t.nwid}] = epoch; break;
      case FLATNET_IPC_CMD_VL2_NETWORK_DELETE:
        if (!networks.erase(v.u.t.nwid)) result(FLATNET_IPC_E_NOT_FOUND, v.type);
        deletes += members.size() + macs.size() + subs.size();
        members.clear(), macs.clear(), subs.clear();
        break;
      case FLATNET_IPC_CMD_VL2_MEMBER_SET: members[v.addr] = v.u.t.member_flags, stamps[{1, v.addr}] = epoch; break;
      case FLATNET_IPC_CMD_VL2_MEMBER_DELETE: deletes += members.erase(v.addr); break;
      case FLATNET_IPC_CMD_VL2_PEER_KEY_SET:
        keys[v.addr] = v.flags >> FLATNET_IPC_VL2_SUITE_SHIFT, stamps[{2, v.addr}] = epoch;
        break;
      case FLATNET_IPC_CMD_VL2_PEER_KEY_DELETE: deletes += keys.erase(v.addr); break;
      case FLATNET_IPC_CMD_VL2_MAC_SET: macs[v.u.t.mac] = v.addr, stamps[{3, v.u.t.mac}] = epoch; break;
      case FLATNET_IPC_CMD_VL2_MAC_DELETE: deletes += macs.erase(v.u.t.mac); break;
      case FLATNET_IPC_CMD_VL2_SUBSCRIBE: subs.insert({v.u.t.mac, v.u.t.adi, v.addr}), stamps[{4, v.addr}] = epoch; break;
      case FLATNET_IPC_CMD_VL2_UNSUBSCRIBE: deletes += subs.erase({v.u.t.mac, v.u.t.adi, v.addr}); break;
      case FLATNET_IPC_CMD_VL2_EPOCH_BEGIN: epoch = v.u.e.epoch; break;
      case FLATNET_IPC_CMD_VL2_SWEEP:
        if (v.u.e.epoch != epoch) {
          result(FLATNET_IPC_E_BAD_ARGUMENT, v.type);
          break;
        }
        sweep();
        if (v.flags & FLATNET_IPC_CMD_F_ACK) result(FLATNET_IPC_OK, v.type);
        break;
      default: break;
    }
    return true;
  }
  bool current(int what, uint64_t id) const {
    auto it = stamps.find({what, id});
    return it != stamps.end() && it->second == epoch;
  }
  void sweep() {
    for (auto it = networks.begin(); it != networks.end();) it = current(0, *it) ? std::next(it) : networks.erase(it);
    for (auto it = members.begin(); it != members.end();) it = current(1, it->first) ? std::next(it) : members.erase(it);
    for (auto it = keys.begin(); it != keys.end();) {
      if (current(2, it->first)) {
        ++it;
        continue;
      }
      wiped.push_back(it->first);
      it = keys.erase(it);
    }
    for (auto it = macs.begin(); it != macs.end();) it = current(3, it->first) ? std::next(it) : macs.erase(it);
    for (auto it = subs.begin(); it != subs.end();)
      it = current(4, std::get<2>(*it)) ? std::next(it) : subs.erase(it);
  }
};

Vl2Desired two_members() {
  Vl2Desired d;
  d.settings.nwid = kNwid;
  d.settings.mtu = 2800;
  d.rules = {0x06};  // one ACTION_ACCEPT: bytes are opaque here
  for (uint64_t a : {kA, kB}) {
    d.members[a] = FLATNET_IPC_VL2_MEMBER_PRESENT | FLATNET_IPC_VL2_MEMBER_COM_VALID;
    d.keys[a].key.fill(uint8_t(a));
    d.keys[a].suite = 3;
    d.macs[0x320000000000ull | (a & 0xffffffffffull)] = a;
  }
  d.subscribers.insert({0xffffffffffffull, 0x0a000001u, kA});
  return d;
}

unsigned pump(Vl2Reconciler& r, Model& m, uint64_t now) {
  const unsigned n = r.pump(now, [&](flatnet_ipc_command& c) { return m.take(c); });
  auto results = std::move(m.results);
  m.results.clear();
  for (const auto& e : results) r.on_result(e, now);
  return n;
}

TEST(Vl2Reconciler, InstallsWhatIsWantedThenNothingMore) {
  Vl2Reconciler r;
  Model m;
  r.set_desired(two_members());
  EXPECT_EQ(pump(r, m, 0), 0u);  // not attached: nothing
  r.attached();
  EXPECT_GT(pump(r, m, 1), 0u);
  EXPECT_EQ(m.types.front(), FLATNET_IPC_CMD_VL2_EPOCH_BEGIN);  // what follows carries the new epoch
  EXPECT_EQ(m.epoch, r.epoch());
  EXPECT_EQ(m.deletes, 0u);  // nothing deleted on attach
  EXPECT_TRUE(m.networks.count(kNwid));
  EXPECT_EQ(m.members.size(), 2u);
  EXPECT_EQ(m.keys.size(), 2u);
  EXPECT_EQ(m.keys[kA], 3u);
  EXPECT_EQ(m.macs.size(), 2u);
  EXPECT_EQ(m.subs.size(), 1u);
  const auto s = r.stats();
  EXPECT_EQ(s.in_flight, 0u);
  EXPECT_EQ(s.pending, 0u);
  EXPECT_EQ(s.barriers_confirmed, 1u);
  EXPECT_EQ(pump(r, m, 2), 0u);  // not yet swept: the grace period
  EXPECT_EQ(pump(r, m, 1 + Vl2Reconciler::kSweepGraceMs), 2u);  // SWEEP + barrier
  EXPECT_EQ(m.types[m.types.size() - 2], FLATNET_IPC_CMD_VL2_SWEEP);
  EXPECT_EQ(r.stats().sweeps, 1u);
  EXPECT_EQ(pump(r, m, 2 + Vl2Reconciler::kSweepGraceMs), 0u);  // settled: one sweep per epoch
  EXPECT_EQ(m.members.size(), 2u);
}

TEST(Vl2Reconciler, RemovesWhatIsNoLongerWanted) {
  Vl2Reconciler r;
  Model m;
  r.set_desired(two_members());
  r.attached();
  pump(r, m, 1);
  Vl2Desired d = two_members();
  d.members.erase(kB);
  d.keys.erase(kB);
  d.macs.erase(0x320000000000ull | kB);
  d.subscribers.clear();
  r.set_desired(d);
  m.types.clear();
  pump(r, m, 2);
  EXPECT_EQ(m.members.count(kB), 0u);
  EXPECT_EQ(m.keys.count(kB), 0u);
  EXPECT_EQ(m.macs.size(), 1u);
  EXPECT_TRUE(m.subs.empty());
  EXPECT_EQ(m.members.count(kA), 1u);
  // Only the differences (and a barrier) went out.
  EXPECT_EQ(m.types.size(), 5u);
}

TEST(Vl2Reconciler, ReattachInstallsEverythingAgain) {
  Vl2Reconciler r;
  Model m;
  r.set_desired(two_members());
  r.attached();
  pump(r, m, 1);
  Model fresh;  // a restarted data plane: empty tables
  r.detached();
  r.attached();
  pump(r, fresh, 2);
  EXPECT_TRUE(fresh.networks.count(kNwid));
  EXPECT_EQ(fresh.members.size(), 2u);
  EXPECT_EQ(fresh.keys.size(), 2u);
  EXPECT_EQ(r.stats().reinstalls, 2u);
  EXPECT_EQ(r.stats().failures, 0u);  // NOT_FOUND of the reset's delete is expected
}

TEST(Vl2Reconciler, SweepWaitsForTheNetworkAndTheGracePeriod) {
  // A control that just started has no config yet: it begins its epoch but
  // sweeps nothing until it has installed what it wants -- the previous
  // control's state keeps bridging meanwhile -- and then only what it did
  // not set again goes.
  Vl2Reconciler r;
  Model m;
  m.epoch = 7;  // a previous control's
  m.networks.insert(kNwid), m.stamps[{0, kNwid}] = 7;
  m.members[0x3333333333ull] = FLATNET_IPC_VL2_MEMBER_PRESENT, m.stamps[{1, 0x3333333333ull}] = 7;
  r.attached();
  EXPECT_EQ(pump(r, m, 1), 2u);  // EPOCH_BEGIN and its barrier only
  EXPECT_EQ(pump(r, m, 10 * Vl2Reconciler::kSweepGraceMs), 0u);  // no network known: no sweep
  EXPECT_EQ(m.members.count(0x3333333333ull), 1u);
  r.set_desired(two_members());
  constexpr uint64_t kKnown = 10 * Vl2Reconciler::kSweepGraceMs;
  pump(r, m, kKnown);  // installed; the grace period starts now
  pump(r, m, kKnown + Vl2Reconciler::kSweepGraceMs - 1);
  EXPECT_EQ(m.members.count(0x3333333333ull), 1u);
  pump(r, m, kKnown + Vl2Reconciler::kSweepGraceMs);
  EXPECT_EQ(m.deletes, 0u);
  EXPECT_EQ(m.members.count(0x3333333333ull), 0u);  // swept
  EXPECT_EQ(m.members.size(), 2u);
  EXPECT_TRUE(m.networks.count(kNwid));
  EXPECT_EQ(r.stats().sweeps, 1u);
}

// Restarted control, different desired set: the new control installs what
// it wants without deleting anything first (no gap for what did not
// change), and after its sweep the data plane holds exactly the new set --
// the key of a member dropped while control was away included (deleted by
// the sweep; the data plane wipes it, tests/unit/tables).
TEST(Vl2Reconciler, RestartWithAnotherDesiredSetLeavesExactlyTheNewSet) {
  constexpr uint64_t kC = 0x3333333333ull;
  Model m;
  {
    Vl2Reconciler old;
    old.set_desired(two_members());
    old.attached();
    pump(old, m, 1);
    pump(old, m, 1 + Vl2Reconciler::kSweepGraceMs);
    ASSERT_EQ(old.stats().sweeps, 1u);
  }  // control stops; B is deauthorized and C joins while it is away
  Vl2Desired d = two_members();
  d.members.erase(kB);
  d.keys.erase(kB);
  d.macs.erase(0x320000000000ull | kB);
  d.members[kC] = FLATNET_IPC_VL2_MEMBER_PRESENT | FLATNET_IPC_VL2_MEMBER_COM_VALID;
  d.keys[kC].key.fill(0xcc);
  Vl2Reconciler r;
  r.set_desired(d);
  r.attached();
  m.types.clear();
  pump(r, m, 100);
  // Installed again, nothing deleted: A (and, until the sweep, B) bridge on.
  EXPECT_EQ(m.deletes, 0u);
  EXPECT_EQ(m.keys.count(kA) + m.keys.count(kB) + m.keys.count(kC), 3u);
  EXPECT_TRUE(m.wiped.empty());
  EXPECT_EQ(std::count(m.types.begin(), m.types.end(), FLATNET_IPC_CMD_VL2_SWEEP), 0);
  pump(r, m, 100 + Vl2Reconciler::kSweepGraceMs);
  EXPECT_EQ(r.stats().sweeps, 1u);
  EXPECT_EQ(m.members, d.members);
  std::set<uint64_t> keys;
  for (const auto& [a, k] : m.keys) keys.insert(a);
  EXPECT_EQ(keys, (std::set<uint64_t>{kA, kC}));
  EXPECT_EQ(m.wiped, std::vector<uint64_t>{kB});
  EXPECT_EQ(m.macs, d.macs);
  EXPECT_EQ(m.subs, d.subscribers);
  EXPECT_TRUE(m.networks.count(kNwid));
}

// A sweep the data plane refuses (another control began an epoch since):
// a new epoch, everything sent again under it, swept again.
TEST(Vl2Reconciler, RefusedSweepBeginsAnotherEpoch) {
  Vl2Reconciler r;
  Model m;
  r.set_desired(two_members());
  r.attached();
  pump(r, m, 1);
  const uint32_t first = r.epoch();
  m.epoch = first + 100;  // someone else's EPOCH_BEGIN
  pump(r, m, 1 + Vl2Reconciler::kSweepGraceMs);
  EXPECT_EQ(r.stats().sweeps, 0u);
  EXPECT_EQ(r.stats().failures, 1u);
  const uint64_t t = 2 + Vl2Reconciler::kSweepGraceMs + Vl2Reconciler::kRetryMs;
  pump(r, m, t);
  EXPECT_NE(r.epoch(), first);
  EXPECT_EQ(m.epoch, r.epoch());
  pump(r, m, t + 1);
  EXPECT_EQ(r.stats().sweeps, 1u);
  EXPECT_EQ(m.members.size(), 2u);
  EXPECT_EQ(m.keys.size(), 2u);
}

// A gateway's other networks: their reconcilers send no epoch command; the
// owner sweeps only once they are synced (or at the deadline).
TEST(Vl2Reconciler, OwnerSweepsForTheOthers) {
  Vl2Reconciler r0, r1;
  r1.set_seq_space(1);
  r1.set_epoch_owner(false);
  Model m;
  r0.set_desired(two_members());
  r0.attached();
  r1.attached();
  EXPECT_TRUE(r1.epoch_begun());
  auto turn = [&](uint64_t now) {
    auto sink = [&](flatnet_ipc_command& c) { return m.take(c); };
    r0.set_others_synced(r1.synced());
    r0.pump(now, sink);
    r1.pump(now, sink);
    auto results = std::move(m.results);
    m.results.clear();
    for (const auto& e : results) (Vl2Reconciler::seq_space(e.seq) == 1 ? r1 : r0).on_result(e, now);
  };
  turn(1);
  turn(1 + Vl2Reconciler::kSweepGraceMs);
  EXPECT_EQ(std::count(m.types.begin(), m.types.end(), FLATNET_IPC_CMD_VL2_EPOCH_BEGIN), 1);
  EXPECT_EQ(r0.stats().sweeps, 0u);  // r1 has no network yet
  Vl2Desired d1 = two_members();
  d1.settings.nwid = kNwid + 1;
  d1.keys.clear();
  r1.set_desired(d1);
  turn(2 + Vl2Reconciler::kSweepGraceMs);
  turn(3 + Vl2Reconciler::kSweepGraceMs);
  EXPECT_EQ(r0.stats().sweeps, 1u);
  EXPECT_TRUE(m.networks.count(kNwid) && m.networks.count(kNwid + 1));
  EXPECT_EQ(m.keys.size(), 2u);
  // Without r1 ever synced, the owner would still have swept at the deadline.
  Vl2Reconciler lone;
  Model m2;
  lone.set_desired(two_members());
  lone.set_others_synced(false);
  lone.attached();
  pump(lone, m2, 1);
  pump(lone, m2, 1 + Vl2Reconciler::kSweepGraceMs);
  EXPECT_EQ(lone.stats().sweeps, 0u);
  pump(lone, m2, 1 + Vl2Reconciler::kSweepDeadlineMs);
  EXPECT_EQ(lone.stats().sweeps, 1u);
}

TEST(Vl2Reconciler, FullRingResumesWhereItStopped) {
  Vl2Reconciler r;
  Model m;
  m.room = 3;
  r.set_desired(two_members());
  r.attached();
  for (uint64_t t = 1; t < 20; ++t) {
    pump(r, m, t);
    m.room = 3;
  }
  EXPECT_EQ(m.members.size(), 2u);
  EXPECT_EQ(m.subs.size(), 1u);
  EXPECT_GT(r.stats().ring_full, 0u);
  EXPECT_EQ(r.stats().pending, 0u);
}

TEST(Vl2Reconciler, RefusedCommandIsRetriedAfterADelay) {
  Vl2Reconciler r;
  Model m;
  m.refuse_type = FLATNET_IPC_CMD_VL2_MEMBER_SET;
  r.set_desired(two_members());
  r.attached();
  pump(r, m, 1);
  EXPECT_EQ(m.members.size(), 1u);
  EXPECT_EQ(r.stats().failures, 1u);
  EXPECT_EQ(pump(r, m, 2), 0u);  // backing off
  pump(r, m, 2 + Vl2Reconciler::kRetryMs);
  EXPECT_EQ(m.members.size(), 2u);
}

TEST(Vl2Reconciler, ChangedSettingsAreSentAgain) {
  Vl2Reconciler r;
  Model m;
  r.set_desired(two_members());
  r.attached();
  pump(r, m, 1);
  Vl2Desired d = two_members();
  d.settings.multicast_limit = 7;
  r.set_desired(d);
  m.types.clear();
  pump(r, m, 2);
  ASSERT_FALSE(m.types.empty());
  EXPECT_EQ(m.types.front(), FLATNET_IPC_CMD_VL2_NETWORK_SET);
  EXPECT_EQ(m.types[1], FLATNET_IPC_CMD_VL2_RULES_CHUNK);
}

// Two bridged networks (802.1Q-mapped): one reconciler each, in seq spaces
// 0 and 1; each RESULT routed by its space confirms only its own batch, and
// the second network's keys stay with the first (it is given none).
TEST(Vl2Reconciler, TwoNetworksInTheirOwnSeqSpaces) {
  Vl2Reconciler r0, r1;
  r1.set_seq_space(1);
  Model m;
  r0.set_desired(two_members());
  Vl2Desired d1 = two_members();
  d1.settings.nwid = kNwid + 1;
  d1.keys.clear();
  r1.set_desired(d1);
  r0.attached();
  r1.attached();
  auto sink = [&](flatnet_ipc_command& c) { return m.take(c); };
  r0.pump(1, sink);
  r1.pump(1, sink);
  std::set<uint32_t> seqs;
  const size_t results = m.results.size();  // the resets' quiet deletes and the two barriers
  for (const auto& e : m.results) {
    EXPECT_TRUE(Vl2Reconciler::owns(e.seq));
    seqs.insert(e.seq);
    (Vl2Reconciler::seq_space(e.seq) == r1.seq_space_of() ? r1 : r0).on_result(e, 1);
  }
  EXPECT_EQ(seqs.size(), results);  // no seq used by both
  EXPECT_EQ(r0.stats().barriers_confirmed, 1u);
  EXPECT_EQ(r1.stats().barriers_confirmed, 1u);
  EXPECT_EQ(r0.stats().in_flight + r1.stats().in_flight, 0u);
  EXPECT_TRUE(m.networks.count(kNwid) && m.networks.count(kNwid + 1));
  EXPECT_EQ(m.keys.size(), 2u);  // installed once, by the first
}

}  // namespace
}  // namespace flatnet::control::boundary

namespace flatnet::control::boundary {
namespace {

// The caps/tags part (vl2_reconciler_creds.cpp): ours (key 0) and a member's
// sent as CREDS_CHUNK pieces, nothing again when unchanged, a change sent
// again, a member's dropped with CREDS_DELETE, all re-sent after an attach.
TEST(Vl2ReconcilerCreds, SentChangedDeletedAndReinstalled) {
  auto count = [](const Model& m, uint16_t type) { return std::count(m.types.begin(), m.types.end(), type); };
  Vl2Reconciler r;
  Model m;
  Vl2Desired d = two_members();
  ipc::vl2::Credentials ours;
  ours.tags = {{1, 10}, {2, 20}};
  ours.caps.push_back({7, std::vector<uint8_t>(40, 0x01)});  // 40 bytes: two chunks with the tags
  ipc::vl2::Credentials theirs;
  theirs.tags = {{1, 11}};
  d.creds[0] = ours;
  d.creds[kA] = theirs;
  r.set_desired(d);
  r.attached();
  pump(r, m, 1);
  const auto first = count(m, FLATNET_IPC_CMD_VL2_CREDS_CHUNK);
  EXPECT_EQ(first, long(ipc::vl2::creds(kNwid, 0, ours).size() + ipc::vl2::creds(kNwid, kA, theirs).size()));
  EXPECT_EQ(r.stats().pending, 0u);
  pump(r, m, 2);
  EXPECT_EQ(count(m, FLATNET_IPC_CMD_VL2_CREDS_CHUNK), first);  // unchanged: nothing
  d.creds[kA].tags[0].value = 12;
  r.set_desired(d);
  pump(r, m, 3);
  EXPECT_EQ(count(m, FLATNET_IPC_CMD_VL2_CREDS_CHUNK), first + 1);  // only the changed one
  d.creds.erase(kA);
  r.set_desired(d);
  pump(r, m, 4);
  EXPECT_EQ(count(m, FLATNET_IPC_CMD_VL2_CREDS_DELETE), 1);
  m.types.clear();
  r.attached();
  pump(r, m, 5);
  EXPECT_EQ(count(m, FLATNET_IPC_CMD_VL2_CREDS_CHUNK), long(ipc::vl2::creds(kNwid, 0, ours).size()));
}

// A refused CREDS_CHUNK is forgotten as installed and sent again after the delay.
TEST(Vl2ReconcilerCreds, RefusedIsRetried) {
  Vl2Reconciler r;
  Model m;
  Vl2Desired d = two_members();
  d.creds[kB].tags = {{3, 4}};
  r.set_desired(d);
  r.attached();
  m.refuse_type = FLATNET_IPC_CMD_VL2_CREDS_CHUNK;
  pump(r, m, 1);
  EXPECT_EQ(r.stats().failures, 1u);
  EXPECT_EQ(r.stats().pending, 1u);
  m.types.clear();
  pump(r, m, 1 + Vl2Reconciler::kRetryMs);
  EXPECT_EQ(std::count(m.types.begin(), m.types.end(), FLATNET_IPC_CMD_VL2_CREDS_CHUNK), 1);
  EXPECT_EQ(r.stats().pending, 0u);
}

// A member owning more than the data plane holds (65 IPv4 addresses) is not
// installed: counted once, its old credentials deleted, said in the log;
// within the bound again, it is sent.
TEST(Vl2ReconcilerCreds, OverTheBoundsRefusedAndCounted) {
  std::vector<std::string> lines;
  Vl2Reconciler r([&](const std::string& l) { lines.push_back(l); });
  Model m;
  Vl2Desired d = two_members();
  for (unsigned i = 0; i <= FLATNET_IPC_VL2_CREDS_MAX_OWNED; ++i) d.creds[kA].ips4.push_back({10, 0, 0, uint8_t(i)});
  r.set_desired(d);
  r.attached();
  pump(r, m, 1);
  EXPECT_EQ(r.stats().creds_refused, 1u);
  EXPECT_EQ(std::count(m.types.begin(), m.types.end(), FLATNET_IPC_CMD_VL2_CREDS_CHUNK), 0);
  EXPECT_EQ(std::count(m.types.begin(), m.types.end(), FLATNET_IPC_CMD_VL2_CREDS_DELETE), 1);
  EXPECT_TRUE(std::any_of(lines.begin(), lines.end(),
                          [](const std::string& l) { return l.find("65/0/0 owned") != std::string::npos; }));
  pump(r, m, 2);
  EXPECT_EQ(r.stats().creds_refused, 1u);  // once per change, not per pump
  d.creds[kA].ips4.pop_back();
  r.set_desired(d);
  pump(r, m, 3);
  EXPECT_GE(std::count(m.types.begin(), m.types.end(), FLATNET_IPC_CMD_VL2_CREDS_CHUNK), 1);
  EXPECT_EQ(r.stats().creds_refused, 1u);
}

}  // namespace
}  // namespace flatnet::control::boundary
