// The interface between flatnetd (the control process) and its HTTP API /
// CLI (control/api/). Plain structs and one abstract class: the API reads
// node, peer, moon and metric state through StatusSource and asks for a few
// actions (orbit, deorbit, ping). Nothing here knows about sockets or HTTP.
//
// Thread safety: every StatusSource method may be called from any thread
// (the HTTP server runs on its own). flatnetd serves each call on the
// caller's thread under the mutex its event loop releases before it sleeps,
// so a call never waits for the loop's next tick; ping() blocks its caller
// for at most count * timeout_ms (plus the waits below).
//
// A method that cannot get at the state in time (flatnetd's event loop is
// stuck inside a turn) throws Unavailable instead of blocking its caller
// forever; the HTTP API answers 503.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace flatnet::control {

class Unavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct NodeStatus {
  uint64_t address = 0;            // 40-bit node address
  std::string public_identity;     // "xxxxxxxxxx:0:<hex public>" (never the secret)
  std::string version;             // software version, "1.14.1"
  bool online = false;             // heard from a root within the last ~60 s
  uint64_t planet_id = 0;
  uint64_t planet_timestamp = 0;
  uint16_t tcp_port = 0;           // 0: no TCP (flatnetd has no TCP fallback)
  uint16_t udp_port = 0;           // primary port
  uint16_t secondary_port = 0;     // 0 = none
  int64_t clock_ms = 0;            // wall clock, ms since the epoch
  std::vector<std::string> listening_on;       // "ip/port" of the bound socket(s)
  std::vector<std::string> surface_addresses;  // where our roots see us, "ip/port"
  // A gateway data plane's ports other than the underlay ("lan", "host"),
  // shown as /status "gatewayPorts" (flatnet's own key; absent otherwise).
  struct GatewayPort {
    std::string role;       // "lan" or "host"
    uint64_t network = 0;   // the (untagged) network it is on; 0 = only VLAN-mapped ones
    std::string interface;  // host: the kernel interface
    bool up = false;        // host: the interface is up (the network is OK)
  };
  std::vector<GatewayPort> gateway_ports;
  // A gateway's LAN bridged twice (gateway_loops.hpp), per network with a
  // report in the last minute: /status "gatewayLoops" (absent otherwise).
  struct GatewayLoop {
    uint64_t network = 0;
    std::string mac;          // the LAN host whose frames came back
    uint64_t bridge = 0;      // the bridge they came back from
    int64_t last_ms = 0;      // wall clock of the latest report
    uint64_t reports = 0;
  };
  std::vector<GatewayLoop> gateway_loops;
};

enum class Role : uint8_t { kLeaf = 0, kPlanet, kMoon };

struct PathStatus {
  std::string address;             // "ip/port" (ZeroTier's spelling)
  int64_t last_send_ms = 0;        // wall-clock ms; 0 = never
  int64_t last_receive_ms = 0;
  bool active = false;             // heard within the path timeout
  bool preferred = false;          // the path we send on
};

struct PeerStatus {
  uint64_t address = 0;
  std::string version;             // "1.14.1", or "" if not yet known
  int latency_ms = -1;             // -1 = unknown
  Role role = Role::kLeaf;
  bool relayed = true;             // no direct path: we reach it via a root
  std::vector<PathStatus> paths;
};

struct MoonStatus {
  uint64_t id = 0;
  uint64_t timestamp = 0;
  uint64_t seed = 0;               // the root we orbited through (0 = from a .moon file)
  std::vector<uint64_t> roots;     // root addresses
  bool waiting = false;            // orbit requested, moon not yet fetched
};

enum class MetricType : uint8_t { kCounter = 0, kGauge };

struct MetricSample {
  std::string name;                // Prometheus-style, "flatnet_control_drops_total"
  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0;
  std::string help;
  MetricType type = MetricType::kCounter;
};

struct PingReply {
  int seq = 0;                     // 0-based index of the ECHO
  double rtt_ms = 0;
  bool relayed = false;            // came back through a root (hops > 0)
};

struct PingResult {
  bool ok = false;                 // false: *error says why (unknown peer, ...)
  std::string error;
  int sent = 0;
  std::vector<PingReply> replies;  // one per ECHO answered within timeout_ms
};

class StatusSource {
 public:
  virtual ~StatusSource() = default;
  virtual NodeStatus node() = 0;
  virtual std::vector<PeerStatus> peers() = 0;
  virtual std::vector<MoonStatus> moons() = 0;
  virtual std::vector<MetricSample> metrics() = 0;
  // Join/leave a moon. false + *err (one sentence) when refused.
  virtual bool orbit(uint64_t world, uint64_t seed, std::string* err) = 0;
  virtual bool deorbit(uint64_t world, std::string* err) = 0;
  // `count` ECHOs to `addr`, one after another, each waiting up to timeout_ms.
  virtual PingResult ping(uint64_t addr, int count, int timeout_ms) = 0;
};

}  // namespace flatnet::control
