// World codec, signed form, signatures and the update rule (spec §6).
#include <gtest/gtest.h>

#include "dataplane/wire/world.hpp"

using namespace flatnet;
using namespace flatnet::wire;

namespace {

// Appendix B.1 identity A (public part).
const char* kIdA =
    "36885e5e08:0:9832f96f77a2cb3d30ae891617cb090fdc90842e2ec9914442d30b46b591ad673a4ac1d1"
    "65f80a89f766a738f97ae523e835388859ba6945c245b68d9333c786";
const char* kIdB =
    "f07ab477c4:0:4d1fc2783c19695dda2dee4b2f449b46cf9a28db40fcdff195cf449126df76066cf78f0a"
    "c8beb243c0d31e2de607cf210fe5a6f2b5801f798245c81639a85cd2";

struct Keys {
  crypto::PublicKey pub;
  crypto::PrivateKey priv;
  Keys() { crypto::c25519_generate(pub, priv); }
};

World make(WorldType t, uint64_t id, uint64_t ts, const Keys& next, const Keys& signer) {
  World w;
  w.type = t;
  w.id = id;
  w.timestamp = ts;
  w.updates_must_be_signed_by = next.pub;
  WorldRoot a, b;
  a.identity = *crypto::Identity::from_string(kIdA);
  a.endpoints = {*InetAddress::from_string("10.99.0.1/9993"),
                 *InetAddress::from_string("fd99::1/9993")};
  b.identity = *crypto::Identity::from_string(kIdB);
  w.roots = {b, a};
  EXPECT_TRUE(world_sign(w, signer.pub, signer.priv));
  return w;
}

}  // namespace

TEST(WireWorld, PlanetRoundTripAndSize) {
  Keys k;
  World w = make(WorldType::kPlanet, 42, 1000, k, k);
  std::vector<uint8_t> bin;
  ASSERT_TRUE(serialize_world(w, bin));
  // 178 fixed + 2 roots x (71 identity + 1) + 7 + 19 endpoint bytes
  EXPECT_EQ(bin.size(), 178u + 2 * 72 + 7 + 19);
  World back;
  size_t used = 0;
  ASSERT_EQ(deserialize_world(bin, back, &used), WorldStatus::kOk);
  EXPECT_EQ(used, bin.size());
  EXPECT_EQ(back.roots.size(), 2u);
  EXPECT_EQ(back.roots[0], w.roots[0]);
  EXPECT_EQ(back.roots[1], w.roots[1]);
  std::vector<uint8_t> again;
  ASSERT_TRUE(serialize_world(back, again));
  EXPECT_EQ(again, bin);
  EXPECT_TRUE(world_verify(back, k.pub));
}

TEST(WireWorld, SignedMessageForm) {
  Keys k;
  World w = make(WorldType::kPlanet, 42, 1000, k, k);
  std::vector<uint8_t> bin, msg;
  ASSERT_TRUE(serialize_world(w, bin));
  ASSERT_TRUE(serialize_world(w, msg, true));
  ASSERT_EQ(msg.size(), bin.size() - 96 + 16);
  EXPECT_EQ(std::vector<uint8_t>(msg.begin(), msg.begin() + 8), std::vector<uint8_t>(8, 0x7f));
  EXPECT_EQ(std::vector<uint8_t>(msg.end() - 8, msg.end()), std::vector<uint8_t>(8, 0xf7));
  // the fields before the signature, then everything after it
  EXPECT_TRUE(std::equal(bin.begin(), bin.begin() + 81, msg.begin() + 8));
  EXPECT_TRUE(std::equal(bin.begin() + 177, bin.end(), msg.begin() + 8 + 81));
}

TEST(WireWorld, MoonTrailerIsParsedAndSigned) {
  Keys k;
  World w = make(WorldType::kMoon, 0x36885e5e08, 5, k, k);
  std::vector<uint8_t> bin;
  ASSERT_TRUE(serialize_world(w, bin));
  EXPECT_EQ(bin[bin.size() - 2], 0);
  EXPECT_EQ(bin[bin.size() - 1], 0);  // stock: u16 0
  w.moon_dictionary = {'a', '=', '1', '\n'};
  ASSERT_TRUE(world_sign(w, k.pub, k.priv));
  std::vector<uint8_t> bin2;
  ASSERT_TRUE(serialize_world(w, bin2));
  ASSERT_EQ(bin2.size(), bin.size() + 4);
  World back;
  ASSERT_EQ(deserialize_world(bin2, back), WorldStatus::kOk);
  EXPECT_EQ(back.moon_dictionary, w.moon_dictionary);
  EXPECT_TRUE(world_verify(back, k.pub));
  // The dictionary bytes are covered by the signature (Appendix E.3).
  back.moon_dictionary[0] = 'b';
  EXPECT_FALSE(world_verify(back, k.pub));
}

