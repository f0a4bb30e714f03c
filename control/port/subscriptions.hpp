// The multicast groups a tap is subscribed to -- what MULTICAST_LIKE will
// announce for the network (spec §5.3, §9). As stock's Linux tap does it:
//   - every multicast MAC the kernel has joined on the device
//     (/proc/net/dev_mcast, field 2 the device, field 5 the MAC in hex), with
//     ADI 0;
//   - for every IP address on the device, its address-resolution group:
//     IPv4 a.b.c.d -> (ff:ff:ff:ff:ff:ff, ADI 0xaabbccdd) so ARP requests for
//     it reach us; IPv6 -> its solicited-node MAC 33:33:ff:xx:yy:zz, ADI 0.
// The broadcast group (ff:ff:ff:ff:ff:ff, 0) is the network's, added by the
// member when the config enables broadcast, not here.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "control/core/verbs.hpp"
#include "dataplane/wire/inet_address.hpp"

namespace flatnet::control::port {

// Stock's order: by MAC, then ADI.
bool group_less(const MulticastGroup& a, const MulticastGroup& b);

// Groups of `device` in a /proc/net/dev_mcast text; malformed lines are
// skipped.
std::vector<MulticastGroup> parse_dev_mcast(std::string_view text, std::string_view device);
// The file itself (per network namespace); nullopt when it cannot be read.
std::optional<std::string> read_dev_mcast();

MulticastGroup address_resolution_group(const wire::InetAddress& ip);

// dev_mcast groups plus the address-resolution group of each IP, sorted and
// without duplicates.
std::vector<MulticastGroup> interface_groups(const std::vector<MulticastGroup>& joined,
                                             const std::vector<wire::InetAddress>& ips);

struct GroupChanges {
  std::vector<MulticastGroup> added;
  std::vector<MulticastGroup> removed;
};
// Both inputs sorted by group_less (interface_groups' output).
GroupChanges diff_groups(const std::vector<MulticastGroup>& before,
                         const std::vector<MulticastGroup>& after);

}  // namespace flatnet::control::port
