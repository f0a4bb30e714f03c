// The socket-free half of the kernel UDP backend's batched I/O: the send
// queue (datagrams copied into one flat buffer until a flush), how a run of
// queued datagrams is grouped into one UDP GSO send, and how a buffer the
// kernel coalesced with UDP GRO is cut back into datagrams. Kept apart from
// udp_backend.cpp so the grouping and cutting rules are unit-tested without
// a socket (tests/unit/control/test_service_udp_batch.cpp).
//
// The kernel's rule for a GSO send (UDP_SEGMENT = s): every segment is s
// bytes except the last, which may be shorter; at most 64 segments and one
// IP datagram's worth of bytes. GRO hands up the same shape, with s in the
// UDP_GRO control message. Both only pay off for runs of equal-size
// datagrams to one destination -- which is why packet fragments should be
// of equal size (docs/bench-member.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "dataplane/wire/inet_address.hpp"

namespace flatnet::control::service {

// What the UDP backend may use; each is measured on its own in
// docs/bench-member.md. A kernel that refuses an option turns it off (the
// backend then works as without it and counts the refusal).
struct UdpOptions {
  unsigned batch = 32;  // messages per recvmmsg/sendmmsg call (1 = one per call), <= kMaxBatch
  bool gso = true;      // UDP_SEGMENT: a run of equal-size datagrams to one destination in one message
  bool gro = true;      // UDP_GRO: receive coalesced runs, cut them by their segment size
  unsigned socket_buffer = 16u << 20;  // SO_RCVBUF/SO_SNDBUF asked for (0 = the kernel's default);
                                       // 4 MiB overflowed under 8 GRO-fed streams (docs/bench-member.md §5)
};

inline constexpr unsigned kMaxBatch = 64;
// The kernel's UDP_MAX_SEGMENTS on the kernels we run (64 before 6.9).
inline constexpr size_t kMaxGsoSegments = 64;
// One UDP datagram's payload at most (IPv4: 65535 - 20 - 8); a GSO send is
// one such datagram before the kernel cuts it.
inline constexpr size_t kMaxGsoBytes = 65507;

// Datagrams waiting for the next flush: bytes copied into one buffer (the
// caller's vectors are cleared right after send()), in order.
class TxQueue {
 public:
  struct Entry {
    wire::InetAddress to;
    uint32_t offset;
    uint32_t length;
  };
  static constexpr size_t kMaxDatagrams = 256;
  static constexpr size_t kMaxBytes = 512 * 1024;

  TxQueue();
  // False if it does not fit (flush first). Datagrams over kMaxGsoBytes never fit.
  bool push(const wire::InetAddress& to, std::span<const uint8_t> bytes);
  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }
  const Entry& operator[](size_t i) const { return entries_[i]; }
  std::span<const uint8_t> bytes(size_t i) const {
    return {buf_.data() + entries_[i].offset, entries_[i].length};
  }
  void clear();

 private:
  std::vector<uint8_t> buf_;
  size_t used_ = 0;
  std::vector<Entry> entries_;
};

// How many queued datagrams from `first` on can go as one GSO message: same
// destination, all the size of the first except a shorter last one (which
// ends the run), at most kMaxGsoSegments and kMaxGsoBytes in all. Always >= 1
// for first < q.size().
size_t gso_run(const TxQueue& q, size_t first);

// Cuts a received buffer into the datagrams it holds: segments of
// `segment` bytes, the last one possibly shorter; segment 0 (no UDP_GRO
// control message) means one datagram. Calls f(span) for each; returns how
// many. An empty buffer is one empty datagram (UDP allows those).
template <typename F>
size_t gro_split(std::span<const uint8_t> buf, size_t segment, F&& f) {
  if (segment == 0 || segment >= buf.size()) {
    f(buf);
    return 1;
  }
  size_t n = 0;
  for (size_t off = 0; off < buf.size(); off += segment, ++n)
    f(buf.subspan(off, std::min(segment, buf.size() - off)));
  return n;
}

}  // namespace flatnet::control::service
