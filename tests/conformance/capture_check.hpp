// Replays a stock capture through our codecs and crypto: classifies every
// UDP datagram, reassembles per (packet ID, path), dearmors every packet
// whose two endpoints' secrets are known, decompresses LZ4 payloads, and
// checks that re-armoring and re-fragmenting reproduce the captured bytes.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "crypto/armor.hpp"
#include "crypto/identity.hpp"
#include "dataplane/wire/inet_address.hpp"

namespace flatnet::conformance {

struct CapturedPacket {
  std::vector<uint8_t> wire;                    // as reassembled from the capture
  std::vector<uint8_t> plain;                   // dearmored, LZ4 payload expanded
  std::vector<std::vector<uint8_t>> datagrams;  // head, then fragments 1..n-1
  std::shared_ptr<crypto::PeerKeys> keys;
  unsigned suite = 0;
  wire::InetAddress from, to;                   // UDP source and destination
};

struct CaptureStats {
  size_t frames = 0, non_udp = 0, udp = 0, udp_ipv6 = 0;
  size_t not_port_9993 = 0;   // UDP that is not ZeroTier's port: skipped
  size_t junk4 = 0;           // 4-byte NAT hole-punch datagrams: skipped
  size_t beacons = 0, runts = 0;
  size_t whole = 0, heads = 0, fragments = 0;
  size_t packets = 0;         // complete ZeroTier packets (fragments joined)
  size_t no_key = 0;          // an endpoint's secret is not in the vectors
  size_t auth_ok = 0, auth_fail = 0;
  std::array<size_t, 8> suite_ok{}, suite_fail{};
  size_t compressed = 0, decompress_ok = 0, decompress_fail = 0;
  size_t recompress_identical = 0;  // our LZ4 gives stock's bytes (informational)
  size_t rearmor_identical = 0, rearmor_different = 0;
  size_t refragment_identical = 0, refragment_different = 0;
  size_t reassembly_rejected = 0, incomplete_at_end = 0;
  size_t key_pairs = 0, key_pairs_asymmetric = 0;
  std::vector<std::string> problems;  // the first few failures, for messages
  std::vector<CapturedPacket> authenticated;
  std::string error;
};

// Node identities (with secrets) of one testnet: nodes/*/identity.secret.
std::map<uint64_t, crypto::Identity> load_node_identities(const std::filesystem::path& testnet);

CaptureStats check_capture(const std::filesystem::path& pcap,
                           const std::map<uint64_t, crypto::Identity>& ids);

std::string summary(const CaptureStats& s);

}  // namespace flatnet::conformance
