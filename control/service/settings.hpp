// flatnetd's settings: the home directory (identity, auth token, planet,
// moons, peers cache, local.conf) and the flatnet JSON config, merged with
// precedence command line > flatnet config > local.conf > defaults
// (PRODUCT.md). Loading is the only thing here that touches files.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "control/service/files.hpp"
#include "crypto/identity.hpp"
#include "crypto/secure.hpp"
#include "dataplane/wire/world.hpp"

namespace flatnet::control::service {

// One layer of settings; unset fields fall through to the next layer.
struct SettingsLayer {
  std::optional<uint16_t> primary_port;
  std::optional<bool> allow_secondary_port;
  std::optional<std::string> planet_file;
  std::optional<std::string> log_level;      // debug | info | warn | error
  std::optional<std::string> api_bind;       // "127.0.0.1"
  std::optional<uint16_t> api_port;
  std::optional<bool> controller;            // the controller role (controller_host.hpp)
  std::optional<std::string> controller_db;  // its store; "" = <home>/controller.db
};

struct Settings {
  uint16_t primary_port = 9993;
  bool allow_secondary_port = false;         // read and reported; flatnetd binds one port
  std::string planet_file;                   // "" = <home>/planet
  std::string log_level = "info";
  std::string api_bind = "127.0.0.1";
  uint16_t api_port = 0;                     // 0 = primary_port
  bool controller = true;                    // serve the networks <address>xxxxxx
  std::string controller_db;                 // "" = <home>/controller.db
};

// Reads a stock local.conf ({"settings": {...}}). Unknown keys are appended
// to *unknown (reported once by the caller). false + *err naming the key.
bool parse_local_conf(const std::string& text, SettingsLayer& out,
                      std::vector<std::string>* unknown, std::string* err);
// Reads the flatnet JSON config (flat keys: primaryPort, allowSecondaryPort,
// planet, logLevel, apiBind, apiPort, controller, controllerDb). Unknown keys
// are an error.
bool parse_flatnet_config(const std::string& text, SettingsLayer& out, std::string* err);
// Highest precedence first.
Settings merge(const std::vector<const SettingsLayer*>& layers_high_to_low);

// What the home directory holds once loaded.
struct Home {
  std::string dir;
  crypto::Identity identity;                 // with the private key (wiped by itself)
  bool identity_created = false;
  std::string authtoken;                     // wiped when the Home goes away
  wire::World planet;
  std::vector<wire::World> moons;

  Home() = default;
  Home(const Home&) = default;
  Home(Home&&) = default;
  Home& operator=(const Home&) = default;
  Home& operator=(Home&&) = default;
  ~Home() { crypto::wipe(authtoken); }
};

// Creates the directory, and identity.secret (0600) with identity.public
// and authtoken.secret (0600) only where they do not exist (ENOENT); any
// other failure to read them stops the start with a message, so a file we
// cannot read is never replaced. A loaded identity.secret must parse, hold
// a private key that matches its public key, and carry the address its
// public key's memory-hard hash gives; an identity.public that differs is
// reported in *notes and left as it is. Reads the planet (required) and
// moons.d.
bool load_home(const std::string& dir, const std::string& planet_file, Home& out,
               std::vector<std::string>* notes, std::string* err);
bool read_world_file(const std::string& path, wire::World& out, std::string* err);

// identity.secret's text, fully checked (parse, private key present and
// matching the public key, address from the memory-hard hash). false +
// *err saying which check failed.
bool check_secret_identity(std::string_view text, crypto::Identity& out, std::string* err);

}  // namespace flatnet::control::service
