// COM, tag, revocation, certificate of ownership, capability and the
// NETWORK_CREDENTIALS payload: round trips, exact signed-message layout,
// sign/verify, agreement, and every decode status.
#include <gtest/gtest.h>

#include "dataplane/wire/network_credentials.hpp"
#include "tests/unit/wire/vl2_ids.hpp"

using namespace flatnet;
using namespace flatnet::wire;
using namespace flatnet::wire::testing;

namespace {

IdentityLookup all_ids() {
  return [](uint64_t a) -> const crypto::Identity* {
    for (const auto* id : {&controller_id(), &member_id(), &other_id()})
      if (id->address() == a) return id;
    return nullptr;
  };
}
const IdentityLookup kNobody = [](uint64_t) -> const crypto::Identity* { return nullptr; };

// Every strict prefix of a valid encoding must fail cleanly with a status
// (never read out of bounds; ASan checks the rest).
template <typename T, typename DecodeFn>
void every_prefix_fails(const std::vector<uint8_t>& full, DecodeFn decode) {
  for (size_t n = 0; n < full.size(); ++n) {
    T x;
    EXPECT_NE(decode(std::span<const uint8_t>(full.data(), n), x, nullptr), CredentialStatus::kOk)
        << "prefix " << n;
  }
}

bool starts_and_ends_with_marker(const std::vector<uint8_t>& m) {
  if (m.size() < 16) return false;
  for (size_t i = 0; i < 8; ++i)
    if (m[i] != 0x7f || m[m.size() - 1 - i] != 0x7f) return false;
  return true;
}

}  // namespace

TEST(Com, IssueSignEncodeVerify) {
  const uint64_t nwid = test_nwid();
  auto com = CertificateOfMembership::issue(1000, 1800000, nwid, member_id());
  ASSERT_EQ(com.qualifiers.size(), 7u);
  EXPECT_EQ(com.timestamp(), 1000u);
  EXPECT_EQ(com.network_id(), nwid);
  EXPECT_EQ(com.issued_to(), member_id().address());
  EXPECT_EQ(com_signed_message(com).size(), 7u * 24);
  // Unsigned: 3 + 168 + 5 bytes, no signature.
  std::vector<uint8_t> u;
  ASSERT_TRUE(encode_com(com, u));
  EXPECT_EQ(u.size(), 176u);
  EXPECT_EQ(com_verify(com, all_ids()), VerifyResult::kWrongSigner);
  ASSERT_TRUE(com_sign(com, controller_id()));
  EXPECT_EQ(com.signed_by, controller_id().address());
  std::vector<uint8_t> s;
  ASSERT_TRUE(encode_com(com, s));
  EXPECT_EQ(s.size(), 272u);  // spec: signed COM with 7 qualifiers
  CertificateOfMembership back;
  size_t used = 0;
  ASSERT_EQ(decode_com(s, back, &used), CredentialStatus::kOk);
  EXPECT_EQ(used, s.size());
  EXPECT_EQ(back, com);
  EXPECT_EQ(com_verify(back, all_ids()), VerifyResult::kOk);
  uint64_t need = 0;
  EXPECT_EQ(com_verify(back, kNobody, &need), VerifyResult::kNeedIdentity);
  EXPECT_EQ(need, controller_id().address());
  back.qualifiers[1].max_delta = 1;
  EXPECT_EQ(com_verify(back, all_ids()), VerifyResult::kBadSignature);
  // Signed by someone other than the network's controller.
  auto wrong = CertificateOfMembership::issue(1000, 1800000, nwid, member_id());
  ASSERT_TRUE(com_sign(wrong, other_id()));
  EXPECT_EQ(com_verify(wrong, all_ids()), VerifyResult::kWrongSigner);
  // No private key, too many qualifiers.
  EXPECT_FALSE(com_sign(wrong, *crypto::Identity::from_string(member_id().to_string(false))));
  every_prefix_fails<CertificateOfMembership>(s, decode_com);
}

