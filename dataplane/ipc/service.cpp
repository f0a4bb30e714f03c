// Data-plane side of the segment: creation and the producer/consumer ends
// the data plane owns (docs/ipc-abi.md).
#include "dataplane/ipc/service.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "dataplane/ipc/segment.hpp"
#include "dataplane/ipc/service_impl.hpp"
#include "dataplane/ipc/stats_block.hpp"
#include "dataplane/tables/peer_table.hpp"

namespace flatnet::ipc {

namespace {

bool pow2(uint32_t v) { return v && !(v & (v - 1)); }

// The header's own counters, appended to the caller's in the counters block:
// the channel counters (one value per channel), then the main lcore's.
constexpr const char* kIpcStatNames[] = {
    "ipc_punt_ok",          "ipc_punt_no_control",  "ipc_punt_no_slot",   "ipc_punt_ring_full",
    "ipc_punt_too_big",     "ipc_event_ok",         "ipc_event_no_control", "ipc_event_ring_full",
    "ipc_ring_corrupt",     "ipc_slot_bad",
    "ipc_commands_ok",      "ipc_commands_failed",  "ipc_injects_ok",     "ipc_injects_bad",
    "ipc_injects_no_mbuf",  "ipc_resyncs",          "ipc_control_attaches", "ipc_control_losses",
    "ipc_controls_dropped",
};
constexpr uint32_t kIpcStatCount = sizeof kIpcStatNames / sizeof kIpcStatNames[0];
constexpr uint32_t kChannelStatCount = sizeof(flatnet_ipc_channel_counters) / sizeof(uint64_t);
constexpr uint32_t kTrustStatCount = sizeof(flatnet_ipc_channel_trust) / sizeof(uint64_t);
constexpr uint32_t kMainStatCount = sizeof(flatnet_ipc_main_counters) / sizeof(uint64_t);
static_assert(kChannelStatCount == 8 && kTrustStatCount == 2 &&
              kIpcStatCount == kChannelStatCount + kTrustStatCount + kMainStatCount + 1,
              "kIpcStatNames lists every channel, trust and main counter, in struct order, "
              "then controls_dropped");

uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }

uint64_t realtime_ns() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}

// What is at the segment's name before we create ours.
struct Existing {
  bool running = false;  // a segment of ours that a data plane holds the lock on
  bool foreign = false;  // not a 0600 regular file of our euid: its lock means nothing
  uint32_t pid = 0;      // the running data plane's pid, from its header (for the message)
  uid_t uid = 0;
  mode_t mode = 0;
};

// Refuse to replace the segment of a data plane that is still running: it
// holds the lock on its file (seg::dp_lock_take). A pid in the header is not
// asked: it may have been reused, or the file planted. Nor is the lock of a
// file we did not make: any local user can plant a file at the name and
// hold a lock on it, so only a 0600 regular file of our own euid counts.
// O_NONBLOCK: a FIFO planted at the name must not hang the start.
Existing look_at_existing(const std::string& path) {
  Existing x;
  int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return x;  // nothing there, or a link (ELOOP): unlink handles both
  struct stat st{};
  if (fstat(fd, &st) != 0) {
    close(fd);
    return x;
  }
  x.uid = st.st_uid;
  x.mode = st.st_mode;
  x.foreign = !S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 07777) != 0600;
  x.running = !x.foreign && seg::dp_lock_held(fd);
  flatnet_ipc_header h{};
  x.pid = x.running && pread(fd, &h, sizeof h, 0) == ssize_t(sizeof h) ? h.dp_pid : 0;
  close(fd);
  return x;
}

std::string describe(const Existing& x) {
  char mode[16];
  snprintf(mode, sizeof mode, "%04o", unsigned(x.mode & 07777));
  const char* kind = S_ISREG(x.mode) ? "a file" : S_ISFIFO(x.mode) ? "a FIFO" : "not a regular file";
  return std::string(kind) + " owned by uid " + std::to_string(x.uid) + ", mode " + mode;
}

}  // namespace

