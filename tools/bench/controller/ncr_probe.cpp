// flatnet-bench-ncr-probe: one member asks a controller -- flatnetd's or
// stock's, over UDP -- for its network config, again and again, and times
// each request from sending it to holding the whole verified config. The
// same client for both, so the two controllers are compared from outside
// (the round trip on loopback included). The member is a control Core with
// a real identity (the controller checks it); it learns the controller as
// a cached peer and HELLOs it first. Not a test; run by
// tools/scripts/controller-scale-bench.py.
//   flatnet-bench-ncr-probe <member identity.secret> <controller identity.public>
//       <controller ip> <port> <nwid hex> <samples>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "control/core/core.hpp"
#include "dataplane/wire/config_chunk.hpp"
#include "dataplane/wire/config_request.hpp"

using namespace flatnet;
using namespace flatnet::control;
using Clock = std::chrono::steady_clock;

namespace {

constexpr uint16_t kLocalPort = 39999;

uint64_t now_ms() {
  return uint64_t(std::chrono::duration_cast<std::chrono::milliseconds>(
                      Clock::now().time_since_epoch()).count());
}

std::string slurp(const char* path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

struct Sink final : Vl2Handler {
  Sink(const crypto::Identity& c, uint64_t nwid) : controller(c), assembler(nwid) {}
  const crypto::Identity& controller;
  wire::ConfigAssembler assembler;
  bool complete = false;
  int error = -1;
  void packet(const Vl2Packet& pk, uint64_t, Actions&) override {
    if (pk.kind == Vl2Packet::Kind::kError && pk.in_re_verb == wire::Verb::kNetworkConfigRequest) {
      error = pk.error_code;
      return;
    }
    const bool ok = pk.kind == Vl2Packet::Kind::kOk &&
                    pk.in_re_verb == wire::Verb::kNetworkConfigRequest;
    const bool push = pk.kind == Vl2Packet::Kind::kRequest &&
                      pk.verb == wire::Verb::kNetworkConfig;
    if (!ok && !push) return;
    std::vector<uint8_t> dict;
    if (assembler.add(pk.payload, controller, &dict) == wire::ConfigAssembler::Result::kComplete)
      complete = true;
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 7) {
    std::fprintf(stderr, "usage: %s <member identity.secret> <controller identity.public> <ip>"
                         " <port> <nwid hex> <samples>\n", argv[0]);
    return 2;
  }
  auto me = crypto::Identity::from_string(slurp(argv[1]));
  auto ctl = crypto::Identity::from_string(slurp(argv[2]));
  if (!me || !ctl) {
    std::fprintf(stderr, "bad identity file\n");
    return 2;
  }
  const uint64_t nwid = std::strtoull(argv[5], nullptr, 16);
  const int samples = std::atoi(argv[6]);
  auto ctl_at = wire::InetAddress::from_string(std::string(argv[3]) + "/" + argv[4]);
  if (!ctl_at) return 2;

  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  // One fixed port: a controller keeps answering on the path it last
  // heard this member on, so every run of the probe must come from it.
  sa.sin_port = htons(kLocalPort);
  sa.sin_addr.s_addr = htonl(INADDR_ANY);  // the caller runs it in a namespace of its own
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) return 1;
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(uint16_t(std::atoi(argv[4])));
  inet_pton(AF_INET, argv[3], &to.sin_addr);

  Config c;
  c.identity = *me;
  Core core(c, now_ms());
  Sink sink(*ctl, nwid);
  core.set_member(&sink);
  auto flush = [&](Actions& out) {
    for (auto& d : out.send)
      sendto(fd, d.bytes.data(), d.bytes.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
    out.send.clear();
  };
  // Receives for up to `ms`, until `done()`.
  uint64_t received = 0;
  auto pump = [&](int ms, auto done) {
    const uint64_t end = now_ms() + uint64_t(ms);
    std::vector<uint8_t> buf(16384);
    while (!done() && now_ms() < end) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, int(end - now_ms())) <= 0) continue;
      sockaddr_in from{};
      socklen_t fl = sizeof from;
      const ssize_t n = recvfrom(fd, buf.data(), buf.size(), 0,
                                 reinterpret_cast<sockaddr*>(&from), &fl);
      if (n <= 0) continue;
      ++received;
      Actions out;
      core.receive(PhysicalPath{0, *ctl_at}, std::span<const uint8_t>(buf.data(), size_t(n)),
                   now_ms(), out);
      flush(out);
    }
  };

  Actions out;
  const crypto::Identity ctl_public = *crypto::Identity::from_string(ctl->to_string(false));
  if (!core.restore_peer(ctl_public, PhysicalPath{0, *ctl_at}, now_ms(), out) ||
      !core.send_hello(ctl->address(), PhysicalPath{0, *ctl_at}, now_ms(), out)) {
    std::fprintf(stderr, "cannot reach the controller's identity\n");
    return 1;
  }
  flush(out);
  pump(1000, [] { return false; });  // OK(HELLO)

  wire::ConfigRequest req;
  req.network_id = nwid;
  req.metadata = wire::stock_request_metadata(1, 14, 1, "linux/x86_64");
  std::vector<uint8_t> payload;
  wire::encode_config_request(req, payload);
  std::vector<double> lat;
  int errors = 0, timeouts = 0;
  for (int i = 0; i <= samples; ++i) {  // the first is a warm-up (index load, identity bind)
    sink.complete = false;
    sink.error = -1;
    auto t0 = Clock::now();
    core.send_to(ctl->address(), wire::Verb::kNetworkConfigRequest, payload, now_ms(), out);
    flush(out);
    pump(5000, [&] { return sink.complete || sink.error >= 0; });
    const double us = double(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                 Clock::now() - t0).count()) / 1000.0;
    if (sink.error >= 0) ++errors;
    else if (!sink.complete) ++timeouts;
    else if (i > 0) lat.push_back(us);
    // Both controllers ignore a member's request within 1,000 ms of its last.
    pump(1100 - int(std::min(us / 1000.0, 1000.0)), [] { return false; });
  }
  std::sort(lat.begin(), lat.end());
  auto at = [&](double q) { return lat.empty() ? 0.0 : lat[std::min(lat.size() - 1, size_t(q * double(lat.size())))]; };
  std::printf("{\"n\": %zu, \"p50_us\": %.1f, \"p99_us\": %.1f, \"min_us\": %.1f, \"max_us\": %.1f,"
              " \"errors\": %d, \"timeouts\": %d, \"datagrams\": %llu}\n", lat.size(), at(0.5),
              at(0.99), lat.empty() ? 0.0 : lat.front(), lat.empty() ? 0.0 : lat.back(), errors,
              timeouts, (unsigned long long)received);
  close(fd);
  return lat.empty() ? 1 : 0;
}
