// Unit tests for the generator's pure parts: frame building and parsing,
// ARP answers, peers, destination distributions, the latency histogram and
// pcap loading.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <cstring>
#include <set>
#include <sstream>
#include <unordered_set>

#include "dataplane/wire/vl1.hpp"
#include "tools/pktgen/frame.hpp"
#include "tools/pktgen/latency.hpp"
#include "tools/pktgen/pcap_source.hpp"
#include "tools/pktgen/peers.hpp"
#include "tools/pktgen/plan.hpp"
#include "tools/pktgen/rng.hpp"
#include "tools/pktgen/vl2_traffic.hpp"
#include "dataplane/wire/vl2_frame.hpp"

namespace fp = flatnet::pktgen;
namespace w = flatnet::wire;

namespace {

fp::FrameParams params(size_t zt_len = 130) {
  fp::FrameParams p;
  p.src_mac = {2, 0, 0, 0, 0, 2};
  p.dst_mac = {2, 0, 0, 0, 0, 1};
  p.dst_ip = 0x0a000001;
  p.zt_len = zt_len;
  return p;
}

fp::PacketFields fields() {
  return {0x0102030405060708ULL, 0x1122334455ULL, 0x66778899aaULL, 0x0a800005, 20004,
          0xdeadbeefcafef00dULL, 0x46, 4, 123456789ULL};
}

std::vector<uint8_t> make_frame(const fp::FrameParams& p, const fp::PacketFields& v) {
  std::vector<uint8_t> f(fp::frame_len(p));
  const uint32_t sum = fp::build_template(p, f.data());
  fp::patch_frame(f.data(), v, sum);
  return f;
}

uint16_t be16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }

}  // namespace

TEST(PktgenFrame, BuildsValidOuterHeadersAndVl1Head) {
  const auto p = params(130);
  const auto v = fields();
  const auto f = make_frame(p, v);
  ASSERT_EQ(f.size(), 14u + 20 + 8 + 130);
  EXPECT_EQ(be16(&f[12]), 0x0800);
  EXPECT_EQ(0, std::memcmp(&f[0], p.dst_mac.data(), 6));
  EXPECT_EQ(0, std::memcmp(&f[6], p.src_mac.data(), 6));
  const uint8_t* ip = &f[14];
  EXPECT_EQ(ip[0], 0x45);
  EXPECT_EQ(ip[9], 17);
  EXPECT_EQ(be16(ip + 2), 20 + 8 + 130);
  EXPECT_EQ(fp::ipv4_checksum(ip), 0) << "checksum over a header with a valid checksum is 0";
  const uint8_t* udp = ip + 20;
  EXPECT_EQ(be16(udp), 20004);
  EXPECT_EQ(be16(udp + 2), 9993);
  EXPECT_EQ(be16(udp + 4), 8 + 130);
  EXPECT_EQ(be16(udp + 6), 0);
  const uint8_t* zt = udp + 8;
  EXPECT_EQ(w::classify(zt, 130), w::DatagramKind::kPacket);
  EXPECT_EQ(w::packet_id(zt), v.packet_id);
  EXPECT_EQ(w::packet_dest(zt), v.dst_addr);
  EXPECT_EQ(w::packet_source(zt), v.src_addr);
  EXPECT_EQ(w::packet_cipher(zt), w::Cipher::kSalsa2012Poly1305);
  EXPECT_EQ(zt[w::kIdxFlags] & w::kFlagLegacyEncrypted, w::kFlagLegacyEncrypted);
  EXPECT_FALSE(w::packet_fragmented(zt));
  EXPECT_EQ(w::packet_hops(zt), 0u);
  EXPECT_EQ(zt[w::kIdxVerb], 0x46);
}

TEST(PktgenFrame, ParseReadsStampAndSeesRelayHop) {
  auto p = params(200);
  p.hops = 1;
  auto f = make_frame(p, fields());
  auto r = fp::parse_frame(f.data(), f.size());
  ASSERT_EQ(r.kind, fp::RxKind::kOurs);
  EXPECT_EQ(r.hops, 1u);
  EXPECT_EQ(r.dst_index, 4u);
  EXPECT_EQ(r.tsc, 123456789ULL);
  EXPECT_EQ(r.outer_dst_ip, 0x0a000001u);
  EXPECT_EQ(r.outer_dst_port, 9993);
  w::packet_increment_hops(f.data() + fp::kOuterLen);
  r = fp::parse_frame(f.data(), f.size());
  EXPECT_EQ(r.hops, 2u);
  EXPECT_EQ(w::packet_cipher(f.data() + fp::kOuterLen), w::Cipher::kSalsa2012Poly1305);
}

