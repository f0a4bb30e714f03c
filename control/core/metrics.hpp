// Every limit and every drop of the core, counted. Plain integers: the core
// is single-threaded; the process glue copies the struct out for /metrics.
//
// Drop reasons come from one list (the VPP habit) so the counters, their
// names and the docs cannot drift apart.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace flatnet::control {

#define FLATNET_CONTROL_DROPS(X)                                                            \
  X(runt, "shorter than any datagram form")                                                 \
  X(beacon, "13-byte legacy LAN beacon (ignored)")                                          \
  X(not_for_us, "destination is not this node and this node does not relay")               \
  X(relay_hop_limit, "relay refused: hop count already at the limit (3)")                  \
  X(relay_no_path, "relay refused: no path for the destination")                           \
  X(relay_loop, "relay refused: the destination's path is where the packet came from")     \
  X(from_self, "source address is our own")                                                 \
  X(fragment, "fragment or head rejected by reassembly")                                    \
  X(oversize, "unfragmented packet longer than the 10024-byte protocol maximum")            \
  X(unknown_sender, "non-HELLO from an unknown address (a root; or held 5 s in vain)")     \
  X(bad_mac, "authentication failed")                                                       \
  X(bad_cipher, "cipher 2 (trusted path) or 4..7")                                          \
  X(decompress, "LZ4 payload did not decompress")                                           \
  X(malformed, "verb payload did not decode")                                               \
  X(hello_version, "HELLO protocol version below 4")                                        \
  X(hello_address_mismatch, "HELLO identity address differs from the packet source")        \
  X(hello_stale, "HELLO timestamp older than the last one accepted from that peer")         \
  X(identity_invalid, "new identity failed the memory-hard check or key agreement")         \
  X(identity_source_limited, "new-identity check refused: per-source bucket empty")         \
  X(identity_queue_full, "new-identity check refused: queue full")                          \
  X(identity_queue_expired, "queued HELLO waited longer than the queue timeout")            \
  X(identity_collision, "HELLO for a known address with a different identity")              \
  X(unexpected_ok, "OK whose in-re packet ID we did not send")                              \
  X(not_upstream, "OK(WHOIS)/RENDEZVOUS from a peer that is not an upstream")               \
  X(unusable_address, "RENDEZVOUS names a loopback/link-local/multicast/none address")      \
  X(echo_limited, "ECHO above one reply per path per 166 ms")                               \
  X(reply_too_large, "a reply would exceed the 10024-byte packet limit")                   \
  X(multicast_full, "MULTICAST_LIKE over the directory or per-member limit")                \
  X(gather_limited, "MULTICAST_GATHER over the per-peer rate")                              \
  X(peer_table_full, "peer table full of peers that may not be evicted")                    \
  X(world_malformed, "world bytes in an OK(HELLO) did not parse")                           \
  X(world_not_upstream, "worlds in OK(HELLO) from a peer neither upstream nor moon seed")   \
  X(world_unwanted, "world neither our planet's ID nor an orbited or wanted moon")          \
  X(world_not_newer, "world update not newer than the one we hold")                         \
  X(world_bad_signature, "world update not signed by the current updatesMustBeSignedBy")    \
  X(outbox_expired, "packet for an unknown peer not sent: no WHOIS answer within 5 s")        \
  X(outbox_full, "packet for an unknown peer pushed out of the full outbox")                \
  X(outbox_no_route, "packet for a known peer not sent: no path and no upstream")          \
  X(burst_key_changed, "burst-dearmored packet whose peer was forgotten or re-keyed before dispatch") \
  X(no_vl2_handler, "VL2 verb for a role that has no member or controller")                 \
  X(log_suppressed, "log line over the per-second log budget")

enum class Drop : uint8_t {
#define FLATNET_X(name, text) name,
  FLATNET_CONTROL_DROPS(FLATNET_X)
#undef FLATNET_X
  kCount
};

inline constexpr const char* kDropNames[] = {
#define FLATNET_X(name, text) #name,
    FLATNET_CONTROL_DROPS(FLATNET_X)
#undef FLATNET_X
};

