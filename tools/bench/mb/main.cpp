// flatnet-bench-mb: throughput of the burst crypto engines (crypto/mb) on
// one pinned core, beside the single-packet reference (crypto::armor) and
// the library primitives in the same run:
//   suite 1: libsodium crypto_stream_salsa2012_xor + crypto_onetimeauth_poly1305
//   suite 3: ipsec-mb AES-256-GCM (the practical ceiling of a two-pass SIV)
// Every packet has its own key (a pool of distinct peers) and its own IV;
// keys are mangled per packet as the protocol requires. See README.md.
#include <intel-ipsec-mb.h>
#include <sched.h>
#include <sodium.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "crypto/armor.hpp"
#include "crypto/mb/burst.hpp"

namespace fc = flatnet::crypto;
namespace mb = flatnet::crypto::mb;

namespace {

struct Options {
  int cpu = -1;
  int reps = 11;
  double rep_ms = 10;
  std::vector<int> sizes = {64, 256, 1400, 2800, 0};  // 0 = IMIX
  std::vector<int> bursts = {1, 4, 32};
  std::string json;
  bool suite1 = true, suite3 = true;
};

void usage() {
  std::puts(
      "usage: flatnet-bench-mb [--cpu N] [--reps N] [--rep-ms MS] [--sizes a,b,..] [--bursts a,b,..]\n"
      "                        [--suite 1|3] [--json FILE]\n"
      "  sizes are whole VL1 packet sizes in bytes (28-byte header included); 0 = IMIX\n"
      "  (7:4:1 of 64/576/1400 bytes, shuffled). Pins itself to --cpu (default: the\n"
      "  CPU it starts on). Each row: --reps repetitions (default 11) of >= --rep-ms\n"
      "  (default 10) of timed passes over a pool of packets with distinct keys.");
}

std::vector<int> parse_list(const char* s) {
  std::vector<int> v;
  for (const char* p = s; *p;) {
    v.push_back(std::atoi(p));
    while (*p && *p != ',') ++p;
    if (*p == ',') ++p;
  }
  return v;
}

// ---- the packet pool -------------------------------------------------------

constexpr size_t kPeers = 1024;

struct Peers {
  std::vector<fc::SharedKey> raw;
  std::vector<std::unique_ptr<mb::PeerKeyset>> burst;
  std::vector<std::unique_ptr<fc::PeerKeys>> single;
  std::vector<gcm_key_data, std::allocator<gcm_key_data>> gcm;  // baseline: own K0 per peer
  explicit Peers(IMB_MGR* mgr) : gcm(kPeers) {
    for (size_t i = 0; i < kPeers; ++i) {
      fc::SharedKey k;
      randombytes_buf(k.data(), k.size());
      raw.push_back(k);
      burst.push_back(std::make_unique<mb::PeerKeyset>(k));
      single.push_back(std::make_unique<fc::PeerKeys>(k));
      IMB_AES256_GCM_PRE(mgr, k.data(), &gcm[i]);
    }
  }
};

struct Pool {
  std::vector<uint8_t> plain, armored, work;
  std::vector<size_t> off;
  std::vector<uint32_t> len;
  std::vector<uint16_t> peer;
  std::vector<mb::Packet> pk;
  uint64_t bytes = 0;

  Pool(int size, const Peers& peers, std::mt19937_64& rng) {
    std::vector<uint32_t> lens;
    const size_t target = 512 * 1024;  // bytes per pass: stays in L2
    if (size == 0) {
      const uint32_t imix[12] = {64, 64, 64, 64, 64, 64, 64, 576, 576, 576, 576, 1400};
      while (lens.size() < 256 || bytes < target) {
        for (uint32_t l : imix) lens.push_back(l), bytes += l;
      }
      std::shuffle(lens.begin(), lens.end(), rng);
    } else {
      while (lens.size() < 256 || bytes < target) lens.push_back(uint32_t(size)), bytes += size;
    }
    size_t total = 0;
    for (uint32_t l : lens) {
      off.push_back(total);
      len.push_back(l);
      peer.push_back(uint16_t(rng() % kPeers));
      total += (l + 63) & ~size_t(63);
    }
    plain.resize(total);
    randombytes_buf(plain.data(), plain.size());
    for (size_t i = 0; i < len.size(); ++i) plain[off[i] + 18] = 0;  // flags: hops 0
    work = plain;
    for (size_t i = 0; i < len.size(); ++i)
      pk.push_back({work.data() + off[i], len[i], peers.burst[peer[i]].get()});
  }
  size_t count() const { return len.size(); }