TEST(PktgenFrame, TruncatedOrForeignFramesAreOther) {
  const auto f = make_frame(params(fp::kMinZtLen), fields());
  for (size_t len = 0; len < f.size(); ++len)
    EXPECT_EQ(fp::parse_frame(f.data(), len).kind, fp::RxKind::kOther) << len;
  EXPECT_EQ(fp::parse_frame(f.data(), f.size()).kind, fp::RxKind::kOurs);
  auto g = f;
  g[fp::kOuterLen + 28] ^= 1;  // magic broken
  EXPECT_EQ(fp::parse_frame(g.data(), g.size()).kind, fp::RxKind::kOther);
  g = f;
  g[14 + 9] = 6;  // TCP
  EXPECT_EQ(fp::parse_frame(g.data(), g.size()).kind, fp::RxKind::kOther);
}

TEST(PktgenFrame, AnswersArpRequests) {
  uint8_t f[42] = {};
  const uint8_t req[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06,
                         0, 1, 0x08, 0x00, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 10, 0, 0, 1,
                         0, 0, 0, 0, 0, 0, 10, 128, 0, 7};
  std::memcpy(f, req, sizeof req);
  EXPECT_EQ(fp::parse_frame(f, sizeof f).kind, fp::RxKind::kArpRequest);
  const fp::Mac me = {2, 0, 0, 0, 0, 9};
  ASSERT_TRUE(fp::arp_reply_in_place(f, sizeof f, me));
  EXPECT_EQ(be16(f + 20), 2);                            // reply
  EXPECT_EQ(0, std::memcmp(f, req + 6, 6));              // to the asker
  EXPECT_EQ(0, std::memcmp(f + 22, me.data(), 6));       // sender hw = us
  EXPECT_EQ(0, std::memcmp(f + 28, req + 38, 4));        // sender ip = asked-for ip
  EXPECT_EQ(0, std::memcmp(f + 38, req + 28, 4));        // target ip = asker
  EXPECT_FALSE(fp::arp_reply_in_place(f, sizeof f, me)) << "a reply is not answered";
  EXPECT_FALSE(fp::arp_reply_in_place(f, 30, me));
}

TEST(PktgenPeers, DeterministicDistinctUnreserved) {
  const auto a = fp::synthetic_peers(7, 100000);
  const auto b = fp::synthetic_peers(7, 100000);
  const auto c = fp::synthetic_peers(8, 100);
  ASSERT_EQ(a.size(), 100000u);
  std::unordered_set<uint64_t> addrs;
  std::set<std::pair<uint32_t, uint16_t>> paths;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].address, b[i].address);
    EXPECT_FALSE(w::address_is_reserved(a[i].address));
    EXPECT_EQ(a[i].address & ~w::kAddressMask, 0u);
    addrs.insert(a[i].address);
    paths.insert({a[i].ip, a[i].port});
    EXPECT_EQ(fp::synthetic_peer(7, uint32_t(i)).address, a[i].address);
  }
  EXPECT_EQ(addrs.size(), a.size());
  EXPECT_EQ(paths.size(), a.size());
  EXPECT_NE(c[0].address, a[0].address);
  // Pinned values: a change of the shared mapping would silently break the
  // relay benchmark (tableload and pktgen would still agree, but the
  // addresses in tools/bench/relay/vl1.trafgen would not).
  EXPECT_EQ(fp::synthetic_peer(1, 0).address, 0x89592d13a8ULL);
  EXPECT_EQ(fp::synthetic_peer(1, 1).address, 0xd399f1ffbbULL);
  EXPECT_EQ(fp::synthetic_peer(1, 1).ip, 0x0a800002u);
  EXPECT_EQ(fp::synthetic_peer(1, 1).port, 20001);
}

