// Drives ConfigService directly through a Vl1Link that only records what
// it would send: the numbers are the controller's own work (store reads,
// config building, signing), not the network's.
#include "tools/bench/controller/config_bench.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>

#include "control/controller/config_service.hpp"
#include "dataplane/wire/config_request.hpp"
#include "dataplane/wire/vl1.hpp"
#include "tools/bench/controller/bench_util.hpp"

namespace flatnet::bench {
namespace {

using namespace flatnet::control;
using namespace flatnet::control::controller;
using Clock = std::chrono::steady_clock;

double us(Clock::time_point a, Clock::time_point b) {
  return double(std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count()) / 1000.0;
}

void row(const char* what, std::vector<double> v) {
  if (v.empty()) return;
  std::sort(v.begin(), v.end());
  auto at = [&](double q) { return v[std::min(v.size() - 1, std::size_t(q * double(v.size())))]; };
  std::printf("%-34s p50 %9.1f us  p99 %9.1f us  (min %.1f, max %.1f, n=%zu)\n", what, at(0.5),
              at(0.99), v.front(), v.back(), v.size());
}

struct RecordingLink final : Vl1Link {
  explicit RecordingLink(const crypto::Identity& id) : id_(id) {}
  const crypto::Identity& self() const override { return id_; }
  uint64_t send_to(uint64_t, wire::Verb verb, std::span<const uint8_t> payload, uint64_t,
                   Actions&) override {
    ++sent[uint8_t(verb) & 0x1f];
    bytes += payload.size();
    return 1;
  }
  const crypto::Identity* identity_of(uint64_t) const override { return nullptr; }
  void want_identity(uint64_t, uint64_t, Actions&) override {}
  const std::vector<uint64_t>& upstreams() const override { return none_; }
  bool direct_path_to(uint64_t, uint64_t) const override { return true; }
  std::optional<uint32_t> direct_latency(uint64_t, uint64_t) const override { return 1; }
  uint64_t sent[32] = {};
  uint64_t bytes = 0;

