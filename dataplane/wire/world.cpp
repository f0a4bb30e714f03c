// World codec, signatures and update rule (spec §6).
#include "dataplane/wire/world.hpp"

#include <algorithm>
#include <cstring>

#include "dataplane/wire/bytes.hpp"

namespace flatnet::wire {

namespace {

constexpr uint8_t kSignPrefix = 0x7f;
constexpr uint8_t kSignSuffix = 0xf7;

bool type_valid(uint8_t t) { return t == uint8_t(WorldType::kPlanet) || t == uint8_t(WorldType::kMoon); }

}  // namespace

bool WorldRoot::operator<(const WorldRoot& o) const {
  if (identity.address() != o.identity.address()) return identity.address() < o.identity.address();
  return std::memcmp(identity.public_key().data(), o.identity.public_key().data(),
                     crypto::kPublicKeySize) < 0;
}

const char* to_string(WorldStatus s) {
  switch (s) {
    case WorldStatus::kOk: return "ok";
    case WorldStatus::kTruncated: return "truncated world";
    case WorldStatus::kBadType: return "world type is not planet (1) or moon (127)";
    case WorldStatus::kTooManyRoots: return "too many roots (max 4)";
    case WorldStatus::kTooManyEndpoints: return "too many stable endpoints (max 32)";
    case WorldStatus::kBadIdentity: return "bad root identity";
    case WorldStatus::kBadEndpoint: return "bad stable endpoint";
    case WorldStatus::kTooLong: return "world longer than 8480 bytes";
  }
  return "?";
}

WorldStatus deserialize_world(std::span<const uint8_t> in, World& out, size_t* consumed) {
  out = World{};
  if (consumed) *consumed = 0;
  // Nothing past the maximum length can belong to a world; bounding the
  // view also bounds the moon trailer skip below.
  Reader r(in.first(std::min(in.size(), kWorldMaxSerializedLength)));
  const uint8_t type = r.u8();
  if (!r.ok()) return WorldStatus::kTruncated;
  if (!type_valid(type)) return WorldStatus::kBadType;
  out.type = WorldType(type);
  out.id = r.u64();
  out.timestamp = r.u64();
  r.bytes(out.updates_must_be_signed_by.data(), crypto::kPublicKeySize);
  r.bytes(out.signature.data(), crypto::kSignatureSize);
  const uint8_t nroots = r.u8();
  if (!r.ok()) return WorldStatus::kTruncated;
  if (nroots > kWorldMaxRoots) return WorldStatus::kTooManyRoots;
  out.roots.reserve(nroots);
  for (unsigned i = 0; i < nroots; ++i) {
    WorldRoot root;
    size_t used = 0;
    auto id = crypto::Identity::from_binary(r.rest(), &used);
    if (!id) return r.remaining() < crypto::kIdentityBinaryPublicSize ? WorldStatus::kTruncated
                                                                      : WorldStatus::kBadIdentity;
    root.identity = *id;
    r.skip(used);
    const uint8_t nep = r.u8();
    if (!r.ok()) return WorldStatus::kTruncated;
    if (nep > kWorldMaxEndpointsPerRoot) return WorldStatus::kTooManyEndpoints;
    root.endpoints.reserve(nep);
    for (unsigned k = 0; k < nep; ++k) {
      InetAddress a;
      switch (read_inet_address(r, a)) {
        case InetStatus::kOk:
        case InetStatus::kSkipped:  // kept as a null entry, as stock does
          break;
        case InetStatus::kTruncated: return WorldStatus::kTruncated;
        case InetStatus::kBadType: return WorldStatus::kBadEndpoint;
      }
      root.endpoints.push_back(a);
    }
    out.roots.push_back(std::move(root));
  }
  if (out.type == WorldType::kMoon) {
    const uint16_t len = r.u16();
    auto dict = r.view(len);
    if (!r.ok()) return WorldStatus::kTruncated;
    out.moon_dictionary.assign(dict.begin(), dict.end());
  }
  if (consumed) *consumed = r.position();
  return WorldStatus::kOk;
}

bool serialize_world(const World& w, std::vector<uint8_t>& out, bool for_sign) {
  if (!type_valid(uint8_t(w.type)) || w.roots.size() > kWorldMaxRoots) return false;
  // The limit applies to the stored form; the signed form is 16 bytes
  // longer and 96 shorter, so it is always within it when the stored one is.
  Writer wr(out, out.size() + kWorldMaxSerializedLength + (for_sign ? 16 : 0));
  if (for_sign) wr.fill(kSignPrefix, 8);
  wr.u8(uint8_t(w.type));
  wr.u64(w.id);
  wr.u64(w.timestamp);
  wr.bytes(w.updates_must_be_signed_by.data(), crypto::kPublicKeySize);
  if (!for_sign) wr.bytes(w.signature.data(), crypto::kSignatureSize);
  wr.u8(uint8_t(w.roots.size()));
  for (const auto& root : w.roots) {
    if (root.endpoints.size() > kWorldMaxEndpointsPerRoot) return false;
    std::vector<uint8_t> idbin;
    root.identity.append_binary(idbin, false);
    wr.bytes(idbin);
    wr.u8(uint8_t(root.endpoints.size()));
    for (const auto& ep : root.endpoints) write_inet_address(wr, ep);
  }
  if (w.type == WorldType::kMoon) {
    if (w.moon_dictionary.size() > 0xffff) return false;
    wr.u16(uint16_t(w.moon_dictionary.size()));
    // Appendix E.3: the dictionary bytes are signed too (stock never writes any).
    wr.bytes(w.moon_dictionary);
  }
  if (for_sign) wr.fill(kSignSuffix, 8);
  return wr.ok();
}

bool world_verify(const World& w, const crypto::PublicKey& key) {
  std::vector<uint8_t> msg;
  if (!serialize_world(w, msg, true)) return false;
  return crypto::c25519_verify(key, msg, w.signature);
}

bool world_sign(World& w, const crypto::PublicKey& pub, const crypto::PrivateKey& priv) {
  std::vector<uint8_t> msg;
  if (!serialize_world(w, msg, true)) return false;
  w.signature = crypto::c25519_sign(priv, pub, msg);
  return true;
}

void sort_world_roots(std::vector<WorldRoot>& roots) {
  for (auto& r : roots) std::sort(r.endpoints.begin(), r.endpoints.end());
  std::sort(roots.begin(), roots.end());
}

bool should_be_replaced_by(const World& current, const World& update) {
  if (current.is_null()) return true;
  return update.id == current.id && update.timestamp > current.timestamp &&
         update.type == current.type && world_verify(update, current.updates_must_be_signed_by);
}

}  // namespace flatnet::wire
