// Kernel UDP socket backend: one non-blocking socket, poll(2) to sleep,
// IP_TTL set per datagram when the core asks (the TTL-2 hole punch), and
// the data plane's punt limits on what it passes up (ingress_limit.hpp).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "control/service/backend.hpp"
#include "control/service/ingress_limit.hpp"

namespace flatnet::control::service {
namespace {

bool to_sockaddr(const wire::InetAddress& a, sockaddr_storage& ss, socklen_t& len) {
  std::memset(&ss, 0, sizeof ss);
  if (a.family == wire::InetAddress::Family::kV4) {
    auto* s = reinterpret_cast<sockaddr_in*>(&ss);
    s->sin_family = AF_INET;
    s->sin_port = htons(a.port);
    std::memcpy(&s->sin_addr, a.ip.data(), 4);
    len = sizeof *s;
    return true;
  }
  if (a.family == wire::InetAddress::Family::kV6) {
    auto* s = reinterpret_cast<sockaddr_in6*>(&ss);
    s->sin6_family = AF_INET6;
    s->sin6_port = htons(a.port);
    std::memcpy(&s->sin6_addr, a.ip.data(), 16);
    len = sizeof *s;
    return true;
  }
  return false;
}

wire::InetAddress from_sockaddr(const sockaddr_storage& ss) {
  if (ss.ss_family == AF_INET) {
    auto* s = reinterpret_cast<const sockaddr_in*>(&ss);
    return wire::InetAddress::v4(reinterpret_cast<const uint8_t*>(&s->sin_addr), ntohs(s->sin_port));
  }
  auto* s = reinterpret_cast<const sockaddr_in6*>(&ss);
  return wire::InetAddress::v6(reinterpret_cast<const uint8_t*>(&s->sin6_addr),
                               ntohs(s->sin6_port));
}

class UdpBackend final : public Backend {
 public:
  UdpBackend(int fd, wire::InetAddress bound, const IngressLimits& limits)
      : fd_(fd), bound_(bound), limiter_(limits) {}
  ~UdpBackend() override { ::close(fd_); }

  unsigned poll(const BackendEvents& ev, unsigned budget) override {
    unsigned n = 0;
    uint8_t buf[16384];
    // The clock the daemon uses (CLOCK_MONOTONIC), read once per poll: the
    // buckets need ms, not the exact arrival time of each datagram.
    const uint64_t now = uint64_t(std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::steady_clock::now().time_since_epoch())
                                      .count());
    while (n < budget) {
      sockaddr_storage ss;
      socklen_t sl = sizeof ss;
      ssize_t r = ::recvfrom(fd_, buf, sizeof buf, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&ss),
                             &sl);
      if (r < 0) break;
      ++n;  // a refused datagram is work done too: it counts against the budget
      const std::span<const uint8_t> d(buf, size_t(r));
      const wire::InetAddress from = from_sockaddr(ss);
      if (!limiter_.admit(from, d, now)) continue;
      ev.datagram(PhysicalPath{0, from}, d);
    }
    return n;
  }

  bool send(const SendDatagram& d) override {
    sockaddr_storage ss;
    socklen_t sl;
    if (!to_sockaddr(d.path.remote, ss, sl)) return false;
    const bool v4 = ss.ss_family == AF_INET;
    const int level = v4 ? IPPROTO_IP : IPPROTO_IPV6;
    const int opt = v4 ? IP_TTL : IPV6_UNICAST_HOPS;
    if (d.ttl) {
      int ttl = d.ttl;
      ::setsockopt(fd_, level, opt, &ttl, sizeof ttl);
    }
    ssize_t r = ::sendto(fd_, d.bytes.data(), d.bytes.size(), MSG_DONTWAIT,
                         reinterpret_cast<sockaddr*>(&ss), sl);
    if (d.ttl) {
      int def = v4 ? 64 : -1;
      ::setsockopt(fd_, level, opt, &def, sizeof def);
    }
    return r == ssize_t(d.bytes.size());
  }

  // No data plane to tell; the limiter learns from them who is known.
  bool table(const TableCommand& c) override {
    limiter_.table(c);
    return true;
  }

  void wait(int ms) override {
    pollfd p{fd_, POLLIN, 0};
    ::poll(&p, 1, ms);
  }
  int wait_fd() const override { return fd_; }

  int64_t local_socket() const override { return 0; }
  uint16_t port() const override { return bound_.port; }
  std::string describe() const override { return "udp " + bound_.to_string(); }
  std::vector<wire::InetAddress> local_addresses() const override {
    const uint8_t* ip = bound_.ip.data();
    const size_t n = bound_.family == wire::InetAddress::Family::kV4 ? 4 : 16;
    if (std::all_of(ip, ip + n, [](uint8_t b) { return b == 0; })) return {};  // wildcard
    return {bound_};
  }
  bool software_relay() const override { return true; }
  // Standing in for the data plane, it reports the same punt counters
  // under the data plane's names (flatnet_dataplane_<name>_total).
  std::vector<std::pair<std::string, uint64_t>> dataplane_counters() override {
    return limiter_.named_counters();
  }

 private:
  int fd_;
  wire::InetAddress bound_;
  IngressLimiter limiter_;
};

}  // namespace

std::unique_ptr<Backend> make_udp_backend(const std::string& bind, std::string* err,
                                          const IngressLimits& limits) {
  // Accept "ip:port", "[ip6]:port" and ZeroTier's "ip/port".
  std::string s = bind;
  auto colon = s.rfind(':');
  if (s.find('/') == std::string::npos && colon != std::string::npos) {
    s[colon] = '/';
    if (!s.empty() && s.front() == '[') {
      s.erase(0, 1);
      auto rb = s.find(']');
      if (rb != std::string::npos) s.erase(rb, 1);
    }
  }
  auto a = wire::InetAddress::from_string(s);
  sockaddr_storage ss;
  socklen_t sl;
  if (!a || !to_sockaddr(*a, ss, sl)) {
    *err = "--udp '" + bind + "' is not ip:port";
    return nullptr;
  }
  int fd = ::socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&ss), sl) != 0) {
    *err = "cannot bind UDP " + bind + ": " + std::strerror(errno);
    if (fd >= 0) ::close(fd);
    return nullptr;
  }
  return std::make_unique<UdpBackend>(fd, *a, limits);
}

}  // namespace flatnet::control::service