struct Metrics {
  std::array<uint64_t, size_t(Drop::kCount)> drops{};
  std::array<uint64_t, 32> rx_verb{};   // authenticated packets per verb
  uint64_t rx_datagrams = 0;
  uint64_t tx_datagrams = 0;
  // crypto/mb bursts (Config::burst_crypto): armored on the way out,
  // dearmored on the way in, and the packets in them.
  uint64_t tx_bursts = 0;
  uint64_t tx_burst_packets = 0;
  uint64_t rx_bursts = 0;
  uint64_t rx_burst_packets = 0;

  // HELLO / identity work
  uint64_t identity_checks = 0;         // memory-hard validations run
  uint64_t key_agreements = 0;          // X25519 agreements run
  uint64_t identity_queued = 0;         // HELLOs that waited for the global budget
  uint64_t hello_answered = 0;          // OK(HELLO) sent
  uint64_t worlds_sent = 0;             // planets/moons inside OK(HELLO)
  uint64_t worlds_accepted = 0;         // planet updates and moons taken from OK(HELLO)

  // peers
  uint64_t peers_learned = 0;
  uint64_t peers_evicted = 0;           // pushed out by capacity
  uint64_t peers_forgotten = 0;         // silent past the activity timeout
  uint64_t paths_expired = 0;

  // services
  uint64_t whois_answered = 0;          // identities returned
  uint64_t whois_unknown = 0;           // asked-for addresses we do not know
  uint64_t whois_forwarded = 0;         // of those, asked of a sibling root
  uint64_t whois_forward_limited = 0;   // not asked: per-address interval or global budget
  uint64_t whois_deferred = 0;          // identities held back until the path is confirmed
  uint64_t path_challenges = 0;         // ECHO sent to make a path prove a round trip
  uint64_t paths_confirmed = 0;         // paths that answered a HELLO or ECHO of ours
  uint64_t echo_answered = 0;
  uint64_t rendezvous_sent = 0;         // RENDEZVOUS packets (two per introduction)
  uint64_t rendezvous_pair_limited = 0; // pair introduced less than 30 s ago
  uint64_t rendezvous_budget_limited = 0;
  uint64_t rendezvous_no_path = 0;      // a side unknown or without a common family
  uint64_t rendezvous_received = 0;     // acted upon (leaf side)
  uint64_t multicast_likes = 0;         // subscriptions stored or refreshed
  uint64_t gathers_answered = 0;        // OK(MULTICAST_GATHER) sent
  uint64_t relayed = 0;                 // datagrams relayed in software (Config::relay)
  uint64_t held_for_whois = 0;          // leaf: packets from unknown senders held
  uint64_t held_released = 0;           // of those, decoded once the WHOIS answer came
  uint64_t vl2_sent = 0;                // packets sent for VL2 (Core::send_to)
  uint64_t outbox_held = 0;             // of those, held for a WHOIS answer first

  // leaf paths (leaf_role.cpp)
  uint64_t heartbeats_sent = 0;         // ECHO on a path unused for 14 s
  uint64_t surface_addresses_learned = 0;  // external addresses upstreams reported
  uint64_t push_direct_paths_sent = 0;
  uint64_t push_direct_paths_received = 0;  // acted upon
  uint64_t push_direct_paths_limited = 0;   // over 8 per peer per 30 s
  uint64_t push_direct_paths_tried = 0;     // addresses sent a HELLO

  uint64_t drop(Drop d) const { return drops[size_t(d)]; }
};

inline constexpr const char* kDropHelp[] = {
#define FLATNET_X(name, text) text,
    FLATNET_CONTROL_DROPS(FLATNET_X)
#undef FLATNET_X
};

// Every counter with a stable name ("flatnet_control_<name>"), for the glue's
// /metrics: drops as "drop_<reason>", verbs as "rx_verb_<n>" (non-zero only).
struct CounterSample {
  std::string name;
  const char* help;
  uint64_t value;
};
std::vector<CounterSample> metric_samples(const Metrics& m);

}  // namespace flatnet::control
