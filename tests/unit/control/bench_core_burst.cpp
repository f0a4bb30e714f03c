// The core's frame path with and without crypto/mb bursts
// (Config::burst_crypto), in CPU time of this thread (CLOCK_THREAD_CPUTIME_ID:
// on a shared machine wall time measures the neighbours). Never asserted;
// run `meson test -C <build> --benchmark bench_control_core_burst` or
// directly. docs/bench-member.md section 5 has results.
//
// send:    `burst` FRAMEs of `size` bytes through Core::send_to, then
//          flush_sends (what flatnetd does per loop turn);
// receive: the same packets as datagrams (2 per 2,800-byte frame) through
//          Core::receive_burst vs Core::receive one by one.
// Peers: a (protocol 12 after its HELLO: suite 3) and c (suite 1).
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <vector>

#include "tests/unit/control/harness.hpp"

using namespace flatnet;
using namespace flatnet::control;

namespace {

double cpu_ns() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return double(t.tv_sec) * 1e9 + double(t.tv_nsec);
}

struct Counting : Vl2Handler {
  size_t frames = 0;
  void packet(const Vl2Packet&, uint64_t, Actions&) override { ++frames; }
};

struct Node {
  std::unique_ptr<Core> core;
  Counting member;
};

const crypto::Identity& me() {
  static const crypto::Identity id = test::parse_identity(test::kIdentityB);
  return id;
}
const crypto::Identity& peer_a() {
  static const crypto::Identity id = test::parse_identity(test::kIdentityA);
  return id;
}
const crypto::Identity& peer_c() {
  static const crypto::Identity id = test::bogus_identity(0x1122334455ULL);
  return id;
}
const wire::InetAddress a_at = test::v4(10, 98, 0, 1), c_at = test::v4(10, 98, 0, 2),
                        me_at = test::v4(10, 98, 0, 9);
constexpr uint64_t kNow = 1000000;

// A core for `self` that knows `peers` (the first one also HELLOs it, so
// its version -- and suite 3 -- is known).
std::unique_ptr<Core> make(const crypto::Identity& self,
                           std::vector<std::pair<const crypto::Identity*, wire::InetAddress>> peers,
                           bool burst) {
  Config cfg;
  cfg.identity = self;
  cfg.burst_crypto = burst;
  auto core = std::make_unique<Core>(cfg, kNow);
  Actions out;
  for (auto& [id, at] : peers) core->restore_peer(*id, PhysicalPath{0, at}, kNow, out);
  const auto& [first, at] = peers.front();
  core->receive(PhysicalPath{0, at}, test::build_hello(*first, self, kNow, at), kNow, out);
  return core;
}

void report(const char* what, bool burst, std::vector<double> v, size_t packets) {
  std::sort(v.begin(), v.end());
  std::printf("%-34s %-8s median %7.0f ns/packet  min %7.0f  max %7.0f  (%zu reps)\n", what,
              burst ? "burst" : "single", v[v.size() / 2] / double(packets),
              v.front() / double(packets), v.back() / double(packets), v.size());
}

}  // namespace

int main() {
  constexpr int kReps = 200;
  struct Suite {
    const char* name;
    const crypto::Identity* peer;
    wire::InetAddress at;
  };
  // a HELLOs us with protocol 12 (suite 3); c is only restored (suite 1).
  const Suite suites[] = {{"suite 3", &peer_a(), a_at}, {"suite 1", &peer_c(), c_at}};
  for (const Suite& su : suites)
    for (size_t size : {size_t(1400), size_t(2800)})
      for (size_t burst : {size_t(8), size_t(64)}) {
        std::vector<uint8_t> frame(size, 0x5a);
        char label[64];
        // ---- send ----
        std::vector<double> t_send[2];
        std::vector<std::vector<uint8_t>> wire_datagrams;  // for the receive side
        std::unique_ptr<Core> senders[2] = {
            make(me(), {{&peer_a(), a_at}, {&peer_c(), c_at}}, false),
            make(me(), {{&peer_a(), a_at}, {&peer_c(), c_at}}, true)};
        for (int r = 0; r < kReps; ++r)
          for (int b = 0; b < 2; ++b) {  // interleaved
            Actions out;
            const double t0 = cpu_ns();
            for (size_t i = 0; i < burst; ++i)
              senders[b]->send_to(su.peer->address(), wire::Verb::kFrame, frame, kNow, out);
            senders[b]->flush_sends(out);
            t_send[b].push_back(cpu_ns() - t0);
            if (r == 0 && b == 1)
              for (auto& d : out.send) wire_datagrams.push_back(d.bytes);
          }
        std::snprintf(label, sizeof label, "send %s %zu B x %zu", su.name, size, burst);
        for (int b = 0; b < 2; ++b) report(label, b, t_send[b], burst);

        // ---- receive (the peer's end) ----
        std::vector<double> t_recv[2];
        Node receivers[2];
        for (int b = 0; b < 2; ++b) {
          receivers[b].core = make(*su.peer, {{&me(), me_at}}, b == 1);
          receivers[b].core->set_member(&receivers[b].member);
        }
        std::vector<ReceivedDatagram> batch;
        for (auto& d : wire_datagrams) batch.push_back({PhysicalPath{0, me_at}, d});
        for (int r = 0; r < kReps; ++r)
          for (int b = 0; b < 2; ++b) {
            Actions out;
            const double t0 = cpu_ns();
            if (b == 1) {
              receivers[b].core->receive_burst(batch, kNow, out);
            } else {
              for (auto& d : batch) receivers[b].core->receive(d.from, d.bytes, kNow, out);
            }
            t_recv[b].push_back(cpu_ns() - t0);
          }
        std::snprintf(label, sizeof label, "receive %s %zu B x %zu", su.name, size, burst);
        for (int b = 0; b < 2; ++b) report(label, b, t_recv[b], burst);
        if (receivers[0].member.frames != receivers[1].member.frames ||
            receivers[1].member.frames != burst * kReps)
          std::printf("  (frames delivered: single %zu, burst %zu, sent %zu)\n",
                      receivers[0].member.frames, receivers[1].member.frames, burst * kReps);
      }
  return 0;
}
