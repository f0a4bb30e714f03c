// Data-plane side of the segment: creation and the producer/consumer ends
// the data plane owns (docs/ipc-abi.md).
#include "dataplane/ipc/service.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
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
    "ipc_commands_ok",      "ipc_commands_failed",  "ipc_injects_ok",     "ipc_injects_bad",
    "ipc_injects_no_mbuf",  "ipc_resyncs",          "ipc_control_attaches", "ipc_control_losses",
};
constexpr uint32_t kIpcStatCount = sizeof kIpcStatNames / sizeof kIpcStatNames[0];
constexpr uint32_t kChannelStatCount = sizeof(flatnet_ipc_channel_counters) / sizeof(uint64_t);
static_assert(kChannelStatCount == 8 && kIpcStatCount == kChannelStatCount +
              sizeof(flatnet_ipc_main_counters) / sizeof(uint64_t),
              "kIpcStatNames lists every channel and main counter, in struct order");

uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }

uint64_t realtime_ns() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}

// Refuse to replace the segment of a data plane that is still running.
bool other_instance_running(const std::string& path, uint32_t* pid) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  flatnet_ipc_header h{};
  bool running = false;
  if (pread(fd, &h, sizeof h, 0) == ssize_t(sizeof h) && h.magic == FLATNET_IPC_MAGIC &&
      h.state == FLATNET_IPC_STATE_READY && h.dp_pid != 0 && uint32_t(getpid()) != h.dp_pid &&
      (kill(pid_t(h.dp_pid), 0) == 0 || errno == EPERM)) {
    running = true;
    *pid = h.dp_pid;
  }
  close(fd);
  return running;
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
  s->path_ = p.path.empty() ? std::string(FLATNET_IPC_PATH_PREFIX) + p.instance + ".ipc" : p.path;

  // ---- layout: header, rings, then slot areas (page aligned) ------------
  im.n_channels = p.workers + 1;
  im.slot_data = p.slot_data;
  const uint32_t slot_size = FLATNET_IPC_SLOT_META_SIZE + p.slot_data;
  flatnet_ipc_header h{};
  uint64_t off = FLATNET_IPC_HEADER_SIZE;
  auto place = [&](flatnet_ipc_ring_ref& r, uint32_t count, uint32_t esize) {
    r.offset = off;
    r.count = count;
    r.esize = esize;
    off += seg::ring_bytes(count, esize);
  };
  // A ring that may hold every slot of its area needs count > slots.
  for (unsigned c = 0; c < im.n_channels; ++c) {
    place(h.channels[c].punt, p.punt_slots * 2, sizeof(uint32_t));
    place(h.channels[c].punt_free, p.punt_slots * 2, sizeof(uint32_t));
    place(h.channels[c].event, p.event_ring, sizeof(flatnet_ipc_event));
  }
  place(h.command, p.command_ring, sizeof(flatnet_ipc_command));
  place(h.inject, p.inject_slots * 2, sizeof(uint32_t));
  place(h.inject_free, p.inject_slots * 2, sizeof(uint32_t));
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
    off += uint64_t(p.punt_slots) * slot_size;
  }
  h.inject_slots_offset = off;
  h.inject_slot_count = p.inject_slots;
  off += uint64_t(p.inject_slots) * slot_size;
  im.size = align_up(off, 4096);

  // ---- the file ---------------------------------------------------------
  uint32_t other = 0;
  if (other_instance_running(s->path_, &other))
    return fail("ipc: " + s->path_ + " belongs to a running data plane (pid " +
                std::to_string(other) + "); pick another instance name");
  unlink(s->path_.c_str());  // a stale segment of a dead data plane
  int fd = open(s->path_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return fail("ipc: cannot create " + s->path_ + ": " + strerror(errno));
  // The mode is the access control (umask can only narrow it): make sure.
  if (fchmod(fd, 0600) != 0 || ftruncate(fd, off_t(im.size)) != 0) {
    std::string e = strerror(errno);
    close(fd);
    unlink(s->path_.c_str());
    return fail("ipc: cannot size " + s->path_ + ": " + e);
  }
  void* m = mmap(nullptr, im.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  if (m == MAP_FAILED) {
    unlink(s->path_.c_str());
    return fail("ipc: cannot map " + s->path_ + ": " + strerror(errno));
  }
  im.base = static_cast<uint8_t*>(m);

  // ---- header, rings, free lists ----------------------------------------
  h.magic = FLATNET_IPC_MAGIC;
  h.abi_version = FLATNET_IPC_ABI_VERSION;
  h.header_size = FLATNET_IPC_HEADER_SIZE;
  h.segment_size = im.size;
  while (h.generation == 0)
    if (getrandom(&h.generation, sizeof h.generation, 0) != sizeof h.generation)
      h.generation = realtime_ns() ^ (uint64_t(getpid()) << 32);
  h.dp_pid = uint32_t(getpid());
  h.state = FLATNET_IPC_STATE_INIT;
  h.n_channels = im.n_channels;
  h.slot_size = slot_size;
  h.created_ns = realtime_ns();
  h.udp_port = p.udp_port;
  h.secondary_port = p.secondary_port;
  memcpy(h.instance, p.instance.data(), p.instance.size());
  memcpy(im.base, &h, sizeof h);
  s->hdr_ = reinterpret_cast<flatnet_ipc_header*>(im.base);

  auto init = [&](const flatnet_ipc_ring_ref& r, const std::string& name) {
    rte_ring* rr = seg::ring(im.base, r);
    return rte_ring_init(rr, name.c_str(), r.count, seg::kRingFlags) == 0 ? rr : nullptr;
  };
  bool ok = true;
  for (unsigned c = 0; c < im.n_channels && ok; ++c) {
    const auto& d = h.channels[c];
    im.punt[c] = init(d.punt, "punt" + std::to_string(c));
    im.punt_free[c] = init(d.punt_free, "puntfree" + std::to_string(c));
    im.event[c] = init(d.event, "event" + std::to_string(c));
    ok = im.punt[c] && im.punt_free[c] && im.event[c];
    for (uint32_t i = 0; ok && i < d.slot_count; ++i)
      ok = rte_ring_enqueue_elem(im.punt_free[c], &i, sizeof i) == 0;
  }
  im.command = init(h.command, "command");
  im.inject = init(h.inject, "inject");
  im.inject_free = init(h.inject_free, "injectfree");
  ok = ok && im.command && im.inject && im.inject_free;
  for (uint32_t i = 0; ok && i < h.inject_slot_count; ++i)
    ok = rte_ring_enqueue_elem(im.inject_free, &i, sizeof i) == 0;
  if (!ok) {
    munmap(im.base, im.size);
    unlink(s->path_.c_str());
    s->hdr_ = nullptr;
    return fail("ipc: rte_ring_init failed inside the segment");
  }
  im.stats_block = im.base + h.stats.offset;  // zero (seq 0: never written) until stats_define
  im.stats_desc = h.stats;
  // release: a client that reads READY sees the finished layout
  __atomic_store_n(&s->hdr_->state, uint32_t(FLATNET_IPC_STATE_READY), __ATOMIC_RELEASE);
  return s;
}

Service::~Service() {
  if (!impl_ || !impl_->base) return;
  __atomic_store_n(&hdr_->state, uint32_t(FLATNET_IPC_STATE_STOPPED), __ATOMIC_RELEASE);
  // Unlink only our own file: a newer data plane may have replaced it.
  struct stat st{};
  flatnet_ipc_header h{};
  int fd = open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    if (pread(fd, &h, sizeof h, 0) == ssize_t(sizeof h) && h.generation == hdr_->generation)
      unlink(path_.c_str());
    close(fd);
  }
  (void)st;
  munmap(impl_->base, impl_->size);
}

