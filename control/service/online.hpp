// `online` in /status and /health (stock's ONLINE): whether a root of ours
// has proven itself to us recently. Only authenticated traffic counts: a
// datagram that merely names a root as its source proves nothing (anyone
// can send one), so it cannot make a node look online.
#pragma once

#include <cstdint>

#include "control/core/core.hpp"

namespace flatnet::control::service {

// An authenticated packet from a root within this: online. Two leaf HELLO
// intervals, so one lost OK(HELLO) does not flip it.
inline constexpr uint64_t kOnlineMs = 2 * Core::kLeafHelloIntervalMs;

// True for a root itself; otherwise true when some upstream (planet or moon
// root) has completed a HELLO exchange with us (our HELLO answered by its
// OK, or its HELLO authenticated) and its last authenticated packet
// (Peer::last_receive, refreshed only after the MAC checked) is within
// kOnlineMs of `now`.
bool root_online(const Core& core, uint64_t now);

}  // namespace flatnet::control::service
