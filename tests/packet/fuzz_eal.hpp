// The EAL for a fast-path fuzz target: one lcore, no hugepages, no PCI, a
// file prefix of its own, and its runtime directory (which outlives the
// process with --no-huge) removed at exit. Aborts if the EAL cannot start.
#pragma once

#include <rte_eal.h>
#include <rte_errno.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace flatnet::test {

inline void fuzz_eal_init(const std::string& name, const char* memory_mb) {
  std::string prefix = "--file-prefix=" + name + "-" + std::to_string(getpid());
  std::vector<std::string> args = {"fuzz", "--no-huge", "--no-pci", "-m", memory_mb, "-l", "0",
                                   "--log-level=*:error", "--no-telemetry", prefix};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  if (rte_eal_init(int(argv.size()), argv.data()) < 0) {
    std::fprintf(stderr, "rte_eal_init: %s\n", rte_strerror(rte_errno));
    std::abort();
  }
  static std::string runtime_dir = rte_eal_get_runtime_dir();
  std::atexit([] {
    std::error_code ec;
    std::filesystem::remove_all(runtime_dir, ec);
  });
}

}  // namespace flatnet::test