TEST(Com, DecodeStatuses) {
  CertificateOfMembership c;
  EXPECT_EQ(decode_com(std::vector<uint8_t>{2, 0, 0, 0, 0, 0, 0, 0}, c), CredentialStatus::kBadFormat);
  EXPECT_EQ(decode_com(std::vector<uint8_t>{1, 0, 9}, c), CredentialStatus::kTooManyQualifiers);
  std::vector<uint8_t> b = {1, 0, 2};
  Writer w(b);
  w.u64(5); w.u64(0); w.u64(0);
  w.u64(4); w.u64(0); w.u64(0);  // id goes down
  w.u40(0);
  EXPECT_EQ(decode_com(b, c), CredentialStatus::kQualifierOrder);
  b[3 + 24 + 7] = 5;  // equal ids are allowed, as stock
  EXPECT_EQ(decode_com(b, c), CredentialStatus::kOk);
  EXPECT_EQ(c.signed_by, 0u);
  CertificateOfMembership many;
  many.qualifiers.resize(kComMaxQualifiers + 1);
  std::vector<uint8_t> out;
  EXPECT_FALSE(encode_com(many, out));
  EXPECT_FALSE(com_sign(many, controller_id()));
  for (int s = 0; s <= int(CredentialStatus::kTooManyCredentials); ++s)
    EXPECT_STRNE(to_string(CredentialStatus(s)), "?");
  for (int r = 0; r <= int(VerifyResult::kNeedIdentity); ++r) EXPECT_STRNE(to_string(VerifyResult(r)), "?");
}

TEST(Com, Agreement) {
  const uint64_t nwid = test_nwid();
  const auto ours = CertificateOfMembership::issue(10'000'000, 1'800'000, nwid, controller_id());
  const auto theirs = CertificateOfMembership::issue(11'000'000, 1'800'000, nwid, member_id());
  EXPECT_TRUE(com_agrees_with(ours, theirs, member_id()));
  // Bound to the exact identity.
  EXPECT_FALSE(com_agrees_with(ours, theirs, other_id()));
  // Timestamps: at most maxDelta apart (ours' maxDelta counts).
  auto edge = theirs;
  edge.qualifiers[0].value = 10'000'000 + 1'800'000;
  EXPECT_TRUE(com_agrees_with(ours, edge, member_id()));
  edge.qualifiers[0].value += 1;
  EXPECT_FALSE(com_agrees_with(ours, edge, member_id()));
  edge.qualifiers[0].value = 10'000'000 - 1'800'001;
  EXPECT_FALSE(com_agrees_with(ours, edge, member_id()));
  // Another network; a missing qualifier; empty COMs.
  const auto elsewhere = CertificateOfMembership::issue(11'000'000, 1'800'000, nwid + 1, member_id());
  EXPECT_FALSE(com_agrees_with(ours, elsewhere, member_id()));
  auto missing = theirs;
  missing.qualifiers.pop_back();
  EXPECT_FALSE(com_agrees_with(ours, missing, member_id()));
  EXPECT_FALSE(com_agrees_with(CertificateOfMembership(), theirs, member_id()));
  EXPECT_FALSE(com_agrees_with(ours, CertificateOfMembership(), member_id()));
  // An old-style COM without identity words: only the tuple comparison.
  auto old_ours = ours, old_theirs = theirs;
  old_ours.qualifiers.resize(3);
  old_theirs.qualifiers.resize(3);
  EXPECT_TRUE(com_agrees_with(old_ours, old_theirs, other_id()));
  EXPECT_FALSE(com_agrees_with(ours, old_theirs, member_id()));
}

TEST(Tag, RoundTripSignVerify) {
  Tag t;
  t.network_id = test_nwid();
  t.timestamp = 12345;
  t.id = 7;
  t.value = 99;
  t.issued_to = member_id().address();
  const auto msg = tag_signed_message(t);
  EXPECT_TRUE(starts_and_ends_with_marker(msg));
  EXPECT_EQ(msg.size(), 8u + 8 + 8 + 4 + 4 + 5 + 5 + 2 + 8);
  ASSERT_TRUE(tag_sign(t, controller_id()));
  std::vector<uint8_t> b;
  Writer w(b);
  write_tag(w, t);
  EXPECT_EQ(b.size(), 8u + 8 + 4 + 4 + 5 + 5 + 3 + 96 + 2);
  Tag back;
  ASSERT_EQ(decode_tag(b, back), CredentialStatus::kOk);
  EXPECT_EQ(back, t);
  EXPECT_EQ(tag_verify(back, all_ids()), VerifyResult::kOk);
  EXPECT_EQ(tag_verify(back, kNobody), VerifyResult::kNeedIdentity);
  back.value = 100;
  EXPECT_EQ(tag_verify(back, all_ids()), VerifyResult::kBadSignature);
  Tag wrong = t;
  ASSERT_TRUE(tag_sign(wrong, other_id()));
  EXPECT_EQ(tag_verify(wrong, all_ids()), VerifyResult::kWrongSigner);
  every_prefix_fails<Tag>(b, decode_tag);
  // Signature block: type 1 must be 96 long; another type is skipped.
  auto bad = b;
  bad[34 + 2] = 95;
  EXPECT_EQ(decode_tag(bad, back), CredentialStatus::kBadSignatureLength);
  std::vector<uint8_t> other(b.begin(), b.begin() + 34);
  other.insert(other.end(), {2, 0, 3, 1, 2, 3, 0, 2, 9, 9});  // sig type 2, 3 bytes; ext 2 bytes
  size_t used = 0;
  ASSERT_EQ(decode_tag(other, back, &used), CredentialStatus::kOk);
  EXPECT_EQ(used, other.size());
  EXPECT_EQ(back.signature, crypto::Signature{});
}

