// flatnet-bench-udp: datagrams per second through flatnetd's kernel UDP
// backend (control/service/udp_backend.cpp) on loopback, with each of its
// choices -- recvmmsg/sendmmsg batching, UDP GSO, UDP GRO -- on its own and
// all together (docs/bench-member.md). One thread sends bursts through one
// backend, another polls a second backend; both count their thread CPU, so
// the CPU per datagram stays meaningful on a machine shared with others.
// The ingress limits are off here: this measures the socket path.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "control/service/backend.hpp"
#include "tools/bench/crypto/stats.hpp"

namespace {

using flatnet::control::PhysicalPath;
using flatnet::control::SendDatagram;
using namespace flatnet::control::service;

double thread_cpu_s() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return double(t.tv_sec) + double(t.tv_nsec) * 1e-9;
}

struct Variant {
  const char* name;
  UdpOptions opt;
};

struct Run {
  double tx_per_s = 0, rx_per_s = 0;
  double tx_cpu_ns = 0, rx_cpu_ns = 0;  // thread CPU per datagram received
  uint64_t rx_calls = 0, tx_calls = 0, rx = 0, tx = 0;
};

uint64_t counter(Backend& b, const char* name) {
  for (const auto& [n, v] : b.dataplane_counters())
    if (n == name) return v;
  return 0;
}

