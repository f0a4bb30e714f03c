// Hex text of the two 64-bit names the protocol has: a node address (40
// bits, 10 lowercase digits, as ZeroTier prints it) and a world or network
// ID (16 lowercase digits). The one formatter for them in control/ and
// wire/ (crypto::Identity::address_string is the same for an identity).
#pragma once

#include <cstdint>
#include <string>

namespace flatnet::wire {

inline std::string hex_digits(uint64_t v, unsigned digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s(digits, '0');
  for (unsigned i = 0; i < digits; ++i) s[digits - 1 - i] = kHex[(v >> (4 * i)) & 15];
  return s;
}

// 10 digits: a node address (the low 40 bits of `a`).
inline std::string hex_address(uint64_t a) { return hex_digits(a & 0xffffffffffULL, 10); }
// 16 digits: a world (planet/moon) or network ID.
inline std::string hex_id(uint64_t id) { return hex_digits(id, 16); }

}  // namespace flatnet::wire
