// libFuzzer target: the whole receive path of a root core (classification,
// reassembly, dearmor, HELLO parsing, dispatch). The input is one datagram;
// bytes 8..12 and 13..17 are forced to name the root and a known leaf half
// of the time so the fuzzer reaches past the address checks.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "control/core/core.hpp"

using namespace flatnet;
using namespace flatnet::control;

namespace {

// Spec Appendix B.1 identities: fixed, so runs are reproducible and no
// memory-hard generation happens at start-up.
constexpr const char* kRoot =
    "36885e5e08:0:9832f96f77a2cb3d30ae891617cb090fdc90842e2ec9914442d30b46b591ad673a4ac1d165f80a8"
    "9f766a738f97ae523e835388859ba6945c245b68d9333c786:fa0be535a0a439df32ea9e0b5e8bfcf4307f2578f3"
    "d4320e5500050b5f3155b832795308a658958a397ea12fae16059b81d59ec20c96c015a682d932cce335c6";
constexpr uint64_t kLeaf = 0xf07ab477c4ULL;  // B.1 identity B

Core& core() {
  static std::unique_ptr<Core> c = [] {
    Config cfg;
    cfg.identity = *crypto::Identity::from_string(kRoot);
    cfg.limits.peer_capacity = 64;
    cfg.limits.identity_checks_per_second = 4;
    return std::make_unique<Core>(cfg, 0);
  }();
  return *c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static uint64_t now = 0;
  std::vector<uint8_t> d(data, data + size);
  if (size >= 28 && (data[0] & 1)) {
    wire::write_addr40(d.data() + wire::kIdxDest, core().address());
    wire::write_addr40(d.data() + wire::kIdxSource, kLeaf);
  }
  const uint8_t ip[4] = {198, 51, 100, uint8_t(size)};
  Actions out;
  now += 50;
  core().receive(PhysicalPath{0, wire::InetAddress::v4(ip, 9993)}, d, now, out);
  if (size > 0 && data[size - 1] == 0x5a) core().run_background(now, out);
  return 0;
}
