// Ad-hoc networks (spec §10.11): network IDs whose top byte is 0xff need
// no controller; the member builds their config itself, as stock's
// Network::requestConfiguration does.
#pragma once

#include <cstdint>
#include <optional>

#include "dataplane/wire/network_config.hpp"

namespace flatnet::control::vl2 {

inline bool is_adhoc(uint64_t nwid) { return (nwid >> 56) == 0xff; }

// The config of ad-hoc network `nwid` for member `self` at `now`, or
// nullopt when the ID names no valid ad-hoc network (stock: NOT_FOUND).
std::optional<wire::NetworkConfig> adhoc_config(uint64_t nwid, uint64_t self, uint64_t now);

}  // namespace flatnet::control::vl2
