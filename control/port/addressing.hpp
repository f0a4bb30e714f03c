// How a member is addressed on its network's Ethernet (spec §5.2, §5.5):
// the MAC derived from its ZeroTier address and the network id, and the two
// IPv6 addresses a controller may assign without a pool (rfc4193, 6plane).
// Pure functions; the tap and the managed-address sync use them.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "dataplane/wire/inet_address.hpp"

namespace flatnet::control::port {

// A MAC is carried as a u64 with the 48 bits in the low bits, first octet
// most significant, as control::MulticastGroup carries it.
using Mac = uint64_t;

// The first octet every member's MAC has on `nwid`: the low byte of the
// network id with the multicast bit cleared and the locally-administered bit
// set, moved off 0x52 (KVM/libvirt's prefix) to 0x32.
uint8_t first_octet_for_network(uint64_t nwid);

// The MAC of ZeroTier node `address` (40 bits) on network `nwid`.
Mac member_mac(uint64_t address, uint64_t nwid);
// The ZeroTier address behind a member MAC (only meaningful when
// is_member_mac() holds; a bridged host's MAC has no address).
uint64_t mac_to_address(Mac mac, uint64_t nwid);
// True when `mac` is a member's own MAC on `nwid` (first octet matches);
// anything else is a host behind a bridge.
bool is_member_mac(Mac mac, uint64_t nwid);

std::array<uint8_t, 6> mac_bytes(Mac mac);
Mac mac_from_bytes(const uint8_t b[6]);
// "02:ee:42:d5:00:d5"; parse_mac accepts that form only.
std::string mac_string(Mac mac);
std::optional<Mac> parse_mac(std::string_view s);

// fd<nwid>:9993:<address>/88 -- one address per member in the network's /88.
wire::InetAddress rfc4193_address(uint64_t nwid, uint64_t address);
// fc<nwid folded to 32 bits>:<address>::1/40 -- each member owns the /80
// its address names, the last bytes 00..01 being the member itself.
wire::InetAddress sixplane_address(uint64_t nwid, uint64_t address);

}  // namespace flatnet::control::port