TEST(Revocation, RoundTripSignVerify) {
  Revocation v;
  v.id = 0xabcdef;
  v.network_id = test_nwid();
  v.credential_id = 0;
  v.threshold = 1795571756645;
  v.flags = kRevocationFlagFastPropagate;
  v.target = member_id().address();
  v.type = CredentialType::kCom;
  EXPECT_TRUE(v.fast_propagate());
  const auto msg = revocation_signed_message(v);
  EXPECT_TRUE(starts_and_ends_with_marker(msg));
  EXPECT_EQ(msg.size(), 8u + 4 + 4 + 8 + 4 + 4 + 8 + 8 + 5 + 5 + 1 + 2 + 8);
  ASSERT_TRUE(revocation_sign(v, controller_id()));
  std::vector<uint8_t> b;
  Writer w(b);
  write_revocation(w, v);
  EXPECT_EQ(b.size(), 4u + 4 + 8 + 4 + 4 + 8 + 8 + 5 + 5 + 1 + 3 + 96 + 2);
  Revocation back;
  ASSERT_EQ(decode_revocation(b, back), CredentialStatus::kOk);
  EXPECT_EQ(back, v);
  EXPECT_EQ(revocation_verify(back, all_ids()), VerifyResult::kOk);
  back.threshold += 1;
  EXPECT_EQ(revocation_verify(back, all_ids()), VerifyResult::kBadSignature);
  EXPECT_EQ(revocation_verify(v, kNobody), VerifyResult::kNeedIdentity);
  Revocation unsigned_v;
  EXPECT_EQ(revocation_verify(unsigned_v, all_ids()), VerifyResult::kWrongSigner);
  EXPECT_FALSE(revocation_sign(v, *crypto::Identity::from_string(controller_id().to_string(false))));
  every_prefix_fails<Revocation>(b, decode_revocation);
}

TEST(CertificateOfOwnership, RoundTripSignVerifyOwns) {
  CertificateOfOwnership c;
  c.network_id = test_nwid();
  c.timestamp = 5;
  c.id = 1;
  c.issued_to = member_id().address();
  const auto v4 = *InetAddress::from_string("10.99.100.12/0");
  const auto v6 = *InetAddress::from_string("fd99::12/0");
  ASSERT_TRUE(c.add_ip(v4));
  ASSERT_TRUE(c.add_ip(v6));
  ASSERT_TRUE(c.add_mac({2, 1, 2, 3, 4, 5}));
  EXPECT_FALSE(c.add_ip(InetAddress()));
  EXPECT_TRUE(c.owns_ip(v4));
  EXPECT_TRUE(c.owns_ip(v6));
  EXPECT_FALSE(c.owns_ip(*InetAddress::from_string("10.99.100.13/0")));
  EXPECT_FALSE(c.owns_ip(InetAddress()));
  EXPECT_TRUE(starts_and_ends_with_marker(coo_signed_message(c)));
  ASSERT_TRUE(coo_sign(c, controller_id()));
  std::vector<uint8_t> b;
  Writer w(b);
  ASSERT_TRUE(write_coo(w, c));
  EXPECT_EQ(b.size(), 8u + 8 + 8 + 4 + 2 + 3 * 17 + 5 + 5 + 3 + 96 + 2);
  CertificateOfOwnership back;
  ASSERT_EQ(decode_coo(b, back), CredentialStatus::kOk);
  EXPECT_EQ(back, c);
  EXPECT_EQ(coo_verify(back, all_ids()), VerifyResult::kOk);
  back.things[0].value[0] = 11;
  EXPECT_EQ(coo_verify(back, all_ids()), VerifyResult::kBadSignature);
  EXPECT_EQ(coo_verify(c, kNobody), VerifyResult::kNeedIdentity);
  every_prefix_fails<CertificateOfOwnership>(b, decode_coo);
  // At most 16 things, on both sides.
  while (c.add_mac({2, 0, 0, 0, 0, uint8_t(c.things.size())})) {}
  EXPECT_EQ(c.things.size(), kCooMaxThings);
  c.things.push_back({});
  b.clear();
  EXPECT_FALSE(write_coo(w, c));
  EXPECT_FALSE(coo_sign(c, controller_id()));
  std::vector<uint8_t> big(30, 0);
  big[28] = 0;
  big[29] = 17;
  EXPECT_EQ(decode_coo(big, back), CredentialStatus::kTooManyThings);
}

