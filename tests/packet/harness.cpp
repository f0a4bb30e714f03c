#include "tests/packet/harness.hpp"

#include <rte_cycles.h>
#include <rte_errno.h>

#include <cstdio>
#include <filesystem>
#include <cstdlib>
#include <unistd.h>

namespace flatnet::test {

namespace {
rte_mempool* g_pool = nullptr;
}

void EalEnv::SetUp() {
  std::string prefix = "--file-prefix=flatnet-pkt-" + std::to_string(getpid());
  // --no-huge already keeps everything in process memory (DPDK 22.11 refuses
  // it together with --in-memory); the unique prefix keeps runs apart. All
  // fixtures share one EAL, and DPDK's heap does not give memory back to a
  // fresh segment list, so 64 MB ran out once the gateway's tables,
  // reassembly pools and pktgen pools came in.
  std::vector<std::string> args = {"packet-tests", "--no-huge", "--no-pci",
                                   "-m", "256", "-l", "0", "--log-level=*:error", prefix,
                                   "--vdev=net_null0"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  // A failed set-up must fail the run, not skip every test.
  if (rte_eal_init(int(argv.size()), argv.data()) < 0) {
    std::fprintf(stderr, "rte_eal_init failed: %s\n", rte_strerror(rte_errno));
    std::abort();
  }
  g_pool = make_pool("pkt_test_pool", 4095, int(rte_socket_id()));
  if (!g_pool) {
    std::fprintf(stderr, "mbuf pool: %s\n", rte_strerror(rte_errno));
    std::abort();
  }
}

void EalEnv::TearDown() {
  // Remove the EAL runtime directory DPDK 22.11 leaves behind with --no-huge.
  std::string dir = rte_eal_get_runtime_dir();
  rte_mempool_free(g_pool);
  g_pool = nullptr;
  rte_eal_cleanup();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

rte_mempool* EalEnv::pool() { return g_pool; }

static void lookup_cb(void* ctx, const uint64_t* addrs, unsigned n, PathView* out, bool* found) {
  auto* h = static_cast<Harness*>(ctx);
  for (unsigned i = 0; i < n; ++i) {
    auto it = h->paths.find(addrs[i]);
    found[i] = it != h->paths.end();
    if (found[i]) out[i] = it->second;
  }
}
static bool sibling_cb(void* ctx, PathView* out) {
  auto* h = static_cast<Harness*>(ctx);
  if (h->has_sibling) *out = h->sibling;
  return h->has_sibling;
}
static bool punt_cb(void* ctx, unsigned, const uint8_t* d, uint16_t len, const PuntInfo& info) {
  auto* h = static_cast<Harness*>(ctx);
  if (!h->punt_accepts) return false;
  if (h->punt_slots && h->punt_used >= h->punt_slots) return false;  // ring full
  ++h->punt_used;
  h->punts.push_back({Bytes(d, d + len), info});
  return true;
}
// A known peer: in the path table, and the packet came over that path.
static bool known_cb(void* ctx, unsigned, uint64_t addr, const PuntInfo& info) {
  auto* h = static_cast<Harness*>(ctx);
  auto it = h->paths.find(addr);
  return it != h->paths.end() && it->second.port == info.src_port &&
         info.src.equals(it->second.family, it->second.ip);
}
static bool fill_cb(void* ctx, unsigned, unsigned* used, unsigned* slots) {
  auto* h = static_cast<Harness*>(ctx);
  if (!h->punt_slots) return false;
  *used = h->punt_used;
  *slots = h->punt_slots;
  return true;
}
static bool unknown_cb(void* ctx, unsigned, uint64_t dst, uint64_t src, const PuntInfo& from) {
  static_cast<Harness*>(ctx)->unknown_events.emplace_back(dst, src);
  static_cast<Harness*>(ctx)->unknown_from.push_back(from);
  return true;
}
static bool pair_cb(void* ctx, unsigned, uint64_t src, uint64_t dst, uint32_t count) {
  static_cast<Harness*>(ctx)->pair_events.emplace_back(src, dst);
  static_cast<Harness*>(ctx)->pair_counts.push_back(count);
  return true;
}

static bool group_cb(void* ctx, unsigned, uint64_t nwid, uint64_t mac, uint32_t adi, uint32_t kind) {
  static_cast<Harness*>(ctx)->group_events.push_back({nwid, mac, adi, kind});
  return true;
}

static bool loop_cb(void* ctx, unsigned, uint64_t nwid, uint64_t mac, uint64_t bridge) {
  static_cast<Harness*>(ctx)->loop_events.push_back({nwid, mac, bridge});
  return true;
}

Harness::Harness() {
  std::memcpy(u.mac.b, dp_mac.b, 6);
  u.ip4 = IpAddr::v4(dp_ip4.b);
  u.prefix4 = 24;
  u.ip6 = IpAddr::v6(dp_ip6.b);
  u.prefix6 = 64;
  u.ip6_ll = IpAddr::v6(dp_ll.b);
  u.udp_port = kPort;
  u.secondary_port = kSecondaryPort;
  u.mtu = 1500;
  sw.self_address = kSelf;
  sw.relay = true;
  hooks.ctx = this;
  hooks.lookup = lookup_cb;
  hooks.sibling = sibling_cb;
  hooks.punt = punt_cb;
  hooks.known_peer = known_cb;
  hooks.punt_fill = fill_cb;
  hooks.unknown_dest = unknown_cb;
  hooks.relaying_pair = pair_cb;
  hooks.lan_group = group_cb;
  hooks.lan_loop = loop_cb;
  NeighborTable::Limits lim;
  lim.capacity = 64;
  lim.pending_max = 8;
  neigh = std::make_unique<NeighborTable>(lim, rte_get_tsc_hz());
  w.u = &u;
  w.sw = &sw;
  w.neigh = neigh.get();
  w.pool = EalEnv::pool();
  w.hooks = &hooks;
  w.c = &counters;
  worker_init(w, rte_get_tsc_hz(), 1.0, 100);
}

Harness::~Harness() {
  if (w.tx.n) rte_pktmbuf_free_bulk(w.tx.pkts, w.tx.n);
}

void Harness::add_path4(uint64_t addr, const Ip4& ip, uint16_t port) {
  PathView p{};
  p.family = Family::kV4;
  p.port = port;
  std::memcpy(p.ip, ip.b, 4);
  paths[addr] = p;
}
void Harness::add_path6(uint64_t addr, const Ip6& ip, uint16_t port) {
  PathView p{};
  p.family = Family::kV6;
  p.port = port;
  std::memcpy(p.ip, ip.b, 16);
  paths[addr] = p;
}
void Harness::set_sibling4(const Ip4& ip, uint16_t port) {
  has_sibling = true;
  sibling = PathView{};
  sibling.family = Family::kV4;
  sibling.port = port;
  std::memcpy(sibling.ip, ip.b, 4);
}
void Harness::add_neighbor4(const Ip4& ip, const MacA& mac) {
  Mac m;
  std::memcpy(m.b, mac.b, 6);
  neigh->learn(IpAddr::v4(ip.b), m, true);
}
void Harness::add_neighbor6(const Ip6& ip, const MacA& mac) {
  Mac m;
  std::memcpy(m.b, mac.b, 6);
  neigh->learn(IpAddr::v6(ip.b), m, true);
}

static std::vector<Bytes> take_tx(Worker& w) {
  std::vector<Bytes> out;
  for (uint16_t i = 0; i < w.tx.n; ++i) {
    rte_mbuf* m = w.tx.pkts[i];
    const uint8_t* d = rte_pktmbuf_mtod(m, const uint8_t*);
    out.emplace_back(d, d + rte_pktmbuf_data_len(m));
  }
  if (w.tx.n) rte_pktmbuf_free_bulk(w.tx.pkts, w.tx.n);
  w.tx.n = 0;
  return out;
}

std::vector<Bytes> Harness::run(const std::vector<Bytes>& frames) {
  std::vector<Bytes> out;
  for (size_t at = 0; at < frames.size(); at += kBurst) {
    rte_mbuf* pkts[kBurst];
    uint16_t n = 0;
    for (size_t i = at; i < frames.size() && n < kBurst; ++i) {
      rte_mbuf* m = rte_pktmbuf_alloc(EalEnv::pool());
      EXPECT_NE(m, nullptr);
      if (!m) break;
      char* d = rte_pktmbuf_append(m, uint16_t(frames[i].size()));
      EXPECT_NE(d, nullptr) << "frame too big for an mbuf";
      if (!d) {
        rte_pktmbuf_free(m);
        continue;
      }
      std::memcpy(d, frames[i].data(), frames[i].size());
      pkts[n++] = m;
    }
    process_burst(w, pkts, n);
    for (auto& f : take_tx(w)) out.push_back(std::move(f));
  }
  return out;
}

std::vector<Bytes> Harness::housekeeping() {
  fastpath::housekeeping(w);
  return take_tx(w);
}

std::string Harness::drop_reason() const {
  std::string r = "none";
  int n = 0;
  for (size_t i = 0; i < kDropCount; ++i)
    if (counters.drop[i]) {
      r = kDropNames[i];
      ++n;
    }
  return n > 1 ? "several" : r;
}

}  // namespace flatnet::test

namespace {
// Registered before gtest_main runs the tests.
[[maybe_unused]] auto* const g_env = ::testing::AddGlobalTestEnvironment(new flatnet::test::EalEnv);
}