std::unique_ptr<Service> Service::create(const ServiceParams& p, std::string* err) {
  auto fail = [&](const std::string& m) {
    if (err) *err = m;
    return std::unique_ptr<Service>();
  };
  if (p.workers < 1 || p.workers + 1 > FLATNET_IPC_MAX_CHANNELS)
    return fail("ipc: workers must be 1.." + std::to_string(FLATNET_IPC_MAX_CHANNELS - 1));
  if (!pow2(p.punt_slots) || !pow2(p.inject_slots) || !pow2(p.event_ring) || !pow2(p.command_ring))
    return fail("ipc: punt_slots, inject_slots, event_ring and command_ring must be powers of two");
  if (p.punt_slots > (1u << 20) || p.inject_slots > (1u << 20) || p.event_ring > (1u << 20) ||
      p.command_ring > (1u << 20))
    return fail("ipc: punt_slots, inject_slots, event_ring and command_ring must be at most 2^20");
  if (p.slot_data < 64 || p.slot_data % 64 || p.slot_data > 65536)
    return fail("ipc: slot_data must be a multiple of 64 in 64..65536");
  if (p.instance.empty() || p.instance.size() >= 64 || p.instance.find('/') != std::string::npos)
    return fail("ipc: instance name must be 1..63 characters without '/'");
  if (p.stats_entries < kIpcStatCount + 1 || p.stats_entries > FLATNET_IPC_STATS_MAX_ENTRIES)
    return fail("ipc: stats_entries must be " + std::to_string(kIpcStatCount + 1) + ".." +
                std::to_string(FLATNET_IPC_STATS_MAX_ENTRIES));

  std::unique_ptr<Service> s(new Service());
  s->impl_ = std::make_unique<Impl>();
  Impl& im = *s->impl_;
  s->path_ = p.in_memory ? std::string()
             : p.path.empty() ? std::string(FLATNET_IPC_PATH_PREFIX) + p.instance + ".ipc"
                              : p.path;

  // ---- layout: header, rings, then slot areas (page aligned) ------------
  // Every ring holds as many entries as the slots it carries indices of:
  // the data plane queues only slots it knows are free, so it never needs
  // more room than that.
  im.n_channels = p.workers + 1;
  im.slot_data = p.slot_data;
  im.slot_size = FLATNET_IPC_SLOT_META_SIZE + p.slot_data;
  flatnet_ipc_header h{};
  uint64_t off = FLATNET_IPC_HEADER_SIZE;
  auto place = [&](flatnet_ipc_ring_ref& r, uint32_t count, uint32_t esize) {
    r.offset = off;
    r.count = count;
    r.esize = esize;
    off += seg::ring_bytes(count, esize);
  };
  for (unsigned c = 0; c < im.n_channels; ++c) {
    place(h.channels[c].punt, p.punt_slots, sizeof(uint32_t));
    place(h.channels[c].punt_free, p.punt_slots, sizeof(uint32_t));
    place(h.channels[c].event, p.event_ring, sizeof(flatnet_ipc_event));
  }
  place(h.command, p.command_ring, sizeof(flatnet_ipc_command));
  place(h.inject, p.inject_slots, sizeof(uint32_t));
  place(h.inject_free, p.inject_slots, sizeof(uint32_t));
  // The counters block: after the rings (so 64-byte aligned), before the slots.
  h.stats.offset = off;
  h.stats.max_entries = p.stats_entries;
  h.stats.columns = im.n_channels + 1;
  h.stats.name_size = FLATNET_IPC_STATS_NAME_SIZE;
  h.stats.interval_ms = p.stats_interval_ms;
  h.stats.size = stats::block_bytes(h.stats.max_entries, h.stats.columns);
  off += h.stats.size;
  off = align_up(off, 4096);
  for (unsigned c = 0; c < im.n_channels; ++c) {
    h.channels[c].slots_offset = off;
    h.channels[c].slot_count = p.punt_slots;
    off += uint64_t(p.punt_slots) * im.slot_size;
  }
  h.inject_slots_offset = off;
  h.inject_slot_count = p.inject_slots;
  off += uint64_t(p.inject_slots) * im.slot_size;
  const uint64_t size = align_up(off, 4096);

  // ---- the memory: a locked file, or (tests) the heap -------------------
  uint8_t* base = nullptr;
  if (p.in_memory) {
    base = static_cast<uint8_t*>(aligned_alloc(4096, size));
    if (!base) return fail("ipc: cannot allocate " + std::to_string(size) + " bytes");
    memset(base, 0, size);
    im.heap = true;
  } else {
    const Existing x = look_at_existing(s->path_);
    if (x.running)
      return fail("ipc: " + s->path_ + " belongs to a running data plane (pid " +
                  std::to_string(x.pid) + "); pick another instance name");
    // A stale segment (no data plane holds its lock), or whatever else was
    // left at the name: remove it. O_EXCL below neither follows a link nor
    // opens a file someone else made. In sticky /dev/shm only root (or the
    // owner) can remove another user's file: otherwise say whose it is.
    if (unlink(s->path_.c_str()) != 0 && errno != ENOENT) {
      const std::string e = strerror(errno);
      return fail("ipc: cannot remove " + s->path_ +
                  (x.foreign ? " (foreign: " + describe(x) + ", not a 0600 file of uid " +
                                   std::to_string(geteuid()) + ")"
                             : std::string(" (stale)")) +
                  ": " + e + "; remove it or pick another instance name");
    }
    int fd = open(s->path_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return fail("ipc: cannot create " + s->path_ + ": " + strerror(errno));
    im.fd = fd;
    if (!seg::dp_lock_take(fd)) {
      std::string e = strerror(errno);
      return fail("ipc: cannot lock " + s->path_ + " (another data plane starting?): " + e);
    }
    // The mode is the access control (umask can only narrow it): make sure.
    if (fchmod(fd, 0600) != 0 || ftruncate(fd, off_t(size)) != 0) {
      std::string e = strerror(errno);
      unlink(s->path_.c_str());
      return fail("ipc: cannot size " + s->path_ + ": " + e);
    }
    void* m = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) {
      std::string e = strerror(errno);
      unlink(s->path_.c_str());
      return fail("ipc: cannot map " + s->path_ + ": " + e);
    }
    base = static_cast<uint8_t*>(m);
  }
  im.view = seg::View(base, size);

  // ---- header ------------------------------------------------------------
  h.magic = FLATNET_IPC_MAGIC;
  h.abi_version = FLATNET_IPC_ABI_VERSION;
  h.header_size = FLATNET_IPC_HEADER_SIZE;
  h.segment_size = size;
  while (h.generation == 0)
    if (getrandom(&h.generation, sizeof h.generation, 0) != sizeof h.generation)
      h.generation = realtime_ns() ^ (uint64_t(getpid()) << 32);
  h.dp_pid = uint32_t(getpid());
  h.state = FLATNET_IPC_STATE_INIT;
  h.n_channels = im.n_channels;
  h.slot_size = im.slot_size;
  h.created_ns = realtime_ns();
  h.udp_port = p.udp_port;
  h.secondary_port = p.secondary_port;
  h.lan_network = p.lan_network;
  h.lan_port_id = p.lan_port_id;
  for (size_t i = 0; i < p.lan_vlans.size() && i < FLATNET_IPC_MAX_LAN_VLANS; ++i) {
    h.lan_vlan_ids[i] = p.lan_vlans[i].first;
    h.lan_vlan_networks[i] = p.lan_vlans[i].second;
  }
  memcpy(h.host_iface, p.host_iface.data(), std::min(p.host_iface.size(), sizeof h.host_iface - 1));
  memcpy(h.instance, p.instance.data(), p.instance.size());
  im.layout = h;
  s->hdr_ = im.view.at<flatnet_ipc_header>(0);
  memcpy(s->hdr_, &h, sizeof h);

  // ---- private geometry: every address the data plane will use ---------
  for (unsigned c = 0; c < im.n_channels; ++c) {
    const flatnet_ipc_channel_desc& d = h.channels[c];
    ChannelState& cs = im.ch[c];
    cs.punt.bind(im.view, seg::geom(d.punt));
    cs.event.bind(im.view, seg::geom(d.event));
    cs.punt_free.bind(im.view, seg::geom(d.punt_free));
    cs.slots_offset = d.slots_offset;
    cs.slot_count = d.slot_count;
    im.view.at<uint8_t>(d.slots_offset, uint64_t(d.slot_count) * im.slot_size);
    cs.free.reserve(d.slot_count);
    cs.held.assign(d.slot_count, 0);
  }
  im.command.bind(im.view, seg::geom(h.command));
  im.inject.bind(im.view, seg::geom(h.inject));
  im.inject_free.bind(im.view, seg::geom(h.inject_free));
  im.inject_offset = h.inject_slots_offset;
  im.inject_count = h.inject_slot_count;
  im.view.at<uint8_t>(im.inject_offset, uint64_t(im.inject_count) * im.slot_size);
  im.inject_held.assign(im.inject_count, 0);
  im.stats_desc = h.stats;
  im.stats_block = im.view.at<uint8_t>(h.stats.offset, h.stats.size);  // zero until stats_define
  // release: a client that reads READY sees the finished layout
  __atomic_store_n(&s->hdr_->state, uint32_t(FLATNET_IPC_STATE_READY), __ATOMIC_RELEASE);
  return s;
}