TEST(Capability, CustodyChain) {
  Capability cap;
  cap.network_id = test_nwid();
  cap.timestamp = 77;
  cap.id = 3;
  cap.max_custody = 3;
  cap.rules = {Rule::action(RuleType::kActionAccept)};
  const auto msg = capability_signed_message(cap);
  EXPECT_TRUE(starts_and_ends_with_marker(msg));
  EXPECT_EQ(msg.size(), 8u + 8 + 8 + 4 + 2 + 2 + 1 + 2 + 8);
  EXPECT_EQ(capability_verify(cap, all_ids()), VerifyResult::kBadChain);  // unsigned
  ASSERT_TRUE(capability_sign(cap, controller_id(), member_id().address()));
  EXPECT_EQ(capability_verify(cap, all_ids()), VerifyResult::kOk);
  EXPECT_EQ(cap.issued_to(), member_id().address());
  // Passed on by the member: every hop signs the same message.
  ASSERT_TRUE(capability_sign(cap, member_id(), other_id().address()));
  EXPECT_EQ(cap.issued_to(), other_id().address());
  EXPECT_EQ(capability_verify(cap, all_ids()), VerifyResult::kOk);
  std::vector<uint8_t> b;
  Writer w(b);
  ASSERT_TRUE(write_capability(w, cap));
  EXPECT_EQ(b.size(), 8u + 8 + 4 + 2 + 2 + 1 + 2 * (5 + 5 + 3 + 96) + 5 + 2);
  Capability back;
  ASSERT_EQ(decode_capability(b, back), CredentialStatus::kOk);
  EXPECT_EQ(back, cap);
  EXPECT_EQ(capability_verify(back, all_ids()), VerifyResult::kOk);
  every_prefix_fails<Capability>(b, decode_capability);
  uint64_t need = 0;
  EXPECT_EQ(capability_verify(back, [](uint64_t a) -> const crypto::Identity* {
              return a == controller_id().address() ? &controller_id() : nullptr;
            }, &need),
            VerifyResult::kNeedIdentity);
  EXPECT_EQ(need, member_id().address());
  // Broken chains: a hop not from the previous holder; hop 0 not from the
  // controller; a tampered rule.
  auto broken = cap;
  broken.custody[1].from = other_id().address();
  EXPECT_EQ(capability_verify(broken, all_ids()), VerifyResult::kBadChain);
  Capability forged = cap;
  forged.custody.clear();
  ASSERT_TRUE(capability_sign(forged, other_id(), member_id().address()));
  EXPECT_EQ(capability_verify(forged, all_ids()), VerifyResult::kWrongSigner);
  auto tampered = cap;
  tampered.rules[0] = Rule::action(RuleType::kActionDrop);
  EXPECT_EQ(capability_verify(tampered, all_ids()), VerifyResult::kBadSignature);
  // Full chain, zero recipient, no private key.
  ASSERT_TRUE(capability_sign(cap, other_id(), member_id().address()));
  EXPECT_FALSE(capability_sign(cap, member_id(), other_id().address()));
  EXPECT_FALSE(capability_sign(broken, member_id(), 0));
}

TEST(Capability, DecodeStatuses) {
  Capability cap;
  cap.network_id = test_nwid();
  cap.max_custody = 1;
  ASSERT_TRUE(capability_sign(cap, controller_id(), member_id().address()));
  std::vector<uint8_t> b;
  Writer w(b);
  ASSERT_TRUE(write_capability(w, cap));
  Capability back;
  // Rule count over 64.
  auto x = b;
  x[20] = 0;
  x[21] = 65;
  EXPECT_EQ(decode_capability(x, back), CredentialStatus::kTooManyRules);
  // Max custody 0 and 8.
  x = b;
  x[22] = 0;
  EXPECT_EQ(decode_capability(x, back), CredentialStatus::kBadCustodyLength);
  x[22] = 8;
  EXPECT_EQ(decode_capability(x, back), CredentialStatus::kBadCustodyLength);
  // Two hops where one is allowed.
  x = b;
  x.insert(x.begin() + 23 + 109, b.begin() + 23, b.begin() + 23 + 109);
  EXPECT_EQ(decode_capability(x, back), CredentialStatus::kChainTooLong);
  x[22] = 2;
  EXPECT_EQ(decode_capability(x, back), CredentialStatus::kOk);
  // A rule with a short field length.
  Capability r;
  r.network_id = 1;
  std::vector<uint8_t> rb;
  Writer rw(rb);
  ASSERT_TRUE(write_capability(rw, r));
  rb[21] = 1;
  rb.insert(rb.begin() + 22, {37, 1, 8});
  EXPECT_EQ(decode_capability(rb, back), CredentialStatus::kBadRule);
  // Encoder limits.
  Capability lim;
  lim.rules.resize(kCapabilityMaxRules + 1);
  std::vector<uint8_t> o;
  Writer ow(o);
  EXPECT_FALSE(write_capability(ow, lim));
  EXPECT_TRUE(capability_signed_message(lim).empty());
  EXPECT_FALSE(capability_sign(lim, controller_id(), 1));
  EXPECT_EQ(capability_verify(lim, all_ids()), VerifyResult::kBadChain);
  Capability zero_to;
  zero_to.custody.push_back({0, 1, {}});
  std::vector<uint8_t> o2;
  Writer ow2(o2);
  EXPECT_FALSE(write_capability(ow2, zero_to));
}

