// The data plane's peer table as a reconciled state. See table_reconciler.hpp.
#include "control/boundary/table_reconciler.hpp"

#include <algorithm>
#include <cstring>

#include "dataplane/wire/hex.hpp"

namespace flatnet::control::boundary {

namespace {

// Serial-number order of 32-bit sequence numbers (they wrap).
bool seq_before(uint32_t a, uint32_t b) { return int32_t(a - b) < 0; }

}  // namespace

TableReconciler::TableReconciler(Logger log) : log_(std::move(log)) {}

uint32_t TableReconciler::next_seq() {
  if (++seq_ == 0) ++seq_;  // 0 is what commands without an answer carry
  return seq_;
}

// At most kLogLines lines per kLogWindowMs: a flood of refusals is a count
// in /metrics, not a flood in the log.
void TableReconciler::log(uint64_t now, const std::string& line) {
  if (!log_) return;
  if (now >= log_window_ + kLogWindowMs) {
    log_window_ = now;
    log_lines_ = 0;
  }
  if (log_lines_ >= kLogLines) return;
  ++log_lines_;
  log_(line);
}

TableReconciler::Entry* TableReconciler::find(uint64_t addr) {
  auto it = table_.find(addr);
  return it == table_.end() ? nullptr : &it->second;
}

void TableReconciler::set_state(Entry& e, State s) {
  --counts_[size_t(e.state)];
  ++counts_[size_t(s)];
  e.state = s;
}

TableReconciler::Table::iterator TableReconciler::erase(Table::iterator it) {
  --counts_[size_t(it->second.state)];
  if (!it->second.want && it->first != kSiblingAddr) --deletes_;
  return table_.erase(it);
}

void TableReconciler::enqueue(uint64_t addr, Entry& e) {
  set_state(e, State::kPending);
  if (!e.queued) {
    e.queued = true;
    queue_.push_back(addr);
  }
}

// ---- desired state -----------------------------------------------------------------

void TableReconciler::want_upsert(uint64_t addr, const flatnet_ipc_phys_addr& path) {
  auto [it, fresh] = table_.try_emplace(addr);
  Entry& e = it->second;
  if (fresh) {
    ++counts_[size_t(e.state)];
    e.path = path;
    // A dump is on its way: it says whether the data plane has it already
    // (a restarting control re-learns what the table still holds).
    if (attached_ && (want_dump_ || dumping_)) set_state(e, State::kUnknown);
    else enqueue(addr, e);
    return;
  }
  if (e.want && ipc::same_phys_addr(e.path, path)) {
    // Nothing new. A path refused as bad stays refused until it changes.
    // An aged-out entry is the exception: the core never re-announces an
    // unchanged path, so its wanting it again is the cue to put it back.
    if (e.state == State::kPending) ++st_.coalesced;
    if (e.state == State::kExpired) {
      ++st_.expired_resent;
      enqueue(addr, e);
    }
    return;
  }
  if (e.state == State::kPending) ++st_.coalesced;
  if (!e.want) --deletes_;
  e.want = true;
  e.path = path;
  e.tries = 0;
  if (e.state == State::kUnknown) return;  // the dump decides
  enqueue(addr, e);
}

void TableReconciler::want_delete(uint64_t addr) {
  Entry* e = find(addr);
  if (!e) return;  // never wanted: nothing to undo
  if (!e->want) return;
  if (e->state == State::kPending) ++st_.coalesced;
  e->want = false;
  ++deletes_;
  e->tries = 0;
  // Never sent for this attach (pending and not queued before, or refused
  // as bad): nothing to undo in the data plane... except that a dump may
  // show it, so a delete is sent anyway unless it was rejected.
  if (e->state == State::kRejected) {
    erase(table_.find(addr));
    return;
  }
  if (e->state == State::kUnknown) return;  // the dump decides
  enqueue(addr, *e);
}

void TableReconciler::want_sibling(const std::optional<flatnet_ipc_phys_addr>& path) {
  auto [it, fresh] = table_.try_emplace(kSiblingAddr);
  Entry& e = it->second;
  if (fresh) ++counts_[size_t(e.state)];
  const bool want = path.has_value();
  if (!fresh && e.want == want && (!want || ipc::same_phys_addr(e.path, *path))) return;
  e.want = want;
  e.path = want ? *path : flatnet_ipc_phys_addr{};
  e.tries = 0;
  if (e.state == State::kUnknown && !fresh) return;
  enqueue(kSiblingAddr, e);
}

void TableReconciler::desired_complete(uint64_t now) {
  if (complete_) return;
  complete_ = true;
  stale_after_ = now + kStaleGraceMs;
}

// ---- attach ------------------------------------------------------------------------

void TableReconciler::attached(uint64_t now) {
  attached_ = true;
  in_flight_.clear();
  barriers_.clear();
  since_barrier_ = 0;
  queue_.clear();
  retry_ = {};
  orphans_.clear();
  for (auto it = table_.begin(); it != table_.end();) {
    Entry& e = it->second;
    e.queued = false;
    if (!e.want && it->first != kSiblingAddr) {
      // A delete not yet confirmed: the dump says whether it is needed.
      it = erase(it);
      continue;
    }
    e.tries = 0;
    set_state(e, State::kUnknown);
    ++it;
  }
  want_dump_ = true;
  dumping_ = false;
  dump_begun_ = false;
  dump_.clear();
  dump_sibling_.reset();
  dump_sibling_seen_ = false;
  dump_last_event_ = now;
}

void TableReconciler::detached() {
  attached_ = false;
  want_dump_ = dumping_ = false;
  dump_.clear();
}

// ---- events ------------------------------------------------------------------------

bool TableReconciler::on_event(const flatnet_ipc_event& ev, uint64_t now) {
  switch (ev.type) {
    case FLATNET_IPC_EV_RESULT:
      on_result(ev, now);
      return false;
    case FLATNET_IPC_EV_RESYNC_BEGIN:
      if (!dumping_ || ev.seq != dump_seq_) return false;
      dump_begun_ = true;
      dump_begin_count_ = ev.count;
      dump_last_event_ = now;
      return false;
    case FLATNET_IPC_EV_CONFIG:
      if (!dumping_ || ev.seq != dump_seq_) return false;
      dump_last_event_ = now;
      // The value is in addr (what the data plane writes), the key in status.
      if (ev.status == FLATNET_IPC_CFG_RELAY) st_.dp_relay = ev.addr;
      if (ev.status == FLATNET_IPC_CFG_PATH_MAX_IDLE_MS) st_.dp_path_max_idle_ms = ev.addr;
      if (ev.status == FLATNET_IPC_CFG_SIBLING_ROOT) {
        dump_sibling_seen_ = true;
        if (ev.addr) dump_sibling_ = ev.path;
        else dump_sibling_.reset();
      }
      return false;
    case FLATNET_IPC_EV_PEER:
      if (!dumping_ || ev.seq != dump_seq_) return false;
      dump_last_event_ = now;
      if (dump_.size() < (size_t(1) << 24)) dump_[ev.addr] = ev.path;  // bounded: 16 M
      return false;
    case FLATNET_IPC_EV_RESYNC_END:
      if (!dumping_ || ev.seq != dump_seq_) return false;
      dump_end(dump_begun_ && ev.count == dump_.size() && dump_begin_count_ == dump_.size());
      return true;
    case FLATNET_IPC_EV_UNKNOWN_DEST: {
      // Traffic for an address the data plane has no path for. If control
      // wants it there (it aged out, or a command was lost), send it again;
      // at most once a second per address, whatever the traffic.
      Entry* e = find(ev.addr);
      if (!e || !e->want || ev.addr == kSiblingAddr) {
        ++st_.unknown_dest_unwanted;
        return false;
      }
      // Already on its way, refused as bad, or backing off from a full table.
      if (e->state == State::kPending || e->state == State::kInFlight ||
          e->state == State::kUnknown || e->state == State::kRejected ||
          e->state == State::kBackoff)
        return false;
      if (e->last_unknown && now < e->last_unknown + kUnknownResendMs) return false;
      e->last_unknown = now;
      ++st_.unknown_dest_resent;
      enqueue(ev.addr, *e);
      return false;
    }
    case FLATNET_IPC_EV_PATH_EXPIRED: {
      // Aged out for lack of traffic: not re-installed until traffic asks
      // for it (UNKNOWN_DEST), or the core's path for it changes.
      ++st_.path_expired;
      Entry* e = find(ev.addr);
      if (e && e->want && e->state == State::kConfirmed && ipc::same_phys_addr(e->path, ev.path))
        set_state(*e, State::kExpired);
      return false;
    }
    default:
      return false;  // RELAY_PAIR is the caller's; anything newer is ignored
  }
}

bool TableReconciler::on_heard(uint64_t addr, const flatnet_ipc_phys_addr& path, uint64_t now) {
  // A packet punted from a peer the data plane aged out, over the path
  // control wants for it: the peer is active again, so put it back. Only
  // kExpired qualifies (anything else is on its way or confirmed); at most
  // once per kUnknownResendMs per address, like UNKNOWN_DEST.
  if (addr == kSiblingAddr) return false;
  Entry* e = find(addr);
  if (!e || !e->want || e->state != State::kExpired) return false;
  if (!ipc::same_phys_addr(e->path, path)) return false;
  if (e->last_unknown && now < e->last_unknown + kUnknownResendMs) return false;
  e->last_unknown = now;
  ++st_.heard_resent;
  enqueue(addr, *e);
  return true;
}

void TableReconciler::on_result(const flatnet_ipc_event& ev, uint64_t now) {
  // A barrier's answer (an earlier barrier's may have been lost: this one
  // covers its batch too).
  for (size_t i = 0; i < barriers_.size(); ++i) {
    if (barriers_[i].seq != ev.seq) continue;
    if (ev.count > 0) {
      // The data plane could not queue `count` RESULT/PATH_EXPIRED events
      // since its previous barrier: a refusal or an ageing we never saw
      // would be taken for success. What its table holds is unknown, so
      // read it as on attach (a dump) instead of resolving the batch.
      // (A data plane from before this answer sends the NOP's type, 0.)
      ++st_.barrier_lost_events;
      log(now, "data plane lost " + std::to_string(ev.count) +
                   " table events (its event ring was full): reading its table again");
      attached(now);
      return;
    }
    resolve_barrier(ev.seq);
    barriers_.erase(barriers_.begin(), barriers_.begin() + long(i) + 1);
    return;
  }
  if (ev.status == FLATNET_IPC_OK) return;
  // A refused command: find whose it was (the entry's last command).
  auto it = std::find_if(in_flight_.begin(), in_flight_.end(),
                         [&](const Sent& s) { return s.seq == ev.seq; });
  if (it == in_flight_.end()) return;  // not ours, or already resolved
  Entry* e = find(it->addr);
  if (!e || e->seq != ev.seq || e->state != State::kInFlight) return;
  const uint64_t addr = it->addr;
  switch (ev.status) {
    case FLATNET_IPC_E_NOT_FOUND:
      // A delete of something not there: the wanted state holds.
      if (!e->want) erase(table_.find(addr));
      return;
    case FLATNET_IPC_E_TABLE_FULL:
    case FLATNET_IPC_E_BUSY: {
      if (ev.status == FLATNET_IPC_E_TABLE_FULL) ++st_.failures_table_full;
      else ++st_.failures_other;
      const uint64_t back =
          std::min(kBackoffMaxMs, kBackoffMinMs << std::min<unsigned>(e->tries, 5));
      if (e->tries < 255) ++e->tries;
      // One line when the table fills (no entry was waiting yet), not one per address.
      if (ev.status == FLATNET_IPC_E_TABLE_FULL && counts_[size_t(State::kBackoff)] == 0)
        log(now, "data plane table full at " + wire::hex_address(addr) +
                     ": refused entries are retried with backoff (flatnet_boundary_backoff)");
      e->retry_at = now + back;
      set_state(*e, State::kBackoff);
      retry_.push({e->retry_at, addr});
      return;
    }
    default:
      // BAD_ARGUMENT and the like: sending it again cannot help. Dropped
      // (and logged once) until the core wants something else for it.
      if (ev.status == FLATNET_IPC_E_BAD_ARGUMENT) ++st_.failures_bad_argument;
      else ++st_.failures_other;
      log(now, "data plane refused the table entry for " +
                   (addr == kSiblingAddr ? std::string("the sibling root") : wire::hex_address(addr)) +
                   " (status " + std::to_string(ev.status) + "): dropped");
      if (!e->want) {
        erase(table_.find(addr));
      } else {
        set_state(*e, State::kRejected);
      }
      return;
  }
}

// Every command sent before barrier `seq` has been applied; those not
// refused are in the table.
void TableReconciler::resolve_barrier(uint32_t seq) {
  while (!in_flight_.empty() && seq_before(in_flight_.front().seq, seq)) {
    const Sent s = in_flight_.front();
    in_flight_.pop_front();
    auto it = table_.find(s.addr);
    if (it == table_.end()) continue;
    Entry& e = it->second;
    if (e.seq != s.seq || e.state != State::kInFlight) continue;  // superseded or refused
    if (!e.want && s.addr != kSiblingAddr) {
      erase(it);
    } else {
      e.tries = 0;
      set_state(e, State::kConfirmed);
    }
  }
}

void TableReconciler::dump_end(bool complete) {
  dumping_ = false;
  dump_done_ = true;
  ++st_.dumps;
  if (!complete) ++st_.dumps_incomplete;
  if (!complete)
    log(dump_last_event_, "data plane table dump incomplete (" + std::to_string(dump_.size()) + " of " +
         std::to_string(dump_begin_count_) + " peers): every wanted peer is sent again");
  for (auto it = table_.begin(); it != table_.end();) {
    const uint64_t addr = it->first;
    Entry& e = it->second;
    if (addr == kSiblingAddr) {
      // CONFIG: compare the data plane's sibling with ours, correct it.
      if (e.state == State::kUnknown) {
        const bool match = dump_sibling_seen_ && e.want == dump_sibling_.has_value() &&
                           (!e.want || ipc::same_phys_addr(e.path, *dump_sibling_));
        if (match) {
          set_state(e, State::kConfirmed);
        } else {
          if (dump_sibling_seen_) ++st_.config_corrected;
          enqueue(addr, e);
        }
      }
      ++it;
      continue;
    }
    // Sent after the RESYNC (the dump does not show it): leave it alone.
    if (e.state == State::kPending || e.state == State::kBackoff ||
        (e.state == State::kInFlight && !seq_before(e.seq, dump_seq_))) {
      ++it;
      continue;
    }
    auto d = dump_.find(addr);
    const bool there = d != dump_.end() && ipc::same_phys_addr(d->second, e.path);
    if (!e.want && d == dump_.end()) {
      it = erase(it);  // the delete holds
      continue;
    }
    if (e.want && there) {
      e.tries = 0;
      set_state(e, State::kConfirmed);
    } else if (e.want && e.state == State::kExpired && d == dump_.end()) {
      // still aged out: it comes back when traffic asks for it
    } else if (e.want && e.state == State::kRejected) {
      // refused as bad: not sent again
    } else {
      if (e.state != State::kUnknown) ++st_.retries;
      enqueue(addr, e);
    }
    ++it;
  }
  // Dumped peers control does not want.
  dumped_.clear();
  dumped_.reserve(dump_.size());
  for (const auto& [addr, path] : dump_) {
    dumped_.push_back(addr);
    if (!table_.count(addr)) orphans_.push_back(addr);
  }
  dump_.clear();
  dump_.rehash(0);
}

void TableReconciler::delete_orphans() {
  for (uint64_t addr : orphans_) {
    if (table_.count(addr)) continue;  // wanted meanwhile
    Entry& e = table_[addr];
    ++counts_[size_t(e.state)];
    e.want = false;
    ++deletes_;
    ++st_.dump_stale_deleted;
    enqueue(addr, e);
  }
  orphans_.clear();
  orphans_.shrink_to_fit();
}

// ---- sending -----------------------------------------------------------------------

flatnet_ipc_command TableReconciler::command_for(uint64_t addr, const Entry& e,
                                                 uint32_t seq) const {
  flatnet_ipc_command c{};
  c.seq = seq;
  if (addr == kSiblingAddr) {
    c.type = FLATNET_IPC_CMD_SET_CONFIG;
    c.key = FLATNET_IPC_CFG_SIBLING_ROOT;
    c.value = e.want ? 1 : 0;
    if (e.want) c.path = e.path;
    return c;
  }
  c.type = e.want ? FLATNET_IPC_CMD_PEER_UPSERT : FLATNET_IPC_CMD_PEER_DELETE;
  c.addr = addr;
  if (e.want) c.path = e.path;
  return c;
}

bool TableReconciler::busy(uint64_t now) const {
  if (!attached_) return false;
  if (want_dump_) return true;
  if (!queue_.empty() && in_flight_.size() < kWindow) return true;
  if (since_barrier_) return true;
  return !retry_.empty() && retry_.top().first <= now;
}

unsigned TableReconciler::pump(uint64_t now, const Sink& sink) {
  if (!attached_) return 0;
  unsigned sent = 0;
  // The dump first: nothing is confirmed until it is read.
  if (want_dump_) {
    flatnet_ipc_command c{};
    c.type = FLATNET_IPC_CMD_RESYNC;
    c.seq = next_seq();
    if (!sink(c)) {
      ++st_.ring_full;
      return 0;
    }
    want_dump_ = false;
    dumping_ = true;
    dump_seq_ = c.seq;
    dump_last_event_ = now;
    ++sent;
  }
  if (dumping_ && now > dump_last_event_ + kDumpStallMs) dump_end(false);
  if (complete_ && now >= stale_after_ && !orphans_.empty() && !dumping_) delete_orphans();

  // Barrier timeouts: their batch goes out again.
  while (!barriers_.empty() && now > barriers_.front().sent_at + kBarrierTimeoutMs) {
    const uint32_t bseq = barriers_.front().seq;
    barriers_.pop_front();
    ++st_.barrier_timeouts;
    while (!in_flight_.empty() && seq_before(in_flight_.front().seq, bseq)) {
      const Sent s = in_flight_.front();
      in_flight_.pop_front();
      Entry* e = find(s.addr);
      if (e && e->seq == s.seq && e->state == State::kInFlight) {
        ++st_.retries;
        enqueue(s.addr, *e);
      }
    }
  }
  // Backoff over: send again.
  while (!retry_.empty() && retry_.top().first <= now) {
    const uint64_t addr = retry_.top().second;
    retry_.pop();
    Entry* e = find(addr);
    if (e && e->state == State::kBackoff && e->retry_at <= now) {
      ++st_.retries;
      enqueue(addr, *e);
    }
  }

  auto barrier = [&]() {
    flatnet_ipc_command b{};
    b.type = FLATNET_IPC_CMD_NOP;
    b.flags = FLATNET_IPC_CMD_F_ACK;
    b.seq = seq_ + 1 == 0 ? 1 : seq_ + 1;
    if (!sink(b)) return false;
    next_seq();
    barriers_.push_back(Barrier{b.seq, now});
    since_barrier_ = 0;
    ++sent;
    return true;
  };

  while (!queue_.empty() && in_flight_.size() < kWindow) {
    if (since_barrier_ >= kBarrierEvery && !barrier()) {
      ++st_.ring_full;
      return sent;
    }
    const uint64_t addr = queue_.front();
    Entry* e = find(addr);
    if (!e || !e->queued || e->state != State::kPending) {
      queue_.pop_front();
      if (e) e->queued = false;
      continue;
    }
    const uint32_t seq = seq_ + 1 == 0 ? 1 : seq_ + 1;
    if (!sink(command_for(addr, *e, seq))) {
      ++st_.ring_full;
      break;
    }
    next_seq();
    queue_.pop_front();
    e->queued = false;
    e->seq = seq;
    set_state(*e, State::kInFlight);
    in_flight_.push_back(Sent{seq, addr});
    ++since_barrier_;
    ++st_.commands_sent;
    ++sent;
  }
  if (since_barrier_ && !barrier()) ++st_.ring_full;
  return sent;
}

ReconcilerStats TableReconciler::stats() const {
  ReconcilerStats s = st_;
  uint64_t c[7];
  std::copy(std::begin(counts_), std::end(counts_), c);
  // The sibling root is config, not a peer: not counted in the gauges.
  if (auto it = table_.find(kSiblingAddr); it != table_.end()) --c[size_t(it->second.state)];
  s.pending = c[size_t(State::kPending)] + c[size_t(State::kUnknown)];
  s.in_flight = c[size_t(State::kInFlight)];
  s.confirmed = c[size_t(State::kConfirmed)];
  s.expired = c[size_t(State::kExpired)];
  s.backoff = c[size_t(State::kBackoff)];
  s.rejected = c[size_t(State::kRejected)];
  // O(1): a scrape must not walk a table of a million peers.
  s.desired = table_.size() - (table_.count(kSiblingAddr) ? 1 : 0) - deletes_;
  return s;
}

}  // namespace flatnet::control::boundary
