// flatnetd's event loop around the I/O-free core: feeds it the backend's
// datagrams and events, carries out its Actions, runs its timers, keeps
// the peers cache, and serves StatusSource (any thread: one mutex guards
// the core and the backend; the loop holds it for one bounded turn and
// never while it sleeps, so an API call is served at once on its own
// thread; a call that cannot get the mutex within api_wait_ms throws
// Unavailable, so a stuck loop cannot hang the HTTP API).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "control/core/core.hpp"
#include "control/service/backend.hpp"
#include "control/service/clock.hpp"
#include "control/service/gateway_host.hpp"
#include "control/service/gateway_host_port.hpp"
#include "control/service/gateway_loops.hpp"
#include "control/service/member_host.hpp"
#include "control/service/network_status.hpp"
#include "control/service/controller_host.hpp"
#include "control/service/peers_cache.hpp"
#include "control/service/settings.hpp"
#include "control/service/status.hpp"

namespace flatnet::control::service {

struct DaemonOptions {
  std::string home;
  LogLevel log_level = LogLevel::kInfo;
  std::vector<uint64_t> ping_targets;  // --ping: ECHO these once a second, log replies
  int api_wait_ms = 2000;              // StatusSource: longest wait for the loop's mutex
  std::string bridge;                  // bridge mode: enslave the member's taps to this bridge
  bool tap_offload = false;            // vnet header + TSO on the taps (member_host.hpp; flatnetd: on)
  bool tap_gro = true;                 // with tap_offload: write-side GRO (member_host.hpp)
  unsigned tap_queues = 0;             // tap queues with an I/O thread each; 0 none (member_host.hpp)
  bool burst_crypto = true;            // crypto/mb bursts in the core (Config::burst_crypto)
};

class Daemon final : public StatusSource, public NetworkSource {
 public:
  Daemon(Home home, std::unique_ptr<Backend> backend, DaemonOptions opt);

  // Runs until stop() (SIGINT/SIGTERM); writes the peers cache on the way out.
  void run(const std::atomic<bool>& stop);

  // StatusSource
  NodeStatus node() override;
  std::vector<PeerStatus> peers() override;
  std::vector<MoonStatus> moons() override;
  std::vector<MetricSample> metrics() override;
  bool orbit(uint64_t world, uint64_t seed, std::string* err) override;
  bool deorbit(uint64_t world, std::string* err) override;
  PingResult ping(uint64_t addr, int count, int timeout_ms) override;

  // NetworkSource (daemon_networks.cpp): the member's networks.
  std::vector<NetworkStatusView> networks() override;
  std::optional<NetworkStatusView> network(uint64_t nwid) override;
  bool join_network(uint64_t nwid, const NetworkSettingsChange& change, NetworkStatusView* out,
                    std::string* err) override;
  bool leave_network(uint64_t nwid) override;

  // Peers cache (peers_cache.hpp): <home>/peers.d/<address>.peer. Loading
  // starts a reader thread; the loop restores what it read a bounded number
  // per turn (run() starts it if nobody did). Saving writes changed peers
  // and removes the files of peers no longer in the table.
  // Writes at most `max_ops` cache files; true if more are left.
  bool save_peers_cache(size_t max_ops);
  void load_peers_cache();

  // The controller role (controller_host.hpp): plugged into the core, run
  // from the loop. Call before run(); the API reaches its store through
  // controller().
  void attach_controller(std::unique_ptr<ControllerHost> c);
  ControllerHost* controller() { return controller_.get(); }

 private:
  unsigned turn(uint64_t now);        // one bounded loop iteration (mu_ held); inputs handled
  void execute(Actions& a);           // carry out the core's actions (mu_ held)
  void log(LogLevel level, const std::string& text);
  void ping_tick(uint64_t now);
  // A gateway joins the network its data plane's LAN port bridges, as
  // stock's bridges do: allowManaged off on the first join (no tap).
  void join_bridged_network(Actions& a);
  unsigned restore_cached_peers(uint64_t now);  // a batch from the cache; how many
  // Worlds: moons.d/<16-hex id>.moon and <home>/planet, as stock keeps them.
  std::string moon_file(uint64_t id) const;
  void save_world(const wire::World& w);   // a world the core took from OK(HELLO)
  void remove_moon_files(uint64_t id);     // deorbit
  // StatusSource side: mu_ within opt_.api_wait_ms, else Unavailable.
  std::unique_lock<std::timed_mutex> api_lock();
  // Without holding mu_, waits for loop turns until pred() (evaluated under
  // mu_) holds or `deadline` passes; returns pred()'s last value.
  template <typename Pred>
  bool wait_for_turns(std::chrono::steady_clock::time_point deadline, Pred pred);

  Home home_;
  std::unique_ptr<Backend> backend_;
  DaemonOptions opt_;
  std::unique_ptr<Core> core_;
  std::unique_ptr<MemberHost> member_;  // VL2 member: networks, taps (member_host.hpp)
  GatewayHost gateway_;                 // a gateway data plane's VL2 tables (gateway_host.hpp)
  LanLoops lan_loops_;                  // a LAN bridged twice, as the data plane reports it
  std::map<uint64_t, GatewayHost> vlan_gateways_;  // its other bridged (802.1Q-mapped) networks
  std::unique_ptr<GatewayHostPort> host_port_;     // its host port's interface (gateway_host_port.hpp)
  // The bridged networks, the first one's host (gateway_) first.
  std::vector<std::pair<uint64_t, GatewayHost*>> gateways();
  void gateway_turn(uint64_t now, Actions& a);

  std::timed_mutex mu_;
  std::mutex turn_mu_;                // guards turns_ only (never held while blocking)
  std::condition_variable turn_cv_;   // signalled after every turn
  uint64_t turns_ = 0;
  std::map<uint64_t, EchoReply> replies_;   // by in-re packet ID, for ping()
  uint64_t next_hello_ = 0;
  uint64_t next_cache_ = 0;
  uint64_t next_ping_ = 0;
  std::map<uint64_t, uint64_t> ping_sent_;  // --ping: packet ID -> sent at
  PeersCache cache_;
  bool cache_done_ = false;           // every cached peer restored; backend told
  size_t cache_restored_ = 0;
  std::map<uint64_t, uint64_t> orbit_seeds_;  // moon -> seed it was orbited through (for /moon)
  uint64_t send_failures_ = 0;
  uint64_t table_failures_ = 0;
  std::unique_ptr<ControllerHost> controller_;  // after core_: destroyed before it
};

}  // namespace flatnet::control::service
