// Identity text form (spec §1.4, as zerotier-idtool prints it) and binary
// form (spec §1.5). Parsing is strict and every rejection says why.
#include <cstring>

#include "crypto/identity.hpp"

namespace flatnet::crypto {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void put_hex(std::string& out, const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    out.push_back(kHex[p[i] >> 4]);
    out.push_back(kHex[p[i] & 15]);
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;  // stock parsers accept upper case
  return -1;
}

// Decodes exactly n bytes from exactly 2n hex digits.
bool get_hex(std::string_view s, uint8_t* out, size_t n) {
  if (s.size() != 2 * n) return false;
  for (size_t i = 0; i < n; ++i) {
    const int hi = hex_value(s[2 * i]), lo = hex_value(s[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = uint8_t(hi << 4 | lo);
  }
  return true;
}

std::nullopt_t fail(std::string* error, const char* why) {
  if (error) *error = why;
  return std::nullopt;
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

}  // namespace

std::optional<Identity> Identity::from_string(std::string_view text, std::string* error) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);

  // Split on ':' into at most 5 fields (the 5th only to detect "too many").
  std::string_view f[5];
  size_t nf = 0;
  for (size_t start = 0;;) {
    const size_t colon = text.find(':', start);
    if (nf == 5) break;
    f[nf++] = text.substr(start, colon == std::string_view::npos ? colon : colon - start);
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  Identity id;
  std::string* e = error;
  if (text.empty()) return fail(e, "identity: empty string");
  if (nf < 3) return fail(e, "identity: fewer than 3 ':'-separated fields");
  if (nf > 4) return fail(e, "identity: more than 4 ':'-separated fields");

  uint8_t a[5];
  if (!get_hex(f[0], a, 5))
    return fail(e, "identity: address is not 10 hex digits");
  for (uint8_t b : a) id.address_ = (id.address_ << 8) | b;
  if (is_reserved_address(id.address_))
    return fail(e, "identity: reserved address (zero or first byte 0xff)");
  if (f[1] != "0") return fail(e, "identity: type is not 0");
  if (!get_hex(f[2], id.public_.data(), kPublicKeySize))
    return fail(e, "identity: public key is not 128 hex digits");
  if (nf == 4) {
    if (!get_hex(f[3], id.private_.data(), kPrivateKeySize))
      return fail(e, "identity: private key is not 128 hex digits");
    id.has_private_ = true;
  }
  return id;
}

std::string Identity::to_string(bool include_private) const {
  std::string s;
  // Sized once: growing by reallocation would leave part of the private
  // hex in a freed buffer, out of reach of the caller's wipe().
  s.reserve(10 + 3 + 2 * kPublicKeySize + 1 + 2 * kPrivateKeySize);
  s += address_string();
  s += ":0:";
  put_hex(s, public_.data(), kPublicKeySize);
  if (include_private && has_private_) {
    s.push_back(':');
    put_hex(s, private_.data(), kPrivateKeySize);
  }
  return s;  // no trailing newline, like the reference
}

void Identity::append_binary(std::vector<uint8_t>& out, bool include_private) const {
  for (int i = 4; i >= 0; --i) out.push_back(uint8_t(address_ >> (8 * i)));
  out.push_back(0);  // type
  out.insert(out.end(), public_.begin(), public_.end());
  if (include_private && has_private_) {
    out.push_back(uint8_t(kPrivateKeySize));
    out.insert(out.end(), private_.bytes.begin(), private_.bytes.end());
  } else {
    out.push_back(0);
  }
}

std::optional<Identity> Identity::from_binary(std::span<const uint8_t> in, size_t* consumed,
                                              std::string* error) {
  std::string* e = error;
  if (in.size() < kIdentityBinaryPublicSize)
    return fail(e, "identity: binary form shorter than 71 bytes");
  Identity id;
  for (int i = 0; i < 5; ++i) id.address_ = (id.address_ << 8) | in[i];
  if (is_reserved_address(id.address_))
    return fail(e, "identity: reserved address (zero or first byte 0xff)");
  if (in[5] != 0) return fail(e, "identity: type is not 0");
  std::memcpy(id.public_.data(), in.data() + 6, kPublicKeySize);
  const uint8_t priv_len = in[70];
  size_t n = kIdentityBinaryPublicSize;
  if (priv_len == kPrivateKeySize) {
    if (in.size() < n + kPrivateKeySize)
      return fail(e, "identity: binary private key truncated");
    std::memcpy(id.private_.data(), in.data() + n, kPrivateKeySize);
    id.has_private_ = true;
    n += kPrivateKeySize;
  } else if (priv_len != 0) {
    return fail(e, "identity: private key length byte is neither 0 nor 64");
  }
  if (consumed) *consumed = n;
  return id;
}

}  // namespace flatnet::crypto
