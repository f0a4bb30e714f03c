// initmoon / genmoon JSON <-> World.
#include "tools/idtool/moon.hpp"

#include <cctype>
#include <cstring>

namespace flatnet::idtool {

namespace {

std::string json_string(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

template <size_t N>
bool unhex_exact(const std::string& s, uint8_t (&out)[N]) {
  auto b = from_hex(s);
  if (!b || b->size() != N) return false;
  std::memcpy(out, b->data(), N);
  return true;
}

}  // namespace

std::string to_hex(const uint8_t* p, size_t n) {
  static const char* d = "0123456789abcdef";
  std::string s;
  s.reserve(2 * n);
  for (size_t i = 0; i < n; ++i) {
    s += d[p[i] >> 4];
    s += d[p[i] & 15];
  }
  return s;
}

std::optional<std::string> from_hex(std::string_view s) {
  std::string out;
  int hi = -1;
  for (char c : s) {
    if (std::isspace(static_cast<unsigned char>(c))) continue;
    int v;
    if (c >= '0' && c <= '9') v = c - '0';
    else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    else return std::nullopt;
    if (hi < 0) {
      hi = v;
    } else {
      out += char((hi << 4) | v);
      hi = -1;
    }
  }
  if (hi >= 0) return std::nullopt;
  return out;
}

nlohmann::json initmoon_json(const crypto::Identity& seed, const crypto::PublicKey& pub,
                             const crypto::PrivateKey& priv) {
  nlohmann::json j;
  j["objtype"] = "world";
  j["worldType"] = "moon";
  j["signingKey"] = to_hex(pub.data(), pub.size());
  j["signingKey_SECRET"] = to_hex(priv.data(), priv.size());
  j["updatesMustBeSignedBy"] = j["signingKey"];
  j["id"] = seed.address_string();
  nlohmann::json root;
  root["identity"] = seed.to_string(false);
  root["stableEndpoints"] = nlohmann::json::array();
  j["roots"] = nlohmann::json::array({root});
  return j;
}

std::optional<wire::World> genmoon_world(const nlohmann::json& j, uint64_t timestamp,
                                         std::string* error) {
  auto fail = [&](std::string why) -> std::optional<wire::World> {
    if (error) *error = std::move(why);
    return std::nullopt;
  };
  if (!j.is_object()) return fail("not a JSON object");
  wire::World w;
  // Stock reads the id as hex (strtoull base 16) and rejects only zero.
  const std::string ids = json_string(j, "id");
  uint64_t id = 0;
  if (!ids.empty() && ids.size() <= 16) {
    auto bytes = from_hex(std::string(16 - ids.size(), '0') + ids);
    if (bytes)
      for (unsigned char c : *bytes) id = (id << 8) | c;
  }
  if (id == 0) return fail("ID is invalid");
  w.id = id;
  const std::string type = json_string(j, "worldType");
  if (type == "moon")
    w.type = wire::WorldType::kMoon;
  else if (type == "planet")
    w.type = wire::WorldType::kPlanet;
  else
    return fail("invalid worldType");
  crypto::PublicKey sign_pub{};
  crypto::PrivateKey sign_priv;
  uint8_t pub[crypto::kPublicKeySize], priv[crypto::kPrivateKeySize], next[crypto::kPublicKeySize];
  if (!unhex_exact(json_string(j, "signingKey"), pub)) return fail("invalid signingKey");
  if (!unhex_exact(json_string(j, "signingKey_SECRET"), priv))
    return fail("invalid signingKey_SECRET");
  if (!unhex_exact(json_string(j, "updatesMustBeSignedBy"), next))
    return fail("invalid updatesMustBeSignedBy");
  std::memcpy(sign_pub.data(), pub, sizeof pub);
  std::memcpy(sign_priv.data(), priv, sizeof priv);
  std::memcpy(w.updates_must_be_signed_by.data(), next, sizeof next);
  // The private key stays in sign_priv only (wiped when it goes away).
  std::memset(priv, 0, sizeof priv);

  auto roots = j.find("roots");
  if (roots != j.end() && roots->is_array()) {
    for (const auto& r : *roots) {
      if (!r.is_object()) continue;  // stock skips non-objects
      wire::WorldRoot root;
      std::string why;
      auto id = crypto::Identity::from_string(json_string(r, "identity"), &why);
      if (!id) return fail("invalid root identity: " + why);
      root.identity = *id;
      auto eps = r.find("stableEndpoints");
      if (eps != r.end() && eps->is_array()) {
        for (const auto& e : *eps) {
          auto a = e.is_string() ? wire::InetAddress::from_string(e.get<std::string>())
                                 : std::nullopt;
          if (!a) return fail("invalid stable endpoint: " + e.dump());
          root.endpoints.push_back(*a);
        }
      }
      w.roots.push_back(std::move(root));
    }
  }
  if (w.roots.size() > wire::kWorldMaxRoots) return fail("too many roots (max 4)");
  for (const auto& r : w.roots)
    if (r.endpoints.size() > wire::kWorldMaxEndpointsPerRoot)
      return fail("too many stable endpoints (max 32)");
  wire::sort_world_roots(w.roots);
  w.timestamp = timestamp;
  if (!wire::world_sign(w, sign_pub, sign_priv)) return fail("world too large to sign");
  return w;
}

}  // namespace flatnet::idtool
