// Per-queue tap I/O threads and their rings. See tap_io.hpp.
#include "control/service/tap_io.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace flatnet::control::service {

namespace {

size_t pow2_at_least(size_t n) {
  size_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

void signal_fd(int fd) {
  const uint64_t one = 1;
  // A full counter (never, at 2^64 - 1) or EAGAIN only means it is signalled.
  (void)!::write(fd, &one, sizeof one);
}

}  // namespace

FrameRing::FrameRing(size_t slots, size_t cap) : mask_(pow2_at_least(slots) - 1) {
  const size_t n = mask_ + 1;
  mem_.resize(n * cap);
  slots_.resize(n);
  for (size_t i = 0; i < n; ++i) slots_[i] = {mem_.data() + i * cap, uint32_t(cap), 0};
}

std::span<port::FrameSlot> FrameRing::free_run(size_t max) {
  const size_t head = head_.load(std::memory_order_relaxed);
  const size_t tail = tail_.load(std::memory_order_acquire);
  size_t n = slots_.size() - (head - tail);
  const size_t at = head & mask_;
  n = std::min({n, slots_.size() - at, max});
  for (size_t i = 0; i < n; ++i) slots_[at + i].len = 0;
  return std::span<port::FrameSlot>(slots_.data() + at, n);
}

void FrameRing::publish(size_t n) {
  head_.store(head_.load(std::memory_order_relaxed) + n, std::memory_order_release);
}

bool FrameRing::push(const uint8_t* data, size_t len) {
  std::span<port::FrameSlot> s = free_run(1);
  if (s.empty() || len > s[0].cap) return false;
  std::memcpy(s[0].data, data, len);
  s[0].len = uint32_t(len);
  publish(1);
  return true;
}

const port::FrameSlot* FrameRing::front() {
  const size_t tail = tail_.load(std::memory_order_relaxed);
  if (tail == head_.load(std::memory_order_acquire)) return nullptr;
  return &slots_[tail & mask_];
}

void FrameRing::pop() { tail_.store(tail_.load(std::memory_order_relaxed) + 1, std::memory_order_release); }

bool FrameRing::empty() const {
  return tail_.load(std::memory_order_acquire) == head_.load(std::memory_order_acquire);
}

TapQueueIo::TapQueueIo(int fd, int notify_fd, size_t frame_cap)
    : fd_(fd),
      notify_fd_(notify_fd),
      kick_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
      rx_(kRxSlots, frame_cap),
      tx_(kTxSlots, frame_cap) {
  thread_ = std::thread([this] { loop(); });
}

TapQueueIo::~TapQueueIo() {
  stop_.store(true);
  if (kick_fd_ >= 0) signal_fd(kick_fd_);
  if (thread_.joinable()) thread_.join();
  if (kick_fd_ >= 0) ::close(kick_fd_);
}

void TapQueueIo::kick() {
  if (kick_fd_ >= 0) signal_fd(kick_fd_);
}

void TapQueueIo::loop() {
  while (!stop_.load(std::memory_order_relaxed)) {
    // Core -> kernel: everything the core queued, in order.
    while (const port::FrameSlot* s = tx_.front()) {
      ssize_t r;
      do r = ::write(fd_, s->data, s->len);
      while (r < 0 && errno == EINTR);
      if (r < 0) write_errors_.fetch_add(1, std::memory_order_relaxed);
      tx_.pop();
    }
    // Kernel -> core: as much as the ring takes.
    bool got = false, drained = false;
    while (!drained) {
      std::span<port::FrameSlot> run = rx_.free_run(32);
      if (run.empty()) break;
      size_t n = 0;
      while (n < run.size()) {
        const ssize_t r = ::read(fd_, run[n].data, run[n].cap);
        if (r < 0) {
          if (errno == EINTR) continue;
          if (errno != EAGAIN) read_errors_.fetch_add(1, std::memory_order_relaxed);
          drained = true;
          break;
        }
        run[n++].len = uint32_t(r);
      }
      if (n) {
        rx_.publish(n);
        got = true;
      }
    }
    if (got) signal_fd(notify_fd_);
    // Wait for frames either way; with the rx ring full, look again soon
    // (the core frees slots without telling us).
    const bool room = !rx_.free_run(1).empty();
    pollfd p[2] = {{fd_, short(room ? POLLIN : 0), 0}, {kick_fd_, POLLIN, 0}};
    ::poll(p, 2, room ? 100 : 1);
    if (p[1].revents & POLLIN) {
      uint64_t v;
      (void)!::read(kick_fd_, &v, sizeof v);
    }
  }
}

}  // namespace flatnet::control::service
