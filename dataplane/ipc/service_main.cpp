// The main lcore's half of the segment: notice controls come and go, apply
// commands to the peer table (the table's only writer), stream resync
// dumps, age paths, and hand injected packets to the data plane.
#include <signal.h>

#include <cerrno>

#include "dataplane/ipc/service_impl.hpp"
#include "dataplane/tables/peer_table.hpp"

namespace flatnet::ipc {

namespace {

constexpr uint64_t kPresenceIntervalNs = 20'000'000;  // 20 ms
constexpr uint64_t kExpireIntervalNs = 100'000'000;   // 100 ms
constexpr unsigned kExpirePerRound = 256;
constexpr unsigned kDumpPerRound = 256;
constexpr unsigned kResultReserve = 16;  // event room kept for RESULTs during a dump

bool pid_alive(uint32_t pid) { return pid != 0 && (kill(pid_t(pid), 0) == 0 || errno == EPERM); }

flatnet_ipc_event result(const flatnet_ipc_command& c, flatnet_ipc_status st, uint64_t now) {
  flatnet_ipc_event e{};
  e.type = FLATNET_IPC_EV_RESULT;
  e.seq = c.seq;
  e.time_ns = now;
  e.addr = c.addr;
  e.status = st;
  e.count = c.type;
  return e;
}

}  // namespace

Service::PollResult Service::poll_main(tables::PeerTable& table, uint64_t now_ns,
                                       const std::function<bool(const Inject&)>& sink,
                                       unsigned max_commands, unsigned max_injects) {
  Impl& im = *impl_;
  PollResult r;
  const unsigned mc = main_channel();
  flatnet_ipc_main_counters& k = hdr_->main_counters;

  // ---- is a control attached? -------------------------------------------
  // The client publishes control_pid last (release), so a pid we read comes
  // with its epoch. A pid that no longer exists is a control that crashed.
  // Checked every kPresenceIntervalNs, and at once when commands arrive
  // while we think nobody is there (their RESULTs must not be dropped).
  bool present = control_present();
  if (now_ns >= im.next_presence_ns || (!present && !rte_ring_empty(im.command))) {
    im.next_presence_ns = now_ns + kPresenceIntervalNs;
    uint32_t pid = __atomic_load_n(&hdr_->control.control_pid, __ATOMIC_ACQUIRE);
    uint32_t epoch = __atomic_load_n(&hdr_->control.attach_epoch, __ATOMIC_RELAXED);
    bool alive = pid_alive(pid);
    if (pid != 0 && (pid != im.seen_pid || epoch != im.seen_epoch) && alive) seg::bump(&k.control_attaches);
    if (im.seen_pid != 0 && pid == im.seen_pid && epoch == im.seen_epoch && !alive)
      seg::bump(&k.control_losses);
    im.seen_pid = alive ? pid : 0;
    im.seen_epoch = epoch;
    // relaxed: workers only use this to decide whether to queue or count.
    // Stored only on change so the line workers read stays shared-clean.
    if (alive != present) __atomic_store_n(&hdr_->control_present, uint32_t(alive), __ATOMIC_RELAXED);
    if (!alive) im.dumping = false;  // nobody to dump to
  }

  // ---- resync dump in progress: continue it, commands wait ----------------
  if (im.dumping) {
    unsigned room = event_room(mc);
    unsigned budget = room > kResultReserve ? room - kResultReserve : 0;
    if (budget > kDumpPerRound) budget = kDumpPerRound;
    bool more = table.dump(&im.dump_cursor, budget, [&](const tables::PeerPath& e) {
      flatnet_ipc_event ev{};
      ev.type = FLATNET_IPC_EV_PEER;
      ev.seq = im.dump_seq;
      ev.addr = e.addr;
      ev.path = e.path;
      ev.time_ns = e.last_rx_ns.load(std::memory_order_relaxed);
      if (!event(mc, ev)) return false;
      ++im.dump_count;
      ++r.events;
      return true;
    });
    if (!more) {
      flatnet_ipc_event end{};
      end.type = FLATNET_IPC_EV_RESYNC_END;
      end.seq = im.dump_seq;
      end.time_ns = now_ns;
      end.count = im.dump_count;
      if (event(mc, end)) ++r.events;
      im.dumping = false;
    }
  }

  // ---- commands ------------------------------------------------------------
  while (!im.dumping && r.commands < max_commands) {
    flatnet_ipc_command c;
    if (im.have_pending) {
      c = im.pending;
    } else if (rte_ring_dequeue_elem(im.command, &c, sizeof c) != 0) {
      break;
    }
    im.have_pending = false;
    if (c.type == FLATNET_IPC_CMD_RESYNC) {
      if (event_room(mc) < 4 + kResultReserve) {  // wait for control to drain events
        im.pending = c;
        im.have_pending = true;
        break;
      }
      seg::bump(&k.resyncs);
      seg::bump(&k.commands_ok);
      ++r.commands;
      im.dumping = true;
      im.dump_cursor = 0;
      im.dump_seq = c.seq;
      im.dump_count = 0;
      flatnet_ipc_event b{};
      b.type = FLATNET_IPC_EV_RESYNC_BEGIN;
      b.seq = c.seq;
      b.time_ns = now_ns;
      b.count = table.size();
      if (event(mc, b)) ++r.events;
      // Config first, so control knows relay state and sibling before peers.
      flatnet_ipc_event cfg{};
      cfg.type = FLATNET_IPC_EV_CONFIG;
      cfg.seq = c.seq;
      cfg.status = FLATNET_IPC_CFG_RELAY;
      cfg.addr = table.relay_enabled();
      if (event(mc, cfg)) ++r.events;
      cfg.status = FLATNET_IPC_CFG_SIBLING_ROOT;
      const tables::PeerPath* sib = table.sibling();
      cfg.addr = sib != nullptr;
      cfg.path = sib ? sib->path : flatnet_ipc_phys_addr{};
      if (event(mc, cfg)) ++r.events;
      cfg.status = FLATNET_IPC_CFG_PATH_MAX_IDLE_MS;
      cfg.addr = table.path_max_idle_ms();
      cfg.path = flatnet_ipc_phys_addr{};
      if (event(mc, cfg)) ++r.events;
      break;  // the dump streams from the next round on
    }
    flatnet_ipc_status st = table.apply(c);
    if (st == FLATNET_IPC_E_BUSY) {  // retired entries not yet reclaimable
      im.pending = c;
      im.have_pending = true;
      break;
    }
    ++r.commands;
    seg::bump(st == FLATNET_IPC_OK ? &k.commands_ok : &k.commands_failed);
    if (st != FLATNET_IPC_OK || (c.flags & FLATNET_IPC_CMD_F_ACK))
      if (event(mc, result(c, st, now_ns))) ++r.events;
  }

  table.reclaim();

  // ---- ageing ----------------------------------------------------------------
  if (table.path_max_idle_ms() && now_ns >= im.next_expire_ns && !im.dumping) {
    im.next_expire_ns = now_ns + kExpireIntervalNs;
    table.expire(now_ns, &im.expire_cursor, kExpirePerRound, [&](const tables::PeerPath& e) {
      flatnet_ipc_event ev{};
      ev.type = FLATNET_IPC_EV_PATH_EXPIRED;
      ev.time_ns = e.last_rx_ns.load(std::memory_order_relaxed);
      ev.addr = e.addr;
      ev.path = e.path;
      if (event(mc, ev)) ++r.events;
    });
  }

  // ---- injects ---------------------------------------------------------------
  uint32_t idx[32];
  unsigned want = max_injects < 32 ? max_injects : 32;
  unsigned n = rte_ring_dequeue_burst_elem(im.inject, idx, sizeof idx[0], want, nullptr);
  for (unsigned i = 0; i < n; ++i) {
    if (idx[i] >= hdr_->inject_slot_count) {  // not a slot: nothing to give back
      seg::bump(&k.injects_bad);
      continue;
    }
    uint8_t* s = seg::slot(im.base, hdr_->inject_slots_offset, hdr_->slot_size, idx[i]);
    flatnet_ipc_slot_meta* m = seg::slot_meta(s);
    uint32_t len = m->len;
    if (len == 0) {
      // A slot handed back by a newly attached control (docs/ipc-abi.md
      // "Restart"): not a packet, not an error.
    } else if (len > im.slot_data) {
      seg::bump(&k.injects_bad);
    } else if (sink(Inject{seg::slot_data(s), len, m->addr})) {
      seg::bump(&k.injects_ok);
      ++r.injects;
    } else {
      seg::bump(&k.injects_no_mbuf);
    }
    seg::set_slot_state(m, FLATNET_IPC_SLOT_FREE);
    rte_ring_enqueue_elem(im.inject_free, &idx[i], sizeof idx[i]);
  }
  return r;
}

}  // namespace flatnet::ipc
