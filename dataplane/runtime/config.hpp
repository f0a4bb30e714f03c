// The data plane's configuration: a JSON file (docs/dataplane.md lists every
// key) with command-line overrides applied on top, validated in one place so
// a bad value yields one error naming its key.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "dataplane/fastpath/addr.hpp"
#include "dataplane/fastpath/police.hpp"
#include "dataplane/wire/inet_address.hpp"

namespace flatnet::runtime {

using fastpath::IpAddr;
using fastpath::Mac;

struct PortConfig {
  std::string devargs;         // "net_af_packet0,iface=veth0" or a PCI address
  // "underlay" (VL1), "lan" (bridged into `network`) or "host" (net_tap: the
  // gateway machine's own interface on the lan port's untagged network)
  std::string role = "underlay";
  uint16_t mtu = 1500;         // IP MTU
  uint64_t network = 0;        // role "lan": the network untagged LAN frames are bridged into
  // role "lan": 802.1Q VLAN ID -> network, for tagged LAN frames
  std::vector<std::pair<uint16_t, uint64_t>> vlans;
  std::string iface;           // role "host": the kernel interface (devargs' iface=)
};

struct StaticNeighbor {
  IpAddr ip;
  Mac mac;
};

struct Config {
  std::string instance = "default";   // names the IPC segment and EAL file prefix
  std::vector<PortConfig> ports;       // exactly one underlay, at most one lan and one host
  IpAddr ip4, gw4, ip6, gw6;
  unsigned prefix4 = 32, prefix6 = 128;
  uint16_t udp_port = 9993;            // primary: every packet we send leaves from it
  bool allow_secondary_port = true;    // also receive on a secondary port (spec 11.3)
  uint16_t secondary_port = 0;         // 0 = random at start (choose_secondary_port)
  uint64_t address = 0;                // own 40-bit VL1 address, 0 = none yet
  bool relay = true;                   // roots relay; leaves set false
  std::optional<wire::InetAddress> sibling;  // the ABI adds the DPDK port at start
  unsigned workers = 1;                // worker lcores; 0 = the main lcore polls too
  unsigned rx_desc = 1024, tx_desc = 1024;
  unsigned pool_size = 0;              // mbufs; 0 = sized from queues
  bool busy_poll = false;
  unsigned idle_pause_after = 16;      // empty polls before pausing
  unsigned idle_sleep_after = 256;     // empty polls before sleeping
  unsigned idle_sleep_max_us = 200;  // bounds added latency when idle (relayed RTT)
  unsigned neighbor_capacity = 1024;
  unsigned neighbor_pending = 256;
  std::vector<StaticNeighbor> neighbors;
  bool verify_udp4_checksum = true;
  unsigned table_capacity = 262144;
  unsigned path_max_idle_s = 0;        // 0 = paths never age out
  unsigned memory_mb = 256;            // EAL -m unless given in eal args
  std::vector<std::string> eal;        // extra EAL arguments
  double rendezvous_interval_s = 10;   // a relayed pair is reported once per interval
  unsigned unknown_events_per_s = 100;
  unsigned rendezvous_events_per_s = 1000;  // new relayed pairs reported per second per worker
  fastpath::PoliceConfig police;       // punt_* and relay_limit_* keys (docs "Under attack")
  // The gateway's VL2 tables (only with a lan port).
  unsigned vl2_mac_capacity = 4096;    // MACs of the bridged network (oldest out past it)
  unsigned vl2_mac_age_s = 300;        // learned MACs not seen this long are forgotten
  unsigned vl2_peer_capacity = 65536;  // members / key sets
  unsigned vl2_lan_multicast_pps = 20000;  // LAN broadcast/multicast frames per worker per second; 0 = no limit

  const PortConfig* port(const std::string& role) const {
    for (const auto& p : ports)
      if (p.role == role) return &p;
    return nullptr;
  }
};

// Parses and validates; on error returns nullopt and sets *err to one
// sentence that names the offending key.
std::optional<Config> parse_config(const nlohmann::json& j, std::string* err);
// The secondary UDP port the data plane receives on: 0 (none) when
// allow_secondary_port is false, secondary_port when fixed, else spec 11.3's
// random choice 20000 + (rand32 mod 45500), moved on by one (65499 wraps to
// 20000) when that is the primary. No trial bind: the data plane owns the
// port, so no other socket can hold the number.
uint16_t choose_secondary_port(const Config& c, uint32_t rand32);
// Reads a file (missing file or bad JSON: one sentence in *err).
std::optional<nlohmann::json> read_json_file(const std::string& path, std::string* err);

}  // namespace flatnet::runtime