TEST(PktgenRng, UniformAndZipfDestinations) {
  fp::Rng r(1);
  const fp::DestPicker uni(1000, 0);
  std::vector<uint32_t> hist(1000);
  for (int i = 0; i < 1000000; ++i) {
    uint32_t d = uni.pick(r);
    ASSERT_LT(d, 1000u);
    ++hist[d];
  }
  for (uint32_t h : hist) EXPECT_NEAR(double(h), 1000.0, 200.0);

  const fp::DestPicker zipf(1000, 1.0);
  std::vector<uint32_t> zh(1000);
  for (int i = 0; i < 1000000; ++i) {
    uint32_t d = zipf.pick(r);
    ASSERT_LT(d, 1000u);
    ++zh[d];
  }
  // H(1000) ~ 7.485: peer 0 gets ~13.4%, peer 1 ~6.7%.
  EXPECT_NEAR(double(zh[0]) / 1e6, 1.0 / 7.485, 0.005);
  EXPECT_NEAR(double(zh[1]) / 1e6, 0.5 / 7.485, 0.005);
  EXPECT_GT(zh[0], zh[10]);
  EXPECT_GT(zh[10], zh[500]);
}

TEST(PktgenLatency, QuantilesWithinBucketError) {
  fp::LatencyHistogram h;
  EXPECT_EQ(h.quantile(0.5), 0u);
  for (uint64_t v = 1; v <= 100000; ++v) h.record(v);
  EXPECT_EQ(h.count(), 100000u);
  EXPECT_EQ(h.max(), 100000u);
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    const double want = q * 100000;
    EXPECT_GE(double(h.quantile(q)), want);
    EXPECT_LE(double(h.quantile(q)), want * 1.035) << q;
  }
  EXPECT_EQ(h.quantile(1.0), 100000u);
  for (uint64_t v : {0ull, 1ull, 31ull, 32ull, 33ull, 1000ull, 123456789ull, ~0ull}) {
    const unsigned i = fp::LatencyHistogram::index(v);
    ASSERT_LT(i, fp::LatencyHistogram::kBuckets);
    EXPECT_GE(fp::LatencyHistogram::upper(i), v);
    if (i > 0) {
      EXPECT_LT(fp::LatencyHistogram::upper(i - 1), v);
    }
  }
  fp::LatencyHistogram g;
  g.record(5000000);
  h.merge(g);
  EXPECT_EQ(h.count(), 100001u);
  EXPECT_EQ(h.max(), 5000000u);
}

TEST(PktgenPcap, LoadsAndRewritesStockCapture) {
  const char* env = std::getenv("FLATNET_VECTORS");
  const std::filesystem::path dir = env ? env : "";
  const auto file = dir / "zerotier-1.14.1" / "testnet-relay" / "capture-br0.pcap";
  if (!env || !std::filesystem::exists(file)) {
    const char* ci = std::getenv("CI");
    if (ci && std::string(ci) == "true") FAIL() << "vectors missing: " << file;
    GTEST_SKIP() << "stock vectors not found (" << file << "); set FLATNET_VECTORS";
  }
  fp::PcapFrames pf;
  ASSERT_EQ(fp::pcap_load(file.string(), 1u << 20, 2048, pf), "");
  ASSERT_FALSE(pf.frames.empty());
  size_t vl1 = 0;
  for (auto& f : pf.frames) {
    if (!fp::pcap_rewrite(f, {2, 0, 0, 0, 0, 2}, {2, 0, 0, 0, 0, 1}, 0x0a000001, 9993)) continue;
    const uint8_t* ip = f.data() + 14;
    ASSERT_EQ(fp::ipv4_checksum(ip), 0);
    const size_t ihl = size_t(ip[0] & 15) * 4;
    EXPECT_EQ(be16(ip + ihl + 2), 9993);
    EXPECT_EQ(f[5], 1);
    ++vl1;
  }
  EXPECT_GT(vl1, 100u) << "the relay capture holds well over 100 ZeroTier datagrams";
  fp::PcapFrames none;
  EXPECT_NE(fp::pcap_load((dir / "no-such.pcap").string(), 10, 2048, none), "");
}

