// Benchmarks of the control core (never asserted; run with
// `meson test -C <build> --benchmark bench_control_core` or directly).
// Prints median and spread over repetitions, and heap bytes per peer.
#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <vector>

#include "crypto/aes_gmac_siv.hpp"
#include "tests/unit/control/harness.hpp"

using namespace flatnet;
using namespace flatnet::control;

namespace {

using Clock = std::chrono::steady_clock;

// Runs `batch` operations per repetition; reports ns/op median, min, max.
void measure(const char* name, int reps, int batch, const std::function<void(int)>& op) {
  std::vector<double> ns;
  for (int r = 0; r < reps; ++r) {
    auto t0 = Clock::now();
    for (int i = 0; i < batch; ++i) op(r * batch + i);
    ns.push_back(std::chrono::duration<double, std::nano>(Clock::now() - t0).count() / batch);
  }
  std::sort(ns.begin(), ns.end());
  std::printf("%-40s median %10.0f ns/op  min %10.0f  max %10.0f  (%d reps x %d)\n", name,
              ns[ns.size() / 2], ns.front(), ns.back(), reps, batch);
}

}  // namespace

int main() {
  auto root = test::parse_identity(test::kIdentityA);
  auto leaf = test::parse_identity(test::kIdentityB);
  auto root_at = test::v4(10, 0, 0, 1), leaf_at = test::v4(10, 0, 0, 2);
  Config c;
  c.identity = root;
  Core core(c, 0);
  uint64_t now = 1;

  // Pre-built HELLOs with rising timestamps, so none is stale.
  auto keys = test::keys_between(leaf, root);
  const int kHellos = 2000;
  std::vector<std::vector<uint8_t>> hellos;
  for (int i = 0; i < kHellos; ++i) {
    Hello h;
    h.timestamp = uint64_t(i + 1);
    h.identity = leaf;
    h.destination = root_at;
    h.has_planet = true;
    h.planet_id = 1;
    PacketBuilder b(root.address(), leaf.address(), wire::Verb::kHello, random_packet_id());
    size_t tail = 0;
    encode_hello(h, b.payload(), &tail);
    crypto::hello_crypt_field(keys->key48(), b.bytes(), wire::kIdxPayload + tail);
    hellos.push_back(b.seal(*keys, crypto::Suite::kPoly1305).at(0));
  }
  Actions out;
  measure("new identity HELLO (agree+validate+OK)", 5, 1, [&](int) {
    Config cc;
    cc.identity = root;
    Core fresh(cc, 0);
    Actions o;
    fresh.receive(PhysicalPath{0, leaf_at}, hellos[0], 1, o);
  });
  measure("known identity HELLO -> OK(HELLO)", 9, kHellos / 9, [&](int i) {
    out.clear();
    core.receive(PhysicalPath{0, leaf_at}, hellos[size_t(i) % kHellos], ++now, out);
  });
  std::vector<uint8_t> whois_payload = {0, 0, 0, 0, 0};
  wire::write_addr40(whois_payload.data(), root.address());
  auto whois = test::build_packet(leaf, root, wire::Verb::kWhois, whois_payload,
                                  crypto::Suite::kAesGmacSiv);
  // The leaf's path answers the challenge the first WHOIS brings, as a
  // stock client does, so what follows measures answers, not deferrals.
  out.clear();
  core.receive(PhysicalPath{0, leaf_at}, whois, ++now, out);
  for (const SendDatagram& d : out.send) {
    auto plain = test::open_from(leaf, root, d.bytes);
    if (plain.empty() || packet_verb(plain.data()) != wire::Verb::kEcho) continue;
    std::vector<uint8_t> ok;
    wire::Writer w(ok);
    encode_reply_header(ReplyHeader{wire::Verb::kEcho, wire::packet_id(plain.data())}, w);
    Actions o;
    core.receive(PhysicalPath{0, leaf_at},
                 test::build_packet(leaf, root, wire::Verb::kOk, ok, crypto::Suite::kAesGmacSiv),
                 ++now, o);
  }
  measure("WHOIS(root) -> OK(WHOIS), AES", 9, 2000, [&](int) {
    out.clear();
    core.receive(PhysicalPath{0, leaf_at}, whois, ++now, out);
  });
  auto echo = test::build_packet(leaf, root, wire::Verb::kEcho, {}, crypto::Suite::kAesGmacSiv);
  measure("ECHO -> OK(ECHO), AES", 9, 2000, [&](int) {
    out.clear();
    now += 200;
    core.receive(PhysicalPath{0, leaf_at}, echo, now, out);
  });
  auto garbage = test::build_packet(leaf, root, wire::Verb::kNop, {}, crypto::Suite::kAesGmacSiv);
  garbage.back() ^= 1;
  measure("bad MAC drop, AES", 9, 5000, [&](int) {
    out.clear();
    core.receive(PhysicalPath{0, leaf_at}, garbage, now, out);
  });
  std::printf("core: %llu OK(HELLO), %llu WHOIS answers, %llu ECHO answers\n",
              (unsigned long long)core.metrics().hello_answered,
              (unsigned long long)core.metrics().whois_answered,
              (unsigned long long)core.metrics().echo_answered);

  // Memory per peer: heap growth of a table holding N peers with keys and one path.
  const int kPeers = 20000;
  std::vector<crypto::Identity> ids;
  for (int i = 0; i < kPeers; ++i) ids.push_back(test::bogus_identity(0x1000000000ULL + uint64_t(i)));
  crypto::SharedKey k{};
  size_t before = mallinfo2().uordblks;
  {
    PeerTable t(kPeers, 4);
    for (int i = 0; i < kPeers; ++i) {
      Peer* p = t.insert(ids[size_t(i)], std::make_unique<crypto::PeerKeys>(k), PeerRole::kLeaf, 1,
                         nullptr);
      t.path_received(*p, PhysicalPath{0, test::v4(10, 1, uint8_t(i >> 8), uint8_t(i))}, 1);
    }
    size_t after = mallinfo2().uordblks;
    std::printf("peer table: %d peers, %.0f heap bytes/peer (sizeof Peer %zu, PeerKeys %zu, "
                "PeerKeys::Aes %zu, Path %zu)\n",
                kPeers, double(after - before) / kPeers, sizeof(Peer), sizeof(crypto::PeerKeys),
                sizeof(crypto::PeerKeys::Aes), sizeof(Path));
  }
  return 0;
}
