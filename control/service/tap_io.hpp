// Per-queue I/O threads for a multi-queue tap (flatnetd --tap-queues N):
// the tap's reads and writes -- the kernel's TCP work on both sides of the
// tap runs inside them -- happen on one thread per queue beside the core's
// thread, which stays single-threaded and I/O-free. Frames cross between the
// threads through bounded single-producer single-consumer rings of fixed
// slots (FrameRing), one each way per queue.
//
// When a ring is full:
//   rx (tap -> core): the I/O thread stops reading its queue until the core
//     has made room; the kernel holds the frames in the tap's queue (and
//     drops past txqueuelen, counted by the kernel as the tap's tx_dropped).
//   tx (core -> tap): the core drops the frame and counts it
//     (flatnet_member_tap_tx_ring_full_total); TCP recovers it.
//
// A flow stays on one queue: the kernel picks the read queue by its flow
// hash, and the core picks the write queue with port::flow_queue, so each
// flow's frames are written by one thread, in order.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <thread>
#include <vector>

#include "control/port/tap.hpp"

namespace flatnet::control::service {

// Single producer, single consumer; `slots` (a power of two) buffers of
// `cap` bytes each, allocated once.
class FrameRing {
 public:
  FrameRing(size_t slots, size_t cap);
  FrameRing(const FrameRing&) = delete;
  FrameRing& operator=(const FrameRing&) = delete;

  // Producer: free slots from the next one up to the end of the array
  // (contiguous, at most `max`); fill their len, then publish(n).
  std::span<port::FrameSlot> free_run(size_t max);
  void publish(size_t n);
  // Producer: copies one frame in; false when full or the frame too long.
  bool push(const uint8_t* data, size_t len);
  // Consumer: the oldest published frame or nullptr; pop() releases it.
  const port::FrameSlot* front();
  void pop();
  bool empty() const;

 private:
  std::vector<uint8_t> mem_;
  std::vector<port::FrameSlot> slots_;
  size_t mask_;
  alignas(64) std::atomic<size_t> head_{0};  // next to publish (producer's)
  alignas(64) std::atomic<size_t> tail_{0};  // next to consume (consumer's)
};

class TapQueueIo {
 public:
  static constexpr size_t kRxSlots = 64;
  static constexpr size_t kTxSlots = 128;

  // `fd`: the queue's nonblocking tap fd (owned by the Tap); `notify_fd`:
  // an eventfd the core waits on, written when frames were read.
  TapQueueIo(int fd, int notify_fd, size_t frame_cap);
  ~TapQueueIo();  // stops and joins the thread
  TapQueueIo(const TapQueueIo&) = delete;
  TapQueueIo& operator=(const TapQueueIo&) = delete;

  FrameRing& rx() { return rx_; }
  FrameRing& tx() { return tx_; }
  // Core: frames were pushed to tx().
  void kick();

  uint64_t read_errors() const { return read_errors_.load(std::memory_order_relaxed); }
  uint64_t write_errors() const { return write_errors_.load(std::memory_order_relaxed); }

 private:
  void loop();
  int fd_, notify_fd_, kick_fd_ = -1;
  FrameRing rx_, tx_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> read_errors_{0}, write_errors_{0};
  std::thread thread_;
};

}  // namespace flatnet::control::service