TEST(PktgenFrame, ParsesAddresses) {
  fp::Mac m;
  EXPECT_TRUE(fp::parse_mac("02:fe:00:0a:0b:ff", m));
  EXPECT_EQ(m[1], 0xfe);
  EXPECT_FALSE(fp::parse_mac("02:fe:00:0a:0b", m));
  EXPECT_FALSE(fp::parse_mac("02:fe:00:0a:0b:ff:1", m));
  EXPECT_FALSE(fp::parse_mac("02:fe:00:0a:0b:100", m));
  uint32_t ip;
  EXPECT_TRUE(fp::parse_ipv4("10.1.2.3", ip));
  EXPECT_EQ(ip, 0x0a010203u);
  EXPECT_FALSE(fp::parse_ipv4("10.1.2", ip));
}

// A pretend forwarder for the plan: forwards everything up to capacity_mpps
// and loses the excess; the generator itself tops out at gen_max_mpps.
namespace {
fp::RunStats fake_run(const fp::Options& o, double capacity_mpps, double gen_max_mpps) {
  fp::RunStats s;
  s.window_s = o.duration;
  const double offered = o.rate_mpps > 0 ? std::min(o.rate_mpps, gen_max_mpps) : gen_max_mpps;
  s.offered = s.tx = uint64_t(offered * 1e6 * o.duration);
  s.rx_ours = s.rx_relayed = uint64_t(std::min(offered, capacity_mpps) * 1e6 * o.duration);
  s.latency_ns.record(1000);
  return s;
}
std::vector<nlohmann::json> lines(const std::string& out) {
  std::vector<nlohmann::json> v;
  std::istringstream in(out);
  for (std::string l; std::getline(in, l);) v.push_back(nlohmann::json::parse(l));
  return v;
}
}  // namespace

TEST(PktgenPlan, NdrSearchConvergesOnForwarderCapacity) {
  fp::Options o;
  o.duration = 1;
  fp::Plan plan;
  plan.repeat = 2;
  plan.ndr = true;
  plan.ndr_runs = 2;
  plan.ndr_steps = 12;
  plan.lat_fracs = {0.5, 0.9};
  plan.lat_runs = 1;
  std::vector<double> rates;
  testing::internal::CaptureStdout();
  fp::run_plan(o, plan, "vl1", [&](const fp::Options& ro) {
    rates.push_back(ro.rate_mpps);
    return fake_run(ro, 3.3, 10.0);
  });
  const auto out = lines(testing::internal::GetCapturedStdout());
  // 2 max runs, 2 x 12 search steps + 2 results, 2 latency runs.
  ASSERT_EQ(out.size(), 2u + 2 * 12 + 2 + 2);
  EXPECT_EQ(out[0]["kind"], "max");
  EXPECT_DOUBLE_EQ(out[0]["tx_mpps"].get<double>(), 10.0);
  EXPECT_DOUBLE_EQ(out[0]["loss_pct"].get<double>(), 67.0);
  EXPECT_EQ(out[2]["kind"], "ndr-step");
  EXPECT_DOUBLE_EQ(out[2]["rate_set"].get<double>(), 10.5 / 2);  // upper bound 1.05 x max
  const auto& ndr = out[2 + 12];
  ASSERT_EQ(ndr["kind"], "ndr");
  EXPECT_LE(ndr["ndr_mpps"].get<double>(), 3.3);
  EXPECT_GT(ndr["ndr_mpps"].get<double>(), 3.3 - 10.5 / 4096 * 2);
  EXPECT_EQ(out[out.size() - 2]["kind"], "lat-0.5");
  EXPECT_NEAR(out.back()["rate_set"].get<double>(), 0.9 * ndr["ndr_mpps"].get<double>(), 1e-9);
  EXPECT_TRUE(out[0].contains("latency_ns") && out[0]["latency_ns"]["p50"] == 1000);
}

TEST(PktgenPlan, NdrFailsWhenTheGeneratorCannotReachTheRate) {
  fp::RunStats s;
  s.window_s = 1;
  s.offered = s.tx = s.rx_ours = 5'000'000;
  EXPECT_TRUE(fp::ndr_pass(s, 5.0, 0.01));
  EXPECT_FALSE(fp::ndr_pass(s, 6.0, 0.01)) << "offered 5 of 6 Mpps proves nothing at 6";
  s.rx_ours = 4'999'000;  // 0.02% lost
  EXPECT_FALSE(fp::ndr_pass(s, 5.0, 0.01));
  EXPECT_TRUE(fp::ndr_pass(s, 5.0, 0.05));
}

