// libFuzzer target: VL2 packets from an authenticated peer into a member
// that holds a config (public network, multicast on) and frames from its
// tap. Byte 0 picks what the input is (a request of one of the member's
// verbs, an OK or ERROR reply, or a tap frame); the rest is the payload,
// with the network ID patched in when byte 1 is odd so the deep paths are
// reached. Checks no crash and bounded state.
#include <cstdlib>
#include <memory>

#include "tests/unit/vl2/fake_link.hpp"

using namespace flatnet;
using namespace flatnet::control;
using namespace flatnet::control::vl2;

namespace {

namespace t = flatnet::control::vl2::test;

// Spec Appendix B.1 identities (as tests/unit/control/harness.hpp has them).
crypto::Identity identity(const char* text) {
  auto id = crypto::Identity::from_string(text);
  if (!id) std::abort();
  return *id;
}
constexpr const char* kA =
    "36885e5e08:0:9832f96f77a2cb3d30ae891617cb090fdc90842e2ec9914442d30b46b591ad673a4ac1d165f80a8"
    "9f766a738f97ae523e835388859ba6945c245b68d9333c786:fa0be535a0a439df32ea9e0b5e8bfcf4307f2578f3"
    "d4320e5500050b5f3155b832795308a658958a397ea12fae16059b81d59ec20c96c015a682d932cce335c6";
constexpr const char* kB =
    "f07ab477c4:0:4d1fc2783c19695dda2dee4b2f449b46cf9a28db40fcdff195cf449126df76066cf78f0ac8beb24"
    "3c0d31e2de607cf210fe5a6f2b5801f798245c81639a85cd2:10eb3159b0cee643d481a4fae8713ca7e393fb4a2e"
    "c78168bae7e463e9b4a40fb1dc4f2f74e1749cd6aced86437e6d6a308eb8e560daf0ede80b18ee2f2760f2";

struct World {
  t::FakeLink link{identity(kA)};
  crypto::Identity peer = identity(kB);
  uint64_t nwid = 0;
  std::unique_ptr<Member> m;
  World() {
    link.known.emplace(peer.address(), peer);
    nwid = peer.address() << 24 | 1;  // B is the controller
    wire::NetworkConfig c;
    c.network_id = nwid;
    c.timestamp = 1;
    c.revision = 1;
    c.issued_to = link.me.address();
    c.type = wire::NetworkType::kPublic;
    c.multicast_limit = 8;
    c.flags = wire::kConfigFlagEnableBroadcast;
    c.rules = {wire::Rule::action(wire::RuleType::kActionAccept)};
    std::vector<uint8_t> bytes;
    wire::encode_network_config(c, bytes);
    m = std::make_unique<Member>(link);
    if (!m->restore(nwid, bytes, 1)) std::abort();
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static World w;
  if (size < 2) return 0;
  std::vector<uint8_t> p(data + 2, data + size);
  if ((data[1] & 1) && p.size() >= 8) wire::write_be64(p.data(), w.nwid);
  static uint64_t now = 1000;
  now += 250;
  Actions out;
  const wire::Verb verbs[] = {wire::Verb::kFrame, wire::Verb::kExtFrame,
                              wire::Verb::kMulticastFrame, wire::Verb::kNetworkCredentials,
                              wire::Verb::kNetworkConfig, wire::Verb::kMulticastLike};
  const uint8_t k = data[0] % 10;
  if (k < 6) {
    w.m->packet(t::request(w.peer.address(), &w.peer, verbs[k], p), now, out);
  } else if (k < 8) {
    const wire::Verb in_re = k == 6 ? wire::Verb::kMulticastGather : wire::Verb::kNetworkConfigRequest;
    w.m->packet(t::ok_reply(w.peer.address(), &w.peer, in_re, p), now, out);
  } else if (k == 8) {
    Vl2Packet e = t::request(w.peer.address(), &w.peer, wire::Verb::kError, p);
    e.kind = Vl2Packet::Kind::kError;
    e.error_code = data[1] >> 1;
    e.in_re_verb = wire::Verb(data[1] & 0x0f);
    w.m->packet(e, now, out);
  } else {
    w.m->from_tap(w.nwid, p, now, out);
  }
  w.m->run(now, out);
  MemberOutput o;
  w.m->drain(o);
  w.link.sent.clear();
  w.link.wanted.clear();
  return 0;
}
