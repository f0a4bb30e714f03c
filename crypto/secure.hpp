// Secret-holding buffers that are wiped when they go away.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

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

// Wipes a string that held secret text (identity.secret, a token): its whole
// buffer, capacity and not only size, then empties it. A string that grew
// by reallocation may have left copies in freed buffers: size it first.
inline void wipe(std::string& s) {
  sodium_memzero(s.data(), s.capacity());
  s.clear();
}

// wipe()s a string on every way out of a scope.
class WipeOnExit {
 public:
  explicit WipeOnExit(std::string& s) : s_(s) {}
  WipeOnExit(const WipeOnExit&) = delete;
  WipeOnExit& operator=(const WipeOnExit&) = delete;
  ~WipeOnExit() { wipe(s_); }

 private:
  std::string& s_;
};

// Constant-time equality of two byte ranges of the same length.
inline bool equal_ct(const uint8_t* a, const uint8_t* b, size_t n) {
  return sodium_memcmp(a, b, n) == 0;
}

}  // namespace flatnet::crypto
