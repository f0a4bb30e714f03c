// Control side of the segment. Needs nothing of DPDK (our own rings,
// segment.hpp): an ordinary process without EAL or hugepages is the control.
#include "dataplane/ipc/client.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "dataplane/ipc/clock.hpp"
#include "dataplane/ipc/segment.hpp"
#include "dataplane/ipc/stats_block.hpp"

namespace flatnet::ipc {

std::string segment_path(const std::string& instance) {
  return std::string(FLATNET_IPC_PATH_PREFIX) + instance + ".ipc";
}

namespace {

// The largest segment we map: far above any layout the data plane makes
// (16 channels of 2^20 slots would be more), so only a file that is no
// segment at all is refused for its size.
constexpr uint64_t kMaxSegmentBytes = uint64_t(1) << 40;

// The file must be what a data plane of our own user made: a regular file,
// ours, mode exactly 0600, of a sane size. "" when it is.
std::string check_file(const struct stat& st) {
  if (!S_ISREG(st.st_mode)) return "not a regular file";
  if (st.st_uid != geteuid())
    return "owned by uid " + std::to_string(st.st_uid) + ", not by this user (uid " +
           std::to_string(geteuid()) + ")";
  if ((st.st_mode & 07777) != 0600) {
    char m[8];
    snprintf(m, sizeof m, "%04o", unsigned(st.st_mode & 07777));
    return std::string("mode ") + m + ", not 0600";
  }
  if (uint64_t(st.st_size) < FLATNET_IPC_HEADER_SIZE) return "file too small for a header";
  if (uint64_t(st.st_size) > kMaxSegmentBytes) return "file too large for a segment";
  return "";
}

// Every ring and slot area must lie inside the file with the element size
// this build expects, and rings must hold the slots they carry: a corrupt
// or foreign header is refused before anything is dereferenced.
bool ring_ok(const flatnet_ipc_ring_ref& r, uint32_t esize, uint64_t size) {
  return r.esize == esize && r.count >= 2 && r.count <= (1u << 20) && !(r.count & (r.count - 1)) &&
         r.offset % FLATNET_IPC_CACHE_LINE == 0 && r.offset >= FLATNET_IPC_HEADER_SIZE &&
         r.offset <= size && seg::ring_bytes(r.count, r.esize) <= size - r.offset;
}

bool area_ok(uint64_t off, uint32_t n, uint32_t slot_size, uint64_t size) {
  return off >= FLATNET_IPC_HEADER_SIZE && off % FLATNET_IPC_CACHE_LINE == 0 && n > 0 &&
         n <= (1u << 20) && off <= size && uint64_t(n) * slot_size <= size - off;
}

std::string check_layout(const flatnet_ipc_header& h, uint64_t file_size) {
  if (h.header_size != FLATNET_IPC_HEADER_SIZE) return "header size differs";
  if (h.segment_size != file_size) return "segment size in header differs from the file size";
  if (h.n_channels < 2 || h.n_channels > FLATNET_IPC_MAX_CHANNELS) return "bad channel count";
  if (h.slot_size <= FLATNET_IPC_SLOT_META_SIZE || h.slot_size % 64 || h.slot_size > 65536 + 64)
    return "bad slot size";
  for (unsigned c = 0; c < h.n_channels; ++c) {
    const auto& d = h.channels[c];
    if (!ring_ok(d.punt, 4, file_size) || !ring_ok(d.punt_free, 4, file_size) ||
        !ring_ok(d.event, sizeof(flatnet_ipc_event), file_size) ||
        !area_ok(d.slots_offset, d.slot_count, h.slot_size, file_size) ||
        d.punt.count < d.slot_count || d.punt_free.count < d.slot_count)
      return "bad layout of channel " + std::to_string(c);
  }
  if (!ring_ok(h.command, sizeof(flatnet_ipc_command), file_size) ||
      !ring_ok(h.inject, 4, file_size) || !ring_ok(h.inject_free, 4, file_size) ||
      !area_ok(h.inject_slots_offset, h.inject_slot_count, h.slot_size, file_size) ||
      h.inject.count < h.inject_slot_count || h.inject_free.count < h.inject_slot_count)
    return "bad layout of the command/inject rings";
  std::string st = stats::check_desc(h.stats, h.n_channels, file_size);
  if (!st.empty()) return "bad counters block: " + st;
  return "";
}

// The checks attach and Observer::open share, on a header read from fd:
// magic, version, state, layout. "" when usable. (Whether a data plane
// still runs behind it is the lock's question: dp_lock_held.)
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
  return check_layout(h, file_size);
}

// Opens path without following a link and checks the file and its header.
// fd >= 0 and "" on success (header in *h, size in *size).
int open_checked(const std::string& path, int flags, flatnet_ipc_header* h, uint64_t* size,
                 uint64_t* ino, std::string* bad, bool exclusive) {
  // O_NONBLOCK: a FIFO planted at the name fails check_file instead of
  // hanging the open (it changes nothing for a regular file).
  int fd = open(path.c_str(), flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    *bad = errno == ELOOP ? std::string("is a symbolic link")
                          : std::string(strerror(errno)) + " (is the data plane running?)";
    return -1;
  }
  struct stat st{};
  if (fstat(fd, &st) != 0) *bad = strerror(errno);
  else *bad = check_file(st);
  if (bad->empty() && exclusive && flock(fd, LOCK_EX | LOCK_NB) != 0)
    *bad = "another control process is attached (flock held)";
  // Our liveness for the data plane: the OFD lock on byte 1, held as long
  // as this descriptor is open (the flock keeps other controls out; this
  // lock is what the data plane can ask about, seg::ctl_lock_held).
  if (bad->empty() && exclusive && !seg::ctl_lock_take(fd))
    *bad = std::string("cannot take the control lock on byte 1: ") + strerror(errno);
  if (bad->empty() && pread(fd, h, sizeof *h, 0) != ssize_t(sizeof *h)) *bad = "cannot read header";
  if (bad->empty()) *bad = check_header(*h, uint64_t(st.st_size));
  if (bad->empty() && !seg::dp_lock_held(fd))
    *bad = "no running data plane holds it (a stale segment of pid " + std::to_string(h->dp_pid) +
           ")";
  if (!bad->empty()) {
    close(fd);
    return -1;
  }
  *size = uint64_t(st.st_size);
  *ino = uint64_t(st.st_ino);
  return fd;
}

uint32_t new_epoch(uint32_t old) {
  uint32_t e = 0;
  while (e == 0 || e == old)
    if (getrandom(&e, sizeof e, 0) != sizeof e) e = uint32_t(mono_ns()) ^ uint32_t(getpid());
  return e;
}

}  // namespace

