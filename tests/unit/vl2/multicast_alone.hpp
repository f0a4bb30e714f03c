// A member alone on a FakeLink with a config restored from bytes (two
// active bridges, public unless asked), for multicast tests that need many
// subscribers or raw replies: gather answers and tap frames go straight in,
// what it sends is recorded.
#pragma once

#include <set>

#include "tests/unit/vl2/fake_link.hpp"
#include "tests/unit/vl2/member_harness.hpp"

namespace flatnet::control::vl2::test {

inline constexpr uint64_t kBroadcast = 0xffffffffffffULL;

struct Alone {
  FakeLink link{control::test::parse_identity(control::test::kIdentityA)};
  uint64_t nwid = controller_identity().address() << 24 | 0x42;
  uint64_t now = 5'000'000;
  Member m{link};
  std::vector<uint64_t> bridges = {0x1100000001ULL, 0x1100000002ULL};

  // `specialists`: more than the two bridges (replicators, ourselves).
  explicit Alone(uint64_t limit = 32, const std::vector<uint64_t>& specialists = {},
                 bool is_public = true) {
    link.known.emplace(controller_identity().address(), controller_identity());
    link.ups = {0x9900000001ULL};
    TestController ctl;
    auto& n = ctl.nets[nwid];
    n.is_public = is_public;
    n.multicast_limit = limit;
    for (uint64_t b : bridges) n.specialists.push_back(wire::kSpecialistActiveBridge | b);
    n.specialists.insert(n.specialists.end(), specialists.begin(), specialists.end());
    std::vector<uint8_t> bytes;
    EXPECT_EQ(wire::encode_network_config(ctl.config_for(nwid, link.me, now), bytes),
              wire::ConfigStatus::kOk);
    EXPECT_TRUE(m.restore(nwid, bytes, now));
  }
  uint64_t mac(uint64_t a) const { return port::member_mac(a, nwid); }
  void tap(const std::vector<uint8_t>& f) {
    Actions out;
    m.from_tap(nwid, f, now, out);
  }
  // Tell the member about subscribers the way a root's gather answer does.
  void gathered(const MulticastGroup& g, const std::vector<uint64_t>& members) {
    std::vector<uint8_t> body;
    wire::Writer w(body);
    w.u64(nwid);
    for (int i = 5; i >= 0; --i) w.u8(uint8_t(g.mac >> (8 * i)));
    w.u32(g.adi);
    w.u32(uint32_t(members.size()));
    w.u16(uint16_t(members.size()));
    for (uint64_t a : members) w.u40(a);
    Actions out;
    m.packet(ok_reply(link.ups[0], nullptr, wire::Verb::kMulticastGather, body), now, out);
  }
  std::vector<uint64_t> multicast_recipients() const {
    std::vector<uint64_t> v;
    for (const auto& s : link.sent)
      if (s.verb == wire::Verb::kMulticastFrame) v.push_back(s.to);
    return v;
  }
  uint64_t me() const { return link.me.address(); }
};

}  // namespace flatnet::control::vl2::test
