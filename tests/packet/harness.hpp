// Packet-in / packet-out harness: feeds byte frames into the fast-path
// stages as mbufs (no port: EAL runs with --no-huge --no-pci --in-memory) and
// collects what the worker would transmit, punt or report, plus the drop
// counters. Control is simulated by an in-memory path table.
#pragma once

#include <gtest/gtest.h>
#include <rte_eal.h>
#include <rte_mbuf.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/fastpath/stage.hpp"
#include "tests/packet/frames.hpp"

namespace flatnet::test {

using namespace flatnet::fastpath;

// Initialises the EAL once for the test binary.
class EalEnv : public ::testing::Environment {
 public:
  void SetUp() override;
  void TearDown() override;
  static rte_mempool* pool();
};

struct Punted {
  Bytes data;
  PuntInfo info;
};

// The hosts around the data plane under test, shared by the fixtures: peers
// A, B and C (MACs, IPv4 addresses, ZeroTier addresses).
inline const MacA kMacA{{0x02, 0, 0, 0, 0, 0x0a}};
inline const MacA kMacB{{0x02, 0, 0, 0, 0, 0x0b}};
inline const Ip4 kIpA{{10, 0, 0, 10}};
inline const Ip4 kIpB{{10, 0, 0, 11}};
inline const Ip4 kIpC{{10, 0, 0, 12}};
inline constexpr uint64_t kA = 0x0a0a0a0a0a, kB = 0x0b0b0b0b0b, kC = 0x0c0c0c0c0c;

class Harness {
 public:
  Harness();
  ~Harness();

  // Addresses of the data plane under test and of the hosts around it.
  static constexpr uint64_t kSelf = 0x1111111111;
  static constexpr uint16_t kPort = 9993;           // primary UDP port
  static constexpr uint16_t kSecondaryPort = 29993;  // accepted too; we never send from it
  MacA dp_mac{{0x02, 0, 0, 0, 0, 0x01}};
  Ip4 dp_ip4{{10, 0, 0, 1}};
  Ip6 dp_ip6{{0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};
  Ip6 dp_ll{{0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xfe, 0, 0, 0x01}};

  // Control-side state the hooks consult.
  void add_path4(uint64_t addr, const Ip4& ip, uint16_t port);
  void add_path6(uint64_t addr, const Ip6& ip, uint16_t port);
  void set_sibling4(const Ip4& ip, uint16_t port);
  void add_neighbor4(const Ip4& ip, const MacA& mac);
  void add_neighbor6(const Ip6& ip, const MacA& mac);

  // Runs frames as one burst; returns the transmitted frames (and clears them).
  std::vector<Bytes> run(const std::vector<Bytes>& frames);
  std::vector<Bytes> run1(const Bytes& f) { return run({f}); }
  std::vector<Bytes> housekeeping();

  // Arms the attack limits (off unless called) with a fixed hash seed.
  void police(const PoliceConfig& c, uint64_t seed = 1) { police_init(w, c, seed); }

  uint64_t drops(Drop r) const { return counters.drop[size_t(r)]; }
  uint64_t drops_total() const { return counters.drops_total(); }
  // The only non-zero drop reason, or "none" / "several".
  std::string drop_reason() const;

  Underlay u;
  Switches sw;
  ControlHooks hooks;
  CoreCounters counters;
  std::unique_ptr<NeighborTable> neigh;
  Worker w;
  std::map<uint64_t, PathView> paths;
  bool has_sibling = false;
  PathView sibling;
  bool punt_accepts = true;
  // The punt ring as the punt_fill hook reports it: 0 slots = unknown (no
  // reserve applied, never full); else punts fill it and a full one refuses.
  unsigned punt_slots = 0, punt_used = 0;
  std::vector<Punted> punts;
  std::vector<std::pair<uint64_t, uint64_t>> unknown_events, pair_events;
  std::vector<PuntInfo> unknown_from;   // physical source of each unknown_events entry
  std::vector<uint32_t> pair_counts;    // count of each pair_events entry
  struct GroupEvent {
    uint64_t nwid, mac;
    uint32_t adi, kind;
  };
  std::vector<GroupEvent> group_events;  // lan_group hook calls
  struct LoopEvent {
    uint64_t nwid, mac, bridge;
  };
  std::vector<LoopEvent> loop_events;  // lan_loop hook calls
  unsigned quiescent_calls = 0;
};

}  // namespace flatnet::test
