// The gateway benchmarks' comma-separated arguments (bench_vl2,
// bench_vl2_port, bench_vl2_workers): numbers, with the names "imix" (0),
// "decap" (1) and "encap" (2). A word that is none of them throws
// (std::stoul), which ends the benchmark with its message.
#pragma once

#include <string>
#include <vector>

namespace flatnet::test {

inline std::vector<unsigned> parse_list(const std::string& s) {
  std::vector<unsigned> v;
  for (size_t at = 0; at < s.size();) {
    size_t e = s.find(',', at);
    if (e == std::string::npos) e = s.size();
    const std::string t = s.substr(at, e - at);
    v.push_back(t == "imix" ? 0u : t == "decap" ? 1u : t == "encap" ? 2u : unsigned(std::stoul(t)));
    at = e + 1;
  }
  return v;
}

}  // namespace flatnet::test
