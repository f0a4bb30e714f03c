// Kernel UDP socket backend: one non-blocking socket, poll(2) to sleep,
// IP_TTL set per datagram when the core asks (the TTL-2 hole punch), and
// the data plane's punt limits on what it passes up (ingress_limit.hpp).
// Batched (udp_batch.hpp): recvmmsg for bursts in, sends queued until the
// burst that caused them is handled (or wait()/flush()) and sent with
// sendmmsg, runs of equal-size datagrams to one destination as one UDP GSO
// message; with UDP_GRO the kernel hands up coalesced runs, cut here.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "control/service/backend.hpp"
#include "control/service/ingress_limit.hpp"
#include "control/service/udp_batch.hpp"

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

// One sendmmsg/recvmmsg call's worth of message headers and buffers,
// allocated once. A receive slot holds a whole GRO-coalesced buffer when
// GRO is on (up to 64 KiB), else the largest datagram we take.
struct RxBatch {
  RxBatch(unsigned n, size_t slot) : slot(slot), buf(n * slot), msgs(n), iov(n), addr(n), ctl(n) {}
  size_t slot;
  std::vector<uint8_t> buf;
  std::vector<mmsghdr> msgs;
  std::vector<iovec> iov;
  std::vector<sockaddr_storage> addr;
  struct Ctl {
    alignas(cmsghdr) uint8_t b[CMSG_SPACE(sizeof(int))];
  };
  std::vector<Ctl> ctl;
};

struct TxBatch {
  TxBatch() : iov(TxQueue::kMaxDatagrams) {}
  struct Ctl {
    alignas(cmsghdr) uint8_t b[CMSG_SPACE(sizeof(uint16_t))];
  };
  std::array<mmsghdr, kMaxBatch> msgs{};
  std::array<sockaddr_storage, kMaxBatch> addr{};
  std::array<Ctl, kMaxBatch> ctl{};
  std::array<size_t, kMaxBatch> first{}, count{};  // queue entries of each message
  std::vector<iovec> iov;
};

// Segment size the kernel put in the UDP_GRO control message; 0 = none.
size_t gro_segment(const msghdr& h) {
  for (cmsghdr* c = CMSG_FIRSTHDR(&h); c; c = CMSG_NXTHDR(const_cast<msghdr*>(&h), c))
    if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
      int v = 0;
      std::memcpy(&v, CMSG_DATA(c), sizeof v);
      return v > 0 ? size_t(v) : 0;
    }
  return 0;
}

class UdpBackend final : public Backend {
 public:
  UdpBackend(int fd, wire::InetAddress bound, const IngressLimits& limits, const UdpOptions& opt)
      : fd_(fd),
        bound_(bound),
        limiter_(limits),
        opt_(opt),
        rx_(opt.batch, opt.gro ? kGroSlot : kPlainSlot) {}
  ~UdpBackend() override {
    flush();
    ::close(fd_);
  }

