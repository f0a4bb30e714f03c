// Member simulator for the push row: every member is a whole control Core
// (VL1: keys, sealing, fragments) with a small VL2 handler that reassembles
// and verifies config chunks as a member does (ConfigAssembler). Datagrams
// travel in process between the cores, found by their physical address, as
// in the control harness's fake network (tests/unit/control/harness.hpp),
// which this does not include because it is built on gtest.
//
// Identities: a real one costs ~15 memory-hard hashes to find, far too slow
// for 10,000. A member here is an address plus a fresh C25519 key pair
// (~0.1 ms); it could not pass the memory-hard check of a HELLO, so the
// controller learns each one as a cached peer (Core::restore_peer, what
// flatnetd does with its peers cache at start: no check, a direct path),
// and each member learns the controller the same way.
#include "tools/bench/controller/push_sim.hpp"

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <deque>
#include <fstream>
#include <memory>
#include <random>
#include <string>

#include "control/controller/config_service.hpp"
#include "control/core/core.hpp"
#include "dataplane/wire/config_chunk.hpp"
#include "dataplane/wire/config_request.hpp"
#include "dataplane/wire/vl1.hpp"
#include "tools/bench/controller/bench_util.hpp"

namespace flatnet::bench {
namespace {

using namespace flatnet::control;
using namespace flatnet::control::controller;
using Clock = std::chrono::steady_clock;

// CPU time of this thread: the machine is shared, so wall time includes
// waiting for a core; the controller's cost is its CPU time.
Clock::duration cpu_now() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

double ms(Clock::duration d) {
  return double(std::chrono::duration_cast<std::chrono::microseconds>(d).count()) / 1000.0;
}

crypto::Identity public_part(const crypto::Identity& id) {
  return *crypto::Identity::from_string(id.to_string(false));
}

wire::InetAddress at(std::size_t i) {
  // Members at 10.1.<i/60000>.1, port 1024 + i % 60000; the controller at
  // 10.0.0.1/9993.
  const uint8_t ip[4] = {10, 1, uint8_t(i / 60000), 1};
  return wire::InetAddress::v4(ip, uint16_t(1024 + i % 60000));
}

struct SimMember final : Vl2Handler {
  SimMember(const crypto::Identity& controller, uint64_t nwid)
      : controller_id(controller), assembler(nwid) {}
  const crypto::Identity& controller_id;
  wire::ConfigAssembler assembler;
  std::unique_ptr<Core> core;
  uint64_t configs = 0;  // complete and verified
  uint64_t bad = 0;
  uint64_t last_config_at = 0;  // `now` when the last one completed

  void packet(const Vl2Packet& pk, uint64_t now, Actions&) override {
    const bool ok = pk.kind == Vl2Packet::Kind::kOk &&
                    pk.in_re_verb == wire::Verb::kNetworkConfigRequest;
    const bool push = pk.kind == Vl2Packet::Kind::kRequest &&
                      pk.verb == wire::Verb::kNetworkConfig;
    if (!ok && !push) return;
    std::vector<uint8_t> dict;
    const auto r = assembler.add(pk.payload, controller_id, &dict);
    if (r == wire::ConfigAssembler::Result::kComplete) {
      ++configs;
      last_config_at = now;
    } else if (r != wire::ConfigAssembler::Result::kPending) {
      ++bad;
    }
  }
};

// The in-process network: delivers what a core sends to the core at the
// destination address until quiet (bounded).
struct Net {
  Core* controller = nullptr;
  wire::InetAddress controller_at;
  std::vector<SimMember*> members;
  Clock::duration controller_time{};  // CPU spent in the controller's core (and service)
  uint64_t datagrams = 0, lost = 0;

