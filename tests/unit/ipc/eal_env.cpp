// Brings up a small EAL once for the table tests: no hugepages, 256 MiB, a
// unique file prefix, no PCI and no telemetry socket, so the test touches
// nothing outside its own process. (--in-memory is left out: with --no-huge
// this DPDK uses legacy memory, which --in-memory refuses.)
#include <rte_eal.h>
#include <rte_errno.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace {

class EalEnv : public testing::Environment {
 public:
  void SetUp() override {
    std::string prefix = "flatnet-ipc-test-" + std::to_string(getpid());
    std::vector<std::string> args = {"ipc-test", "--no-huge", "-m", "256",
                                     "--no-pci", "--no-telemetry", "-l", "0",
                                     "--file-prefix", prefix, "--log-level", "lib.eal:error"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    // A failed environment would only skip every test: fail loudly instead.
    if (rte_eal_init(int(argv.size()), argv.data()) < 0) {
      fprintf(stderr, "test_ipc: rte_eal_init failed (%s)\n", rte_strerror(rte_errno));
      exit(1);
    }
  }
  void TearDown() override { rte_eal_cleanup(); }
};

const testing::Environment* const kEal = testing::AddGlobalTestEnvironment(new EalEnv);

}  // namespace
