// flatnetd's member: taps, files and the member's output (member_host.hpp).
#include "control/service/member_host.hpp"

#include <linux/if_tun.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "control/port/addressing.hpp"
#include "control/port/flow.hpp"
#include "control/port/naming.hpp"
#include "control/port/subscriptions.hpp"
#include "control/port/sync.hpp"
#include "control/port/vnet_hdr.hpp"
#include "control/service/online.hpp"
#include "dataplane/wire/hex.hpp"

namespace flatnet::control::service {

namespace {

constexpr size_t kFrameCap = wire::kMaxMtu + 18;  // Ethernet header + one VLAN tag
// With the vnet header and TSO: the header plus a 64 KiB super-frame.
constexpr size_t kSuperFrameCap = port::kVnetHdrLen + 65536 + 18;
// Frames one super-frame may be cut into (64 KiB over the smallest MSS a
// 1280-byte MTU leaves, rounded up).
constexpr size_t kMaxSegments = 64;
// How long a re-join waits for its network's old tap to go (naming.hpp).
constexpr std::chrono::milliseconds kDepartingTapWait{1000};

std::string ip_only(const wire::InetAddress& a) {
  std::string s = a.to_string();
  return s.substr(0, s.find('/'));
}

port::ManagedSettings managed_settings(const vl2::LocalSettings& s,
                                       const std::vector<wire::InetAddress>& whitelist) {
  port::ManagedSettings m;
  m.allow_managed = s.allow_managed;
  m.allow_global = s.allow_global;
  m.allow_default = s.allow_default;
  m.allow_managed_whitelist = whitelist;
  return m;
}

}  // namespace

MemberHost::MemberHost(MemberHostOptions opt, Core& core, LogFn log)
    : opt_(std::move(opt)),
      core_(core),
      log_(std::move(log)),
      member_(std::make_unique<vl2::Member>(core)),
      rx_(size_t(opt_.tap_offload ? kSuperBurst : kBurst) * (opt_.tap_offload ? kSuperFrameCap : kFrameCap)),
      split_(opt_.tap_offload ? kMaxSegments * kFrameCap : 0) {
  core_.set_member(member_.get());
  if (opt_.tap_queues > 0) notify_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

MemberHost::~MemberHost() {
  core_.set_member(nullptr);
  ports_.clear();  // each Tap closes: the devices go (I/O threads joined first)
  if (notify_fd_ >= 0) ::close(notify_fd_);
}

void MemberHost::start(uint64_t now, Actions& out) {
  for (uint64_t nwid : joined_networks(opt_.home)) {
    // The saved config first (the member joins with it, status OK), then
    // the join proper: settings, tap, files.
    const std::vector<uint8_t> bytes = read_network_conf(opt_.home, nwid);
    if (!bytes.empty() && !member_->restore(nwid, bytes, now))
      log(LogLevel::kWarn, "network " + port::nwid_hex(nwid) +
                               ": saved config not restored (asking the controller again)");
    std::string err;
    if (!join(nwid, {}, now, out, &err))
      log(LogLevel::kWarn, "network " + port::nwid_hex(nwid) + ": " + err);
  }
}

bool MemberHost::join(uint64_t nwid, const NetworkSettingsChange& change, uint64_t now,
                      Actions& out, std::string* err) {
  if (nwid == 0) {
    *err = "invalid network id";
    return false;
  }
  const bool joined = ports_.count(nwid) > 0;
  NetworkLocalConf lc;
  if (joined) {
    if (auto info = member_->network(nwid)) lc.settings = info->settings;
    lc.allow_managed_whitelist = ports_[nwid].whitelist;
  } else {
    lc = read_network_local_conf(opt_.home, nwid);
  }
  vl2::LocalSettings s = lc.settings;
  if (change.allow_managed) s.allow_managed = *change.allow_managed;
  if (change.allow_global) s.allow_global = *change.allow_global;
  if (change.allow_default) s.allow_default = *change.allow_default;
  if (change.allow_dns) s.allow_dns = *change.allow_dns;
  // A boolean allowManaged replaces a whitelist, as stock's setter does.
  if (change.allow_managed) lc.allow_managed_whitelist.clear();

  if (!joined) {
    // restore() (start) may have joined the member already.
    if (!member_->join(nwid, s, now, out)) {
      if (!member_->network(nwid)) {
        *err = "the member refused to join " + port::nwid_hex(nwid);
        return false;
      }
      member_->set_settings(nwid, s);
    }
    Port& p = ports_[nwid];
    p.whitelist = lc.allow_managed_whitelist;
    if (!opt_.bridged(nwid)) open_port(nwid, p);
    // A network without a working tap shows PORT_ERROR, as stock's.
    if (p.error) member_->set_port_error(nwid, true);
    std::string why;
    if (read_network_conf(opt_.home, nwid).empty() &&
        !write_network_conf(opt_.home, nwid, {}, &why))
      log(LogLevel::kWarn, "cannot write " + network_conf_path(opt_.home, nwid) + ": " + why);
    log(LogLevel::kInfo, "joined network " + port::nwid_hex(nwid) + " (tap " +
                             (p.tap                           ? p.name
                              : opt_.bridged(nwid)             ? "none: bridged by the data plane's lan port"
                                                             : "none: " + std::string(std::strerror(p.error))) +
                             ")");
  } else {
    member_->set_settings(nwid, s);
    ports_[nwid].whitelist = lc.allow_managed_whitelist;
  }
  // Stock writes <nwid>.local.conf on every POST, a join included.
  std::string why;
  if (!write_network_local_conf(opt_.home, nwid, s, &why))
    log(LogLevel::kWarn, "cannot write " + network_local_conf_path(opt_.home, nwid) + ": " + why);
  reconcile(nwid, now, false);
  return true;
}

bool MemberHost::leave(uint64_t nwid, uint64_t now, Actions& out) {
  auto it = ports_.find(nwid);
  if (it == ports_.end()) return false;
  member_->leave(nwid, now, out);
  departing_taps_.insert(it->second.name);
  ports_.erase(it);  // the tap closes; the kernel removes its addresses and routes with it
  remove_network_files(opt_.home, nwid);
  log(LogLevel::kInfo, "left network " + port::nwid_hex(nwid));
  return true;
}

void MemberHost::open_port(uint64_t nwid, Port& p) {
  if (!nl_ && nl_error_.empty()) {
    nl_ = port::Netlink::open(&nl_error_);
    if (!nl_) log(LogLevel::kWarn, "netlink: " + nl_error_);
  }
  std::string err;
  auto map = port::read_devicemap(opt_.home, &err);
  if (!map) {
    log(LogLevel::kWarn, "devicemap: " + err);
    map = port::DeviceMap{};
  }
  // Our own old taps are no collision: the one wanted again is waited for.
  std::erase_if(departing_taps_, [](const std::string& n) { return !port::device_exists(n); });
  p.name = port::choose_tap_name(nwid, *map, port::device_exists, departing_taps_);
  if (p.name.empty()) {
    p.error = EEXIST;
    return;
  }
  if (departing_taps_.count(p.name)) {
    if (!port::wait_device_gone(p.name, kDepartingTapWait, port::device_exists)) {
      p.error = EBUSY;
      log(LogLevel::kWarn, "tap " + p.name + ": the old device of this name is still going away");
      return;
    }
    departing_taps_.erase(p.name);
  }
  port::TapOptions o;
  o.name = p.name;
  if (opt_.tap_offload) {
    o.vnet_hdr = true;
    o.offloads = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;
  }
  o.queues = std::clamp(opt_.tap_queues, 1u, port::kMaxTapQueues);
  p.tap = port::Tap::open(o, &err);
  if (!p.tap) {
    p.error = errno ? errno : EPERM;
    log(LogLevel::kWarn, "network " + port::nwid_hex(nwid) + ": tap " + p.name + ": " + err);
    return;
  }
  if (opt_.tap_queues > 0 && notify_fd_ >= 0)
    for (unsigned q = 0; q < p.tap->queues(); ++q)
      p.io.push_back(std::make_unique<TapQueueIo>(p.tap->fd(q), notify_fd_, frame_cap()));
  // A name stock would not pick by itself (a collision bump) is remembered
  // in the devicemap, so the next start picks it again.
  if (auto m = map->find(port::nwid_hex(nwid));
      p.name != port::tap_name(nwid) && (m == map->end() || m->second != p.name)) {
    (*map)[port::nwid_hex(nwid)] = p.name;
    if (!port::write_devicemap(opt_.home, *map, &err)) log(LogLevel::kWarn, "devicemap: " + err);
  }
  if (!nl_) {
    p.error = EPERM;
    return;
  }
  if (int rc = nl_->link_index(p.name, &p.ifindex); rc < 0) {
    p.error = -rc;
    return;
  }
  port::LinkChange c;
  c.mac = port::member_mac(core_.address(), nwid);
  c.mtu = wire::kDefaultMtu;
  c.txqlen = kTapTxQueueLen;
  c.up = false;
  if (int rc = nl_->link_set(p.ifindex, c); rc < 0) {
    p.error = -rc;
    log(LogLevel::kWarn, "tap " + p.name + ": setting MAC/MTU: " + std::strerror(-rc));
    return;
  }
  p.mtu = wire::kDefaultMtu;
  if (!opt_.bridge.empty()) {
    int br = 0;
    port::LinkChange m;
    if (nl_->link_index(opt_.bridge, &br) == 0 && (m.master = br, nl_->link_set(p.ifindex, m) == 0))
      log(LogLevel::kInfo, "tap " + p.name + " enslaved to bridge " + opt_.bridge);
    else
      log(LogLevel::kWarn, "tap " + p.name + ": cannot enslave to bridge " + opt_.bridge);
  }
}

// Brings the tap in line with the network: MTU from the config, link up
// only while OK, managed addresses and routes while up; a new config is
// saved as networks.d/<nwid>.conf.
void MemberHost::reconcile(uint64_t nwid, uint64_t now, bool config_event) {
  auto it = ports_.find(nwid);
  if (it == ports_.end()) return;
  Port& p = it->second;
  const std::optional<vl2::NetworkInfo> info = member_->network(nwid);
  if (!info) return;
  if (config_event && info->config && !info->config_bytes.empty() &&
      info->config_received_at != p.last_config_at) {
    p.last_config_at = info->config_received_at;
    std::string why;
    if (!write_network_conf(opt_.home, nwid, info->config_bytes, &why))
      log(LogLevel::kWarn, "cannot write " + network_conf_path(opt_.home, nwid) + ": " + why);
  }
  if (!p.tap || !nl_ || !p.ifindex) return;
  const bool up = info->status == vl2::NetworkStatus::kOk;
  const unsigned mtu = info->config ? std::clamp(info->config->mtu, wire::kMinMtu, wire::kMaxMtu)
                                    : wire::kDefaultMtu;
  port::LinkChange c;
  if (mtu != p.mtu) c.mtu = mtu;
  if (up != p.up) c.up = up;
  if (c.mtu || c.up) {
    if (int rc = nl_->link_set(p.ifindex, c); rc < 0) {
      ++sync_errors_;
      log(LogLevel::kWarn, "tap " + p.name + ": link change: " + std::strerror(-rc));
    } else {
      if (c.up)
        log(LogLevel::kInfo, "tap " + p.name + " " + (up ? "up" : "down") + " (network " +
                                 port::nwid_hex(nwid) + " " + vl2::to_string(info->status) + ")");
      p.mtu = mtu;
      p.up = up;
    }
  }
  if (p.up) sync_managed(nwid, p, *info, now);
  p.next_check = std::min(p.next_check, now + 200);  // subscriptions soon after a change
}

void MemberHost::sync_managed(uint64_t nwid, Port& p, const vl2::NetworkInfo& info, uint64_t now) {
  std::vector<wire::InetAddress> assigned;
  std::vector<port::ConfigRoute> routes;
  if (info.config) {
    assigned = info.config->static_ips;
    for (const auto& r : info.config->routes) routes.push_back({r.target, r.via});
  }
  std::vector<wire::InetAddress> link;
  nl_->address_dump(p.ifindex, &link);
  const port::DesiredState want =
      port::desired_state(managed_settings(info.settings, p.whitelist), assigned, routes, link,
                          root_online(core_, now));
  const port::SyncResult r = port::sync_link(*nl_, p.ifindex, want, &p.applied);
  if (r.added || r.removed)
    log(LogLevel::kInfo, "tap " + p.name + " (network " + port::nwid_hex(nwid) + "): " +
                             std::to_string(r.added) + " managed addresses/routes added, " +
                             std::to_string(r.removed) + " removed");
  for (const std::string& e : r.errors) {
    ++sync_errors_;
    log(LogLevel::kWarn, "tap " + p.name + ": " + e);
  }
}

void MemberHost::check_subscriptions(uint64_t nwid, Port& p, const std::string* dev_mcast,
                                     uint64_t now, Actions& out) {
  if (!p.tap || !nl_ || !p.ifindex) return;
  std::vector<MulticastGroup> joined;
  if (dev_mcast) joined = port::parse_dev_mcast(*dev_mcast, p.name);
  std::vector<wire::InetAddress> ips;
  nl_->address_dump(p.ifindex, &ips);
  std::vector<MulticastGroup> groups = port::interface_groups(joined, ips);
  if (groups != p.groups) {
    p.groups = groups;
    member_->set_subscriptions(nwid, std::move(groups), now, out);
  }
}

unsigned MemberHost::poll_taps(uint64_t now, unsigned budget, Actions& out) {
  unsigned handled = 0;
  port::FrameSlot slots[kBurst];
  if (notify_fd_ >= 0) {
    // Reset first, then drain: frames published after this read signal again.
    uint64_t v;
    (void)!::read(notify_fd_, &v, sizeof v);
  }
  bool left = false;
  for (auto& [nwid, p] : ports_) {
    if (!p.tap) continue;
    if (!p.io.empty()) {
      // The I/O threads' rings; what the budget leaves waits for the next turn.
      for (auto& io : p.io) {
        while (handled < budget) {
          const port::FrameSlot* s = io->rx().front();
          if (!s) break;
          tap_frame(nwid, *p.tap, s->data, s->len, now, out);
          io->rx().pop();
          ++tap_rx_;
          ++handled;
        }
        left |= !io->rx().empty();
      }
      continue;
    }
    if (handled >= budget) continue;
    const size_t want = std::min<size_t>(burst(), budget - handled);
    const size_t cap = frame_cap();
    for (size_t i = 0; i < want; ++i) slots[i] = {rx_.data() + i * cap, uint32_t(cap), 0};
    int err = 0;
    const size_t n = p.tap->read_burst(0, std::span<port::FrameSlot>(slots, want), &err);
    if (err) ++tap_rx_errors_;
    for (size_t i = 0; i < n; ++i) tap_frame(nwid, *p.tap, slots[i].data, slots[i].len, now, out);
    tap_rx_ += n;
    handled += unsigned(n);
  }
  if (left) {
    const uint64_t one = 1;
    (void)!::write(notify_fd_, &one, sizeof one);  // the loop comes back at once
  }
  return handled;
}

size_t MemberHost::frame_cap() const { return opt_.tap_offload ? kSuperFrameCap : kFrameCap; }

void MemberHost::tap_frame(uint64_t nwid, const port::Tap& tap, const uint8_t* data, size_t len,
                           uint64_t now, Actions& out) {
  const size_t hl = tap.vnet_hdr_len();
  if (hl == 0) {
    member_->from_tap(nwid, std::span<const uint8_t>(data, len), now, out);
    return;
  }
  port::VnetHdr h;
  if (!port::parse_vnet_hdr(data, len, &h)) {
    ++tap_rx_bad_gso_;
    return;
  }
  uint8_t* frame = const_cast<uint8_t*>(data) + hl;  // our own read buffer
  const size_t flen = len - hl;
  if ((h.gso_type & ~port::kGsoEcn) == port::kGsoNone) {
    // A frame of wire size; the kernel may have left its checksum to us.
    if (!port::complete_checksum(h, frame, flen)) {
      ++tap_rx_bad_gso_;
      return;
    }
    member_->from_tap(nwid, std::span<const uint8_t>(frame, flen), now, out);
    return;
  }
  port::FrameSlot seg[kMaxSegments];
  for (size_t i = 0; i < kMaxSegments; ++i)
    seg[i] = {split_.data() + i * kFrameCap, uint32_t(kFrameCap), 0};
  port::GsoError ge = port::GsoError::kNone;
  const size_t n = port::gso_split(h, frame, flen, std::span<port::FrameSlot>(seg, kMaxSegments), &ge);
  if (n == 0) {
    ++tap_rx_bad_gso_;
    return;
  }
  ++tap_rx_gso_;
  for (size_t i = 0; i < n; ++i)
    member_->from_tap(nwid, std::span<const uint8_t>(seg[i].data, seg[i].len), now, out);
}

void MemberHost::run(uint64_t now, Actions& out) {
  if (now >= member_->next_deadline()) member_->run(now, out);
  bool due = false;
  for (auto& [nwid, p] : ports_) due |= now >= p.next_check;
  if (!due) return;
  // One read of /proc/net/dev_mcast serves every tap due now.
  const std::optional<std::string> dev_mcast = port::read_dev_mcast();
  for (auto& [nwid, p] : ports_) {
    if (now < p.next_check) continue;
    p.next_check = now + kSubscriptionsMs;
    if (p.up)
      if (auto info = member_->network(nwid)) sync_managed(nwid, p, *info, now);
    check_subscriptions(nwid, p, dev_mcast ? &*dev_mcast : nullptr, now, out);
  }
}

void MemberHost::flush(uint64_t now) {
  vl2::MemberOutput mo;
  member_->drain(mo);
  // Frames go out in bursts per tap, in the order the member produced them.
  std::vector<port::FrameView> views;
  for (size_t i = 0; i < mo.to_tap.size();) {
    const uint64_t nwid = mo.to_tap[i].nwid;
    size_t j = i;
    views.clear();
    while (j < mo.to_tap.size() && mo.to_tap[j].nwid == nwid) {
      views.push_back({mo.to_tap[j].frame.data(), uint32_t(mo.to_tap[j].frame.size())});
      ++j;
    }
    auto it = ports_.find(nwid);
    if (it == ports_.end() || !it->second.tap) {
      tap_tx_dropped_ += j - i;
    } else {
      Port& p = it->second;
      const size_t hl = p.tap->vnet_hdr_len();
      std::span<const port::FrameView> writes = views;
      const bool gro = hl && opt_.tap_gro;
      if (gro) {
        // Runs of one TCP flow become one super-frame write (gro.hpp).
        gro_.coalesce(views, &gro_out_);
        writes = gro_out_;
      } else if (hl) {
        // Each frame behind a zeroed vnet header (no GSO, checksums done):
        // copied once into tx_, sized first so the views stay valid.
        size_t total = 0;
        for (const auto& v : views) total += hl + v.len;
        tx_.assign(total, 0);
        size_t at = 0;
        for (auto& v : views) {
          std::memcpy(tx_.data() + at + hl, v.data, v.len);
          v = {tx_.data() + at, uint32_t(hl + v.len)};
          at += v.len;  // header and frame
        }
      }
      auto frames_in = [&](size_t k) -> size_t { return gro ? gro_.frames_of(k) : 1; };
      size_t frames = 0;
      if (p.io.empty()) {
        int err = 0;
        const size_t n = p.tap->write_burst(0, writes, &err);
        for (size_t k = 0; k < n; ++k) frames += frames_in(k);
      } else {
        // Each write to its flow's queue; a full ring drops it (counted).
        uint32_t kicked = 0;
        for (size_t k = 0; k < writes.size(); ++k) {
          const port::FrameView& w = writes[k];
          const unsigned q = port::flow_queue(w.data + hl, w.len - hl, unsigned(p.io.size()));
          if (p.io[q]->tx().push(w.data, w.len)) {
            frames += frames_in(k);
            kicked |= 1u << q;
          } else {
            tap_tx_ring_full_ += frames_in(k);
          }
        }
        for (size_t q = 0; q < p.io.size(); ++q)
          if (kicked & (1u << q)) p.io[q]->kick();
      }
      tap_tx_ += frames;
      tap_tx_dropped_ += views.size() - frames;  // kernel queue full, ring full or link down
    }
    i = j;
  }
  for (const vl2::MemberEvent& e : mo.events)
    reconcile(e.nwid, now, e.kind == vl2::MemberEvent::Kind::kConfig);
}

uint64_t MemberHost::next_deadline() const {
  uint64_t d = member_->next_deadline();
  for (const auto& [nwid, p] : ports_) d = std::min(d, p.next_check);
  return d;
}

void MemberHost::tap_fds(std::vector<int>& out) const {
  if (notify_fd_ >= 0) out.push_back(notify_fd_);
  for (const auto& [nwid, p] : ports_)
    if (p.tap && p.io.empty())
      for (unsigned q = 0; q < p.tap->queues(); ++q) out.push_back(p.tap->fd(q));
}

NetworkStatusView MemberHost::make_view(const vl2::NetworkInfo& info, const Port* p) const {
  NetworkStatusView v;
  v.nwid = info.nwid;
  v.mac = info.mac ? info.mac : port::member_mac(core_.address(), info.nwid);
  v.status = vl2::to_string(info.status);
  v.mtu = wire::kDefaultMtu;
  v.type = "PRIVATE";  // stock's zeroed config says PRIVATE until one arrives
  v.allow_managed = info.settings.allow_managed;
  v.allow_global = info.settings.allow_global;
  v.allow_default = info.settings.allow_default;
  v.allow_dns = info.settings.allow_dns;
  if (p) {
    v.port_device_name = p->name;
    v.port_error = p->error ? -p->error : 0;
    for (const MulticastGroup& g : p->groups) v.multicast_subscriptions.push_back({g.mac, g.adi});
  }
  if (const auto& c = info.config) {
    v.name = c->name;
    v.type = c->is_public() ? "PUBLIC" : "PRIVATE";
    v.mtu = c->mtu;
    v.broadcast_enabled = c->broadcast_enabled();
    v.netconf_revision = c->revision;
    for (uint64_t s : c->specialists)
      if ((s & 0xffffffffffULL) == core_.address() && (s & wire::kSpecialistActiveBridge))
        v.bridge = true;
    for (const auto& a : c->static_ips) v.assigned_addresses.push_back(a.to_string());
    for (const auto& r : c->routes)
      v.routes.push_back({r.target.to_string(), r.via.is_null() ? "" : ip_only(r.via), r.flags,
                          r.metric});
    v.dns_domain = c->dns.domain;
    for (const auto& s : c->dns.servers) v.dns_servers.push_back(ip_only(s));
  }
  return v;
}

std::vector<NetworkStatusView> MemberHost::views() const {
  std::vector<NetworkStatusView> out;
  for (const vl2::NetworkInfo& n : member_->networks()) {
    auto it = ports_.find(n.nwid);
    out.push_back(make_view(n, it == ports_.end() ? nullptr : &it->second));
  }
  std::sort(out.begin(), out.end(),
            [](const NetworkStatusView& a, const NetworkStatusView& b) { return a.nwid < b.nwid; });
  return out;
}

std::optional<NetworkStatusView> MemberHost::view(uint64_t nwid) const {
  auto info = member_->network(nwid);
  if (!info) return std::nullopt;
  auto it = ports_.find(nwid);
  return make_view(*info, it == ports_.end() ? nullptr : &it->second);
}

std::vector<MetricSample> MemberHost::metrics() const {
  std::vector<MetricSample> out;
  auto c = [&](const char* n, uint64_t v, const char* h) {
    out.push_back(MetricSample{n, {}, double(v), h, MetricType::kCounter});
  };
  c("flatnet_member_tap_rx_frames_total", tap_rx_, "frames read from the taps");
  c("flatnet_member_tap_tx_frames_total", tap_tx_, "frames written to the taps");
  c("flatnet_member_tap_tx_dropped_total", tap_tx_dropped_,
    "frames for a tap the kernel did not take (queue full, link down, no tap)");
  c("flatnet_member_tap_rx_errors_total", tap_rx_errors_, "tap reads that failed");
  c("flatnet_member_tap_rx_gso_total", tap_rx_gso_,
    "TCP super-frames from the taps cut into frames (tap offload)");
  c("flatnet_member_tap_rx_bad_total", tap_rx_bad_gso_,
    "tap frames with a vnet header we could not use (malformed, unsupported GSO), dropped");
  const port::GroCounters& g = gro_.counters();
  c("flatnet_member_tap_gro_writes_total", g.out,
    "tap writes with the write-side GRO (super-frames and frames as they are)");
  c("flatnet_member_tap_gro_super_frames_total", g.super_frames,
    "tap writes that carried two or more TCP frames as one super-frame");
  c("flatnet_member_tap_gro_merged_frames_total", g.merged, "frames written inside super-frames");
  c("flatnet_member_tap_gro_bad_checksum_total", g.bad_checksum,
    "TCP frames to a tap not merged for a wrong IP/TCP checksum (written as they are)");
  c("flatnet_member_tap_tx_ring_full_total", tap_tx_ring_full_,
    "frames for a tap dropped because its queue's I/O thread ring was full (--tap-queues)");
  c("flatnet_member_sync_errors_total", sync_errors_,
    "link, address or route changes the kernel refused");
  // The member's counters, but its network count is a gauge.
  for (const CounterSample& s : member_->metrics()) {
    const bool gauge = s.name == "flatnet_vl2_networks";
    out.push_back(MetricSample{gauge ? s.name : s.name + "_total", {}, double(s.value), s.help,
                               gauge ? MetricType::kGauge : MetricType::kCounter});
  }
  return out;
}

void wait_for_input(int backend_fd, const std::vector<int>& fds, int ms) {
  std::vector<pollfd> p;
  p.reserve(fds.size() + 1);
  if (backend_fd >= 0) p.push_back({backend_fd, POLLIN, 0});
  for (int fd : fds) p.push_back({fd, POLLIN, 0});
  ::poll(p.data(), p.size(), ms);
}

}  // namespace flatnet::control::service
