// Control side of the segment. Uses only inline rte_ring functions: this
// file is compiled with DPDK's headers and linked with none of its
// libraries, which is the proof that an ordinary process needs no EAL.
#include "dataplane/ipc/client.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "dataplane/ipc/segment.hpp"
#include "dataplane/ipc/stats_block.hpp"

namespace flatnet::ipc {

std::string segment_path(const std::string& instance) {
  return std::string(FLATNET_IPC_PATH_PREFIX) + instance + ".ipc";
}

namespace {

bool pid_alive(uint32_t pid) { return pid != 0 && (kill(pid_t(pid), 0) == 0 || errno == EPERM); }

// Every ring and slot area must lie inside the file, and rings must have
// the element size this build expects: a corrupt or foreign header is
// refused before anything is dereferenced.
bool ring_ok(const flatnet_ipc_ring_ref& r, uint32_t esize, uint64_t size) {
  return r.esize == esize && r.count >= 2 && !(r.count & (r.count - 1)) &&
         r.offset % RTE_CACHE_LINE_SIZE == 0 && r.offset >= FLATNET_IPC_HEADER_SIZE &&
         r.offset + seg::ring_bytes(r.count, r.esize) <= size;
}

bool area_ok(uint64_t off, uint32_t n, uint32_t slot_size, uint64_t size) {
  return off >= FLATNET_IPC_HEADER_SIZE && off % FLATNET_IPC_CACHE_LINE == 0 && n > 0 &&
         off + uint64_t(n) * slot_size <= size;
}

std::string check_layout(const flatnet_ipc_header& h, uint64_t file_size) {
  if (h.header_size != FLATNET_IPC_HEADER_SIZE) return "header size differs";
  if (h.segment_size != file_size) return "segment size in header differs from the file size";
  if (h.n_channels < 2 || h.n_channels > FLATNET_IPC_MAX_CHANNELS) return "bad channel count";
  if (h.slot_size <= FLATNET_IPC_SLOT_META_SIZE || h.slot_size % 64) return "bad slot size";
  for (unsigned c = 0; c < h.n_channels; ++c) {
    const auto& d = h.channels[c];
    if (!ring_ok(d.punt, 4, file_size) || !ring_ok(d.punt_free, 4, file_size) ||
        !ring_ok(d.event, sizeof(flatnet_ipc_event), file_size) ||
        !area_ok(d.slots_offset, d.slot_count, h.slot_size, file_size) ||
        d.punt_free.count <= d.slot_count)
      return "bad layout of channel " + std::to_string(c);
  }
  if (!ring_ok(h.command, sizeof(flatnet_ipc_command), file_size) ||
      !ring_ok(h.inject, 4, file_size) || !ring_ok(h.inject_free, 4, file_size) ||
      !area_ok(h.inject_slots_offset, h.inject_slot_count, h.slot_size, file_size) ||
      h.inject.count <= h.inject_slot_count)
    return "bad layout of the command/inject rings";
  std::string st = stats::check_desc(h.stats, h.n_channels, file_size);
  if (!st.empty()) return "bad counters block: " + st;
  return "";
}

// The checks attach and Observer::open share, on a header read from fd:
// magic, version, state, data plane alive, layout. "" when usable.
std::string check_header(const flatnet_ipc_header& h, uint64_t file_size) {
  if (h.magic != FLATNET_IPC_MAGIC) return "not a flatnet segment (bad magic)";
  if (h.abi_version != FLATNET_IPC_ABI_VERSION)
    return "ABI version mismatch: the data plane speaks version " + std::to_string(h.abi_version) +
           ", this control speaks version " + std::to_string(FLATNET_IPC_ABI_VERSION) +
           "; use matching builds";
  uint32_t state = __atomic_load_n(&h.state, __ATOMIC_ACQUIRE);
  if (state == FLATNET_IPC_STATE_INIT) return "data plane is still starting; retry";
  if (state == FLATNET_IPC_STATE_STOPPED) return "data plane has stopped";
  if (state != FLATNET_IPC_STATE_READY) return "unknown segment state";
  if (!pid_alive(h.dp_pid)) return "data plane pid " + std::to_string(h.dp_pid) + " is gone";
  return check_layout(h, file_size);
}

}  // namespace

std::unique_ptr<Client> Client::attach(const std::string& path, std::string* err) {
  auto fail = [&](const std::string& m) {
    if (err) *err = "ipc attach " + path + ": " + m;
    return std::unique_ptr<Client>();
  };
  std::unique_ptr<Client> c(new Client());
  c->path_ = path;
  c->fd_ = open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (c->fd_ < 0) return fail(std::string(strerror(errno)) + " (is the data plane running?)");
  if (flock(c->fd_, LOCK_EX | LOCK_NB) != 0)
    return fail("another control process is attached (flock held)");
  struct stat st{};
  if (fstat(c->fd_, &st) != 0) return fail(strerror(errno));
  if (uint64_t(st.st_size) < FLATNET_IPC_HEADER_SIZE) return fail("file too small for a header");
  flatnet_ipc_header h;
  if (pread(c->fd_, &h, sizeof h, 0) != ssize_t(sizeof h)) return fail("cannot read header");
  std::string bad = check_header(h, uint64_t(st.st_size));
  if (!bad.empty()) return fail(bad);

  void* m = mmap(nullptr, size_t(st.st_size), PROT_READ | PROT_WRITE, MAP_SHARED, c->fd_, 0);
  if (m == MAP_FAILED) return fail(std::string("mmap: ") + strerror(errno));
  c->base_ = static_cast<uint8_t*>(m);
  c->size_ = size_t(st.st_size);
  c->hdr_ = reinterpret_cast<flatnet_ipc_header*>(c->base_);
  // The mapped header must be the one we validated (the data plane never
  // rewrites its layout, so a difference means the file was replaced).
  if (c->hdr_->generation != h.generation)
    return fail("segment changed while attaching; retry");
  // The rings' own geometry must match the header: the inline ring
  // functions index with r->mask, so a wrong one would reach past the ring.
  auto ring_geom_ok = [&](const flatnet_ipc_ring_ref& ref) {
    const rte_ring* r = seg::ring(c->base_, ref);
    // The sync type is an enum in foreign memory: read its bytes, not the enum.
    uint32_t ps, cs;
    memcpy(&ps, &r->prod.sync_type, sizeof ps);
    memcpy(&cs, &r->cons.sync_type, sizeof cs);
    return r->size == ref.count && r->mask == ref.count - 1 && r->capacity == ref.count - 1 &&
           ps == RTE_RING_SYNC_ST && cs == RTE_RING_SYNC_ST;
  };
  bool geom = ring_geom_ok(h.command) && ring_geom_ok(h.inject) && ring_geom_ok(h.inject_free);
  for (unsigned ch = 0; geom && ch < h.n_channels; ++ch)
    geom = ring_geom_ok(h.channels[ch].punt) && ring_geom_ok(h.channels[ch].punt_free) &&
           ring_geom_ok(h.channels[ch].event);
  if (!geom) return fail("a ring's size or sync mode differs from the header (corrupt segment)");
  c->generation_ = h.generation;
  c->layout_ = h;  // offsets and sizes are used from this validated copy only
  c->ino_ = uint64_t(st.st_ino);

  c->recover();
  flatnet_ipc_control_line& cl = c->hdr_->control;
  cl.control_abi = FLATNET_IPC_ABI_VERSION;
  cl.heartbeat_ns = seg::now_mono_ns();
  __atomic_store_n(&cl.attach_epoch, cl.attach_epoch + 1, __ATOMIC_RELAXED);
  // release: the data plane reads pid then epoch (acquire on pid)
  __atomic_store_n(&cl.control_pid, uint32_t(getpid()), __ATOMIC_RELEASE);
  return c;
}

// Take over from whatever control was here before: its ring ends, the punts
// and events it never read (stale now), and slots it was holding.
void Client::recover() {
  const uint32_t ss = layout_.slot_size;
  for (unsigned ch = 0; ch < layout_.n_channels; ++ch) {
    const flatnet_ipc_channel_desc& d = layout_.channels[ch];
    rte_ring* punt = seg::ring(base_, d.punt);
    rte_ring* pfree = seg::ring(base_, d.punt_free);
    rte_ring* ev = seg::ring(base_, d.event);
    seg::reset_cons(punt);
    seg::reset_prod(pfree);
    seg::reset_cons(ev);
    // Stale punts: mark them ours; the scan below gives them back.
    uint32_t idx;
    for (uint32_t guard = 0; guard < d.punt.count &&
                             rte_ring_dequeue_elem(punt, &idx, sizeof idx) == 0; ++guard) {
      if (idx < d.slot_count)
        seg::set_slot_state(seg::slot_meta(seg::slot(base_, d.slots_offset, ss, idx)),
                            FLATNET_IPC_SLOT_CONTROL);
      ++stale_punts_;
    }
    for (uint32_t i = 0; i < d.slot_count; ++i) {
      flatnet_ipc_slot_meta* m = seg::slot_meta(seg::slot(base_, d.slots_offset, ss, i));
      if (seg::slot_state(m) != FLATNET_IPC_SLOT_CONTROL) continue;
      if (seg::put_index(pfree, i, m, FLATNET_IPC_SLOT_FREE)) ++recovered_;
    }
    flatnet_ipc_event e;
    for (uint32_t guard = 0; guard < d.event.count &&
                             rte_ring_dequeue_elem(ev, &e, sizeof e) == 0; ++guard) {
    }
  }
  rte_ring* cmd = seg::ring(base_, layout_.command);
  rte_ring* inj = seg::ring(base_, layout_.inject);
  rte_ring* ifree = seg::ring(base_, layout_.inject_free);
  seg::reset_prod(cmd);
  seg::reset_prod(inj);
  seg::reset_cons(ifree);
  // Inject slots a dead control took but never queued are marked CONTROL;
  // one it was taking may also still sit in inject_free. Only the data plane
  // may refill inject_free, so take every free slot out (marking it ours)
  // and send all our slots back as empty injects, which the data plane
  // returns: afterwards each slot is in exactly one place again.
  uint32_t idx;
  for (uint32_t guard = 0; guard < layout_.inject_free.count &&
                           rte_ring_dequeue_elem(ifree, &idx, sizeof idx) == 0; ++guard)
    if (idx < layout_.inject_slot_count)
      seg::set_slot_state(seg::slot_meta(seg::slot(base_, layout_.inject_slots_offset, ss, idx)),
                          FLATNET_IPC_SLOT_CONTROL);
  for (uint32_t i = 0; i < layout_.inject_slot_count; ++i) {
    flatnet_ipc_slot_meta* m = seg::slot_meta(seg::slot(base_, layout_.inject_slots_offset, ss, i));
    if (seg::slot_state(m) != FLATNET_IPC_SLOT_CONTROL) continue;
    m->len = 0;
    seg::put_index(inj, i, m, FLATNET_IPC_SLOT_QUEUED);
  }
}

Client::~Client() {
  detach();
}

void Client::detach() {
  if (base_) {
    uint32_t me = uint32_t(getpid());
    // Clear only our own registration.
    __atomic_compare_exchange_n(&hdr_->control.control_pid, &me, 0u, false, __ATOMIC_RELEASE,
                                __ATOMIC_RELAXED);
    munmap(base_, size_);
    base_ = nullptr;
    hdr_ = nullptr;
  }
  if (fd_ >= 0) {
    close(fd_);  // drops the flock
    fd_ = -1;
  }
}

bool Client::dataplane_alive() const {
  if (!hdr_) return false;
  if (__atomic_load_n(&hdr_->state, __ATOMIC_ACQUIRE) != FLATNET_IPC_STATE_READY) return false;
  if (!pid_alive(hdr_->dp_pid)) return false;
  struct stat st{};
  if (stat(path_.c_str(), &st) != 0 || uint64_t(st.st_ino) != ino_) return false;
  return true;
}

void Client::heartbeat() {
  __atomic_store_n(&hdr_->control.heartbeat_ns, seg::now_mono_ns(), __ATOMIC_RELAXED);
}

bool Client::read_counters(CounterSnapshot* out, std::string* err) const {
  if (!base_) {
    if (err) *err = "counters block: not attached";
    return false;
  }
  const flatnet_ipc_stats_desc& d = layout_.stats;  // checked at attach
  return stats::read(base_ + d.offset, size_t(d.size), d, out, err);
}

uint32_t Client::max_packet() const { return layout_.slot_size - FLATNET_IPC_SLOT_META_SIZE; }

bool Client::send_command(const flatnet_ipc_command& c) { return send_commands(&c, 1) == 1; }

unsigned Client::send_commands(const flatnet_ipc_command* c, unsigned n) {
  return rte_ring_enqueue_burst_elem(seg::ring(base_, layout_.command), c, sizeof *c, n, nullptr);
}

bool Client::resync(uint32_t seq) {
  flatnet_ipc_command c{};
  c.type = FLATNET_IPC_CMD_RESYNC;
  c.seq = seq;
  return send_command(c);
}

bool Client::inject(const uint8_t* pkt, uint32_t len, const flatnet_ipc_phys_addr& dst) {
  if (len == 0 || len > max_packet()) return false;
  rte_ring* ifree = seg::ring(base_, layout_.inject_free);
  uint32_t idx;
  // Peek, mark the slot ours, then finish: a crash anywhere leaves the slot
  // either still in the ring or marked CONTROL for the next control.
  if (rte_ring_dequeue_bulk_elem_start(ifree, &idx, sizeof idx, 1, nullptr) != 1) return false;
  if (idx >= layout_.inject_slot_count) {  // corrupt: drop the entry
    rte_ring_dequeue_elem_finish(ifree, 1);
    return false;
  }
  uint8_t* s = seg::slot(base_, layout_.inject_slots_offset, layout_.slot_size, idx);
  flatnet_ipc_slot_meta* m = seg::slot_meta(s);
  seg::set_slot_state(m, FLATNET_IPC_SLOT_CONTROL);
  rte_ring_dequeue_elem_finish(ifree, 1);
  memcpy(seg::slot_data(s), pkt, len);
  m->len = len;
  m->addr = dst;
  m->local = flatnet_ipc_phys_addr{};
  m->time_ns = seg::now_mono_ns();
  // Reserve, write, mark QUEUED, publish (segment.hpp put_index).
  if (!seg::put_index(seg::ring(base_, layout_.inject), idx, m, FLATNET_IPC_SLOT_QUEUED))
    return false;  // cannot happen: the ring is larger than the slot count
  heartbeat();
  return true;
}

unsigned Client::poll_punts(
    const std::function<void(const flatnet_ipc_slot_meta&, const uint8_t*, uint32_t)>& fn,
    unsigned max) {
  unsigned seen = 0;
  const uint32_t ss = layout_.slot_size;
  const unsigned nch = layout_.n_channels;
  for (unsigned k = 0; k < nch && seen < max; ++k) {
    unsigned ch = (next_channel_ + k) % nch;
    const flatnet_ipc_channel_desc& d = layout_.channels[ch];
    rte_ring* punt = seg::ring(base_, d.punt);
    rte_ring* pfree = seg::ring(base_, d.punt_free);
    while (seen < max) {
      uint32_t idx;
      if (rte_ring_dequeue_bulk_elem_start(punt, &idx, sizeof idx, 1, nullptr) != 1) break;
      if (idx >= d.slot_count) {  // corrupt entry: drop it
        rte_ring_dequeue_elem_finish(punt, 1);
        continue;
      }
      uint8_t* s = seg::slot(base_, d.slots_offset, ss, idx);
      flatnet_ipc_slot_meta* m = seg::slot_meta(s);
      seg::set_slot_state(m, FLATNET_IPC_SLOT_CONTROL);
      rte_ring_dequeue_elem_finish(punt, 1);
      uint32_t len = m->len <= ss - FLATNET_IPC_SLOT_META_SIZE ? m->len : 0;
      fn(*m, seg::slot_data(s), len);
      ++seen;
      // Give the slot back (reserve, write, mark FREE, publish).
      seg::put_index(pfree, idx, m, FLATNET_IPC_SLOT_FREE);
    }
  }
  next_channel_ = (next_channel_ + 1) % nch;
  heartbeat();
  return seen;
}

unsigned Client::poll_events(const std::function<void(const flatnet_ipc_event&)>& fn,
                             unsigned max) {
  unsigned seen = 0;
  const unsigned nch = layout_.n_channels;
  flatnet_ipc_event evs[32];
  for (unsigned k = 0; k < nch && seen < max; ++k) {
    // Main channel first: command results and dumps keep their order there.
    unsigned ch = k == 0 ? nch - 1 : (next_channel_ + k - 1) % (nch - 1);
    rte_ring* ev = seg::ring(base_, layout_.channels[ch].event);
    while (seen < max) {
      unsigned want = max - seen < 32 ? max - seen : 32;
      unsigned n = rte_ring_dequeue_burst_elem(ev, evs, sizeof evs[0], want, nullptr);
      for (unsigned i = 0; i < n; ++i) fn(evs[i]);
      seen += n;
      if (n < want) break;
    }
  }
  heartbeat();
  return seen;
}

// ---- Observer: read-only, no flock, no registration ---------------------------

std::unique_ptr<Observer> Observer::open(const std::string& path, std::string* err) {
  auto fail = [&](const std::string& m) {
    if (err) *err = "ipc open " + path + ": " + m;
    return std::unique_ptr<Observer>();
  };
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(std::string(strerror(errno)) + " (is the data plane running?)");
  struct stat st{};
  flatnet_ipc_header h;
  std::string bad;
  if (fstat(fd, &st) != 0) bad = strerror(errno);
  else if (uint64_t(st.st_size) < FLATNET_IPC_HEADER_SIZE) bad = "file too small for a header";
  else if (pread(fd, &h, sizeof h, 0) != ssize_t(sizeof h)) bad = "cannot read header";
  else bad = check_header(h, uint64_t(st.st_size));
  if (!bad.empty()) {
    close(fd);
    return fail(bad);
  }
  void* m = mmap(nullptr, size_t(st.st_size), PROT_READ, MAP_SHARED, fd, 0);
  close(fd);
  if (m == MAP_FAILED) return fail(std::string("mmap: ") + strerror(errno));
  std::unique_ptr<Observer> o(new Observer());
  o->base_ = static_cast<const uint8_t*>(m);
  o->size_ = size_t(st.st_size);
  o->hdr_ = reinterpret_cast<const flatnet_ipc_header*>(o->base_);
  o->layout_ = h;
  if (o->hdr_->generation != h.generation) return fail("segment changed while opening; retry");
  return o;
}

Observer::~Observer() {
  if (base_) munmap(const_cast<uint8_t*>(base_), size_);
}

bool Observer::dataplane_alive() const {
  return __atomic_load_n(&hdr_->state, __ATOMIC_ACQUIRE) == FLATNET_IPC_STATE_READY &&
         pid_alive(hdr_->dp_pid);
}

bool Observer::read_counters(CounterSnapshot* out, std::string* err) const {
  const flatnet_ipc_stats_desc& d = layout_.stats;  // checked at open
  return stats::read(base_ + d.offset, size_t(d.size), d, out, err);
}

}  // namespace flatnet::ipc
