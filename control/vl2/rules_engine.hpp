// The VL2 rule evaluator (spec §10.9): the base rule table of a network
// config and the capabilities, applied to one Ethernet frame going out to or
// coming in from one member, with stock 1.14.1's semantics (node/Network.cpp
// _doZtFilter, filterOutgoingPacket, filterIncomingPacket).
//
// I/O-free and allocation-free: the caller passes views of the rules, the
// frame, the tags and two small interfaces (ownership, randomness), and gets
// a value back. Rules come decoded by dataplane/wire/rules. The member
// (issue 10) calls evaluate() for every frame in and out; the DPDK gateway
// (issue 12) will call it from its workers, so nothing here locks or
// allocates. docs/vl2-rules.md describes the semantics and the differences.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "control/vl2/frame_view.hpp"
#include "dataplane/wire/rules.hpp"

namespace flatnet::vl2 {

// Packet characteristics bits for MATCH_CHARACTERISTICS (stock's
// ZT_RULE_PACKET_CHARACTERISTICS_*). The low 9 bits are the TCP flags
// (NS in bit 8, then CWR..FIN as in the TCP header's 13th byte).
inline constexpr uint64_t kCharInbound = 0x8000000000000000ULL;
inline constexpr uint64_t kCharMulticast = 0x4000000000000000ULL;
inline constexpr uint64_t kCharBroadcast = 0x2000000000000000ULL;
inline constexpr uint64_t kCharSenderIpAuthenticated = 0x1000000000000000ULL;
inline constexpr uint64_t kCharSenderMacAuthenticated = 0x0800000000000000ULL;
inline constexpr uint64_t kCharTcpFlagNs = 0x100;
inline constexpr uint64_t kCharTcpFlagCwr = 0x80;
inline constexpr uint64_t kCharTcpFlagEce = 0x40;
inline constexpr uint64_t kCharTcpFlagUrg = 0x20;
inline constexpr uint64_t kCharTcpFlagAck = 0x10;
inline constexpr uint64_t kCharTcpFlagPsh = 0x08;
inline constexpr uint64_t kCharTcpFlagRst = 0x04;
inline constexpr uint64_t kCharTcpFlagSyn = 0x02;
inline constexpr uint64_t kCharTcpFlagFin = 0x01;

// The QoS bucket a frame gets when no PRIORITY action fires (stock's
// ZT_AQM_DEFAULT_BUCKET), and the one a PRIORITY above 8 falls back to.
inline constexpr uint8_t kDefaultQosBucket = 0;
inline constexpr uint8_t kPriorityFallbackBucket = 4;

enum class Direction : uint8_t { kOutbound, kInbound };

// One tag as the caller has it: id and value. A TagSet is sorted by id
// (unique ids) so lookups are a binary search.
struct TagValue {
  uint32_t id = 0;
  uint32_t value = 0;
};
struct TagSet {
  std::span<const TagValue> sorted;
  // Value of tag `id`, or nullptr when the set has none.
  const uint32_t* find(uint32_t id) const;
};

// Whether the sender of the frame owns an address, for the
// SENDER_IP/MAC_AUTHENTICATED characteristics. Asked at most once per table
// evaluation and only when a MATCH_CHARACTERISTICS rule is reached. Outbound,
// stock answers from our own certificates of ownership (the config's);
// inbound, from the certificates of ownership the sender presented.
class Ownership {
 public:
  virtual ~Ownership() = default;
  // ip: 4 or 16 bytes, network order.
  virtual bool owns_ip(std::span<const uint8_t> ip) const = 0;
  virtual bool owns_mac(const Mac& mac) const = 0;
};

// The random source behind MATCH_RANDOM (stock: Node::prng()). Called once
// per MATCH_RANDOM rule actually evaluated.
class RandomSource {
 public:
  virtual ~RandomSource() = default;
  virtual uint32_t next32() = 0;
};

// A seeded xorshift64* source for tests and for callers that want a
// per-worker source without locks.
class SeededRandom final : public RandomSource {
 public:
  explicit SeededRandom(uint64_t seed) : s_(seed ? seed : 0x9e3779b97f4a7c15ULL) {}
  uint32_t next32() override;

 private:
  uint64_t s_;
};

struct FilterInput {
  Direction direction = Direction::kOutbound;
  uint64_t self = 0;  // our ZeroTier address (40 bits)
  // The other member: the sender when inbound, the recipient when outbound
  // (0 for an outbound multicast, whose recipients are not known yet).
  uint64_t peer = 0;
  const FrameView* frame = nullptr;
  TagSet local_tags;
  // The other member's valid tags; nullptr when we hold no membership
  // record for it (stock: outbound multicast, or a member never heard of).
  const TagSet* remote_tags = nullptr;
  const Ownership* ownership = nullptr;  // nullptr: nobody owns anything
  RandomSource* random = nullptr;        // required when a table has MATCH_RANDOM
  // The network's RULES_RESULT_OF_UNSUPPORTED_MATCH flag: the result of a
  // match type this evaluator does not know.
  bool unsupported_match_result = false;
};

// A copy of the frame to send to another member (TEE or WATCH).
struct CopyTarget {
  uint64_t address = 0;  // 0: none
  uint32_t length = 0;   // bytes of the Ethernet payload to copy (rule's, at most all)
  uint32_t flags = 0;    // as in the rule (stock 1.14.1 does not act on them)
  bool watch = false;    // WATCH (the target is told it is a watch copy)
  bool operator==(const CopyTarget&) const = default;
};

enum class Verdict : uint8_t {
  kDrop,         // do not deliver / send
  kAccept,       // deliver to the tap / send to `peer`
  kSuperAccept,  // inbound: we are a TEE/WATCH/REDIRECT target; accept past
                 // the MAC and address checks (stock's accept == 2)
  kRedirect,     // do not deliver; send the frame to `redirect_to` instead
};
const char* to_string(Verdict v);

struct FilterResult {
  Verdict verdict = Verdict::kDrop;
  uint64_t redirect_to = 0;  // set with kRedirect
  // Copies to send when the verdict is not kDrop: the base table's and the
  // accepting capability's (stock sends both). Empty when address == 0.
  CopyTarget copy;
  CopyTarget capability_copy;
  uint8_t qos_bucket = kDefaultQosBucket;  // outbound: from PRIORITY
  int capability = -1;  // index of the accepting capability, -1 if none
};

// The result of one rule table on its own (stock's _doZtFilter result).
enum class TableResult : uint8_t { kNoMatch, kDrop, kRedirect, kAccept, kSuperAccept };

struct TableOutput {
  TableResult result = TableResult::kNoMatch;
  uint64_t dest = 0;  // the destination after a REDIRECT
  CopyTarget copy;
  uint8_t qos_bucket = kDefaultQosBucket;
};

// Evaluates one table. `dest` is the frame's destination member (the peer
// outbound, ourselves inbound); REDIRECT changes it in the output.
TableOutput evaluate_table(const FilterInput& in, std::span<const wire::Rule> rules,
                           uint64_t dest);

// The whole filter: the base table, then, only when it neither accepted nor
// dropped (no match or BREAK), each capability in the order given until one
// accepts. Outbound the capabilities are our own (config order); inbound
// they are the sender's valid ones, in id order, as stock iterates them.
// No rules at all drops, as stock does.
FilterResult evaluate(const FilterInput& in, std::span<const wire::Rule> base,
                      std::span<const std::span<const wire::Rule>> capabilities);

}  // namespace flatnet::vl2
