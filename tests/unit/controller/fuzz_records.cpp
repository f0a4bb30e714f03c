// libFuzzer target: the controller's record parsers (network and member) on
// any bytes. A record that parses must render to JSON that parses to the
// same record (the model is lossless for what it accepts).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "control/controller/member.hpp"
#include "control/controller/network.hpp"

using namespace flatnet::control::controller;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string err;
  Network n, n2;
  if (parse_network(text, 0, n, &err)) {
    if (!network_from_json(network_to_json(n), 0, n2, &err) || !(n == n2)) std::abort();
  } else if (err.empty()) {
    std::abort();  // every refusal says why
  }
  Member m, m2;
  err.clear();
  if (parse_member(text, 0, m, &err)) {
    if (!member_from_json(member_to_json(m), 0, m2, &err) || !(m == m2)) std::abort();
  } else if (err.empty()) {
    std::abort();
  }
  return 0;
}
