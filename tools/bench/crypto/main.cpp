// flatnet-bench-crypto: single-threaded timing of the per-packet crypto in
// crypto/ (identity generation and validation, armor and dearmor for suites
// 0, 1 and 3) beside the library primitives they are built from, measured
// in the same run so the numbers can be compared directly.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <sodium.h>
#include <intel-ipsec-mb.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <unistd.h>

#include "crypto/armor.hpp"
#include "crypto/identity.hpp"
#include "tools/bench/crypto/stats.hpp"

using flatnet::bench::Spread;
namespace fc = flatnet::crypto;

namespace {

struct Row {
  std::string what;  // operation
  size_t bytes = 0;  // packet size, 0 for non-packet operations
  Spread ns;
};

std::string cpu_model() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown";
}

// The machine may be shared: record how busy it was around the run.
std::string load_average() {
  double l[3] = {0, 0, 0};
  if (getloadavg(l, 3) != 3) return "unknown";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f %.2f %.2f", l[0], l[1], l[2]);
  return buf;
}

double gbps(size_t bytes, double ns) { return ns > 0 ? double(bytes) * 8.0 / ns : 0; }

void print_row(const Row& r) {
  const Spread& s = r.ns;
  if (r.bytes == 0) {
    std::printf("%-44s %6s %12.0f %12.0f %12.0f %12.0f %12.0f %8s %17s %6zux%-llu\n",
                r.what.c_str(), "-", s.median, s.min, s.p25, s.p75, s.max, "-", "-", s.batches,
                static_cast<unsigned long long>(s.ops_per_batch));
    return;
  }
  char iqr[32];
  std::snprintf(iqr, sizeof iqr, "%.2f-%.2f", gbps(r.bytes, s.p75), gbps(r.bytes, s.p25));
  std::printf("%-44s %6zu %12.1f %12.1f %12.1f %12.1f %12.1f %8.2f %17s %6zux%-llu\n",
              r.what.c_str(), r.bytes, s.median, s.min, s.p25, s.p75, s.max,
              gbps(r.bytes, s.median), iqr, s.batches,
              static_cast<unsigned long long>(s.ops_per_batch));
}

