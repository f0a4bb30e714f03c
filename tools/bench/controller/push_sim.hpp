// The push row of issue 11 over real cores: a controller Core with a
// ConfigService and `online` member Cores on an in-process datagram
// network, each member reassembling and verifying what it gets. See
// README.md.
#pragma once

#include <cstdint>
#include <vector>

#include "control/controller/store/store.hpp"
#include "crypto/identity.hpp"

namespace flatnet::bench {

// `addrs`: stored members of `nwid` (a network of `controller`). Brings
// `online` of them online (each asks for its config once), then changes
// the network `rounds` times through the store, timing each change until
// every online member holds a verified config made after it. Prints its
// rows; false on a store failure or a member that never got the change.
bool bench_push_over_cores(flatnet::control::controller::store::Store& s,
                           const flatnet::crypto::Identity& controller, uint64_t nwid,
                           const std::vector<uint64_t>& addrs, std::size_t online, int rounds);

}  // namespace flatnet::bench