 private:
  const crypto::Identity& id_;
  std::vector<uint64_t> none_;
};

}  // namespace

bool bench_config_requests(store::Store& s, const crypto::Identity& controller, uint64_t nwid,
                           const std::vector<uint64_t>& addrs, int samples, uint64_t online) {
  std::string err;
  Network n;
  if (s.get_network(nwid, n, &err) != store::Status::kOk) return false;
  // A realistic network: the stored members' addresses lie in a routed /8
  // pool; rules as stock's default; one default tag.
  n.routes = {{"10.0.0.0/8", std::nullopt}};
  n.ip_assignment_pools = {{"10.0.0.1", "10.255.255.254"}};
  n.v4_assign_zt = true;
  n.tags = {{1, 1}};
  if (s.put_network(n, nullptr, &err) != store::Status::kOk) return false;
  // The members that will ask: their stored identity strings are
  // placeholders, so unbind them (a member's first request binds it).
  std::mt19937_64 rng(3);
  std::vector<uint64_t> sample;
  for (uint64_t a : addrs)
    if (!wire::address_is_reserved(a)) sample.push_back(a);  // no identity can have those
  std::shuffle(sample.begin(), sample.end(), rng);
  const std::size_t want = std::min<std::size_t>(
      sample.size(), std::max<std::size_t>(std::size_t(samples), std::size_t(online)));
  std::vector<crypto::Identity> ids;
  std::vector<Member> batch;
  for (std::size_t i = 0; i < want; ++i) {
    Member m;
    if (s.get_member(nwid, sample[i], m, &err) != store::Status::kOk) return false;
    m.identity.reset();
    m.authorized = true;
    batch.push_back(std::move(m));
    ids.push_back(identity_at(sample[i], false));
  }
  if (s.put_members(batch, &err) != store::Status::kOk) return false;

  RecordingLink link(controller);
  ConfigService svc(link, s, [] { return int64_t(1795571972850); });
  wire::ConfigRequest req;
  req.network_id = nwid;
  req.metadata = wire::stock_request_metadata(1, 14, 1, "linux/x86_64");
  std::vector<uint8_t> payload;
  wire::encode_config_request(req, payload);
  uint64_t now = 1'000'000;
  auto ask = [&](const crypto::Identity& id) {
    Vl2Packet pk;
    pk.source = id.address();
    pk.identity = &id;
    pk.verb = wire::Verb::kNetworkConfigRequest;
    pk.packet_id = now;
    pk.payload = payload;
    Actions out;
    svc.packet(pk, now, out);
  };

  // The first request starts loading the network's index (held addresses,
  // bridges); run() continues it and answers the request when it is done.
  // Each call is one turn of the daemon's loop: its longest is the stall.
  const long rss0 = rss_kib();
  auto t0 = Clock::now();
  double longest = 0;
  {
    auto a = Clock::now();
    ask(ids[0]);
    longest = us(a, Clock::now());
  }
  unsigned turns = 1;
  for (Actions out; svc.counters().configs_sent == 0 && turns < 10000; ++turns) {
    auto a = Clock::now();
    svc.run(now, out);
    longest = std::max(longest, us(a, Clock::now()));
  }
  auto t1 = Clock::now();
  const long rss1 = rss_kib();
  std::printf("%-34s %.1f ms for %zu members in %u loop turns (longest %.1f ms); index ~%.0f"
              " bytes/member (RSS)\n", "first request: load the index", us(t0, t1) / 1000.0,
              addrs.size(), turns, longest / 1000.0,
              double(rss1 - rss0) * 1024.0 / double(addrs.size()));

  // First requests of members: identity bound and version stored (a write).
  std::vector<double> first, again, sign;
  for (int i = 1; i < samples && std::size_t(i) < ids.size(); ++i) {
    now += 1;
    auto a = Clock::now();
    ask(ids[i]);
    first.push_back(us(a, Clock::now()));
  }
  row("answer a member's first request", first);
  // Later requests: nothing to store; read, build, sign, chunk.
  for (int i = 1; i < samples && std::size_t(i) < ids.size(); ++i) {
    now += 1001;
    auto a = Clock::now();
    ask(ids[i]);
    again.push_back(us(a, Clock::now()));
  }
  row("answer a request (no write)", again);
  std::vector<uint8_t> msg(1200, 0x5a);
  for (int i = 0; i < samples; ++i) {
    auto a = Clock::now();
    (void)controller.sign(msg);
    sign.push_back(us(a, Clock::now()));
  }
  row("one signature (C25519, 1.2 KB)", sign);
  std::printf("%-34s 4 per answer here: COM, tag, certificate of ownership, one chunk\n",
              "signatures per config");
  const uint64_t configs = svc.counters().configs_sent;
  const ControllerCounters& c = svc.counters();
  std::printf("%-34s %llu configs, %.0f bytes each on average (denied %llu, floor %llu, store"
              " errors %llu)\n", "sent", (unsigned long long)configs,
              configs ? double(link.bytes) / double(configs) : 0.0,
              (unsigned long long)c.access_denied, (unsigned long long)c.rate_limited,
              (unsigned long long)c.store_errors);

  // A change pushed to `online` online members.
  for (std::size_t i = std::size_t(samples); i < std::min<std::size_t>(online, ids.size()); ++i) {
    now += 1;
    ask(ids[i]);
  }
  Actions out;
  svc.run(now, out);  // our own writes: nothing to push
  const uint64_t before = svc.counters().pushes;
  n.name = "bench-changed";
  if (s.put_network(n, nullptr, &err) != store::Status::kOk) return false;
  auto p0 = Clock::now();
  uint64_t runs = 0;
  const uint64_t start = now;
  while (runs < 100000) {
    now += 100;  // the daemon's run period
    svc.run(now, out);
    ++runs;
    if (svc.counters().pushes - before >= svc.online_count()) break;
    if (now - start > 60000) break;
  }
  auto p1 = Clock::now();
  std::printf("%-34s %llu online members pushed in %.2f s of controller time, %.1f s on the"
              " `now` clock (rate limit %llu/s)\n",
              "push a network change", (unsigned long long)(svc.counters().pushes - before),
              us(p0, p1) / 1e6, double(now - start) / 1000.0,
              (unsigned long long)kPushesPerSecond);
  return true;
}

}  // namespace flatnet::bench