// A plain packet of `len` bytes toward a peer (hops 0, not fragmented).
std::vector<uint8_t> make_packet(size_t len) {
  std::vector<uint8_t> p(len);
  randombytes_buf(p.data(), p.size());
  p[18] = 0;
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"flatnet-bench-crypto: time identity and packet crypto (single thread)"};
  int reps = 15;
  int idgen = 10;
  double batch_ms = 4.0;
  std::vector<size_t> sizes = {64, 256, 1400, 2800};
  std::string json_path;
  app.add_option("--reps", reps, "timed batches per measurement")->check(CLI::Range(1, 1000));
  app.add_option("--idgen", idgen, "identities to generate (each timed)")->check(CLI::Range(0, 1000));
  app.add_option("--batch-ms", batch_ms, "target duration of one batch, ms")
      ->check(CLI::Range(0.1, 1000.0));
  app.add_option("--sizes", sizes, "packet sizes in bytes (28..10024)")
      ->delimiter(',')
      ->check(CLI::Range(28, 10024));
  app.add_option("--json", json_path, "also write the results to this JSON file");
  CLI11_PARSE(app, argc, argv);

  if (sodium_init() < 0) {
    std::fprintf(stderr, "libsodium failed to initialise\n");
    return 1;
  }
  const std::string backend = fc::backend_description();
  const std::string load_start = load_average();
  std::printf("cpu: %s (%ld online)\nload average at start: %s\nbackend: %s\nsingle thread; %d batches per row (identity generation: %d "
              "single runs)\n\n",
              cpu_model().c_str(), sysconf(_SC_NPROCESSORS_ONLN), load_start.c_str(),
              backend.c_str(), reps, idgen);
  std::printf("%-44s %6s %12s %12s %12s %12s %12s %8s %17s %s\n", "operation", "bytes",
              "median ns", "min", "p25", "p75", "max", "Gbit/s", "Gbit/s IQR", "batches x ops");

  std::vector<Row> rows;
  auto emit = [&](Row r) {
    print_row(r);
    std::fflush(stdout);
    rows.push_back(std::move(r));
  };

  // ---- identities ---------------------------------------------------------
  fc::Identity last;
  if (idgen > 0) emit({"identity generate", 0, flatnet::bench::measure_each([&] {
                         last = fc::Identity::generate();
                       }, idgen)});
  else last = fc::Identity::generate();
  bool ok = true;
  emit({"identity locally_validate", 0,
        flatnet::bench::measure_each([&] { ok &= last.locally_validate(); }, reps)});
  if (!ok) {
    std::fprintf(stderr, "a generated identity failed validation\n");
    return 1;
  }

  // ---- packet armor -----------------------------------------------------------
  fc::Identity peer = fc::Identity::generate();
  fc::SharedKey key;
  if (!last.agree(peer, key)) return 1;
  fc::PeerKeys keys(key);
  const struct { fc::Suite suite; const char* name; } suites[] = {
      {fc::Suite::kPoly1305, "suite 0 poly1305"},
      {fc::Suite::kSalsa2012Poly1305, "suite 1 salsa2012+poly1305"},
      {fc::Suite::kAesGmacSiv, "suite 3 aes-gmac-siv"},
  };
  IMB_MGR* mgr = alloc_mb_mgr(0);
  init_mb_mgr_auto(mgr, nullptr);
  struct gcm_key_data gcm_key;
  IMB_AES256_GCM_PRE(mgr, key.data(), &gcm_key);

  for (size_t len : sizes) {
    for (const auto& s : suites) {
      auto pkt = make_packet(len);
      emit({std::string(s.name) + " armor", len,
            flatnet::bench::measure([&] { fc::armor(pkt, keys, s.suite); }, reps, batch_ms)});
      bool good = true;
      emit({std::string(s.name) + " armor+dearmor", len, flatnet::bench::measure([&] {
              fc::armor(pkt, keys, s.suite);
              good &= fc::dearmor(pkt, keys) == fc::DearmorResult::kOk;
            }, reps, batch_ms)});
      if (!good) {
        std::fprintf(stderr, "dearmor failed during the benchmark (%s, %zu)\n", s.name, len);
        return 1;
      }
    }
    // Reference primitives on the same payload length (packet minus the 27
    // header bytes that are neither encrypted nor authenticated).
    const size_t plen = len - 27;
    std::vector<uint8_t> buf = make_packet(len);
    uint8_t nonce[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    uint8_t tag[16];
    emit({"ref sodium salsa2012_xor+poly1305", len, flatnet::bench::measure([&] {
            crypto_stream_salsa2012_xor(buf.data(), buf.data(), plen, nonce, key.data());
            crypto_onetimeauth_poly1305(tag, buf.data(), plen, key.data());
          }, reps, batch_ms)});
    uint8_t iv12[12] = {};
    struct gcm_context_data ctx;
    emit({"ref ipsec-mb aes256-gcm encrypt", len, flatnet::bench::measure([&] {
            IMB_AES256_GCM_ENC(mgr, &gcm_key, &ctx, buf.data(), buf.data(), plen, iv12,
                               buf.data() + 8, 11, tag, 16);
          }, reps, batch_ms)});
  }
  free_mb_mgr(mgr);
  const std::string load_end = load_average();
  std::printf("\nload average at end: %s\n", load_end.c_str());

  if (!json_path.empty()) {
    nlohmann::json j;
    j["cpu"] = cpu_model();
    j["backend"] = backend;
    j["reps"] = reps;
    j["threads"] = 1;
    j["online_cpus"] = sysconf(_SC_NPROCESSORS_ONLN);
    j["load_average_start"] = load_start;
    j["load_average_end"] = load_end;
    for (const Row& r : rows) {
      j["results"].push_back({{"operation", r.what},
                              {"bytes", r.bytes},
                              {"ns_median", r.ns.median},
                              {"ns_min", r.ns.min},
                              {"ns_p25", r.ns.p25},
                              {"ns_p75", r.ns.p75},
                              {"ns_max", r.ns.max},
                              {"gbps_median", gbps(r.bytes, r.ns.median)},
                              {"batches", r.ns.batches},
                              {"ops_per_batch", r.ns.ops_per_batch}});
    }
    std::ofstream out(json_path);
    out << j.dump(2) << '\n';
    if (!out) {
      std::fprintf(stderr, "cannot write %s\n", json_path.c_str());
      return 1;
    }
  }
  return 0;
}
