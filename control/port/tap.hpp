// A Linux TAP device: one fd per queue (IFF_MULTI_QUEUE), plain Ethernet
// frames (IFF_NO_PI), optionally each prefixed by a virtio_net_hdr
// (IFF_VNET_HDR, vnet_hdr.hpp) so the kernel can hand over and accept
// 64 KiB TCP super-frames (TSO/GRO) and unfinished checksums.
//
// The device lives as long as one of its fds is open: close() (or the
// destructor, or process exit) removes it, as stock's tap does. The fds are
// nonblocking; the caller polls them. Link settings (MAC, MTU, up/down,
// addresses, routes) go through netlink.hpp by name or index.
//
// The kernel keeps a flow on one queue when it transmits (it hashes the
// flow to a queue), and frames written to one queue fd are processed in
// order, so a caller that pins a flow to a queue never reorders it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace flatnet::control::port {

struct TapOptions {
  std::string name;        // the name to create (naming.hpp)
  unsigned queues = 1;     // > 1 opens with IFF_MULTI_QUEUE, one fd per queue
  bool vnet_hdr = false;   // IFF_VNET_HDR
  unsigned offloads = 0;   // TUN_F_* for TUNSETOFFLOAD (needs vnet_hdr)
};

inline constexpr unsigned kMaxTapQueues = 16;

// A frame buffer for read_burst: the caller's memory, `cap` bytes; read
// sets `len`. With vnet_hdr on, the header comes first (vnet_hdr_len()
// bytes) and, with TSO offloads, a frame can be 64 KiB plus the header.
struct FrameSlot {
  uint8_t* data = nullptr;
  uint32_t cap = 0;
  uint32_t len = 0;
};

struct FrameView {
  const uint8_t* data = nullptr;
  uint32_t len = 0;
};

class Tap {
 public:
  // nullopt and *err when the device cannot be created (no /dev/net/tun,
  // no CAP_NET_ADMIN, name taken by a non-tap device, bad options).
  static std::optional<Tap> open(const TapOptions& o, std::string* err);

  Tap(Tap&& o) noexcept;
  Tap& operator=(Tap&& o) noexcept;
  Tap(const Tap&) = delete;
  Tap& operator=(const Tap&) = delete;
  ~Tap();

  const std::string& name() const { return name_; }
  unsigned queues() const { return unsigned(fds_.size()); }
  int fd(unsigned queue) const { return fds_[queue]; }
  // Bytes of virtio_net_hdr before each frame; 0 when vnet_hdr is off.
  size_t vnet_hdr_len() const { return vnet_hdr_len_; }

  // TUN_F_* flags the kernel may use towards us (and we towards it).
  // Returns 0 or -errno.
  int set_offloads(unsigned offloads);

  // Reads up to slots.size() frames from one queue without blocking; stops
  // at the first EAGAIN. Returns the count; *error gets -errno of a real
  // failure (0 otherwise).
  size_t read_burst(unsigned queue, std::span<FrameSlot> slots, int* error);
  // Writes frames to one queue in order; stops at the first that the kernel
  // does not take (EAGAIN or an error, in *error). Returns the count written.
  size_t write_burst(unsigned queue, std::span<const FrameView> frames, int* error);

  // Closes every queue; the device disappears.
  void close();

 private:
  Tap() = default;
  std::string name_;
  std::vector<int> fds_;
  size_t vnet_hdr_len_ = 0;
};

}  // namespace flatnet::control::port