  // Valid armored packets for the dearmor rows (made by the reference).
  void armor_reference(const Peers& peers, fc::Suite suite) {
    armored = plain;
    for (size_t i = 0; i < count(); ++i)
      fc::armor({armored.data() + off[i], len[i]}, *peers.single[peer[i]], suite);
  }
};

// ---- engines -----------------------------------------------------------------

enum class Op { kArmor, kDearmor };
using PassFn = std::function<void(Pool&, size_t first, size_t n)>;

struct Engine {
  std::string name;
  bool bursty;  // burst size matters (else measured once, burst "-")
  mb::Isa isa;  // kAuto for non-mb engines
  PassFn fn;
};

std::vector<Engine> engines(fc::Suite suite, Op op, const Peers& peers, IMB_MGR* mgr) {
  std::vector<Engine> v;
  for (mb::Isa isa : {mb::Isa::kScalar, mb::Isa::kAvx2, mb::Isa::kAvx512}) {
    if (!mb::isa_supported(isa)) continue;
    if (suite == fc::Suite::kAesGmacSiv && isa != mb::Isa::kAvx512) continue;  // ipsec-mb's own ISA
    std::string name = "mb ";
    name += suite == fc::Suite::kAesGmacSiv ? "ipsec-mb jobs" : mb::to_string(isa);
    v.push_back({name, true, isa, [suite, op](Pool& p, size_t first, size_t n) {
                   static thread_local std::vector<fc::DearmorResult> verdicts(256);
                   if (op == Op::kArmor)
                     mb::armor_burst({p.pk.data() + first, n}, suite);
                   else
                     mb::dearmor_burst({p.pk.data() + first, n}, verdicts.data());
                 }});
  }
  v.push_back({"crypto::armor (1 pkt)", false, mb::Isa::kAuto, [&peers, suite, op](Pool& p, size_t first, size_t n) {
                 for (size_t i = first; i < first + n; ++i) {
                   std::span<uint8_t> s(p.pk[i].data, p.pk[i].len);
                   if (op == Op::kArmor)
                     fc::armor(s, *peers.single[p.peer[i]], suite);
                   else
                     (void)fc::dearmor(s, *peers.single[p.peer[i]]);
                 }
               }});
  if (suite == fc::Suite::kSalsa2012Poly1305) {
    // The primitives alone: mangle, Salsa20/12 over the payload, Poly1305.
    v.push_back({"libsodium salsa2012+poly1305", false, mb::Isa::kAuto, [&peers](Pool& p, size_t first, size_t n) {
                   for (size_t i = first; i < first + n; ++i) {
                     uint8_t* d = p.pk[i].data;
                     const uint32_t len = p.pk[i].len;
                     const uint8_t* k = peers.raw[p.peer[i]].data();
                     uint8_t mk[32], tag[16], ks[32];
                     for (int b = 0; b < 32; ++b) mk[b] = k[b] ^ (b < 19 ? d[b] : 0);
                     mk[19] ^= uint8_t(len);
                     mk[20] ^= uint8_t(len >> 8);
                     crypto_stream_salsa2012(ks, 32, d, mk);
                     crypto_stream_salsa2012_xor(d + 27, d + 27, len - 27, d, mk);
                     crypto_onetimeauth_poly1305(tag, d + 27, len - 27, ks);
                     std::memcpy(d + 19, tag, 8);
                   }
                 }});
  }
  if (suite == fc::Suite::kAesGmacSiv) {
    v.push_back({"ipsec-mb aes-256-gcm", false, mb::Isa::kAuto, [&peers, mgr, op](Pool& p, size_t first, size_t n) {
                   struct gcm_context_data ctx;
                   uint8_t tag[16];
                   for (size_t i = first; i < first + n; ++i) {
                     uint8_t* d = p.pk[i].data;
                     const uint64_t len = p.pk[i].len - 27;
                     uint8_t iv[12] = {};
                     std::memcpy(iv, d, 8);
                     if (op == Op::kArmor)
                       IMB_AES256_GCM_ENC(mgr, &peers.gcm[p.peer[i]], &ctx, d + 27, d + 27, len, iv, d + 8, 11, tag, 16);
                     else
                       IMB_AES256_GCM_DEC(mgr, &peers.gcm[p.peer[i]], &ctx, d + 27, d + 27, len, iv, d + 8, 11, tag, 16);
                     std::memcpy(d + 19, tag, 8);
                   }
                 }});
  }
  return v;
}

// ---- timing --------------------------------------------------------------------

struct Result {
  std::string suite, op, engine, size;
  int burst;  // 0 = not a burst engine
  double ns_med, ns_p25, ns_p75, ns_min, ns_max;  // per packet
  double avg_bytes;
};

double quantile(const std::vector<double>& s, double q) {
  const double pos = q * double(s.size() - 1);
  const size_t lo = size_t(pos), hi = std::min(lo + 1, s.size() - 1);
  return s[lo] + (s[hi] - s[lo]) * (pos - double(lo));
}

// This thread's CPU time: on a machine shared with other work, time spent
// preempted is not counted (caches shared with the others still are).
double thread_ns() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) * 1e9 + double(ts.tv_nsec);
}

