// flatnetd's event loop and StatusSource (see daemon.hpp).
#include "control/service/daemon.hpp"

#include <sodium.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <thread>

#include "control/service/online.hpp"
#include "dataplane/wire/hex.hpp"
#include "dataplane/wire/vl1.hpp"

namespace flatnet::control::service {

namespace {

constexpr unsigned kInputsPerTurn = 256;     // bounded work per loop turn
constexpr uint64_t kCacheIntervalMs = 5000;  // peers cache: changed peers written
// While a save left changed peers for later (PeersCache::kMaxOpsPerSave per
// call), the next slice follows this soon instead of kCacheIntervalMs.
constexpr uint64_t kCacheBacklogMs = 100;
constexpr size_t kRestorePerTurn = 256;      // peers cache: restored per loop turn
constexpr uint64_t kHelloRetryMs = 2000;    // HELLO to roots until one answers
const char* kLevelNames[] = {"debug", "info", "warn", "error"};

int64_t to_wall(uint64_t mono, uint64_t now_mono, int64_t now_wall) {
  return mono == 0 ? 0 : now_wall - int64_t(now_mono - std::min(mono, now_mono));
}

// A gateway's VL2 tables (control/boundary/vl2_reconciler), docs/gateway.md.
void gateway_metrics(const boundary::Vl2ReconcilerStats& t, std::vector<MetricSample>& out) {
  auto gauge = [&](const char* name, uint64_t v, const char* help) {
    out.push_back(MetricSample{std::string("flatnet_gateway_") + name, {}, double(v), help, MetricType::kGauge});
  };
  auto counter = [&](const char* name, uint64_t v, const char* help) {
    out.push_back(MetricSample{std::string("flatnet_gateway_") + name + "_total", {}, double(v), help,
                               MetricType::kCounter});
  };
  gauge("members", t.members, "members control wants in the data plane's VL2 tables (admitted now)");
  gauge("peer_keys", t.keys, "peer keys control wants there");
  gauge("mac_routes", t.macs, "MAC routes control wants there (members' MACs, routes behind bridges)");
  gauge("subscribers", t.subscribers, "multicast subscriptions control wants there");
  gauge("pending", t.pending, "1 while the VL2 tables differ from what control wants");
  gauge("in_flight", t.in_flight, "VL2 commands on the ring, not yet confirmed by a barrier");
  counter("commands_sent", t.commands_sent, "VL2 commands queued on the command ring");
  counter("ring_full", t.ring_full, "times the command ring had no room for a VL2 command");
  counter("failures", t.failures, "VL2 commands refused by the data plane (retried)");
  counter("reinstalls", t.reinstalls, "VL2 tables installed again (an attach: a new epoch; a lost barrier)");
  counter("sweeps", t.sweeps, "VL2 sweeps the data plane finished (entries of older epochs deleted)");
  counter("creds_refused", t.creds_refused, "members' credentials over the data plane's bounds, not installed");
  counter("barriers_confirmed", t.barriers_confirmed, "VL2 command batches confirmed");
}

// The table reconciler (control/boundary), docs/control.md "The boundary".
void boundary_metrics(const boundary::ReconcilerStats& t, std::vector<MetricSample>& out) {
  auto gauge = [&](const char* name, uint64_t v, const char* help) {
    out.push_back(MetricSample{std::string("flatnet_boundary_") + name, {}, double(v), help,
                               MetricType::kGauge});
  };
  auto counter = [&](const char* name, uint64_t v, const char* help) {
    out.push_back(MetricSample{std::string("flatnet_boundary_") + name + "_total", {}, double(v),
                               help, MetricType::kCounter});
  };
  gauge("desired", t.desired, "peers control wants in the data plane's table");
  gauge("confirmed", t.confirmed, "of those, confirmed by a barrier or the table dump");
  gauge("pending", t.pending, "table updates waiting for room on the command ring or the dump");
  gauge("in_flight", t.in_flight, "table commands on the ring, not yet confirmed");
  gauge("expired", t.expired, "wanted peers the data plane aged out (back on their next packet)");
  gauge("backoff", t.backoff, "table updates refused (table full, busy), waiting to retry");
  gauge("rejected", t.rejected, "table updates refused as bad, not retried");
  gauge("dataplane_relay", t.dp_relay, "the data plane's relay setting in its last dump (1 = on)");
  gauge("dataplane_path_max_idle_ms", t.dp_path_max_idle_ms,
        "the data plane's path ageing in its last dump (0 = off)");
  counter("commands_sent", t.commands_sent, "table commands queued on the command ring");
  counter("ring_full", t.ring_full, "times the command ring had no room (rest kept for later)");
  counter("coalesced", t.coalesced, "updates merged into one still queued for the same address");
  counter("retries", t.retries, "table commands sent again (backoff, lost barrier, dump)");
  counter("failures_table_full", t.failures_table_full, "RESULT TABLE_FULL");
  counter("failures_bad_argument", t.failures_bad_argument, "RESULT BAD_ARGUMENT");
  counter("failures_other", t.failures_other, "other failure RESULTs");
  counter("barrier_timeouts", t.barrier_timeouts, "barriers not answered in time");
  counter("dumps", t.dumps, "table dumps reconciled");
  counter("dumps_incomplete", t.dumps_incomplete, "table dumps incomplete (all re-sent)");
  counter("stale_deleted", t.dump_stale_deleted, "dumped peers control did not want, deleted");
  counter("unknown_dest_resent", t.unknown_dest_resent, "UNKNOWN_DEST for a wanted peer: re-sent");
  counter("unknown_dest_unwanted", t.unknown_dest_unwanted, "UNKNOWN_DEST for a peer control does not know");
  counter("path_expired", t.path_expired, "PATH_EXPIRED events");
  counter("expired_resent", t.expired_resent, "aged-out peer wanted again by the core: re-sent");
  counter("heard_resent", t.heard_resent, "punted packet from an aged-out peer over its path: re-sent");
  counter("barrier_lost_events", t.barrier_lost_events, "barriers reporting lost events: table read again");
  counter("config_corrected", t.config_corrected, "sibling root corrected after a dump");
}

std::string version_string(const Version& v) {
  return std::to_string(v.major) + "." + std::to_string(v.minor) + "." +
         std::to_string(v.revision);
}

}  // namespace

Daemon::Daemon(Home home, std::unique_ptr<Backend> backend, DaemonOptions opt)
    : home_(std::move(home)),
      backend_(std::move(backend)),
      opt_(opt),
      cache_(home_.dir + "/peers.d", Limits{}.peer_capacity) {
  Config cfg;
  cfg.identity = home_.identity;
  cfg.planet = home_.planet;
  cfg.moons = home_.moons;
  cfg.relay = backend_->software_relay();
  cfg.direct_addresses = backend_->local_addresses();
  cfg.burst_crypto = opt_.burst_crypto;
  core_ = std::make_unique<Core>(std::move(cfg), mono_ms());
  member_ = std::make_unique<MemberHost>(MemberHostOptions{home_.dir, opt_.bridge, opt_.tap_offload,
                                                           opt_.tap_gro, opt_.tap_queues,
                                                           backend_->lan_network(), backend_->lan_vlan_networks()},
                                         *core_,
                                         [this](LogLevel l, const std::string& t) { log(l, t); });
}

void Daemon::log(LogLevel level, const std::string& text) {
  if (level < opt_.log_level) return;
  std::fprintf(stderr, "flatnetd: %s: %s\n", kLevelNames[size_t(level)], text.c_str());
}

void Daemon::execute(Actions& a) {
  // Frames the member sent (Core::send_to) wait in the core for one burst.
  core_->flush_sends(a);
  for (const SendDatagram& d : a.send)
    if (!backend_->send(d)) ++send_failures_;
  for (const TableCommand& c : a.table)
    if (!backend_->table(c)) ++table_failures_;
  // The core already rate-limits its per-packet lines and never logs keys.
  for (const LogLine& l : a.log) log(l.level, l.text);
  for (const wire::World& w : a.worlds_learned) save_world(w);
  for (EchoReply& r : a.echo_replies) {
    auto it = ping_sent_.find(r.in_re_packet_id);
    if (it != ping_sent_.end()) {
      log(LogLevel::kInfo, "echo reply from " + wire::hex_address(r.from) + " rtt " +
                               std::to_string(mono_ms() - it->second) + " ms hops " +
                               std::to_string(r.hops) + (r.hops ? " relayed" : " direct"));
      ping_sent_.erase(it);
    }
    replies_[r.in_re_packet_id] = std::move(r);
    if (replies_.size() > 1024) replies_.erase(replies_.begin());
  }
  a.clear();
}

void Daemon::join_bridged_network(Actions& a) {
  for (const auto& [lan, host] : gateways()) {
    (void)host;
    log(LogLevel::kInfo, "gateway: the data plane's lan port bridges network " + wire::hex_id(lan));
    if (member_->view(lan)) continue;  // joined before (networks.d): its settings stand
    NetworkSettingsChange change;
    // The bridge itself needs no addresses; with a host port the untagged
    // network is also the gateway machine's own (a member's default).
    change.allow_managed = lan == backend_->lan_network() && !backend_->host_interface().empty();
    std::string err;
    if (!member_->join(lan, change, mono_ms(), a, &err))
      log(LogLevel::kWarn, "gateway: cannot join " + wire::hex_id(lan) + ": " + err);
  }
}

std::vector<std::pair<uint64_t, GatewayHost*>> Daemon::gateways() {
  std::vector<std::pair<uint64_t, GatewayHost*>> out;
  if (const uint64_t lan = backend_->lan_network()) out.push_back({lan, &gateway_});
  for (uint64_t v : backend_->lan_vlan_networks()) out.push_back({v, out.empty() ? &gateway_ : &vlan_gateways_[v]});
  return out;
}

// Each bridged network's tables as the member and the core know them. Peer
// keys are per peer: all of them go with the first network's state, so one
// reconciler owns each (backend.hpp, lan_vlan_networks).
void Daemon::gateway_turn(uint64_t now, Actions& a) {
  const auto nets = gateways();
  if (nets.empty()) return;
  if (const std::string iface = backend_->host_interface(); !iface.empty()) {
    if (!host_port_)
      host_port_ = std::make_unique<GatewayHostPort>([this](LogLevel l, const std::string& t) { log(l, t); });
    host_port_->tick(iface, backend_->lan_network(), member_->member(), core_->address(), root_online(*core_, now),
                     now);
  }
  // The peers the data plane still serves: met again before the sweep.
  if (std::optional<std::vector<uint64_t>> dumped = backend_->take_dumped_peers()) {
    log(LogLevel::kInfo, "gateway: asking the " + std::to_string(dumped->size()) +
                             " peers of the data plane's table for their credentials (before the VL2 sweep)");
    for (const auto& [nwid, g] : nets) g->remeet(*dumped, now);
  }
  for (const auto& [nwid, g] : nets) {
    g->solicit(nwid, member_->member(), *core_, now, a);
    g->lan_tick(nwid, member_->member(), now, a);
  }
  execute(a);
  if (nets.size() == 1) {
    if (gateway_.due(now)) backend_->vl2_desired(GatewayHost::desired(nets[0].first, member_->member(), *core_));
    return;
  }
  const bool first_due = nets[0].second->due(now);
  boundary::Vl2Desired first;
  if (first_due) first = GatewayHost::desired(nets[0].first, member_->member(), *core_);
  for (size_t i = 1; i < nets.size(); ++i) {
    const bool due = nets[i].second->due(now);
    if (!due && !first_due) continue;
    boundary::Vl2Desired d = GatewayHost::desired(nets[i].first, member_->member(), *core_);
    if (first_due)
      for (auto& [addr, k] : d.keys) first.keys.emplace(addr, k);
    d.keys.clear();
    if (due) backend_->vl2_desired_for(nets[i].first, std::move(d));
  }
  if (first_due) backend_->vl2_desired_for(nets[0].first, std::move(first));
}

void Daemon::ping_tick(uint64_t now) {
  if (opt_.ping_targets.empty() || now < next_ping_) return;
  next_ping_ = now + 1000;
  Actions a;
  for (uint64_t target : opt_.ping_targets) {
    uint8_t payload[8];
    randombytes_buf(payload, sizeof payload);
    if (uint64_t id = core_->send_echo(target, payload, now, a)) {
      ping_sent_[id] = now;
      if (ping_sent_.size() > 64) ping_sent_.erase(ping_sent_.begin());
    } else if (!core_->peers().find(target)) {
      for (uint64_t u : core_->upstreams())
        if (core_->send_whois(u, target, now, a)) break;
    }
    execute(a);
  }
}

unsigned Daemon::turn(uint64_t now) {
  Actions a;
  BackendEvents ev;
  ev.datagram = [&](const PhysicalPath& from, std::span<const uint8_t> d) {
    core_->receive(from, d, now, a);
    execute(a);
  };
  ev.burst = [&](std::span<const ReceivedDatagram> b) {
    core_->receive_burst(b, now, a);
    execute(a);
  };
  ev.relayed_pair = [&](uint64_t s, uint64_t d) {
    core_->relayed_pair(s, d, now, a);
    execute(a);
  };
  ev.restarted = [&]() {
    log(LogLevel::kInfo, "data plane attached: table dump reconciled, re-announcing peers");
    core_->resync(now, a);
    execute(a);
  };
  ev.lan_group = [&](uint64_t nwid, uint64_t mac, uint32_t adi, uint32_t kind) {
    auto it = vlan_gateways_.find(nwid);
    (it == vlan_gateways_.end() ? gateway_ : it->second).lan_group(nwid, MulticastGroup{mac, adi}, kind, now);
  };
  ev.lan_loop = [&](uint64_t nwid, uint64_t mac, uint64_t bridge) {
    if (std::string line = lan_loops_.report(nwid, mac, bridge, now); !line.empty()) log(LogLevel::kWarn, line);
  };
  ev.log = [&](LogLevel level, const std::string& text) { log(level, text); };
  unsigned handled = backend_->poll(ev, kInputsPerTurn);
  handled += restore_cached_peers(now);
  handled += member_->poll_taps(now, kInputsPerTurn, a);
  execute(a);

  // A standby controller (PostgreSQL; another flatnetd with our identity
  // holds the leader lock) stays silent on the network: a HELLO from it
  // would move the roots' path for our address away from the leader. It
  // greets the roots at once when it takes over.
  const bool standby = controller_ && !controller_->leader();
  if (standby) {
    next_hello_ = 0;
  } else if (now >= next_hello_) {
    // Until some root has answered (our first HELLO may be lost, or a
    // restarting root's control may not be attached yet), retry every 2 s.
    bool answered = core_->upstreams().empty();
    for (uint64_t u : core_->upstreams()) {
      const Peer* p = core_->peers().find(u);
      answered |= p && p->best_path();
    }
    next_hello_ = now + (answered ? Core::kLeafHelloIntervalMs : kHelloRetryMs);
    core_->hello_upstreams(backend_->local_socket(), now, a);
    execute(a);
  }
  if (now >= core_->next_deadline(now)) {
    core_->run_background(now, a);
    execute(a);
  }
  if (controller_) {
    controller_->run(now, a);
    execute(a);
  }
  member_->run(now, a);
  execute(a);
  member_->flush(now);  // frames to the taps, config/status to the ports
  gateway_turn(now, a);
  ping_tick(now);
  // The backend may have queued this turn's sends to batch them.
  send_failures_ += backend_->flush();
  if (now >= next_cache_) {
    const bool more = save_peers_cache(PeersCache::kMaxOpsPerSave);
    next_cache_ = now + (more ? kCacheBacklogMs : kCacheIntervalMs);
  }
  return handled;
}

void Daemon::run(const std::atomic<bool>& stop) {
  log(LogLevel::kInfo, "node " + home_.identity.address_string() + " on " + backend_->describe() +
                           (core_->am_root() ? " (root)" : " (leaf)"));
  next_cache_ = mono_ms() + kCacheIntervalMs;
  {
    std::lock_guard<std::timed_mutex> g(mu_);
    cache_.start_load();  // no-op if main() started it already
    Actions a;
    member_->start(mono_ms(), a);  // networks.d: the home's networks joined again
    join_bridged_network(a);
    execute(a);
  }
  while (!stop.load(std::memory_order_relaxed)) {
    uint64_t deadline;
    unsigned handled;
    std::vector<int> taps;
    {
      std::lock_guard<std::timed_mutex> g(mu_);
      const uint64_t now = mono_ms();
      handled = turn(now);
      deadline = std::min({core_->next_deadline(now), next_hello_, next_cache_,
                           member_->next_deadline(),
                           opt_.ping_targets.empty() ? UINT64_MAX : next_ping_,
                           controller_ ? controller_->next_run() : UINT64_MAX});
      taps.clear();
      member_->tap_fds(taps);
    }
    {
      std::lock_guard<std::mutex> t(turn_mu_);
      ++turns_;
    }
    turn_cv_.notify_all();
    const uint64_t now = mono_ms();
    // Idle: sleep on the backend until input or the next timer (at most
    // 100 ms, so a stop request is seen promptly).
    // Busy (the last turn had input): only yield, so a burst is drained.
    // mu_ is free meanwhile: StatusSource calls do not wait for this.
    const int ms = handled ? 0 : int(std::min<uint64_t>(deadline > now ? deadline - now : 0, 100));
    // With taps, wake for their frames too (a backend without a pollable
    // fd is polled at least every millisecond then).
    if (taps.empty()) {
      backend_->wait(ms);
    } else if (backend_->wait_fd() >= 0) {
      backend_->wait(0);  // the backend's own pre-sleep work (a batching backend flushes)
      wait_for_input(backend_->wait_fd(), taps, ms);
    } else {
      wait_for_input(-1, taps, std::min(ms, 1));
      backend_->wait(0);
    }
  }
  std::lock_guard<std::timed_mutex> g(mu_);
  save_peers_cache(SIZE_MAX);  // stopping: everything, the loop serves nobody now
  member_.reset();             // taps closed: their devices go
  if (opt_.log_level <= LogLevel::kDebug) {
    std::string counters;
    for (const CounterSample& c : metric_samples(core_->metrics()))
      if (c.value) counters += " " + c.name.substr(16) + "=" + std::to_string(c.value);
    log(LogLevel::kDebug, "counters:" + counters);
  }
  log(LogLevel::kInfo, "stopped; peers cache written");
}

// ---- peers cache -------------------------------------------------------------------

// Only peers whose path changed since the last write are written, so the
// short interval costs a walk of the table, not a file per peer.
bool Daemon::save_peers_cache(size_t max_ops) {
  const uint64_t now = mono_ms();
  const PeersCache::SaveStats st = cache_.save([&](const PeersCache::Visit& visit) {
    core_->peers().for_each([&](const Peer& p) {
      if (p.is_upstream()) return;
      const Path* best = core_->preferred_path(p, now);
      if (best) visit(p.identity, best->phys.remote.to_string());
    });
  }, max_ops);
  if (st.written || st.removed || st.failed)
    log(st.failed ? LogLevel::kWarn : LogLevel::kDebug,
        "peers cache: " + std::to_string(st.written) + " written, " +
            std::to_string(st.removed) + " removed" +
            (st.failed ? ", " + std::to_string(st.failed) + " could not be written" : "") +
            (st.deferred ? ", " + std::to_string(st.deferred) + " left for the next slice" : ""));
  return st.deferred > 0;
}

void Daemon::load_peers_cache() {
  std::lock_guard<std::timed_mutex> g(mu_);
  cache_.start_load();
}

// A bounded number of cached peers per loop turn (each costs a key
// agreement, ~0.1 ms), so a large cache never holds the loop; when the
// last is in, the desired table is complete.
unsigned Daemon::restore_cached_peers(uint64_t now) {
  if (cache_done_) return 0;
  std::vector<CachedPeer> batch;
  cache_.take(batch, kRestorePerTurn);
  Actions a;
  for (const CachedPeer& c : batch) {
    if (core_->restore_peer(c.identity, PhysicalPath{backend_->local_socket(), c.path}, now, a))
      ++cache_restored_;
    execute(a);
  }
  if (batch.empty() && !cache_.loading()) {
    cache_done_ = true;
    const PeersCache::LoadStats st = cache_.load_stats();
    log(LogLevel::kInfo, "peers cache: " + std::to_string(cache_restored_) + " restored" +
                             (st.bad ? ", " + std::to_string(st.bad) + " unparsable (removed)" : "") +
                             (st.errors ? ", " + std::to_string(st.errors) + " could not be read (kept)" : "") +
                             (st.over ? ", " + std::to_string(st.over) + " over the bound (removed)" : ""));
    backend_->table_complete(now);
  }
  return unsigned(batch.size());
}

// ---- worlds ------------------------------------------------------------------------

std::string Daemon::moon_file(uint64_t id) const {
  return home_.dir + "/moons.d/" + wire::hex_id(id) + ".moon";
}

// A world the core took from OK(HELLO), stored where stock keeps it: the
// planet as <home>/planet, a moon as moons.d/<16-hex id>.moon.
void Daemon::save_world(const wire::World& w) {
  std::vector<uint8_t> bytes;
  if (!wire::serialize_world(w, bytes)) return;
  std::string path = home_.dir + "/planet";
  if (w.type == wire::WorldType::kMoon) {
    std::error_code ec;
    std::filesystem::create_directories(home_.dir + "/moons.d", ec);
    path = moon_file(w.id);
  }
  if (!write_file_atomic(path, std::string(bytes.begin(), bytes.end()), 0644))
    log(LogLevel::kWarn, "could not write " + path);
}

// Every moons.d file holding moon `id` (stock's name, or any *.moon that
// load_home would read at the next start).
void Daemon::remove_moon_files(uint64_t id) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const std::string dir = home_.dir + "/moons.d";
  if (!fs::is_directory(dir, ec)) return;
  std::vector<fs::path> doomed;
  for (auto& e : fs::directory_iterator(dir, ec)) {
    if (e.path().extension() != ".moon") continue;
    wire::World m;
    std::string why;
    if (e.path().filename() == wire::hex_id(id) + ".moon" ||
        (read_world_file(e.path().string(), m, &why) && m.id == id))
      doomed.push_back(e.path());
  }
  for (const fs::path& f : doomed)
    if (!fs::remove(f, ec)) log(LogLevel::kWarn, "could not remove " + f.string());
}

