#include "control/vl2/frame_codec.hpp"

#include "dataplane/wire/bytes.hpp"

namespace flatnet::control::vl2 {
namespace {

uint64_t read_mac(wire::Reader& r) {
  uint64_t v = 0;
  for (int i = 0; i < 6; ++i) v = (v << 8) | r.u8();
  return v;
}
// Appends big-endian fields by resize-and-store: GCC 12 warns falsely
// (-Wstringop-overflow) on the vector::insert a wire::Writer would do here.
class Out {
 public:
  explicit Out(size_t reserve) { b_.reserve(reserve); }
  void be(uint64_t v, unsigned bytes) {
    const size_t o = grow(bytes);
    for (unsigned i = 0; i < bytes; ++i) b_[o + i] = uint8_t(v >> (8 * (bytes - 1 - i)));
  }
  void u8(uint8_t v) { be(v, 1); }
  void u16(uint16_t v) { be(v, 2); }
  void u32(uint32_t v) { be(v, 4); }
  void u40(uint64_t v) { be(v, 5); }
  void u64(uint64_t v) { be(v, 8); }
  void mac(uint64_t v) { be(v, 6); }
  void bytes(std::span<const uint8_t> s) {
    const size_t o = grow(s.size());
    std::copy(s.begin(), s.end(), b_.begin() + ptrdiff_t(o));
  }
  std::vector<uint8_t> take() { return std::move(b_); }

 private:
  size_t grow(size_t n) {
    const size_t o = b_.size();
    b_.resize(o + n);
    return o;
  }
  std::vector<uint8_t> b_;
};
// An inline COM (deprecated flag 0x01): parsed so the fields after it are
// found; a COM that does not parse makes the whole payload malformed.
bool read_inline_com(wire::Reader& r, std::optional<wire::CertificateOfMembership>& out) {
  wire::CertificateOfMembership c;
  if (wire::read_com(r, c) != wire::CredentialStatus::kOk) return false;
  out = std::move(c);
  return true;
}
bool payload_fits(const wire::Reader& r) { return r.ok() && r.remaining() <= kMaxFramePayload; }

}  // namespace

bool decode_frame(std::span<const uint8_t> in, FrameMsg& out) {
  wire::Reader r(in);
  out.nwid = r.u64();
  out.ethertype = r.u16();
  if (!payload_fits(r)) return false;
  out.payload = r.rest();
  return true;
}

std::vector<uint8_t> encode_frame(uint64_t nwid, uint16_t ethertype,
                                  std::span<const uint8_t> data) {
  Out w(10 + data.size());
  w.u64(nwid);
  w.u16(ethertype);
  w.bytes(data);
  return w.take();
}

bool decode_ext_frame(std::span<const uint8_t> in, ExtFrameMsg& out) {
  wire::Reader r(in);
  out.nwid = r.u64();
  out.flags = r.u8();
  if (!r.ok()) return false;
  if ((out.flags & kExtFlagCom) && !read_inline_com(r, out.com)) return false;
  out.dest = read_mac(r);
  out.source = read_mac(r);
  out.ethertype = r.u16();
  if (!payload_fits(r)) return false;
  out.payload = r.rest();
  return true;
}

std::vector<uint8_t> encode_ext_frame(uint64_t nwid, uint8_t flags, uint64_t dest,
                                      uint64_t source, uint16_t ethertype,
                                      std::span<const uint8_t> data) {
  Out w(23 + data.size());
  w.u64(nwid);
  w.u8(uint8_t(flags & ~kExtFlagCom));  // we never attach the deprecated COM
  w.mac(dest);
  w.mac(source);
  w.u16(ethertype);
  w.bytes(data);
  return w.take();
}

bool decode_multicast_frame(std::span<const uint8_t> in, MulticastFrameMsg& out) {
  wire::Reader r(in);
  out.nwid = r.u64();
  out.flags = r.u8();
  if (!r.ok()) return false;
  if ((out.flags & kMcFlagCom) && !read_inline_com(r, out.com)) return false;
  if (out.flags & kMcFlagGatherLimit) out.gather_limit = r.u32();
  if (out.flags & kMcFlagSourceMac) out.source = read_mac(r);
  out.group.mac = read_mac(r);
  out.group.adi = r.u32();
  out.ethertype = r.u16();
  if (!payload_fits(r)) return false;
  out.payload = r.rest();
  return true;
}

std::vector<uint8_t> encode_multicast_frame(uint64_t nwid, uint32_t gather_limit, uint64_t source,
                                            const MulticastGroup& g, uint16_t ethertype,
                                            std::span<const uint8_t> data, bool replicate) {
  Out w(35 + data.size());
  w.u64(nwid);
  w.u8(uint8_t((gather_limit ? kMcFlagGatherLimit : 0) | (source ? kMcFlagSourceMac : 0) |
               (replicate ? kMcFlagReplicate : 0)));
  if (gather_limit) w.u32(gather_limit);
  if (source) w.mac(source);
  w.mac(g.mac);
  w.u32(g.adi);
  w.u16(ethertype);
  w.bytes(data.first(std::min(data.size(), kMaxFramePayload)));
  return w.take();
}

namespace {
bool read_results(wire::Reader& r, GatherResult& out) {
  r.u32();  // totalKnown
  const uint16_t n = r.u16();
  if (!r.ok() || r.remaining() < size_t(n) * 5) return false;
  out.members.clear();
  out.members.reserve(n);
  for (uint16_t i = 0; i < n; ++i) out.members.push_back(r.u40());
  return r.ok();
}
}  // namespace

bool decode_ok_gather(std::span<const uint8_t> in, GatherResult& out) {
  wire::Reader r(in);
  out.nwid = r.u64();
  out.group.mac = read_mac(r);
  out.group.adi = r.u32();
  return r.ok() && read_results(r, out);
}

bool decode_ok_multicast_frame(std::span<const uint8_t> in, GatherResult& out) {
  wire::Reader r(in);
  out.nwid = r.u64();
  out.group.mac = read_mac(r);
  out.group.adi = r.u32();
  const uint8_t flags = r.u8();
  if (!r.ok()) return false;
  if (flags & 0x01) {
    std::optional<wire::CertificateOfMembership> com;
    if (!read_inline_com(r, com)) return false;
  }
  if (!(flags & 0x02)) {
    out.members.clear();
    return true;
  }
  return read_results(r, out);
}

std::vector<uint8_t> encode_ok_multicast_frame(uint64_t nwid, const MulticastGroup& g,
                                               uint32_t total_known,
                                               std::span<const uint64_t> members) {
  Out w(29 + 5 * members.size());
  w.u64(nwid);
  w.mac(g.mac);
  w.u32(g.adi);
  w.u8(0x02);
  w.u32(total_known);
  w.u16(uint16_t(members.size()));
  for (uint64_t m : members) w.u40(m);
  return w.take();
}

std::vector<uint8_t> reply_payload(wire::Verb in_re, uint64_t packet_id,
                                   std::span<const uint8_t> body) {
  Out w(kReplyHeaderLength + body.size());
  w.u8(uint8_t(in_re));
  w.u64(packet_id);
  w.bytes(body);
  return w.take();
}

std::vector<uint8_t> error_payload(wire::Verb in_re, uint64_t packet_id, ErrorCode code,
                                   uint64_t nwid) {
  Error e;
  e.re = ReplyHeader{in_re, packet_id};
  e.code = code;
  e.detail.resize(8);
  wire::write_be64(e.detail.data(), nwid);
  std::vector<uint8_t> b;
  wire::Writer w(b);
  encode_error(e, w);
  return b;
}

}  // namespace flatnet::control::vl2