// The client's ends of every ring, with the geometry of the validated layout.
struct Client::Rings {
  seg::View view;
  struct Channel {
    seg::RingReader punt, event;
    seg::RingWriter punt_free;
    uint64_t slots_offset = 0;
    uint32_t slot_count = 0;
    mutable bool ready = false;  // the data plane set up this session here
    bool bad = false;            // a counter of the data plane was impossible
  } ch[FLATNET_IPC_MAX_CHANNELS];
  seg::RingWriter command, inject;
  seg::RingReader inject_free;
  bool main_bad = false;
};

Client::Client() = default;

std::unique_ptr<Client> Client::attach(const std::string& path, std::string* err) {
  auto fail = [&](const std::string& m) {
    if (err) *err = "ipc attach " + path + ": " + m;
    return std::unique_ptr<Client>();
  };
  std::unique_ptr<Client> c(new Client());
  c->path_ = path;
  flatnet_ipc_header h;
  uint64_t size = 0;
  std::string bad;
  c->fd_ = open_checked(path, O_RDWR, &h, &size, &c->ino_, &bad, true);
  if (c->fd_ < 0) return fail(bad);
  void* m = mmap(nullptr, size_t(size), PROT_READ | PROT_WRITE, MAP_SHARED, c->fd_, 0);
  if (m == MAP_FAILED) return fail(std::string("mmap: ") + strerror(errno));
  c->base_ = static_cast<uint8_t*>(m);
  c->size_ = size_t(size);
  c->mapped_ = true;
  std::string e;
  auto r = setup(std::move(c), h, &e);
  if (!r) return fail(e);
  return r;
}

