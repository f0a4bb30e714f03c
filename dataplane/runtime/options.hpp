// Command line of flatnet-dataplane: flatnet options, then "--", then EAL
// arguments passed through. Options override keys of the JSON config.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace flatnet::runtime {

struct Cli {
  std::string config_path;        // empty: configuration from options only
  nlohmann::json overrides = nlohmann::json::object();
  std::vector<std::string> eal;   // after "--"
  bool check_only = false;        // validate config and EAL args, print, exit
};

// Returns nullopt when the program should exit with *exit_code (help, error).
std::optional<Cli> parse_cli(int argc, char** argv, int* exit_code);

// Applies overrides on top of the file's object (keys replace keys).
nlohmann::json merge_config(nlohmann::json base, const nlohmann::json& overrides);

}  // namespace flatnet::runtime