Service::~Service() {
  if (!impl_) return;
  Impl& im = *impl_;
  if (!im.view.base()) {  // create() failed after opening the file
    if (im.fd >= 0) close(im.fd);
    return;
  }
  __atomic_store_n(&hdr_->state, uint32_t(FLATNET_IPC_STATE_STOPPED), __ATOMIC_RELEASE);
  if (im.heap) {
    free(im.view.base());
    return;
  }
  // Unlink only our own file: a newer data plane may have replaced it.
  struct stat ours{}, now{};
  if (fstat(im.fd, &ours) == 0 && stat(path_.c_str(), &now) == 0 && ours.st_ino == now.st_ino &&
      ours.st_dev == now.st_dev)
    unlink(path_.c_str());
  munmap(im.view.base(), im.view.size());
  close(im.fd);  // drops the lock
}

unsigned Service::n_channels() const { return impl_->n_channels; }
uint64_t Service::generation() const { return impl_->layout.generation; }
uint8_t* Service::memory() const { return impl_->view.base(); }
size_t Service::memory_size() const { return size_t(impl_->view.size()); }

bool Service::control_present() const {
  // acquire: pairs with the release in accept_control, so a producer that
  // sees 1 also sees the session word it belongs to.
  return impl_->present.load(std::memory_order_acquire) != 0;
}

