// libFuzzer target: the verb handlers of a root core behind authentication.
// Input: byte 0 picks the verb and the cipher suite, the rest is the
// payload; the harness armors it as a known leaf would, so the fuzzer's
// bytes reach every handler (the plain receive-path target cannot get past
// the MAC). A second byte of 0x80 in the verb sets the LZ4 flag.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "control/core/core.hpp"

using namespace flatnet;
using namespace flatnet::control;

namespace {

// Spec Appendix B.1 identities A (root) and B (leaf).
constexpr const char* kRoot =
    "36885e5e08:0:9832f96f77a2cb3d30ae891617cb090fdc90842e2ec9914442d30b46b591ad673a4ac1d165f80a8"
    "9f766a738f97ae523e835388859ba6945c245b68d9333c786:fa0be535a0a439df32ea9e0b5e8bfcf4307f2578f3"
    "d4320e5500050b5f3155b832795308a658958a397ea12fae16059b81d59ec20c96c015a682d932cce335c6";
constexpr const char* kLeaf =
    "f07ab477c4:0:4d1fc2783c19695dda2dee4b2f449b46cf9a28db40fcdff195cf449126df76066cf78f0ac8beb24"
    "3c0d31e2de607cf210fe5a6f2b5801f798245c81639a85cd2:10eb3159b0cee643d481a4fae8713ca7e393fb4a2e"
    "c78168bae7e463e9b4a40fb1dc4f2f74e1749cd6aced86437e6d6a308eb8e560daf0ede80b18ee2f2760f2";

struct State {
  crypto::Identity root = *crypto::Identity::from_string(kRoot);
  crypto::Identity leaf = *crypto::Identity::from_string(kLeaf);
  std::unique_ptr<crypto::PeerKeys> keys;
  std::unique_ptr<Core> core;
  uint64_t now = 1;
  State() {
    crypto::SharedKey k;
    leaf.agree(root, k);
    keys = std::make_unique<crypto::PeerKeys>(k);
    Config cfg;
    cfg.identity = root;
    // A planet naming the root, so the core acts as a root (directory, gathers).
    cfg.planet.type = wire::WorldType::kPlanet;
    cfg.planet.id = 1;
    cfg.planet.timestamp = 2;
    cfg.planet.roots.push_back(wire::WorldRoot{root, {}});
    cfg.limits.peer_capacity = 64;
    core = std::make_unique<Core>(cfg, now);
    // Learn the leaf with a genuine HELLO.
    Hello h;
    h.identity = leaf;
    h.timestamp = 1;
    PacketBuilder b(root.address(), leaf.address(), wire::Verb::kHello, random_packet_id());
    size_t tail = 0;
    encode_hello(h, b.payload(), &tail);
    Actions out;
    for (auto& d : b.seal(*keys, crypto::Suite::kPoly1305)) core->receive(path(), d, now, out);
  }
  PhysicalPath path() const {
    const uint8_t ip[4] = {10, 0, 0, 2};
    return PhysicalPath{0, wire::InetAddress::v4(ip, 9993)};
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static State s;
  if (size < 1) return 0;
  const uint8_t sel = data[0];
  const wire::Verb verb = wire::Verb(sel & wire::kVerbMask);
  const crypto::Suite suite = (sel & 0x20) ? crypto::Suite::kAesGmacSiv
                                           : crypto::Suite::kSalsa2012Poly1305;
  PacketBuilder b(s.root.address(), s.leaf.address(), verb, random_packet_id());
  if (sel & 0x40) b.bytes()[wire::kIdxVerb] |= wire::kVerbFlagCompressed;
  b.payload().bytes(data + 1, size - 1);
  Actions out;
  s.now += 97;
  for (auto& d : b.seal(*s.keys, suite)) s.core->receive(s.path(), d, s.now, out);
  if (sel & 0x80) s.core->run_background(s.now, out);
  return 0;
}
