// Fixtures for the gateway's VL2 stages (dataplane/fastpath/vl2_*.cpp):
// VL1 packets armored with crypto::armor (the one-packet reference, not the
// burst engine under test) go into vl2_decap and come out as Ethernet frames
// for the LAN, unchanged punts, or one counted drop; LAN frames go into
// vl2_encap and come out as datagrams that crypto::dearmor opens.
#include "tests/packet/vl2_fixture.hpp"

namespace flatnet::test {
namespace {

TEST_F(Vl2Fixture, DecapFrameBothSuitesToLan) {
  const uint64_t our_mac = v2::mac_from_address(kSelf, kNw);
  auto o = decap({vl1(kA, 0x06, frame_payload(kIpData), crypto::Suite::kSalsa2012Poly1305),
                  vl1(kB, 0x06, frame_payload(kIpData), crypto::Suite::kAesGmacSiv)});
  ASSERT_EQ(o.lan.size(), 2u) << h.drop_reason();
  EXPECT_EQ(o.lan[0], eth_frame(our_mac, v2::mac_from_address(kA, kNw), 0x0800, kIpData));
  EXPECT_EQ(o.lan[1], eth_frame(our_mac, v2::mac_from_address(kB, kNw), 0x0800, kIpData));
  EXPECT_EQ(h.counters.vl2_decap_frames, 2u);
  EXPECT_EQ(h.drops_total(), 0u);
}

// ZeroTier 1.x has no replay protection: a copy of an authentic packet is
// delivered again, as stock does, and counted (vl2_dup.hpp); a new packet
// with the same frame is not a copy.
TEST_F(Vl2Fixture, DecapDuplicateDeliveredAndCounted) {
  const auto p = vl1(kA, 0x06, frame_payload(kIpData), crypto::Suite::kSalsa2012Poly1305);
  const auto q = vl1(kB, 0x06, frame_payload(kIpData), crypto::Suite::kAesGmacSiv);
  auto o = decap({p, q, p});
  ASSERT_EQ(o.lan.size(), 3u) << h.drop_reason();
  EXPECT_EQ(o.lan[2], o.lan[0]);
  EXPECT_EQ(h.counters.vl2_duplicates, 1u);
  o = decap({q, vl1(kA, 0x06, frame_payload(kIpData), crypto::Suite::kSalsa2012Poly1305, 0x0102030405060709ull)});
  ASSERT_EQ(o.lan.size(), 2u) << h.drop_reason();
  EXPECT_EQ(h.counters.vl2_duplicates, 2u);
  EXPECT_EQ(h.drops_total(), 0u);
}

TEST_F(Vl2Fixture, DecapExtFrameFromBridgeLearnsRoute) {
  const uint64_t lan_host = 0x06aabbccdd01ull, remote_host = 0x06aabbccdd02ull;
  auto o = decap({vl1(kBridge, 0x07, ext_payload(lan_host, remote_host, kIpData), crypto::Suite::kSalsa2012Poly1305)});
  ASSERT_EQ(o.lan.size(), 1u) << h.drop_reason();
  EXPECT_EQ(o.lan[0], eth_frame(lan_host, remote_host, 0x0800, kIpData));
  t->drain_learn(100);
  uint64_t w = t->mac(t->network(kNw)->slot, remote_host);
  EXPECT_EQ(tables::vl2::MacWord::kind(w), tables::vl2::MacWord::kRemote);
  EXPECT_EQ(tables::vl2::MacWord::addr(w), kBridge);
}

TEST_F(Vl2Fixture, DecapOtherVerbsPuntedWithTheirReceivedBytes) {
  Bytes echo1 = vl1(kA, 0x08, Bytes(40, 0x11), crypto::Suite::kSalsa2012Poly1305);
  Bytes echo3 = vl1(kB, 0x08, Bytes(40, 0x22), crypto::Suite::kAesGmacSiv);
  Bytes nokey = vl1(0x0f0f0f0f0f, 0x06, frame_payload(kIpData), crypto::Suite::kSalsa2012Poly1305);
  Bytes com = vl1(kBridge, 0x07, ext_payload(1, 2, kIpData, v2::kExtFlagCom), crypto::Suite::kSalsa2012Poly1305);
  auto o = decap({echo1, echo3, nokey, com});
  EXPECT_TRUE(o.lan.empty());
  ASSERT_EQ(o.punted.size(), 4u);
  // Order: packets left before dearmor (no key) first, then the re-armored.
  EXPECT_EQ(o.punted[0], nokey);
  EXPECT_EQ(o.punted[1], echo1);
  EXPECT_EQ(o.punted[2], echo3);
  EXPECT_EQ(o.punted[3], com);
  EXPECT_EQ(h.drops_total(), 0u);
}

struct DecapDrop {
  const char* name;
  uint64_t src;
  Bytes payload;
  uint8_t verb;
  Drop why;
};

TEST_F(Vl2Fixture, DecapDropsEachWithItsReason) {
  const uint64_t our_mac = v2::mac_from_address(kSelf, kNw);
  Bytes other_net = frame_payload(kIpData);
  wire::write_be64(other_net.data(), kNw + 1);
  const DecapDrop cases[] = {
      {"not a member", kStranger, frame_payload(kIpData), 0x06, Drop::vl2_gate},
      {"other network", kA, other_net, 0x06, Drop::vl2_unknown_network},
      {"truncated", kA, Bytes(5, 0), 0x06, Drop::vl2_malformed},
      {"foreign source from a non-bridge", kA, ext_payload(our_mac, 0x06aabbccdd02ull, kIpData), 0x07,
       Drop::vl2_foreign_source},
      {"our own MAC as source", kBridge, ext_payload(0x06aabbccdd01ull, our_mac, kIpData), 0x07,
       Drop::vl2_malformed},
      {"over the network MTU", kA, frame_payload(Bytes(1001, 0)), 0x06, Drop::vl2_oversize},
  };
  tables::vl2::NetworkSettings s = t->network(kNw)->s;
  s.mtu = 1000;
  ASSERT_EQ(t->network_set(s), FLATNET_IPC_OK);
  for (const auto& c : cases) {
    h.counters = CoreCounters{};
    auto o = decap({vl1(c.src, c.verb, c.payload, crypto::Suite::kSalsa2012Poly1305)});
    EXPECT_TRUE(o.lan.empty()) << c.name;
    EXPECT_TRUE(o.punted.empty()) << c.name;
    EXPECT_EQ(h.drop_reason(), kDropNames[size_t(c.why)]) << c.name;
  }
  // Forged: a flipped ciphertext byte.
  h.counters = CoreCounters{};
  Bytes forged = vl1(kA, 0x06, frame_payload(kIpData), crypto::Suite::kSalsa2012Poly1305);
  forged[40] ^= 1;
  EXPECT_TRUE(decap({forged}).lan.empty());
  EXPECT_EQ(h.drop_reason(), "vl2_bad_mac");
  // A duplicate is delivered again (ZeroTier 1.x has no replay protection)
  // and changes no state.
  h.counters = CoreCounters{};
  Bytes ok = vl1(kA, 0x06, frame_payload(kIpData), crypto::Suite::kSalsa2012Poly1305);
  EXPECT_EQ(decap({ok, ok}).lan.size(), 2u);
}

TEST_F(Vl2Fixture, EncapUnicastToMemberAndBridgedMac) {
  const uint64_t lan_host = 0x06aabbccdd01ull;
  const uint64_t member_mac = v2::mac_from_address(kA, kNw);
  ASSERT_EQ(t->mac_set(kNw, 0x06aabbccdd02ull, kBridge), FLATNET_IPC_OK);
  auto out = encap({eth_frame(member_mac, lan_host, 0x0800, kIpData),
                    eth_frame(0x06aabbccdd02ull, lan_host, 0x0800, kIpData)});
  ASSERT_EQ(out.size(), 2u) << h.drop_reason();
  uint64_t to = 0;
  Bytes p = open(out[0], &to);
  EXPECT_EQ(to, kA);
  EXPECT_EQ(p[wire::kIdxVerb] & 0x1f, 0x07);
  Bytes want = ext_payload(member_mac, lan_host, kIpData);
  EXPECT_EQ(Bytes(p.begin() + 28, p.end()), want);
  EXPECT_EQ(std::memcmp(out[0].data(), kMacA.b, 6), 0);  // next hop's MAC
  p = open(out[1], &to);
  EXPECT_EQ(to, kBridge);
  EXPECT_EQ(h.counters.vl2_encap_unicast, 2u);
  // The LAN host's MAC was posted to the writer and learned there.
  t->drain_learn(100);
  EXPECT_EQ(tables::vl2::MacWord::kind(t->mac(t->network(kNw)->slot, lan_host)), tables::vl2::MacWord::kLan);
}

TEST_F(Vl2Fixture, EncapSuite3ForPeersThatUseIt) {
  auto out = encap({eth_frame(v2::mac_from_address(kB, kNw), 0x06aabbccdd01ull, 0x0800, kIpData)});
  ASSERT_EQ(out.size(), 1u);
  Bytes p(out[0].begin() + 42, out[0].end());
  EXPECT_EQ(wire::packet_cipher(p.data()), wire::Cipher::kAesGmacSiv);
  uint64_t to;
  open(out[0], &to);
  EXPECT_EQ(to, kB);
}

TEST_F(Vl2Fixture, EncapBroadcastArpToBridgesAndSubscribers) {
  // ARP request for 10.1.2.3: group (ff:ff:ff:ff:ff:ff, 0x0a010203).
  Bytes arp = {0, 1, 8, 0, 6, 4, 0, 1, 0x06, 0xaa, 0xbb, 0xcc, 0xdd, 0x01, 10, 1, 2, 1,
               0, 0, 0, 0, 0, 0, 10, 1, 2, 3};
  ASSERT_EQ(t->subscriber_add(kNw, v2::kBroadcastMac, 0x0a010203, kA), FLATNET_IPC_OK);
  ASSERT_EQ(t->subscriber_add(kNw, v2::kBroadcastMac, 0x0a010203, kBridge), FLATNET_IPC_OK);
  ASSERT_EQ(t->subscriber_add(kNw, v2::kBroadcastMac, 0, kB), FLATNET_IPC_OK);  // another group
  auto out = encap({eth_frame(v2::kBroadcastMac, 0x06aabbccdd01ull, 0x0806, arp)});
  ASSERT_EQ(out.size(), 2u) << h.drop_reason();
  uint64_t to0, to1;
  Bytes p0 = open(out[0], &to0);
  open(out[1], &to1);
  EXPECT_EQ(to0, kBridge);  // bridges first
  EXPECT_EQ(to1, kA);       // the bridge is not sent twice
  EXPECT_EQ(p0[wire::kIdxVerb] & 0x1f, 0x0e);
  EXPECT_EQ(p0[28 + 8], v2::kMcFlagSource);
  EXPECT_EQ(v2::read_mac(p0.data() + 28 + 9), 0x06aabbccdd01ull);
  EXPECT_EQ(v2::read_mac(p0.data() + 28 + 15), v2::kBroadcastMac);
  EXPECT_EQ(wire::read_be64(p0.data() + 28) , kNw);
  EXPECT_EQ(p0[28 + 21], 10);
  EXPECT_EQ(p0[28 + 24], 3);
  EXPECT_EQ(h.counters.vl2_encap_multicast, 2u);
}

// A broadcast storm on the LAN: the worker's bucket (here 2 frames of
// credit, refilled at 1 per 10^9 cycles) lets the first through and counts
// the rest before any copy is made.
TEST_F(Vl2Fixture, EncapLanMulticastRateLimited) {
  port.lan_multicast.cost = 1'000'000'000;
  port.lan_multicast.cap = 2'000'000'000;
  port.lan_multicast.credit = 2'000'000'000;
  port.lan_multicast.last = 1;
  std::vector<Bytes> storm(10, eth_frame(v2::kBroadcastMac, 0x06aabbccdd01ull, 0x0800, kIpData));
  auto out = encap(storm);
  EXPECT_EQ(out.size(), 2u);  // two frames of credit, each to the one bridge
  EXPECT_EQ(h.drops(Drop::vl2_lan_multicast_limited), 8u);
}

// One network per 802.1Q tag: a second network on VLAN 10 beside the
// untagged one. Its members' frames leave the LAN tagged; tagged LAN frames
// go into it; a tag not bridged here is dropped.
TEST_F(Vl2Fixture, VlanPerNetwork) {
  const uint64_t kNw2 = kNw + 1;
  tables::vl2::NetworkSettings s;
  s.nwid = kNw2;
  ASSERT_EQ(t->network_set(s), FLATNET_IPC_OK);
  ASSERT_EQ(t->member_set(kNw2, kA, MemberWord::kPresent | MemberWord::kComValid), FLATNET_IPC_OK);
  port.vlans[port.n_vlans++] = {10, kNw2};
  Bytes pl = frame_payload(kIpData);
  wire::write_be64(pl.data(), kNw2);
  auto o = decap({vl1(kA, 0x06, pl, crypto::Suite::kSalsa2012Poly1305)});
  ASSERT_EQ(o.lan.size(), 1u) << h.drop_reason();
  Bytes want = eth_frame(v2::mac_from_address(kSelf, kNw2), v2::mac_from_address(kA, kNw2), 0x8100, {});
  put16(want, 10);
  put16(want, 0x0800);
  want.insert(want.end(), kIpData.begin(), kIpData.end());
  EXPECT_EQ(o.lan[0], want);

  Bytes tagged = eth_frame(v2::mac_from_address(kA, kNw2), 0x06aabbccdd01ull, 0x8100, {});
  put16(tagged, 10);
  put16(tagged, 0x0800);
  tagged.insert(tagged.end(), kIpData.begin(), kIpData.end());
  auto out = encap({tagged});
  ASSERT_EQ(out.size(), 1u) << h.drop_reason();
  uint64_t to;
  Bytes p = open(out[0], &to);
  EXPECT_EQ(to, kA);
  EXPECT_EQ(Bytes(p.begin() + 28, p.end()), [&] {
    Bytes b = ext_payload(v2::mac_from_address(kA, kNw2), 0x06aabbccdd01ull, kIpData);
    wire::write_be64(b.data(), kNw2);
    return b;
  }());
  h.counters = CoreCounters{};
  tagged[15] = 11;  // VLAN 11: not bridged here
  EXPECT_TRUE(encap({tagged}).empty());
  EXPECT_EQ(h.drop_reason(), "vl2_lan_malformed");
}

TEST_F(Vl2Fixture, EncapUnknownUnicastFloodsBridgesLanLocalDropped) {
  auto out = encap({eth_frame(0x06aabbccdd77ull, 0x06aabbccdd01ull, 0x0800, kIpData)});
  ASSERT_EQ(out.size(), 1u) << h.drop_reason();
  uint64_t to;
  open(out[0], &to);
  EXPECT_EQ(to, kBridge);
  EXPECT_EQ(h.counters.vl2_encap_flooded, 1u);
  t->drain_learn(100);  // 02:aa:bb:cc:dd:01 is now on the LAN
  h.counters = CoreCounters{};
  EXPECT_TRUE(encap({eth_frame(0x06aabbccdd01ull, 0x06aabbccdd05ull, 0x0800, kIpData)}).empty());
  EXPECT_EQ(h.drop_reason(), "vl2_lan_local");
}

// 1,395 bytes of LAN frame fill one 1,432-byte datagram as EXT_FRAME; one
// byte more takes a head and a fragment, which join into the packet.
TEST_F(Vl2Fixture, EncapFragmentsToThePathMtu) {
  const uint64_t dst = v2::mac_from_address(kA, kNw);
  Bytes fits(1395 - 14), over(1396 - 14);
  for (size_t i = 0; i < over.size(); ++i) over[i] = uint8_t(i * 13);
  std::copy(over.begin(), over.begin() + fits.size(), fits.begin());
  auto one = encap({eth_frame(dst, 0x06aabbccdd01ull, 0x0800, fits)});
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].size(), 42u + 1432u);
  auto two = encap({eth_frame(dst, 0x06aabbccdd01ull, 0x0800, over)});
  ASSERT_EQ(two.size(), 2u) << h.drop_reason();
  Bytes head(two[0].begin() + 42, two[0].end());
  Bytes frag(two[1].begin() + 42, two[1].end());
  ASSERT_EQ(head.size(), 1432u);
  ASSERT_EQ(frag.size(), 16u + 1u);
  EXPECT_TRUE(wire::packet_fragmented(head.data()));
  EXPECT_EQ(frag[wire::kFragIdxIndicator], 0xff);
  EXPECT_EQ(frag[wire::kFragIdxNo], 0x21);  // total 2, number 1
  EXPECT_EQ(std::memcmp(frag.data(), head.data(), 13), 0);  // packet id and destination
  Bytes whole = head;
  whole.insert(whole.end(), frag.begin() + 16, frag.end());
  crypto::PeerKeys k(key_for(kA));
  ASSERT_EQ(crypto::dearmor(whole, k), crypto::DearmorResult::kOk);
  EXPECT_EQ(Bytes(whole.begin() + 28, whole.end()), ext_payload(dst, 0x06aabbccdd01ull, over));
}

