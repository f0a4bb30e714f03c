// IPv6 NDP emulation (spec §10.10): on networks with the NDP-emulation
// flag, a neighbor solicitation from our tap for an address in our
// ZeroTier RFC4193 /88 or 6PLANE /40 is answered locally -- the target's
// ZeroTier address is in the IPv6 address, so its MAC is known (§5.2) --
// and nothing is sent. As stock's Switch::onLocalEthernet, the solicitation
// must be ICMPv6 type 135 right after the IPv6 header.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "control/vl2/frame_view.hpp"
#include "dataplane/wire/network_config.hpp"

namespace flatnet::control::vl2 {

// The whole Ethernet frame of the neighbor advertisement to write to our
// tap, or nullopt when `f` is not a solicitation we answer.
std::optional<std::vector<uint8_t>> ndp_answer(const wire::NetworkConfig& cfg, uint64_t self,
                                               uint64_t our_mac,
                                               const ::flatnet::vl2::FrameView& f);

// Whether an inbound frame's IPv6 sender address counts as owned without a
// certificate of ownership (the SENDER_IP_AUTHENTICATED characteristic), as
// stock's Membership::_isV6NDPEmulated decides: on a network with NDP
// emulation, any address in the network's 6PLANE /40 or RFC4193 /88 when
// our own 6PLANE / RFC4193 address is one of the config's static IPs. The
// sender's ZeroTier address inside the IPv6 address is not compared with
// the sender, as in stock: the prefix says the network assigns these
// addresses from member addresses, and the gate already admitted the peer.
bool ndp_emulated_owner(const wire::NetworkConfig& cfg, std::span<const uint8_t> ip);

// The prefixes ndp_emulated_owner accepts, for the gateway's data plane:
// the 6PLANE /40 (5 bytes) and the RFC4193 /88 (11 bytes) when the network
// emulates NDP and our own address of that kind is assigned.
struct NdpPrefixes {
  std::optional<std::array<uint8_t, 5>> sixplane;
  std::optional<std::array<uint8_t, 11>> rfc4193;
};
NdpPrefixes ndp_prefixes(const wire::NetworkConfig& cfg);

}  // namespace flatnet::control::vl2