std::unique_ptr<Client> Client::attach_memory(uint8_t* base, size_t size, std::string* err) {
  auto fail = [&](const std::string& m) {
    if (err) *err = "ipc attach (memory): " + m;
    return std::unique_ptr<Client>();
  };
  if (size < FLATNET_IPC_HEADER_SIZE) return fail("too small for a header");
  flatnet_ipc_header h;
  memcpy(&h, base, sizeof h);
  std::string bad = check_header(h, size);
  if (!bad.empty()) return fail(bad);
  std::unique_ptr<Client> c(new Client());
  c->base_ = base;
  c->size_ = size;
  std::string e;
  auto r = setup(std::move(c), h, &e);
  if (!r) return fail(e);
  return r;
}

// Binds our ring ends to the layout h (validated, and from now on the only
// geometry used), puts them at 0 for the new session and registers.
std::unique_ptr<Client> Client::setup(std::unique_ptr<Client> c, const flatnet_ipc_header& h,
                                      std::string* err) {
  c->hdr_ = reinterpret_cast<flatnet_ipc_header*>(c->base_);
  // The mapped header must be the one we validated (the data plane never
  // rewrites its layout, so a difference means the file was replaced).
  if (c->hdr_->generation != h.generation) {
    *err = "segment changed while attaching; retry";
    return nullptr;
  }
  c->generation_ = h.generation;
  c->layout_ = h;
  c->rings_ = std::make_unique<Rings>();
  Rings& r = *c->rings_;
  r.view = seg::View(c->base_, c->size_);
  for (unsigned ch = 0; ch < h.n_channels; ++ch) {
    const flatnet_ipc_channel_desc& d = h.channels[ch];
    r.ch[ch].punt.bind(r.view, seg::geom(d.punt));
    r.ch[ch].event.bind(r.view, seg::geom(d.event));
    r.ch[ch].punt_free.bind(r.view, seg::geom(d.punt_free));
    r.ch[ch].slots_offset = d.slots_offset;
    r.ch[ch].slot_count = d.slot_count;
  }
  r.command.bind(r.view, seg::geom(h.command));
  r.inject.bind(r.view, seg::geom(h.inject));
  r.inject_free.bind(r.view, seg::geom(h.inject_free));

  flatnet_ipc_control_line& cl = c->hdr_->control;
  // Epoch 0 first: "a control is changing". A data plane still serving the
  // previous control that reads one of our zeroed counters (each reset is a
  // release store, so it orders this store before it) then sees an epoch
  // that is not its session's, and takes the zero for the end of that
  // session, not for corruption.
  const uint32_t old_epoch = __atomic_load_n(&cl.attach_epoch, __ATOMIC_RELAXED);
  __atomic_store_n(&cl.attach_epoch, 0u, __ATOMIC_RELAXED);
  for (unsigned ch = 0; ch < h.n_channels; ++ch) {
    r.ch[ch].punt.reset(0);
    r.ch[ch].event.reset(0);
    r.ch[ch].punt_free.reset(0);
  }
  r.command.reset(0);
  r.inject.reset(0);
  r.inject_free.reset(0);
  cl.control_abi = FLATNET_IPC_ABI_VERSION;
  cl.heartbeat_ns = mono_ns();
  __atomic_store_n(&cl.control_pid, uint32_t(getpid()), __ATOMIC_RELAXED);
  // The new epoch last (release): pairs with the data plane's acquire load
  // of attach_epoch; a data plane that sees it also sees our pid and our
  // counters at 0.
  c->epoch_ = new_epoch(old_epoch);
  __atomic_store_n(&cl.attach_epoch, c->epoch_, __ATOMIC_RELEASE);
  return c;
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
    if (mapped_) munmap(base_, size_);
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
  if (!mapped_) return true;  // attach_memory: the Service is in this process
  if (!seg::dp_lock_held(fd_)) return false;
  struct stat st{};
  if (stat(path_.c_str(), &st) != 0 || uint64_t(st.st_ino) != ino_) return false;
  return true;
}

// acquire: pairs with the data plane's release store of channel_ready after
// it put its ends of the channel's rings at 0 for our session.
bool Client::ready(unsigned ch) const {
  auto& c = rings_->ch[ch];
  if (!c.ready) c.ready = __atomic_load_n(&hdr_->channel_ready[ch], __ATOMIC_ACQUIRE) == epoch_;
  return c.ready;
}