// Restores the pool for the next pass (not timed): plain packets with a
// fresh ID per packet for armor, or the armored copies for dearmor.
void prepare(Pool& p, Op op, uint64_t pass) {
  if (op == Op::kDearmor) {
    std::memcpy(p.work.data(), p.armored.data(), p.work.size());
    return;
  }
  std::memcpy(p.work.data(), p.plain.data(), p.work.size());
  for (size_t i = 0; i < p.count(); ++i) {
    uint64_t id;
    std::memcpy(&id, p.work.data() + p.off[i], 8);
    id += pass * 0x9e3779b97f4a7c15ULL;
    std::memcpy(p.work.data() + p.off[i], &id, 8);
  }
}

Result measure(Pool& p, Op op, const Engine& e, int burst, const Options& o) {
  uint64_t pass = 0;
  const auto one_pass = [&]() {
    prepare(p, op, ++pass);
    const double t0 = thread_ns();
    for (size_t i = 0; i < p.count(); i += size_t(burst))
      e.fn(p, i, std::min(size_t(burst), p.count() - i));
    return thread_ns() - t0;
  };
  one_pass();  // warm-up
  std::vector<double> per_pkt;
  for (int r = 0; r < o.reps; ++r) {
    double ns = 0;
    uint64_t pkts = 0;
    while (ns < o.rep_ms * 1e6) {
      ns += one_pass();
      pkts += p.count();
    }
    per_pkt.push_back(ns / double(pkts));
  }
  std::sort(per_pkt.begin(), per_pkt.end());
  Result r;
  r.ns_med = quantile(per_pkt, 0.5);
  r.ns_p25 = quantile(per_pkt, 0.25);
  r.ns_p75 = quantile(per_pkt, 0.75);
  r.ns_min = per_pkt.front();
  r.ns_max = per_pkt.back();
  r.avg_bytes = double(p.bytes) / double(p.count());
  r.burst = e.bursty ? burst : 0;
  return r;
}

void print(const Result& r) {
  const double gb = r.avg_bytes * 8 / r.ns_med;
  char b[8];
  std::snprintf(b, sizeof b, "%d", r.burst);
  std::printf("%-6s %-8s %-30s %5s %5s %8.2f %8.2f %7.2f-%-7.2f %7.2f-%-7.2f\n", r.suite.c_str(),
              r.op.c_str(), r.engine.c_str(), r.size.c_str(), r.burst ? b : "-", 1e3 / r.ns_med, gb,
              r.avg_bytes * 8 / r.ns_p75, r.avg_bytes * 8 / r.ns_p25, r.avg_bytes * 8 / r.ns_max,
              r.avg_bytes * 8 / r.ns_min);
  std::fflush(stdout);
}

