// Known answers from stock ZeroTier 1.14.1 captures ($FLATNET_VECTORS): every
// packet of every testnet capture that the conformance replay
// (tests/conformance/capture_check) authenticates is dearmored again in
// bursts by each ISA path, and must come out OK with the same bytes as
// crypto::dearmor; re-armoring the result in bursts must give back the
// captured wire bytes. Missing vectors fail with CI=true, skip otherwise.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <memory>

#include "crypto/mb/burst.hpp"
#include "tests/conformance/capture_check.hpp"
#include "tests/conformance/vectors.hpp"

namespace flatnet::crypto::mb {
namespace {

namespace cf = flatnet::conformance;

class MbCaptures : public ::testing::TestWithParam<Isa> {
 protected:
  void SetUp() override { ASSERT_TRUE(force_isa(GetParam())); }
  void TearDown() override { force_isa(Isa::kAuto); }
};

TEST_P(MbCaptures, EveryAuthenticatedPacketInBursts) {
  const auto V = cf::vectors_root();
  if (V.empty() || !std::filesystem::is_directory(V)) {
    if (cf::in_ci()) FAIL() << "FLATNET_VECTORS/zerotier-1.14.1 missing (CI=true)";
    GTEST_SKIP() << "stock vectors not found: set FLATNET_VECTORS";
  }
  size_t total = 0;
  size_t per_suite[8] = {};
  for (const auto& t : std::filesystem::directory_iterator(V)) {
    if (!t.is_directory() || t.path().filename().string().rfind("testnet-", 0) != 0) continue;
    const auto ids = cf::load_node_identities(t.path());
    for (const auto& f : std::filesystem::directory_iterator(t.path())) {
      if (f.path().extension() != ".pcap") continue;
      SCOPED_TRACE(f.path().string());
      const cf::CaptureStats s = cf::check_capture(f.path(), ids);
      ASSERT_TRUE(s.error.empty()) << s.error;
      std::map<const crypto::PeerKeys*, std::unique_ptr<PeerKeyset>> keysets;
      const auto& pkts = s.authenticated;
      for (size_t base = 0; base < pkts.size(); base += 32) {
        const size_t n = std::min<size_t>(32, pkts.size() - base);
        std::vector<std::vector<uint8_t>> got, want;
        std::vector<Packet> pk;
        std::vector<uint8_t> ivs(8 * n);
        for (size_t i = 0; i < n; ++i) {
          const auto& c = pkts[base + i];
          auto& ks = keysets[c.keys.get()];
          if (!ks) ks = std::make_unique<PeerKeyset>(c.keys->key48());
          got.push_back(c.wire);
          want.push_back(c.wire);
          ASSERT_EQ(crypto::dearmor(want.back(), *c.keys), DearmorResult::kOk);
        }
        for (size_t i = 0; i < n; ++i)
          pk.push_back({got[i].data(), uint32_t(got[i].size()), keysets[pkts[base + i].keys.get()].get()});
        std::vector<DearmorResult> v(n);
        dearmor_burst(pk, v.data(), reinterpret_cast<uint8_t(*)[8]>(ivs.data()));
        for (size_t i = 0; i < n; ++i) {
          ASSERT_EQ(v[i], DearmorResult::kOk) << "packet " << base + i;
          ASSERT_EQ(got[i], want[i]) << "packet " << base + i;
          ++per_suite[pkts[base + i].suite];
        }
        // Re-armor, one suite at a time, and expect the captured bytes.
        for (unsigned suite : {0u, 1u, 3u}) {
          std::vector<Packet> sel;
          std::vector<size_t> at;
          for (size_t i = 0; i < n; ++i) {
            if (pkts[base + i].suite != suite) continue;
            if (suite == 3) {  // the sender armored with its IV and hops 0
              std::memcpy(got[i].data(), ivs.data() + 8 * i, 8);
              got[i][18] &= 0xf8;
            }
            sel.push_back(pk[i]);
            at.push_back(i);
          }
          armor_burst(sel, Suite(suite));
          for (size_t i : at) {
            got[i][18] = uint8_t((got[i][18] & 0xf8) | (pkts[base + i].wire[18] & 0x07));  // relays' hops
            ASSERT_EQ(got[i], pkts[base + i].wire) << "re-armor " << base + i;
          }
        }
        total += n;
      }
    }
  }
  std::printf("%zu captured packets: suite 0 %zu, suite 1 %zu, suite 3 %zu\n", total, per_suite[0],
              per_suite[1], per_suite[3]);
  EXPECT_GT(total, 200u);
  EXPECT_GT(per_suite[1], 0u);
  EXPECT_GT(per_suite[3], 0u);
}

INSTANTIATE_TEST_SUITE_P(AllIsas, MbCaptures, ::testing::ValuesIn([] {
                           std::vector<Isa> v;
                           for (Isa i : {Isa::kScalar, Isa::kAvx2, Isa::kAvx512})
                             if (isa_supported(i)) v.push_back(i);
                           return v;
                         }()),
                         [](const auto& info) { return std::string(to_string(info.param)); });

}  // namespace
}  // namespace flatnet::crypto::mb