// ---- StatusSource ------------------------------------------------------------------

// The loop holds mu_ for one bounded turn and releases it before it sleeps,
// so this normally succeeds at once; a turn stuck (a blocked disk or log
// pipe, a bug) turns into Unavailable (HTTP 503) instead of a hung caller.
std::unique_lock<std::timed_mutex> Daemon::api_lock() {
  std::unique_lock<std::timed_mutex> g(mu_, std::defer_lock);
  if (!g.try_lock_for(std::chrono::milliseconds(opt_.api_wait_ms)))
    throw Unavailable("flatnetd's event loop did not answer within " +
                      std::to_string(opt_.api_wait_ms) + " ms");
  return g;
}

template <typename Pred>
bool Daemon::wait_for_turns(std::chrono::steady_clock::time_point deadline, Pred pred) {
  for (;;) {
    uint64_t seen;
    {
      std::lock_guard<std::mutex> t(turn_mu_);
      seen = turns_;
    }
    {
      auto g = api_lock();
      if (pred()) return true;
    }
    std::unique_lock<std::mutex> t(turn_mu_);
    if (!turn_cv_.wait_until(t, deadline, [&] { return turns_ != seen; })) {
      t.unlock();
      auto g = api_lock();
      return pred();
    }
  }
}

NodeStatus Daemon::node() {
  auto g = api_lock();
  NodeStatus s;
  s.address = core_->address();
  s.public_identity = home_.identity.to_string(false);
  s.version = version_string(core_->config().version);
  s.online = root_online(*core_, mono_ms());
  s.planet_id = core_->config().planet.id;
  s.planet_timestamp = core_->config().planet.timestamp;
  s.udp_port = backend_->port();
  s.secondary_port = backend_->secondary_port();
  s.clock_ms = wall_ms();
  for (const wire::InetAddress& a : backend_->local_addresses())
    s.listening_on.push_back(a.to_string());
  for (const wire::InetAddress& a : core_->surface_addresses())
    s.surface_addresses.push_back(a.to_string());
  if (!gateways().empty()) s.gateway_ports.push_back({"lan", backend_->lan_network(), "", false});
  if (const std::string iface = backend_->host_interface(); !iface.empty())
    s.gateway_ports.push_back({"host", backend_->lan_network(), iface, host_port_ && host_port_->up()});
  for (const LanLoops::Loop& l : lan_loops_.current(mono_ms()))
    s.gateway_loops.push_back({l.nwid, LanLoops::mac_text(l.mac), l.bridge, wall_ms() - int64_t(mono_ms() - l.last_ms),
                               l.reports});
  return s;
}

