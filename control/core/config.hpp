// The core's configuration: who we are, the worlds we start with, and
// every limit a root under attack depends on (docs/control.md discusses
// the defaults; the timers are stock's, spec §11.2).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "control/core/verbs.hpp"
#include "crypto/identity.hpp"
#include "dataplane/wire/inet_address.hpp"
#include "dataplane/wire/world.hpp"

namespace flatnet::control {

// Every number a root under attack depends on. Defaults are discussed in
// docs/control.md; the timers are stock's (spec §11.2).
struct Limits {
  size_t peer_capacity = 131072;        // ~2 KiB each (docs/control.md): ~260 MiB
  size_t max_paths_per_peer = 4;          // stock allows 64; a root needs v4 + v6 + a spare
  // New identities: X25519 agreement + 2 MiB memory-hard check, both costly.
  // 10-20 ms of one core each (docs/control.md): 25/s bounds a flood to a
  // quarter to half a core. Known identities never pay again.
  uint32_t identity_checks_per_second = 25;   // global budget (burst = one second's worth)
  size_t identity_queue = 256;                // HELLOs waiting for the budget
  uint64_t identity_queue_timeout_ms = 5000;  // ZT_RECEIVE_QUEUE_TIMEOUT
  uint64_t identity_source_interval_ms = 2000;  // per /32 or /64 (stock: 2000 per bucket)
  uint32_t identity_source_burst = 2;
  size_t identity_source_slots = 16384;
  // Introductions.
  uint32_t rendezvous_per_second = 1000;     // global budget of RENDEZVOUS packets
  uint64_t unite_interval_ms = 30000;        // ZT_MIN_UNITE_INTERVAL, per unordered pair
  uint64_t unite_forget_ms = 240000;
  size_t unite_pairs = 131072;
  // Services.
  uint64_t echo_interval_ms = 166;           // per path
  size_t whois_max_answers = 128;            // identities per OK(WHOIS) (fits in 10024 bytes)
  // Roots ask a sibling root for addresses they do not know (spec §7.4).
  uint32_t whois_forward_per_second = 100;   // global budget
  uint64_t whois_forward_interval_ms = 500;  // ZT_WHOIS_RETRY_DELAY, per address
  size_t whois_forward_addresses = 16384;    // addresses remembered for that interval
  // Multicast directory (roots only).
  size_t multicast_subscriptions = 262144;   // total (network, group, member) entries
  size_t multicast_per_member = 1024;        // per announcing peer
  uint64_t multicast_expire_ms = 600000;     // ZT_MULTICAST_LIKE_EXPIRE
  size_t gather_max_answers = 255;           // members per OK(MULTICAST_GATHER), as root.cpp
  uint32_t gather_per_second = 10;           // per peer (a leaf gathers per group it sends to)
  uint32_t gather_burst = 20;
  // Timers.
  uint64_t peer_timeout_ms = 500000;         // ZT_PEER_ACTIVITY_TIMEOUT
  uint64_t path_timeout_ms = 243000;         // ZT_PEER_PATH_EXPIRATION
  uint64_t housekeeping_ms = 30000;          // ZT_HOUSEKEEPING_PERIOD
  uint64_t confirm_path_interval_ms = 1000;  // HELLO to an unconfirmed path, per peer
  // Logs on per-packet paths.
  uint32_t log_lines_per_second = 20;
};

struct Config {
  crypto::Identity identity;                 // ours, with its private key
  wire::World planet;                        // may be null (type kNull)
  std::vector<wire::World> moons;
  // Reported in HELLO/OK(HELLO). Protocol 12 and the software version of the
  // reference (1.14.1): clients key behaviour off both (cipher choice, and
  // a 1.1.0 quirk in §8.2), and we behave as that version on the wire.
  Version version{wire::kProtoVersion, 1, 14, 1};
  Limits limits;
  // A root without a data plane relays in software: a packet for a known
  // peer goes on to its best path with its hop count bumped, never
  // decrypted, and the pair is introduced (RENDEZVOUS). Off when a data
  // plane relays (it never punts packets for others).
  bool relay = false;
  // Our own addresses (the bound socket), pushed to peers in
  // PUSH_DIRECT_PATHS with the external addresses our upstreams report.
  std::vector<wire::InetAddress> direct_addresses;
  // Armor the packets made for VL2 in one turn, and dearmor the packets of
  // a receive burst (Core::receive_burst), through crypto/mb's burst
  // engines instead of one packet at a time. Byte for byte the same
  // packets; off = the single path (flatnetd --no-burst-crypto), kept to
  // measure the burst against. flatnetd turns it on.
  bool burst_crypto = false;
};

}  // namespace flatnet::control