unsigned Service::n_channels() const { return impl_->n_channels; }
uint64_t Service::generation() const { return hdr_->generation; }

bool Service::control_present() const {
  return __atomic_load_n(&hdr_->control_present, __ATOMIC_RELAXED) != 0;
}

bool Service::punt(unsigned ch, const uint8_t* pkt, uint32_t len, const PuntMeta& m) {
  Impl& im = *impl_;
  flatnet_ipc_channel_counters& k = hdr_->channel_counters[ch];
  if (!control_present()) {
    seg::bump(&k.punt_no_control);
    return false;
  }
  if (len > im.slot_data) {
    seg::bump(&k.punt_too_big);
    return false;
  }
  uint32_t idx;
  if (rte_ring_dequeue_elem(im.punt_free[ch], &idx, sizeof idx) != 0) {
    seg::bump(&k.punt_no_slot);
    return false;
  }
  const flatnet_ipc_channel_desc& d = hdr_->channels[ch];
  if (idx >= d.slot_count) {  // only a corrupt control could cause this
    seg::bump(&k.punt_no_slot);
    return false;
  }
  uint8_t* s = seg::slot(im.base, d.slots_offset, hdr_->slot_size, idx);
  flatnet_ipc_slot_meta* meta = seg::slot_meta(s);
  memcpy(seg::slot_data(s), pkt, len);
  meta->len = len;
  meta->time_ns = m.time_ns;
  meta->addr = m.src;
  meta->local = m.local;
  // relaxed is enough: the enqueue below is a release store of the tail.
  __atomic_store_n(&meta->state, uint32_t(FLATNET_IPC_SLOT_QUEUED), __ATOMIC_RELAXED);
  if (rte_ring_enqueue_elem(im.punt[ch], &idx, sizeof idx) != 0) {
    // Cannot happen while the ring is larger than the slot count; keep the
    // slot rather than lose it.
    __atomic_store_n(&meta->state, uint32_t(FLATNET_IPC_SLOT_FREE), __ATOMIC_RELAXED);
    rte_ring_enqueue_elem(im.punt_free[ch], &idx, sizeof idx);
    seg::bump(&k.punt_ring_full);
    return false;
  }
  seg::bump(&k.punt_ok);
  return true;
}

bool Service::event(unsigned ch, const flatnet_ipc_event& ev) {
  flatnet_ipc_channel_counters& k = hdr_->channel_counters[ch];
  if (!control_present()) {
    seg::bump(&k.event_no_control);
    return false;
  }
  flatnet_ipc_event e = ev;
  e.channel = uint16_t(ch);
  if (rte_ring_enqueue_elem(impl_->event[ch], &e, sizeof e) != 0) {
    seg::bump(&k.event_ring_full);
    return false;
  }
  seg::bump(&k.event_ok);
  return true;
}

unsigned Service::event_room(unsigned ch) const { return rte_ring_free_count(impl_->event[ch]); }

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
  const uint64_t* mc = reinterpret_cast<const uint64_t*>(&hdr_->main_counters);
  for (uint32_t k = 0; k < kIpcStatCount - kChannelStatCount; ++k, row += cols) {
    for (unsigned c = 0; c < cols; ++c) row[c] = 0;
    row[0] = row[nch] = __atomic_load_n(mc + k, __ATOMIC_RELAXED);  // main lcore's column
  }
  stats::publish(im.stats_block, im.stats_desc, im.stats_rows.data(),
                 uint32_t(im.stats_names.size()), now_ns);
  const uint64_t period = uint64_t(im.stats_desc.interval_ms) * 1000000ull;
  im.stats_next_ns = now_ns + (period ? period : 1);
}

}  // namespace flatnet::ipc