// ---- sessions (each channel's own thread) ------------------------------------

// Set channel ch up for the current session if it is not yet: both ends of
// its rings at 0 (the control starts its own at 0 when it attaches), every
// punt slot free again (whatever a previous control held is ours now), then
// tell the control (channel_ready) that it may read.
void Service::sync_channel(unsigned ch) {
  Impl& im = *impl_;
  ChannelState& c = im.ch[ch];
  // acquire: pairs with the main lcore's release store in accept_control.
  const uint64_t w = im.session.load(std::memory_order_acquire);
  if (w == c.session) return;
  c.session = w;
  c.punt.reset(0);
  c.event.reset(0);
  c.punt_free.reset(0);
  c.free.clear();
  for (uint32_t i = c.slot_count; i-- > 0;) c.free.push_back(i);
  std::fill(c.held.begin(), c.held.end(), uint8_t(0));
  c.held_n = 0;
  c.trusted = true;
  // release: the control reads channel_ready (acquire) before our counters.
  __atomic_store_n(&hdr_->channel_ready[ch], uint32_t(w), __ATOMIC_RELEASE);
}

// A ring counter of control was impossible: count it and ask the main lcore
// to drop this session's control, whatever attach_epoch says now. (Excusing
// a changed epoch let a corrupting control escape by rewriting it; the cost
// is that a new control's fresh counters, read by a channel in the moment
// before the main lcore accepts it, count once against the old session.)
void Service::channel_corrupt(unsigned ch) {
  Impl& im = *impl_;
  ChannelState& c = im.ch[ch];
  if (!c.trusted) return;  // counted once per session
  c.trusted = false;
  seg::bump(&hdr_->channel_trust[ch].ring_corrupt);
  // release: pairs with the main lcore's acquire load in track_control.
  c.corrupt.store(c.session, std::memory_order_release);
}

