// Bounds-checked big-endian byte reader and writer for every wire codec.
//
// Both are sticky: the first out-of-bounds access sets a failure flag, the
// access returns zeros / writes nothing, and every later call is a no-op. A
// parser therefore reads a whole structure and checks ok() once at the end
// instead of testing each field, and no exception or out-of-range access can
// escape a hot path. Header-only; standard library only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

namespace flatnet::wire {

class Reader {
 public:
  explicit Reader(std::span<const uint8_t> in) : p_(in.data()), n_(in.size()) {}
  Reader(const uint8_t* p, size_t n) : p_(p), n_(n) {}

  bool ok() const { return ok_; }
  size_t position() const { return pos_; }
  size_t remaining() const { return ok_ ? n_ - pos_ : 0; }

  uint8_t u8() {
    if (!take(1)) return 0;
    return p_[pos_ - 1];
  }
  uint16_t u16() {
    if (!take(2)) return 0;
    const uint8_t* q = p_ + pos_ - 2;
    return uint16_t((q[0] << 8) | q[1]);
  }
  uint32_t u32() {
    if (!take(4)) return 0;
    const uint8_t* q = p_ + pos_ - 4;
    return (uint32_t(q[0]) << 24) | (uint32_t(q[1]) << 16) | (uint32_t(q[2]) << 8) | q[3];
  }
  uint64_t u40() {
    if (!take(5)) return 0;
    uint64_t v = 0;
    for (const uint8_t* q = p_ + pos_ - 5; q != p_ + pos_; ++q) v = (v << 8) | *q;
    return v;
  }
  uint64_t u64() {
    if (!take(8)) return 0;
    uint64_t v = 0;
    for (const uint8_t* q = p_ + pos_ - 8; q != p_ + pos_; ++q) v = (v << 8) | *q;
    return v;
  }
  // Copies n bytes into out (zero-fills out on failure so callers never see
  // uninitialised memory).
  bool bytes(uint8_t* out, size_t n) {
    if (!take(n)) {
      std::memset(out, 0, n);
      return false;
    }
    std::memcpy(out, p_ + pos_ - n, n);
    return true;
  }
  // A view of the next n bytes, empty on failure.
  std::span<const uint8_t> view(size_t n) {
    if (!take(n)) return {};
    return {p_ + pos_ - n, n};
  }
  bool skip(size_t n) { return take(n); }
  // Everything not read yet, as a view (does not advance).
  std::span<const uint8_t> rest() const {
    return ok_ ? std::span<const uint8_t>(p_ + pos_, n_ - pos_) : std::span<const uint8_t>();
  }
  void fail() { ok_ = false; }

 private:
  bool take(size_t n) {
    if (!ok_ || n > n_ - pos_) {
      ok_ = false;
      return false;
    }
    pos_ += n;
    return true;
  }

  const uint8_t* p_;
  size_t n_;
  size_t pos_ = 0;
  bool ok_ = true;
};

// Appends to a caller-owned vector, refusing to grow past `limit` (so a
// serializer can enforce a format's maximum size, e.g. 8480 for worlds).
class Writer {
 public:
  explicit Writer(std::vector<uint8_t>& out, size_t limit = SIZE_MAX) : out_(out), limit_(limit) {}

  bool ok() const { return ok_; }
  size_t size() const { return out_.size(); }

  void u8(uint8_t v) { put(&v, 1); }
  void u16(uint16_t v) {
    const uint8_t b[2] = {uint8_t(v >> 8), uint8_t(v)};
    put(b, 2);
  }
  void u32(uint32_t v) {
    const uint8_t b[4] = {uint8_t(v >> 24), uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)};
    put(b, 4);
  }
  void u40(uint64_t v) {
    uint8_t b[5];
    for (int i = 4; i >= 0; --i, v >>= 8) b[i] = uint8_t(v);
    put(b, 5);
  }
  void u64(uint64_t v) {
    uint8_t b[8];
    for (int i = 7; i >= 0; --i, v >>= 8) b[i] = uint8_t(v);
    put(b, 8);
  }
  void bytes(const uint8_t* p, size_t n) { put(p, n); }
  void bytes(std::span<const uint8_t> s) { put(s.data(), s.size()); }
  void fill(uint8_t v, size_t n) {
    if (!room(n)) return;
    out_.insert(out_.end(), n, v);
  }

 private:
  bool room(size_t n) {
    if (!ok_ || n > limit_ || out_.size() > limit_ - n) ok_ = false;
    return ok_;
  }
  void put(const uint8_t* p, size_t n) {
    if (!room(n)) return;
    out_.insert(out_.end(), p, p + n);
  }

  std::vector<uint8_t>& out_;
  size_t limit_;
  bool ok_ = true;
};

}  // namespace flatnet::wire
