// virtio_net_hdr codec, checksum completion and GSO segmentation. See
// vnet_hdr.hpp.
#include "control/port/vnet_hdr.hpp"

#include <cstring>

namespace flatnet::control::port {

namespace {

uint16_t get16le(const uint8_t* p) { return uint16_t(p[0] | (p[1] << 8)); }
void put16le(uint8_t* p, uint16_t v) {
  p[0] = uint8_t(v);
  p[1] = uint8_t(v >> 8);
}
uint16_t get16be(const uint8_t* p) { return uint16_t((p[0] << 8) | p[1]); }
void put16be(uint8_t* p, uint16_t v) {
  p[0] = uint8_t(v >> 8);
  p[1] = uint8_t(v);
}
uint32_t get32be(const uint8_t* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3];
}
void put32be(uint8_t* p, uint32_t v) {
  put16be(p, uint16_t(v >> 16));
  put16be(p + 2, uint16_t(v));
}

// One's-complement sum of big-endian 16-bit words, not yet folded.
uint32_t sum16(const uint8_t* p, size_t n, uint32_t acc) {
  for (; n >= 2; p += 2, n -= 2) acc += get16be(p);
  if (n) acc += uint32_t(p[0]) << 8;
  return acc;
}
uint16_t fold(uint32_t acc) {
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return uint16_t(acc);
}

struct Layout {
  size_t l3 = 0;       // IP header offset
  bool v6 = false;
  size_t l4 = 0;       // transport header offset
  size_t l4_hdr = 0;   // transport header length
  uint8_t proto = 0;   // 6 or 17
};

// Finds the IP and L4 headers of an Ethernet frame whose L4 offset the
// vnet header gives (csum_start), checking every offset against `len`.
bool layout(const VnetHdr& h, const uint8_t* f, size_t len, Layout* L) {
  if (len < 14) return false;
  size_t l3 = 14;
  uint16_t et = get16be(f + 12);
  if (et == 0x8100) {
    if (len < 18) return false;
    et = get16be(f + 16);
    l3 = 18;
  }
  if (et == 0x0800) {
    if (len < l3 + 20 || (f[l3] >> 4) != 4 || (f[l3] & 0x0f) < 5) return false;
    L->proto = f[l3 + 9];
  } else if (et == 0x86dd) {
    if (len < l3 + 40 || (f[l3] >> 4) != 6) return false;
    L->v6 = true;
    L->proto = h.gso_type == kGsoTcpV6 || (h.gso_type == kGsoNone && f[l3 + 6] == 6) ? 6 : 17;
  } else {
    return false;
  }
  L->l3 = l3;
  L->l4 = h.csum_start;
  const size_t min_l4 = l3 + (L->v6 ? 40 : size_t(f[l3] & 0x0f) * 4);
  if (L->l4 < min_l4 || L->l4 + 8 > len) return false;
  if (L->proto == 6) {
    if (L->l4 + 20 > len) return false;
    L->l4_hdr = size_t(f[L->l4 + 12] >> 4) * 4;
    if (L->l4_hdr < 20 || L->l4 + L->l4_hdr > len) return false;
  } else if (L->proto == 17) {
    L->l4_hdr = 8;
  } else {
    return false;
  }
  return true;
}

uint32_t pseudo_sum(const uint8_t* f, const Layout& L, uint32_t l4_len) {
  uint32_t acc = 0;
  if (L.v6) acc = sum16(f + L.l3 + 8, 32, acc);
  else acc = sum16(f + L.l3 + 12, 8, acc);
  return acc + L.proto + (l4_len >> 16) + (l4_len & 0xffff);
}

// Full L4 checksum of f[l4 .. l4 + l4_len).
void finish_l4(uint8_t* f, const Layout& L, size_t l4_len) {
  const size_t off = L.l4 + (L.proto == 6 ? 16 : 6);
  put16be(f + off, 0);
  uint16_t c = uint16_t(~fold(sum16(f + L.l4, l4_len, pseudo_sum(f, L, uint32_t(l4_len)))));
  if (L.proto == 17 && c == 0) c = 0xffff;  // 0 means "no checksum" for UDP
  put16be(f + off, c);
}

}  // namespace

bool parse_vnet_hdr(const uint8_t* p, size_t len, VnetHdr* out) {
  if (len < kVnetHdrLen) return false;
  out->flags = p[0];
  out->gso_type = p[1];
  out->hdr_len = get16le(p + 2);
  out->gso_size = get16le(p + 4);
  out->csum_start = get16le(p + 6);
  out->csum_offset = get16le(p + 8);
  return true;
}

