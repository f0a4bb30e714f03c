#include "dataplane/runtime/telemetry.hpp"

#include <rte_telemetry.h>

#include <cstdlib>
#include <string>

namespace flatnet::runtime {

using fastpath::CoreCounters;

std::vector<std::string> counter_names() {
  std::vector<std::string> out;
  for_each_counter(CoreCounters{}, [&](const char* name, uint64_t) { out.emplace_back(name); });
  for (size_t i = 0; i < fastpath::kDropCount; ++i)
    out.push_back(std::string("drop_") + fastpath::kDropNames[i]);
  out.emplace_back("drops");
  return out;
}

void counter_values(const CoreCounters& c, uint64_t* out) {
  for_each_counter(c, [&](const char*, uint64_t v) { *out++ = v; });
  uint64_t total = 0;
  for (size_t i = 0; i < fastpath::kDropCount; ++i) {
    *out++ = c.drop[i];
    total += c.drop[i];
  }
  *out = total;
}

namespace {

std::vector<const CoreCounters*> g_cores;
std::vector<std::string> g_names;

void add_counters(rte_tel_data* d, const CoreCounters& c) {
  std::vector<uint64_t> v(g_names.size());
  counter_values(c, v.data());
  for (size_t i = 0; i < g_names.size(); ++i) rte_tel_data_add_dict_u64(d, g_names[i].c_str(), v[i]);
}

int stats_cb(const char*, const char* params, rte_tel_data* d) {
  rte_tel_data_start_dict(d);
  if (params && *params) {
    char* end = nullptr;
    unsigned long i = std::strtoul(params, &end, 10);
    if (*end != '\0' || i >= g_cores.size()) return -1;
    add_counters(d, *g_cores[i]);
    return 0;
  }
  CoreCounters sum;
  for (const CoreCounters* c : g_cores) {
    // Field-by-field sum of a snapshot; each load is a plain aligned read.
    const uint64_t* src = reinterpret_cast<const uint64_t*>(c);
    uint64_t* dst = reinterpret_cast<uint64_t*>(&sum);
    for (size_t k = 0; k < sizeof(CoreCounters) / sizeof(uint64_t); ++k) dst[k] += src[k];
  }
  add_counters(d, sum);
  rte_tel_data_add_dict_u64(d, "pollers", g_cores.size());
  return 0;
}

int reasons_cb(const char*, const char*, rte_tel_data* d) {
  rte_tel_data_start_dict(d);
  for (size_t i = 0; i < fastpath::kDropCount; ++i)
    rte_tel_data_add_dict_string(d, fastpath::kDropNames[i], fastpath::kDropDescriptions[i]);
  return 0;
}

}  // namespace

void register_telemetry(std::vector<const CoreCounters*> cores) {
  static_assert(sizeof(CoreCounters) % sizeof(uint64_t) == 0);
  g_cores = std::move(cores);
  g_names = counter_names();
  rte_telemetry_register_cmd("/flatnet/stats", stats_cb,
                             "flatnet data plane counters; parameter: poller index (optional)");
  rte_telemetry_register_cmd("/flatnet/drop_reasons", reasons_cb, "flatnet drop reason descriptions");
}

}  // namespace flatnet::runtime
