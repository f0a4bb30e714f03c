// Table-driven: one malformed or unwanted input frame -> no output and
// exactly one drop, under the expected reason.
#include "tests/packet/harness.hpp"

namespace flatnet::test {
namespace {

const MacA kPeerMac{{0x02, 0, 0, 0, 0, 0x02}};
const MacA kOtherMac{{0x02, 0, 0, 0, 0, 0x09}};
const Ip4 kPeer4{{10, 0, 0, 2}};
const Ip6 kPeer6{{0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}};

struct DropCase {
  const char* name;
  Bytes (*frame)(const Harness&);
  Drop reason;
  void (*setup)(Harness&) = nullptr;
};

Bytes to_dp4(const Harness& h, const Bytes& payload, uint16_t port = 9993) {
  return udp4_frame(h.dp_mac, kPeerMac, kPeer4, h.dp_ip4, 5000, port, payload);
}

const DropCase kCases[] = {
    {"runt_frame", [](const Harness&) { return Bytes(10, 0xab); }, Drop::eth_runt},
    {"other_unicast_mac",
     [](const Harness& h) {
       Bytes f = to_dp4(h, vl1_packet(kB, kA, 0));
       std::memcpy(f.data(), kOtherMac.b, 6);
       return f;
     },
     Drop::eth_not_for_us},
    {"own_source_mac",
     [](const Harness& h) {
       Bytes f = to_dp4(h, vl1_packet(kB, kA, 0));
       std::memcpy(f.data() + 6, h.dp_mac.b, 6);
       return f;
     },
     Drop::eth_from_self},
    {"vlan_tagged", [](const Harness& h) { return cat({eth(h.dp_mac, kPeerMac, 0x8100), Bytes(60, 0)}); },
     Drop::eth_type},
    {"arp_truncated", [](const Harness& h) { return cat({eth(h.dp_mac, kPeerMac, 0x0806), Bytes(10, 0)}); },
     Drop::arp_malformed},
    {"arp_for_other_ip",
     [](const Harness& h) {
       return arp_frame(MacA{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}, kPeerMac, 1, kPeerMac, kPeer4,
                        MacA{}, Ip4{{10, 0, 0, 77}});
     },
     Drop::arp_not_for_us},
    // The fuzz finding (tests/packet/corpus/arp_reply_from_zero): a reply
    // from 0.0.0.0 teaches nothing and used to vanish without a count.
    {"arp_reply_from_zero",
     [](const Harness& h) {
       return arp_frame(h.dp_mac, kPeerMac, 2, kPeerMac, Ip4{}, MacA{}, h.dp_ip4);
     },
     Drop::arp_bad_sender},
    {"arp_request_multicast_sender",
     [](const Harness& h) {
       MacA mc{{0x01, 0, 0x5e, 0, 0, 1}};
       return arp_frame(MacA{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}, kPeerMac, 1, mc, kPeer4, MacA{}, h.dp_ip4);
     },
     Drop::arp_bad_sender},
    // A reply nobody asked for, from a sender we do not know: learning it
    // would let spoofed senders cycle the neighbour table.
    {"arp_reply_unsolicited",
     [](const Harness& h) { return arp_frame(h.dp_mac, kPeerMac, 2, kPeerMac, kPeer4, h.dp_mac, h.dp_ip4); },
     Drop::arp_unsolicited},
    {"arp_reply_zero_sender_mac",
     [](const Harness& h) { return arp_frame(h.dp_mac, kPeerMac, 2, MacA{}, kPeer4, h.dp_mac, h.dp_ip4); },
     Drop::arp_bad_sender},
    {"ip4_truncated_header", [](const Harness& h) { return cat({eth(h.dp_mac, kPeerMac, 0x0800), Bytes(12, 0x45)}); },
     Drop::ip4_malformed},
    {"ip4_total_length_past_frame",
     [](const Harness& h) {
       Bytes f = to_dp4(h, vl1_packet(kB, kA, 0));
       f[16] = 0x05;  // total length 0x05xx > frame; checksum no longer matters
       return f;
     },
     Drop::ip4_malformed},
    {"ip4_bad_checksum",
     [](const Harness& h) {
       Bytes f = to_dp4(h, vl1_packet(kB, kA, 0));
       f[24] ^= 0x55;
       return f;
     },
     Drop::ip4_checksum},
    {"ip4_fragment",
     [](const Harness& h) {
       Bytes u = udp(5000, 9993, vl1_packet(kB, kA, 0));
       return cat({eth(h.dp_mac, kPeerMac, 0x0800), ip4(kPeer4, h.dp_ip4, 17, u.size(), 1, 0x2000), u});
     },
     Drop::ip4_fragment},
    {"ip4_not_our_address",
     [](const Harness& h) {
       return udp4_frame(h.dp_mac, kPeerMac, kPeer4, Ip4{{10, 0, 0, 99}}, 5000, 9993, vl1_packet(kB, kA, 0));
     },
     Drop::ip4_not_for_us},
    {"ip4_tcp",
     [](const Harness& h) { return cat({eth(h.dp_mac, kPeerMac, 0x0800), ip4(kPeer4, h.dp_ip4, 6, 20), Bytes(20, 0)}); },
     Drop::ip4_proto},
    {"icmp4_not_echo",
     [](const Harness& h) {
       Bytes ic = icmp4_echo(13, 1, 1);  // timestamp request
       return cat({eth(h.dp_mac, kPeerMac, 0x0800), ip4(kPeer4, h.dp_ip4, 1, ic.size()), ic});
     },
     Drop::icmp4_type},
    {"icmp4_bad_checksum",
     [](const Harness& h) {
       Bytes ic = icmp4_echo(8, 1, 1);
       ic[6] ^= 1;
       return cat({eth(h.dp_mac, kPeerMac, 0x0800), ip4(kPeer4, h.dp_ip4, 1, ic.size()), ic});
     },
     Drop::icmp4_malformed},
    {"udp_length_past_ip",
     [](const Harness& h) {
       Bytes f = to_dp4(h, vl1_packet(kB, kA, 0));
       f[38] = 0x7f;  // UDP length high byte
       return f;
     },
     Drop::udp_malformed},
    {"udp_wrong_port", [](const Harness& h) { return to_dp4(h, vl1_packet(kB, kA, 0), 9994); }, Drop::udp_port},
    {"udp_third_port", [](const Harness& h) { return to_dp4(h, vl1_packet(kB, kA, 0), Harness::kSecondaryPort + 1); },
     Drop::udp_port},
    {"udp6_third_port",
     [](const Harness& h) {
       return udp6_frame(h.dp_mac, kPeerMac, kPeer6, h.dp_ip6, 5000, Harness::kSecondaryPort - 1, vl1_packet(kB, kA, 0));
     },
     Drop::udp_port},
    {"udp_secondary_port_off", [](const Harness& h) { return to_dp4(h, vl1_packet(kB, kA, 0), Harness::kSecondaryPort); },
     Drop::udp_port, [](Harness& h) { h.u.secondary_port = 0; }},
    {"udp_port_zero_without_secondary", [](const Harness& h) { return to_dp4(h, vl1_packet(kB, kA, 0), 0); },
     Drop::udp_port, [](Harness& h) { h.u.secondary_port = 0; }},
    {"udp4_bad_checksum",
     [](const Harness& h) {
       Bytes f = udp4_frame(h.dp_mac, kPeerMac, kPeer4, h.dp_ip4, 5000, 9993, vl1_packet(kB, kA, 0), true);
       f[45] ^= 0xff;  // payload byte; checksum now wrong
       return f;
     },
     Drop::udp_checksum},
    {"udp6_zero_checksum",
     [](const Harness& h) {
       return udp6_frame(h.dp_mac, kPeerMac, kPeer6, h.dp_ip6, 5000, 9993, vl1_packet(kB, kA, 0), false);
     },
     Drop::udp_checksum},
    {"udp6_bad_checksum",
     [](const Harness& h) {
       Bytes f = udp6_frame(h.dp_mac, kPeerMac, kPeer6, h.dp_ip6, 5000, 9993, vl1_packet(kB, kA, 0));
       f[70] ^= 0x10;
       return f;
     },
     Drop::udp_checksum},
    {"ip6_not_our_address",
     [](const Harness& h) {
       Ip6 other = h.dp_ip6;
       other.b[15] = 0x42;
       return udp6_frame(h.dp_mac, kPeerMac, kPeer6, other, 5000, 9993, vl1_packet(kB, kA, 0));
     },
     Drop::ip6_not_for_us},
    {"ip6_payload_length_past_frame",
     [](const Harness& h) {
       Bytes f = udp6_frame(h.dp_mac, kPeerMac, kPeer6, h.dp_ip6, 5000, 9993, vl1_packet(kB, kA, 0));
       f[18] = 0x08;
       return f;
     },
     Drop::ip6_malformed},
    {"ip6_extension_header",
     [](const Harness& h) { return cat({eth(h.dp_mac, kPeerMac, 0x86dd), ip6(kPeer6, h.dp_ip6, 0, 16), Bytes(16, 0)}); },
     Drop::ip6_next_header},
    {"nd_ns_other_target",
     [](const Harness& h) {
       Ip6 other = h.dp_ip6;
       other.b[15] = 0x42;
       Bytes m = icmp6(kPeer6, h.dp_ip6, nd_msg(135, 0, other, 1, &kPeerMac));
       return cat({eth(h.dp_mac, kPeerMac, 0x86dd), ip6(kPeer6, h.dp_ip6, 58, m.size(), 255), m});
     },
     Drop::nd_not_for_us},
    {"nd_na_unsolicited",
     [](const Harness& h) {
       Bytes m = icmp6(kPeer6, h.dp_ip6, nd_msg(136, 0x60, kPeer6, 2, &kPeerMac));
       return cat({eth(h.dp_mac, kPeerMac, 0x86dd), ip6(kPeer6, h.dp_ip6, 58, m.size(), 255), m});
     },
     Drop::nd_unsolicited},
    // RFC 4861 7.2.5: no Override flag, another MAC for a known neighbour.
    {"nd_na_no_override",
     [](const Harness& h) {
       Bytes m = icmp6(kPeer6, h.dp_ip6, nd_msg(136, 0x40, kPeer6, 2, &kOtherMac));
       return cat({eth(h.dp_mac, kOtherMac, 0x86dd), ip6(kPeer6, h.dp_ip6, 58, m.size(), 255), m});
     },
     Drop::nd_no_override,
     [](Harness& h) { h.neigh->learn(IpAddr::v6(kPeer6.b), Mac{{0x02, 0, 0, 0, 0, 0x02}}); }},
    {"nd_na_without_target_lladdr",
     [](const Harness& h) {
       Bytes m = icmp6(kPeer6, h.dp_ip6, nd_msg(136, 0x60, kPeer6, 2, nullptr));
       return cat({eth(h.dp_mac, kPeerMac, 0x86dd), ip6(kPeer6, h.dp_ip6, 58, m.size(), 255), m});
     },
     Drop::nd_no_lladdr},
    {"nd_na_multicast_lladdr",
     [](const Harness& h) {
       MacA mc{{0x33, 0x33, 0, 0, 0, 1}};
       Bytes m = icmp6(kPeer6, h.dp_ip6, nd_msg(136, 0x60, kPeer6, 2, &mc));
       return cat({eth(h.dp_mac, kPeerMac, 0x86dd), ip6(kPeer6, h.dp_ip6, 58, m.size(), 255), m});
     },
     Drop::nd_no_lladdr},
    {"nd_hop_limit_not_255",
     [](const Harness& h) {
       Bytes m = icmp6(kPeer6, h.dp_ip6, nd_msg(135, 0, h.dp_ip6, 1, &kPeerMac));
       return cat({eth(h.dp_mac, kPeerMac, 0x86dd), ip6(kPeer6, h.dp_ip6, 58, m.size(), 64), m});
     },
     Drop::nd_malformed},
    {"icmp6_bad_checksum",
     [](const Harness& h) {
       Bytes m = icmp6(kPeer6, h.dp_ip6, Bytes{128, 0, 0, 0, 0, 1, 0, 1, 9, 9});
       m[8] ^= 1;
       return cat({eth(h.dp_mac, kPeerMac, 0x86dd), ip6(kPeer6, h.dp_ip6, 58, m.size()), m});
     },
     Drop::icmp6_malformed},
    {"icmp6_router_advert",
     [](const Harness& h) {
       Bytes m = icmp6(kPeer6, h.dp_ip6, Bytes(16, 0));
       m[0] = 134;
       m = icmp6(kPeer6, h.dp_ip6, m);
       return cat({eth(h.dp_mac, kPeerMac, 0x86dd), ip6(kPeer6, h.dp_ip6, 58, m.size(), 255), m});
     },
     Drop::icmp6_type},
    {"vl1_runt", [](const Harness& h) { return to_dp4(h, Bytes(20, 1)); }, Drop::vl1_runt},
    {"vl1_empty", [](const Harness& h) { return to_dp4(h, Bytes()); }, Drop::vl1_runt},
    {"vl1_reserved_dest", [](const Harness& h) { return to_dp4(h, vl1_packet(0xff00000001, kA, 0)); },
     Drop::vl1_reserved_dest},
    {"vl1_zero_dest", [](const Harness& h) { return to_dp4(h, vl1_packet(0, kA, 0)); }, Drop::vl1_reserved_dest},
    {"vl1_from_self", [](const Harness& h) { return to_dp4(h, vl1_packet(kB, Harness::kSelf, 0)); },
     Drop::vl1_from_self},
    {"vl1_hop_limit_3", [](const Harness& h) { return to_dp4(h, vl1_packet(kB, kA, 3)); }, Drop::vl1_hop_limit,
     [](Harness& h) { h.add_path4(kB, Ip4{{10, 0, 0, 3}}, 6000); }},
    {"vl1_hop_limit_7", [](const Harness& h) { return to_dp4(h, vl1_packet(kB, kA, 7)); }, Drop::vl1_hop_limit,
     [](Harness& h) { h.add_path4(kB, Ip4{{10, 0, 0, 3}}, 6000); }},
    {"vl1_fragment_hop_limit", [](const Harness& h) { return to_dp4(h, vl1_fragment(kB, 3, 1, 3)); },
     Drop::vl1_hop_limit, [](Harness& h) { h.add_path4(kB, Ip4{{10, 0, 0, 3}}, 6000); }},
    {"vl1_unknown_dest", [](const Harness& h) { return to_dp4(h, vl1_packet(kB, kA, 0)); }, Drop::vl1_unknown_dest},
    {"vl1_relay_disabled", [](const Harness& h) { return to_dp4(h, vl1_packet(kB, kA, 0)); },
     Drop::vl1_relay_disabled, [](Harness& h) {
       h.add_path4(kB, Ip4{{10, 0, 0, 3}}, 6000);
       h.sw.relay = false;
     }},
    {"vl1_path_is_source", [](const Harness& h) { return to_dp4(h, vl1_packet(kB, kA, 0)); }, Drop::vl1_loop,
     [](Harness& h) { h.add_path4(kB, kPeer4, 5000); }},
    {"vl1_no_own_v6_for_v6_path", [](const Harness& h) { return to_dp4(h, vl1_packet(kB, kA, 0)); },
     Drop::vl1_no_route, [](Harness& h) {
       h.add_path6(kB, kPeer6, 6000);
       h.u.ip6 = IpAddr{};
     }},
    {"vl1_oversize_after_v6_rewrite", [](const Harness& h) { return to_dp4(h, vl1_packet(kB, kA, 0, 1432)); },
     Drop::vl1_oversize, [](Harness& h) { h.add_path6(kB, kPeer6, 6000); }},
    {"punt_refused", [](const Harness& h) { return to_dp4(h, vl1_packet(Harness::kSelf, kA, 0)); }, Drop::punt_full,
     [](Harness& h) { h.punt_accepts = false; }},
    // The attack limits, each set up already exhausted (tests/packet/police_test.cpp
    // shows them filling up).
    {"punt_source_limited", [](const Harness& h) { return to_dp4(h, vl1_packet(Harness::kSelf, kA, 0)); },
     Drop::punt_source_limited, [](Harness& h) {
       h.police(PoliceConfig{});
       h.w.police.punt_source.tat.assign(h.w.police.punt_source.tat.size(), ~0ull >> 1);
     }},
    {"punt_global_limited", [](const Harness& h) { return to_dp4(h, vl1_packet(Harness::kSelf, kA, 0)); },
     Drop::punt_global_limited, [](Harness& h) {
       h.police(PoliceConfig{});
       h.w.police.punt_global_tat = ~0ull >> 1;
     }},
    {"punt_unknown_reserved", [](const Harness& h) { return to_dp4(h, vl1_packet(Harness::kSelf, kA, 0)); },
     Drop::punt_unknown_reserved, [](Harness& h) {
       h.police(PoliceConfig{});  // unknown share 50 %
       h.punt_slots = 4;
       h.punt_used = 2;
     }},
    {"relay_limited", [](const Harness& h) { return to_dp4(h, vl1_packet(kB, kA, 0)); }, Drop::relay_limited,
     [](Harness& h) {
       h.add_path4(kB, Ip4{{10, 0, 0, 3}}, 6000);
       PoliceConfig c;
       c.relay_limit_pps = 1000;
       h.police(c);
       h.w.police.relay.tat.assign(h.w.police.relay.tat.size(), ~0ull >> 1);
     }},
};

class Drops : public ::testing::TestWithParam<DropCase> {};

TEST_P(Drops, CountedUnderItsReason) {
  Harness h;
  const DropCase& c = GetParam();
  if (c.setup) c.setup(h);
  auto out = h.run1(c.frame(h));
  EXPECT_TRUE(out.empty()) << "unexpected output frame";
  EXPECT_EQ(h.drops_total(), 1u);
  EXPECT_EQ(h.drop_reason(), kDropNames[size_t(c.reason)]);
  EXPECT_EQ(h.counters.relayed, 0u);
}

INSTANTIATE_TEST_SUITE_P(Table, Drops, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.name); });

// Every reason has a name and a description (the docs table is built from them).
TEST(DropList, NamesAndDescriptions) {
  for (size_t i = 0; i < kDropCount; ++i) {
    EXPECT_NE(std::string(kDropNames[i]), "");
    EXPECT_GT(std::string(kDropDescriptions[i]).size(), 10u);
  }
}

}  // namespace
}  // namespace flatnet::test