std::string cpu_model() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown";
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto val = [&]() -> const char* {
      if (i + 1 >= argc) {
        usage();
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--cpu") o.cpu = std::atoi(val());
    else if (a == "--reps") o.reps = std::max(1, std::atoi(val()));
    else if (a == "--rep-ms") o.rep_ms = std::max(0.1, std::atof(val()));
    else if (a == "--sizes") o.sizes = parse_list(val());
    else if (a == "--bursts") o.bursts = parse_list(val());
    else if (a == "--json") o.json = val();
    else if (a == "--suite") {
      const int s = std::atoi(val());
      o.suite1 = s == 1;
      o.suite3 = s == 3;
    } else {
      usage();
      return a == "-h" || a == "--help" ? 0 : 2;
    }
  }
  for (int s : o.sizes)
    if (s != 0 && (s < 28 || s > 10024)) {
      std::fprintf(stderr, "bad size %d (28..10024, or 0 for IMIX)\n", s);
      return 2;
    }
  for (int b : o.bursts)
    if (b < 1 || b > 256) {
      std::fprintf(stderr, "bad burst %d (1..256)\n", b);
      return 2;
    }
  if (sodium_init() < 0) return 1;
  if (o.cpu < 0) o.cpu = sched_getcpu();
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(o.cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0) {
    std::perror("sched_setaffinity");
    return 1;
  }
  IMB_MGR* mgr = alloc_mb_mgr(0);
  init_mb_mgr_auto(mgr, nullptr);
  double load[3] = {};
  getloadavg(load, 3);
  std::printf("# flatnet-bench-mb: %s, pinned to cpu %d, load average %.2f %.2f %.2f\n",
              cpu_model().c_str(), o.cpu, load[0], load[1], load[2]);
  std::printf("# best mb ISA: %s; ipsec-mb %s; %d reps of >= %.0f ms; %zu peers (distinct keys)\n",
              mb::to_string(mb::best_isa()), imb_get_version_str(), o.reps, o.rep_ms, kPeers);
  std::printf("# Gbit/s counts whole VL1 packets (header included); IMIX = 7:4:1 of 64/576/1400 B (avg 346 B)\n");
  std::printf("%-6s %-8s %-30s %5s %5s %8s %8s %15s %15s\n", "suite", "op", "engine", "size",
              "burst", "Mpps", "Gbit/s", "Gbit/s p25-p75", "Gbit/s min-max");

  std::mt19937_64 rng(1);
  Peers peers(mgr);
  nlohmann::json out = nlohmann::json::array();
  std::vector<fc::Suite> suites;
  if (o.suite1) suites.push_back(fc::Suite::kSalsa2012Poly1305);
  if (o.suite3) suites.push_back(fc::Suite::kAesGmacSiv);
  for (fc::Suite suite : suites) {
    for (int size : o.sizes) {
      Pool pool(size, peers, rng);
      pool.armor_reference(peers, suite);
      for (Op op : {Op::kArmor, Op::kDearmor}) {
        for (const Engine& e : engines(suite, op, peers, mgr)) {
          if (e.isa != mb::Isa::kAuto) mb::force_isa(e.isa);
          for (int burst : e.bursty ? o.bursts : std::vector<int>{32}) {
            Result r = measure(pool, op, e, burst, o);
            r.suite.assign(1, suite == fc::Suite::kAesGmacSiv ? '3' : '1');
            r.op.assign(op == Op::kArmor ? "armor" : "dearmor");
            r.engine = e.name;
            r.size = size == 0 ? "IMIX" : std::to_string(size);
            print(r);
            out.push_back({{"suite", r.suite}, {"op", r.op}, {"engine", r.engine}, {"size", r.size},
                           {"burst", r.burst}, {"avg_bytes", r.avg_bytes}, {"ns_median", r.ns_med},
                           {"ns_p25", r.ns_p25}, {"ns_p75", r.ns_p75}, {"ns_min", r.ns_min},
                           {"ns_max", r.ns_max}});
          }
          mb::force_isa(mb::Isa::kAuto);
        }
      }
    }
  }
  if (!o.json.empty()) {
    std::ofstream f(o.json);
    f << nlohmann::json{{"cpu", cpu_model()}, {"pinned_cpu", o.cpu},
                        {"load", {load[0], load[1], load[2]}}, {"reps", o.reps},
                        {"rows", out}}.dump(1) << "\n";
  }
  free_mb_mgr(mgr);
  return 0;
}