  unsigned poll(const BackendEvents& ev, unsigned budget) override {
    unsigned n = 0;
    // The clock the daemon uses (CLOCK_MONOTONIC), read once per poll: the
    // buckets need ms, not the exact arrival time of each datagram.
    const uint64_t now = uint64_t(std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::steady_clock::now().time_since_epoch())
                                      .count());
    // A call asks for at most what is left of the budget; a coalesced
    // buffer is handled whole, so a turn may end a few dozen over it.
    while (n < budget) {
      const unsigned want = std::min<unsigned>(opt_.batch, budget - n);
      for (unsigned i = 0; i < want; ++i) {
        rx_.iov[i] = iovec{rx_.buf.data() + i * rx_.slot, rx_.slot};
        msghdr& h = rx_.msgs[i].msg_hdr;
        h = msghdr{};
        h.msg_name = &rx_.addr[i];
        h.msg_namelen = sizeof(sockaddr_storage);
        h.msg_iov = &rx_.iov[i];
        h.msg_iovlen = 1;
        h.msg_control = rx_.ctl[i].b;
        h.msg_controllen = sizeof rx_.ctl[i].b;
      }
      const int r = ::recvmmsg(fd_, rx_.msgs.data(), want, MSG_DONTWAIT, nullptr);
      if (r <= 0) break;
      ++c_.rx_calls;
      for (int i = 0; i < r; ++i) {
        const msghdr& h = rx_.msgs[size_t(i)].msg_hdr;
        if (h.msg_flags & MSG_TRUNC) {  // larger than any datagram we take
          ++c_.drop_truncated;
          ++n;
          continue;
        }
        const wire::InetAddress from = from_sockaddr(rx_.addr[size_t(i)]);
        const std::span<const uint8_t> buf(rx_.buf.data() + size_t(i) * rx_.slot,
                                           rx_.msgs[size_t(i)].msg_len);
        const size_t segment = gro_segment(h);
        // Every datagram of a coalesced buffer is refused or passed on its
        // own: the limits count datagrams, not what the kernel made of them.
        const size_t k = gro_split(buf, segment, [&](std::span<const uint8_t> d) {
          if (!limiter_.admit(from, d, now)) return;
          if (ev.burst)
            rx_burst_.push_back(ReceivedDatagram{PhysicalPath{0, from}, d});
          else
            ev.datagram(PhysicalPath{0, from}, d);
        });
        if (k > 1) c_.rx_gro_datagrams += k;
        c_.rx_datagrams += k;
        n += unsigned(k);  // a refused datagram is work done too: it counts against the budget
      }
      // The batch to the core at once (its buffers stay ours until the
      // next recvmmsg), and what it answered goes out as one burst.
      if (!rx_burst_.empty()) {
        ev.burst(rx_burst_);
        rx_burst_.clear();
      }
      flush_queue();
      if (unsigned(r) < want) break;  // drained
    }
    return n;
  }

  bool send(const SendDatagram& d) override {
    sockaddr_storage ss;
    socklen_t sl;
    if (!to_sockaddr(d.path.remote, ss, sl) || d.bytes.size() > kMaxGsoBytes) return false;
    if (d.ttl) {
      // Rare (the RENDEZVOUS hole punch): after what is queued, on its own.
      flush_queue();
      return send_with_ttl(d, ss, sl);
    }
    if (q_.push(d.path.remote, d.bytes)) return true;
    flush_queue();
    return q_.push(d.path.remote, d.bytes);
  }

  unsigned flush() override {
    flush_queue();
    const unsigned f = unreported_failures_;
    unreported_failures_ = 0;
    return f;
  }

  // No data plane to tell; the limiter learns from them who is known.
  bool table(const TableCommand& c) override {
    limiter_.table(c);
    return true;
  }

  void wait(int ms) override {
    flush_queue();  // never sleep on queued datagrams
    pollfd p{fd_, POLLIN, 0};
    ::poll(&p, 1, ms);
  }
  int wait_fd() const override { return fd_; }

  int64_t local_socket() const override { return 0; }
  uint16_t port() const override { return bound_.port; }
  std::string describe() const override {
    return "udp " + bound_.to_string() + " (batch " + std::to_string(opt_.batch) +
           (opt_.gso ? ", gso" : "") + (opt_.gro ? ", gro" : "") + ")";
  }
  std::vector<wire::InetAddress> local_addresses() const override {
    const uint8_t* ip = bound_.ip.data();
    const size_t n = bound_.family == wire::InetAddress::Family::kV4 ? 4 : 16;
    if (std::all_of(ip, ip + n, [](uint8_t b) { return b == 0; })) return {};  // wildcard
    return {bound_};
  }
  bool software_relay() const override { return true; }
  // Standing in for the data plane, it reports the same punt counters
  // under the data plane's names (flatnet_dataplane_<name>_total), and its
  // own socket counters beside them (udp_*: calls and datagrams each way,
  // so datagrams per call shows what batching, GSO and GRO achieve).
  std::vector<std::pair<std::string, uint64_t>> dataplane_counters() override {
    auto out = limiter_.named_counters();
    out.insert(out.end(), {{"udp_rx_calls", c_.rx_calls},
                           {"udp_rx_datagrams", c_.rx_datagrams},
                           {"udp_rx_gro_datagrams", c_.rx_gro_datagrams},
                           {"drop_udp_truncated", c_.drop_truncated},
                           {"udp_tx_calls", c_.tx_calls},
                           {"udp_tx_datagrams", c_.tx_datagrams},
                           {"udp_tx_gso_datagrams", c_.tx_gso_datagrams},
                           {"udp_tx_gso_fallbacks", c_.tx_gso_fallbacks},
                           {"udp_tx_errors", c_.tx_errors}});
    return out;
  }

 private:
  static constexpr size_t kGroSlot = 65536;
  static constexpr size_t kPlainSlot = 16384;

  bool send_with_ttl(const SendDatagram& d, sockaddr_storage& ss, socklen_t sl) {
    const bool v4 = ss.ss_family == AF_INET;
    const int level = v4 ? IPPROTO_IP : IPPROTO_IPV6;
    const int opt = v4 ? IP_TTL : IPV6_UNICAST_HOPS;
    int ttl = d.ttl;
    ::setsockopt(fd_, level, opt, &ttl, sizeof ttl);
    ssize_t r = ::sendto(fd_, d.bytes.data(), d.bytes.size(), MSG_DONTWAIT,
                         reinterpret_cast<sockaddr*>(&ss), sl);
    int def = v4 ? 64 : -1;
    ::setsockopt(fd_, level, opt, &def, sizeof def);
    ++c_.tx_calls;
    if (r != ssize_t(d.bytes.size())) {
      ++c_.tx_errors;
      return false;
    }
    ++c_.tx_datagrams;
    return true;
  }

  // Sends everything queued: up to `batch` messages per sendmmsg, each a
  // single datagram or (GSO) a run of them. Failures are counted and
  // reported by the next flush().
  void flush_queue() {
    size_t i = 0;
    while (i < q_.size()) {
      unsigned m = 0;
      size_t iov_used = 0;
      while (m < opt_.batch && i < q_.size()) {
        const size_t run = opt_.gso ? gso_run(q_, i) : 1;
        build_message(m, i, run, iov_used);
        iov_used += run;
        i += run;
        ++m;
      }
      send_messages(m);
    }
    q_.clear();
  }

  void build_message(unsigned m, size_t first, size_t run, size_t iov_at) {
    socklen_t sl = 0;
    to_sockaddr(q_[first].to, tx_.addr[m], sl);  // checked when queued
    for (size_t k = 0; k < run; ++k) {
      auto b = q_.bytes(first + k);
      tx_.iov[iov_at + k] = iovec{const_cast<uint8_t*>(b.data()), b.size()};
    }
    msghdr& h = tx_.msgs[m].msg_hdr;
    h = msghdr{};
    h.msg_name = &tx_.addr[m];
    h.msg_namelen = sl;
    h.msg_iov = &tx_.iov[iov_at];
    h.msg_iovlen = run;
    if (run > 1) {
      h.msg_control = tx_.ctl[m].b;
      h.msg_controllen = sizeof tx_.ctl[m].b;
      cmsghdr* c = CMSG_FIRSTHDR(&h);
      c->cmsg_level = SOL_UDP;
      c->cmsg_type = UDP_SEGMENT;
      c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
      const uint16_t segment = uint16_t(q_[first].length);
      std::memcpy(CMSG_DATA(c), &segment, sizeof segment);
    }
    tx_.first[m] = first;
    tx_.count[m] = run;
  }

  void send_messages(unsigned m) {
    unsigned done = 0;
    bool waited = false;
    while (done < m) {
      const int r = ::sendmmsg(fd_, &tx_.msgs[done], m - done, MSG_DONTWAIT);
      ++c_.tx_calls;
      if (r > 0) {
        for (unsigned k = done; k < done + unsigned(r); ++k) {
          c_.tx_datagrams += tx_.count[k];
          if (tx_.count[k] > 1) {
            c_.tx_gso_datagrams += tx_.count[k];
            gso_worked_ = true;
          }
        }
        done += unsigned(r);
        continue;
      }
      const int e = errno;
      if ((e == EAGAIN || e == EWOULDBLOCK || e == ENOBUFS) && !waited) {
        // The socket buffer is full: give the kernel up to 1 ms once per
        // burst rather than drop the burst at once.
        waited = true;
        pollfd p{fd_, POLLOUT, 0};
        ::poll(&p, 1, 1);
        continue;
      }
      if (tx_.count[done] > 1 && (e == EIO || e == EINVAL)) {
        // The kernel or the route refused the GSO message (no checksum
        // offload, a segment over the path MTU): its datagrams one by one.
        ++c_.tx_gso_fallbacks;
        if (!gso_worked_) opt_.gso = false;  // never worked here: stop trying
        send_singly(tx_.first[done], tx_.count[done]);
      } else {
        c_.tx_errors += tx_.count[done];
        unreported_failures_ += unsigned(tx_.count[done]);
      }
      ++done;
    }
  }

  void send_singly(size_t first, size_t count) {
    for (size_t k = first; k < first + count; ++k) {
      sockaddr_storage ss;
      socklen_t sl = 0;
      to_sockaddr(q_[k].to, ss, sl);
      const auto b = q_.bytes(k);
      const ssize_t r =
          ::sendto(fd_, b.data(), b.size(), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&ss), sl);
      ++c_.tx_calls;
      if (r == ssize_t(b.size())) {
        ++c_.tx_datagrams;
      } else {
        ++c_.tx_errors;
        ++unreported_failures_;
      }
    }
  }

  struct Counters {
    uint64_t rx_calls = 0, rx_datagrams = 0, rx_gro_datagrams = 0, drop_truncated = 0;
    uint64_t tx_calls = 0, tx_datagrams = 0, tx_gso_datagrams = 0, tx_gso_fallbacks = 0;
    uint64_t tx_errors = 0;
  };

  int fd_;
  wire::InetAddress bound_;
  IngressLimiter limiter_;
  UdpOptions opt_;
  RxBatch rx_;
  std::vector<ReceivedDatagram> rx_burst_;  // one batch for BackendEvents::burst
  TxBatch tx_;
  TxQueue q_;
  bool gso_worked_ = false;
  unsigned unreported_failures_ = 0;
  Counters c_;
};

