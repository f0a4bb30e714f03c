// libFuzzer target: identity text and binary parsers. Whatever parses must
// print and re-parse to the same identity. (No memory-hard validation: it
// costs milliseconds per input.)
#include <cstdlib>
#include <string_view>
#include <vector>

#include "crypto/identity.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using flatnet::crypto::Identity;
  std::string err;
  if (auto id = Identity::from_string(std::string_view(reinterpret_cast<const char*>(data), size), &err)) {
    auto back = Identity::from_string(id->to_string(id->has_private()));
    if (!back || !(*back == *id)) std::abort();
  }
  size_t used = 0;
  if (auto id = Identity::from_binary({data, size}, &used, &err)) {
    if (used > size) std::abort();
    std::vector<uint8_t> bin;
    id->append_binary(bin, id->has_private());
    size_t used2 = 0;
    auto back = Identity::from_binary(bin, &used2);
    if (!back || !(*back == *id) || used2 != bin.size()) std::abort();
  }
  return 0;
}
