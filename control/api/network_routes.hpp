// The local API's /network routes, as stock 1.14.1 serves them (spec §12.3):
//   GET    /network          every joined network (array, by nwid)
//   GET    /network/<nwid>   one network; 404 with an empty body if not joined
//   POST   /network/<nwid>   join (if not joined) and change allowManaged,
//                            allowGlobal, allowDefault, allowDNS (booleans;
//                            other keys and invalid JSON are ignored, as
//                            stock); answers the network. PUT is the same.
//   DELETE /network/<nwid>   leave; {"result":true}, or {} if not joined
// Reaches flatnetd's member through NetworkSource (network_status.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

#include "control/service/network_status.hpp"

namespace httplib {
class Server;
}

namespace flatnet::control::api {

// Stock's _networkToJson fields.
nlohmann::json network_json(const NetworkStatusView& n);
// 16 hex digits -> a network id (not 0); anything else -> nullopt.
std::optional<uint64_t> parse_network_id(std::string_view s);

void add_network_routes(httplib::Server& s, NetworkSource& src);

}  // namespace flatnet::control::api
