// Fixtures for the gateway's reassembler (dataplane/fastpath/vl2_reasm.cpp)
// as vl2_decap uses it: a head followed by its one fragment joined in the
// head's own mbuf, everything else copied into one of the large pool, and
// either way the same frame on the LAN, the same bytes punted to control as
// were received, every mbuf given back.
#include <rte_mempool.h>

#include "tests/packet/vl2_fixture.hpp"

namespace flatnet::test {
namespace {

class Vl2Reasm : public Vl2Fixture {
 protected:
  // A member's 1,500-byte LAN frame (1,486 bytes of IP): a head of 1,432
  // bytes and a fragment of 16 + 92.
  Bytes ip = [] {
    Bytes b(1486);
    for (size_t i = 0; i < b.size(); ++i) b[i] = uint8_t(i * 13 + 1);
    return b;
  }();
  std::vector<Bytes> pieces(uint64_t src, crypto::Suite suite, uint64_t id, uint8_t verb = 0x06) {
    auto p = wire::split_packet(vl1(src, verb, verb == 0x06 ? frame_payload(ip) : Bytes(1500, 0x5a), suite, id));
    EXPECT_EQ(p.size(), 2u);
    return p;
  }
  Bytes lan_frame(uint64_t src) const {
    return eth_frame(v2::mac_from_address(kSelf, kNw), v2::mac_from_address(src, kNw), 0x0800, ip);
  }
  unsigned in_use() const { return rte_mempool_in_use_count(EalEnv::pool()); }
  unsigned big_in_use() const { return rte_mempool_in_use_count(port.reasm.big); }
};

// The common order, both suites, with and without outer headers before the
// VL1 bytes: joined in the head's mbuf (no large mbuf taken), the frame whole.
TEST_F(Vl2Reasm, HeadThenFragmentJoinedInPlace) {
  const unsigned before = in_use(), big_before = big_in_use();
  for (uint16_t lead : {uint16_t(0), uint16_t(42), uint16_t(62)}) {
    h.counters = CoreCounters{};
    auto a = pieces(kA, crypto::Suite::kSalsa2012Poly1305, 0x100 + lead);
    auto b = pieces(kB, crypto::Suite::kAesGmacSiv, 0x200 + lead);
    auto o = decap({a[0], b[0], a[1], b[1]}, lead);
    ASSERT_EQ(o.lan.size(), 2u) << h.drop_reason();
    EXPECT_EQ(o.lan[0], lan_frame(kA)) << "lead " << lead;
    EXPECT_EQ(o.lan[1], lan_frame(kB)) << "lead " << lead;
    EXPECT_EQ(h.counters.vl2_reasm_done, 2u);
    EXPECT_EQ(h.counters.vl2_reasm_in_place, 2u);
    EXPECT_EQ(h.drops_total(), 0u);
    EXPECT_EQ(port.reasm.busy, 0u);
  }
  EXPECT_EQ(in_use(), before);
  EXPECT_EQ(big_in_use(), big_before);
}

// The fragment first: copied into a large mbuf (the fallback), same frame.
TEST_F(Vl2Reasm, FragmentThenHeadCopied) {
  const unsigned before = in_use(), big_before = big_in_use();
  auto a = pieces(kA, crypto::Suite::kSalsa2012Poly1305, 0x300);
  auto o = decap({a[1], a[0]}, 42);
  ASSERT_EQ(o.lan.size(), 1u) << h.drop_reason();
  EXPECT_EQ(o.lan[0], lan_frame(kA));
  EXPECT_EQ(h.counters.vl2_reasm_done, 1u);
  EXPECT_EQ(h.counters.vl2_reasm_in_place, 0u);
  EXPECT_EQ(in_use(), before);
  EXPECT_EQ(big_in_use(), big_before);
}

// A head whose mbuf has no room for the fragment's 92 bytes (600 bytes
// before it in a 2,048-byte data room: 16 left): copied, same frame.
TEST_F(Vl2Reasm, HeadWithoutTailroomCopied) {
  const unsigned before = in_use();
  auto b = pieces(kB, crypto::Suite::kAesGmacSiv, 0x400);
  auto o = decap({b[0], b[1]}, 600);
  ASSERT_EQ(o.lan.size(), 1u) << h.drop_reason();
  EXPECT_EQ(o.lan[0], lan_frame(kB));
  EXPECT_EQ(h.counters.vl2_reasm_done, 1u);
  EXPECT_EQ(h.counters.vl2_reasm_in_place, 0u);
  EXPECT_EQ(in_use(), before);
}

// Repeated pieces (no replay protection in 1.x): a second head before the
// fragment is counted, not kept, and the packet still joins in place once;
// a fragment repeated after the packet was delivered starts a partial one
// that times out; a repeat of that is counted again. No mbuf is lost.
TEST_F(Vl2Reasm, DuplicatePiecesCounted) {
  const unsigned before = in_use();
  auto a = pieces(kA, crypto::Suite::kSalsa2012Poly1305, 0x500);
  auto o = decap({a[0], a[0], a[1]});
  ASSERT_EQ(o.lan.size(), 1u) << h.drop_reason();
  EXPECT_EQ(o.lan[0], lan_frame(kA));
  EXPECT_EQ(h.counters.vl2_reasm_in_place, 1u);
  EXPECT_EQ(h.drop_reason(), "vl2_reasm_dup");

  h.counters = CoreCounters{};
  o = decap({a[1]});
  EXPECT_TRUE(o.lan.empty());
  EXPECT_EQ(h.drops_total(), 0u);  // held: the head may come (it would be a replay)
  o = decap({a[1]});
  EXPECT_EQ(h.drop_reason(), "vl2_reasm_dup");
  now += 5000;  // past the reassembler's timeout (1000 cycles here)
  h.counters = CoreCounters{};
  o = decap({});
  EXPECT_EQ(h.drop_reason(), "vl2_reasm_timeout");
  EXPECT_EQ(port.reasm.busy, 0u);
  EXPECT_EQ(in_use(), before);
}

// Joined in place and punted: before dearmor (no key) and after it (a verb
// for control, both suites: the head re-armored whole, then trimmed back),
// the head and the fragment go to control byte for byte as received, the
// head first; a forged fragment is one bad-MAC drop with nothing left over.
TEST_F(Vl2Reasm, PuntOfJoinedPacketIsWhatWasReceived) {
  const unsigned before = in_use();
  auto nokey = pieces(0x0f0f0f0f0f, crypto::Suite::kSalsa2012Poly1305, 0x600);
  auto e1 = pieces(kA, crypto::Suite::kSalsa2012Poly1305, 0x601, 0x08);
  auto e3 = pieces(kB, crypto::Suite::kAesGmacSiv, 0x602, 0x08);
  auto o = decap({e1[0], e3[0], nokey[0], e1[1], e3[1], nokey[1]}, 42);
  EXPECT_TRUE(o.lan.empty());
  EXPECT_EQ(h.counters.vl2_reasm_in_place, 3u);
  EXPECT_EQ(h.drops_total(), 0u);
  ASSERT_EQ(o.punted.size(), 6u);
  // Order: packets left before dearmor (no key) first, then the re-armored.
  EXPECT_EQ(o.punted[0], nokey[0]);
  EXPECT_EQ(o.punted[1], nokey[1]);
  EXPECT_EQ(o.punted[2], e1[0]);
  EXPECT_EQ(o.punted[3], e1[1]);
  EXPECT_EQ(o.punted[4], e3[0]);
  EXPECT_EQ(o.punted[5], e3[1]);

  h.counters = CoreCounters{};
  auto forged = pieces(kA, crypto::Suite::kSalsa2012Poly1305, 0x603);
  forged[1].back() ^= 1;
  o = decap({forged[0], forged[1]});
  EXPECT_TRUE(o.lan.empty());
  EXPECT_TRUE(o.punted.empty());
  EXPECT_EQ(h.drop_reason(), "vl2_bad_mac");
  EXPECT_EQ(port.reasm.busy, 0u);
  EXPECT_EQ(in_use(), before);
}

}  // namespace
}  // namespace flatnet::test