TEST(WireWorld, EveryTruncationRejected) {
  Keys k;
  for (WorldType t : {WorldType::kPlanet, WorldType::kMoon}) {
    World w = make(t, 7, 9, k, k);
    std::vector<uint8_t> bin;
    ASSERT_TRUE(serialize_world(w, bin));
    for (size_t n = 0; n < bin.size(); ++n) {
      World out;
      EXPECT_NE(deserialize_world({bin.data(), n}, out), WorldStatus::kOk) << n;
    }
  }
}

TEST(WireWorld, LimitsAndTypes) {
  Keys k;
  World w = make(WorldType::kPlanet, 7, 9, k, k);
  std::vector<uint8_t> bin;
  ASSERT_TRUE(serialize_world(w, bin));
  World out;
  for (uint8_t t : {0, 2, 126, 128, 255}) {
    auto bad = bin;
    bad[0] = t;
    EXPECT_EQ(deserialize_world(bad, out), WorldStatus::kBadType) << int(t);
  }
  auto many = bin;
  many[177] = 5;
  EXPECT_EQ(deserialize_world(many, out), WorldStatus::kTooManyRoots);
  auto eps = bin;
  eps[178 + 71] = 33;  // first root's endpoint count
  EXPECT_EQ(deserialize_world(eps, out), WorldStatus::kTooManyEndpoints);
  auto badep = bin;
  // second root (a) has endpoints; first (b) none after sorting? we stored b first.
  badep[178 + 72 + 71 + 1] = 9;  // type byte of a's first endpoint
  EXPECT_EQ(deserialize_world(badep, out), WorldStatus::kBadEndpoint);
  // Serializer refuses to exceed the limits.
  World big = w;
  big.roots.resize(5, w.roots[0]);
  std::vector<uint8_t> tmp;
  EXPECT_FALSE(serialize_world(big, tmp));
  World bigep = w;
  bigep.roots[0].endpoints.assign(33, *InetAddress::from_string("1.2.3.4/5"));
  EXPECT_FALSE(serialize_world(bigep, tmp));
}

TEST(WireWorld, UpdateRule) {
  Keys k1, k2, stranger;
  World cur = make(WorldType::kPlanet, 42, 1000, k2, k1);  // next must be signed by k2
  World nul;
  EXPECT_TRUE(should_be_replaced_by(nul, cur));
  EXPECT_TRUE(should_be_replaced_by(cur, make(WorldType::kPlanet, 42, 1001, k2, k2)));
  EXPECT_FALSE(should_be_replaced_by(cur, make(WorldType::kPlanet, 42, 1000, k2, k2)));  // not newer
  EXPECT_FALSE(should_be_replaced_by(cur, make(WorldType::kPlanet, 42, 999, k2, k2)));
  EXPECT_FALSE(should_be_replaced_by(cur, make(WorldType::kPlanet, 43, 1001, k2, k2)));  // other id
  EXPECT_FALSE(should_be_replaced_by(cur, make(WorldType::kMoon, 42, 1001, k2, k2)));    // other type
  EXPECT_FALSE(should_be_replaced_by(cur, make(WorldType::kPlanet, 42, 1001, k2, k1)));  // wrong signer
  EXPECT_FALSE(should_be_replaced_by(cur, make(WorldType::kPlanet, 42, 1001, k2, stranger)));
  World tampered = make(WorldType::kPlanet, 42, 1001, k2, k2);
  tampered.roots[0].endpoints.push_back(*InetAddress::from_string("6.6.6.6/1"));
  EXPECT_FALSE(should_be_replaced_by(cur, tampered));
}

TEST(WireWorld, StockRootOrder) {
  std::vector<WorldRoot> roots(2);
  roots[0].identity = *crypto::Identity::from_string(kIdB);  // f07ab477c4
  roots[1].identity = *crypto::Identity::from_string(kIdA);  // 36885e5e08
  roots[1].endpoints = {*InetAddress::from_string("fd99::1/9993"),
                        *InetAddress::from_string("10.99.0.1/9993")};
  sort_world_roots(roots);
  EXPECT_EQ(roots[0].identity.address(), 0x36885e5e08ULL);
  EXPECT_EQ(roots[0].endpoints[0].to_string(), "10.99.0.1/9993");
}