void build_vnet_hdr(const VnetHdr& h, uint8_t out[kVnetHdrLen]) {
  out[0] = h.flags;
  out[1] = h.gso_type;
  put16le(out + 2, h.hdr_len);
  put16le(out + 4, h.gso_size);
  put16le(out + 6, h.csum_start);
  put16le(out + 8, h.csum_offset);
}

const char* to_string(GsoError e) {
  switch (e) {
    case GsoError::kNone: return "none";
    case GsoError::kMalformed: return "malformed";
    case GsoError::kUnsupported: return "unsupported";
    case GsoError::kNoRoom: return "no room";
  }
  return "?";
}

bool complete_checksum(const VnetHdr& h, uint8_t* frame, size_t len) {
  if (!(h.flags & kVnetNeedsCsum)) return true;
  const size_t start = h.csum_start, field = size_t(h.csum_start) + h.csum_offset;
  if (start >= len || field + 2 > len) return false;
  // The field already holds the folded pseudo-header sum; summing over it
  // with the rest gives the final value.
  const uint16_t c = uint16_t(~fold(sum16(frame + start, len - start, 0)));
  put16be(frame + field, c);
  return true;
}

size_t gso_split(const VnetHdr& h, const uint8_t* frame, size_t len, std::span<FrameSlot> out,
                 GsoError* err) {
  *err = GsoError::kNone;
  const uint8_t type = h.gso_type & uint8_t(~kGsoEcn);
  if (type == kGsoNone) {
    if (out.empty() || out[0].cap < len) {
      *err = GsoError::kNoRoom;
      return 0;
    }
    if (len != 0) std::memcpy(out[0].data, frame, len);
    out[0].len = uint32_t(len);
    if (!complete_checksum(h, out[0].data, len)) {
      *err = GsoError::kMalformed;
      return 0;
    }
    return 1;
  }
  if (type != kGsoTcpV4 && type != kGsoTcpV6 && type != kGsoUdpL4) {
    *err = GsoError::kUnsupported;
    return 0;
  }
  Layout L;
  if (!layout(h, frame, len, &L) || h.gso_size == 0 || (type == kGsoUdpL4) != (L.proto == 17) ||
      (type == kGsoTcpV6) != (L.v6 && L.proto == 6)) {
    *err = GsoError::kMalformed;
    return 0;
  }
  const size_t hdrs = L.l4 + L.l4_hdr;
  const size_t payload = len - hdrs;
  const size_t segs = payload == 0 ? 1 : (payload + h.gso_size - 1) / h.gso_size;
  if (segs > out.size()) {
    *err = GsoError::kNoRoom;
    return 0;
  }
  const uint16_t ip_id = L.v6 ? 0 : get16be(frame + L.l3 + 4);
  const uint32_t seq = L.proto == 6 ? get32be(frame + L.l4 + 4) : 0;
  const uint8_t tcp_flags = L.proto == 6 ? frame[L.l4 + 13] : 0;
  for (size_t i = 0; i < segs; ++i) {
    const size_t off = i * h.gso_size;
    const size_t n = payload - off < h.gso_size ? payload - off : h.gso_size;
    FrameSlot& s = out[i];
    if (s.cap < hdrs + n) {
      *err = GsoError::kNoRoom;
      return 0;
    }
    uint8_t* f = s.data;
    std::memcpy(f, frame, hdrs);
    std::memcpy(f + hdrs, frame + hdrs + off, n);
    s.len = uint32_t(hdrs + n);
    const size_t l4_len = L.l4_hdr + n;
    if (L.v6) {
      put16be(f + L.l3 + 4, uint16_t(L.l4 - (L.l3 + 40) + l4_len));
    } else {
      put16be(f + L.l3 + 2, uint16_t(L.l4 - L.l3 + l4_len));
      put16be(f + L.l3 + 4, uint16_t(ip_id + i));
      put16be(f + L.l3 + 10, 0);
      const size_t ihl = size_t(f[L.l3] & 0x0f) * 4;
      put16be(f + L.l3 + 10, uint16_t(~fold(sum16(f + L.l3, ihl, 0))));
    }
    if (L.proto == 6) {
      put32be(f + L.l4 + 4, uint32_t(seq + off));
      uint8_t fl = tcp_flags;
      if (i + 1 < segs) fl &= uint8_t(~0x09);  // FIN, PSH: last segment only
      if (i > 0) fl &= uint8_t(~0x80);         // CWR: first segment only
      f[L.l4 + 13] = fl;
    } else {
      put16be(f + L.l4 + 4, uint16_t(l4_len));
    }
    finish_l4(f, L, l4_len);
  }
  return segs;
}

}  // namespace flatnet::control::port