bool run_once(const Variant& v, const std::string& ip, uint16_t port, size_t size, unsigned burst,
              double seconds, Run* out, std::string* err) {
  IngressLimits off;
  off.source_pps = 0;
  off.global_pps = 0;
  auto tx = make_udp_backend(ip + ":" + std::to_string(port), err, off, v.opt);
  auto rx = make_udp_backend(ip + ":" + std::to_string(port + 1), err, off, v.opt);
  if (!tx || !rx) return false;
  auto to = flatnet::wire::InetAddress::from_string(ip + "/" + std::to_string(port + 1));
  std::atomic<bool> sending{true}, receiving{true};
  uint64_t received = 0;
  double rx_cpu = 0;
  std::thread receiver([&] {
    BackendEvents ev;
    ev.datagram = [&](const PhysicalPath&, std::span<const uint8_t> d) {
      received += d.size() == size;
    };
    const double c0 = thread_cpu_s();
    while (receiving.load(std::memory_order_relaxed))
      if (rx->poll(ev, 256) == 0) rx->wait(1);
    rx_cpu = thread_cpu_s() - c0;
  });
  std::vector<uint8_t> d(size, 0x5a);
  SendDatagram sd{PhysicalPath{0, *to}, d, 0};
  uint64_t sent = 0;
  const double c0 = thread_cpu_s();
  const auto t0 = std::chrono::steady_clock::now();
  const auto end = t0 + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end) {
    for (unsigned k = 0; k < burst; ++k) sent += tx->send(sd);
    tx->flush();
  }
  const double tx_cpu = thread_cpu_s() - c0;
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  sending = false;
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // drain what is in flight
  receiving = false;
  receiver.join();
  out->tx = sent - counter(*tx, "udp_tx_errors");
  out->rx = received;
  out->tx_per_s = double(out->tx) / elapsed;
  out->rx_per_s = double(received) / elapsed;
  out->tx_cpu_ns = received ? tx_cpu * 1e9 / double(received) : 0;
  out->rx_cpu_ns = received ? rx_cpu * 1e9 / double(received) : 0;
  out->tx_calls = counter(*tx, "udp_tx_calls");
  out->rx_calls = counter(*rx, "udp_rx_calls");
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"flatnet-bench-udp: datagrams/s through flatnetd's UDP backend on loopback"};
  int reps = 7;
  double seconds = 1.0;
  size_t size = 1422;
  unsigned burst = 32;
  std::string ip = "127.0.0.1";
  uint16_t port = 39121;
  std::string json_path;
  app.add_option("--reps", reps, "runs per variant (interleaved)")->check(CLI::Range(1, 100));
  app.add_option("--seconds", seconds, "length of one run")->check(CLI::Range(0.1, 60.0));
  app.add_option("--size", size, "datagram bytes (1422: half of a 2800-byte frame, evenly split)")
      ->check(CLI::Range(1, 65507));
  app.add_option("--burst", burst, "datagrams sent per flush")->check(CLI::Range(1, 256));
  app.add_option("--ip", ip, "loopback address to bind");
  app.add_option("--port", port, "sender port (receiver: port+1)");
  app.add_option("--json", json_path, "write every run and the summary here");
  CLI11_PARSE(app, argc, argv);

  const std::vector<Variant> variants = {
      {"plain", {1, false, false}},   {"batch", {32, false, false}}, {"gso", {1, true, false}},
      {"gro", {1, false, true}},      {"gso+gro", {1, true, true}},  {"all", {32, true, true}},
  };
  std::vector<std::vector<Run>> runs(variants.size());
  // Interleaved (variant after variant, rep after rep) so a neighbour's
  // load spreads over all variants rather than spoiling one.
  for (int r = 0; r < reps; ++r)
    for (size_t i = 0; i < variants.size(); ++i) {
      Run run;
      std::string err;
      if (!run_once(variants[i], ip, port, size, burst, seconds, &run, &err)) {
        std::fprintf(stderr, "flatnet-bench-udp: %s\n", err.c_str());
        return 1;
      }
      runs[i].push_back(run);
    }
  nlohmann::json j;
  j["size"] = size;
  j["burst"] = burst;
  j["seconds"] = seconds;
  j["reps"] = reps;
  std::printf("%-8s %12s %8s %8s %12s %10s %10s %9s %9s\n", "variant", "rx dgram/s", "min", "max",
              "tx dgram/s", "tx ns/dg", "rx ns/dg", "tx dg/call", "rx dg/call");
  for (size_t i = 0; i < variants.size(); ++i) {
    std::vector<double> rx, tx, txc, rxc, txpc, rxpc;
    for (const Run& r : runs[i]) {
      rx.push_back(r.rx_per_s);
      tx.push_back(r.tx_per_s);
      txc.push_back(r.tx_cpu_ns);
      rxc.push_back(r.rx_cpu_ns);
      txpc.push_back(r.tx_calls ? double(r.tx) / double(r.tx_calls) : 0);
      rxpc.push_back(r.rx_calls ? double(r.rx) / double(r.rx_calls) : 0);
      j["runs"].push_back({{"variant", variants[i].name},
                           {"rx_per_s", r.rx_per_s},
                           {"tx_per_s", r.tx_per_s},
                           {"tx_cpu_ns_per_dgram", r.tx_cpu_ns},
                           {"rx_cpu_ns_per_dgram", r.rx_cpu_ns},
                           {"tx_calls", r.tx_calls},
                           {"rx_calls", r.rx_calls},
                           {"tx", r.tx},
                           {"rx", r.rx}});
    }
    auto s = flatnet::bench::summarise(rx, 1);
    auto med = [](std::vector<double> v) { return flatnet::bench::summarise(std::move(v), 1).median; };
    std::printf("%-8s %12.0f %8.0f %8.0f %12.0f %10.0f %10.0f %9.1f %9.1f\n", variants[i].name,
                s.median, s.min, s.max, med(tx), med(txc), med(rxc), med(txpc), med(rxpc));
    j["summary"].push_back({{"variant", variants[i].name},
                            {"rx_per_s", {{"median", s.median}, {"min", s.min}, {"p25", s.p25},
                                          {"p75", s.p75}, {"max", s.max}}},
                            {"tx_per_s_median", med(tx)},
                            {"tx_cpu_ns_per_dgram_median", med(txc)},
                            {"rx_cpu_ns_per_dgram_median", med(rxc)},
                            {"tx_dgrams_per_call_median", med(txpc)},
                            {"rx_dgrams_per_call_median", med(rxpc)}});
  }
  if (!json_path.empty()) {
    FILE* f = std::fopen(json_path.c_str(), "w");
    if (!f) {
      std::perror(json_path.c_str());
      return 1;
    }
    std::fputs(j.dump(1).c_str(), f);
    std::fputc('\n', f);
    std::fclose(f);
  }
  return 0;
}
