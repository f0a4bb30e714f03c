// Every stock capture replayed through our reassembler, armor and LZ4: all
// packets between nodes whose secrets are in the vectors authenticate,
// decompress, re-armor and re-fragment to the captured bytes; the totals
// match the vectors' READMEs; corrupted packets are rejected.
#include <gtest/gtest.h>

#include <cstdio>

#include "dataplane/wire/fragment.hpp"
#include "dataplane/wire/vl1.hpp"
#include "dataplane/wire/world.hpp"
#include "tests/conformance/capture_check.hpp"
#include "tests/conformance/vectors.hpp"

using namespace flatnet;
using namespace flatnet::conformance;
namespace fs = std::filesystem;

namespace {

struct Expected {
  const char* testnet;
  const char* pcap;
  size_t auth_ok;  // packets whose two endpoints' secrets are known
  size_t no_key;   // packets to/from nodes outside the testnet
  const char* source;
};

// Numbers stated by the vectors: README.txt section "Checked" for planet and
// relay; the totals line of each capture's decoded.tsv (independent decoder)
// for the captures of README-more-captures.txt. testnet-relay's tsv says 141
// because that decoder keyed fragments by packet ID only and lost one relayed
// leg (Appendix E.7); README.txt's 142 is the per-path count.
const Expected kExpected[] = {
    {"testnet-planet", "capture-br0.pcap", 111, 0, "README.txt"},
    {"testnet-relay", "capture-br0.pcap", 142, 0, "README.txt"},
    {"testnet-ipv6", "capture-br0.pcap", 137, 0, "capture-br0.decoded.tsv"},
    {"testnet-moon", "capture-br0.pcap", 123, 32, "capture-br0.decoded.tsv"},
    {"testnet-nat", "capture-br0.pcap", 150, 0, "capture-br0.decoded.tsv"},
    {"testnet-nat", "capture-natA-eth0.pcap", 91, 0, "capture-natA-eth0.decoded.tsv"},
    {"testnet-nat", "capture-natA-eth1.pcap", 90, 0, "capture-natA-eth1.decoded.tsv"},
    {"testnet-nat", "capture-natB-eth0.pcap", 89, 0, "capture-natB-eth0.decoded.tsv"},
    {"testnet-nat", "capture-natB-eth1.pcap", 90, 0, "capture-natB-eth1.decoded.tsv"},
    {"testnet-worldupdate", "capture-br0.pcap", 125, 0, "capture-br0.decoded.tsv"},
};

void expect_clean(const CaptureStats& s, const std::string& what) {
  SCOPED_TRACE(what + ": " + summary(s));
  EXPECT_TRUE(s.error.empty()) << s.error;
  EXPECT_EQ(s.auth_fail, 0u);
  EXPECT_EQ(s.decompress_fail, 0u);
  EXPECT_EQ(s.decompress_ok, s.compressed);
  EXPECT_EQ(s.rearmor_different, 0u);
  EXPECT_EQ(s.rearmor_identical, s.auth_ok);
  EXPECT_EQ(s.refragment_different, 0u);
  EXPECT_EQ(s.reassembly_rejected, 0u);
  EXPECT_EQ(s.incomplete_at_end, 0u);
  EXPECT_EQ(s.runts, 0u);
  EXPECT_EQ(s.key_pairs_asymmetric, 0u);
  EXPECT_EQ(s.packets, s.auth_ok + s.no_key);
  for (const auto& p : s.problems) ADD_FAILURE() << p;
}

}  // namespace

TEST(ConformanceCapture, DocumentedTotals) {
  FLATNET_REQUIRE_VECTORS(V);
  for (const auto& e : kExpected) {
    const std::string what = std::string(e.testnet) + "/" + e.pcap;
    SCOPED_TRACE(what);
    const auto ids = load_node_identities(V / e.testnet);
    ASSERT_EQ(ids.size(), 3u);
    const CaptureStats s = check_capture(V / e.testnet / e.pcap, ids);
    expect_clean(s, what);
    EXPECT_EQ(s.auth_ok, e.auth_ok) << "expected per " << e.source;
    EXPECT_EQ(s.no_key, e.no_key) << "expected per " << e.source;
    std::printf("%-45s %s\n", what.c_str(), summary(s).c_str());
  }
}