  void deliver(const wire::InetAddress& from, std::vector<SendDatagram>& sends, uint64_t now) {
    std::deque<std::pair<wire::InetAddress, SendDatagram>> q;
    for (auto& d : sends) q.emplace_back(from, std::move(d));
    sends.clear();
    for (uint64_t n = 0; !q.empty() && n < 50'000'000; ++n) {
      auto [src, d] = std::move(q.front());
      q.pop_front();
      ++datagrams;
      Actions out;
      const wire::InetAddress to = d.path.remote;
      if (to == controller_at) {
        auto t = cpu_now();
        controller->receive(PhysicalPath{0, src}, d.bytes, now, out);
        controller_time += cpu_now() - t;
      } else {
        const std::size_t i = std::size_t(to.ip[2]) * 60000 + (to.port - 1024);
        if (to.ip[0] != 10 || to.ip[1] != 1 || i >= members.size()) {
          ++lost;
          continue;
        }
        members[i]->core->receive(PhysicalPath{0, src}, d.bytes, now, out);
      }
      for (auto& s : out.send) q.emplace_back(to, std::move(s));
    }
  }
};

}  // namespace

bool bench_push_over_cores(store::Store& s, const crypto::Identity& controller, uint64_t nwid,
                           const std::vector<uint64_t>& addrs, std::size_t online, int rounds) {
  std::string err;
  std::vector<uint64_t> pick;
  for (uint64_t a : addrs)
    if (!wire::address_is_reserved(a)) pick.push_back(a);
  std::shuffle(pick.begin(), pick.end(), std::mt19937_64(11));
  online = std::min(online, pick.size());
  pick.resize(online);

  // Pre-made members: an address (a stored member) and a key pair each.
  auto t0 = Clock::now();
  std::vector<crypto::Identity> ids;
  ids.reserve(online);
  for (uint64_t a : pick) ids.push_back(identity_at(a, true));
  const double keys_ms = ms(Clock::now() - t0);
  // Their records: authorized, no identity bound yet (their first request
  // binds the key above).
  std::vector<Member> batch;
  for (uint64_t a : pick) {
    Member m;
    if (s.get_member(nwid, a, m, &err) != store::Status::kOk) return false;
    m.identity.reset();
    m.authorized = true;
    batch.push_back(std::move(m));
    if (batch.size() == 1000) {
      if (s.put_members(batch, &err) != store::Status::kOk) return false;
      batch.clear();
    }
  }
  if (!batch.empty() && s.put_members(batch, &err) != store::Status::kOk) return false;

  uint64_t now = 5'000'000;
  int64_t wall = 1795571972000;
  const long rss0 = rss_kib();
  Config cc;
  cc.identity = controller;
  Core ctl(cc, now);
  ConfigService svc(ctl, s, [&] { return wall; });
  ctl.set_controller(&svc);
  Net net;
  net.controller = &ctl;
  {
    const uint8_t ip[4] = {10, 0, 0, 1};
    net.controller_at = wire::InetAddress::v4(ip, 9993);
  }
  const crypto::Identity ctl_public = public_part(controller);
  std::vector<std::unique_ptr<SimMember>> members;
  t0 = Clock::now();
  Actions scratch;
  for (std::size_t i = 0; i < online; ++i) {
    auto m = std::make_unique<SimMember>(ctl_public, nwid);
    Config c;
    c.identity = ids[i];
    // A member knows one peer: small tables (some are reserved up front).
    c.limits.peer_capacity = 16;
    c.limits.identity_queue = 4;
    c.limits.identity_source_slots = 16;
    c.limits.unite_pairs = 16;
    c.limits.whois_forward_addresses = 16;
    c.limits.multicast_subscriptions = 16;
    m->core = std::make_unique<Core>(std::move(c), now);
    m->core->set_member(m.get());
    if (!m->core->restore_peer(ctl_public, PhysicalPath{0, net.controller_at}, now, scratch) ||
        !ctl.restore_peer(public_part(ids[i]), PhysicalPath{0, at(i)}, now, scratch)) {
      std::fprintf(stderr, "push sim: restore_peer failed for member %zu\n", i);
      return false;
    }
    scratch = Actions{};
    net.members.push_back(m.get());
    members.push_back(std::move(m));
  }
  const double setup_ms = ms(Clock::now() - t0);
  const long rss1 = rss_kib();

  // Online: every member asks for its config once (a few hundred per
  // 100 ms loop turn, as joins arrive), the controller runs each turn.
  wire::ConfigRequest req;
  req.network_id = nwid;
  req.metadata = wire::stock_request_metadata(1, 14, 1, "linux/x86_64");
  std::vector<uint8_t> payload;
  wire::encode_config_request(req, payload);
  auto turn = [&] {
    Actions out;
    auto t = cpu_now();
    svc.run(now, out);
    ctl.run_background(now, out);
    net.controller_time += cpu_now() - t;
    net.deliver(net.controller_at, out.send, now);
  };
  t0 = Clock::now();
  const auto oc0 = cpu_now();
  net.controller_time = {};
  for (std::size_t i = 0; i < online; ++i) {
    Actions out;
    members[i]->core->send_to(controller.address(), wire::Verb::kNetworkConfigRequest, payload,
                              now, out);
    net.deliver(at(i), out.send, now);
    if (i % 500 == 499) {
      now += 100;
      turn();
    }
  }
  auto all_have = [&](uint64_t want) {
    for (auto& m : members)
      if (m->configs < want) return false;
    return true;
  };
  for (int i = 0; i < 1000 && !all_have(1); ++i) {
    now += 100;
    turn();
  }
  const double online_ms = ms(cpu_now() - oc0);
  const double online_ctl_ms = ms(net.controller_time);
  uint64_t bad = 0;
  for (auto& m : members) bad += m->bad;
  std::printf("%-34s %zu members: key pairs %.0f ms, cores %.0f ms (%.1f KiB RSS each, both"
              " sides); all online and configured: %.2f s CPU (controller %.2f s), %llu online"
              " at the controller, %llu bad chunks\n",
              "push sim: members", online, keys_ms, setup_ms,
              double(rss1 - rss0) / double(online), online_ms / 1000.0, online_ctl_ms / 1000.0,
              (unsigned long long)svc.online_count(), (unsigned long long)bad);
  if (!all_have(1)) {
    std::fprintf(stderr, "push sim: not every member got its first config\n");
    return false;
  }

  // The change: a network edit through the store (what a POST through the
  // API commits), then loop turns of 100 ms until every member holds a
  // verified config made after it.
  Network n;
  if (s.get_network(nwid, n, &err) != store::Status::kOk) return false;
  for (int r = 0; r < rounds; ++r) {
    for (int i = 0; i < 20; ++i) {  // past every member's 1 s request floor, and quiet
      now += 100;
      turn();
    }
    const uint64_t want = members[0]->configs + 1;
    for (auto& m : members)
      if (m->configs + 1 != want) {
        std::fprintf(stderr, "push sim: members out of step before round %d\n", r);
        return false;
      }
    n.name = "push-" + std::to_string(r);
    n.multicast_limit = 32 + unsigned(r);
    wall += 10000;
    if (s.put_network(n, nullptr, &err) != store::Status::kOk) return false;
    const uint64_t start = now;
    const uint64_t dg0 = net.datagrams;
    net.controller_time = {};
    t0 = Clock::now();
    const auto c0 = cpu_now();
    int turns = 0;
    for (; turns < 2000 && !all_have(want); ++turns) {
      now += 100;
      turn();
    }
    const double wall_ms = ms(Clock::now() - t0);
    const double cpu_ms = ms(cpu_now() - c0);
    uint64_t last = start;
    for (auto& m : members) last = std::max(last, m->last_config_at);
    if (!all_have(want)) {
      std::fprintf(stderr, "push sim: round %d: not every member got the change\n", r);
      return false;
    }
    std::printf("%-34s round %d: %zu members verified the change %.1f s after it on the `now`"
                " clock (%d loop turns); %.2f s CPU (wall %.2f s), %.2f s CPU of it the controller"
                " (core + service); %llu datagrams\n",
                "push sim: a network change", r, online, double(last - start) / 1000.0, turns,
                cpu_ms / 1000.0, wall_ms / 1000.0, ms(net.controller_time) / 1000.0,
                (unsigned long long)(net.datagrams - dg0));
  }
  std::printf("%-34s pushes %llu, configs sent %llu, lost datagrams %llu\n", "push sim: counters",
              (unsigned long long)svc.counters().pushes,
              (unsigned long long)svc.counters().configs_sent, (unsigned long long)net.lost);
  ctl.set_controller(nullptr);
  return true;
}

}  // namespace flatnet::bench
