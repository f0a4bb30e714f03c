// TAP device creation and burst I/O. See tap.hpp.
#include "control/port/tap.hpp"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "control/port/naming.hpp"
#include "control/port/vnet_hdr.hpp"

namespace flatnet::control::port {

std::optional<Tap> Tap::open(const TapOptions& o, std::string* err) {
  auto fail = [&](const std::string& what, int e) -> std::optional<Tap> {
    if (err) *err = o.name + ": " + what + (e ? std::string(": ") + std::strerror(e) : "");
    return std::nullopt;
  };
  if (!valid_ifname(o.name)) return fail("not a valid interface name", 0);
  if (o.queues == 0 || o.queues > kMaxTapQueues) return fail("queue count out of range", 0);
  if (o.offloads != 0 && !o.vnet_hdr) return fail("offloads need the vnet header", 0);

  Tap t;
  t.name_ = o.name;
  for (unsigned q = 0; q < o.queues; ++q) {
    const int fd = ::open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return fail("open /dev/net/tun", errno);
    t.fds_.push_back(fd);  // closed by t's destructor on any failure below
    ifreq ifr{};
    std::memcpy(ifr.ifr_name, o.name.data(), o.name.size());
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    if (o.queues > 1) ifr.ifr_flags |= IFF_MULTI_QUEUE;
    if (o.vnet_hdr) ifr.ifr_flags |= IFF_VNET_HDR;
    // TUNSETIFF on the name of an existing (persistent) tap attaches to it
    // instead of failing; the first queue must make a new device.
    if (q == 0 && device_exists(o.name)) return fail("a device of this name exists", 0);
    if (::ioctl(fd, TUNSETIFF, &ifr) < 0) return fail("TUNSETIFF", errno);
    // A name with a format ("zt%d") would be filled in by the kernel.
    if (std::strncmp(ifr.ifr_name, o.name.c_str(), IFNAMSIZ) != 0) return fail("kernel renamed it", 0);
    if (o.vnet_hdr) {
      // The plain 10-byte virtio_net_hdr (no num_buffers): nothing here
      // merges receive buffers.
      int sz = int(kVnetHdrLen);
      if (::ioctl(fd, TUNSETVNETHDRSZ, &sz) < 0) return fail("TUNSETVNETHDRSZ", errno);
      // virtio 1.0 headers are little-endian; on a little-endian host this
      // is the default and the ioctl may be missing (CONFIG_TUN_VNET_CROSS_LE).
      int le = 1;
      (void)::ioctl(fd, TUNSETVNETLE, &le);
    }
    if (q == 0) {
      if (::ioctl(fd, TUNSETPERSIST, 0) < 0) return fail("TUNSETPERSIST", errno);
    }
  }
  t.vnet_hdr_len_ = o.vnet_hdr ? kVnetHdrLen : 0;
  if (o.vnet_hdr) {
    const int rc = t.set_offloads(o.offloads);
    if (rc != 0) return fail("TUNSETOFFLOAD", -rc);
  }
  return t;
}

Tap::Tap(Tap&& o) noexcept
    : name_(std::move(o.name_)), fds_(std::move(o.fds_)), vnet_hdr_len_(o.vnet_hdr_len_) {
  o.fds_.clear();
}

Tap& Tap::operator=(Tap&& o) noexcept {
  if (this != &o) {
    close();
    name_ = std::move(o.name_);
    fds_ = std::move(o.fds_);
    vnet_hdr_len_ = o.vnet_hdr_len_;
    o.fds_.clear();
  }
  return *this;
}

Tap::~Tap() { close(); }

void Tap::close() {
  for (int fd : fds_) ::close(fd);
  fds_.clear();
}

int Tap::set_offloads(unsigned offloads) {
  if (vnet_hdr_len_ == 0 && offloads != 0) return -EINVAL;
  // The offloads are the device's; any queue's fd sets them.
  if (fds_.empty()) return -EBADF;
  if (::ioctl(fds_[0], TUNSETOFFLOAD, static_cast<unsigned long>(offloads)) < 0) return -errno;
  return 0;
}

size_t Tap::read_burst(unsigned queue, std::span<FrameSlot> slots, int* error) {
  *error = 0;
  if (queue >= fds_.size()) {
    *error = -EINVAL;
    return 0;
  }
  size_t n = 0;
  while (n < slots.size()) {
    const ssize_t r = ::read(fds_[queue], slots[n].data, slots[n].cap);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) *error = -errno;
      break;
    }
    slots[n].len = uint32_t(r);
    ++n;
  }
  return n;
}

size_t Tap::write_burst(unsigned queue, std::span<const FrameView> frames, int* error) {
  *error = 0;
  if (queue >= fds_.size()) {
    *error = -EINVAL;
    return 0;
  }
  size_t n = 0;
  while (n < frames.size()) {
    const ssize_t r = ::write(fds_[queue], frames[n].data, frames[n].len);
    if (r < 0) {
      if (errno == EINTR) continue;
      *error = -errno;
      break;
    }
    ++n;
  }
  return n;
}

}  // namespace flatnet::control::port