TEST(ConformanceCapture, EveryCaptureOfEveryTestnet) {
  // Also the captures with no documented total (subsets, -all variants):
  // zero failures, and the -all capture agrees with the UDP-only one.
  FLATNET_REQUIRE_VECTORS(V);
  size_t files = 0, total_ok = 0;
  std::array<size_t, 8> suites{};
  for (const auto& t : fs::directory_iterator(V)) {
    if (!t.is_directory() || t.path().filename().string().rfind("testnet-", 0) != 0) continue;
    const auto ids = load_node_identities(t.path());
    std::map<std::string, size_t> ok_by_name;
    for (const auto& f : fs::directory_iterator(t.path())) {
      const auto name = f.path().filename().string();
      // capture-zt-*.pcap hold plaintext Ethernet from the tap devices.
      if (f.path().extension() != ".pcap" || name.rfind("capture-zt-", 0) == 0) continue;
      ++files;
      const CaptureStats s = check_capture(f.path(), ids);
      expect_clean(s, t.path().filename().string() + "/" + name);
      ok_by_name[name] = s.auth_ok;
      total_ok += s.auth_ok;
      for (size_t i = 0; i < 8; ++i) suites[i] += s.suite_ok[i];
      std::printf("%-20s %-28s %s\n", t.path().filename().c_str(), name.c_str(), summary(s).c_str());
    }
    if (ok_by_name.count("capture-br0-all.pcap"))
      EXPECT_EQ(ok_by_name["capture-br0-all.pcap"], ok_by_name["capture-br0.pcap"]) << t.path();
    if (ok_by_name.count("capture-root-leaves.pcap") && ok_by_name.count("capture-a-b.pcap"))
      EXPECT_EQ(ok_by_name["capture-root-leaves.pcap"] + ok_by_name["capture-a-b.pcap"],
                ok_by_name["capture-br0.pcap"]) << t.path();
  }
  EXPECT_EQ(files, 18u);
  // Each cipher suite a 1.14.1 node uses is exercised.
  EXPECT_GT(suites[0], 0u);
  EXPECT_GT(suites[1], 0u);
  EXPECT_GT(suites[3], 0u);
  std::printf("all captures: %zu files, %zu packets authenticated (suite0=%zu suite1=%zu suite3=%zu)\n",
              files, total_ok, suites[0], suites[1], suites[3]);
}

TEST(ConformanceCapture, IPv6UnderlayAndHolePunch) {
  FLATNET_REQUIRE_VECTORS(V);
  const auto v6 = check_capture(V / "testnet-ipv6" / "capture-br0.pcap",
                                load_node_identities(V / "testnet-ipv6"));
  // README-more-captures.txt: "146 UDP packets on br0 (54 IPv6)".
  EXPECT_EQ(v6.udp, 146u);
  EXPECT_EQ(v6.udp_ipv6, 54u);
  // The NAT run's RENDEZVOUS is followed by 4-byte junk datagrams.
  const auto nat = check_capture(V / "testnet-nat" / "capture-br0.pcap",
                                 load_node_identities(V / "testnet-nat"));
  EXPECT_GT(nat.junk4, 0u);
  const auto relay = check_capture(V / "testnet-relay" / "capture-br0.pcap",
                                   load_node_identities(V / "testnet-relay"));
  EXPECT_EQ(relay.junk4, 0u);  // README correction: no junk datagram there
  EXPECT_EQ(relay.suite_ok[3] + relay.suite_ok[1] + relay.suite_ok[0], relay.auth_ok);
  EXPECT_EQ(relay.heads, 8u);
  EXPECT_EQ(relay.fragments, 8u);
}