// Gateway traffic (vl2_traffic.hpp); its packets through the real stages are
// tested in tests/packet/vl2_pktgen_test.cpp.
TEST(PktgenVl2, KeysAreDerivedPerSeedAndPeer) {
  namespace pv = flatnet::pktgen::vl2;
  auto same = [](const flatnet::crypto::SharedKey& x, const flatnet::crypto::SharedKey& y) {
    return std::memcmp(x.data(), y.data(), x.size()) == 0;
  };
  const auto a = pv::synthetic_key(1, 0x1122334455);
  EXPECT_TRUE(same(a, pv::synthetic_key(1, 0x1122334455)));
  EXPECT_FALSE(same(a, pv::synthetic_key(2, 0x1122334455)));
  EXPECT_FALSE(same(a, pv::synthetic_key(1, 0x1122334456)));
}

TEST(PktgenVl2, LanFramesAreCheckedByStampAddressesAndLength) {
  namespace pv = flatnet::pktgen::vl2;
  namespace v2 = flatnet::wire::vl2;
  pv::Params p;
  p.peers = 3;
  p.nwid = 0x8056c2e21c000001ull;
  p.gateway = 0x1111111111;
  p.frame_size = 0;  // IMIX
  unsigned n64 = 0;
  for (unsigned i = 0; i < 12; ++i) n64 += pv::imix_size(i) == 64;
  EXPECT_EQ(n64, 7u);
  for (unsigned h = 0; h < 4; ++h) EXPECT_FALSE(v2::mac_is_member(pv::lan_host_mac(p, h), p.nwid));
  const auto enc = pv::encap_pool(p, 12);
  for (unsigned i = 0; i < 12; ++i) {
    const auto f = pv::expected_lan_frame(p, i);
    EXPECT_EQ(f.size(), pv::imix_size(i));
    EXPECT_EQ(pv::check_lan_frame(p, f.data(), f.size(), 12), long(i));
    EXPECT_EQ(pv::check_lan_frame(p, f.data(), f.size() - 1, 12), -1);
    EXPECT_EQ(pv::check_lan_frame(p, f.data(), f.size(), i), -1) << "index beyond the pool";
    EXPECT_TRUE(v2::mac_is_member(v2::read_mac(enc[i].data()), p.nwid));
    EXPECT_EQ(v2::address_from_mac(v2::read_mac(enc[i].data()), p.nwid),
              flatnet::pktgen::synthetic_peer(p.seed, i % 3).address);
  }
  const pv::PeerIndex idx(p.seed, 3);
  for (uint32_t i = 0; i < 3; ++i) EXPECT_EQ(idx.find(idx.at(i).address), long(i));
  EXPECT_EQ(idx.find(0x42), -1);
}

// Per-flow order of returns: a flow's frames back in pool order (with
// losses, and across the pool's wrap) are in order; one that comes back
// after a later frame of its flow is counted; a pool with too few frames
// per flow is not checked at all.
TEST(PktgenVl2, FlowOrderCountsOnlyReturnsBehindTheirFlow) {
  using flatnet::pktgen::vl2::FlowOrder;
  FlowOrder o(64, 4);  // 4 flows (peers), 16 positions each
  ASSERT_TRUE(o.checked());
  for (unsigned i = 0; i < 64; ++i) o.saw(i);
  for (unsigned i = 0; i < 64; i += 3) o.saw(i);  // replayed, a third of it back, across the wrap
  EXPECT_EQ(o.out_of_order(), 0u);
  o.saw(8);  // flow 0 position 2, after its position 15: wraps forward, in order
  EXPECT_EQ(o.out_of_order(), 0u);
  o.saw(20);  // flow 0 position 5
  o.saw(12);  // flow 0 position 3: behind
  EXPECT_EQ(o.out_of_order(), 1u);
  o.saw(20);  // a repeat of the newest
  EXPECT_EQ(o.out_of_order(), 2u);
  o.saw(24);  // still ahead of position 5: in order
  o.saw(13);  // flow 1 (position 3): its own order, after its position 14 (i = 57): ahead across the wrap
  EXPECT_EQ(o.out_of_order(), 2u);
  EXPECT_EQ(o.seen(), 64u + 22u + 6u);
  FlowOrder few(1024, 1000);  // one frame per flow: no order to check
  EXPECT_FALSE(few.checked());
  few.saw(5);
  few.saw(5);
  EXPECT_EQ(few.out_of_order(), 0u);
}
