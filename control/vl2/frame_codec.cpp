#include "control/vl2/frame_codec.hpp"

#include "dataplane/wire/bytes.hpp"

namespace flatnet::control::vl2 {
namespace {

uint64_t read_mac(wire::Reader& r) {
  uint64_t v = 0;
  for (int i = 0; i < 6; ++i) v = (v << 8) | r.u8();
  return v;
}
void write_mac(wire::Writer& w, uint64_t mac) {
  for (int i = 5; i >= 0; --i) w.u8(uint8_t(mac >> (8 * i)));
}
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
  std::vector<uint8_t> b;
  b.reserve(10 + data.size());
  wire::Writer w(b);
  w.u64(nwid);
  w.u16(ethertype);
  w.bytes(data);
  return b;
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
  std::vector<uint8_t> b;
  b.reserve(23 + data.size());
  wire::Writer w(b);
  w.u64(nwid);
  w.u8(uint8_t(flags & ~kExtFlagCom));  // we never attach the deprecated COM
  write_mac(w, dest);
  write_mac(w, source);
  w.u16(ethertype);
  w.bytes(data);
  return b;
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
                                            std::span<const uint8_t> data) {
  std::vector<uint8_t> b;
  b.reserve(35 + data.size());
  wire::Writer w(b);
  w.u64(nwid);
  w.u8(uint8_t((gather_limit ? kMcFlagGatherLimit : 0) | (source ? kMcFlagSourceMac : 0)));
  if (gather_limit) w.u32(gather_limit);
  if (source) write_mac(w, source);
  write_mac(w, g.mac);
  w.u32(g.adi);
  w.u16(ethertype);
  w.bytes(data.first(std::min(data.size(), kMaxFramePayload)));
  return b;
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
  std::vector<uint8_t> b;
  wire::Writer w(b);
  w.u64(nwid);
  write_mac(w, g.mac);
  w.u32(g.adi);
  w.u8(0x02);
  w.u32(total_known);
  w.u16(uint16_t(members.size()));
  for (uint64_t m : members) w.u40(m);
  return b;
}

std::vector<uint8_t> reply_payload(wire::Verb in_re, uint64_t packet_id,
                                   std::span<const uint8_t> body) {
  std::vector<uint8_t> b;
  wire::Writer w(b);
  encode_reply_header(ReplyHeader{in_re, packet_id}, w);
  w.bytes(body);
  return b;
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
