// Verb payload codecs (spec §4). See verbs.hpp for the conventions.
#include "control/core/verbs.hpp"

namespace flatnet::control {

using wire::InetAddress;
using wire::InetStatus;
using wire::Reader;
using wire::Writer;

namespace {

// Maps an InetAddress read onto our status; a reserved type (skipped by the
// reader) yields a null address, as stock readers do.
DecodeStatus inet(Reader& r, InetAddress& a) {
  switch (wire::read_inet_address(r, a)) {
    case InetStatus::kOk:
    case InetStatus::kSkipped: return DecodeStatus::kOk;
    case InetStatus::kTruncated: return DecodeStatus::kTruncated;
    case InetStatus::kBadType: return DecodeStatus::kBadAddress;
  }
  return DecodeStatus::kBadAddress;
}

DecodeStatus identity(Reader& r, crypto::Identity& id) {
  std::span<const uint8_t> rest = r.rest();
  size_t used = 0;
  auto parsed = crypto::Identity::from_binary(rest, &used);
  if (!parsed) {
    // Distinguish "ran out of bytes" from "bytes are wrong" for the counters.
    return rest.size() < crypto::kIdentityBinaryPublicSize ? DecodeStatus::kTruncated
                                                            : DecodeStatus::kBadIdentity;
  }
  r.skip(used);
  id = std::move(*parsed);
  return DecodeStatus::kOk;
}

MulticastGroup group(Reader& r) {
  MulticastGroup g;
  uint64_t hi = r.u16();
  g.mac = (hi << 32) | r.u32();
  g.adi = r.u32();
  return g;
}

void put_group(Writer& w, const MulticastGroup& g) {
  w.u16(uint16_t(g.mac >> 32));
  w.u32(uint32_t(g.mac));
  w.u32(g.adi);
}

DecodeStatus done(const Reader& r) { return r.ok() ? DecodeStatus::kOk : DecodeStatus::kTruncated; }

}  // namespace

// ---- HELLO ---------------------------------------------------------------------

DecodeStatus decode_hello(std::span<const uint8_t> payload, Hello& out, size_t* tail_offset) {
  Reader r(payload);
  *tail_offset = 0;
  out.version.proto = r.u8();
  out.version.major = r.u8();
  out.version.minor = r.u8();
  out.version.revision = r.u16();
  out.timestamp = r.u64();
  if (!r.ok()) return DecodeStatus::kTruncated;
  if (DecodeStatus s = identity(r, out.identity); s != DecodeStatus::kOk) return s;
  // Everything after the identity is optional: read while bytes remain, as
  // the stock receiver does.
  out.destination = InetAddress{};
  out.has_planet = false;
  out.has_moons = false;
  out.moons.clear();
  if (r.remaining() > 0) {
    if (DecodeStatus s = inet(r, out.destination); s != DecodeStatus::kOk) return s;
  }
  if (r.remaining() >= 16) {
    out.has_planet = true;
    out.planet_id = r.u64();
    out.planet_timestamp = r.u64();
  }
  if (r.remaining() > 0) *tail_offset = r.position();
  return done(r);
}

DecodeStatus decode_hello_moons(std::span<const uint8_t> payload, size_t tail_offset, Hello& out) {
  if (tail_offset == 0 || tail_offset > payload.size()) return DecodeStatus::kTruncated;
  Reader r(payload.subspan(tail_offset));
  unsigned n = r.u16();
  if (!r.ok()) return DecodeStatus::kTruncated;
  if (n > kHelloMaxMoons) return DecodeStatus::kTooMany;
  out.moons.clear();
  for (unsigned i = 0; i < n; ++i) {
    HelloMoon m;
    m.type = r.u8();
    m.id = r.u64();
    m.timestamp = r.u64();
    if (!r.ok()) return DecodeStatus::kTruncated;
    out.moons.push_back(m);
  }
  out.has_moons = true;
  return DecodeStatus::kOk;
}

void encode_hello(const Hello& h, Writer& w, size_t* tail_offset) {
  size_t start = w.size();
  w.u8(h.version.proto);
  w.u8(h.version.major);
  w.u8(h.version.minor);
  w.u16(h.version.revision);
  w.u64(h.timestamp);
  std::vector<uint8_t> id;
  h.identity.append_binary(id, false);
  w.bytes(id);
  wire::write_inet_address(w, h.destination);
  *tail_offset = 0;
  if (!h.has_planet) return;
  w.u64(h.planet_id);
  w.u64(h.planet_timestamp);
  *tail_offset = w.size() - start;
  w.u16(uint16_t(h.moons.size()));
  for (const HelloMoon& m : h.moons) {
    w.u8(m.type);
    w.u64(m.id);
    w.u64(m.timestamp);
  }
}

// ---- OK / ERROR header -----------------------------------------------------------

DecodeStatus decode_reply_header(std::span<const uint8_t> payload, ReplyHeader& out) {
  Reader r(payload);
  out.in_re_verb = wire::Verb(r.u8() & wire::kVerbMask);
  out.in_re_packet_id = r.u64();
  return done(r);
}

void encode_reply_header(const ReplyHeader& h, Writer& w) {
  w.u8(uint8_t(h.in_re_verb));
  w.u64(h.in_re_packet_id);
}

DecodeStatus decode_ok_hello(std::span<const uint8_t> payload, OkHello& out) {
  if (DecodeStatus s = decode_reply_header(payload, out.re); s != DecodeStatus::kOk) return s;
  Reader r(payload.subspan(kReplyHeaderLength));
  out.timestamp = r.u64();
  out.version.proto = r.u8();
  out.version.major = r.u8();
  out.version.minor = r.u8();
  out.version.revision = r.u16();
  if (!r.ok()) return DecodeStatus::kTruncated;
  out.external = InetAddress{};
  out.worlds.clear();
  // Stock readers treat the address and the world section as optional.
  if (r.remaining() > 0) {
    if (DecodeStatus s = inet(r, out.external); s != DecodeStatus::kOk) return s;
  }
  if (r.remaining() >= 2) {
    size_t len = r.u16();
    std::span<const uint8_t> v = r.view(len);
    if (!r.ok()) return DecodeStatus::kTruncated;
    out.worlds.assign(v.begin(), v.end());
  }
  return done(r);
}

void encode_ok_hello(const OkHello& ok, Writer& w) {
  encode_reply_header(ok.re, w);
  w.u64(ok.timestamp);
  w.u8(ok.version.proto);
  w.u8(ok.version.major);
  w.u8(ok.version.minor);
  w.u16(ok.version.revision);
  wire::write_inet_address(w, ok.external);
  w.u16(uint16_t(ok.worlds.size()));
  w.bytes(ok.worlds);
}

DecodeStatus decode_error(std::span<const uint8_t> payload, Error& out) {
  if (DecodeStatus s = decode_reply_header(payload, out.re); s != DecodeStatus::kOk) return s;
  Reader r(payload.subspan(kReplyHeaderLength));
  out.code = ErrorCode(r.u8());
  if (!r.ok()) return DecodeStatus::kTruncated;
  std::span<const uint8_t> rest = r.rest();
  out.detail.assign(rest.begin(), rest.end());
  return DecodeStatus::kOk;
}

void encode_error(const Error& e, Writer& w) {
  encode_reply_header(e.re, w);
  w.u8(uint8_t(e.code));
  w.bytes(e.detail);
}

// ---- WHOIS -----------------------------------------------------------------------

DecodeStatus decode_whois(std::span<const uint8_t> payload, Whois& out) {
  out.addresses.clear();
  if (payload.size() % wire::kAddressLength != 0 || payload.empty())
    return DecodeStatus::kTruncated;
  Reader r(payload);
  while (r.remaining() >= wire::kAddressLength) out.addresses.push_back(r.u40());
  return done(r);
}

void encode_whois(const Whois& q, Writer& w) {
  for (uint64_t a : q.addresses) w.u40(a);
}

DecodeStatus decode_ok_whois(std::span<const uint8_t> payload, OkWhois& out) {
  if (DecodeStatus s = decode_reply_header(payload, out.re); s != DecodeStatus::kOk) return s;
  Reader r(payload.subspan(kReplyHeaderLength));
  out.identities.clear();
  if (r.remaining() == 0) return DecodeStatus::kTruncated;  // an OK(WHOIS) names someone
  while (r.remaining() > 0) {
    crypto::Identity id;
    if (DecodeStatus s = identity(r, id); s != DecodeStatus::kOk) return s;
    out.identities.push_back(std::move(id));
  }
  return done(r);
}

void encode_ok_whois(const OkWhois& ok, Writer& w) {
  encode_reply_header(ok.re, w);
  std::vector<uint8_t> buf;
  for (const crypto::Identity& id : ok.identities) {
    buf.clear();
    id.append_binary(buf, false);
    w.bytes(buf);
  }
}

// ---- RENDEZVOUS ----------------------------------------------------------------------

DecodeStatus decode_rendezvous(std::span<const uint8_t> payload, Rendezvous& out) {
  Reader r(payload);
  out.flags = r.u8();
  out.with = r.u40();
  uint16_t port = r.u16();
  uint8_t len = r.u8();
  if (!r.ok()) return DecodeStatus::kTruncated;
  uint8_t ip[16];
  if (len != 4 && len != 16) return DecodeStatus::kBadValue;
  if (!r.bytes(ip, len)) return DecodeStatus::kTruncated;
  if (port == 0 || wire::address_is_reserved(out.with)) return DecodeStatus::kBadValue;
  out.at = len == 4 ? InetAddress::v4(ip, port) : InetAddress::v6(ip, port);
  return DecodeStatus::kOk;
}

bool encode_rendezvous(const Rendezvous& r, Writer& w) {
  size_t len = r.at.family == InetAddress::Family::kV4   ? 4
               : r.at.family == InetAddress::Family::kV6 ? 16
                                                         : 0;
  if (len == 0) return false;
  w.u8(r.flags);
  w.u40(r.with);
  w.u16(r.at.port);
  w.u8(uint8_t(len));
  w.bytes(r.at.ip.data(), len);
  return true;
}

// ---- multicast -------------------------------------------------------------------------

DecodeStatus decode_multicast_like(std::span<const uint8_t> payload, MulticastLike& out) {
  out.entries.clear();
  if (payload.size() % kMulticastLikeRecord != 0) return DecodeStatus::kTruncated;
  Reader r(payload);
  while (r.remaining() >= kMulticastLikeRecord) {
    MulticastLikeEntry e;
    e.network_id = r.u64();
    e.group = group(r);
    out.entries.push_back(e);
  }
  return done(r);
}

void encode_multicast_like(const MulticastLike& m, Writer& w) {
  for (const MulticastLikeEntry& e : m.entries) {
    w.u64(e.network_id);
    put_group(w, e.group);
  }
}

DecodeStatus decode_multicast_gather(std::span<const uint8_t> payload, MulticastGather& out) {
  Reader r(payload);
  out.network_id = r.u64();
  out.flags = r.u8();
  out.group = group(r);
  out.limit = r.u32();
  if (!r.ok()) return DecodeStatus::kTruncated;
  out.com.clear();
  if (out.flags & kGatherFlagCom) {
    std::span<const uint8_t> rest = r.rest();
    if (rest.empty()) return DecodeStatus::kTruncated;
    out.com.assign(rest.begin(), rest.end());
  }
  return DecodeStatus::kOk;
}

void encode_multicast_gather(const MulticastGather& g, Writer& w) {
  w.u64(g.network_id);
  w.u8(g.flags);
  put_group(w, g.group);
  w.u32(g.limit);
  if (g.flags & kGatherFlagCom) w.bytes(g.com);
}

DecodeStatus decode_ok_multicast_gather(std::span<const uint8_t> payload, OkMulticastGather& out) {
  if (DecodeStatus s = decode_reply_header(payload, out.re); s != DecodeStatus::kOk) return s;
  Reader r(payload.subspan(kReplyHeaderLength));
  out.network_id = r.u64();
  out.group = group(r);
  out.total_known = r.u32();
  unsigned n = r.u16();
  if (!r.ok()) return DecodeStatus::kTruncated;
  if (size_t(n) * wire::kAddressLength > r.remaining()) return DecodeStatus::kTruncated;
  out.members.clear();
  out.members.reserve(n);
  for (unsigned i = 0; i < n; ++i) out.members.push_back(r.u40());
  return done(r);
}

bool encode_ok_multicast_gather(const OkMulticastGather& ok, Writer& w) {
  if (ok.members.size() > 0xffff) return false;
  encode_reply_header(ok.re, w);
  w.u64(ok.network_id);
  put_group(w, ok.group);
  w.u32(ok.total_known);
  w.u16(uint16_t(ok.members.size()));
  for (uint64_t m : ok.members) w.u40(m);
  return true;
}

// ---- PUSH_DIRECT_PATHS -------------------------------------------------------------

DecodeStatus decode_push_direct_paths(std::span<const uint8_t> payload, PushDirectPaths& out) {
  Reader r(payload);
  unsigned n = r.u16();
  if (!r.ok()) return DecodeStatus::kTruncated;
  if (n > kPushMaxRecords) return DecodeStatus::kTooMany;
  out.paths.clear();
  out.skipped = 0;
  for (unsigned i = 0; i < n; ++i) {
    PushedPath p;
    p.flags = r.u8();
    r.skip(r.u16());  // extension bytes: ignored, as stock does
    uint8_t type = r.u8();
    uint8_t len = r.u8();
    std::span<const uint8_t> a = r.view(len);
    if (!r.ok()) return DecodeStatus::kTruncated;
    if (type == 4 && len == 6) {
      p.address = InetAddress::v4(a.data(), uint16_t((a[4] << 8) | a[5]));
    } else if (type == 6 && len == 18) {
      p.address = InetAddress::v6(a.data(), uint16_t((a[16] << 8) | a[17]));
    } else {
      ++out.skipped;  // other types (or odd lengths) are skipped by length
      continue;
    }
    out.paths.push_back(p);
  }
  return DecodeStatus::kOk;
}

void encode_push_direct_paths(const PushDirectPaths& p, Writer& w) {
  size_t n = 0;
  for (const PushedPath& q : p.paths)
    if (!q.address.is_null()) ++n;
  w.u16(uint16_t(n));
  for (const PushedPath& q : p.paths) {
    bool v4 = q.address.family == InetAddress::Family::kV4;
    if (q.address.is_null()) continue;
    w.u8(q.flags);
    w.u16(0);  // no extension
    w.u8(v4 ? 4 : 6);
    w.u8(v4 ? 6 : 18);
    w.bytes(q.address.ip.data(), v4 ? 4 : 16);
    w.u16(q.address.port);
  }
}

}  // namespace flatnet::control