// Socket buffers: ask for `bytes`; as root past the sysctl cap (FORCE),
// else what net.core.[rw]mem_max allows.
void set_buffer(int fd, int opt, int force_opt, int bytes) {
  if (::setsockopt(fd, SOL_SOCKET, force_opt, &bytes, sizeof bytes) != 0)
    ::setsockopt(fd, SOL_SOCKET, opt, &bytes, sizeof bytes);
}

}  // namespace

std::unique_ptr<Backend> make_udp_backend(const std::string& bind, std::string* err,
                                          const IngressLimits& limits, UdpOptions opt) {
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
  opt.batch = std::clamp(opt.batch, 1u, kMaxBatch);
  if (opt.socket_buffer) {
    set_buffer(fd, SO_RCVBUF, SO_RCVBUFFORCE, int(opt.socket_buffer));
    set_buffer(fd, SO_SNDBUF, SO_SNDBUFFORCE, int(opt.socket_buffer));
  }
  // A kernel without UDP_GRO keeps delivering datagrams one by one.
  int one = 1;
  if (opt.gro && ::setsockopt(fd, SOL_UDP, UDP_GRO, &one, sizeof one) != 0) opt.gro = false;
  return std::make_unique<UdpBackend>(fd, *a, limits, opt);
}

}  // namespace flatnet::control::service
