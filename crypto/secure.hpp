// Secret-holding buffers that are wiped when they go away.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include <sodium.h>

namespace flatnet::crypto {

// A fixed-size byte array that is zeroed (sodium_memzero, which the compiler
// may not elide) on destruction. Copying is allowed: each copy wipes itself.
template <size_t N>
struct SecretBytes {
  std::array<uint8_t, N> bytes{};
  SecretBytes() = default;
  SecretBytes(const SecretBytes&) = default;
  SecretBytes& operator=(const SecretBytes&) = default;
  ~SecretBytes() { sodium_memzero(bytes.data(), N); }
  uint8_t* data() { return bytes.data(); }
  const uint8_t* data() const { return bytes.data(); }
  static constexpr size_t size() { return N; }
  uint8_t& operator[](size_t i) { return bytes[i]; }
  const uint8_t& operator[](size_t i) const { return bytes[i]; }
};

// Constant-time equality of two byte ranges of the same length.
inline bool equal_ct(const uint8_t* a, const uint8_t* b, size_t n) {
  return sodium_memcmp(a, b, n) == 0;
}

}  // namespace flatnet::crypto