// A burst of frames over one datagram, half to a member with a path and
// half to one without: vl2_send takes the fragments' mbufs from the pool at
// once (FragMbufs); every mbuf comes back -- those sent, those dropped for
// want of a path, and those taken but not used.
TEST_F(Vl2Fixture, EncapFragmentBurstGivesEveryMbufBack) {
  const unsigned before = rte_mempool_in_use_count(EalEnv::pool());
  std::vector<Bytes> frames;
  for (int i = 0; i < 8; ++i)
    frames.push_back(eth_frame(v2::mac_from_address(i % 2 ? kStranger : kA, kNw), 0x06aabbccdd01ull, 0x0800,
                               Bytes(2000 - 14, uint8_t(i))));
  const auto out = encap(frames);
  EXPECT_EQ(out.size(), 8u);  // 4 to A: a head and a fragment each
  EXPECT_EQ(h.counters.vl2_encap_fragments, 8u);
  EXPECT_EQ(h.counters.drop[size_t(Drop::vl2_no_path)], 8u);
  EXPECT_EQ(rte_mempool_in_use_count(EalEnv::pool()), before);
}

TEST_F(Vl2Fixture, EncapDropsEachWithItsReason) {
  struct Case {
    const char* name;
    Bytes frame;
    Drop why;
  } cases[] = {
      {"runt", Bytes(10, 0), Drop::vl2_lan_malformed},
      {"multicast source", eth_frame(v2::mac_from_address(kA, kNw), 0x07aabbccdd01ull, 0x0800, kIpData),
       Drop::vl2_lan_malformed},
      {"VLAN tagged", eth_frame(v2::mac_from_address(kA, kNw), 0x06aabbccdd01ull, 0x8100, kIpData),
       Drop::vl2_lan_malformed},
      {"no key", eth_frame(v2::mac_from_address(0x0f0f0f0f0f, kNw), 0x06aabbccdd01ull, 0x0800, kIpData),
       Drop::vl2_no_key},
      {"over the network MTU", eth_frame(v2::mac_from_address(kA, kNw), 0x06aabbccdd01ull, 0x0800, Bytes(1501, 0)),
       Drop::vl2_oversize},
      {"no path", eth_frame(v2::mac_from_address(kStranger, kNw), 0x06aabbccdd01ull, 0x0800, kIpData),
       Drop::vl2_no_path},
  };
  tables::vl2::NetworkSettings s = t->network(kNw)->s;
  s.mtu = 1500;
  ASSERT_EQ(t->network_set(s), FLATNET_IPC_OK);
  for (const auto& c : cases) {
    h.counters = CoreCounters{};
    EXPECT_TRUE(encap({c.frame}).empty()) << c.name;
    EXPECT_EQ(h.drop_reason(), kDropNames[size_t(c.why)]) << c.name;
  }
}

