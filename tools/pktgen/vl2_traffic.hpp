// Gateway traffic (issue 12, docs/bench-gateway.md): what the generator
// sends a flatnet gateway and how it checks what comes back.
//
// Decap (underlay -> LAN): EXT_FRAMEs (or FRAMEs) from synthetic peers to the
// gateway, armored with each peer's key (suite 1 or 3) and split into
// datagrams as a stock sender does (spec §2.5), each in an Ethernet/IPv4/UDP
// frame to the gateway's address:9993. Armoring costs more than a gateway
// spends opening a packet, so the pool is built once and replayed: every
// datagram of the pool is a valid packet the gateway accepts each time
// (ZeroTier 1.x has no replay protection). What comes back on the LAN is
// checked frame by frame (addresses, type, length, the frame's stamp).
//
// Encap (LAN -> underlay): plain Ethernet frames from LAN hosts to the
// members' MACs (spec §5.2). What comes back on the underlay is checked
// (outer headers to the member's synthetic path, VL1 addresses), and one
// packet in N is dearmored with the member's key and its EXT_FRAME read.
//
// Peers are dataplane/ipc/synthetic.hpp's (address, path), and their keys
// are derived from (seed, address), so whatever loads the gateway's tables
// (a benchmark in the same process, or a loader over IPC) installs the
// same keys without being told them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "crypto/armor.hpp"
#include "tools/pktgen/frame.hpp"
#include "tools/pktgen/peers.hpp"

namespace flatnet::pktgen::vl2 {

// The 48-byte key the gateway shares with synthetic peer `address` of seed.
crypto::SharedKey synthetic_key(uint64_t seed, uint64_t address);

// IMIX: 7:4:1 of 64, 576 and 1,500-byte frames, in a fixed interleaving.
unsigned imix_size(unsigned i);

struct Params {
  uint64_t seed = 1;          // synthetic peers and keys
  uint32_t peers = 1;         // peers 0..peers-1 of the seed, all members
  uint64_t nwid = 0;          // the bridged (private) network
  uint64_t gateway = 0;       // the gateway's 40-bit address
  crypto::Suite suite = crypto::Suite::kSalsa2012Poly1305;
  unsigned frame_size = 64;   // LAN frame bytes with the 14-byte Ethernet header; 0 = IMIX
  bool ext_frame = true;      // decap: EXT_FRAME (to a LAN host's MAC); false: FRAME
  unsigned lan_hosts = 16;    // LAN MACs frames come from (encap) or go to (decap)
  // Underlay addresses (host byte order for IPs).
  Mac gw_mac{}, gen_mac{};
  uint32_t gw_ip = 0;
  uint16_t gw_port = 9993;
  uint32_t gen_ip = 0;        // decap: the peers' datagrams come from their synthetic paths
};

// The MAC of LAN host h (locally administered, unicast, never a member MAC
// of the network).
uint64_t lan_host_mac(const Params& p, unsigned h);
// The LAN frame size of frame i.
inline unsigned frame_size(const Params& p, unsigned i) { return p.frame_size ? p.frame_size : imix_size(i); }

// One datagram of the decap pool (outer headers included).
struct Datagram {
  std::vector<uint8_t> bytes;
  uint32_t frame = 0;   // which pool frame it carries (a part of)
  bool last = false;    // its frame's last datagram
};

// `frames` frames, peer i % peers sending frame i to LAN host i % lan_hosts.
// Each payload starts with a stamp (magic, frame index) and is filled with
// a pattern of the index.
std::vector<Datagram> decap_pool(const Params& p, unsigned frames);

// Frame i of the decap pool as the gateway should put it on the LAN.
std::vector<uint8_t> expected_lan_frame(const Params& p, unsigned i);

// Checks a frame from the gateway's LAN port: the addresses of the pool's
// frame its stamp names, type 0x0800, its length, its payload.
// Returns the frame index, or -1 when anything differs.
long check_lan_frame(const Params& p, const uint8_t* f, size_t len, unsigned frames);

// `frames` LAN frames, frame i from LAN host i % lan_hosts to the member MAC
// of peer i % peers, type 0x0800, stamped as above.
std::vector<std::vector<uint8_t>> encap_pool(const Params& p, unsigned frames);

// What an underlay datagram from the gateway is.
struct UnderlayInfo {
  bool ok = false;          // outer headers and VL1 addresses as expected
  bool fragment = false;    // a VL1 fragment (no VL1 header of its own)
  bool head_fragmented = false;  // a head whose packet continues in fragments
  uint64_t dest = 0;        // VL1 destination (heads)
};

// Checks the outer Ethernet/IPv4/UDP headers (from gw_mac to next_hop_mac,
// from gw_ip:gw_port to the destination peer's synthetic path, IPv4
// checksum) and the VL1 addresses (to one of the peers, from the gateway).
// `peers` maps address -> index (see PeerIndex).
class PeerIndex {
 public:
  PeerIndex(uint64_t seed, uint32_t n);
  // Index of `address` or -1.
  long find(uint64_t address) const;
  const SyntheticPeer& at(uint32_t i) const { return peers_[i]; }
  uint32_t size() const { return uint32_t(peers_.size()); }

 private:
  std::vector<SyntheticPeer> peers_;
  std::vector<std::pair<uint64_t, uint32_t>> sorted_;
};
UnderlayInfo check_underlay(const Params& p, const PeerIndex& peers, const Mac& next_hop_mac,
                            const uint8_t* f, size_t len);

// Dearmors the VL1 packet of an unfragmented datagram with its destination
// peer's key and checks it is a FRAME/EXT_FRAME of the network carrying an
// encap pool frame of the right length, from a LAN host to that peer's MAC.
// Returns the pool frame index or -1. `f` is not modified.
long dearmor_check(const Params& p, const uint8_t* f, size_t len, unsigned frames);

// Per-flow order of what comes back (issue 12: a flow's frames are never
// reordered). A flow is a peer: pool frame i belongs to flow i % peers (decap:
// the peer that sends it; encap: the peer it goes to), and its sequence
// number is its position i / peers among that flow's frames, which the pool
// sends in order, over and over. A return whose position is behind its
// flow's last one by less than half the flow's frames is out of order; ahead
// is in order (frames in between lost or written off), so the pool must hold
// at least kMinPositions frames per flow for the count to mean anything
// (checked() false otherwise, and nothing is counted).
class FlowOrder {
 public:
  static constexpr unsigned kMinPositions = 8;
  FlowOrder(unsigned frames, unsigned peers);
  // A return of pool frame i (as check_lan_frame / dearmor_check name it).
  void saw(unsigned i);
  bool checked() const { return positions_ >= kMinPositions; }
  uint64_t out_of_order() const { return out_of_order_; }
  uint64_t seen() const { return seen_; }

 private:
  unsigned peers_, positions_;
  std::vector<uint32_t> last_;  // per flow: last position + 1, 0 = none yet
  uint64_t out_of_order_ = 0, seen_ = 0;
};

}  // namespace flatnet::pktgen::vl2