bool Client::session_ready() const { return hdr_ && ready(layout_.n_channels - 1); }

// The data plane publishes the epoch of the control it serves; a live data
// plane that names another one (or none) for longer than it takes to
// notice and accept us has lost or never started our session. A ring
// counter of the data plane that was impossible also ends it for us.
bool Client::session_lost() const {
  if (!hdr_) return false;
  if (corrupt_ > 0) return true;
  if (!dataplane_alive()) return false;  // a restart: the caller re-attaches on that
  const uint32_t acc = __atomic_load_n(&hdr_->accepted_epoch, __ATOMIC_ACQUIRE);
  if (acc == epoch_) {
    lost_since_ns_ = 0;
    return false;
  }
  const uint64_t now = mono_ns();
  if (lost_since_ns_ == 0) lost_since_ns_ = now;
  return now - lost_since_ns_ > kSessionGraceNs;
}

void Client::heartbeat() {
  __atomic_store_n(&hdr_->control.heartbeat_ns, mono_ns(), __ATOMIC_RELAXED);
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
  if (!base_ || rings_->main_bad) return 0;
  seg::RingWriter& w = rings_->command;
  uint32_t room;
  if (ready(layout_.n_channels - 1)) {
    if (!w.room(&room)) {
      rings_->main_bad = true;
      ++corrupt_;
      return 0;
    }
  } else {
    // The data plane will start consuming this session's commands at 0.
    room = w.capacity() - w.pos();
  }
  const unsigned k = n < room ? n : room;
  for (unsigned i = 0; i < k; ++i) memcpy(w.entry<flatnet_ipc_command>(i), &c[i], sizeof c[i]);
  if (k) w.publish(k);
  heartbeat();
  return k;
}

bool Client::resync(uint32_t seq) {
  flatnet_ipc_command c{};
  c.type = FLATNET_IPC_CMD_RESYNC;
  c.seq = seq;
  return send_command(c);
}

bool Client::inject(const uint8_t* pkt, uint32_t len, const flatnet_ipc_phys_addr& dst) {
  if (!base_ || len == 0 || len > max_packet() || rings_->main_bad) return false;
  if (!ready(layout_.n_channels - 1)) return false;  // no slots offered yet
  Rings& r = *rings_;
  uint32_t avail = 0, room = 0;
  if (!r.inject_free.avail(&avail) || !r.inject.room(&room)) {
    r.main_bad = true;
    ++corrupt_;
    return false;
  }
  if (avail == 0 || room == 0) return false;
  // relaxed: the ring's prod/cons (acquire/release) order the entry
  const uint32_t idx = __atomic_load_n(r.inject_free.entry<uint32_t>(0), __ATOMIC_RELAXED);
  r.inject_free.consume(1);
  if (idx >= layout_.inject_slot_count) {  // corrupt: drop the entry
    ++corrupt_;
    return false;
  }
  const uint64_t so = seg::slot_offset(layout_.inject_slots_offset, layout_.slot_size, idx);
  auto* m = r.view.at<flatnet_ipc_slot_meta>(so);
  memcpy(r.view.at<uint8_t>(so + FLATNET_IPC_SLOT_META_SIZE, len), pkt, len);
  m->reserved0 = 0;
  m->len = len;
  m->addr = dst;
  m->local = flatnet_ipc_phys_addr{};
  m->time_ns = mono_ns();
  // relaxed: the ring's prod/cons (acquire/release) order the entry
  __atomic_store_n(r.inject.entry<uint32_t>(0), idx, __ATOMIC_RELAXED);
  r.inject.publish(1);
  heartbeat();
  return true;
}