std::vector<PeerStatus> Daemon::peers() {
  auto g = api_lock();
  const uint64_t now = mono_ms();
  const int64_t wall = wall_ms();
  const uint64_t timeout = core_->config().limits.path_timeout_ms;
  std::vector<PeerStatus> out;
  core_->peers().for_each([&](const Peer& p) {
    PeerStatus s;
    s.address = p.identity.address();
    if (p.version_known) s.version = version_string(p.version);
    s.role = p.role == PeerRole::kPlanetRoot ? Role::kPlanet
             : p.role == PeerRole::kMoonRoot ? Role::kMoon
                                             : Role::kLeaf;
    const Path* best = core_->preferred_path(p, now);
    s.relayed = best == nullptr;
    // Stock reports the preferred path's latency, -1 while unmeasured.
    if (best && best->latency < Path::kLatencyUnknown) s.latency_ms = int(best->latency);
    for (const Path& q : p.paths) {
      PathStatus ps;
      ps.address = q.phys.remote.to_string();
      ps.last_send_ms = to_wall(q.last_send, now, wall);
      ps.last_receive_ms = to_wall(q.last_receive, now, wall);
      ps.active = now - q.last_receive < timeout;
      ps.preferred = best == &q;
      s.paths.push_back(std::move(ps));
    }
    out.push_back(std::move(s));
  });
  std::sort(out.begin(), out.end(),
            [](const PeerStatus& a, const PeerStatus& b) { return a.address < b.address; });
  return out;
}

