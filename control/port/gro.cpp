// Write-side GRO for the tap. See gro.hpp.
#include "control/port/gro.hpp"

#include <bit>
#include <cstring>

#include "control/port/vnet_hdr.hpp"

namespace flatnet::control::port {

namespace {

constexpr uint8_t kAck = 0x10, kPsh = 0x08;
constexpr uint32_t kNone = UINT32_MAX;

uint16_t be16(const uint8_t* p) { return uint16_t((p[0] << 8) | p[1]); }
uint32_t be32(const uint8_t* p) { return (uint32_t(be16(p)) << 16) | be16(p + 2); }
void put16be(uint8_t* p, uint16_t v) {
  p[0] = uint8_t(v >> 8);
  p[1] = uint8_t(v);
}

uint16_t fold(uint64_t acc) {
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return uint16_t(acc);
}

// One's-complement sum of p[0..n) as big-endian 16-bit words, folded. The
// sum does not depend on byte order except for a final swap, so it adds
// native 32-bit words (every byte of a 64 KiB super-frame passes here once).
uint16_t sum_be(const uint8_t* p, size_t n) {
  uint64_t acc = 0;
  uint32_t w[8];
  for (; n >= 32; p += 32, n -= 32) {
    std::memcpy(w, p, 32);
    acc += uint64_t(w[0]) + w[1] + w[2] + w[3] + w[4] + w[5] + w[6] + w[7];
  }
  for (; n >= 4; p += 4, n -= 4) {
    std::memcpy(w, p, 4);
    acc += w[0];
  }
  uint8_t tail[4] = {0, 0, 0, 0};
  std::memcpy(tail, p, n);
  std::memcpy(w, tail, 4);
  acc += w[0];
  uint16_t s = fold(acc);
  if constexpr (std::endian::native == std::endian::little) s = uint16_t((s >> 8) | (s << 8));
  return s;
}

// The TCP pseudo-header sum (addresses, protocol, TCP length), not folded.
uint64_t pseudo(const uint8_t* f, bool v6, size_t l3, uint32_t l4_len) {
  const uint64_t addrs = v6 ? sum_be(f + l3 + 8, 32) : sum_be(f + l3 + 12, 8);
  return addrs + 6 + (l4_len >> 16) + (l4_len & 0xffff);
}

bool tcp_checksum_ok(const uint8_t* f, bool v6, size_t l3, size_t l4, size_t len) {
  const uint32_t l4_len = uint32_t(len - l4);
  return fold(pseudo(f, v6, l3, l4_len) + sum_be(f + l4, l4_len)) == 0xffff;
}

}  // namespace

bool TapGro::same_flow(const Seg& a, const Seg& b) const {
  if (!a.tcp || !b.tcp || a.v6 != b.v6) return false;
  const size_t at = a.v6 ? 8 : 12, n = a.v6 ? 32 : 8;
  return std::memcmp(a.f + a.l3 + at, b.f + b.l3 + at, n) == 0 &&
         std::memcmp(a.f + a.l4, b.f + b.l4, 4) == 0;
}

bool TapGro::can_join(const Item& it, const Seg& s) const {
  const Seg& h = segs_[it.head];
  const Seg& t = segs_[it.tail];
  if (!s.candidate || !it.open || s.l3 != h.l3 || s.l4 != h.l4 || s.hdrs != h.hdrs) return false;
  if (std::memcmp(s.f, h.f, 14) != 0) return false;  // MACs, ethertype
  const uint8_t* a = h.f + h.l3;
  const uint8_t* b = s.f + s.l3;
  if (s.v6) {
    // version, traffic class, flow label; hop limit
    if (std::memcmp(a, b, 4) != 0 || a[7] != b[7]) return false;
  } else {
    // TOS, flags (DF), TTL; without DF the ids must count up as one sender's would
    if (a[1] != b[1] || a[6] != b[6] || a[8] != b[8]) return false;
    if (!(b[6] & 0x40) && be16(b + 4) != uint16_t(be16(t.f + t.l3 + 4) + 1)) return false;
  }
  const uint8_t* x = h.f + h.l4;
  const uint8_t* y = s.f + s.l4;
  if (s.seq != t.seq + t.payload) return false;
  // ack, data offset and reserved bits, window, options: as tcp_gro_receive
  if (std::memcmp(x + 8, y + 8, 5) != 0 || std::memcmp(x + 14, y + 14, 2) != 0) return false;
  if (std::memcmp(x + 20, y + 20, h.hdrs - h.l4 - 20) != 0) return false;
  if (t.flags != kAck || t.payload != it.gso_size || s.payload > it.gso_size) return false;
  return size_t(h.hdrs - h.l3) + it.payload + s.payload <= kMaxIpLen;
}

size_t TapGro::emit(const Item& it, uint8_t* at) const {
  const Seg& h = segs_[it.head];
  if (it.count == 1) {
    std::memset(at, 0, kVnetHdrLen);
    if (h.len) std::memcpy(at + kVnetHdrLen, h.f, h.len);
    return kVnetHdrLen + h.len;
  }
  VnetHdr v;
  v.flags = kVnetNeedsCsum;
  v.gso_type = h.v6 ? kGsoTcpV6 : kGsoTcpV4;
  v.hdr_len = h.hdrs;
  v.gso_size = uint16_t(it.gso_size);
  v.csum_start = h.l4;
  v.csum_offset = 16;
  build_vnet_hdr(v, at);
  uint8_t* f = at + kVnetHdrLen;
  std::memcpy(f, h.f, h.hdrs);
  size_t off = h.hdrs;
  for (uint32_t j = it.head;; j = next_[j]) {
    const Seg& s = segs_[j];
    std::memcpy(f + off, s.f + s.hdrs, s.payload);
    off += s.payload;
    if (j == it.tail) break;
  }
  const uint32_t l4_len = uint32_t(h.hdrs - h.l4) + it.payload;
  if (h.v6) {
    put16be(f + h.l3 + 4, uint16_t(l4_len));
  } else {
    put16be(f + h.l3 + 2, uint16_t(h.l4 - h.l3 + l4_len));
    put16be(f + h.l3 + 10, 0);
    put16be(f + h.l3 + 10, uint16_t(~sum_be(f + h.l3, h.l4 - h.l3)));
  }
  f[h.l4 + 13] = segs_[it.tail].flags;  // PSH of the last
  // NEEDS_CSUM: the field holds the pseudo-header sum; the kernel trusts
  // the payload (CHECKSUM_PARTIAL), which is why every frame was verified.
  put16be(f + h.l4 + 16, fold(pseudo(f, h.v6, h.l3, l4_len)));
  return kVnetHdrLen + off;
}

void TapGro::coalesce(std::span<const FrameView> in, std::vector<FrameView>* out) {
  const size_t n = in.size();
  segs_.assign(n, Seg{});
  next_.assign(n, kNone);
  items_.clear();
  open_.clear();
  for (uint32_t i = 0; i < n; ++i) {
    Seg& s = segs_[i];
    s.f = in[i].data;
    s.len = in[i].len;
    const uint8_t* f = s.f;
    // Parse: a TCP flow (ports readable), and whether it may merge.
    if (s.len >= 14 + 20) {
      const uint16_t et = be16(f + 12);
      s.l3 = 14;
      size_t ip_len = 0, ihl = 0;
      if (et == 0x0800 && (f[14] >> 4) == 4) {
        ihl = size_t(f[14] & 0x0f) * 4;
        const bool fragment = (be16(f + 14 + 6) & 0x3fff) != 0;  // MF or an offset
        if (ihl >= 20 && f[14 + 9] == 6 && !fragment) {
          s.tcp = true;
          ip_len = be16(f + 14 + 2);
        }
      } else if (et == 0x86dd && s.len >= 14 + 40 && (f[14] >> 4) == 6 && f[14 + 6] == 6) {
        s.tcp = true;
        s.v6 = true;
        ihl = 40;
        ip_len = 40 + size_t(be16(f + 14 + 4));
      }
      if (s.tcp) {
        s.l4 = uint16_t(14 + ihl);
        if (s.l4 + 20u > s.len) s.tcp = false;
      }
      if (s.tcp) {
        const size_t doff = size_t(f[s.l4 + 12] >> 4) * 4;
        s.flags = f[s.l4 + 13];
        s.seq = be32(f + s.l4 + 4);
        s.candidate = doff >= 20 && s.l4 + doff <= s.len && ihl == (s.v6 ? 40 : 20) &&
                      ip_len == s.len - 14u && (s.flags & ~kPsh) == kAck &&
                      s.len > s.l4 + doff;
        if (s.candidate) {
          s.hdrs = uint16_t(s.l4 + doff);
          s.payload = s.len - s.hdrs;
          const bool ok = (s.v6 || sum_be(f + 14, 20) == 0xffff) &&
                          tcp_checksum_ok(f, s.v6, s.l3, s.l4, s.len);
          if (!ok) {
            s.candidate = false;
            ++c_.bad_checksum;
          }
        }
      }
    }
    // Join the flow's open super-frame, or end it and start a new write.
    size_t k = 0;
    if (s.tcp)
      while (k < open_.size() && !same_flow(segs_[items_[open_[k]].head], s)) ++k;
    if (s.tcp && k < open_.size()) {
      Item& it = items_[open_[k]];
      if (can_join(it, s)) {
        next_[it.tail] = i;
        it.tail = i;
        ++it.count;
        it.payload += s.payload;
        if ((s.flags & kPsh) || s.payload < it.gso_size) {
          it.open = false;
          open_[k] = open_.back();
          open_.pop_back();
        }
        continue;
      }
      it.open = false;
      open_[k] = open_.back();
      open_.pop_back();
    }
    Item it;
    it.head = it.tail = i;
    it.payload = it.gso_size = s.payload;
    it.open = s.candidate && !(s.flags & kPsh) && open_.size() < kMaxOpen;
    if (it.open) open_.push_back(uint32_t(items_.size()));
    items_.push_back(it);
  }
  size_t total = 0;
  for (const Item& it : items_) {
    const Seg& h = segs_[it.head];
    total += kVnetHdrLen + (it.count == 1 ? h.len : h.hdrs + it.payload);
  }
  if (buf_.size() < total) buf_.resize(total);
  out->clear();
  size_t at = 0;
  for (const Item& it : items_) {
    const size_t len = emit(it, buf_.data() + at);
    out->push_back({buf_.data() + at, uint32_t(len)});
    at += len;
    if (it.count > 1) {
      ++c_.super_frames;
      c_.merged += it.count;
    }
  }
  c_.in += n;
  c_.out += items_.size();
}

}  // namespace flatnet::control::port
