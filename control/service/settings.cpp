// Settings and home directory loading (see settings.hpp).
#include "control/service/settings.hpp"

#include <sodium.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

namespace flatnet::control::service {
namespace {

using json = nlohmann::json;

bool get_port(const json& v, const std::string& key, std::optional<uint16_t>& out,
              std::string* err) {
  if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > 65535) {
    *err = "config key '" + key + "' must be an integer port 0..65535";
    return false;
  }
  out = uint16_t(v.get<int64_t>());
  return true;
}

bool get_bool(const json& v, const std::string& key, std::optional<bool>& out, std::string* err) {
  if (!v.is_boolean()) {
    *err = "config key '" + key + "' must be true or false";
    return false;
  }
  out = v.get<bool>();
  return true;
}

bool get_string(const json& v, const std::string& key, std::optional<std::string>& out,
                std::string* err) {
  if (!v.is_string()) {
    *err = "config key '" + key + "' must be a string";
    return false;
  }
  out = v.get<std::string>();
  return true;
}

// Why a start stops rather than creating a file over one it could not read.
std::string unreadable(const std::string& path, int e) {
  return "cannot read " + path + ": " + std::strerror(e) +
         "; not starting: only a missing file means \"create one\", and a new file here "
         "would replace what this one holds (fix its owner or mode for uid " +
         std::to_string(::geteuid()) + ", or move it away)";
}

std::string damaged(const std::string& path, const std::string& why) {
  return path + ": " + why +
         "; not starting and not replacing it (restore it from a backup, or move it away "
         "to start as a new node with a new address)";
}

// identity.public is derived: written when missing, reported when it
// disagrees with identity.secret (someone may have put it there on purpose
// or by mistake; either way a person should look), never overwritten.
void check_public_file(const std::string& path, const crypto::Identity& id,
                       std::vector<std::string>* notes) {
  std::string text;
  const int e = read_whole_file(path, text, 64 * 1024);
  const std::string mine = id.to_string(false);
  if (e == ENOENT) {
    std::string why;
    const bool ok = write_file_atomic(path, mine, 0644, &why, Replace::kNo);
    if (notes && !why.empty()) notes->push_back((ok ? "wrote " : "could not write ") + path + ": " + why);
    return;
  }
  if (e != 0) {
    if (notes) notes->push_back("cannot read " + path + ": " + std::strerror(e) + " (left as it is)");
    return;
  }
  auto pub = crypto::Identity::from_string(text);
  if (!pub || pub->has_private() || !(*pub == id)) {
    if (pub && pub->has_private()) crypto::wipe(text);
    if (notes)
      notes->push_back(path + " does not match identity.secret (" + id.address_string() +
                       "); left as it is");
  }
}

bool load_identity(const std::string& dir, Home& out, std::vector<std::string>* notes,
                   std::string* err) {
  const std::string secret = dir + "/identity.secret";
  std::string text;
  crypto::WipeOnExit wipe_text(text);
  const int e = read_whole_file(secret, text, 64 * 1024);
  if (e == 0) {
    std::string why;
    if (!check_secret_identity(text, out.identity, &why)) {
      *err = damaged(secret, why);
      return false;
    }
    check_public_file(dir + "/identity.public", out.identity, notes);
    return true;
  }
  if (e != ENOENT) {
    *err = unreadable(secret, e);
    return false;
  }
  out.identity = crypto::Identity::generate();
  out.identity_created = true;
  std::string secret_text = out.identity.to_string(true);
  crypto::WipeOnExit wipe_secret(secret_text);
  std::string why;
  // kNo: should a file appear meanwhile, it is kept and we stop.
  if (!write_file_atomic(secret, secret_text, 0600, &why, Replace::kNo)) {
    *err = "cannot write the new identity: " + why;
    return false;
  }
  if (notes && !why.empty()) notes->push_back("wrote " + secret + ": " + why);
  const std::string pub = dir + "/identity.public";
  if (!write_file_atomic(pub, out.identity.to_string(false), 0644, &why)) {
    *err = "cannot write " + pub + ": " + why;
    return false;
  }
  if (notes) notes->push_back("created identity " + out.identity.address_string());
  // A write that succeeded but whose directory could not be synced says so.
  if (notes && !why.empty()) notes->push_back("wrote " + pub + ": " + why);
  return true;
}

bool load_authtoken(const std::string& dir, Home& out, std::vector<std::string>* notes,
                    std::string* err) {
  const std::string token = dir + "/authtoken.secret";
  crypto::wipe(out.authtoken);
  const int e = read_whole_file(token, out.authtoken, 64 * 1024);
  if (e != 0 && e != ENOENT) {
    *err = unreadable(token, e);
    return false;
  }
  while (!out.authtoken.empty() && isspace(uint8_t(out.authtoken.back()))) out.authtoken.pop_back();
  if (!out.authtoken.empty()) return true;
  // Missing, or (as stock also treats it) empty: a new one. An empty file
  // holds nothing to lose, so only that case replaces a file.
  static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  out.authtoken.reserve(24);
  for (int i = 0; i < 24; ++i) out.authtoken += alphabet[randombytes_uniform(36)];
  std::string why;
  if (!write_file_atomic(token, out.authtoken, 0600, &why,
                         e == ENOENT ? Replace::kNo : Replace::kYes)) {
    *err = "cannot write " + token + ": " + why;
    return false;
  }
  if (e == 0 && notes) notes->push_back(token + " was empty: wrote a new token");
  if (notes && !why.empty()) notes->push_back("wrote " + token + ": " + why);
  return true;
}

}  // namespace

