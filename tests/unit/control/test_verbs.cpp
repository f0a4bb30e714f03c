// Verb codecs: round trips, optional fields, and a table of malformed
// payloads per decoder (truncated, oversized counts, bad address types).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <functional>

#include "control/core/verbs.hpp"
#include "tests/unit/control/harness.hpp"

namespace flatnet::control {
namespace {

using test::v4;

std::vector<uint8_t> bytes_of(const std::function<void(wire::Writer&)>& f) {
  std::vector<uint8_t> out;
  wire::Writer w(out);
  f(w);
  EXPECT_TRUE(w.ok());
  return out;
}

wire::InetAddress v6(uint16_t port) {
  uint8_t ip[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  return wire::InetAddress::v6(ip, port);
}

Hello sample_hello() {
  Hello h;
  h.version = Version{12, 1, 14, 1};
  h.timestamp = 0x0123456789abULL;
  h.identity = test::parse_identity(test::kIdentityA);
  h.destination = v4(10, 99, 0, 1);
  h.has_planet = true;
  h.planet_id = 42424242;
  h.planet_timestamp = 1795567005000ULL;
  h.moons = {HelloMoon{127, 0x359e3db032ULL, 1795567372370ULL}, HelloMoon{127, 0x1122334455ULL, 0}};
  return h;
}

TEST(ControlVerbs, HelloRoundTripWithMoonTail) {
  Hello h = sample_hello();
  size_t tail = 0;
  auto p = bytes_of([&](wire::Writer& w) { encode_hello(h, w, &tail); });
  // 5 + 8 + 71 + 7 + 16 + 2 + 2 x 17
  EXPECT_EQ(p.size(), 5u + 8 + 71 + 7 + 16 + 2 + 34);
  EXPECT_EQ(tail, 5u + 8 + 71 + 7 + 16);

  Hello d;
  size_t dtail = 0;
  ASSERT_EQ(decode_hello(p, d, &dtail), DecodeStatus::kOk);
  EXPECT_EQ(dtail, tail);
  ASSERT_EQ(decode_hello_moons(p, dtail, d), DecodeStatus::kOk);
  EXPECT_EQ(d.version.proto, 12);
  EXPECT_EQ(d.version.revision, 1);
  EXPECT_EQ(d.timestamp, h.timestamp);
  EXPECT_TRUE(d.identity == h.identity);
  EXPECT_FALSE(d.identity.has_private());  // only the public part travels
  EXPECT_EQ(d.destination, h.destination);
  EXPECT_TRUE(d.has_planet);
  EXPECT_EQ(d.planet_timestamp, h.planet_timestamp);
  EXPECT_EQ(d.moons, h.moons);
}

TEST(ControlVerbs, HelloOptionalFieldsMayBeAbsent) {
  Hello h = sample_hello();
  size_t tail = 0;
  auto full = bytes_of([&](wire::Writer& w) { encode_hello(h, w, &tail); });
  // Ends right after the identity: valid, nothing optional present.
  std::vector<uint8_t> p(full.begin(), full.begin() + 84);
  Hello d;
  size_t dtail = 1;
  ASSERT_EQ(decode_hello(p, d, &dtail), DecodeStatus::kOk);
  EXPECT_TRUE(d.destination.is_null());
  EXPECT_FALSE(d.has_planet);
  EXPECT_EQ(dtail, 0u);
  // Ends after the planet fields: no tail.
  p.assign(full.begin(), full.begin() + tail);
  ASSERT_EQ(decode_hello(p, d, &dtail), DecodeStatus::kOk);
  EXPECT_TRUE(d.has_planet);
  EXPECT_EQ(dtail, 0u);
}

TEST(ControlVerbs, HelloMalformed) {
  Hello h = sample_hello();
  size_t tail = 0;
  auto full = bytes_of([&](wire::Writer& w) { encode_hello(h, w, &tail); });
  Hello d;
  size_t t = 0;
  // Every prefix shorter than the identity is truncated.
  for (size_t n = 0; n < 84; ++n) {
    std::vector<uint8_t> p(full.begin(), full.begin() + n);
    EXPECT_NE(decode_hello(p, d, &t), DecodeStatus::kOk) << n;
  }
  // A bad InetAddress type after the identity.
  std::vector<uint8_t> p(full.begin(), full.begin() + 84);
  p.push_back(9);
  EXPECT_EQ(decode_hello(p, d, &t), DecodeStatus::kBadAddress);
  // An identity of an unknown type.
  p.assign(full.begin(), full.end());
  p[13 + 5] = 1;
  EXPECT_EQ(decode_hello(p, d, &t), DecodeStatus::kBadIdentity);
  // Moon count larger than the bytes present, or than we accept.
  p.assign(full.begin(), full.end());
  p[tail] = 0;
  p[tail + 1] = 3;
  EXPECT_EQ(decode_hello_moons(p, tail, d), DecodeStatus::kTruncated);
  p[tail] = 0xff;
  p[tail + 1] = 0xff;
  EXPECT_EQ(decode_hello_moons(p, tail, d), DecodeStatus::kTooMany);
  EXPECT_EQ(decode_hello_moons(p, 0, d), DecodeStatus::kTruncated);
  EXPECT_EQ(decode_hello_moons(p, p.size() + 1, d), DecodeStatus::kTruncated);
}

TEST(ControlVerbs, OkHelloRoundTrip) {
  OkHello ok;
  ok.re = ReplyHeader{wire::Verb::kHello, 0x1122334455667788ULL};
  ok.timestamp = 77;
  ok.version = Version{12, 1, 14, 1};
  ok.external = v6(9993);
  ok.worlds = {1, 2, 3, 4, 5};
  auto p = bytes_of([&](wire::Writer& w) { encode_ok_hello(ok, w); });
  EXPECT_EQ(p.size(), 9u + 8 + 5 + 19 + 2 + 5);
  OkHello d;
  ASSERT_EQ(decode_ok_hello(p, d), DecodeStatus::kOk);
  EXPECT_EQ(d.re.in_re_verb, wire::Verb::kHello);
  EXPECT_EQ(d.re.in_re_packet_id, ok.re.in_re_packet_id);
  EXPECT_EQ(d.timestamp, 77u);
  EXPECT_EQ(d.external, ok.external);
  EXPECT_EQ(d.worlds, ok.worlds);
  // World length beyond the payload.
  p[9 + 8 + 5 + 19 + 1] = 50;
  EXPECT_EQ(decode_ok_hello(p, d), DecodeStatus::kTruncated);
  // Truncated inside the version fields.
  std::vector<uint8_t> shortp(p.begin(), p.begin() + 20);
  EXPECT_EQ(decode_ok_hello(shortp, d), DecodeStatus::kTruncated);
  // Bad address type.
  p[9 + 8 + 5] = 7;
  EXPECT_EQ(decode_ok_hello(p, d), DecodeStatus::kBadAddress);
}

TEST(ControlVerbs, ErrorRoundTripAndTruncation) {
  Error e;
  e.re = ReplyHeader{wire::Verb::kHello, 5};
  e.code = ErrorCode::kIdentityCollision;
  auto p = bytes_of([&](wire::Writer& w) { encode_error(e, w); });
  ASSERT_EQ(p.size(), 10u);
  Error d;
  ASSERT_EQ(decode_error(p, d), DecodeStatus::kOk);
  EXPECT_EQ(d.code, ErrorCode::kIdentityCollision);
  EXPECT_TRUE(d.detail.empty());
  for (size_t n = 0; n < p.size(); ++n)
    EXPECT_EQ(decode_error(std::span(p).first(n), d), DecodeStatus::kTruncated) << n;
}

TEST(ControlVerbs, WhoisAndOkWhois) {
  Whois q{{0x359e3db032ULL, 0xee420f0cdaULL}};
  auto p = bytes_of([&](wire::Writer& w) { encode_whois(q, w); });
  Whois dq;
  ASSERT_EQ(decode_whois(p, dq), DecodeStatus::kOk);
  EXPECT_EQ(dq.addresses, q.addresses);
  EXPECT_EQ(decode_whois(std::span(p).first(7), dq), DecodeStatus::kTruncated);
  EXPECT_EQ(decode_whois({}, dq), DecodeStatus::kTruncated);

  OkWhois ok;
  ok.re = ReplyHeader{wire::Verb::kWhois, 9};
  ok.identities = {test::parse_identity(test::kIdentityA), test::parse_identity(test::kIdentityB)};
  p = bytes_of([&](wire::Writer& w) { encode_ok_whois(ok, w); });
  EXPECT_EQ(p.size(), 9u + 2 * 71);
  OkWhois d;
  ASSERT_EQ(decode_ok_whois(p, d), DecodeStatus::kOk);
  ASSERT_EQ(d.identities.size(), 2u);
  EXPECT_TRUE(d.identities[1] == ok.identities[1]);
  EXPECT_EQ(decode_ok_whois(std::span(p).first(9), d), DecodeStatus::kTruncated);
  EXPECT_EQ(decode_ok_whois(std::span(p).first(9 + 71 + 30), d), DecodeStatus::kTruncated);
}

TEST(ControlVerbs, Rendezvous) {
  for (auto at : {v4(192, 0, 2, 7, 40000), v6(1234)}) {
    Rendezvous r{0, 0xee420f0cdaULL, at};
    std::vector<uint8_t> p;
    wire::Writer w(p);
    ASSERT_TRUE(encode_rendezvous(r, w));
    Rendezvous d;
    ASSERT_EQ(decode_rendezvous(p, d), DecodeStatus::kOk);
    EXPECT_EQ(d.with, r.with);
    EXPECT_EQ(d.at, at);
    for (size_t n = 0; n < p.size(); ++n)
      EXPECT_NE(decode_rendezvous(std::span(p).first(n), d), DecodeStatus::kOk) << n;
  }
  // Address length 5, port 0, reserved peer address.
  std::vector<uint8_t> bad = {0, 0xee, 0x42, 0x0f, 0x0c, 0xda, 0x27, 0x09, 5, 1, 2, 3, 4, 5};
  Rendezvous d;
  EXPECT_EQ(decode_rendezvous(bad, d), DecodeStatus::kBadValue);
  bad = {0, 0xee, 0x42, 0x0f, 0x0c, 0xda, 0, 0, 4, 1, 2, 3, 4};
  EXPECT_EQ(decode_rendezvous(bad, d), DecodeStatus::kBadValue);
  bad = {0, 0xff, 0x42, 0x0f, 0x0c, 0xda, 0x27, 0x09, 4, 1, 2, 3, 4};
  EXPECT_EQ(decode_rendezvous(bad, d), DecodeStatus::kBadValue);
  std::vector<uint8_t> out;
  wire::Writer w(out);
  EXPECT_FALSE(encode_rendezvous(Rendezvous{}, w));
  EXPECT_TRUE(out.empty());
}

TEST(ControlVerbs, MulticastLikeGatherAndOk) {
  MulticastLike m;
  m.entries = {{0xee420f0cda000001ULL, {0xffffffffffffULL, 0x0a636401}},
               {0xee420f0cda000001ULL, {0x333300000001ULL, 0}}};
  auto p = bytes_of([&](wire::Writer& w) { encode_multicast_like(m, w); });
  ASSERT_EQ(p.size(), 36u);
  MulticastLike dm;
  ASSERT_EQ(decode_multicast_like(p, dm), DecodeStatus::kOk);
  EXPECT_EQ(dm.entries, m.entries);
  EXPECT_EQ(decode_multicast_like(std::span(p).first(20), dm), DecodeStatus::kTruncated);
  EXPECT_EQ(decode_multicast_like({}, dm), DecodeStatus::kOk);  // zero records

  MulticastGather g{0xee420f0cda000001ULL, 0, {0xffffffffffffULL, 7}, 32, {}};
  p = bytes_of([&](wire::Writer& w) { encode_multicast_gather(g, w); });
  ASSERT_EQ(p.size(), 23u);
  MulticastGather dg;
  ASSERT_EQ(decode_multicast_gather(p, dg), DecodeStatus::kOk);
  EXPECT_EQ(dg.limit, 32u);
  EXPECT_EQ(dg.group, g.group);
  EXPECT_EQ(decode_multicast_gather(std::span(p).first(22), dg), DecodeStatus::kTruncated);
  p[8] = kGatherFlagCom;  // says a COM follows, but none does
  EXPECT_EQ(decode_multicast_gather(p, dg), DecodeStatus::kTruncated);

  OkMulticastGather ok;
  ok.re = ReplyHeader{wire::Verb::kMulticastGather, 3};
  ok.network_id = g.network_id;
  ok.group = g.group;
  ok.total_known = 9;
  ok.members = {0xee420f0cdaULL, 0xc989c90153ULL};
  p = bytes_of([&](wire::Writer& w) { ASSERT_TRUE(encode_ok_multicast_gather(ok, w)); });
  OkMulticastGather dok;
  ASSERT_EQ(decode_ok_multicast_gather(p, dok), DecodeStatus::kOk);
  EXPECT_EQ(dok.members, ok.members);
  EXPECT_EQ(dok.total_known, 9u);
  // Count says 0xffff members, payload holds 2.
  p[9 + 8 + 10 + 4] = 0xff;
  p[9 + 8 + 10 + 5] = 0xff;
  EXPECT_EQ(decode_ok_multicast_gather(p, dok), DecodeStatus::kTruncated);
}

TEST(ControlVerbs, PushDirectPaths) {
  PushDirectPaths pd;
  pd.paths = {{0, v4(10, 0, 0, 1, 9993)}, {kPushFlagClusterRedirect, v6(9994)}};
  auto p = bytes_of([&](wire::Writer& w) { encode_push_direct_paths(pd, w); });
  ASSERT_EQ(p.size(), 2u + (5 + 6) + (5 + 18));
  PushDirectPaths d;
  ASSERT_EQ(decode_push_direct_paths(p, d), DecodeStatus::kOk);
  EXPECT_EQ(d.paths, pd.paths);
  for (size_t n = 0; n < p.size(); ++n)
    EXPECT_EQ(decode_push_direct_paths(std::span(p).first(n), d), DecodeStatus::kTruncated) << n;

  // An unknown address type with an extension is skipped by its length.
  std::vector<uint8_t> odd = {0, 2,
                              0, 0, 2, 0xaa, 0xbb, 9, 3, 1, 2, 3,    // ext 2, type 9, len 3
                              0, 0, 0, 4, 6, 10, 0, 0, 2, 0x27, 0x09};
  ASSERT_EQ(decode_push_direct_paths(odd, d), DecodeStatus::kOk);
  EXPECT_EQ(d.skipped, 1u);
  ASSERT_EQ(d.paths.size(), 1u);
  EXPECT_EQ(d.paths[0].address, v4(10, 0, 0, 2, 9993));
  // An oversized count.
  std::vector<uint8_t> many = {0xff, 0xff};
  EXPECT_EQ(decode_push_direct_paths(many, d), DecodeStatus::kTooMany);
  // Extension length pointing past the end.
  std::vector<uint8_t> ext = {0, 1, 0, 0xff, 0xff};
  EXPECT_EQ(decode_push_direct_paths(ext, d), DecodeStatus::kTruncated);
}

// Every decoder on random bytes of random length (fixed seed, so the run is
// the same every time): never a crash or an out-of-bounds read (ASan, in
// the sanitizer build), every status one of the enum's, and whatever a
// decoder accepts survives encode -> decode unchanged (the decoders do not
// invent or lose fields). The counts prove the accepting paths ran.
TEST(ControlVerbs, RandomInputNeverCrashes) {
  std::vector<uint8_t> buf(600);
  uint64_t x = 0x9e3779b97f4a7c15ULL;
  auto valid = [](DecodeStatus s) { return s <= DecodeStatus::kTooMany; };
  unsigned whois_ok = 0, like_ok = 0, rdv_ok = 0, push_ok = 0;
  for (int round = 0; round < 2000; ++round) {
    for (auto& b : buf) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      b = uint8_t(x);
    }
    std::span<const uint8_t> p(buf.data(), size_t(x % buf.size()));
    // A push of a few records is otherwise never accepted by chance.
    if (round % 4 == 0 && p.size() >= 2) buf[0] = 0, buf[1] = uint8_t(round % 3);
    Hello h;
    size_t t = 0;
    DecodeStatus s = decode_hello(p, h, &t);
    ASSERT_TRUE(valid(s));
    if (s == DecodeStatus::kOk && t) {
      ASSERT_TRUE(valid(decode_hello_moons(p, t, h)));
    }
    OkHello a;
    ASSERT_TRUE(valid(decode_ok_hello(p, a)));
    Error e;
    ASSERT_TRUE(valid(decode_error(p, e)));
    OkWhois ow;
    ASSERT_TRUE(valid(decode_ok_whois(p, ow)));
    MulticastGather mg;
    ASSERT_TRUE(valid(decode_multicast_gather(p, mg)));
    OkMulticastGather og;
    ASSERT_TRUE(valid(decode_ok_multicast_gather(p, og)));

    Whois w;
    s = decode_whois(p, w);
    ASSERT_TRUE(valid(s));
    if (s == DecodeStatus::kOk) {
      ++whois_ok;
      EXPECT_EQ(w.addresses.size(), p.size() / 5);
      std::vector<uint8_t> out;
      wire::Writer wr(out);
      encode_whois(w, wr);
      EXPECT_TRUE(std::equal(out.begin(), out.end(), p.begin(), p.end())) << round;
    }
    MulticastLike ml;
    s = decode_multicast_like(p, ml);
    ASSERT_TRUE(valid(s));
    if (s == DecodeStatus::kOk) {
      ++like_ok;
      std::vector<uint8_t> out;
      wire::Writer wr(out);
      encode_multicast_like(ml, wr);
      EXPECT_TRUE(std::equal(out.begin(), out.end(), p.begin(), p.end())) << round;
    }
    Rendezvous r;
    s = decode_rendezvous(p, r);
    ASSERT_TRUE(valid(s));
    if (s == DecodeStatus::kOk) {
      ++rdv_ok;
      std::vector<uint8_t> out;
      wire::Writer wr(out);
      ASSERT_TRUE(encode_rendezvous(r, wr));
      Rendezvous again;
      ASSERT_EQ(decode_rendezvous(out, again), DecodeStatus::kOk) << round;
      EXPECT_EQ(again.flags, r.flags);
      EXPECT_EQ(again.with, r.with);
      EXPECT_EQ(again.at, r.at);
    }
    PushDirectPaths pd;
    s = decode_push_direct_paths(p, pd);
    ASSERT_TRUE(valid(s));
    if (s == DecodeStatus::kOk) {
      ++push_ok;
      EXPECT_LE(pd.paths.size() + pd.skipped, kPushMaxRecords);
      std::vector<uint8_t> out;
      wire::Writer wr(out);
      encode_push_direct_paths(pd, wr);
      PushDirectPaths again;
      ASSERT_EQ(decode_push_direct_paths(out, again), DecodeStatus::kOk) << round;
      EXPECT_EQ(again.paths, pd.paths) << round;
      EXPECT_EQ(again.skipped, 0u);
    }
  }
  // Deterministic input: these are fixed numbers; each must be > 0 for the
  // round trips above to have been checked at all.
  EXPECT_GT(whois_ok, 0u);
  EXPECT_GT(like_ok, 0u);
  EXPECT_GT(rdv_ok, 0u);
  EXPECT_GT(push_ok, 0u);
  std::printf("accepted: whois %u, multicast_like %u, rendezvous %u, push %u of 2000\n", whois_ok,
              like_ok, rdv_ok, push_ok);
}

}  // namespace
}  // namespace flatnet::control