TEST(NetworkCredentials, RoundTripAndSections) {
  NetworkCredentials nc;
  auto com = CertificateOfMembership::issue(1, 2, test_nwid(), member_id());
  ASSERT_TRUE(com_sign(com, controller_id()));
  nc.coms.push_back(com);
  Capability cap;
  cap.network_id = test_nwid();
  ASSERT_TRUE(capability_sign(cap, controller_id(), member_id().address()));
  nc.capabilities.push_back(cap);
  Tag tag;
  tag.network_id = test_nwid();
  ASSERT_TRUE(tag_sign(tag, controller_id()));
  nc.tags.push_back(tag);
  Revocation rev;
  rev.network_id = test_nwid();
  ASSERT_TRUE(revocation_sign(rev, controller_id()));
  nc.revocations.push_back(rev);
  CertificateOfOwnership coo;
  coo.network_id = test_nwid();
  ASSERT_TRUE(coo_sign(coo, controller_id()));
  nc.coos.push_back(coo);
  std::vector<uint8_t> b;
  ASSERT_TRUE(encode_network_credentials(nc, b));
  NetworkCredentials back;
  ASSERT_EQ(decode_network_credentials(b, back), CredentialStatus::kOk);
  EXPECT_EQ(back, nc);
  // Stock's member push: COM, 00, then counts; old senders stop after 00.
  const std::vector<uint8_t> only_end = {0};
  ASSERT_EQ(decode_network_credentials(only_end, back), CredentialStatus::kOk);
  EXPECT_TRUE(back.coms.empty());
  // Stock's revocation push: 00 0000 0000 0001 <rev> 0000.
  std::vector<uint8_t> push = {0, 0, 0, 0, 0, 0, 1};
  Writer pw(push);
  write_revocation(pw, rev);
  pw.u16(0);
  ASSERT_EQ(decode_network_credentials(push, back), CredentialStatus::kOk);
  ASSERT_EQ(back.revocations.size(), 1u);
  EXPECT_EQ(revocation_verify(back.revocations[0], [](uint64_t a) -> const crypto::Identity* {
              return a == controller_id().address() ? &controller_id() : nullptr;
            }),
            VerifyResult::kOk);
  // Failures name their section; no terminator is truncation.
  unsigned section = 9;
  EXPECT_EQ(decode_network_credentials({}, back, &section), CredentialStatus::kTruncated);
  EXPECT_EQ(section, 0u);
  EXPECT_EQ(decode_network_credentials(std::vector<uint8_t>{0, 0, 1}, back, &section),
            CredentialStatus::kTruncated);
  EXPECT_EQ(section, 1u);
  EXPECT_EQ(decode_network_credentials(std::vector<uint8_t>{0, 0, 0, 0x01, 0x00}, back, &section),
            CredentialStatus::kTooManyCredentials);
  EXPECT_EQ(section, 2u);
  for (size_t n = 0; n + 1 < b.size(); ++n) {
    // A cut inside a credential fails; a cut at a section boundary is fine.
    (void)decode_network_credentials(std::span<const uint8_t>(b.data(), n), back);
  }
  NetworkCredentials too_many;
  too_many.tags.resize(kCredentialsMaxPerSection + 1);
  std::vector<uint8_t> o;
  EXPECT_FALSE(encode_network_credentials(too_many, o));
  NetworkCredentials null_com;
  null_com.coms.emplace_back();
  EXPECT_FALSE(encode_network_credentials(null_com, o));
}
