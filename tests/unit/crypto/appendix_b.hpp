// Known answers from spec Appendix B (produced by the stock 1.14.1 sources
// and re-derived independently), plus small helpers for the crypto tests.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/identity.hpp"

namespace flatnet::crypto::test {

// B.1
inline constexpr std::string_view kIdentityA =
    "36885e5e08:0:9832f96f77a2cb3d30ae891617cb090fdc90842e2ec9914442d30b46b591ad673a4ac1d165f80a8"
    "9f766a738f97ae523e835388859ba6945c245b68d9333c786:fa0be535a0a439df32ea9e0b5e8bfcf4307f2578f3"
    "d4320e5500050b5f3155b832795308a658958a397ea12fae16059b81d59ec20c96c015a682d932cce335c6";
inline constexpr std::string_view kIdentityB =
    "f07ab477c4:0:4d1fc2783c19695dda2dee4b2f449b46cf9a28db40fcdff195cf449126df76066cf78f0ac8beb24"
    "3c0d31e2de607cf210fe5a6f2b5801f798245c81639a85cd2:10eb3159b0cee643d481a4fae8713ca7e393fb4a2e"
    "c78168bae7e463e9b4a40fb1dc4f2f74e1749cd6aced86437e6d6a308eb8e560daf0ede80b18ee2f2760f2";

// B.2 (root cafe9efeb9 of the default planet)
inline constexpr std::string_view kB2Public =
    "ccdef76bc7b97ded904eabc5df09886d9c1514a610036cb9139cc214001a2958978efcec15712dd3948c6e6b3a8e"
    "893df01ff493d1f8d9806a860c5420571bf0";
inline constexpr std::string_view kB2InitialDigest =
    "e6c222ba4b1ee93c85122878159888364ff32d18d0180b5e25542292cd3b1d50d52924158520a5a2564b12adfa75"
    "3b415e5fab920e6a223c161b4f856c47db92";
inline constexpr std::string_view kB2Block0 =
    "c5f768d1ccb7ef37bfbde1a7f55667eae6961921c9c2d02cafb6f17bff54e09553a48e2dc5114f04210a57fa8eff"
    "3ae8543f6c6d9c6cd3c9729177a7bf40cac1";
inline constexpr std::string_view kB2FinalDigest =
    "0c745ee93aa94d1252e443fe079db994c8454bbfab23890194834b99552df26ca04965e39ad5be8536f0a26b3160"
    "c8057f89ed8620e06e2e6ee1b8cafe9efeb9";

// B.3
inline constexpr std::string_view kB3K =
    "7fda449e2be5f3ef550ab5135fa0ecb96e5a53e11ce510b3c3c1679e5e13568f3f986d47dbfb5471d53fb1568baf0a94";
inline constexpr std::string_view kB3K0 =
    "3502942f9bb7af1c76eff41028a7382e6927d2b81a3226e214ccfa3df8ae7f95c919f7039577d592581318733bfc7022";
inline constexpr std::string_view kB3K1 =
    "c8013585313d6891aafc9ee2e9eb397bd66b181fd89450f68854c2295dd8c2857a7754cfdac7d68b57f4b280d5ba2e71";

// B.4 (A -> B, ECHO "hello, zerotier")
inline constexpr std::string_view kB4Plain =
    "0102030405060708f07ab477c436885e5e08000000000000000000" "0868656c6c6f2c207a65726f74696572";
inline constexpr std::string_view kB4Cipher0 =
    "0102030405060708f07ab477c436885e5e0800df52b42f4fe31bd9" "0868656c6c6f2c207a65726f74696572";
inline constexpr std::string_view kB4Cipher1 =
    "0102030405060708f07ab477c436885e5e08881e302787180d6fa9" "b000b041813291d3873bc49bbc4098af";
inline constexpr std::string_view kB4Cipher3 =
    "d76a1e7e3b7bb39ef07ab477c436885e5e081869b838d21c4f171a" "1067f59cdd202dce03e2cac15948bddd";

// B.6
inline constexpr std::string_view kB6Message = "zerotier signature test";
inline constexpr std::string_view kB6Signature =
    "1b123bb1b7bbc25a2f0762798a5cdce2a563a0a06400647399f16567296bae48be9ebea1ed000630961897f1aba6"
    "3b7a337f90293de87f618c7a88e8f9363002e8964f31593bf402e93908996c075cabcbea9517640157c66149ab37"
    "e29dceee";

// B.7 (COM for B on 36885e5e08123456, signed by A; 272 bytes)
inline constexpr std::string_view kB7Com =
    "01000700000000000000000000018bcfe5680000000000001b7740000000000000000136885e5e081234560000000"
    "0000000000000000000000002000000f07ab477c4ffffffffffffffff0000000000000003203bd1500a63c91bffff"
    "ffffffffffff0000000000000004b923763fabb21c20ffffffffffffffff00000000000000054d22074677ae10c6"
    "ffffffffffffffff00000000000000060da051c5297f62b7ffffffffffffffff36885e5e084ba600e25914c9918a"
    "d2c144f4944a9750407e8d41fa63286a40c97f9e558f6c3025d5c76052cba0e526971ac1ff8068cbee8be671cd2b"
    "f91461f560cd079c04edfdf7c70a1a67e3f2b127e147af5c570c72dece6bb52748c7614805efbba1a3";

inline std::vector<uint8_t> unhex(std::string_view s) {
  auto v = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    throw std::invalid_argument("bad hex in test vector");
  };
  if (s.size() % 2) throw std::invalid_argument("odd hex in test vector");
  std::vector<uint8_t> out(s.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) out[i] = uint8_t(v(s[2 * i]) << 4 | v(s[2 * i + 1]));
  return out;
}

inline std::string hex(const uint8_t* p, size_t n) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    s.push_back(d[p[i] >> 4]);
    s.push_back(d[p[i] & 15]);
  }
  return s;
}
template <typename C>
std::string hex(const C& c) {
  return hex(c.data(), c.size());
}

inline Identity parse(std::string_view s) {
  std::string err;
  auto id = Identity::from_string(s, &err);
  if (!id) throw std::runtime_error("vector identity rejected: " + err);
  return *id;
}

inline SharedKey key_of(std::string_view hex48) {
  SharedKey k;
  auto b = unhex(hex48);
  for (size_t i = 0; i < k.size(); ++i) k[i] = b[i];
  return k;
}

}  // namespace flatnet::crypto::test