unsigned Client::poll_punts(
    const std::function<void(const flatnet_ipc_slot_meta&, const uint8_t*, uint32_t)>& fn,
    unsigned max) {
  if (!base_) return 0;
  unsigned seen = 0;
  const uint32_t ss = layout_.slot_size;
  const unsigned nch = layout_.n_channels;
  for (unsigned k = 0; k < nch && seen < max; ++k) {
    unsigned ch = (next_channel_ + k) % nch;
    auto& c = rings_->ch[ch];
    if (c.bad || !ready(ch)) continue;
    uint32_t n = 0, room = 0;
    if (!c.punt.avail(&n) || !c.punt_free.room(&room)) {
      c.bad = true;
      ++corrupt_;
      continue;
    }
    // Each slot read goes back at once, so room for returns is never short
    // while the data plane keeps to its slots; take no more than fits.
    n = std::min({n, room, max - seen});
    for (uint32_t i = 0; i < n; ++i) {
      // relaxed: the ring's prod/cons (acquire/release) order the entry
      const uint32_t idx = __atomic_load_n(c.punt.entry<uint32_t>(i), __ATOMIC_RELAXED);
      if (idx >= c.slot_count) {  // corrupt entry: skip it
        ++corrupt_;
        continue;
      }
      const uint64_t so = seg::slot_offset(c.slots_offset, ss, idx);
      flatnet_ipc_slot_meta m;
      memcpy(&m, rings_->view.at<flatnet_ipc_slot_meta>(so), sizeof m);
      uint32_t len = m.len <= ss - FLATNET_IPC_SLOT_META_SIZE ? m.len : 0;
      fn(m, rings_->view.at<uint8_t>(so + FLATNET_IPC_SLOT_META_SIZE, ss - FLATNET_IPC_SLOT_META_SIZE),
         len);
      ++seen;
      // Give the slot back.
      // relaxed: the ring's prod/cons (acquire/release) order the entry
      __atomic_store_n(c.punt_free.entry<uint32_t>(0), idx, __ATOMIC_RELAXED);
      c.punt_free.publish(1);
    }
    c.punt.consume(n);
  }
  next_channel_ = (next_channel_ + 1) % nch;
  heartbeat();
  return seen;
}

unsigned Client::poll_events(const std::function<void(const flatnet_ipc_event&)>& fn,
                             unsigned max) {
  if (!base_) return 0;
  unsigned seen = 0;
  const unsigned nch = layout_.n_channels;
  flatnet_ipc_event evs[32];
  for (unsigned k = 0; k < nch && seen < max; ++k) {
    // Main channel first: command results and dumps keep their order there.
    unsigned ch = k == 0 ? nch - 1 : (next_channel_ + k - 1) % (nch - 1);
    auto& c = rings_->ch[ch];
    if (c.bad || !ready(ch)) continue;
    while (seen < max) {
      uint32_t n = 0;
      if (!c.event.avail(&n)) {
        c.bad = true;
        ++corrupt_;
        break;
      }
      n = std::min({n, 32u, max - seen});
      if (n == 0) break;
      for (uint32_t i = 0; i < n; ++i) memcpy(&evs[i], c.event.entry<flatnet_ipc_event>(i), sizeof evs[i]);
      c.event.consume(n);
      for (uint32_t i = 0; i < n; ++i) fn(evs[i]);
      seen += n;
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
  flatnet_ipc_header h;
  uint64_t size = 0, ino = 0;
  std::string bad;
  int fd = open_checked(path, O_RDONLY, &h, &size, &ino, &bad, false);
  if (fd < 0) return fail(bad);
  void* m = mmap(nullptr, size_t(size), PROT_READ, MAP_SHARED, fd, 0);
  if (m == MAP_FAILED) {
    close(fd);
    return fail(std::string("mmap: ") + strerror(errno));
  }
  std::unique_ptr<Observer> o(new Observer());
  o->fd_ = fd;
  o->base_ = static_cast<const uint8_t*>(m);
  o->size_ = size_t(size);
  o->hdr_ = reinterpret_cast<const flatnet_ipc_header*>(o->base_);
  o->layout_ = h;
  if (o->hdr_->generation != h.generation) return fail("segment changed while opening; retry");
  return o;
}

Observer::~Observer() {
  if (base_) munmap(const_cast<uint8_t*>(base_), size_);
  if (fd_ >= 0) close(fd_);
}

bool Observer::dataplane_alive() const {
  return __atomic_load_n(&hdr_->state, __ATOMIC_ACQUIRE) == FLATNET_IPC_STATE_READY &&
         seg::dp_lock_held(fd_);
}

bool Observer::read_counters(CounterSnapshot* out, std::string* err) const {
  const flatnet_ipc_stats_desc& d = layout_.stats;  // checked at open
  return stats::read(base_ + d.offset, size_t(d.size), d, out, err);
}

}  // namespace flatnet::ipc
