#include "tools/pktgen/stats.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>

namespace flatnet::pktgen {

namespace {

double pct(uint64_t lost, uint64_t of) { return of ? 100.0 * double(lost) / double(of) : 0; }
uint64_t minus(uint64_t a, uint64_t b) { return a > b ? a - b : 0; }

}  // namespace

double mpps(uint64_t n, double s) { return s > 0 ? double(n) / s / 1e6 : 0; }
double offered_loss_pct(const RunStats& s) { return pct(minus(s.offered, s.rx_ours), s.offered); }

nlohmann::ordered_json to_json(const RunStats& s, const std::string& mode) {
  nlohmann::ordered_json j;
  j["mode"] = mode;
  j["window_s"] = s.window_s;
  j["offered"] = s.offered;
  j["tx"] = s.tx;
  j["rx"] = s.rx_ours;
  j["tx_mpps"] = mpps(s.tx, s.window_s);
  j["rx_mpps"] = mpps(s.rx_ours, s.window_s);
  j["offered_mpps"] = mpps(s.offered, s.window_s);
  j["loss_pct"] = pct(minus(s.tx, s.rx_ours), s.tx);
  j["offered_loss_pct"] = pct(minus(s.offered, s.rx_ours), s.offered);
  j["rx_relayed"] = s.rx_relayed;
  j["rx_unrelayed"] = s.rx_unrelayed;
  j["rx_misrouted"] = s.rx_misrouted;
  j["rx_total"] = s.rx_total;
  j["rx_arp"] = s.rx_arp;
  j["rx_other"] = s.rx_other;
  j["port_imissed"] = s.port_imissed;
  j["port_oerrors"] = s.port_oerrors;
  auto& l = j["latency_ns"];
  l["samples"] = s.latency_ns.count();
  l["p50"] = s.latency_ns.quantile(0.50);
  l["p90"] = s.latency_ns.quantile(0.90);
  l["p99"] = s.latency_ns.quantile(0.99);
  l["p99.9"] = s.latency_ns.quantile(0.999);
  l["max"] = s.latency_ns.max();
  return j;
}

std::string summary_line(const RunStats& s) {
  char b[400];
  std::snprintf(b, sizeof b,
                "tx %.3f Mpps rx %.3f Mpps loss %.4f%% (offered %.3f Mpps, loss %.4f%%) relayed %llu "
                "unrelayed %llu misrouted %llu | lat p50 %llu p99 %llu p99.9 %llu ns",
                mpps(s.tx, s.window_s), mpps(s.rx_ours, s.window_s),
                pct(minus(s.tx, s.rx_ours), s.tx), mpps(s.offered, s.window_s),
                pct(minus(s.offered, s.rx_ours), s.offered), (unsigned long long)s.rx_relayed,
                (unsigned long long)s.rx_unrelayed, (unsigned long long)s.rx_misrouted,
                (unsigned long long)s.latency_ns.quantile(0.5),
                (unsigned long long)s.latency_ns.quantile(0.99),
                (unsigned long long)s.latency_ns.quantile(0.999));
  return b;
}

}  // namespace flatnet::pktgen