bool check_secret_identity(std::string_view text, crypto::Identity& out, std::string* err) {
  std::string why;
  auto id = crypto::Identity::from_string(text, &why);
  if (!id) {
    *err = why + " (truncated or damaged?)";
    return false;
  }
  if (!id->has_private()) {
    *err = "no private key (a public identity, or the file was cut short)";
    return false;
  }
  if (!id->locally_validate()) {
    // Tell the two failures apart: the public part alone either carries
    // the right address (then the private key is what is wrong) or not.
    auto pub = crypto::Identity::from_string(id->to_string(false));
    *err = pub && pub->locally_validate()
               ? "the private key does not match the public key"
               : "the address " + id->address_string() +
                     " is not the one its public key's memory-hard hash gives";
    return false;
  }
  out = std::move(*id);
  return true;
}

bool parse_local_conf(const std::string& text, SettingsLayer& out,
                      std::vector<std::string>* unknown, std::string* err) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    *err = "local.conf is not a JSON object";
    return false;
  }
  for (auto& [k, v] : j.items()) {
    if (k != "settings") {
      if (unknown) unknown->push_back(k);
      continue;
    }
    if (!v.is_object()) {
      *err = "local.conf key 'settings' must be an object";
      return false;
    }
    for (auto& [sk, sv] : v.items()) {
      if (sk == "primaryPort") {
        if (!get_port(sv, "settings." + sk, out.primary_port, err)) return false;
      } else if (sk == "allowSecondaryPort") {
        if (!get_bool(sv, "settings." + sk, out.allow_secondary_port, err)) return false;
      } else if (unknown) {
        unknown->push_back("settings." + sk);
      }
    }
  }
  return true;
}

bool parse_flatnet_config(const std::string& text, SettingsLayer& out, std::string* err) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    *err = "flatnet config is not a JSON object";
    return false;
  }
  for (auto& [k, v] : j.items()) {
    bool ok;
    if (k == "primaryPort") ok = get_port(v, k, out.primary_port, err);
    else if (k == "allowSecondaryPort") ok = get_bool(v, k, out.allow_secondary_port, err);
    else if (k == "planet") ok = get_string(v, k, out.planet_file, err);
    else if (k == "apiBind") ok = get_string(v, k, out.api_bind, err);
    else if (k == "apiPort") ok = get_port(v, k, out.api_port, err);
    else if (k == "controller") ok = get_bool(v, k, out.controller, err);
    else if (k == "controllerDb") ok = get_string(v, k, out.controller_db, err);
    else if (k == "logLevel") {
      ok = get_string(v, k, out.log_level, err);
      static const char* levels[] = {"debug", "info", "warn", "error"};
      if (ok && std::find(std::begin(levels), std::end(levels), *out.log_level) ==
                    std::end(levels)) {
        *err = "config key 'logLevel' must be debug, info, warn or error";
        ok = false;
      }
    } else {
      *err = "unknown config key '" + k + "'";
      ok = false;
    }
    if (!ok) return false;
  }
  return true;
}

Settings merge(const std::vector<const SettingsLayer*>& layers) {
  Settings s;
  // Apply lowest first so higher layers overwrite.
  for (auto it = layers.rbegin(); it != layers.rend(); ++it) {
    const SettingsLayer& l = **it;
    if (l.primary_port) s.primary_port = *l.primary_port;
    if (l.allow_secondary_port) s.allow_secondary_port = *l.allow_secondary_port;
    if (l.planet_file) s.planet_file = *l.planet_file;
    if (l.log_level) s.log_level = *l.log_level;
    if (l.api_bind) s.api_bind = *l.api_bind;
    if (l.api_port) s.api_port = *l.api_port;
    if (l.controller) s.controller = *l.controller;
    if (l.controller_db) s.controller_db = *l.controller_db;
  }
  return s;
}

bool read_world_file(const std::string& path, wire::World& out, std::string* err) {
  std::string bytes;
  if (int e = read_whole_file(path, bytes)) {
    *err = "cannot read " + path + ": " + std::strerror(e);
    return false;
  }
  auto st = wire::deserialize_world(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()), out);
  if (st != wire::WorldStatus::kOk) {
    *err = path + ": " + wire::to_string(st);
    return false;
  }
  return true;
}

bool load_home(const std::string& dir, const std::string& planet_file, Home& out,
               std::vector<std::string>* notes, std::string* err) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (!fs::is_directory(dir)) {
    *err = "home directory " + dir + " cannot be created";
    return false;
  }
  out.dir = dir;
  if (!load_identity(dir, out, notes, err) || !load_authtoken(dir, out, notes, err)) return false;
  const std::string pf = planet_file.empty() ? dir + "/planet" : planet_file;
  if (!read_world_file(pf, out.planet, err)) {
    *err = "planet: " + *err + " (give --planet or put one at " + dir + "/planet)";
    return false;
  }
  if (out.planet.type != wire::WorldType::kPlanet) {
    *err = pf + " is not a planet";
    return false;
  }
  const std::string moons = dir + "/moons.d";
  if (fs::is_directory(moons)) {
    for (auto& e : fs::directory_iterator(moons, ec)) {
      if (e.path().extension() != ".moon") continue;
      wire::World m;
      std::string why;
      if (!read_world_file(e.path().string(), m, &why) || m.type != wire::WorldType::kMoon) {
        if (notes) notes->push_back("skipping moon " + e.path().string() + ": " + why);
        continue;
      }
      out.moons.push_back(std::move(m));
    }
  }
  return true;
}

}  // namespace flatnet::control::service
