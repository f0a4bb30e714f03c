// Splitting a VL1 packet into datagrams at an MTU, and joining them again
// (spec §2.5-2.7, Appendix E.7).
//
// Pure C++ with no DPDK and no allocation per datagram beyond the slot
// buffers, so the control process and the tools use the same code. The data
// plane relays fragments without joining them and does not need this.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "dataplane/wire/vl1.hpp"

namespace flatnet::wire {

// ---- sending ---------------------------------------------------------------

// Sets or clears the FRAGMENTED flag in byte 18 for a packet of `len` bytes
// sent at `mtu`. Must happen BEFORE armoring: the flag is authenticated.
void set_fragmented_flag(uint8_t* packet, size_t len, size_t mtu = kDefaultPhysMtu);

// Splits an armored packet into datagrams: the head (first min(len, mtu)
// bytes) followed by fragments 1..total-1 of at most mtu-16 data bytes each.
// Returns the datagrams, or an empty vector if the packet needs more than
// 7 datagrams, is shorter than 28 bytes or mtu is below 29.
std::vector<std::vector<uint8_t>> split_packet(std::span<const uint8_t> packet,
                                               size_t mtu = kDefaultPhysMtu);

// The same number of datagrams as split_packet, but of equal size: every
// datagram is S bytes (the head S bytes of the packet, each fragment 16 +
// S - 16) except the last, which may be shorter, with S the smallest size
// that fits. Receivers join fragments of any size (stock appends each
// fragment's payload to the head), so this is wire-compatible; it lets a
// sender hand a run of packets of one size to the kernel as one UDP GSO
// send (control/service/udp_batch.hpp). Same refusals as split_packet.
std::vector<std::vector<uint8_t>> split_packet_even(std::span<const uint8_t> packet,
                                                    size_t mtu = kDefaultPhysMtu);
// The same, the head keeping `packet`'s buffer (truncated) instead of a
// copy: one allocation and copy less per packet on a sender's hot path.
std::vector<std::vector<uint8_t>> split_packet_even(std::vector<uint8_t>&& packet,
                                                    size_t mtu = kDefaultPhysMtu);

// ---- receiving ---------------------------------------------------------------

enum class ReassemblyResult : uint8_t {
  kComplete = 0,   // *out holds the joined packet
  kPending,        // stored; more pieces needed
  kDuplicate,      // this head/fragment was already held: ignored
  kBadFragment,    // total not in 2..7, number not in 1..total-1, or too short
  kTotalMismatch,  // a fragment names a different total than an earlier one
  kTooLong,        // the pieces add up to more than 10024 bytes
  kNotFragmented,  // a head without the FRAGMENTED flag: decode it directly
};
const char* to_string(ReassemblyResult r);

// Joins heads and fragments keyed by (packet ID, path). The path is an
// opaque 64-bit value the caller derives from (local socket, remote
// address): a relay's two legs share a packet ID, and when observing both
// legs their pieces must not mix (Appendix E.7).
//
// A fixed number of slots (32, as stock ZT_RX_QUEUE_SIZE); when all are busy
// the oldest is dropped and counted. A slot older than the timeout is
// dropped the next time it is looked at or by expire().
class Reassembler {
 public:
  static constexpr size_t kSlots = 32;
  static constexpr uint64_t kDefaultTimeoutMs = 1000;  // ZT_FRAGMENTED_PACKET_RECEIVE_TIMEOUT

  explicit Reassembler(uint64_t timeout_ms = kDefaultTimeoutMs);

  // Classifies `datagram` (head with FRAGMENTED flag or fragment) and stores
  // it. On kComplete the whole packet is written to *out.
  ReassemblyResult add(uint64_t path, std::span<const uint8_t> datagram, uint64_t now_ms,
                       std::vector<uint8_t>* out);
  ReassemblyResult add_head(uint64_t path, std::span<const uint8_t> head, uint64_t now_ms,
                            std::vector<uint8_t>* out);
  ReassemblyResult add_fragment(uint64_t path, std::span<const uint8_t> fragment,
                                uint64_t now_ms, std::vector<uint8_t>* out);

  // Frees every slot older than the timeout; returns how many.
  size_t expire(uint64_t now_ms);
  size_t in_use() const;

  struct Counters {
    uint64_t completed = 0;
    uint64_t duplicates = 0;
    uint64_t bad = 0;          // kBadFragment + kTotalMismatch + kTooLong
    uint64_t evicted = 0;      // incomplete slot reused while all were busy
    uint64_t timed_out = 0;
  };
  const Counters& counters() const { return counters_; }

 private:
  struct Slot {
    bool used = false;
    uint64_t packet_id = 0;
    uint64_t path = 0;
    uint64_t created_ms = 0;
    unsigned total = 0;       // 0 until a fragment names it
    uint8_t have = 0;         // bit i: piece i held (0 = head)
    std::array<std::vector<uint8_t>, kMaxFragments> piece;
  };

  Slot* find_or_claim(uint64_t packet_id, uint64_t path, uint64_t now_ms);
  ReassemblyResult try_complete(Slot& s, std::vector<uint8_t>* out);
  void release(Slot& s);

  uint64_t timeout_ms_;
  std::array<Slot, kSlots> slots_;
  Counters counters_;
};

}  // namespace flatnet::wire