// A member's frame over one datagram: head and fragment joined on the fast
// path whatever their order, to the LAN whole; another verb's pieces go to
// control exactly as received; a repeated piece and a lone head are counted.
TEST_F(Vl2Fixture, FragmentsJoinedOnTheFastPath) {
  Bytes big(2000);
  for (size_t i = 0; i < big.size(); ++i) big[i] = uint8_t(i * 7);
  auto pieces = wire::split_packet(vl1(kA, 0x06, frame_payload(big), crypto::Suite::kSalsa2012Poly1305));
  ASSERT_EQ(pieces.size(), 2u);
  auto o = decap({pieces[1], pieces[0]});
  ASSERT_EQ(o.lan.size(), 1u) << h.drop_reason();
  EXPECT_EQ(o.lan[0], eth_frame(v2::mac_from_address(kSelf, kNw), v2::mac_from_address(kA, kNw), 0x0800, big));
  EXPECT_EQ(h.counters.vl2_reasm_done, 1u);

  auto echo = wire::split_packet(vl1(kB, 0x08, Bytes(3000, 0x33), crypto::Suite::kAesGmacSiv, 77));
  ASSERT_EQ(echo.size(), 3u);
  o = decap({echo[0], echo[2]});
  EXPECT_TRUE(o.punted.empty());  // held
  o = decap({echo[1]});
  ASSERT_EQ(o.punted.size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(o.punted[i], echo[i]);

  h.counters = CoreCounters{};
  auto again = wire::split_packet(vl1(kA, 0x06, frame_payload(big), crypto::Suite::kSalsa2012Poly1305, 99));
  o = decap({again[0], again[0]});
  EXPECT_EQ(h.drop_reason(), "vl2_reasm_dup");
  now += 5000;  // past the reassembler's timeout (1000 cycles here)
  h.counters = CoreCounters{};
  o = decap({});
  EXPECT_EQ(h.drop_reason(), "vl2_reasm_timeout");
  EXPECT_EQ(port.reasm.busy, 0u);
}

// The network's rules on both paths: IPv4 to 10.9.0.0/16 dropped, other
// IPv4 accepted, everything else (ARP here) falls off the end: no match,
// and with no capability installed that is a drop (vl2_rules_test.cpp has them).
TEST_F(Vl2Fixture, RulesAppliedBothWays) {
  std::vector<wire::Rule> rules;
  wire::Rule m;
  m.t = uint8_t(wire::RuleType::kMatchIpv4Dest);
  m.ip[0] = 10;
  m.ip[1] = 9;
  m.ip_mask = 16;
  rules.push_back(m);
  rules.push_back(wire::Rule::action(wire::RuleType::kActionDrop));
  wire::Rule e;
  e.t = uint8_t(wire::RuleType::kMatchEthertype);
  e.ethertype = 0x0800;
  rules.push_back(e);
  rules.push_back(wire::Rule::action(wire::RuleType::kActionAccept));
  Bytes bin;
  wire::Writer w(bin);
  wire::write_rules(w, rules);
  ASSERT_EQ(t->rules_set(kNw, bin, false), FLATNET_IPC_OK);

  Bytes ip_ok(40, 0), ip_no(40, 0);
  ip_ok[0] = ip_no[0] = 0x45;
  ip_ok[16] = 10, ip_ok[17] = 1;
  ip_no[16] = 10, ip_no[17] = 9;
  auto o = decap({vl1(kA, 0x06, frame_payload(ip_ok), crypto::Suite::kSalsa2012Poly1305),
                  vl1(kA, 0x06, frame_payload(ip_no), crypto::Suite::kSalsa2012Poly1305),
                  vl1(kA, 0x06, frame_payload(Bytes(28, 0), 0x0806), crypto::Suite::kSalsa2012Poly1305)});
  EXPECT_EQ(o.lan.size(), 1u);
  EXPECT_EQ(h.drops(Drop::vl2_rules), 2u);
  h.counters = CoreCounters{};
  const uint64_t to_a = v2::mac_from_address(kA, kNw);
  auto out = encap({eth_frame(to_a, 0x06aabbccdd01ull, 0x0800, ip_ok), eth_frame(to_a, 0x06aabbccdd01ull, 0x0800, ip_no),
                    eth_frame(to_a, 0x06aabbccdd01ull, 0x0806, Bytes(28, 0))});
  EXPECT_EQ(out.size(), 1u);
  EXPECT_EQ(h.drops(Drop::vl2_rules), 2u);
  // Replacing the rules (old table retired with its view): accept all.
  Bytes all = {0x01, 0x00};
  ASSERT_EQ(t->rules_set(kNw, all, false), FLATNET_IPC_OK);
  h.counters = CoreCounters{};
  EXPECT_EQ(encap({eth_frame(to_a, 0x06aabbccdd01ull, 0x0806, Bytes(28, 0))}).size(), 1u);
  EXPECT_EQ(t->rules_set(kNw, Bytes{0x25, 0x01}, false), FLATNET_IPC_E_BAD_ARGUMENT);  // truncated ETHERTYPE
}

}  // namespace
}  // namespace flatnet::test
