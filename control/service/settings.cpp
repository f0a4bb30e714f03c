// Settings and home directory loading (see settings.hpp).
#include "control/service/settings.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

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

}  // namespace

bool read_file(const std::string& path, std::string& out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  std::ostringstream ss;
  ss << f.rdbuf();
  out = ss.str();
  return true;
}

bool write_file_atomic(const std::string& path, const std::string& data, unsigned mode) {
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return false;
  ::fchmod(fd, mode);
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n <= 0) {
      ::close(fd);
      ::unlink(tmp.c_str());
      return false;
    }
    off += size_t(n);
  }
  ::close(fd);
  return ::rename(tmp.c_str(), path.c_str()) == 0;
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
  }
  return s;
}

bool read_world_file(const std::string& path, wire::World& out, std::string* err) {
  std::string bytes;
  if (!read_file(path, bytes)) {
    *err = "cannot read " + path;
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
  const std::string secret = dir + "/identity.secret";
  std::string text;
  if (read_file(secret, text)) {
    std::string why;
    auto id = crypto::Identity::from_string(text, &why);
    if (!id || !id->has_private()) {
      *err = secret + ": " + (id ? "no private key" : why);
      return false;
    }
    out.identity = *id;
  } else {
    out.identity = crypto::Identity::generate();
    out.identity_created = true;
    if (!write_file_atomic(secret, out.identity.to_string(true), 0600) ||
        !write_file_atomic(dir + "/identity.public", out.identity.to_string(false), 0644)) {
      *err = "cannot write the identity to " + dir;
      return false;
    }
    if (notes) notes->push_back("created identity " + out.identity.address_string());
  }
  const std::string token = dir + "/authtoken.secret";
  if (!read_file(token, out.authtoken) || out.authtoken.empty()) {
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    out.authtoken.clear();
    for (int i = 0; i < 24; ++i) out.authtoken += alphabet[randombytes_uniform(36)];
    if (!write_file_atomic(token, out.authtoken, 0600)) {
      *err = "cannot write " + token;
      return false;
    }
  }
  while (!out.authtoken.empty() && isspace(uint8_t(out.authtoken.back()))) out.authtoken.pop_back();
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
