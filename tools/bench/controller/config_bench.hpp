// The controller role's rows of flatnet-bench-controller: answering one
// NETWORK_CONFIG_REQUEST on a large network, signing alone, and pushing a
// change to many online members. See README.md.
#pragma once

#include <cstdint>
#include <vector>

#include "control/controller/store/store.hpp"
#include "crypto/identity.hpp"

namespace flatnet::bench {

// `addrs`: the members of `nwid` (already stored, authorized), a network of
// `controller`. Prints its rows; false on a store failure.
bool bench_config_requests(flatnet::control::controller::store::Store& s,
                           const flatnet::crypto::Identity& controller, uint64_t nwid,
                           const std::vector<uint64_t>& addrs, int samples, uint64_t online);

}  // namespace flatnet::bench
