// StatusSource structs -> the JSON objects stock zerotier-one emits
// (field names and shapes of §12.3 and the captured info/listpeers files).
// nlohmann::json objects keep keys sorted, as stock does.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "control/service/status.hpp"
#include "dataplane/wire/hex.hpp"

namespace flatnet::control::api {

nlohmann::json node_json(const NodeStatus& n, const std::string& home_dir);
nlohmann::json peer_json(const PeerStatus& p);
nlohmann::json moon_json(const MoonStatus& m);
// The object stock returns for an orbit still waiting for its moon.
nlohmann::json moon_waiting_json(uint64_t id);
nlohmann::json ping_json(uint64_t addr, const PingResult& r);

// 10 hex digits for node addresses, 16 for world IDs.
// The one hex formatter (dataplane/wire/hex.hpp), under the API's names.
using wire::hex_address;
inline std::string hex_world(uint64_t w) { return wire::hex_id(w); }

// Exactly 10 hex digits -> a 40-bit address (not 0, not the reserved 0xff
// prefix); anything else -> nullopt.
std::optional<uint64_t> parse_address(std::string_view s);
// 10 or 16 hex digits -> a world ID; anything else -> nullopt.
std::optional<uint64_t> parse_world(std::string_view s);

}  // namespace flatnet::control::api