// Slots control handed back on punt_free: each must be one we handed out
// and not yet got back; anything else is counted and ignored.
void Service::take_returns(unsigned ch) {
  Impl& im = *impl_;
  ChannelState& c = im.ch[ch];
  uint32_t n;
  if (!c.punt_free.avail(&n)) {
    channel_corrupt(ch);
    return;
  }
  if (n == 0) return;
  for (uint32_t i = 0; i < n; ++i) {
    // relaxed: the ring's prod/cons (acquire/release) order the entry
    const uint32_t idx = __atomic_load_n(c.punt_free.entry<uint32_t>(i), __ATOMIC_RELAXED);
    if (idx >= c.slot_count || !c.held[idx]) {
      seg::bump(&hdr_->channel_trust[ch].slot_bad);
      continue;
    }
    c.held[idx] = 0;
    --c.held_n;
    c.free.push_back(idx);
  }
  c.punt_free.consume(n);
}

// ---- producers -----------------------------------------------------------------

bool Service::punt(unsigned ch, const uint8_t* pkt, uint32_t len, const PuntMeta& m) {
  Impl& im = *impl_;
  ChannelState& c = im.ch[ch];
  flatnet_ipc_channel_counters& k = hdr_->channel_counters[ch];
  if (!control_present()) {
    seg::bump(&k.punt_no_control);
    return false;
  }
  sync_channel(ch);
  if (!c.trusted) {
    seg::bump(&k.punt_no_control);
    return false;
  }
  if (len > im.slot_data) {
    seg::bump(&k.punt_too_big);
    return false;
  }
  if (c.free.empty()) take_returns(ch);
  if (!c.trusted) {
    seg::bump(&k.punt_no_control);
    return false;
  }
  if (c.free.empty()) {
    seg::bump(&k.punt_no_slot);
    return false;
  }
  const uint32_t idx = c.free.back();
  c.free.pop_back();
  const uint64_t so = seg::slot_offset(c.slots_offset, im.slot_size, idx);
  flatnet_ipc_slot_meta* meta = im.view.at<flatnet_ipc_slot_meta>(so);
  memcpy(im.view.at<uint8_t>(so + FLATNET_IPC_SLOT_META_SIZE, len), pkt, len);
  meta->reserved0 = 0;
  meta->len = len;
  meta->time_ns = m.time_ns;
  meta->addr = m.src;
  meta->local = m.local;
  c.held[idx] = 1;
  ++c.held_n;
  // The ring never needs its consumer's count: we queue only slots we know
  // are free, at most slot_count = capacity of them.
  // relaxed: the ring's prod/cons (acquire/release) order the entry
  __atomic_store_n(c.punt.entry<uint32_t>(0), idx, __ATOMIC_RELAXED);
  c.punt.publish(1);
  seg::bump(&k.punt_ok);
  return true;
}

bool Service::punt_fill(unsigned ch, unsigned* used, unsigned* slots) {
  Impl& im = *impl_;
  ChannelState& c = im.ch[ch];
  if (control_present()) {
    sync_channel(ch);
    if (c.trusted) take_returns(ch);
  }
  *used = c.held_n;
  *slots = c.slot_count;
  return true;
}