std::vector<MoonStatus> Daemon::moons() {
  auto g = api_lock();
  std::vector<MoonStatus> out;
  for (const wire::World& m : core_->config().moons) {
    MoonStatus s;
    s.id = m.id;
    s.timestamp = m.timestamp;
    if (auto it = orbit_seeds_.find(m.id); it != orbit_seeds_.end()) s.seed = it->second;
    for (const wire::WorldRoot& r : m.roots) s.roots.push_back(r.identity.address());
    out.push_back(std::move(s));
  }
  // Orbits still waiting for their moon, as stock lists them.
  for (const Core::MoonSeed& w : core_->moon_seeds()) {
    MoonStatus s;
    s.id = w.world_id;
    s.seed = w.seed;
    s.waiting = true;
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<MetricSample> Daemon::metrics() {
  auto g = api_lock();
  std::vector<MetricSample> out;
  for (const CounterSample& c : metric_samples(core_->metrics()))
    out.push_back(MetricSample{c.name + "_total", {}, double(c.value), c.help,
                               MetricType::kCounter});
  out.push_back(MetricSample{"flatnet_control_peers", {}, double(core_->peers().size()),
                             "peers in the control table", MetricType::kGauge});
  out.push_back(MetricSample{"flatnet_control_identity_queue", {},
                             double(core_->identity_queue_depth()),
                             "HELLOs waiting for the identity budget", MetricType::kGauge});
  out.push_back(MetricSample{"flatnet_control_send_failures_total", {}, double(send_failures_),
                             "datagrams the backend could not send", MetricType::kCounter});
  for (const auto& [name, v] : backend_->dataplane_counters())
    out.push_back(MetricSample{"flatnet_dataplane_" + name + "_total", {}, double(v),
                               "data plane counter " + name + ", all workers (docs/dataplane.md)",
                               MetricType::kCounter});
  out.push_back(MetricSample{"flatnet_control_table_failures_total", {}, double(table_failures_),
                             "table commands with a path the backend cannot express",
                             MetricType::kCounter});
  if (auto t = backend_->table_state()) boundary_metrics(*t, out);
  if (auto t = backend_->vl2_state()) {
    gateway_metrics(*t, out);
    size_t lan_groups = gateway_.lan_groups();
    uint64_t lan_events = gateway_.lan_group_events();
    for (const auto& [nwid, g] : vlan_gateways_) lan_groups += g.lan_groups(), lan_events += g.lan_group_events();
    out.push_back(MetricSample{"flatnet_gateway_lan_groups", {}, double(lan_groups),
                               "multicast groups LAN hosts joined (IGMP / MLD), LIKEd for the LAN",
                               MetricType::kGauge});
    out.push_back(MetricSample{"flatnet_gateway_lan_group_events_total", {}, double(lan_events),
                               "VL2_GROUP events from the data plane (groups joined or sent to on the LAN)",
                               MetricType::kCounter});
    out.push_back(MetricSample{"flatnet_gateway_lan_loops_total", {}, double(lan_loops_.reports()),
                               "VL2_LOOP reports: our LAN's frames came back from another bridge (docs/gateway.md Loops)",
                               MetricType::kCounter});
    out.push_back(MetricSample{"flatnet_gateway_lan_loops", {}, double(lan_loops_.current(mono_ms()).size()),
                               "bridged networks whose LAN is bridged twice now (a report within 60 s)",
                               MetricType::kGauge});
  }
  if (controller_)
    for (MetricSample& m : controller_->metrics()) out.push_back(std::move(m));
  if (member_)  // gone once run() has stopped
    for (MetricSample& m : member_->metrics()) out.push_back(std::move(m));
  return out;
}

void Daemon::attach_controller(std::unique_ptr<ControllerHost> c) {
  std::lock_guard<std::timed_mutex> g(mu_);
  controller_ = std::move(c);
  core_->set_controller(&controller_->start(*core_));
  log(LogLevel::kInfo, "controller of networks " + home_.identity.address_string() +
                           "xxxxxx, store " + controller_->location());
}

// Stock Node::orbit: a moons.d/<id>.moon already there is joined as it is
// (the seed is then not needed); otherwise the core fetches the moon from
// the seed and execute() writes the file when it arrives.
bool Daemon::orbit(uint64_t world, uint64_t seed, std::string* err) {
  auto g = api_lock();
  const uint64_t now = mono_ms();
  Actions a;
  Core::OrbitResult r;
  wire::World cached;
  std::string why;
  if (read_world_file(moon_file(world), cached, &why) && cached.type == wire::WorldType::kMoon &&
      cached.id == world) {
    r = core_->orbit(cached, now, a);
    next_hello_ = now;  // greet its roots at the next turn
  } else {
    r = core_->orbit(world, seed, now, a);
  }
  execute(a);
  if (r == Core::OrbitResult::kJoined || r == Core::OrbitResult::kWaiting) {
    if (seed && r == Core::OrbitResult::kWaiting) orbit_seeds_[world] = seed;
    log(LogLevel::kInfo, "orbit " + wire::hex_id(world) + ": " + Core::to_string(r));
    return true;
  }
  *err = r == Core::OrbitResult::kNoSeed
             ? "no seed given and no " + moon_file(world) + " to orbit " + wire::hex_id(world) + " from"
             : "orbit " + wire::hex_id(world) + " refused: " + Core::to_string(r);
  return false;
}

bool Daemon::deorbit(uint64_t world, std::string* err) {
  auto g = api_lock();
  Actions a;
  const bool known = core_->deorbit(world, mono_ms(), a);
  execute(a);
  if (!known) {
    *err = "not orbiting moon " + wire::hex_id(world);
    return false;
  }
  orbit_seeds_.erase(world);
  remove_moon_files(world);
  log(LogLevel::kInfo, "deorbit " + wire::hex_id(world));
  return true;
}

// Every wait here is for loop turns without holding mu_ (wait_for_turns),
// and every lock is api_lock(): a stuck loop ends a ping with Unavailable.
PingResult Daemon::ping(uint64_t addr, int count, int timeout_ms) {
  using clock = std::chrono::steady_clock;
  PingResult r;
  count = std::clamp(count, 1, 100);
  timeout_ms = std::clamp(timeout_ms, 1, 10000);
  const auto timeout = std::chrono::milliseconds(timeout_ms);
  auto g = api_lock();
  // Unknown peer: ask the roots first, within the first timeout.
  if (!core_->peers().find(addr)) {
    Actions a;
    const uint64_t now = mono_ms();
    for (uint64_t u : core_->upstreams())
      if (core_->send_whois(u, addr, now, a)) break;
    execute(a);
    g.unlock();
    if (!wait_for_turns(clock::now() + timeout, [&] { return core_->peers().find(addr) != nullptr; })) {
      r.error = "peer " + wire::hex_address(addr) + " is unknown (no WHOIS answer)";
      return r;
    }
    g = api_lock();
  }
  r.ok = true;
  // ECHOs are paced: a stock responder answers at most one ECHO per path
  // per 166 ms (spec §4.9), so back-to-back ECHOs would lose every other one.
  constexpr auto kPingSpacing = std::chrono::milliseconds(250);
  auto next_send = clock::now();
  for (int i = 0; i < count; ++i) {
    if (i > 0) {
      std::this_thread::sleep_until(next_send);
      g = api_lock();
    }
    next_send = clock::now() + kPingSpacing;
    Actions a;
    uint8_t payload[8];
    randombytes_buf(payload, sizeof payload);
    const uint64_t t0 = mono_ms();
    const auto t0_precise = clock::now();
    const uint64_t id = core_->send_echo(addr, payload, t0, a);
    execute(a);
    g.unlock();
    if (!id) {
      r.ok = false;
      r.error = "no path to " + wire::hex_address(addr) + " (direct or through a root)";
      return r;
    }
    ++r.sent;
    bool hops = false;
    const bool answered = wait_for_turns(t0_precise + timeout, [&] {
      auto it = replies_.find(id);
      if (it == replies_.end()) return false;
      hops = it->second.hops > 0;
      replies_.erase(it);
      return true;
    });
    if (answered) {
      const std::chrono::duration<double, std::milli> rtt = clock::now() - t0_precise;
      r.replies.push_back(PingReply{i, rtt.count(), hops});
    }
  }
  return r;
}

}  // namespace flatnet::control::service