TEST(ConformanceCapture, CorruptedPacketsRejected) {
  FLATNET_REQUIRE_VECTORS(V);
  size_t tried = 0, rejected = 0, packets = 0;
  for (const char* t : {"testnet-planet", "testnet-relay", "testnet-ipv6", "testnet-moon", "testnet-nat",
                        "testnet-worldupdate"}) {
    const auto s = check_capture(V / t / "capture-br0.pcap", load_node_identities(V / t));
    ASSERT_GT(s.authenticated.size(), 100u) << t;
    for (const auto& cp : s.authenticated) {
      ++packets;
      const auto& p = cp.wire;
      // Truncations: below the header, at the header, mid-payload, one short.
      for (size_t n : {size_t(0), size_t(27), size_t(28), p.size() / 2, p.size() - 1}) {
        if (n >= p.size()) continue;
        std::vector<uint8_t> tr(p.begin(), p.begin() + n);
        ++tried;
        rejected += crypto::dearmor(tr, *cp.keys) != crypto::DearmorResult::kOk;
      }
      // Bit flips everywhere except the hop count (the one field relays may
      // change, deliberately outside the MAC).
      for (size_t i = 0; i < p.size(); i += std::max<size_t>(1, p.size() / 16)) {
        for (uint8_t bit : {uint8_t(0x01), uint8_t(0x80)}) {
          if (i == wire::kIdxFlags && (bit & wire::kFlagsHopsMask)) continue;
          auto f = p;
          f[i] ^= bit;
          ++tried;
          rejected += crypto::dearmor(f, *cp.keys) != crypto::DearmorResult::kOk;
        }
      }
      // The hop count, by contrast, may change freely.
      auto h = p;
      wire::packet_increment_hops(h.data());
      EXPECT_EQ(crypto::dearmor(h, *cp.keys), crypto::DearmorResult::kOk);
    }
  }
  EXPECT_EQ(packets, 111u + 142 + 137 + 123 + 150 + 125);
  EXPECT_EQ(rejected, tried);
  std::printf("corrupted packets rejected: %zu of %zu (from %zu packets)\n", rejected, tried, packets);
}

TEST(ConformanceCapture, CorruptedFragmentsRejected) {
  FLATNET_REQUIRE_VECTORS(V);
  const auto s = check_capture(V / "testnet-relay" / "capture-br0.pcap",
                               load_node_identities(V / "testnet-relay"));
  size_t fragmented = 0;
  for (const auto& cp : s.authenticated) {
    if (cp.datagrams.size() < 2) continue;
    ++fragmented;
    const auto& head = cp.datagrams[0];
    const auto& frag = cp.datagrams[1];
    std::vector<uint8_t> out;
    // Bad totals / numbers are refused outright.
    for (uint8_t no : {0x10, 0x20, 0x22, 0x81, 0xf1}) {
      wire::Reassembler r;
      auto f = frag;
      f[wire::kFragIdxNo] = no;
      EXPECT_EQ(r.add(1, f, 0, &out), wire::ReassemblyResult::kBadFragment);
    }
    // A truncated fragment joins into a packet that no longer authenticates.
    for (size_t cut : {size_t(1), frag.size() / 2}) {
      wire::Reassembler r;
      std::vector<uint8_t> f(frag.begin(), frag.end() - cut);
      EXPECT_EQ(r.add(1, head, 0, &out), wire::ReassemblyResult::kPending);
      ASSERT_EQ(r.add(1, f, 0, &out), wire::ReassemblyResult::kComplete);
      EXPECT_NE(crypto::dearmor(out, *cp.keys), crypto::DearmorResult::kOk);
    }
    // Head without its fragment never completes; a fragment of a different
    // path does not complete it either.
    wire::Reassembler r;
    EXPECT_EQ(r.add(1, head, 0, &out), wire::ReassemblyResult::kPending);
    EXPECT_EQ(r.add(2, frag, 0, &out), wire::ReassemblyResult::kPending);
    EXPECT_EQ(r.in_use(), 2u);
    EXPECT_EQ(r.add(1, frag, 0, &out), wire::ReassemblyResult::kComplete);
    EXPECT_EQ(crypto::dearmor(out, *cp.keys), crypto::DearmorResult::kOk);
  }
  EXPECT_EQ(fragmented, 8u);  // 2 large pings each way, each seen on two legs
}