bool Service::event(unsigned ch, const flatnet_ipc_event& ev) {
  Impl& im = *impl_;
  ChannelState& c = im.ch[ch];
  flatnet_ipc_channel_counters& k = hdr_->channel_counters[ch];
  if (!control_present()) {
    seg::bump(&k.event_no_control);
    return false;
  }
  sync_channel(ch);
  uint32_t room = 0;
  if (c.trusted && !c.event.room(&room)) channel_corrupt(ch);
  if (!c.trusted) {
    seg::bump(&k.event_no_control);
    return false;
  }
  if (room == 0) {
    seg::bump(&k.event_ring_full);
    return false;
  }
  flatnet_ipc_event* e = c.event.entry<flatnet_ipc_event>(0);
  memcpy(e, &ev, sizeof ev);
  e->channel = uint16_t(ch);
  c.event.publish(1);
  seg::bump(&k.event_ok);
  return true;
}

unsigned Service::event_room(unsigned ch) const {
  const Impl& im = *impl_;
  const ChannelState& c = im.ch[ch];
  uint32_t room = 0;
  if (!control_present() || !c.trusted ||
      c.session != im.session.load(std::memory_order_acquire) || !c.event.room(&room))
    return 0;
  return room;
}

// ---- counters block -----------------------------------------------------------

bool Service::stats_define(const std::vector<std::string>& names, std::string* err) {
  Impl& im = *impl_;
  std::vector<std::string> all = names;
  for (const char* n : kIpcStatNames) all.emplace_back(n);
  if (!stats::define(im.stats_block, im.stats_desc, all, err)) return false;
  im.stats_names = std::move(all);
  im.stats_user = names.size();
  im.stats_rows.assign(im.stats_names.size() * im.stats_desc.columns, 0);
  im.stats_defined = true;
  return true;
}

bool Service::stats_due(uint64_t now_ns) const { return now_ns >= impl_->stats_next_ns; }

const std::vector<std::string>& Service::stats_names() const { return impl_->stats_names; }

void Service::stats_publish(const uint64_t* values, uint64_t now_ns) {
  Impl& im = *impl_;
  if (!im.stats_defined) return;
  const unsigned nch = im.n_channels, cols = im.stats_desc.columns;
  uint64_t* row = im.stats_rows.data();
  // Each row: total, then one value per channel.
  for (size_t i = 0; i < im.stats_user; ++i, row += cols, values += nch) {
    uint64_t sum = 0;
    for (unsigned c = 0; c < nch; ++c) sum += row[1 + c] = values[c];
    row[0] = sum;
  }
  for (uint32_t k = 0; k < kChannelStatCount; ++k, row += cols) {
    uint64_t sum = 0;
    for (unsigned c = 0; c < nch; ++c) {
      const uint64_t* cc = reinterpret_cast<const uint64_t*>(&hdr_->channel_counters[c]);
      sum += row[1 + c] = __atomic_load_n(cc + k, __ATOMIC_RELAXED);
    }
    row[0] = sum;
  }
  for (uint32_t k = 0; k < kTrustStatCount; ++k, row += cols) {
    uint64_t sum = 0;
    for (unsigned c = 0; c < nch; ++c) {
      const uint64_t* cc = reinterpret_cast<const uint64_t*>(&hdr_->channel_trust[c]);
      sum += row[1 + c] = __atomic_load_n(cc + k, __ATOMIC_RELAXED);
    }
    row[0] = sum;
  }
  const uint64_t* mc = reinterpret_cast<const uint64_t*>(&hdr_->main_counters);
  for (uint32_t k = 0; k <= kMainStatCount; ++k, row += cols) {
    for (unsigned c = 0; c < cols; ++c) row[c] = 0;
    // main lcore's column; the last row is controls_dropped
    const uint64_t* src = k < kMainStatCount ? mc + k : &hdr_->controls_dropped;
    row[0] = row[nch] = __atomic_load_n(src, __ATOMIC_RELAXED);
  }
  stats::publish(im.stats_block, im.stats_desc, im.stats_rows.data(),
                 uint32_t(im.stats_names.size()), now_ns);
  im.stats_last_ns = now_ns;
  const uint64_t period = uint64_t(im.stats_desc.interval_ms) * 1000000ull;
  im.stats_next_ns = now_ns + (period ? period : 1);
}

}  // namespace flatnet::ipc
