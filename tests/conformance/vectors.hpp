// Locating the stock ZeroTier 1.14.1 vectors for the conformance suite.
//
// $FLATNET_VECTORS names the vectors root (meson sets it); the suite reads
// its zerotier-1.14.1/ folder. Missing vectors fail the test when CI=true
// and skip it (with a message saying what is missing) anywhere else.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

namespace flatnet::conformance {

inline std::filesystem::path vectors_root() {
  const char* v = std::getenv("FLATNET_VECTORS");
  if (!v || !*v) return {};
  return std::filesystem::path(v) / "zerotier-1.14.1";
}

inline bool in_ci() {
  const char* ci = std::getenv("CI");
  return ci && std::string(ci) == "true";
}

inline std::vector<uint8_t> read_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace flatnet::conformance

// Declares `const std::filesystem::path V` = the vectors folder, or ends the
// test: FAIL in CI, SKIP elsewhere.
#define FLATNET_REQUIRE_VECTORS(V)                                                        \
  const std::filesystem::path V = ::flatnet::conformance::vectors_root();                 \
  do {                                                                                    \
    if (V.empty() || !std::filesystem::is_directory(V)) {                                 \
      const std::string why = "stock vectors not found: set FLATNET_VECTORS to the "      \
                              "folder holding zerotier-1.14.1/ (looked at '" +            \
                              V.string() + "')";                                          \
      if (::flatnet::conformance::in_ci()) FAIL() << why;                                 \
      GTEST_SKIP() << why;                                                                \
    }                                                                                     \
  } while (0)
