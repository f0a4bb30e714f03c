#include "tools/pktgen/plan.hpp"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <vector>

namespace flatnet::pktgen {

volatile std::sig_atomic_t g_stop = 0;

namespace {

double load1() {
  std::ifstream f("/proc/loadavg");
  double l = -1;
  f >> l;
  return l;
}

double unix_now() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct Runner {
  const Options& base;
  const std::string& mode;
  const RunFn& run;
  bool first = true;

  RunStats once(const char* kind, unsigned n, double rate) {
    Options o = base;
    o.rate_mpps = rate;
    o.probe = base.probe && first;  // wait for the other end only once
    first = false;
    const double t0 = unix_now();
    const double l = load1();
    RunStats st = run(o);
    nlohmann::ordered_json j = to_json(st, mode);
    j["kind"] = kind;
    j["run"] = n;
    j["rate_set"] = rate;
    j["load1"] = l;
    j["t_start"] = t0;
    j["t_end"] = unix_now();
    std::printf("%s\n", j.dump().c_str());
    std::fflush(stdout);
    std::fprintf(stderr, "flatnet-pktgen: %s %u%s: %s\n", kind, n,
                 rate > 0 ? (" @" + std::to_string(rate) + " Mpps").c_str() : "",
                 summary_line(st).c_str());
    return st;
  }
};

}  // namespace

bool ndr_pass(const RunStats& s, double rate_mpps, double loss_pct) {
  // The generator itself must have reached the rate (within 2%), or the
  // run proves nothing about the forwarder.
  return offered_loss_pct(s) < loss_pct && mpps(s.offered, s.window_s) >= 0.98 * rate_mpps;
}

void run_plan(const Options& base, const Plan& plan, const std::string& mode, const RunFn& run) {
  Runner r{base, mode, run};
  std::vector<double> max_tx;
  for (unsigned i = 1; i <= plan.repeat && !g_stop; ++i) {
    RunStats st = r.once(base.rate_mpps > 0 ? "rate" : "max", i, base.rate_mpps);
    max_tx.push_back(mpps(st.tx, st.window_s));
  }

  std::vector<double> ndrs;
  if (plan.ndr && !g_stop) {
    double hi = plan.ndr_max;
    if (hi <= 0) {
      if (max_tx.empty() || base.rate_mpps > 0) {
        RunStats st = r.once("max", 0, 0);
        max_tx.push_back(mpps(st.tx, st.window_s));
      }
      hi = *std::max_element(max_tx.begin(), max_tx.end()) * 1.05;
    }
    for (unsigned i = 1; i <= plan.ndr_runs && !g_stop; ++i) {
      double lo = 0, h = hi;
      for (unsigned k = 0; k < plan.ndr_steps && !g_stop; ++k) {
        const double mid = (lo + h) / 2;
        RunStats st = r.once("ndr-step", i, mid);
        (ndr_pass(st, mid, plan.ndr_loss_pct) ? lo : h) = mid;
      }
      ndrs.push_back(lo);
      nlohmann::ordered_json j;
      j["kind"] = "ndr";
      j["run"] = i;
      j["ndr_mpps"] = lo;
      j["ndr_loss_pct"] = plan.ndr_loss_pct;
      j["upper_mpps"] = hi;
      j["load1"] = load1();
      std::printf("%s\n", j.dump().c_str());
      std::fflush(stdout);
      std::fprintf(stderr, "flatnet-pktgen: no-drop rate (search %u): %.3f Mpps\n", i, lo);
    }
  }

  if (!plan.lat_fracs.empty() && !g_stop) {
    const double ref = !ndrs.empty() ? median(ndrs) : median(max_tx);
    for (double f : plan.lat_fracs) {
      char kind[32];
      std::snprintf(kind, sizeof kind, "lat-%g", f);
      for (unsigned i = 1; i <= plan.lat_runs && !g_stop; ++i) r.once(kind, i, ref * f);
    }
  }
}

}  // namespace flatnet::pktgen
