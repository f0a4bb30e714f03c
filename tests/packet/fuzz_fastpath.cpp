// Fuzz target: one frame through the whole fast path (every parser and the
// relay rewrite), with a stand-in control. Byte 0 picks the mode: bit 0
// relay on, bit 1 a sibling root, bit 2 resolve next hops statically (else
// they wait in the neighbour queue); the rest is the Ethernet frame.
// Destinations with an odd address have a path, IPv4 if bit 1 of the
// address is clear, else IPv6. Invariant checked: every packet is either
// transmitted, held, punted or counted as a drop — none lost.
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <cstdlib>
#include <string>
#include <vector>

#include "dataplane/fastpath/stage.hpp"
#include "tests/packet/fuzz_eal.hpp"

using namespace flatnet::fastpath;

namespace {

struct World {
  rte_mempool* pool = nullptr;
  Underlay u;
  Switches sw;
  ControlHooks hooks;
  CoreCounters c;
  NeighborTable* neigh = nullptr;
  Worker w;
  bool sibling = false;
  uint64_t punts = 0;
};

World* world() {
  static World* g = [] {
    flatnet::test::fuzz_eal_init("flatnet-fuzz", "64");
    auto* x = new World;
    x->pool = make_pool("fuzz_pool", 1023, 0);
    if (!x->pool) std::abort();
    x->u.mac = Mac{{2, 0, 0, 0, 0, 1}};
    uint8_t ip4[4] = {10, 0, 0, 1}, gw4[4] = {10, 0, 0, 254};
    uint8_t ip6[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    uint8_t ll[16] = {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xfe, 0, 0, 1};
    x->u.ip4 = IpAddr::v4(ip4);
    x->u.prefix4 = 24;
    x->u.gw4 = IpAddr::v4(gw4);
    x->u.ip6 = IpAddr::v6(ip6);
    x->u.prefix6 = 64;
    x->u.ip6_ll = IpAddr::v6(ll);
    x->u.secondary_port = 29993;  // corpus relay_v4_secondary
    x->sw.self_address = 0x1111111111;
    NeighborTable::Limits lim;
    lim.capacity = 64;
    lim.pending_max = 16;
    x->neigh = new NeighborTable(lim, rte_get_tsc_hz());
    x->hooks.ctx = x;
    x->hooks.lookup = [](void*, const uint64_t* a, unsigned n, PathView* p, bool* f) {
      for (unsigned i = 0; i < n; ++i) {
        f[i] = a[i] & 1;
        p[i] = PathView{};
        p[i].family = (a[i] & 2) ? Family::kV6 : Family::kV4;
        p[i].port = uint16_t(a[i] >> 8);
        p[i].ip[0] = (a[i] & 2) ? 0xfd : 10;
        p[i].ip[15] = p[i].ip[3] = uint8_t(a[i] >> 16);
      }
    };
    x->hooks.sibling = [](void* ctx, PathView* p) {
      if (!static_cast<World*>(ctx)->sibling) return false;
      *p = PathView{};
      p->family = Family::kV4;
      p->port = 9993;
      p->ip[0] = 192;
      p->ip[3] = 7;
      return true;
    };
    x->hooks.punt = [](void* ctx, unsigned, const uint8_t*, uint16_t, const PuntInfo&) {
      ++static_cast<World*>(ctx)->punts;
      return true;
    };
    x->w.u = &x->u;
    x->w.sw = &x->sw;
    x->w.neigh = x->neigh;
    x->w.pool = x->pool;
    x->w.hooks = &x->hooks;
    x->w.c = &x->c;
    worker_init(x->w, rte_get_tsc_hz());
    return x;
  }();
  return g;
}

uint64_t accounted(const World& x) {
  return x.c.drops_total() + x.c.relayed + x.c.relayed_sibling + x.punts + x.c.arp_replies +
         x.c.icmp4_echo_replies + x.c.icmp6_echo_replies + x.c.nd_adverts + x.c.arp_learned +
         x.c.nd_learned;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 2000) return 0;
  World& x = *world();
  x.sw.relay = data[0] & 1;
  x.sibling = data[0] & 2;
  if (data[0] & 4) {
    // Resolve everything the lookup above can produce, plus the gateway.
    uint8_t gw[4] = {10, 0, 0, 254};
    x.neigh->learn(IpAddr::v4(gw), Mac{{2, 0, 0, 0, 0, 0xfe}}, true);
  }
  rte_mbuf* m = rte_pktmbuf_alloc(x.pool);
  if (!m) return 0;
  char* d = rte_pktmbuf_append(m, uint16_t(size - 1));
  if (!d) {
    rte_pktmbuf_free(m);
    return 0;
  }
  std::memcpy(d, data + 1, size - 1);
  uint64_t before = accounted(x);
  unsigned held_before = x.neigh->pending();
  process_burst(x.w, &m, 1);
  // Checked before housekeeping, which can flush or expire packets held by
  // earlier inputs and so move the same counters and queues: only this
  // packet's fate is visible here. One packet may move several counters
  // (an ARP request from a known neighbour is learned and answered); at least one must move.
  uint64_t after = accounted(x);
  bool seen = after > before || x.neigh->pending() > held_before || x.w.tx.n > 0;
  if (!seen) {
    std::fprintf(stderr, "fuzz_fastpath: a packet vanished without a count\n");
    std::abort();
  }
  housekeeping(x.w);
  if (x.w.tx.n) rte_pktmbuf_free_bulk(x.w.tx.pkts, x.w.tx.n);
  x.w.tx.n = 0;
  return 0;
}
