// IPv6 NDP emulation (spec §10.10): on networks with the NDP-emulation
// flag, a neighbor solicitation from our tap for an address in our
// ZeroTier RFC4193 /88 or 6PLANE /40 is answered locally -- the target's
// ZeroTier address is in the IPv6 address, so its MAC is known (§5.2) --
// and nothing is sent. As stock's Switch::onLocalEthernet, the solicitation
// must be ICMPv6 type 135 right after the IPv6 header.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "control/vl2/frame_view.hpp"
#include "dataplane/wire/network_config.hpp"

namespace flatnet::control::vl2 {

// The whole Ethernet frame of the neighbor advertisement to write to our
// tap, or nullopt when `f` is not a solicitation we answer.
std::optional<std::vector<uint8_t>> ndp_answer(const wire::NetworkConfig& cfg, uint64_t self,
                                               uint64_t our_mac,
                                               const ::flatnet::vl2::FrameView& f);

}  // namespace flatnet::control::vl2