TEST(ConformanceCapture, WorldUpdateInsideOkHello) {
  // testnet-worldupdate: the root's OK(HELLO) to each leaf carries
  // planet-new (spec §4.4: ts, proto, version, InetAddress, u16 L, worlds).
  FLATNET_REQUIRE_VECTORS(V);
  const auto dir = V / "testnet-worldupdate";
  const auto s = check_capture(dir / "capture-br0.pcap", load_node_identities(dir));
  const auto newp = read_bytes(dir / "world" / "planet-new.bin");
  wire::World oldw;
  ASSERT_EQ(wire::deserialize_world(read_bytes(dir / "world" / "planet-old.bin"), oldw),
            wire::WorldStatus::kOk);
  size_t ok_hello = 0, with_world = 0;
  for (const auto& cp : s.authenticated) {
    const auto& p = cp.plain;
    if ((p[wire::kIdxVerb] & wire::kVerbMask) != uint8_t(wire::Verb::kOk)) continue;
    wire::Reader r(std::span<const uint8_t>(p).subspan(wire::kIdxPayload));
    if (r.u8() != uint8_t(wire::Verb::kHello)) continue;
    ++ok_hello;
    r.skip(8);                      // in-re packet ID
    r.skip(8 + 1 + 1 + 1 + 2);      // timestamp, proto, major, minor, revision
    wire::InetAddress seen;
    EXPECT_EQ(wire::read_inet_address(r, seen), wire::InetStatus::kOk);
    EXPECT_FALSE(seen.is_null());
    const uint16_t len = r.u16();
    auto worlds = r.view(len);
    ASSERT_TRUE(r.ok());
    if (len == 0) continue;
    ++with_world;
    wire::World w;
    size_t used = 0;
    ASSERT_EQ(wire::deserialize_world(worlds, w, &used), wire::WorldStatus::kOk);
    EXPECT_EQ(std::vector<uint8_t>(worlds.begin(), worlds.begin() + used), newp);
    EXPECT_TRUE(wire::should_be_replaced_by(oldw, w));
  }
  // world-update-check.txt: 8 OK(HELLO)s, two of them (root -> a, root -> b)
  // with the 257-byte planet.
  EXPECT_EQ(ok_hello, 8u);
  EXPECT_EQ(with_world, 2u);
}

TEST(ConformanceCapture, HelloAndOkHelloAddresses) {
  // Every HELLO names the sender's identity (binary form, §1.5) and the
  // physical address it was sent to (InetAddress, §5.1); every OK(HELLO)
  // names the address the requester was seen at. Both must equal the UDP
  // addresses of the captured datagram -- over IPv4, IPv6 and through NAT.
  FLATNET_REQUIRE_VECTORS(V);
  size_t hellos = 0, oks = 0, v6 = 0;
  for (const char* t : {"testnet-planet", "testnet-relay", "testnet-ipv6", "testnet-moon", "testnet-nat",
                        "testnet-worldupdate"}) {
    const auto ids = load_node_identities(V / t);
    const auto s = check_capture(V / t / "capture-br0.pcap", ids);
    for (const auto& cp : s.authenticated) {
      const auto& p = cp.plain;
      const uint8_t verb = p[wire::kIdxVerb] & wire::kVerbMask;
      wire::Reader r(std::span<const uint8_t>(p).subspan(wire::kIdxPayload));
      if (verb == uint8_t(wire::Verb::kHello)) {
        SCOPED_TRACE(std::string(t) + " HELLO from " + cp.from.to_string());
        ++hellos;
        EXPECT_EQ(r.u8(), wire::kProtoVersion);
        EXPECT_EQ(r.u8(), 1);    // 1.14.1
        EXPECT_EQ(r.u8(), 14);
        EXPECT_EQ(r.u16(), 1);
        r.skip(8);
        size_t used = 0;
        auto id = crypto::Identity::from_binary(r.rest(), &used);
        ASSERT_TRUE(id);
        r.skip(used);
        EXPECT_EQ(id->address(), wire::packet_source(p.data()));
        EXPECT_EQ(*id, ids.at(id->address()));
        wire::InetAddress dest;
        EXPECT_EQ(wire::read_inet_address(r, dest), wire::InetStatus::kOk);
        EXPECT_EQ(dest, cp.to);
        v6 += dest.family == wire::InetAddress::Family::kV6;
        const uint64_t planet = r.u64();
        EXPECT_TRUE(planet == 42424242u || planet == wire::kWorldIdEarth) << planet;
        EXPECT_TRUE(r.ok());
      } else if (verb == uint8_t(wire::Verb::kOk) && r.u8() == uint8_t(wire::Verb::kHello)) {
        SCOPED_TRACE(std::string(t) + " OK(HELLO) to " + cp.to.to_string());
        ++oks;
        r.skip(8 + 8 + 1 + 1 + 1 + 2);
        wire::InetAddress seen;
        EXPECT_EQ(wire::read_inet_address(r, seen), wire::InetStatus::kOk);
        EXPECT_EQ(seen, cp.to);
        const uint16_t len = r.u16();
        r.skip(len);
        EXPECT_TRUE(r.ok());
      }
    }
  }
  EXPECT_GT(hellos, 0u);
  EXPECT_GT(oks, 0u);
  EXPECT_GT(v6, 0u);  // testnet-ipv6 says HELLO ran over IPv6
  std::printf("HELLO: %zu (IPv6 %zu), OK(HELLO): %zu\n", hellos, v6, oks);
}
