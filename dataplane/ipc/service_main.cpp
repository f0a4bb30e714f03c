// The main lcore's half of the segment: notice controls come, go and
// misbehave, start a session for each new one, apply commands to the peer
// table (the table's only writer), stream resync dumps, age paths, and hand
// injected packets to the data plane.
#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "dataplane/ipc/service_impl.hpp"
#include "dataplane/ipc/stats_block.hpp"
#include "dataplane/tables/peer_table.hpp"

namespace flatnet::ipc {

namespace {

constexpr uint64_t kPresenceIntervalNs = 20'000'000;  // 20 ms
// Sessions start at most this often: a control that keeps rewriting
// attach_epoch gets a new session (and a header and counters repair) ten
// times a second, not on every poll.
constexpr uint64_t kAcceptIntervalNs = 100'000'000;   // 100 ms
constexpr uint64_t kExpireIntervalNs = 100'000'000;   // 100 ms
constexpr unsigned kExpirePerRound = 256;
constexpr unsigned kDumpPerRound = 256;
constexpr unsigned kResultReserve = 16;  // event room kept for RESULTs during a dump

// Tests over a heap buffer (no file, control in this process): the pid
// from the segment; only a positive one names one process (kill(-1, 0)
// would ask about every process we may signal).
bool pid_alive(uint32_t pid) {
  return int32_t(pid) > 0 && (kill(pid_t(pid), 0) == 0 || errno == EPERM);
}

// count is the command type, except for a barrier (a NOP with ACK), whose
// type its seq already implies: there it is the number of RESULT and
// PATH_EXPIRED events this lcore failed to queue since the previous barrier
// (abi.h, the event table).
flatnet_ipc_event result(const flatnet_ipc_command& c, flatnet_ipc_status st, uint64_t now,
                         uint32_t dropped) {
  flatnet_ipc_event e{};
  e.type = FLATNET_IPC_EV_RESULT;
  e.seq = c.seq;
  e.time_ns = now;
  e.addr = c.addr;
  e.status = st;
  const bool barrier = c.type == FLATNET_IPC_CMD_NOP && (c.flags & FLATNET_IPC_CMD_F_ACK);
  e.count = barrier ? dropped : c.type;
  return e;
}

// Copy [from, from + n) of src over dst where they differ (a repair writes
// only what a control changed, so a sane header stays clean in every cache).
void restore(void* dst, const void* src, size_t n) {
  if (memcmp(dst, src, n) != 0) memcpy(dst, src, n);
}

}  // namespace

// The fields the data plane wrote once (identity, geometry, instance, the
// counters block's descriptor) as it wrote them: a control may have
// scribbled over them, and the next control must find a header it accepts.
void Service::repair_header() {
  Impl& im = *impl_;
  flatnet_ipc_header want = im.layout;
  want.state = FLATNET_IPC_STATE_READY;
  want.control_present = control_present() ? 1 : 0;
  auto span = [&](size_t from, size_t to) {
    restore(reinterpret_cast<uint8_t*>(hdr_) + from, reinterpret_cast<const uint8_t*>(&want) + from,
            to - from);
  };
  span(0, offsetof(flatnet_ipc_header, control));                  // lines 0 and 1
  span(offsetof(flatnet_ipc_header, channels), offsetof(flatnet_ipc_header, channel_counters));
  span(offsetof(flatnet_ipc_header, instance), offsetof(flatnet_ipc_header, channel_ready));
}

void Service::end_session() {
  Impl& im = *impl_;
  // release: producers that see 0 stop queueing; nothing else is published.
  im.present.store(0, std::memory_order_release);
  __atomic_store_n(&hdr_->control_present, 0u, __ATOMIC_RELAXED);  // mirror for tools
  __atomic_store_n(&hdr_->accepted_epoch, 0u, __ATOMIC_RELEASE);
  im.dumping = false;  // nobody to dump to; a pending command waits for the next session
}

// The counters block as the data plane last wrote it: names as defined,
// values as last published (a control may have scribbled over both).
void Service::repair_stats() {
  Impl& im = *impl_;
  std::string err;
  if (im.stats_defined && stats::define(im.stats_block, im.stats_desc, im.stats_names, &err))
    stats::publish(im.stats_block, im.stats_desc, im.stats_rows.data(),
                   uint32_t(im.stats_names.size()), im.stats_last_ns);
}

// A control wrote something impossible: stop trusting it, put back what it
// may have broken for the next one.
void Service::drop_control() {
  Impl& im = *impl_;
  seg::bump(&hdr_->controls_dropped);
  end_session();
  im.serving = false;
  repair_header();
  repair_stats();
}

// A new control (a new epoch, its pid alive): start a session. Our ends of the main
// rings go to 0 (the control put its own there before it registered), every
// inject slot is free and offered to it on inject_free, then the session
// word is published for the channels and this lcore sets up its own one.
void Service::accept_control(uint32_t epoch) {
  Impl& im = *impl_;
  repair_header();
  repair_stats();
  im.command.reset(0);
  im.inject.reset(0);
  im.inject_free.reset(0);
  for (uint32_t i = 0; i < im.inject_count; ++i) {
    // relaxed: the ring's prod/cons (acquire/release) order the entry
    __atomic_store_n(im.inject_free.entry<uint32_t>(i), i, __ATOMIC_RELAXED);
    im.inject_held[i] = 1;
  }
  im.inject_free.publish(im.inject_count);
  ++im.session_n;
  const uint64_t w = (uint64_t(im.session_n) << 32) | epoch;
  // release: pairs with the channels' acquire load in sync_channel.
  im.session.store(w, std::memory_order_release);
  sync_channel(main_channel());
  im.have_pending = false;
  im.dumping = false;
  im.events_dropped = 0;
  im.serving = true;
  // release: pairs with control_present()'s acquire in the producers.
  im.present.store(1, std::memory_order_release);
  __atomic_store_n(&hdr_->control_present, 1u, __ATOMIC_RELAXED);  // mirror for tools
  // release: a control that reads its epoch here finds its session set up.
  __atomic_store_n(&hdr_->accepted_epoch, epoch, __ATOMIC_RELEASE);
  seg::bump(&hdr_->main_counters.control_attaches);
}

void Service::track_control(uint64_t now_ns) {
  Impl& im = *impl_;
  // A channel (or this lcore) found a ring counter of this session's control
  // impossible: that control is done.
  if (control_present()) {
    const uint64_t w = im.session.load(std::memory_order_relaxed);  // our own store
    for (unsigned c = 0; c < im.n_channels; ++c)
      // acquire: pairs with the release store in channel_corrupt.
      if (im.ch[c].corrupt.load(std::memory_order_acquire) == w) {
        drop_control();
        break;
      }
  }
  // The client stores its pid and zeroes its ring counters, then its new
  // epoch (release): this acquire load pairs with it, so a new epoch comes
  // with its pid and counters. Epoch 0 is a control in the middle of
  // attaching. Both are only hints for noticing a change; a new session is
  // what makes them matter.
  const uint32_t epoch = __atomic_load_n(&hdr_->control.attach_epoch, __ATOMIC_ACQUIRE);
  const uint32_t pid = __atomic_load_n(&hdr_->control.control_pid, __ATOMIC_RELAXED);
  const bool same = pid == im.acc_pid && epoch == im.acc_epoch;
  if (same && now_ns < im.next_presence_ns) return;
  im.next_presence_ns = now_ns + kPresenceIntervalNs;
  // A control is alive while it holds its lock on byte 1 of the file (the
  // kernel drops it when it dies); the pid is asked only without a file.
  const bool alive = im.fd >= 0 ? seg::ctl_lock_held(im.fd) : pid_alive(pid);
  if (same) {
    if (control_present() && !alive) {  // it died without detaching
      seg::bump(&hdr_->main_counters.control_losses);
      end_session();
    }
    // Keep the header fit for the next control (a cheap compare when sane).
    repair_header();
    return;
  }
  // Another control (or none) registered since we last looked.
  if (control_present()) end_session();
  if (pid != 0 && epoch != 0 && alive && now_ns < im.next_accept_ns) return;  // later
  im.acc_pid = pid;
  im.acc_epoch = epoch;
  if (pid != 0 && epoch != 0 && alive) {
    im.next_accept_ns = now_ns + kAcceptIntervalNs;
    accept_control(epoch);
  } else {
    repair_header();
  }
}

Service::PollResult Service::poll_main(tables::PeerTable& table, uint64_t now_ns,
                                       const std::function<int(const Inject&)>& sink,
                                       unsigned max_commands, unsigned max_injects, const CommandHook* vl2) {
  Impl& im = *impl_;
  PollResult r;
  const unsigned mc = main_channel();
  flatnet_ipc_main_counters& k = hdr_->main_counters;

  track_control(now_ns);
  const bool present = control_present();
  if (present) sync_channel(mc);
  // A ring counter of control was impossible (the control line checked
  // like channel_corrupt does); the next track_control drops it.
  auto corrupt = [&] { channel_corrupt(mc); };

  // ---- resync dump in progress: continue it, commands wait ----------------
  // Each round sends what the event ring has room for (keeping some for
  // RESULTs) and the table's cursor stays on the first peer not sent, so a
  // full ring only pauses the dump.
  if (present && im.dumping) {
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
    if (!more && event_room(mc) > 0) {
      flatnet_ipc_event end{};
      end.type = FLATNET_IPC_EV_RESYNC_END;
      end.seq = im.dump_seq;
      end.time_ns = now_ns;
      end.count = im.dump_count;
      if (event(mc, end)) {
        ++r.events;
        im.dumping = false;
      }
    }
  }

  // ---- commands ------------------------------------------------------------
  // Injects a control queued are served until the next session starts, even
  // if it has exited since (its last packets still go out); its commands
  // wait for event room, which only a present control has. Neither is
  // served after it was dropped for corrupting the segment, nor once
  // another control began attaching (attach_epoch no longer the session's,
  // 0 included): what is in the rings then may be the new control's early
  // commands, which belong to its own session.
  const uint32_t live_epoch = __atomic_load_n(&hdr_->control.attach_epoch, __ATOMIC_ACQUIRE);
  const uint32_t session_epoch = uint32_t(im.session.load(std::memory_order_relaxed));
  const bool serving = im.serving && im.ch[mc].trusted && live_epoch == session_epoch;
  uint32_t queued = 0;
  if (serving && !im.have_pending && !im.command.avail(&queued)) corrupt();
  while (serving && im.ch[mc].trusted && !im.dumping && r.commands < max_commands) {
    flatnet_ipc_command c;
    if (im.have_pending) {
      c = im.pending;
      explicit_bzero(&im.pending, sizeof im.pending);  // a key is kept in c only
    } else if (queued > 0) {
      const flatnet_ipc_command* slot = im.command.entry<flatnet_ipc_command>(0);
      memcpy(&c, slot, sizeof c);  // one copy, then ours
      // A key leaves the shared ring at once: the entry is still the
      // consumer's (not yet handed back by consume), so wiping it races
      // with nothing the producer does.
      if (c.type == FLATNET_IPC_CMD_VL2_PEER_KEY_SET)
        explicit_bzero(const_cast<flatnet_ipc_command*>(slot), sizeof *slot);
      im.command.consume(1);
      --queued;
    } else {
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
      // Config first, so control knows relay state and sibling before
      // peers: status = key, addr = value (abi.h, the event table).
      flatnet_ipc_event cfg{};
      cfg.type = FLATNET_IPC_EV_CONFIG;
      cfg.seq = c.seq;
      cfg.time_ns = now_ns;
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
    // A command is applied only when its RESULT (a refusal may have one
    // whatever the flags) is sure to fit, beside the reserve a dump keeps:
    // a refusal control never hears of would be confirmed by its next
    // barrier. Until then it waits, like a RESYNC does.
    if (event_room(mc) < 1 + kResultReserve) {
      im.pending = c;
      im.have_pending = true;
      break;
    }
    const bool is_vl2 = c.type >= FLATNET_IPC_CMD_VL2_FIRST && c.type <= FLATNET_IPC_CMD_VL2_LAST;
    flatnet_ipc_status st = !is_vl2 ? table.apply(c) : vl2 ? (*vl2)(c) : FLATNET_IPC_E_UNKNOWN_COMMAND;
    if (st == FLATNET_IPC_E_BUSY) {  // retired entries not yet reclaimable
      im.pending = c;
      im.have_pending = true;
      explicit_bzero(&c, sizeof c);
      break;
    }
    ++r.commands;
    seg::bump(st == FLATNET_IPC_OK ? &k.commands_ok : &k.commands_failed);
    if (st != FLATNET_IPC_OK || (c.flags & FLATNET_IPC_CMD_F_ACK)) {
      const bool barrier = c.type == FLATNET_IPC_CMD_NOP && (c.flags & FLATNET_IPC_CMD_F_ACK);
      if (event(mc, result(c, st, now_ns, im.events_dropped))) {
        ++r.events;
        if (barrier) im.events_dropped = 0;  // reported
      } else {
        ++im.events_dropped;
      }
    }
    if (c.type == FLATNET_IPC_CMD_VL2_PEER_KEY_SET) explicit_bzero(&c, sizeof c);
  }

  table.reclaim();

  // ---- ageing ----------------------------------------------------------------
  if (table.path_max_idle_ms() && now_ns >= im.next_expire_ns && !im.dumping) {
    im.next_expire_ns = now_ns + kExpireIntervalNs;
    // A path is deleted only once control was told (or there is no control:
    // the next one learns the table from its RESYNC). A full ring stops the
    // sweep on that path until the next round.
    table.expire(now_ns, &im.expire_cursor, kExpirePerRound, [&](const tables::PeerPath& e) {
      if (!control_present()) return true;
      flatnet_ipc_event ev{};
      ev.type = FLATNET_IPC_EV_PATH_EXPIRED;
      ev.time_ns = e.last_rx_ns.load(std::memory_order_relaxed);
      ev.addr = e.addr;
      ev.path = e.path;
      if (event_room(mc) <= kResultReserve || !event(mc, ev)) return false;
      ++r.events;
      return true;
    });
  }

  // ---- injects ---------------------------------------------------------------
  // Every index is bounded by our own slot count and must name a slot we
  // handed to control; the length is clamped to our own slot size.
  uint32_t n = 0;
  if (!serving || !im.ch[mc].trusted) return r;
  if (!im.inject.avail(&n)) {
    corrupt();
    return r;
  }
  n = std::min(n, std::min(max_injects, 32u));
  uint32_t back[32];
  uint32_t nb = 0;
  for (uint32_t i = 0; i < n; ++i) {
    // relaxed: the ring's prod/cons (acquire/release) order the entry
    const uint32_t idx = __atomic_load_n(im.inject.entry<uint32_t>(i), __ATOMIC_RELAXED);
    if (idx >= im.inject_count) {
      seg::bump(&k.injects_bad);
      continue;
    }
    if (!im.inject_held[idx]) {  // queued twice, or never given out
      seg::bump(&hdr_->channel_trust[mc].slot_bad);
      continue;
    }
    im.inject_held[idx] = 0;
    back[nb++] = idx;
    const uint64_t so = seg::slot_offset(im.inject_offset, im.slot_size, idx);
    const flatnet_ipc_slot_meta* m = im.view.at<flatnet_ipc_slot_meta>(so);
    // Read once (relaxed: only its value matters, and it is clamped):
    // control may change the slot while we look at it.
    const uint32_t len = __atomic_load_n(&m->len, __ATOMIC_RELAXED);
    flatnet_ipc_phys_addr dst;
    memcpy(&dst, &m->addr, sizeof dst);
    if (len == 0 || len > im.slot_data) {
      seg::bump(&k.injects_bad);
    } else {
      const int v = sink(Inject{im.view.at<uint8_t>(so + FLATNET_IPC_SLOT_META_SIZE, len), len, dst});
      ++r.injects;
      if (v == kInjectTaken) seg::bump(&k.injects_ok);
      else if (v == kInjectNoRoom) seg::bump(&k.injects_no_mbuf);
      // kInjectRefused: the sink counted it
    }
  }
  im.inject.consume(n);
  // Hand the slots back. inject_free never holds more than the slots we gave
  // out, so it has room unless control's counter is wrong.
  uint32_t room = 0;
  if (!im.inject_free.room(&room)) {
    corrupt();
    return r;
  }
  if (room < nb) {  // only a control that lies about what it took gets here
    seg::bump(&hdr_->channel_trust[mc].slot_bad, nb - room);
    nb = room;  // the rest come back with the next session
  }
  for (uint32_t i = 0; i < nb; ++i) {
    // relaxed: the ring's prod/cons (acquire/release) order the entry
    __atomic_store_n(im.inject_free.entry<uint32_t>(i), back[i], __ATOMIC_RELAXED);
    im.inject_held[back[i]] = 1;
  }
  if (nb) im.inject_free.publish(nb);
  return r;
}

}  // namespace flatnet::ipc
